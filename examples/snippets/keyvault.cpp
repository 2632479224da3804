// README.md, "Key Vault, auth and object types": the README's block verbatim between the
// `snippet` markers; `main` is this file's wrapper (not in the README). Compiled by
// tests/readme/meson.build; not run (it needs a cluster and a vault): tests/integration makes
// the same calls against the mock servers.
// snippet-begin
#include <esx/esx.hpp>
namespace transport = esx::transport;
using any_auth = esx::auth::any_of<esx::auth::service_principal<>, esx::auth::managed_identity<>,
                                   esx::auth::workload_identity<>>;
using kube_access = esx::auth::kube_client_access<esx::kube::client<>>;
using vault_transport = transport::retry<transport::https>;

boost::asio::awaitable<esx::result<esx::secret_bytes, esx::failure>>
read_certificate(esx::auth::store_auth_context<kube_access>& ctx, vault_transport& https, std::string yaml_text) {
    auto manifests = esx::spec::read_manifests(yaml_text);          // each document on its own
    if (!manifests) co_return manifests.error();
    if (!manifests->errors.empty()) co_return manifests->errors[0].error;  // all its problems, with JSON paths
    auto const& store = manifests->stores.at(0);
    auto cloud = esx::auth::cloud_for_store(store.spec.provider, ctx.getenv);  // once, for auth and vault
    if (!cloud) co_return cloud.error();
    auto policy = co_await esx::auth::policy_for_store<any_auth>(ctx, store, *cloud, "my-namespace");
    if (!policy) co_return policy.error();
    auto vault = esx::keyvault::client<any_auth, vault_transport>::make(
        *policy, https, *cloud, store.spec.provider.vault_url);     // refuses non-https and foreign hosts
    if (!vault) co_return vault.error();
    co_return co_await vault->fetch("cert/dev-cert-test");         // secret/, key/, cert/ or none
}
// snippet-end

int main() {}
