// Runs the README's program (`sync.cpp`, path in argv[1]) as a user would, against the sample
// tenant and cluster (mocks/sample: mock Azure and mock Kubernetes on loopback TLS): writes the
// documentation's stores (one per auth type) and ExternalSecrets to a file, points the program
// at the mocks through the environment only (KUBECONFIG, ESX_CACERT, ESX_RESOLVE,
// AZURE_POD_IDENTITY_AUTHORITY_HOST), runs it twice, and reads the Secrets back with kubectl.
// Uses no esx code: what it checks is what a user sees. Exit 0 when every check holds.
#include "mocks/sample/world.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, std::string const& what) {
    std::cout << (ok ? "ok:     " : "FAILED: ") << what << '\n';
    if (!ok) ++failures;
}

std::string replace_all(std::string s, std::string const& from, std::string const& to) {
    for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
    return s;
}

// The provider documentation's three stores, as ClusterSecretStore for the managed identity (the
// controller's own identity is refused for a namespaced store unless allowed), pointed at the
// loopback cloud (an Azure Stack-style custom cloud whose vault suffix is vault.esx.test).
constexpr char const* manifests = R"(apiVersion: external-secrets.io/v1
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
kind: ClusterSecretStore
metadata: {name: managed-identity-store}
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

constexpr char const* external_secret = R"(---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: NAME, namespace: default}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: KIND, name: STORE}
  target: {name: NAME-secret}
  data:
  - secretKey: dev-secret-test
    remoteRef: {key: dev-secret-test}
  - secretKey: dev-key-test
    remoteRef: {key: key/dev-key-test}
  - secretKey: dev-cert-test
    remoteRef: {key: cert/dev-cert-test}
)";

struct ran {
    int status = -1;
    std::string output;
};

/// Runs `argv` with `env` (nothing inherited but PATH), stdout and stderr captured.
ran run(std::vector<std::string> argv, std::vector<std::string> env) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        std::vector<char*> a, e;
        for (auto& s : argv) a.push_back(s.data());
        a.push_back(nullptr);
        for (auto& s : env) e.push_back(s.data());
        e.push_back(nullptr);
        ::execve(a[0], a.data(), e.data());
        std::perror("execve");
        ::_exit(127);
    }
    ::close(pipefd[1]);
    ran r;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string base64_decode(std::string const& in) {
    static std::string const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        auto p = alphabet.find(c);
        if (p == std::string::npos) continue;
        buffer = (buffer << 6) | static_cast<unsigned>(p);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " PATH-TO-README-SYNC\n";
        return 2;
    }
    std::string const program = std::filesystem::absolute(argv[1]).string();
    esx::mocks::sample::world w;
    auto const dir = std::filesystem::temp_directory_path() / ("esx-readme-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "home");

    std::string text = replace_all(manifests, "CLOUD",
                                   "environmentType: AzureStackCloud\n      useAzureSDK: true\n      customCloudConfig: "
                                   "{activeDirectoryEndpoint: \"" + w.azure.authority() + "/\", keyVaultDNSSuffix: vault.esx.test}");
    text = replace_all(text, "VAULT_URL", w.vault_url());
    text = replace_all(text, "TENANT", w.azure.tenant());
    for (auto [name, kind, store] : {std::tuple{"by-service-principal", "SecretStore", "service-principal-store"},
                                     {"by-managed-identity", "ClusterSecretStore", "managed-identity-store"},
                                     {"by-workload-identity", "SecretStore", "workload-identity-store"}})
        text += replace_all(replace_all(replace_all(external_secret, "NAME", name), "KIND", kind), "STORE", store);
    auto const file = dir / "external-secrets.yaml";
    std::ofstream(file) << text;

    std::string const host_port = w.vault_url().substr(std::string("https://").size());
    std::vector<std::string> const env{"PATH=/usr/bin:/bin",
                                       "HOME=" + (dir / "home").string(),
                                       "KUBECONFIG=" + w.kube.kubeconfig_file().string(),
                                       "ESX_CACERT=" + w.azure.ca_file().string(),
                                       "ESX_RESOLVE=" + host_port + ":127.0.0.1",
                                       "AZURE_POD_IDENTITY_AUTHORITY_HOST=" + w.azure.imds_url()};

    auto first = run({program, file.string()}, env);
    std::cout << first.output;
    check(first.status == 0, "the program exits 0 when every ExternalSecret synced");
    for (auto name : {"by-service-principal", "by-managed-identity", "by-workload-identity"})
        check(first.output.find(std::string("default/") + name + ": created Secret default/" + name + "-secret (3 keys)") !=
                  std::string::npos,
              std::string("one line for ") + name);
    check(first.output.find("Hello from Azure Key Vault") == std::string::npos, "no value is printed");

    auto second = run({program, file.string()}, env);
    std::cout << second.output;
    check(second.status == 0 && second.output.find("unchanged") != std::string::npos &&
              second.output.find("created") == std::string::npos,
          "a second run writes nothing");

    // The seed documentation's own way of looking at the result.
    for (auto name : {"by-service-principal", "by-managed-identity", "by-workload-identity"}) {
        auto got = run({"/usr/bin/kubectl", "get", "secret", std::string(name) + "-secret", "-n", "default", "-o",
                        "jsonpath={.data.dev-secret-test}"},
                       env);
        check(got.status == 0 && base64_decode(got.output) == "Hello from Azure Key Vault",
              std::string("kubectl shows dev-secret-test of ") + name + "-secret");
        auto key = run({"/usr/bin/kubectl", "get", "secret", std::string(name) + "-secret", "-n", "default", "-o",
                        "jsonpath={.data.dev-key-test}"},
                       env);
        check(key.status == 0 && base64_decode(key.output).starts_with("{\"e\":\"AQAB\""),
              std::string("kubectl shows the JWK of ") + name + "-secret in the new SDK's member order");
    }
    std::filesystem::remove_all(dir);
    std::cout << (failures ? "FAILED\n" : "all checks passed\n");
    return failures ? 1 : 0;
}
