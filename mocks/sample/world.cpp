#include "mocks/sample/world.hpp"

#include <boost/json.hpp>

namespace esx::mocks::sample {
namespace {

namespace json = boost::json;
using ids = identities;

std::string kube_seed() {
    json::object sp_secret{{"apiVersion", "v1"}, {"kind", "Secret"},
                           {"metadata", {{"name", ids::sp_secret}, {"namespace", ids::namespace_}}},
                           {"type", "Opaque"},
                           {"stringData", {{"ClientID", ids::service_principal}, {"ClientSecret", "sample-sp-secret"}}}};
    json::object service_account{
        {"apiVersion", "v1"}, {"kind", "ServiceAccount"},
        {"metadata", {{"name", ids::service_account}, {"namespace", ids::namespace_},
                      {"annotations", {{"azure.workload.identity/client-id", ids::workload_identity},
                                       {"azure.workload.identity/tenant-id", ids::tenant}}}}}};
    return json::serialize(json::object{
        {"users", json::array{json::object{{"name", "admin"}, {"token", "esx-admin-token"},
                                           {"groups", json::array{"system:masters"}}}}},
        {"namespaces", json::array{"default", "kube-system"}},
        {"objects", json::array{sp_secret, service_account}}});
}

std::string azure_seed(kube::server const& cluster) {
    auto const subject = std::string("system:serviceaccount:") + ids::namespace_ + ":" + ids::service_account;
    json::object seed{
        {"vault_suffix", "vault.esx.test"},
        {"tenants", json::array{ids::tenant}},
        {"service_principals",
         json::array{json::object{{"client_id", ids::service_principal}, {"secrets", json::array{"sample-sp-secret"}}},
                     json::object{{"client_id", ids::workload_identity},
                                  {"federated_credentials",
                                   json::array{json::object{{"issuer", cluster.issuer()}, {"subject", subject}}}}}}},
        {"issuers", json::array{json::object{{"issuer", cluster.issuer()}, {"jwks", json::parse(cluster.jwks_json())}}}},
        {"managed_identities",
         json::array{json::object{{"client_id", ids::managed_identity}, {"system_assigned", true}}}},
        {"vaults",
         json::array{json::object{
             {"name", ids::vault},
             {"secrets", json::array{json::object{
                             {"name", "dev-secret-test"},
                             {"versions", json::array{json::object{{"value", "Hello from Azure Key Vault"},
                                                                   {"contentType", "text/plain"},
                                                                   {"tags", {{"env", "dev"}}}}}}}}},
             {"keys", json::array{json::object{{"name", "dev-key-test"}, {"kty", "RSA"}, {"size", 2048}}}},
             {"certificates", json::array{json::object{{"name", "dev-cert-test"},
                                                       {"subject", "CN=dev-cert-test.example.com, O=esx sample"},
                                                       {"kty", "RSA"}, {"size", 2048}, {"validity_months", 12}}}}}}},
    };
    json::array access;
    for (char const* identity : {ids::service_principal, ids::managed_identity, ids::workload_identity})
        access.push_back(json::object{{"identity", identity}, {"vault", ids::vault},
                                      {"secrets", json::array{"get", "list"}},
                                      {"keys", json::array{"get", "list"}},
                                      {"certificates", json::array{"get", "list"}}});
    seed["access"] = std::move(access);
    return json::serialize(seed);
}

kube::options kube_options() {
    kube::options o;
    o.seed_json = kube_seed();
    return o;
}

} // namespace

world::world() : kube(kube_options()), azure([this] {
                     azure::options o;
                     o.seed_json = azure_seed(kube);
                     return o;
                 }()) {}

std::size_t world::token_requests() const {
    std::size_t n = 0;
    for (auto const& r : azure.requests())
        if ((r.service == "aad" && r.path.ends_with("/oauth2/v2.0/token")) || r.service == "imds") ++n;
    return n;
}

} // namespace esx::mocks::sample
