// From a store to a policy: credential resolution with ESO's order, messages and namespace
// rules (against a Kubernetes double), and workload identity through a real TokenRequest at
// the mock Kubernetes API server, exchanged at the mock Entra ID that trusts its issuer.
#include "support.hpp"

#include <esx/auth/kube_client_access.hpp>
#include <esx/kube/client.hpp>

#include "../../../mocks/kube/server.hpp"

using namespace esx::auth_test;
namespace spec = esx::spec;

namespace {

// A Kubernetes double: Secrets and ServiceAccounts in memory; records what was read.
struct fake_kube {
    using key_t = std::pair<std::string, std::string>;
    std::map<key_t, std::map<std::string, std::string>> secrets;
    std::map<key_t, std::map<std::string, std::string>> service_accounts; // annotations
    std::vector<std::string> calls;

    net::awaitable<esx::result<std::optional<esx::secret_bytes>, esx::failure>> read_secret_key(std::string ns,
                                                                                               std::string name,
                                                                                               std::string key) {
        calls.push_back("secret " + ns + "/" + name);
        auto it = secrets.find({ns, name});
        if (it == secrets.end())
            co_return esx::failure{esx::make_http_error(404), "secrets \"" + name + "\" not found", "NotFound"};
        auto k = it->second.find(key);
        if (k == it->second.end()) co_return std::optional<esx::secret_bytes>{};
        co_return std::optional<esx::secret_bytes>(esx::secret_bytes(k->second));
    }
    net::awaitable<esx::result<std::map<std::string, std::string>, esx::failure>>
    service_account_annotations(std::string ns, std::string name) {
        calls.push_back("serviceaccount " + ns + "/" + name);
        auto it = service_accounts.find({ns, name});
        if (it == service_accounts.end())
            co_return esx::failure{esx::make_http_error(404), "serviceaccounts \"" + name + "\" not found", "NotFound"};
        co_return it->second;
    }
    net::awaitable<esx::result<esx::secret_bytes, esx::failure>>
    request_service_account_token(std::string ns, std::string name, std::vector<std::string> audiences) {
        std::string line = "token " + ns + "/" + name;
        for (auto const& a : audiences) line += " " + a;
        calls.push_back(line);
        co_return esx::secret_bytes("sa-token-for-" + name);
    }
};
static_assert(esx::auth::kube_access<fake_kube>);

std::string const client_secret_value = "s3cr3t-value-5b9d";

spec::secret_key_selector ref(std::string name, std::string key, std::optional<std::string> ns = std::nullopt) {
    return {std::move(name), std::move(key), std::move(ns)};
}

spec::secret_store store(spec::store_kind kind, spec::azurekv_provider p, std::string ns = "apps") {
    spec::secret_store s;
    s.api_version = "external-secrets.io/v1";
    s.kind = kind;
    s.metadata.name = "azure";
    if (kind == spec::store_kind::secret_store) s.metadata.namespace_ = std::move(ns);
    s.spec.provider = std::move(p);
    return s;
}

spec::azurekv_provider sp_provider(std::optional<std::string> ns = std::nullopt) {
    spec::azurekv_provider p;
    p.auth_type = spec::azure_auth_type::service_principal;
    p.vault_url = "https://v1.vault.esx.test";
    p.tenant_id = "esx-tenant";
    p.auth_secret_ref = spec::azurekv_auth_secret_ref{ref("creds", "client-id", ns), ref("creds", "client-secret", ns),
                                                      std::nullopt, std::nullopt};
    return p;
}

fake_kube kube_with_creds(std::initializer_list<std::string> namespaces) {
    fake_kube k;
    for (auto const& ns : namespaces)
        k.secrets[{ns, "creds"}] = {{"client-id", "esx-client"}, {"client-secret", client_secret_value}};
    return k;
}

esx::result<esx::auth::service_principal_options, esx::failure> resolve_sp(fake_kube& k, spec::secret_store const& s,
                                                                          std::string es_namespace = {}) {
    auto scope = esx::auth::credential_scope::of(s, es_namespace);
    return esx::test::run(esx::auth::service_principal_credentials(k, s.spec.provider, scope, esx::clouds::public_cloud()));
}

esx::result<esx::auth::workload_identity_options, esx::failure>
resolve_wi(std::shared_ptr<fake_kube> k, spec::secret_store const& s, std::string es_namespace = {},
           esx::auth::getenv_function env = [](char const*) -> char const* { return nullptr; }) {
    auto scope = esx::auth::credential_scope::of(s, es_namespace);
    return esx::test::run(
        esx::auth::workload_identity_credentials(k, s.spec.provider, scope, esx::clouds::public_cloud(), env));
}

spec::azurekv_provider wi_provider(std::optional<std::string> sa_ns = std::nullopt) {
    spec::azurekv_provider p;
    p.auth_type = spec::azure_auth_type::workload_identity;
    p.vault_url = "https://v1.vault.esx.test";
    p.service_account_ref = spec::service_account_selector{"sync", std::move(sa_ns), {}};
    return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(auth)
BOOST_AUTO_TEST_SUITE(store_credentials_rules)

BOOST_AUTO_TEST_CASE(namespaced_store_reads_only_its_own_namespace) {
    auto k = kube_with_creds({"apps", "kube-system"});
    auto ok = resolve_sp(k, store(spec::store_kind::secret_store, sp_provider()), "apps");
    BOOST_REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().what()));
    BOOST_TEST(ok->client_id == "esx-client");
    BOOST_TEST(ok->tenant_id == "esx-tenant");
    BOOST_TEST((std::get<esx::auth::client_secret>(ok->credential).value == esx::secret_bytes(client_secret_value)));
    std::vector<std::string> const expected{"secret apps/creds", "secret apps/creds"};
    BOOST_TEST(k.calls == expected, boost::test_tools::per_element());

    // Naming its own namespace is fine; naming another is refused before anything is read.
    k.calls.clear();
    BOOST_TEST(resolve_sp(k, store(spec::store_kind::secret_store, sp_provider("apps")), "apps").has_value());
    k.calls.clear();
    auto other = resolve_sp(k, store(spec::store_kind::secret_store, sp_provider("kube-system")), "apps");
    BOOST_REQUIRE(!other);
    BOOST_TEST(other.error().what() ==
               "spec.provider.azurekv.authSecretRef.clientId.namespace: namespace should either be empty or match the "
               "namespace of the SecretStore for a namespaced SecretStore");
    BOOST_TEST(k.calls.empty());
}

BOOST_AUTO_TEST_CASE(cluster_store_reads_the_reference_or_the_external_secret_namespace) {
    auto k = kube_with_creds({"shared", "team-a"});
    auto named = resolve_sp(k, store(spec::store_kind::cluster_secret_store, sp_provider("shared")), "team-a");
    BOOST_REQUIRE(named);
    BOOST_TEST(k.calls.front() == "secret shared/creds");

    k.calls.clear(); // referent authentication: no namespace in the reference
    auto referent = resolve_sp(k, store(spec::store_kind::cluster_secret_store, sp_provider()), "team-a");
    BOOST_REQUIRE(referent);
    BOOST_TEST(k.calls.front() == "secret team-a/creds");

    k.calls.clear(); // validating the store itself: there is no ExternalSecret namespace
    auto alone = resolve_sp(k, store(spec::store_kind::cluster_secret_store, sp_provider()));
    BOOST_REQUIRE(!alone);
    BOOST_TEST(alone.error().what().find("namespace is required") != std::string::npos);
    BOOST_TEST(k.calls.empty());
}

BOOST_AUTO_TEST_CASE(eso_messages_for_incomplete_service_principals) {
    auto k = kube_with_creds({"apps"});
    auto expect = [&](spec::azurekv_provider p, std::string const& message) {
        auto r = resolve_sp(k, store(spec::store_kind::secret_store, std::move(p)), "apps");
        BOOST_REQUIRE(!r);
        BOOST_TEST(r.error().what() == message);
        BOOST_TEST((r.error() == esx::condition::invalid_input));
    };
    auto p = sp_provider();
    p.tenant_id.reset();
    expect(p, "missing tenantID in store config");
    p = sp_provider();
    p.auth_secret_ref.reset();
    expect(p, "missing secretRef in provider config");
    p = sp_provider();
    p.auth_secret_ref->client_id.reset();
    expect(p, "missing accessKeyID/secretAccessKey in store config");
    p = sp_provider();
    p.auth_secret_ref->client_secret.reset();
    expect(p, "missing accessKeyID/secretAccessKey in store config");
    p = sp_provider();
    p.auth_secret_ref->client_certificate = ref("creds", "tls.pem");
    expect(p, "both clientSecret and clientCredentials set");
}

BOOST_AUTO_TEST_CASE(missing_secret_or_key) {
    fake_kube k;
    auto none = resolve_sp(k, store(spec::store_kind::secret_store, sp_provider()), "apps");
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().what() ==
               "cannot get Kubernetes secret \"creds\" from namespace \"apps\": secrets \"creds\" not found");
    BOOST_TEST((none.error() == esx::condition::not_found));
    k.secrets[{"apps", "creds"}] = {{"client-id", "esx-client"}};
    auto no_key = resolve_sp(k, store(spec::store_kind::secret_store, sp_provider()), "apps");
    BOOST_REQUIRE(!no_key);
    BOOST_TEST(no_key.error().what() == "cannot find secret data for key: \"client-secret\"");
    BOOST_REQUIRE(!no_key.error().causes.empty());
    BOOST_TEST(no_key.error().causes[0].field == "spec.provider.azurekv.authSecretRef.clientSecret.key");
}

BOOST_AUTO_TEST_CASE(certificate_secret_is_loaded_and_its_errors_hide_the_data) {
    fake_kube k;
    k.secrets[{"apps", "creds"}] = {{"client-id", "cert-app"},
                                    {"tls.pem", keys().client.cert_pem + keys().client.key_pem},
                                    {"broken.pem", keys().client.cert_pem}};
    auto p = sp_provider();
    p.auth_secret_ref->client_secret.reset();
    p.auth_secret_ref->client_certificate = ref("creds", "tls.pem");
    auto ok = resolve_sp(k, store(spec::store_kind::secret_store, p), "apps");
    BOOST_REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().what()));
    BOOST_TEST(std::holds_alternative<esx::auth::client_certificate>(ok->credential));
    p.auth_secret_ref->client_certificate = ref("creds", "broken.pem");
    auto bad = resolve_sp(k, store(spec::store_kind::secret_store, p), "apps");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().what().find("no private key found in PEM file") != std::string::npos);
    BOOST_TEST(free_of(bad.error().what(), {"BEGIN", "MII"}));
}

BOOST_AUTO_TEST_CASE(controller_identities_need_a_cluster_store_or_an_opt_in) {
    spec::azurekv_provider p;
    p.auth_type = spec::azure_auth_type::managed_identity;
    p.identity_id = "mi-user";
    auto namespaced = esx::auth::credential_scope::of(store(spec::store_kind::secret_store, p), "apps");
    auto refused = esx::auth::managed_identity_credentials(p, namespaced);
    BOOST_REQUIRE(!refused);
    BOOST_TEST(refused.error().what().find("not allowed in a namespaced SecretStore") != std::string::npos);
    namespaced.allow_controller_identity = true;
    BOOST_TEST(esx::auth::managed_identity_credentials(p, namespaced).value().identity_id.value() == "mi-user");
    auto cluster = esx::auth::credential_scope::of(store(spec::store_kind::cluster_secret_store, p), "apps");
    BOOST_TEST(esx::auth::managed_identity_credentials(p, cluster).has_value());

    // WorkloadIdentity without serviceAccountRef is the controller's mounted token.
    auto k = std::make_shared<fake_kube>();
    auto wi = wi_provider();
    wi.service_account_ref.reset();
    auto mounted = resolve_wi(k, store(spec::store_kind::secret_store, wi), "apps");
    BOOST_REQUIRE(!mounted);
    BOOST_TEST(mounted.error().what().find("not allowed in a namespaced SecretStore") != std::string::npos);
    auto no_env = resolve_wi(k, store(spec::store_kind::cluster_secret_store, wi), "apps");
    BOOST_REQUIRE(!no_env);
    BOOST_TEST(no_env.error().what() == "missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and "
                                        "AZURE_FEDERATED_TOKEN_FILE must be set");
}

BOOST_AUTO_TEST_CASE(workload_identity_client_and_tenant_in_eso_order) {
    auto k = std::make_shared<fake_kube>();
    k->service_accounts[{"apps", "sync"}] = {{"azure.workload.identity/client-id", "wi-app"}};
    k->secrets[{"apps", "ids"}] = {{"client-id", "from-secret"}, {"tenant-id", "secret-tenant"}};
    auto const ss = spec::store_kind::secret_store;

    // Client from the annotation, tenant from the spec; the TokenRequest asks for
    // api://AzureADTokenExchange plus the extra audiences, in the store's namespace.
    auto p = wi_provider();
    p.tenant_id = "esx-tenant";
    p.service_account_ref->audiences = {"api://extra"};
    auto ok = resolve_wi(k, store(ss, p), "apps");
    BOOST_REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().what()));
    BOOST_TEST(ok->client_id == "wi-app");
    BOOST_TEST(ok->tenant_id == "esx-tenant");
    auto assertion = esx::test::run(ok->assertion());
    BOOST_REQUIRE(assertion);
    BOOST_TEST(assertion->reveal() == "sa-token-for-sync");
    BOOST_TEST(k->calls.back() == "token apps/sync api://AzureADTokenExchange api://extra");

    // Tenant from the annotation alone; then from the environment.
    k->service_accounts[{"apps", "sync"}]["azure.workload.identity/tenant-id"] = "annotated-tenant";
    p.tenant_id.reset();
    BOOST_TEST(resolve_wi(k, store(ss, p), "apps").value().tenant_id == "annotated-tenant");
    auto both_tenants = p;
    both_tenants.tenant_id = "esx-tenant";
    auto multi_tenant = resolve_wi(k, store(ss, both_tenants), "apps");
    BOOST_REQUIRE(!multi_tenant);
    BOOST_TEST(multi_tenant.error().what() ==
               "multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef");
    k->service_accounts[{"apps", "sync"}].erase("azure.workload.identity/tenant-id");
    auto env = [](char const* n) -> char const* {
        return std::string_view(n) == "AZURE_TENANT_ID" ? "env-tenant" : nullptr;
    };
    BOOST_TEST(resolve_wi(k, store(ss, p), "apps", env).value().tenant_id == "env-tenant");
    auto no_tenant = resolve_wi(k, store(ss, p), "apps");
    BOOST_REQUIRE(!no_tenant);
    BOOST_TEST(no_tenant.error().what() == "missing tenantID in store config");

    // Client id from a Secret as well as the annotation: ESO refuses the ambiguity.
    p.tenant_id = "esx-tenant";
    p.auth_secret_ref = spec::azurekv_auth_secret_ref{ref("ids", "client-id"), std::nullopt, std::nullopt, std::nullopt};
    auto multi_client = resolve_wi(k, store(ss, p), "apps");
    BOOST_REQUIRE(!multi_client);
    BOOST_TEST(multi_client.error().what() == "multiple clientID found. Check secretRef and serviceAccountRef");
    // Secret only: fine, and the Secret's tenant wins over the spec.
    k->service_accounts[{"apps", "sync"}].erase("azure.workload.identity/client-id");
    p.auth_secret_ref->tenant_id = ref("ids", "tenant-id");
    auto from_secret = resolve_wi(k, store(ss, p), "apps");
    BOOST_REQUIRE_MESSAGE(from_secret, (from_secret ? "" : from_secret.error().what()));
    BOOST_TEST(from_secret->client_id == "from-secret");
    BOOST_TEST(from_secret->tenant_id == "secret-tenant");
    // authSecretRef without clientId.
    p.auth_secret_ref->client_id.reset();
    auto no_client_ref = resolve_wi(k, store(ss, p), "apps");
    BOOST_REQUIRE(!no_client_ref);
    BOOST_TEST(no_client_ref.error().what() == "missing accessKeyID/secretAccessKey in store config");
    // Neither.
    p.auth_secret_ref.reset();
    auto no_client = resolve_wi(k, store(ss, p), "apps");
    BOOST_REQUIRE(!no_client);
    BOOST_TEST(no_client.error().what() == "missing clientID: either serviceAccountRef or service account annotation "
                                           "'azure.workload.identity/client-id' is missing");
}

BOOST_AUTO_TEST_CASE(workload_identity_service_account_namespace_rules) {
    auto k = std::make_shared<fake_kube>();
    k->service_accounts[{"team-a", "sync"}] = {{"azure.workload.identity/client-id", "wi-app"},
                                               {"azure.workload.identity/tenant-id", "esx-tenant"}};
    k->service_accounts[{"shared", "sync"}] = k->service_accounts[{"team-a", "sync"}];
    auto other = resolve_wi(k, store(spec::store_kind::secret_store, wi_provider("shared"), "team-a"), "team-a");
    BOOST_REQUIRE(!other);
    BOOST_TEST(other.error().what() ==
               "spec.provider.azurekv.serviceAccountRef.namespace: namespace should either be empty or match the "
               "namespace of the SecretStore for a namespaced SecretStore");
    BOOST_TEST(k->calls.empty());
    BOOST_TEST(resolve_wi(k, store(spec::store_kind::cluster_secret_store, wi_provider("shared")), "team-a").has_value());
    BOOST_TEST(k->calls.back() == "serviceaccount shared/sync");
    BOOST_TEST(resolve_wi(k, store(spec::store_kind::cluster_secret_store, wi_provider()), "team-a").has_value());
    BOOST_TEST(k->calls.back() == "serviceaccount team-a/sync");
    auto missing = resolve_wi(k, store(spec::store_kind::cluster_secret_store, wi_provider()), "nowhere");
    BOOST_REQUIRE(!missing);
    BOOST_TEST(missing.error().what() == "serviceaccounts \"sync\" not found");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_request_exchange)

std::string kube_seed() {
    boost::json::array objects{
        boost::json::object{{"apiVersion", "v1"}, {"kind", "ServiceAccount"},
                            {"metadata", {{"name", "sync"}, {"namespace", "apps"},
                                          {"annotations", {{"azure.workload.identity/client-id", "wi-app"},
                                                           {"azure.workload.identity/tenant-id", "esx-tenant"}}}}}},
        boost::json::object{{"apiVersion", "v1"}, {"kind", "ServiceAccount"},
                            {"metadata", {{"name", "lonely"}, {"namespace", "apps"},
                                          {"annotations", {{"azure.workload.identity/client-id", "wi-app"},
                                                           {"azure.workload.identity/tenant-id", "esx-tenant"}}}}}},
        boost::json::object{{"apiVersion", "v1"}, {"kind", "Secret"},
                            {"metadata", {{"name", "sp-creds"}, {"namespace", "apps"}}},
                            {"stringData", {{"ClientID", "esx-client"}, {"ClientSecret", "esx-secret"}}}},
    };
    boost::json::object seed{
        {"users", boost::json::array{boost::json::object{{"name", "admin"}, {"token", "esx-admin-token"}}}},
        {"namespaces", boost::json::array{"default", "apps"}},
        {"objects", std::move(objects)},
    };
    return boost::json::serialize(seed);
}

esx::mocks::kube::options kube_options() {
    esx::mocks::kube::options o;
    o.seed_json = kube_seed();
    return o;
}

using client_t = esx::kube::client<>;
using access_t = esx::auth::kube_client_access<client_t>;
using all_t = esx::auth::any_of<esx::auth::service_principal<>, esx::auth::managed_identity<>,
                                esx::auth::workload_identity<>>;

struct both_mocks : azure_fixture {
    esx::mocks::kube::server kube{kube_options()};
    esx::auth::store_auth_context<access_t> ctx;

    both_mocks() {
        esx::kube::config c;
        c.server = kube.url();
        c.ca_pem = kube.ca_pem();
        c.token = esx::kube::token_source::fixed(esx::secret_bytes(kube.token()));
        ctx.kube = std::make_shared<access_t>(std::make_shared<client_t>(ioc.get_executor(), std::move(c)));
        ctx.getenv = [](char const*) -> char const* { return nullptr; };
        trust_kube_issuer();
    }

    // Mock Azure trusts the mock Kubernetes issuer (its JWKS, fetched over TLS) for wi-app's
    // federated credential with subject system:serviceaccount:apps:sync.
    void trust_kube_issuer() {
        esx::transport::options o;
        o.ca_pem = kube.ca_pem();
        esx::transport::https t(ioc.get_executor(), o);
        esx::transport::request req;
        req.url = kube.jwks_uri();
        auto r = run(t.send(std::move(req)));
        BOOST_REQUIRE(r && r->result_int() == 200);
        boost::json::object issuer{{"issuer", kube.issuer()}, {"jwks", boost::json::parse(r->body())}};
        azure.add_issuer(boost::json::serialize(issuer));
        boost::json::object fed{{"client_id", "wi-app"}, {"issuer", kube.issuer()},
                                {"subject", "system:serviceaccount:apps:sync"},
                                {"audiences", boost::json::array{"api://AzureADTokenExchange"}}};
        azure.add_federated_credential(boost::json::serialize(fed));
    }

    spec::secret_store wi_store(std::string sa) {
        auto p = wi_provider();
        p.service_account_ref->name = std::move(sa);
        p.use_azure_sdk = true;
        p.custom_cloud_config = esx::custom_cloud_config{azure.authority() + "/", std::nullopt, suffix, std::nullopt};
        return store(spec::store_kind::secret_store, p, "apps");
    }

    esx::result<all_t, esx::failure> policy(spec::secret_store const& s) {
        return run(esx::auth::policy_for_store<all_t>(ctx, s, "apps"));
    }
    esx::result<esx::auth::access_token, esx::failure> token(all_t& p) {
        return run([](all_t& p, esx::transport::https& t) -> net::awaitable<esx::result<esx::auth::access_token, esx::failure>> {
            esx::auth::token_request const req{scope, {}};
            co_return co_await p.token(t, req);
        }(p, https));
    }
    std::size_t token_posts(std::string const& sa) const {
        std::size_t n = 0;
        for (auto const& r : kube.requests())
            n += r.method == "POST" && r.path == "/api/v1/namespaces/apps/serviceaccounts/" + sa + "/token";
        return n;
    }
};

BOOST_FIXTURE_TEST_CASE(service_account_token_is_exchanged_for_an_entra_token, both_mocks) {
    auto p = policy(wi_store("sync"));
    BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().what()));
    BOOST_TEST(p->auth_type() == "WorkloadIdentity");
    auto t = token(*p);
    BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
    BOOST_TEST(token_posts("sync") == 1u);
    auto aad = log("aad");
    BOOST_REQUIRE_EQUAL(aad.size(), 1u);
    BOOST_TEST(aad[0].identity == "wi-app");
    BOOST_TEST(aad[0].status == 200u);
    // Cached: no second TokenRequest or exchange.
    BOOST_TEST(token(*p).has_value());
    BOOST_TEST(token_posts("sync") == 1u);
    BOOST_TEST(token_requests() == 1u);
}

BOOST_FIXTURE_TEST_CASE(service_account_without_federated_credential, both_mocks) {
    auto p = policy(wi_store("lonely"));
    BOOST_REQUIRE(p);
    auto t = token(*p);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().what().find("AADSTS70021") != std::string::npos, t.error().what());
    BOOST_TEST(t.error().what().find("service account apps/lonely") != std::string::npos);
    BOOST_TEST(token_posts("lonely") == 1u);
}

BOOST_FIXTURE_TEST_CASE(service_accounts_of_one_client_do_not_share_tokens, both_mocks) {
    // One cache for the process: "sync" is federated, "lonely" names the same client but is not.
    auto good = policy(wi_store("sync"));
    auto other = policy(wi_store("lonely"));
    BOOST_REQUIRE(good && other);
    BOOST_REQUIRE(token(*good));
    auto t = token(*other);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().what().find("AADSTS70021") != std::string::npos, t.error().what());
    BOOST_TEST(token_posts("lonely") == 1u);
}

BOOST_FIXTURE_TEST_CASE(missing_service_account_is_the_api_server_error, both_mocks) {
    auto p = policy(wi_store("ghost"));
    BOOST_REQUIRE(!p);
    BOOST_TEST(p.error().what().find("serviceaccounts \"ghost\" not found") != std::string::npos, p.error().what());
    BOOST_TEST((p.error() == esx::condition::not_found));
}

BOOST_FIXTURE_TEST_CASE(service_principal_from_a_kubernetes_secret, both_mocks) {
    auto prov = sp_provider();
    prov.auth_secret_ref->client_id = ref("sp-creds", "ClientID");
    prov.auth_secret_ref->client_secret = ref("sp-creds", "ClientSecret");
    prov.use_azure_sdk = true;
    prov.custom_cloud_config = esx::custom_cloud_config{azure.authority() + "/", std::nullopt, suffix, std::nullopt};
    auto p = policy(store(spec::store_kind::secret_store, prov, "apps"));
    BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().what()));
    BOOST_TEST(p->auth_type() == "ServicePrincipal");
    BOOST_TEST(token(*p).has_value());
    BOOST_TEST(log("aad").at(0).identity == "esx-client");

    // A wrong key name: ESO's message, and the secret value nowhere in it.
    prov.auth_secret_ref->client_secret = ref("sp-creds", "Nope");
    auto bad = policy(store(spec::store_kind::secret_store, prov, "apps"));
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().what() == "cannot find secret data for key: \"Nope\"");
    BOOST_TEST(free_of(bad.error().what(), {"esx-secret"}));
}

BOOST_FIXTURE_TEST_CASE(an_auth_type_not_compiled_in_is_refused, both_mocks) {
    using sp_only = esx::auth::any_of<esx::auth::service_principal<>>;
    auto s = wi_store("sync");
    auto p = run(esx::auth::policy_for_store<sp_only>(ctx, s, "apps"));
    BOOST_REQUIRE(!p);
    BOOST_TEST(p.error().what() ==
               "authType WorkloadIdentity is not compiled into this program (available: ServicePrincipal)");
    BOOST_TEST(token_posts("sync") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
