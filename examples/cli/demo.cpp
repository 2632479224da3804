// `esx demo`: the README's main job. Starts a loopback Azure tenant and Kubernetes cluster
// (mocks/sample), reads three SecretStores like the provider documentation's (one per auth
// type), and fetches `dev-secret-test`, `key/dev-key-test` and `cert/dev-cert-test` through each.
#include "demo.hpp"

#include "mocks/sample/world.hpp"

#include <esx/auth.hpp>
#include <esx/auth/kube_client_access.hpp>
#include <esx/keyvault/client.hpp>
#include <esx/kube.hpp>
#include <esx/object/pem.hpp>
#include <esx/spec/manifest.hpp>
#include <esx/transport.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>
#include <regex>

namespace {

namespace net = boost::asio;
using kube_access = esx::auth::kube_client_access<esx::kube::client<>>;
using any_auth = esx::auth::any_of<esx::auth::service_principal<>, esx::auth::managed_identity<>,
                                   esx::auth::workload_identity<>>;
using vault_transport = esx::transport::retry<esx::transport::https>;

// The documentation's stores, pointed at the loopback cloud: an Azure Stack-style custom cloud
// whose authority is mock Entra ID and whose vault suffix is `vault.esx.test`.
constexpr char const* stores_yaml = R"(
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: service-principal-store, namespace: default}
spec:
  provider:
    azurekv:
      vaultUrl: "VAULT_URL"
      tenantId: "TENANT"
      authSecretRef:
        clientId: {name: azure-secret-sp, key: ClientID}
        clientSecret: {name: azure-secret-sp, key: ClientSecret}
      CLOUD
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: managed-identity-store, namespace: default}
spec:
  provider:
    azurekv:
      authType: ManagedIdentity
      vaultUrl: "VAULT_URL"
      CLOUD
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: workload-identity-store, namespace: default}
spec:
  provider:
    azurekv:
      authType: WorkloadIdentity
      vaultUrl: "VAULT_URL"
      serviceAccountRef: {name: workload-identity-sa}
      CLOUD
)";

std::string fill(std::string text, esx::mocks::sample::world const& w) {
    text = std::regex_replace(text, std::regex("CLOUD"),
                              "environmentType: AzureStackCloud\n      useAzureSDK: true\n      customCloudConfig: "
                              "{activeDirectoryEndpoint: \"AUTHORITY/\", keyVaultDNSSuffix: vault.esx.test}");
    text = std::regex_replace(text, std::regex("AUTHORITY"), w.azure.authority());
    text = std::regex_replace(text, std::regex("TENANT"), w.azure.tenant());
    return std::regex_replace(text, std::regex("VAULT_URL"), w.vault_url());
}

void show(std::string_view ref, esx::secret_bytes const& value) {
    auto const bytes = value.reveal();
    if (ref.starts_with("key/")) {
        std::cout << "    " << ref << ": JWK " << bytes << "\n";
        if (auto pem = esx::object::jwk_to_pem(bytes)) std::cout << *pem;
    } else if (ref.starts_with("cert/")) {
        auto info = esx::object::describe_certificate(bytes);
        if (!info) std::cout << "    " << ref << ": " << info.error().what() << "\n";
        else std::cout << "    " << ref << ": " << value.size() << " bytes DER, subject " << info->subject
                       << ", valid until " << info->not_after << "\n      SHA-256 " << info->sha256_fingerprint << "\n";
    } else {
        std::cout << "    " << ref << ": \"" << bytes << "\" (sample data, shown on purpose)\n";
    }
}

net::awaitable<int> run(esx::mocks::sample::world& w) {
    auto ex = co_await net::this_coro::executor;
    auto stores = esx::spec::parse_manifests(fill(stores_yaml, w));
    if (!stores) { std::cout << stores.error().what() << "\n"; co_return 1; }

    // Kubernetes through the kubeconfig the mock cluster wrote; Azure over verified TLS.
    auto kube_config = esx::kube::config::from_kubeconfig({.paths = w.kube.kubeconfig_file().string(), .context = {}, .env = {}});
    if (!kube_config) { std::cout << kube_config.error().what() << "\n"; co_return 1; }
    esx::transport::options tls;
    tls.ca_pem = w.azure.ca_pem();
    tls.proxy = esx::transport::proxy_settings{};
    tls.resolve[w.vault_url().substr(std::string_view("https://").size())] = "127.0.0.1";
    vault_transport transport(esx::transport::https(ex, tls));

    esx::auth::store_auth_context<kube_access> ctx;
    ctx.kube = std::make_shared<kube_access>(std::make_shared<esx::kube::client<>>(ex, std::move(*kube_config)));
    ctx.imds = std::make_shared<esx::transport::http>(ex, esx::transport::options{.proxy = esx::transport::proxy_settings{}});
    ctx.imds_endpoint = w.azure.imds_url() + "/metadata/identity/oauth2/token";
    ctx.allow_controller_identity = true; // the demo's ManagedIdentity store is namespaced, as in the docs

    int failures = 0;
    for (auto const& r : *stores) {
        auto const& store = std::get<esx::spec::secret_store>(r);
        auto const& provider = store.spec.provider;
        std::cout << "  " << store.metadata.name << " (" << esx::spec::to_string(provider.auth_type) << ")\n";
        auto policy = co_await esx::auth::policy_for_store<any_auth>(ctx, store, "default");
        auto cloud = esx::cloud_for(esx::spec::to_string(provider.environment_type), provider.custom_cloud_config);
        if (!policy || !cloud) {
            std::cout << "    " << (policy ? cloud.error() : policy.error()).what() << "\n";
            ++failures;
            continue;
        }
        auto vault = esx::keyvault::client<any_auth, vault_transport>::make(*policy, transport, *cloud, provider.vault_url);
        if (!vault) {
            std::cout << "    " << vault.error().what() << "\n";
            ++failures;
            continue;
        }
        for (std::string ref : {"dev-secret-test", "key/dev-key-test", "cert/dev-cert-test"}) {
            // A named result, not a temporary inside a conditional: g++ 12 miscompiles those
            // around co_await.
            auto value = co_await vault->fetch(ref);
            if (value) show(ref, *value);
            else std::cout << "    " << ref << ": " << (++failures, value.error().what()) << "\n";
        }
    }
    std::cout << "  " << w.token_requests() << " token requests for 9 reads (one per identity); "
              << transport.next_layer().connections_opened()
              << " TLS connections opened in all (Entra ID and the vault, kept alive)\n";
    co_return failures == 0 ? 0 : 1;
}

} // namespace

int demo() {
    esx::mocks::sample::world w;
    std::cout << "esx demo: Key Vault " << w.vault_url() << " and Kubernetes " << w.kube.url() << " on loopback\n";
    net::io_context ioc;
    int rc = 1;
    net::co_spawn(ioc, run(w), [&](std::exception_ptr e, int r) { rc = e ? 1 : r; });
    ioc.run();
    return rc;
}
