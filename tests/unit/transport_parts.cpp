// Unit tests of the transport's pure parts: URLs, proxy choice, Retry-After, the retry
// decorator over a scripted transport with a fake clock (no sockets, no waiting).
#include <esx/transport/detail/proxy.hpp>
#include <esx/transport/detail/retry_after.hpp>
#include <esx/transport/detail/url.hpp>
#include <esx/transport/retry.hpp>
#include <esx/testing/fake_clock.hpp>
#include <esx/testing/scripted_transport.hpp>

#include "../support/run.hpp"

#include <boost/test/unit_test.hpp>

#include <boost/asio/error.hpp>

#include <map>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(transport)

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(parses_scheme_host_port_and_target) {
    auto u = detail::parse_url("HTTPS://MyVault.Vault.Azure.NET/secrets/db/?api-version=7.4#frag").value();
    BOOST_TEST(u.scheme == "https");
    BOOST_TEST(u.host == "myvault.vault.azure.net");
    BOOST_TEST(u.port == 443);
    BOOST_TEST(!u.explicit_port);
    BOOST_TEST(u.target == "/secrets/db/?api-version=7.4");
    BOOST_TEST(u.host_header() == "myvault.vault.azure.net");
    BOOST_TEST(u.authority() == "myvault.vault.azure.net:443");

    auto p = detail::parse_url("http://127.0.0.1:8080").value();
    BOOST_TEST(p.port == 8080);
    BOOST_TEST(p.target == "/");
    BOOST_TEST(p.host_header() == "127.0.0.1:8080");

    auto q = detail::parse_url("http://h?x=1").value();
    BOOST_TEST(q.target == "/?x=1");

    auto v6 = detail::parse_url("https://[::1]:8443/a").value();
    BOOST_TEST(v6.ipv6);
    BOOST_TEST(v6.host == "::1");
    BOOST_TEST(v6.authority() == "[::1]:8443");
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_use) {
    for (auto bad : {"", "vault.azure.net/secrets", "https://", "https://user:pw@host/", "https://host:0/",
                     "https://host:65536/", "https://host:80x/", "https://ho st/", "https://host/a b",
                     "https://host/a\r\nX: y", "https://[::1/", "https://[nothost]/"}) {
        auto r = detail::parse_url(bad);
        BOOST_TEST(!r.has_value(), bad);
        if (!r) BOOST_TEST((r.error() == condition::invalid_input), bad);
    }
    BOOST_TEST((detail::parse_url("ftp://host/").error() == error::unsupported_scheme));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(proxy)

BOOST_AUTO_TEST_CASE(environment_lower_case_wins) {
    static std::map<std::string, std::string> env;
    env = {{"HTTPS_PROXY", "http://upper:1"}, {"https_proxy", "http://lower:2"}, {"HTTP_PROXY", "http://plain:3"},
           {"NO_PROXY", "localhost"}};
    auto s = proxy_settings::from_environment(+[](char const* n) -> char const* {
        auto it = env.find(n);
        return it == env.end() ? nullptr : it->second.c_str();
    });
    BOOST_TEST(s.https_proxy == "http://lower:2");
    BOOST_TEST(s.http_proxy == "http://plain:3");
    BOOST_TEST(s.no_proxy == "localhost");
}

BOOST_AUTO_TEST_CASE(no_proxy_matches_hosts_suffixes_ips_and_ports) {
    auto u = [](char const* s) { return detail::parse_url(s).value(); };
    BOOST_TEST(detail::bypasses_proxy("*", u("https://anything/")));
    BOOST_TEST(detail::bypasses_proxy("example.com", u("https://example.com/")));
    BOOST_TEST(detail::bypasses_proxy("example.com", u("https://kv.example.com/")));
    BOOST_TEST(!detail::bypasses_proxy("example.com", u("https://badexample.com/")));
    BOOST_TEST(detail::bypasses_proxy(".vault.azure.net", u("https://a.vault.azure.net/")));
    BOOST_TEST(detail::bypasses_proxy(" foo , .vault.azure.net", u("https://vault.azure.net/")));
    BOOST_TEST(detail::bypasses_proxy("127.0.0.1", u("http://127.0.0.1:8080/")));
    BOOST_TEST(!detail::bypasses_proxy("127.0.0.1", u("http://127.0.0.10/")));
    BOOST_TEST(detail::bypasses_proxy("localhost:8443", u("https://localhost:8443/")));
    BOOST_TEST(!detail::bypasses_proxy("localhost:8443", u("https://localhost:9443/")));
    BOOST_TEST(detail::bypasses_proxy("[::1]", u("https://[::1]:1/")));
    BOOST_TEST(!detail::bypasses_proxy("", u("https://a/")));
}

BOOST_AUTO_TEST_CASE(credentials_in_the_proxy_url_become_basic_auth) {
    proxy_settings s{.https_proxy = "user:p%40ss@127.0.0.1:3128", .http_proxy = "", .no_proxy = ""};
    auto r = detail::choose_proxy(s, detail::parse_url("https://kv.example/").value()).value();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->proxy.host == "127.0.0.1");
    BOOST_TEST(r->proxy.port == 3128);
    BOOST_TEST(r->authorization == "Basic " + detail::base64_encode("user:p%40ss"));
    // http:// URLs use http_proxy, which is empty here
    BOOST_TEST(!detail::choose_proxy(s, detail::parse_url("http://kv.example/").value()).value().has_value());
}

BOOST_AUTO_TEST_CASE(unusable_proxy_urls_are_errors) {
    proxy_settings s{.https_proxy = "https://secure-proxy:443", .http_proxy = "", .no_proxy = ""};
    auto r = detail::choose_proxy(s, detail::parse_url("https://kv.example/").value());
    BOOST_TEST((r.error() == error::invalid_proxy));
    BOOST_TEST(detail::base64_encode("ab") == "YWI=");
    BOOST_TEST(detail::base64_encode("abc") == "YWJj");
    BOOST_TEST(detail::base64_encode("a") == "YQ==");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retry_after)

BOOST_AUTO_TEST_CASE(reads_the_headers_in_azure_order) {
    auto const now = std::chrono::system_clock::from_time_t(1767225600); // 2026-01-01T00:00:00Z
    fields h;
    BOOST_TEST(!detail::server_retry_delay(h, now).has_value());
    h.set(field::retry_after, "7");
    BOOST_TEST(detail::server_retry_delay(h, now).value() == 7000ms);
    h.set("x-ms-retry-after-ms", "1500");
    BOOST_TEST(detail::server_retry_delay(h, now).value() == 1500ms);
    h.set("retry-after-ms", "250");
    BOOST_TEST(detail::server_retry_delay(h, now).value() == 250ms);
}

BOOST_AUTO_TEST_CASE(http_dates_are_relative_to_now) {
    auto const now = std::chrono::system_clock::from_time_t(1767225600);
    fields h;
    h.set(field::retry_after, "Thu, 01 Jan 2026 00:00:30 GMT");
    BOOST_TEST(detail::server_retry_delay(h, now).value() == 30000ms);
    h.set(field::retry_after, "Wed, 31 Dec 2025 23:59:00 GMT");
    BOOST_TEST(detail::server_retry_delay(h, now).value() == 0ms);
    for (auto bad : {"soon", "-5", "Thu, 01 Foo 2026 00:00:30 GMT", "Thu, 01 Jan 2026 25:00:30 GMT", ""}) {
        h.set(field::retry_after, bad);
        BOOST_TEST(!detail::server_retry_delay(h, now).has_value(), bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retry_decorator)

using scripted = esx::testing::scripted_transport;
using fake_clock = esx::testing::fake_clock;
using retrying = transport::retry<scripted, fake_clock>;

retrying make(scripted s, fake_clock c, unsigned attempts = 4) {
    retry_options o;
    o.max_attempts = attempts;
    o.seed = 42;
    return retrying(std::move(s), o, c);
}

request get() { return {.method = verb::get, .url = "https://kv.example/secrets/a/", .headers = {}, .body = {}, .idempotent = {}}; }
request post() { return {.method = verb::post, .url = "https://login.example/t/oauth2/v2.0/token", .headers = {}, .body = "grant_type=client_credentials", .idempotent = {}}; }

BOOST_AUTO_TEST_CASE(retryable_status_is_retried_with_jittered_backoff) {
    scripted s;
    s.then_respond(503).then_respond(200, "ok");
    fake_clock clock;
    auto t = make(s, clock);
    auto r = esx::test::run(t.send(get()));
    BOOST_TEST(r.value().result_int() == 200u);
    BOOST_TEST(s.requests().size() == 2u);
    BOOST_TEST_REQUIRE(clock.sleeps().size() == 1u);
    BOOST_TEST(clock.sleeps()[0] >= 640ms);
    BOOST_TEST(clock.sleeps()[0] <= 1040ms);
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_is_honoured_exactly) {
    scripted s;
    s.then_respond(429, "", {{"Retry-After", "7"}}).then_respond(200);
    fake_clock clock;
    auto t = make(s, clock);
    BOOST_TEST(esx::test::run(t.send(get())).value().result_int() == 200u);
    BOOST_TEST_REQUIRE(clock.sleeps().size() == 1u);
    BOOST_TEST(clock.sleeps()[0] == 7000ms);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_and_ms_headers_are_honoured) {
    scripted s;
    fake_clock clock; // 2026-01-01T00:00:00Z
    s.then_respond(503, "", {{"Retry-After", "Thu, 01 Jan 2026 00:00:30 GMT"}})
        .then_respond(429, "", {{"x-ms-retry-after-ms", "1500"}})
        .then_respond(200);
    auto t = make(s, clock);
    BOOST_TEST(esx::test::run(t.send(get())).value().result_int() == 200u);
    BOOST_TEST_REQUIRE(clock.sleeps().size() == 2u);
    BOOST_TEST(clock.sleeps()[0] == 30000ms);
    BOOST_TEST(clock.sleeps()[1] == 1500ms);
}

BOOST_AUTO_TEST_CASE(gives_up_after_max_attempts_and_returns_the_last_response) {
    scripted s;
    for (int i = 0; i < 5; ++i) s.then_respond(500);
    fake_clock clock;
    auto t = make(s, clock, 4);
    BOOST_TEST(esx::test::run(t.send(get())).value().result_int() == 500u);
    BOOST_TEST(s.requests().size() == 4u);
    BOOST_TEST_REQUIRE(clock.sleeps().size() == 3u);
    // exponential: 800 ms, 1.6 s, 3.2 s, each scaled by a jitter in [0.8, 1.3]
    for (std::size_t i = 0; i < 3; ++i) {
        auto const base = 800.0 * (1u << i);
        BOOST_TEST(clock.sleeps()[i].count() >= static_cast<long>(base * 0.8));
        BOOST_TEST(clock.sleeps()[i].count() <= static_cast<long>(base * 1.3));
    }
}

BOOST_AUTO_TEST_CASE(a_wait_past_the_total_budget_is_not_made) {
    scripted s;
    s.then_respond(429, "", {{"Retry-After", "3600"}}).then_respond(200);
    fake_clock clock;
    auto t = make(s, clock);
    BOOST_TEST(esx::test::run(t.send(get())).value().result_int() == 429u);
    BOOST_TEST(s.requests().size() == 1u);
    BOOST_TEST(clock.sleeps().empty());
}

BOOST_AUTO_TEST_CASE(non_idempotent_requests_are_not_retried) {
    scripted s;
    s.then_respond(503).then_respond(200);
    fake_clock clock;
    auto t = make(s, clock);
    BOOST_TEST(esx::test::run(t.send(post())).value().result_int() == 503u);
    BOOST_TEST(s.requests().size() == 1u);

    scripted s2;
    s2.then_fail(make_error_code(error::connection_closed)).then_respond(200);
    auto t2 = make(s2, clock);
    BOOST_TEST((esx::test::run(t2.send(post())).error() == error::connection_closed));
    BOOST_TEST(s2.requests().size() == 1u);
    BOOST_TEST(clock.sleeps().empty());
}

BOOST_AUTO_TEST_CASE(a_post_marked_idempotent_is_retried) {
    scripted s;
    s.then_respond(503).then_respond(200);
    fake_clock clock;
    auto t = make(s, clock);
    auto req = post();
    req.idempotent = true;
    BOOST_TEST(esx::test::run(t.send(std::move(req))).value().result_int() == 200u);
    BOOST_TEST(s.requests().size() == 2u);
    BOOST_TEST(s.requests()[1].body == "grant_type=client_credentials");
}

BOOST_AUTO_TEST_CASE(transport_errors_are_retried_only_when_retryable) {
    scripted s;
    s.then_fail(boost::asio::error::connection_reset).then_fail(make_error_code(error::read_timeout)).then_respond(200);
    fake_clock clock;
    auto t = make(s, clock);
    BOOST_TEST(esx::test::run(t.send(get())).value().result_int() == 200u);
    BOOST_TEST(s.requests().size() == 3u);

    scripted s2;
    s2.then_fail(make_error_code(error::tls_hostname_mismatch)).then_respond(200);
    auto t2 = make(s2, clock);
    BOOST_TEST((esx::test::run(t2.send(get())).error() == error::tls_hostname_mismatch));
    BOOST_TEST(s2.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(other_statuses_are_returned_at_once) {
    for (unsigned status : {200u, 400u, 401u, 403u, 404u, 409u, 501u}) {
        scripted s;
        s.then_respond(status).then_respond(200);
        fake_clock clock;
        auto t = make(s, clock);
        BOOST_TEST(esx::test::run(t.send(get())).value().result_int() == status);
        BOOST_TEST(s.requests().size() == 1u);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
