// The sync benchmark's world (bench/sync.cpp): a tenant with V vaults of S secrets each, a
// cluster with N namespaces, and the manifests of E ExternalSecrets of 3 entries each, spread
// evenly: ExternalSecret i reads vault i mod V through the ClusterSecretStore `vault-<v>`, and
// its entries name secrets (3m + j) mod S of that vault (m = i div V), so every secret is read by
// E*3/(V*S) entries and the distinct (identity, object) pairs are V*S.
#ifndef ESX_BENCH_SYNC_WORLD_HPP
#define ESX_BENCH_SYNC_WORLD_HPP

#include <boost/json.hpp>

#include <cstdio>
#include <map>
#include <string>

namespace esx::bench {

struct sync_layout {
    int external_secrets = 10000;
    int vaults = 10;
    int secrets_per_vault = 100;
    int namespaces = 100;
    int entries = 3;
    /// The manifests as one file per namespace plus `stores.json` in a directory (`esx sync -f
    /// DIR`, as a GitOps repository holds them), or as one `List` file.
    bool file_per_namespace = true;
};

inline constexpr char const* bench_tenant = "bench-tenant";
inline constexpr char const* bench_client = "bench-client";
inline constexpr char const* bench_client_secret = "bench-client-secret";
inline constexpr char const* bench_suffix = "vault.esx.test";

inline std::string vault_name(int v) {
    char b[32];
    std::snprintf(b, sizeof b, "bench-v%d", v);
    return b;
}
inline std::string secret_name(int s) {
    char b[32];
    std::snprintf(b, sizeof b, "s%03d", s);
    return b;
}
inline std::string namespace_name(int n) {
    char b[32];
    std::snprintf(b, sizeof b, "ns%02d", n);
    return b;
}
/// The value of secret `s` in vault `v`: 40 bytes, distinct per object.
inline std::string secret_value(int v, int s) {
    char b[64];
    std::snprintf(b, sizeof b, "value-of-%s/%s-0123456789abcdef01234", vault_name(v).c_str(), secret_name(s).c_str());
    return b;
}

/// Mock Kubernetes: the namespaces and the service principal's credential Secret in `esx-system`.
inline std::string kube_seed(sync_layout const& l) {
    boost::json::array namespaces{"default", "esx-system"};
    for (int n = 0; n < l.namespaces; ++n) namespaces.push_back(boost::json::string(namespace_name(n)));
    boost::json::object credential{
        {"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "Opaque"},
        {"metadata", {{"name", "bench-sp"}, {"namespace", "esx-system"}}},
        {"stringData", {{"ClientID", bench_client}, {"ClientSecret", bench_client_secret}}}};
    return boost::json::serialize(boost::json::object{
        {"users", boost::json::array{boost::json::object{
                      {"name", "admin"}, {"token", "esx-admin-token"}, {"groups", boost::json::array{"system:masters"}}}}},
        {"namespaces", std::move(namespaces)},
        {"watch_window", 100},
        {"objects", boost::json::array{credential}}});
}

/// Mock Azure: V vaults of S secrets, one service principal with read access to all, no throttling.
inline std::string azure_seed(sync_layout const& l) {
    boost::json::array vaults, access;
    for (int v = 0; v < l.vaults; ++v) {
        boost::json::array secrets;
        for (int s = 0; s < l.secrets_per_vault; ++s)
            secrets.push_back({{"name", secret_name(s)}, {"versions", boost::json::array{{{"value", secret_value(v, s)}}}}});
        vaults.push_back({{"name", vault_name(v)},
                          {"tenant", bench_tenant},
                          {"throttle", {{"limit", 1000000000}, {"window_seconds", 1}}},
                          {"secrets", std::move(secrets)}});
        access.push_back({{"identity", bench_client}, {"vault", vault_name(v)}, {"secrets", boost::json::array{"get"}}});
    }
    return boost::json::serialize(boost::json::object{
        {"vault_suffix", bench_suffix},
        {"tenants", boost::json::array{bench_tenant}},
        {"service_principals", boost::json::array{{{"tenant", bench_tenant}, {"client_id", bench_client},
                                                   {"secrets", boost::json::array{bench_client_secret}}}}},
        {"vaults", std::move(vaults)},
        {"access", std::move(access)}});
}

/// The manifests both contenders read, as file name -> v1 `List`: V ClusterSecretStores (new SDK,
/// the loopback cloud) and E ExternalSecrets, in one file or one per namespace (see
/// `sync_layout::file_per_namespace`; the files sort in the ExternalSecrets' order). `authority`
/// is mock Entra ID's `https://127.0.0.1:P`.
inline std::map<std::string, std::string> manifests(sync_layout const& l, std::string const& authority,
                                                    unsigned short port) {
    auto list = [](boost::json::array items) {
        return boost::json::serialize(boost::json::object{{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(items)}});
    };
    std::map<std::string, std::string> files;
    std::map<std::string, boost::json::array> per_namespace;
    boost::json::array items;
    for (int v = 0; v < l.vaults; ++v) {
        auto selector = [](char const* key) {
            return boost::json::object{{"name", "bench-sp"}, {"namespace", "esx-system"}, {"key", key}};
        };
        items.push_back(boost::json::object{
            {"apiVersion", "external-secrets.io/v1"},
            {"kind", "ClusterSecretStore"},
            {"metadata", {{"name", "vault-" + std::to_string(v)}}},
            {"spec",
             {{"provider",
               {{"azurekv",
                 {{"tenantId", bench_tenant},
                  {"vaultUrl", "https://" + vault_name(v) + "." + bench_suffix + ":" + std::to_string(port)},
                  {"authSecretRef", {{"clientId", selector("ClientID")}, {"clientSecret", selector("ClientSecret")}}},
                  {"environmentType", "AzureStackCloud"},
                  {"useAzureSDK", true},
                  {"customCloudConfig",
                   {{"activeDirectoryEndpoint", authority + "/"}, {"keyVaultDNSSuffix", bench_suffix}}}}}}}}}});
    }
    int const per_namespace_count = (l.external_secrets + l.namespaces - 1) / l.namespaces;
    for (int i = 0; i < l.external_secrets; ++i) {
        int const v = i % l.vaults, m = i / l.vaults;
        boost::json::array data;
        for (int j = 0; j < l.entries; ++j)
            data.push_back({{"secretKey", "key-" + std::to_string(j)},
                            {"remoteRef", {{"key", secret_name((l.entries * m + j) % l.secrets_per_vault)}}}});
        std::string const name = "es-" + std::to_string(i);
        std::string const ns = namespace_name(i / per_namespace_count);
        boost::json::object es{
            {"apiVersion", "external-secrets.io/v1"},
            {"kind", "ExternalSecret"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"spec",
             {{"refreshInterval", "1h"},
              {"secretStoreRef", {{"kind", "ClusterSecretStore"}, {"name", "vault-" + std::to_string(v)}}},
              {"target", {{"name", name + "-secret"}, {"creationPolicy", "Owner"}}},
              {"data", std::move(data)}}}};
        (l.file_per_namespace ? per_namespace[ns] : items).push_back(std::move(es));
    }
    if (!l.file_per_namespace) {
        files["manifests.json"] = list(std::move(items));
        return files;
    }
    files["stores.json"] = list(std::move(items));
    for (auto& [ns, es] : per_namespace) files["ns-" + ns + ".json"] = list(std::move(es));
    return files;
}

} // namespace esx::bench

#endif
