// The pipeline tests' world: mock Kubernetes and mock Azure in-process over loopback TLS, with
// identities of each auth type, vaults shaped like ESO's Azure e2e fixtures, and helpers to
// read manifests, count requests and read Secrets back.
#ifndef ESX_TESTS_INTEGRATION_PIPELINE_WORLD_HPP
#define ESX_TESTS_INTEGRATION_PIPELINE_WORLD_HPP

#include <esx/esx.hpp>
#include <esx/testing/fake_clock.hpp>

#include "../../../mocks/azure/server.hpp"
#include "../../../mocks/kube/server.hpp"
#include "../../support/run.hpp"
#include "../../support/temp_dir.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace esx::pipeline_test {

namespace json = boost::json;

/// The metadata-fetch secret's times: created 2025-01-01, not before 2025-06-01, expires 2030-01-01.
inline constexpr std::int64_t created_at = 1735689600, not_before = 1748736000, expires_at = 1893456000;

inline json::object secret(std::string name, std::string value, json::object extra = {}) {
    json::object v{{"value", std::move(value)}};
    for (auto& [k, x] : extra) v[k] = x;
    return {{"name", std::move(name)}, {"versions", json::array{v}}};
}

struct world_options {
    bool many = false;  ///< add vault "many": 10,000 secrets plus adversarial names for `(a+)+$`
};

inline std::string kube_seed() {
    json::object sp{{"apiVersion", "v1"}, {"kind", "Secret"},
                    {"metadata", {{"name", "sp-creds"}, {"namespace", "apps"}}},
                    {"stringData", {{"ClientID", "sp-reader"}, {"ClientSecret", "sp-reader-secret"}}}};
    json::object limited{{"apiVersion", "v1"}, {"kind", "Secret"},
                         {"metadata", {{"name", "limited-creds"}, {"namespace", "apps"}}},
                         {"stringData", {{"ClientID", "sp-limited"}, {"ClientSecret", "sp-limited-secret"}}}};
    json::object sa{{"apiVersion", "v1"}, {"kind", "ServiceAccount"},
                    {"metadata", {{"name", "sync"}, {"namespace", "apps"},
                                  {"annotations", {{"azure.workload.identity/client-id", "wi-app"},
                                                   {"azure.workload.identity/tenant-id", "esx-tenant"}}}}}};
    return json::serialize(json::object{
        {"users", json::array{json::object{{"name", "admin"}, {"token", "esx-admin-token"},
                                           {"groups", json::array{"system:masters"}}}}},
        {"namespaces", json::array{"default", "apps", "team-a", "team-b", "other"}},
        {"objects", json::array{sp, limited, sa}}});
}

inline std::string azure_seed(mocks::kube::server const& cluster, world_options const& w) {
    std::string const dockerconfig_raw =
        R"({"dockerconfig": {"auths": {"https://index.docker.io/v1/":  {"auth":"c3R...zE2"}}}})";
    json::array secrets{
        secret("e2e-one", "bar"),
        secret("e2e-other", "bar"),
        secret("e2e-nested", R"({"name":{"first":"Tom","last":"Anderson"},"friends":[{"first":"Dale","last":"Murphy"},{"first":"Roger","last":"Craig"},{"first":"Jane","last":"Murphy"}]})"),
        secret("e2e-json", R"({ "name": "great-name", "surname": "great-surname" })"),
        secret("e2e-rewrite", R"({ "username": "myuser.name", "address": "happy street" })"),
        secret("e2e-prop-one", R"({"foo1":"foo1-val","bar1":"bar1-val"})"),
        secret("e2e-prop-two", R"({"foo2":"foo2-val","bar2":"bar2-val"})"),
        secret("e2e-docker", dockerconfig_raw),
        secret("e2e-docker-string",
               R"({"dockerconfig": "{\"auths\":{\"https://index.docker.io/v1/\": {\"auth\": \"c3R...zE2\"}}}"})"),
        secret("e2e-decoding",
               R"({ "name": "Z3JlYXQtbmFtZQ==", "surname": "Z3JlYXQtc3VybmFtZQ==", "address": "happy calm street No. 1" })"),
        secret("e2e-b64", "Z3JlYXQtbmFtZQ=="),
        secret("e2e-plain-text", "not json at all"),
        secret("e2e-metadata", "metadata-value",
               {{"tags", {{"tagname", "tagvalue"}, {"tagname2", "tagvalue2"}}},
                {"created", created_at}, {"updated", created_at}, {"nbf", not_before}, {"exp", expires_at}}),
        secret("e2e-find-name-one", R"({"foo1":"foo1-val"})", {{"tags", {{"test", "find"}}}}),
        secret("e2e-find-name-two", R"({"foo1":"foo1-val"})", {{"tags", {{"test", "find"}}}}),
        secret("e2e-find-name-three", R"({"foo1":"foo1-val"})", {{"tags", {{"test", "find"}}}}),
        secret("e2e-find-name-four", R"({"foo1":"hidden"})", {{"tags", {{"test", "find"}}}, {"enabled", false}}),
        secret("to-delete", "short-lived"),
        secret("nul-bytes", std::string("a\0b", 3)),
        secret("e2e-conversion", R"({"a b": "1", "x:y": "2"})"),
    };
    for (int i = 0; i < 100; ++i) secrets.push_back(secret("shared-" + std::to_string(i), "shared-value-" + std::to_string(i)));
    // 90 values of 24,000 bytes (Key Vault takes at most 25 KB per value): 2.1 MB together.
    for (int i = 0; i < 90; ++i) secrets.push_back(secret("bulk-" + std::to_string(i), std::string(24000, 'x')));

    json::array vaults{
        json::object{{"name", "kv1"},  // Azure vault names have 3-24 characters
                     {"secrets", secrets},
                     {"keys", json::array{json::object{{"name", "rsa-key"}, {"kty", "RSA"}, {"size", 2048}},
                                          json::object{{"name", "ec-key"}, {"kty", "EC"}, {"crv", "P-256"}}}},
                     {"certificates", json::array{json::object{{"name", "api-tls"}, {"subject", "CN=api.example.test"},
                                                               {"kty", "RSA"}, {"size", 2048}, {"validity_months", 12}}}}},
        json::object{{"name", "kv2"}, {"secrets", json::array{secret("second", "second-value")}}},
    };
    if (w.many) {
        json::array many;
        for (int i = 0; i < 10'000; ++i) many.push_back(secret("n-" + std::to_string(100000 + i), "v"));
        // 127 characters, the most Key Vault allows: `(a+)+$` backtracks exponentially on them
        // in a backtracking engine, and finds no match (they end with '-').
        for (int i = 0; i < 20; ++i) many.push_back(secret(std::string(124, 'a') + std::to_string(10 + i) + "-", "v"));
        many.push_back(secret(std::string(127, 'a'), "all-a"));
        vaults.push_back(json::object{{"name", "many"}, {"secrets", many}});
    }

    json::array access;
    for (char const* identity : {"sp-reader", "mi-system", "wi-app"})
        for (char const* vault : {"kv1", "kv2", "many"})
            access.push_back(json::object{{"identity", identity}, {"vault", vault},
                                          {"secrets", json::array{"get", "list"}},
                                          {"keys", json::array{"get", "list"}},
                                          {"certificates", json::array{"get", "list"}}});
    for (char const* vault : {"kv1", "kv2"})
        access.push_back(json::object{{"identity", "sp-admin"}, {"vault", vault}, {"secrets", json::array{"all"}}, {"keys", json::array{"get", "list"}}, {"certificates", json::array{"get", "list"}}});
    if (!w.many) {
        json::array kept;
        for (auto& a : access)
            if (a.as_object().at("vault") != "many") kept.push_back(a);
        access = std::move(kept);
    }
    auto const subject = std::string("system:serviceaccount:apps:sync");
    json::object seed{
        {"vault_suffix", "vault.azure.net"},
        {"tenants", json::array{"esx-tenant"}},
        {"service_principals",
         json::array{json::object{{"client_id", "sp-reader"}, {"secrets", json::array{"sp-reader-secret"}}},
                     json::object{{"client_id", "sp-limited"}, {"secrets", json::array{"sp-limited-secret"}}},
                     json::object{{"client_id", "sp-admin"}, {"secrets", json::array{"sp-admin-secret"}}},
                     json::object{{"client_id", "wi-app"},
                                  {"federated_credentials",
                                   json::array{json::object{{"issuer", cluster.issuer()}, {"subject", subject}}}}}}},
        {"issuers", json::array{json::object{{"issuer", cluster.issuer()}, {"jwks", json::parse(cluster.jwks_json())}}}},
        {"managed_identities", json::array{json::object{{"client_id", "mi-system"}, {"system_assigned", true}}}},
        {"vaults", vaults},
        {"access", access},
    };
    return json::serialize(seed);
}

/// Both mocks, seeded; plus what a runtime needs to reach them.
struct world {
    explicit world(world_options o = {})
        : kube([] {
              mocks::kube::options k;
              k.seed_json = kube_seed();
              return k;
          }()),
          azure([&] {
              mocks::azure::options a;
              a.seed_json = azure_seed(kube, o);
              return a;
          }()) {
        env_["AZURE_AUTHORITY_HOST"] = azure.authority() + "/";
    }

    mocks::kube::server kube;
    mocks::azure::server azure;

    std::string vault_url(std::string const& name) const { return azure.vault_url(name); }

    /// Options for a runtime that reaches both mocks: the mock cluster's kubeconfig, the mock
    /// Azure CA, vault hosts resolved to loopback, IMDS on the mock, `AZURE_AUTHORITY_HOST`.
    runtime_options options(bool allow_controller_identity = false) const {
        runtime_options o;
        o.kubeconfig = kube.kubeconfig_file().string();
        o.ca_pem = azure.ca_pem();
        o.trust_system_store = false;
        for (auto const& v : azure.vault_names()) {
            auto url = azure.vault_url(v);
            o.resolve[url.substr(std::string_view("https://").size())] = "127.0.0.1";
        }
        o.imds_endpoint = azure.imds_url() + "/metadata/identity/oauth2/token";
        o.allow_controller_identity = allow_controller_identity;
        auto env = std::make_shared<std::map<std::string, std::string>>(env_);
        o.getenv = [env](char const* name) -> char const* {
            auto it = env->find(name);
            return it == env->end() ? nullptr : it->second.c_str();
        };
        o.logger = log::logger(log::level::off);
        return o;
    }

    /// The stores every test may use, in namespace `apps`, vault `kv1` (SecretStores) plus
    /// ClusterSecretStores. `legacy`: `useAzureSDK` false.
    std::string stores_yaml() const {
        std::string const kv = vault_url("kv1"), kv2 = vault_url("kv2");
        std::string out;
        auto sp = [&](std::string name, std::string url, bool sdk, std::string creds = "sp-creds") {
            out += "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: " + name +
                   ", namespace: apps}\nspec:\n  provider:\n    azurekv:\n      tenantId: esx-tenant\n      vaultUrl: \"" + url +
                   "\"\n      useAzureSDK: " + (sdk ? "true" : "false") + "\n      authSecretRef:\n        clientId: {name: " +
                   creds + ", key: ClientID}\n        clientSecret: {name: " + creds + ", key: ClientSecret}\n";
        };
        sp("kv", kv, false);
        sp("kv-sdk", kv, true);
        sp("kv2", kv2, false);
        sp("limited", kv, false, "limited-creds");
        out += "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: wi, namespace: apps}\nspec:\n"
               "  provider:\n    azurekv:\n      authType: WorkloadIdentity\n      vaultUrl: \"" + kv +
               "\"\n      serviceAccountRef: {name: sync}\n";
        out += "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: mi, namespace: apps}\nspec:\n"
               "  provider:\n    azurekv:\n      authType: ManagedIdentity\n      vaultUrl: \"" + kv + "\"\n";
        out += "---\napiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata: {name: cluster-mi}\nspec:\n"
               "  provider:\n    azurekv:\n      authType: ManagedIdentity\n      vaultUrl: \"" + kv + "\"\n"
               "  conditions:\n  - namespaces: [team-a]\n  - namespaceRegexes: [\"^team-b$\"]\n";
        return out;
    }

    /// `yaml` plus the stores, read as a manifest set; every document must be valid.
    spec::manifest_set manifests(std::string const& yaml) const {
        auto set = spec::read_manifests(stores_yaml() + "---\n" + yaml, "test.yaml");
        BOOST_REQUIRE_MESSAGE(set, (set ? "" : set.error().what()));
        for (auto const& e : set->errors) BOOST_ERROR("document " << e.index << " (" << e.kind << " " << e.name << "): " << e.error.what());
        return std::move(*set);
    }

    /// Key Vault object reads answered (not challenges, not listings).
    std::size_t vault_reads() const {
        std::size_t n = 0;
        for (auto const& r : azure.requests())
            if (r.service == "vault" && r.method == "GET" && r.status != 401 && !is_listing(r.path)) ++n;
        return n;
    }
    std::size_t vault_reads_of(std::string const& path_prefix, std::string const& identity = {}) const {
        std::size_t n = 0;
        for (auto const& r : azure.requests())
            if (r.service == "vault" && r.method == "GET" && r.status != 401 && r.path.starts_with(path_prefix) &&
                (identity.empty() || r.identity == identity))
                ++n;
        return n;
    }
    std::size_t list_pages(std::string const& identity = {}) const {
        std::size_t n = 0;
        for (auto const& r : azure.requests())
            if (r.service == "vault" && r.method == "GET" && r.status != 401 && is_listing(r.path) &&
                (identity.empty() || r.identity == identity))
                ++n;
        return n;
    }
    std::size_t token_requests(std::string const& identity = {}) const {
        std::size_t n = 0;
        for (auto const& r : azure.requests())
            if (((r.service == "aad" && r.path.ends_with("/oauth2/v2.0/token")) || r.service == "imds") &&
                (identity.empty() || r.identity == identity))
                ++n;
        return n;
    }
    static bool is_listing(std::string const& path) {
        return path == "/secrets" || path == "/keys" || path == "/certificates" || path.ends_with("/versions");
    }

    /// Kubernetes requests whose path starts with `prefix` (and method, if given).
    std::size_t kube_requests(std::string const& prefix, std::string const& method = {}) const {
        std::size_t n = 0;
        for (auto const& r : kube.requests())
            if (r.path.starts_with(prefix) && (method.empty() || r.method == method)) ++n;
        return n;
    }

    /// A Secret from the mock cluster as JSON (through a fresh esx kube client), or null.
    std::optional<json::object> secret_in_cluster(std::string const& ns, std::string const& name) const {
        auto cfg = kube::config::from_kubeconfig({.paths = kube.kubeconfig_file().string(), .context = {}, .env = {}});
        BOOST_REQUIRE(cfg);
        boost::asio::io_context ioc;
        kube::client<> c(ioc.get_executor(), std::move(*cfg));
        auto r = test::run(ioc, c.get(kube::resources::secrets, ns, name));
        if (!r) return std::nullopt;
        return std::move(*r);
    }

    /// One data key of a Secret, decoded.
    static std::string data_of(json::object const& secret, std::string const& key) {
        auto const* d = secret.if_contains("data");
        if (!d || !d->is_object()) return "<no data>";
        auto const* v = d->as_object().if_contains(key);
        if (!v || !v->is_string()) return "<no key " + key + ">";
        auto decoded = kube::detail::base64_decode(v->as_string());
        return decoded ? *decoded : "<bad base64>";
    }

    /// A service-account token from the mock cluster (TokenRequest), as a projected token file holds.
    std::string service_account_token(std::string const& ns, std::string const& name, std::string const& audience) const {
        auto cfg = kube::config::from_kubeconfig({.paths = kube.kubeconfig_file().string(), .context = {}, .env = {}});
        BOOST_REQUIRE(cfg);
        boost::asio::io_context ioc;
        kube::client<> c(ioc.get_executor(), std::move(*cfg));
        kube::token_request_options o;
        o.audiences = {audience};
        auto t = test::run(ioc, c.create_token(ns, name, o));
        BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
        return std::string(t->token.reveal());
    }

    /// Runs kubectl as a user would: private HOME, the mock's kubeconfig; stdout.
    std::string kubectl(std::string const& args) const {
        test::temp_dir home;
        std::string cmd = "HOME=" + home.path.string() + " KUBECONFIG=" + kube.kubeconfig_file().string() +
                          " kubectl " + args + " 2>&1";
        std::string out;
        if (FILE* p = ::popen(cmd.c_str(), "r")) {
            char buf[4096];
            while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
            ::pclose(p);
        }
        return out;
    }

    std::map<std::string, std::string> env_;
};

/// A Key Vault client with every permission on `vault` (to change remote data mid-test).
struct vault_admin {
    vault_admin(world const& w, std::string const& vault)
        : https(ioc.get_executor(), [&] {
              transport::options o;
              o.ca_pem = w.azure.ca_pem();
              auto url = w.vault_url(vault);
              o.resolve[url.substr(std::string_view("https://").size())] = "127.0.0.1";
              o.proxy = transport::proxy_settings{};
              return o;
          }()),
          auth([&] {
              auth::service_principal_options o;
              o.tenant_id = "esx-tenant";
              o.client_id = "sp-admin";
              o.credential = auth::client_secret{secret_bytes("sp-admin-secret")};
              o.cloud = {"PublicCloud", w.azure.authority() + "/", "vault.azure.net", "https://vault.azure.net"};
              return auth::service_principal<>::make(std::move(o)).value();
          }()),
          client(keyvault::client<auth::service_principal<>, transport::https>::make(
                     auth, https, {"PublicCloud", w.azure.authority() + "/", "vault.azure.net", "https://vault.azure.net"},
                     w.vault_url(vault))
                     .value()) {}

    /// Sets a new version of `name`; returns the version's id.
    std::string set(std::string const& name, std::string const& value) {
        auto r = test::run(ioc, client.set_secret(name, secret_bytes(value)));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        return r->version;
    }
    void remove(std::string const& name) {
        auto r = test::run(ioc, client.delete_secret(name));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    }
    json::object bundle(std::string const& collection, std::string const& name) {
        auto r = test::run(ioc, client.get_bundle(collection, name));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        return std::move(*r);
    }

    boost::asio::io_context ioc;
    transport::https https;
    auth::service_principal<> auth;
    keyvault::client<auth::service_principal<>, transport::https> client;
};

} // namespace esx::pipeline_test

#endif
