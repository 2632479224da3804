// The auth policies against the in-process mock Azure (Entra ID + IMDS) over loopback TLS:
// service principal (secret, certificate), managed identity, workload identity (token file),
// the shared token cache, and any_of.
#include "support.hpp"

#include <esx/testing/fake_clock.hpp>
#include <esx/testing/scripted_transport.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <set>

using namespace std::chrono_literals;
using namespace esx::auth_test;
using esx::testing::fake_clock;

namespace {

using sp_t = esx::auth::service_principal<>;

esx::auth::service_principal_options secret_options(azure_fixture const& f, std::string client = "esx-client",
                                                    std::string secret = "esx-secret") {
    esx::auth::service_principal_options o;
    o.tenant_id = "esx-tenant";
    o.client_id = std::move(client);
    o.credential = esx::auth::client_secret{esx::secret_bytes(secret)};
    o.cloud = f.cloud();
    return o;
}

esx::auth::service_principal_options cert_options(azure_fixture const& f, std::string const& data,
                                                  esx::auth::jwt_algorithm alg) {
    auto o = secret_options(f, "cert-app");
    o.credential = esx::auth::client_certificate::load(esx::secret_bytes(data), alg).value();
    return o;
}

template <class Policy, class Transport>
esx::result<esx::auth::access_token, esx::failure> get_token(azure_fixture& f, Policy& p, Transport& t,
                                                             std::string s = scope) {
    return f.run([](Policy& p, Transport& t, std::string s) -> net::awaitable<esx::result<esx::auth::access_token, esx::failure>> {
        esx::auth::token_request const req{s, {}}; // named: g++ 12 mishandles temporaries in co_await
        co_return co_await p.token(t, req);
    }(p, t, std::move(s)));
}

template <class Policy>
esx::result<esx::auth::access_token, esx::failure> get_token(azure_fixture& f, Policy& p) {
    return get_token(f, p, f.https);
}

// The claims and header of a JWT (no signature check: the mock does that).
std::pair<boost::json::object, boost::json::object> decode_jwt(std::string_view jwt) {
    auto part = [&](std::size_t i) {
        std::size_t start = 0;
        for (std::size_t k = 0; k < i; ++k) start = jwt.find('.', start) + 1;
        auto end = jwt.find('.', start);
        std::string b64(jwt.substr(start, end - start));
        for (auto& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
        while (b64.size() % 4) b64 += '=';
        std::string out(b64.size(), '\0');
        int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<unsigned char const*>(b64.data()), static_cast<int>(b64.size()));
        out.resize(static_cast<std::size_t>(n));
        while (!out.empty() && out.back() == '\0') out.pop_back();
        return boost::json::parse(out).as_object();
    };
    return {part(0), part(1)};
}

std::string form_value(std::string_view body, std::string_view name) {
    std::string key = std::string(name) + "=";
    auto pos = body.find(key);
    if (pos == std::string_view::npos) return {};
    auto end = body.find('&', pos);
    return std::string(body.substr(pos + key.size(), end == std::string_view::npos ? std::string_view::npos
                                                                                   : end - pos - key.size()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_SUITE(service_principal_policy)

BOOST_FIXTURE_TEST_CASE(client_secret_gets_a_token, azure_fixture) {
    auto p = sp_t::make(secret_options(*this)).value();
    auto const before = std::chrono::system_clock::now();
    auto t = get_token(*this, p);
    BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
    BOOST_TEST(t->value.size() > 100u); // the mock's tokens are JWTs
    BOOST_TEST((t->expires_on > before + 3500s && t->expires_on < before + 3700s));
    auto aad = log("aad");
    BOOST_REQUIRE_EQUAL(aad.size(), 1u);
    BOOST_TEST(aad[0].method == "POST");
    BOOST_TEST(aad[0].path == "/esx-tenant/oauth2/v2.0/token");
    BOOST_TEST(aad[0].identity == "esx-client");
    BOOST_TEST(aad[0].status == 200u);
}

BOOST_FIXTURE_TEST_CASE(wrong_secret_is_invalid_client, azure_fixture) {
    auto p = sp_t::make(secret_options(*this, "esx-client", "not-the-secret-9f3a")).value();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST((t.error() == esx::condition::auth_failed));
    BOOST_TEST(t.error().reason == "invalid_client");
    BOOST_TEST(t.error().what().find("AADSTS7000215") != std::string::npos, t.error().what());
    BOOST_TEST(t.error().what().find("\"esx-client\"") != std::string::npos);
    BOOST_TEST(free_of(t.error().what(), {"not-the-secret-9f3a"}));
}

BOOST_FIXTURE_TEST_CASE(unknown_client_is_unauthorized_client, azure_fixture) {
    auto p = sp_t::make(secret_options(*this, "nobody-app", "esx-secret")).value();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().reason == "unauthorized_client");
    BOOST_TEST(t.error().what().find("AADSTS700016") != std::string::npos, t.error().what());
    BOOST_TEST(free_of(t.error().what(), {"esx-secret"}));
}

BOOST_FIXTURE_TEST_CASE(certificate_pem_and_pkcs12_with_ps256_and_rs256, azure_fixture) {
    auto const& k = keys();
    std::string const pem_cert_first = k.client.cert_pem + k.client.key_pem;
    std::string const pem_key_first = k.client.key_pem + k.client.cert_pem;
    std::string const p12 = pkcs12_of(k.client);
    struct variant { std::string name, data; esx::auth::jwt_algorithm alg; };
    for (auto const& v : {variant{"PEM cert+key PS256", pem_cert_first, esx::auth::jwt_algorithm::ps256},
                          variant{"PEM key+cert RS256", pem_key_first, esx::auth::jwt_algorithm::rs256},
                          variant{"PKCS#12 PS256", p12, esx::auth::jwt_algorithm::ps256},
                          variant{"PKCS#12 RS256", p12, esx::auth::jwt_algorithm::rs256}}) {
        BOOST_TEST_CONTEXT(v.name) {
            auto p = sp_t::make(cert_options(*this, v.data, v.alg)).value();
            auto t = get_token(*this, p);
            BOOST_TEST(t.has_value(), (t ? "" : t.error().what()));
        }
    }
    BOOST_TEST(token_requests() == 4u);
}

BOOST_FIXTURE_TEST_CASE(unregistered_certificate_is_refused, azure_fixture) {
    auto p = sp_t::make(cert_options(*this, keys().stranger.cert_pem + keys().stranger.key_pem,
                                     esx::auth::jwt_algorithm::ps256)).value();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST((t.error() == esx::condition::auth_failed));
    BOOST_TEST(t.error().what().find("AADSTS700027") != std::string::npos, t.error().what());
}

BOOST_AUTO_TEST_CASE(certificate_input_errors_are_named) {
    auto const& k = keys();
    auto load = [](std::string data) { return esx::auth::client_certificate::load(esx::secret_bytes(data)); };
    auto no_key = load(k.client.cert_pem);
    BOOST_REQUIRE(!no_key);
    BOOST_TEST(no_key.error().what().find("no private key found in PEM file") != std::string::npos);
    auto no_cert = load(k.client.key_pem);
    BOOST_REQUIRE(!no_cert);
    BOOST_TEST(no_cert.error().what().find("no certificate found in PEM file") != std::string::npos);
    auto mismatch = load(k.stranger.cert_pem + k.client.key_pem);
    BOOST_REQUIRE(!mismatch);
    BOOST_TEST(mismatch.error().what().find("matches its private key") != std::string::npos);
    auto ec = load(k.ec_client.cert_pem + k.ec_client.key_pem);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(ec.error().what().find("not an RSA key") != std::string::npos);
    auto garbage = load("\x30\x03garbage-that-is-secret");
    BOOST_REQUIRE(!garbage);
    BOOST_TEST(garbage.error().what().find("neither PEM") != std::string::npos);
    for (auto const* f : {&no_key, &no_cert, &mismatch, &ec, &garbage})
        BOOST_TEST(free_of(f->error().what(), {"BEGIN", "garbage-that-is-secret"}));
}

BOOST_FIXTURE_TEST_CASE(client_assertion_has_the_documented_shape, azure_fixture) {
    esx::testing::scripted_transport script;
    script.then_respond(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok"})");
    script.then_respond(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok"})");
    auto const& k = keys();
    for (auto alg : {esx::auth::jwt_algorithm::ps256, esx::auth::jwt_algorithm::rs256}) {
        auto p = sp_t::make(cert_options(*this, k.client.cert_pem + k.client.key_pem, alg)).value();
        BOOST_REQUIRE(get_token(*this, p, script));
    }
    BOOST_REQUIRE_EQUAL(script.requests().size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        auto const& req = script.requests()[i];
        BOOST_TEST(req.url == azure.authority() + "/esx-tenant/oauth2/v2.0/token");
        BOOST_TEST(form_value(req.body, "grant_type") == "client_credentials");
        BOOST_TEST(form_value(req.body, "client_assertion_type") ==
                   "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer");
        BOOST_TEST(form_value(req.body, "scope") == "https%3A%2F%2Fvault.esx.test%2F.default");
        BOOST_TEST(form_value(req.body, "client_secret").empty());
        auto [header, claims] = decode_jwt(form_value(req.body, "client_assertion"));
        BOOST_TEST(header.at("alg").as_string() == (i == 0 ? "PS256" : "RS256"));
        BOOST_TEST(header.at("typ").as_string() == "JWT");
        BOOST_TEST(header.at("x5t#S256").as_string().size() == 43u); // base64url of 32 bytes
        BOOST_TEST(header.contains("x5t") == (i == 1));
        BOOST_TEST(claims.at("aud").as_string() == req.url);
        BOOST_TEST(claims.at("iss").as_string() == "cert-app");
        BOOST_TEST(claims.at("sub").as_string() == "cert-app");
        BOOST_TEST(claims.at("jti").as_string().size() == 36u);
        BOOST_TEST(claims.at("exp").as_int64() - claims.at("nbf").as_int64() == 600);
    }
}

BOOST_AUTO_TEST_CASE(options_are_checked) {
    esx::auth::service_principal_options o;
    o.tenant_id = "../evil";
    o.client_id = "c";
    o.credential = esx::auth::client_secret{esx::secret_bytes("s")};
    auto bad_tenant = sp_t::make(o);
    BOOST_REQUIRE(!bad_tenant);
    BOOST_TEST(bad_tenant.error().what().find("tenantId") != std::string::npos);
    o.tenant_id = "t";
    o.cloud.authority_host = "http://login.example/";
    auto plain = sp_t::make(o);
    BOOST_REQUIRE(!plain);
    BOOST_TEST(plain.error().what().find("https://") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(managed_identity_policy)

using mi_t = esx::auth::managed_identity<esx::transport::http, fake_clock>;

struct mi_fixture : azure_fixture {
    fake_clock clock;
    std::shared_ptr<esx::transport::http> imds = std::make_shared<esx::transport::http>(ioc.get_executor());
    mi_t make(std::optional<std::string> id = std::nullopt) {
        esx::auth::managed_identity_options o;
        o.identity_id = std::move(id);
        o.endpoint = imds_endpoint();
        return mi_t::make(imds, o, std::make_shared<esx::auth::token_cache<fake_clock>>(clock)).value();
    }
};

BOOST_FIXTURE_TEST_CASE(system_assigned_identity, mi_fixture) {
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
    BOOST_TEST((t->expires_on > clock.utc_now() + 3500s)); // from expires_in, on the policy's clock
    auto l = log("imds");
    BOOST_REQUIRE_EQUAL(l.size(), 1u);
    BOOST_TEST(l[0].identity == "mi-system");
    BOOST_TEST(l[0].query.find("api-version=2018-02-01") != std::string::npos);
    BOOST_TEST(l[0].query.find("resource=https%3A%2F%2Fvault.esx.test") != std::string::npos);
    BOOST_TEST(l[0].query.find("client_id") == std::string::npos);
    BOOST_TEST(token_requests() == 0u);
}

BOOST_FIXTURE_TEST_CASE(user_assigned_identity_by_identity_id, mi_fixture) {
    auto p = make("mi-user");
    auto t = get_token(*this, p);
    BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
    auto l = log("imds");
    BOOST_REQUIRE_EQUAL(l.size(), 1u);
    BOOST_TEST(l[0].identity == "mi-user");
    BOOST_TEST(l[0].query.find("client_id=mi-user") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(unknown_identity_is_not_retried, mi_fixture) {
    auto p = make("no-such-identity");
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().what().find("Identity not found") != std::string::npos, t.error().what());
    BOOST_TEST(t.error().what().find("\"no-such-identity\"") != std::string::npos);
    BOOST_TEST((t.error().code == esx::make_http_error(400)));
    BOOST_TEST(count("imds") == 1u);
    BOOST_TEST(clock.sleeps().empty());
}

BOOST_FIXTURE_TEST_CASE(retries_429_and_5xx_with_backoff, mi_fixture) {
    azure.add_fault(R"({"target":"imds","kind":"status","status":429,"count":1})");
    azure.add_fault(R"({"target":"imds","kind":"status","status":503,"count":1})");
    azure.add_fault(R"({"target":"imds","kind":"status","status":410,"count":1})");
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
    BOOST_TEST(count("imds") == 4u);
    std::vector<std::chrono::milliseconds> const expected{2s, 4s, 8s};
    BOOST_TEST(clock.sleeps() == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(gives_up_after_five_retries, mi_fixture) {
    azure.add_fault(R"({"target":"imds","kind":"status","status":500,"count":-1})");
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST((t.error() == esx::condition::retryable));
    BOOST_TEST(count("imds") == 6u);
    std::vector<std::chrono::milliseconds> const expected{2s, 4s, 8s, 16s, 32s};
    BOOST_TEST(clock.sleeps() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(workload_identity_policy)

using wi_t = esx::auth::workload_identity<>;

struct wi_fixture : azure_fixture {
    temp_file file;
    wi_t make(std::string client = "wi-app") {
        esx::auth::workload_identity_options o;
        o.tenant_id = "esx-tenant";
        o.client_id = std::move(client);
        o.cloud = cloud();
        o.assertion = esx::auth::token_file(file.path);
        o.source_description = "token file " + file.path.string();
        return wi_t::make(std::move(o)).value();
    }
};

BOOST_FIXTURE_TEST_CASE(token_file_is_exchanged_and_reread_after_rotation, wi_fixture) {
    auto const good = federated_token("system:serviceaccount:apps:sync", "api://AzureADTokenExchange", 3600);
    file.write(good + "\n");
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE_MESSAGE(t, (t ? "" : t.error().what()));
    BOOST_TEST(log("aad").at(0).identity == "wi-app");

    // Rotation: kubelet replaces the file. The next exchange must send the new content: an
    // expired token now, which the mock refuses, proves the file was read again.
    file.write(federated_token("system:serviceaccount:apps:sync", "api://AzureADTokenExchange", 600, 1200));
    p.invalidate({scope, {}});
    auto expired = get_token(*this, p);
    BOOST_REQUIRE(!expired);
    BOOST_TEST(expired.error().what().find("AADSTS700024") != std::string::npos, expired.error().what());

    file.write(federated_token("system:serviceaccount:apps:sync", "api://AzureADTokenExchange", 3600));
    // This policy is in its backoff after the failure; a fresh one (same options) must succeed.
    auto fresh = wi_t::make(p.options()).value();
    BOOST_TEST(get_token(*this, fresh).has_value());
    BOOST_TEST(token_requests() == 3u);
}

BOOST_FIXTURE_TEST_CASE(expired_token_is_refused, wi_fixture) {
    auto const tok = federated_token("system:serviceaccount:apps:sync", "api://AzureADTokenExchange", 600, 3600);
    file.write(tok);
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST((t.error() == esx::condition::auth_failed));
    BOOST_TEST(t.error().what().find("AADSTS700024") != std::string::npos, t.error().what());
    BOOST_TEST(t.error().what().find(file.path.string()) != std::string::npos);
    BOOST_TEST(free_of(t.error().what(), {tok}));
}

BOOST_FIXTURE_TEST_CASE(wrong_audience_has_no_federated_match, wi_fixture) {
    auto const tok = federated_token("system:serviceaccount:apps:sync", "api://SomethingElse", 3600);
    file.write(tok);
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().what().find("AADSTS70021") != std::string::npos, t.error().what());
    BOOST_TEST(free_of(t.error().what(), {tok}));
}

BOOST_FIXTURE_TEST_CASE(missing_federated_credential, wi_fixture) {
    file.write(federated_token("system:serviceaccount:apps:other", "api://AzureADTokenExchange", 3600));
    auto p = make();
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().reason == "invalid_client");
    BOOST_TEST(t.error().what().find("AADSTS70021") != std::string::npos, t.error().what());
    // A client without any federated credential is refused the same way.
    file.write(federated_token("system:serviceaccount:apps:sync", "api://AzureADTokenExchange", 3600));
    auto other = make("esx-client");
    auto t2 = get_token(*this, other);
    BOOST_REQUIRE(!t2);
    BOOST_TEST(t2.error().what().find("AADSTS70021") != std::string::npos, t2.error().what());
}

BOOST_FIXTURE_TEST_CASE(unreadable_token_file, wi_fixture) {
    auto p = make(); // the file was never written
    auto t = get_token(*this, p);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().what() == "unable to read token file " + file.path.string() + ": No such file or directory");
    BOOST_TEST(token_requests() == 0u);
}

BOOST_AUTO_TEST_CASE(environment_is_required_for_the_mounted_token) {
    auto none = [](char const*) -> char const* { return nullptr; };
    auto r = esx::auth::workload_identity_options::from_environment(esx::clouds::public_cloud(), none);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and "
                                   "AZURE_FEDERATED_TOKEN_FILE must be set");
    auto all = [](char const* n) -> char const* {
        std::string_view name(n);
        if (name == "AZURE_CLIENT_ID") return "wi-app";
        if (name == "AZURE_TENANT_ID") return "esx-tenant";
        if (name == "AZURE_FEDERATED_TOKEN_FILE") return "/var/run/secrets/azure/tokens/azure-identity-token";
        return nullptr;
    };
    auto ok = esx::auth::workload_identity_options::from_environment(esx::clouds::public_cloud(), all);
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->client_id == "wi-app");
    BOOST_TEST(ok->tenant_id == "esx-tenant");
    BOOST_TEST(ok->source_description == "token file /var/run/secrets/azure/tokens/azure-identity-token");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_cache_sharing)

using sp_fake = esx::auth::service_principal<fake_clock>;

struct cache_fixture : azure_fixture {
    fake_clock clock;
    std::shared_ptr<esx::auth::token_cache<fake_clock>> cache =
        std::make_shared<esx::auth::token_cache<fake_clock>>(clock);
    sp_fake make(std::string secret = "esx-secret") { return sp_fake::make(secret_options(*this, "esx-client", secret), cache).value(); }
};

BOOST_FIXTURE_TEST_CASE(a_thousand_reads_one_token_request, azure_fixture) {
    auto p = sp_t::make(secret_options(*this)).value();
    auto ok = run([](sp_t& p, esx::transport::https& t) -> net::awaitable<int> {
        int good = 0;
        esx::auth::token_request const req{scope, {}};
        for (int i = 0; i < 1000; ++i) good += (co_await p.token(t, req)).has_value();
        co_return good;
    }(p, https));
    BOOST_TEST(ok == 1000);
    BOOST_TEST(token_requests() == 1u);
}

BOOST_FIXTURE_TEST_CASE(policies_of_one_identity_share_the_cache, cache_fixture) {
    auto a = make();
    auto b = make();
    BOOST_REQUIRE(get_token(*this, a));
    BOOST_REQUIRE(get_token(*this, b));
    BOOST_TEST(token_requests() == 1u);
    BOOST_TEST(cache->fetches() == 1u);
}

BOOST_FIXTURE_TEST_CASE(same_client_with_another_credential_does_not_share_the_token, cache_fixture) {
    auto right = make();
    BOOST_REQUIRE(get_token(*this, right));
    // Another store names the same client id with a wrong secret: it must not be handed the
    // cached token; Entra ID decides, and refuses.
    auto wrong = make("guessed-secret-41aa");
    auto t = get_token(*this, wrong);
    BOOST_REQUIRE(!t);
    BOOST_TEST(t.error().reason == "invalid_client");
    BOOST_TEST(token_requests() == 2u);
    // The right one still reads from the cache.
    BOOST_REQUIRE(get_token(*this, right));
    BOOST_TEST(token_requests() == 2u);
}

BOOST_FIXTURE_TEST_CASE(fifty_concurrent_cold_callers_one_request, azure_fixture) {
    auto p = sp_t::make(secret_options(*this)).value();
    int done = 0, good = 0;
    std::set<std::string> distinct;
    for (int i = 0; i < 50; ++i)
        net::co_spawn(ioc, [&]() -> net::awaitable<void> {
            esx::auth::token_request const req{scope, {}};
            auto t = co_await p.token(https, req);
            ++done;
            if (t) {
                ++good;
                distinct.insert(std::string(t->value.reveal()));
            }
        }, net::detached);
    ioc.run();
    BOOST_TEST(done == 50);
    BOOST_TEST(good == 50);
    BOOST_TEST(distinct.size() == 1u);
    BOOST_TEST(token_requests() == 1u);
}

BOOST_FIXTURE_TEST_CASE(refreshes_five_minutes_ahead, cache_fixture) {
    auto p = make();
    auto first = get_token(*this, p).value();
    clock.advance(54min);
    auto same = get_token(*this, p).value();
    BOOST_TEST((same.value == first.value));
    BOOST_TEST(token_requests() == 1u);
    clock.advance(1min + 1s); // 55 min 1 s: inside the last five minutes of a one-hour token
    auto renewed = get_token(*this, p).value();
    BOOST_TEST(token_requests() == 2u);
    BOOST_TEST((renewed.expires_on > first.expires_on));
}

BOOST_AUTO_TEST_CASE(refresh_time_rule) {
    using namespace std::chrono;
    system_clock::time_point const t0{};
    BOOST_TEST((esx::auth::refresh_time(t0, t0 + 1h) == t0 + 55min));      // 5 minutes ahead
    BOOST_TEST((esx::auth::refresh_time(t0, t0 + 24h) == t0 + 12h));      // half-life for long tokens
    BOOST_TEST((esx::auth::refresh_time(t0, t0 + 6min) == t0 + 3min));     // never later than half-life
    BOOST_TEST((esx::auth::refresh_time(t0, t0 + 2h) == t0 + 1h));
}

BOOST_FIXTURE_TEST_CASE(backs_off_after_failures, cache_fixture) {
    auto p = make("wrong-secret-7c1e");
    BOOST_TEST(!get_token(*this, p));
    BOOST_TEST(token_requests() == 1u);
    auto again = get_token(*this, p); // within the backoff: the last failure, no request
    BOOST_REQUIRE(!again);
    BOOST_TEST(again.error().reason == "invalid_client");
    BOOST_TEST(free_of(again.error().what(), {"wrong-secret-7c1e"}));
    BOOST_TEST(token_requests() == 1u);
    clock.advance(1001ms); // first backoff: 1 s
    BOOST_TEST(!get_token(*this, p));
    BOOST_TEST(token_requests() == 2u);
    clock.advance(1001ms); // second backoff: 2 s, not over yet
    BOOST_TEST(!get_token(*this, p));
    BOOST_TEST(token_requests() == 2u);
    clock.advance(1000ms);
    BOOST_TEST(!get_token(*this, p));
    BOOST_TEST(token_requests() == 3u);
}

BOOST_FIXTURE_TEST_CASE(never_hands_out_an_expired_token, cache_fixture) {
    auto p = make();
    auto first = get_token(*this, p).value();
    azure.add_fault(R"({"kind":"aad_outage"})");
    clock.advance(56min); // refresh due; Entra ID is down: the still-valid token is served
    auto during = get_token(*this, p);
    BOOST_REQUIRE(during);
    BOOST_TEST((during->value == first.value));
    BOOST_TEST(token_requests() == 2u);
    clock.advance(5min); // past expiry (and past the backoff)
    auto after = get_token(*this, p);
    BOOST_REQUIRE(!after);
    BOOST_TEST((after.error() == esx::condition::retryable));
    BOOST_TEST(free_of(after.error().what(), {first.value.reveal(), "esx-secret"}));
    BOOST_TEST(token_requests() == 3u);
    azure.clear_faults();
    clock.advance(3s);
    BOOST_TEST(get_token(*this, p).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(any_of_choice)

using mi_http = esx::auth::managed_identity<>;
using two = esx::auth::any_of<sp_t, mi_http>;

static_assert(esx::auth::auth_policy<two>);
static_assert(esx::auth::auth_policy<sp_t>);
static_assert(!esx::auth::auth_policy<int>);
static_assert(!esx::auth::auth_policy<esx::testing::scripted_transport>);

BOOST_FIXTURE_TEST_CASE(picks_the_named_policy_at_run_time, azure_fixture) {
    auto imds = std::make_shared<esx::transport::http>(ioc.get_executor());
    auto make = [&](auto type) -> esx::result<typename decltype(type)::type, esx::failure> {
        using P = typename decltype(type)::type;
        if constexpr (std::is_same_v<P, sp_t>) {
            return sp_t::make(secret_options(*this));
        } else {
            esx::auth::managed_identity_options o;
            o.endpoint = imds_endpoint();
            return mi_http::make(imds, o);
        }
    };
    auto mi = two::pick("ManagedIdentity", make).value();
    BOOST_TEST(mi.auth_type() == "ManagedIdentity");
    BOOST_TEST(get_token(*this, mi).has_value());
    BOOST_TEST(count("imds") == 1u);
    auto sp = two::pick("ServicePrincipal", make).value();
    BOOST_TEST(sp.auth_type() == "ServicePrincipal");
    BOOST_TEST(get_token(*this, sp).has_value());
    BOOST_TEST(token_requests() == 1u);
}

BOOST_AUTO_TEST_CASE(refuses_a_policy_not_compiled_in) {
    int made = 0;
    auto make = [&](auto type) -> esx::result<typename decltype(type)::type, esx::failure> {
        ++made;
        return esx::failure{esx::make_error_code(esx::error::invalid_option)};
    };
    auto wi = two::pick("WorkloadIdentity", make);
    BOOST_REQUIRE(!wi);
    BOOST_TEST(wi.error().what() == "authType WorkloadIdentity is not compiled into this program (available: "
                                    "ServicePrincipal, ManagedIdentity)");
    auto bogus = two::pick("Kerberos", make);
    BOOST_REQUIRE(!bogus);
    BOOST_TEST(bogus.error().what().find("no valid authType was specified") != std::string::npos);
    BOOST_TEST(made == 0);
    BOOST_TEST(two::compiled_in("ServicePrincipal"));
    BOOST_TEST(!two::compiled_in("WorkloadIdentity"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
