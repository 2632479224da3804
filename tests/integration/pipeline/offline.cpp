// The pipeline's pieces that need no server: the read cache (fake clock), runtime options,
// target checks, identities, and the Key Vault client's lazy pager (scripted transport).
#include <esx/esx.hpp>
#include <esx/testing/fake_clock.hpp>
#include <esx/testing/scripted_transport.hpp>

#include "../../support/run.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <string>

namespace {

namespace net = boost::asio;
using cache_t = esx::read_cache<esx::testing::fake_clock>;

esx::read_key key(std::string name, std::string identity = "alice") {
    return {std::move(identity), "https://vlt.vault.azure.net", "secrets", std::move(name), ""};
}

/// A fetch that counts its calls and answers `value` (or a 404 failure when `value` is empty).
struct counting_fetch {
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    std::string value;
    net::awaitable<cache_t::read_result> operator()() const {
        ++*calls;
        if (value.empty()) co_return esx::failure{esx::make_http_error(404), "not found"};
        auto o = std::make_shared<esx::fetched_object>();
        o->value = esx::secret_bytes(value);
        o->has_value = true;
        co_return std::shared_ptr<esx::fetched_object const>(o);
    }
};

std::string value_of(cache_t::read_result const& r) { return r ? std::string((*r)->value.reveal()) : "<failure>"; }

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(sync)
BOOST_AUTO_TEST_SUITE(read_cache_ttl)

BOOST_AUTO_TEST_CASE(serves_a_read_until_its_ttl_then_reads_again) {
    esx::testing::fake_clock clock;
    cache_t cache({std::chrono::seconds(10), 100, false}, clock);
    counting_fetch f{.value = "v1"};
    BOOST_TEST(value_of(esx::test::run(cache.get(key("a"), f))) == "v1");
    clock.advance(std::chrono::seconds(9));
    BOOST_TEST(value_of(esx::test::run(cache.get(key("a"), f))) == "v1");
    BOOST_TEST(*f.calls == 1);
    clock.advance(std::chrono::seconds(2));
    BOOST_TEST(value_of(esx::test::run(cache.get(key("a"), f))) == "v1");
    BOOST_TEST(*f.calls == 2);
    BOOST_TEST(cache.hits() == 1u);
    BOOST_TEST(cache.fetches() == 2u);
}

BOOST_AUTO_TEST_CASE(the_identity_is_part_of_the_key) {
    esx::testing::fake_clock clock;
    cache_t cache({std::chrono::seconds(10), 100, false}, clock);
    counting_fetch alice{.value = "for-alice"}, bob{.value = ""};
    BOOST_TEST(value_of(esx::test::run(cache.get(key("a", "alice"), alice))) == "for-alice");
    // Bob's identity may not read what Alice's read: his own read happens, and fails.
    auto r = esx::test::run(cache.get(key("a", "bob"), bob));
    BOOST_TEST(!r);
    BOOST_TEST(*bob.calls == 1);
    BOOST_TEST(value_of(esx::test::run(cache.get(key("a", "alice"), alice))) == "for-alice");
    BOOST_TEST(*alice.calls == 1);
}

BOOST_AUTO_TEST_CASE(failures_are_kept_only_when_asked) {
    esx::testing::fake_clock clock;
    counting_fetch missing{.value = ""};
    cache_t shared({std::chrono::seconds(10), 100, false}, clock);
    (void)esx::test::run(shared.get(key("gone"), missing));
    (void)esx::test::run(shared.get(key("gone"), missing));
    BOOST_TEST(*missing.calls == 2);
    cache_t run(esx::read_cache_options::for_one_run(), clock);
    (void)esx::test::run(run.get(key("gone"), missing));
    (void)esx::test::run(run.get(key("gone"), missing));
    BOOST_TEST(*missing.calls == 3);
}

BOOST_AUTO_TEST_CASE(is_bounded_and_drops_the_oldest_first) {
    esx::testing::fake_clock clock;
    cache_t cache({std::chrono::seconds(100), 3, false}, clock);
    counting_fetch f{.value = "v"};
    for (auto n : {"a", "b", "c", "d"}) (void)esx::test::run(cache.get(key(n), f));
    BOOST_TEST(cache.size() == 3u);
    (void)esx::test::run(cache.get(key("d"), f));  // still there
    BOOST_TEST(*f.calls == 4);
    (void)esx::test::run(cache.get(key("a"), f));  // dropped: read again
    BOOST_TEST(*f.calls == 5);
}

// Identical reads in flight at once coalesce onto one fetch; every caller gets its answer.
BOOST_AUTO_TEST_CASE(identical_reads_in_flight_coalesce) {
    net::io_context ioc;
    esx::testing::fake_clock clock;
    cache_t cache({std::chrono::seconds(10), 100, false}, clock);
    auto calls = std::make_shared<int>(0);
    // A fetch that yields to the executor before answering, so the other callers arrive meanwhile.
    auto slow = [calls]() -> net::awaitable<cache_t::read_result> {
        ++*calls;
        net::steady_timer t(co_await net::this_coro::executor, std::chrono::steady_clock::duration::zero());
        co_await t.async_wait(net::use_awaitable);
        auto o = std::make_shared<esx::fetched_object>();
        o->value = esx::secret_bytes("once");
        co_return std::shared_ptr<esx::fetched_object const>(o);
    };
    std::vector<std::string> answers;
    for (int i = 0; i < 10; ++i)
        net::co_spawn(ioc, [&]() -> net::awaitable<void> { answers.push_back(value_of(co_await cache.get(key("k"), slow))); },
                      net::detached);
    ioc.run();
    BOOST_TEST(*calls == 1);
    BOOST_TEST(answers.size() == 10u);
    for (auto const& a : answers) BOOST_TEST(a == "once");
    BOOST_TEST(cache.coalesced() == 9u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(runtime_settings)

BOOST_AUTO_TEST_CASE(resolve_overrides_are_read_like_curls) {
    esx::runtime_options o;
    BOOST_TEST(o.add_resolve("KV.vault.azure.net:443:127.0.0.1").has_value());
    BOOST_TEST(o.add_resolve("kv.vault.azure.net:8443:[::1]").has_value());
    BOOST_TEST(o.resolve.at("kv.vault.azure.net:443") == "127.0.0.1");
    BOOST_TEST(o.resolve.at("kv.vault.azure.net:8443") == "::1");
    for (char const* bad : {"kv.vault.azure.net", "kv:443", ":443:1.2.3.4", "kv:http:1.2.3.4", "kv:0:1.2.3.4", "kv:443:"}) {
        auto r = o.add_resolve(bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().what().find("expected HOST:PORT:ADDR") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(environment_gives_ca_resolve_and_imds) {
    std::map<std::string, std::string> env{{"ESX_RESOLVE", "a.vault.azure.net:443:10.0.0.1,b.vault.azure.net:443:10.0.0.2"},
                                           {"ESX_CACERT", "/nonexistent/ca.pem"},
                                           {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9999/"}};
    auto getenv = [env](char const* n) -> char const* {
        auto it = env.find(n);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    auto o = esx::runtime_options::from_environment(getenv);
    BOOST_REQUIRE(o);
    BOOST_TEST(o->resolve.size() == 2u);
    BOOST_TEST(o->ca_file == "/nonexistent/ca.pem");
    BOOST_TEST(esx::detail::imds_endpoint_for(*o) == "http://127.0.0.1:9999/metadata/identity/oauth2/token");
    // An unreadable CA is kept as the runtime's status, reported by every sync.
    esx::runtime rt(*o);
    BOOST_REQUIRE(!rt.status());
    BOOST_TEST(rt.status().error().what() == "CA file /nonexistent/ca.pem: cannot be read");

    esx::runtime_options standard;
    standard.getenv = [](char const*) -> char const* { return nullptr; };
    BOOST_TEST(esx::detail::imds_endpoint_for(standard) == "http://169.254.169.254/metadata/identity/oauth2/token");

    auto bad = esx::runtime_options::from_environment([](char const* n) -> char const* {
        return std::string_view(n) == "ESX_RESOLVE" ? "nonsense" : nullptr;
    });
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().what().starts_with("ESX_RESOLVE: --resolve \"nonsense\""));
}

BOOST_AUTO_TEST_CASE(a_given_ca_is_trusted_besides_the_system_store) {
    esx::runtime_options o;
    o.getenv = [](char const*) -> char const* { return nullptr; };
    o.ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    auto with_system = esx::detail::azure_trust_pem(o);
    BOOST_REQUIRE(with_system);
    BOOST_TEST(with_system->ends_with(o.ca_pem + "\n"));
    o.trust_system_store = false;
    BOOST_TEST(esx::detail::azure_trust_pem(o).value() == o.ca_pem + "\n");
    esx::runtime_options none;
    BOOST_TEST(esx::detail::azure_trust_pem(none).value().empty());
}

BOOST_AUTO_TEST_CASE(no_cluster_is_a_failure_only_when_one_is_needed) {
    esx::runtime_options o;
    o.kubeconfig = "/nonexistent/kubeconfig";
    o.getenv = [](char const*) -> char const* { return nullptr; };
    esx::runtime rt(o);
    BOOST_TEST(rt.status().has_value());
    auto k = rt.kube();
    BOOST_REQUIRE(!k);
    BOOST_TEST(k.error().what().starts_with("no Kubernetes cluster to read from: "));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(target_checks)

BOOST_AUTO_TEST_CASE(key_names_as_the_api_server_checks_them) {
    std::vector<std::string> const ok{"a", "A-b_c.d", "..a", std::string(253, 'k')};
    std::vector<std::string> const bad{"", ".", "..", "a/b", "a b", "\xc3\xa9", std::string(254, 'k')};
    for (auto const& k : ok) BOOST_TEST(esx::is_valid_secret_key(k));
    for (auto const& k : bad) BOOST_TEST(!esx::is_valid_secret_key(k));
}

BOOST_AUTO_TEST_CASE(the_size_limit_counts_keys_and_values_and_names_the_entry) {
    std::map<std::string, esx::secret_bytes> data;
    data.emplace("small", esx::secret_bytes("x"));
    data.emplace("big", esx::secret_bytes(std::string(esx::max_secret_size - 3 - 5 - 1, 'v')));
    std::map<std::string, std::string> origin{{"big", "spec.data[3] (key: blob)"}, {"small", "spec.data[0] (key: s)"}};
    BOOST_TEST(esx::check_target_data(data, origin).has_value());  // exactly 1 MiB
    data.at("small") = esx::secret_bytes("xx");
    auto r = esx::check_target_data(data, origin);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "spec.data[3] (key: blob): the Secret would hold 1048577 bytes of data, more than the "
                                   "1048576 Kubernetes allows (key \"big\" alone holds 1048570)");
    BOOST_TEST(r.error().what().find("vvvv") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(eso_refuses_privileged_secret_types_and_duplicate_keys_under_retain) {
    BOOST_TEST(!esx::check_target_type("kubernetes.io/service-account-token", {{"kubernetes.io/service-account.name", "default"}}));
    BOOST_TEST(esx::check_target_type("kubernetes.io/service-account-token", {}).has_value());
    BOOST_TEST(!esx::check_target_type("bootstrap.kubernetes.io/token", {}));
    BOOST_TEST(esx::check_target_type("Opaque", {}).has_value());

    esx::spec::external_secret_spec s;
    s.data.resize(3);
    s.data[0].secret_key = "a";
    s.data[1].secret_key = "b";
    s.data[2].secret_key = "a";
    auto r = esx::check_duplicate_keys(s);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "spec.data[2].secretKey: duplicate secretKey found: a");
    s.target.deletion = esx::spec::deletion_policy::merge;
    BOOST_TEST(esx::check_duplicate_keys(s).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(identities)

esx::auth::service_principal<> sp(std::string client, std::string secret) {
    esx::auth::service_principal_options o;
    o.tenant_id = "t";
    o.client_id = std::move(client);
    o.credential = esx::auth::client_secret{esx::secret_bytes(secret)};
    return esx::auth::service_principal<>::make(std::move(o)).value();
}

BOOST_AUTO_TEST_CASE(same_client_with_another_credential_is_another_identity) {
    esx::default_auth a = sp("app", "right"), b = sp("app", "wrong"), c = sp("app", "right"), d = sp("other", "right");
    auto id = [](esx::default_auth const& p) { return esx::detail::identity_of(p); };
    BOOST_TEST(!id(a).empty());
    BOOST_TEST(id(a) == id(c));
    BOOST_TEST(id(a) != id(b));
    BOOST_TEST(id(a) != id(d));
    BOOST_TEST(id(a).find("right") == std::string::npos);  // a fingerprint, not the secret
    BOOST_TEST(id(esx::default_auth{}).empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(lazy_pager)

struct fixed_token {
    using policy_kind = esx::auth::tag;
    template <class T>
    net::awaitable<esx::result<esx::auth::access_token, esx::failure>> token(T&, esx::auth::token_request const&) {
        co_return esx::auth::access_token{esx::secret_bytes("tok"), std::chrono::system_clock::now() + std::chrono::hours(1)};
    }
};

BOOST_AUTO_TEST_CASE(reads_one_page_per_next_and_refuses_a_foreign_next_link) {
    esx::testing::scripted_transport t;
    std::string const challenge = R"(Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net")";
    auto item = [](std::string n) {
        return R"({"id":"https://vlt.vault.azure.net/secrets/)" + n + R"(","attributes":{"enabled":true}})";
    };
    t.then_respond(401, "", {{"WWW-Authenticate", challenge}})
        .then_respond(200, R"({"value":[)" + item("a") + "," + item("b") +
                               R"(],"nextLink":"https://vlt.vault.azure.net/secrets?api-version=7.4&$skiptoken=x"})")
        .then_respond(200, R"({"value":[],"nextLink":"https://vlt.vault.azure.net/secrets?api-version=7.4&$skiptoken=y"})")
        .then_respond(200, R"({"value":[)" + item("c") + R"(],"nextLink":"https://evil.example.com/secrets?x"})");
    fixed_token auth;
    auto c = esx::keyvault::client<fixed_token, esx::testing::scripted_transport>::make(
        auth, t, esx::clouds::public_cloud(), "https://vlt.vault.azure.net");
    BOOST_REQUIRE(c);
    auto pages = c->list_secrets_paged();
    auto p1 = esx::test::run(pages.next());
    BOOST_REQUIRE(p1 && *p1);
    BOOST_TEST((*p1)->items.size() == 2u);
    BOOST_TEST((*p1)->items[1].name == "b");
    BOOST_TEST(t.requests().size() == 2u);  // the challenge probe and page 1: nothing ahead
    auto p2 = esx::test::run(pages.next());
    BOOST_REQUIRE(p2 && *p2);
    BOOST_TEST((*p2)->items.empty());  // an empty page is a page
    BOOST_TEST(t.requests().size() == 3u);
    auto p3 = esx::test::run(pages.next());
    BOOST_REQUIRE(!p3);
    BOOST_TEST((p3.error() == esx::keyvault::error::next_link_refused));
    BOOST_TEST(pages.done());
    auto again = esx::test::run(pages.next());
    BOOST_TEST(!again);
    BOOST_TEST(t.requests().size() == 4u);  // nothing more was sent
}

BOOST_AUTO_TEST_CASE(the_last_page_ends_the_listing) {
    esx::testing::scripted_transport t;
    t.then_respond(401, "", {{"WWW-Authenticate", R"(Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net")"}})
        .then_respond(200, R"({"value":[],"nextLink":null})");
    fixed_token auth;
    auto c = esx::keyvault::client<fixed_token, esx::testing::scripted_transport>::make(
        auth, t, esx::clouds::public_cloud(), "https://vlt.vault.azure.net");
    auto pages = c->list_secrets_paged(5);
    BOOST_TEST(esx::test::run(pages.next()).value().has_value());
    BOOST_TEST(!esx::test::run(pages.next()).value().has_value());
    BOOST_TEST(t.requests()[1].url.find("maxresults=5") != std::string::npos);
    auto bad = c->list_secrets_paged(26);
    auto r = esx::test::run(bad.next());
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what().find("maxresults must be between 1 and 25") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
