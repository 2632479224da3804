// The https and http transports against real Beast servers on loopback: TLS with a CA made
// at test time, keep-alive and the pool, timeouts, proxies, hostile responses, redaction.
#include <esx/transport/http.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/retry.hpp>
#include <esx/testing/fake_clock.hpp>

#include "../../mocks/common/pki.hpp"
#include "../support/connect_proxy.hpp"
#include "../support/run.hpp"
#include "../../mocks/common/scripted_server.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <mutex>

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using esx::test::action;
using esx::test::scripted_server;
using esx::test::server_options;

namespace {

// One CA and leaf set per test run: key generation is the slow part.
struct test_pki {
    esx::mocks::pki::authority ca = esx::mocks::pki::authority::generate("esx transport test CA");
    esx::mocks::pki::authority other_ca = esx::mocks::pki::authority::generate("some other CA");
    esx::mocks::pki::issued loopback = ca.issue_server({"localhost", "kv.vault.esx.test"}, {"127.0.0.1"});
    esx::mocks::pki::issued wrong_name = ca.issue_server({"elsewhere.example"}, {});
    esx::mocks::pki::issued expired = ca.issue_server({"localhost"}, {"127.0.0.1"}, std::chrono::hours(24), true);
    esx::mocks::pki::issued foreign = other_ca.issue_server({"localhost"}, {"127.0.0.1"});
};
test_pki const& pki() {
    static test_pki const instance;
    return instance;
}

server_options tls_with(esx::mocks::pki::issued const& leaf) {
    server_options o;
    o.tls = true;
    o.cert_pem = leaf.cert_pem;
    o.key_pem = leaf.key_pem;
    return o;
}

bhttp::response<bhttp::string_body> reply(unsigned status, std::string body = "{\"value\":\"x\"}") {
    bhttp::response<bhttp::string_body> r{static_cast<bhttp::status>(status), 11};
    r.set(bhttp::field::content_type, "application/json");
    r.body() = std::move(body);
    return r;
}

auto always(unsigned status, std::string body = "{\"value\":\"x\"}") {
    return [=](auto const&) { return action::respond(reply(status, body)); };
}

esx::transport::options trusting_test_ca() {
    esx::transport::options o;
    o.ca_pem = pki().ca.cert_pem();
    o.proxy = esx::transport::proxy_settings{}; // never the developer's own proxy
    o.timeouts = {2s, 5s, 10s};
    return o;
}

esx::transport::request get(std::string url) {
    return {.method = esx::transport::verb::get, .url = std::move(url), .headers = {}, .body = {}, .idempotent = {}};
}

// Runs `n` requests at once on one io_context and returns their results in order.
template <class Transport>
std::vector<esx::result<esx::transport::response>> send_concurrently(net::io_context& ioc, Transport& t,
                                                                     std::string const& url, int n) {
    std::vector<esx::result<esx::transport::response>> out(n, esx::error_code{});
    int done = 0;
    for (int i = 0; i < n; ++i)
        net::co_spawn(ioc, t.send(get(url)), [&, i](std::exception_ptr, esx::result<esx::transport::response> r) {
            out[i] = std::move(r);
            ++done;
        });
    ioc.restart();
    ioc.run();
    BOOST_TEST(done == n);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(transport)

BOOST_AUTO_TEST_SUITE(https_policy)

BOOST_AUTO_TEST_CASE(get_over_verified_tls) {
    std::string seen_host, seen_agent;
    scripted_server srv(tls_with(pki().loopback), [&](auto const& req) {
        seen_host = std::string(req[bhttp::field::host]);
        seen_agent = std::string(req[bhttp::field::user_agent]);
        return action::respond(reply(200, "{\"value\":\"s3cr3t\"}"));
    });
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/secrets/db/?api-version=7.4")));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->result_int() == 200u);
    BOOST_TEST(r->body() == "{\"value\":\"s3cr3t\"}");
    BOOST_TEST(seen_host == "127.0.0.1:" + std::to_string(srv.port()));
    BOOST_TEST(seen_agent.starts_with("esx/"));
    // SNI carries DNS names only (RFC 6066): none is sent to an IP address.
    BOOST_TEST(srv.server_names() == std::vector<std::string>{""});
}

BOOST_AUTO_TEST_CASE(a_server_signed_by_another_ca_is_rejected) {
    scripted_server srv(tls_with(pki().foreign), always(200));
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error() == error::tls_untrusted_certificate));
    BOOST_TEST((r.error() == condition::tls_failure));
    BOOST_TEST(r.error().message().find("not trusted") != std::string::npos);
    BOOST_TEST(srv.requests_served() == 0u);
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_is_rejected) {
    scripted_server srv(tls_with(pki().wrong_name), always(200));
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error() == error::tls_hostname_mismatch));
    BOOST_TEST((r.error() == condition::tls_failure));
    BOOST_TEST(srv.requests_served() == 0u);
}

BOOST_AUTO_TEST_CASE(an_expired_certificate_is_rejected) {
    scripted_server srv(tls_with(pki().expired), always(200));
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error() == error::tls_certificate_expired));
}

BOOST_AUTO_TEST_CASE(resolve_override_keeps_the_name_for_verification) {
    scripted_server srv(tls_with(pki().loopback), always(200));
    auto o = trusting_test_ca();
    auto const authority = "kv.vault.esx.test:" + std::to_string(srv.port());
    o.resolve[authority] = "127.0.0.1";
    net::io_context ioc;
    transport::https t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get("https://" + authority + "/secrets/a")));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->result_int() == 200u);
    BOOST_TEST(srv.server_names() == std::vector<std::string>{"kv.vault.esx.test"});

    // The same server under a name its certificate does not carry is refused.
    auto o2 = trusting_test_ca();
    auto const other = "other.vault.esx.test:" + std::to_string(srv.port());
    o2.resolve[other] = "127.0.0.1";
    transport::https t2(ioc.get_executor(), o2);
    auto r2 = esx::test::run(ioc, t2.send(get("https://" + other + "/")));
    BOOST_TEST((r2.error() == error::tls_hostname_mismatch));
}

BOOST_AUTO_TEST_CASE(chunked_bodies_are_reassembled) {
    scripted_server srv(tls_with(pki().loopback),
                        [](auto const&) { return action::chunked(200, {"{\"va", "lue\":", "\"chunked\"}"}); });
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->body() == "{\"value\":\"chunked\"}");
}

BOOST_AUTO_TEST_CASE(bad_configuration_is_reported_not_thrown) {
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.ca_pem = "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n";
    transport::https bad_ca(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, bad_ca.send(get("https://127.0.0.1:1/")));
    BOOST_TEST((r.error() == error::invalid_ca_bundle));
    BOOST_TEST((r.error() == condition::invalid_input));

    transport::https t(ioc.get_executor(), trusting_test_ca());
    BOOST_TEST((esx::test::run(ioc, t.send(get("http://127.0.0.1:1/"))).error() == error::unsupported_scheme));
    BOOST_TEST((esx::test::run(ioc, t.send(get("not a url"))).error() == error::invalid_url));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_policy)

BOOST_AUTO_TEST_CASE(post_with_body_over_plain_http) {
    std::string seen_body;
    scripted_server srv([&](auto const& req) {
        seen_body = req.body();
        return action::respond(reply(201, "created"));
    });
    net::io_context ioc;
    transport::http t(ioc.get_executor(), trusting_test_ca());
    auto req = get(srv.origin() + "/things");
    req.method = verb::post;
    req.body = "a=1&b=2";
    req.headers.set(field::content_type, "application/x-www-form-urlencoded");
    auto r = esx::test::run(ioc, t.send(std::move(req)));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->result_int() == 201u);
    BOOST_TEST(seen_body == "a=1&b=2");
}

BOOST_AUTO_TEST_CASE(a_bearer_token_is_never_sent_in_clear_except_where_allowed) {
    scripted_server srv(always(200));
    net::io_context ioc;
    transport::http t(ioc.get_executor(), trusting_test_ca());
    auto req = get(srv.origin() + "/secrets/a");
    req.headers.set(field::authorization, "Bearer eyJ0eXAi.token");
    auto r = esx::test::run(ioc, t.send(req));
    BOOST_TEST((r.error() == error::bearer_over_plain_http));
    BOOST_TEST(srv.connections_accepted() == 0u);

    auto o = trusting_test_ca();
    o.allow_bearer_over_plain_http = true;
    transport::http allowed(ioc.get_executor(), o);
    BOOST_TEST(esx::test::run(ioc, allowed.send(req)).value().result_int() == 200u);

    BOOST_TEST((esx::test::run(ioc, t.send(get("https://127.0.0.1:1/"))).error() == error::unsupported_scheme));
}

BOOST_AUTO_TEST_CASE(head_responses_have_no_body_to_wait_for) {
    scripted_server srv([](auto const& req) {
        auto r = reply(200, "");
        r.content_length(1234); // what a GET would have returned
        if (req.method() != bhttp::verb::head) r.body() = std::string(1234, 'x');
        return action::respond(std::move(r));
    });
    net::io_context ioc;
    transport::http t(ioc.get_executor(), trusting_test_ca());
    auto req = get(srv.origin() + "/");
    req.method = verb::head;
    auto r = esx::test::run(ioc, t.send(req));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->body().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(one_hundred_sequential_requests_use_one_connection) {
    scripted_server srv(tls_with(pki().loopback), always(200));
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    for (int i = 0; i < 100; ++i) {
        auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/secrets/s" + std::to_string(i))));
        BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    }
    BOOST_TEST(srv.requests_served() == 100u);
    BOOST_TEST(srv.connections_accepted() == 1u);
    BOOST_TEST(t.connections_opened() == 1u);
    BOOST_TEST(t.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(concurrency_is_capped_per_host) {
    scripted_server srv(tls_with(pki().loopback),
                        [](auto const&) { return action::respond_after(reply(200), 10ms); });
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.max_connections_per_host = 4;
    transport::https t(ioc.get_executor(), o);
    auto results = send_concurrently(ioc, t, srv.origin() + "/", 40);
    for (auto const& r : results) BOOST_TEST((r.has_value() && r->result_int() == 200u));
    BOOST_TEST(srv.requests_served() == 40u);
    BOOST_TEST(srv.max_concurrent_connections() <= 4u);
    BOOST_TEST(srv.connections_accepted() == 4u);
    BOOST_TEST(t.connections_opened() == 4u);
}

BOOST_AUTO_TEST_CASE(idle_connections_are_capped_across_hosts_the_oldest_closed_first) {
    scripted_server a(always(200)), b(always(200));
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.max_idle_connections = 1;
    transport::http t(ioc.get_executor(), o);
    BOOST_TEST(esx::test::run(ioc, t.send(get(a.origin() + "/"))).has_value());
    BOOST_TEST(t.idle_connections() == 1u);
    BOOST_TEST(esx::test::run(ioc, t.send(get(b.origin() + "/"))).has_value());
    BOOST_TEST(t.idle_connections() == 1u);  // a's connection, idle longer, was closed
    BOOST_TEST(esx::test::run(ioc, t.send(get(b.origin() + "/"))).has_value());
    BOOST_TEST(b.connections_accepted() == 1u);  // b's was kept and reused
    BOOST_TEST(esx::test::run(ioc, t.send(get(a.origin() + "/"))).has_value());
    BOOST_TEST(a.connections_accepted() == 2u);  // a's had to be opened again
    BOOST_TEST(t.connections_opened() == 3u);
    BOOST_TEST(t.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(connection_close_from_the_server_is_honoured) {
    scripted_server srv([](auto const&) {
        auto r = reply(200);
        r.keep_alive(false);
        return action::respond(std::move(r));
    });
    net::io_context ioc;
    transport::http t(ioc.get_executor(), trusting_test_ca());
    for (int i = 0; i < 3; ++i) BOOST_TEST(esx::test::run(ioc, t.send(get(srv.origin() + "/"))).has_value());
    BOOST_TEST(srv.connections_accepted() == 3u);
    BOOST_TEST(t.idle_connections() == 0u);
}

// A server that closes every connection after one response: each request connects anew.
scripted_server::handler closing_after_each_response() {
    return [](auto const&) {
        auto r = reply(200);
        r.keep_alive(false);
        return action::respond(std::move(r));
    };
}

// Sends `n` GETs of `url` one after another; each must succeed.
void get_times(net::io_context& ioc, transport::https& t, std::string const& url, int n) {
    for (int i = 0; i < n; ++i) {
        auto r = esx::test::run(ioc, t.send(get(url)));
        BOOST_TEST(r.has_value(), (r ? "" : r.error().message()));
    }
}

BOOST_AUTO_TEST_CASE(a_new_connection_resumes_the_tls_session_of_an_earlier_one) {
    scripted_server srv(tls_with(pki().loopback), closing_after_each_response());
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    get_times(ioc, t, srv.origin() + "/", 4);
    BOOST_TEST(t.connections_opened() == 4u);
    BOOST_TEST(t.sessions_resumed() == 3u); // the first handshake is a full one
    BOOST_TEST(srv.sessions_resumed() == 3u);
}

BOOST_AUTO_TEST_CASE(tls_1_2_sessions_are_resumed_and_kept) {
    auto o = tls_with(pki().loopback);
    o.tls_max_version = TLS1_2_VERSION;
    scripted_server srv(o, closing_after_each_response());
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    get_times(ioc, t, srv.origin() + "/", 4);
    BOOST_TEST(srv.sessions_resumed() == 3u); // a resumed TLS 1.2 session serves the next one too
    BOOST_TEST(t.sessions_resumed() == 3u);
}

BOOST_AUTO_TEST_CASE(a_session_resumes_only_connections_to_the_origin_that_issued_it) {
    scripted_server srv(tls_with(pki().loopback), closing_after_each_response());
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.resolve["localhost:" + std::to_string(srv.port())] = "127.0.0.1";
    transport::https t(ioc.get_executor(), o);
    std::string const by_name = "https://localhost:" + std::to_string(srv.port()) + "/";
    BOOST_TEST(esx::test::run(ioc, t.send(get(srv.origin() + "/"))).has_value()); // full
    BOOST_TEST(esx::test::run(ioc, t.send(get(by_name))).has_value());            // full: another name
    BOOST_TEST(srv.sessions_resumed() == 0u);
    BOOST_TEST(esx::test::run(ioc, t.send(get(by_name))).has_value()); // resumes localhost's
    BOOST_TEST(srv.sessions_resumed() == 1u);
    BOOST_TEST((srv.server_names() == std::vector<std::string>{"", "localhost", "localhost"}));
}

BOOST_AUTO_TEST_CASE(a_server_that_fails_resumed_handshakes_gets_full_ones) {
    auto o = tls_with(pki().loopback);
    o.request_client_certificate = true; // and no session id context: OpenSSL fails resumptions
    scripted_server srv(o, closing_after_each_response());
    net::io_context ioc;
    transport::https t(ioc.get_executor(), trusting_test_ca());
    get_times(ioc, t, srv.origin() + "/", 3);
    BOOST_TEST(t.connections_opened() == 3u);
    BOOST_TEST(srv.connections_accepted() == 4u); // the second request's resumption failed once
    BOOST_TEST(srv.sessions_resumed() == 0u);
    BOOST_TEST(t.sessions_resumed() == 0u);
}

BOOST_AUTO_TEST_CASE(without_verification_too_a_server_that_fails_resumed_handshakes_gets_full_ones) {
    auto o = tls_with(pki().loopback);
    o.request_client_certificate = true;
    scripted_server srv(o, closing_after_each_response());
    net::io_context ioc;
    auto client = trusting_test_ca();
    client.ca_pem.clear();      // the server's chain does not verify (the system store lacks its CA)
    client.verify_peer = false; // and is not required to: a failed resumption then reports that
                                // stored verify result, not a plain handshake failure
    transport::https t(ioc.get_executor(), client);
    get_times(ioc, t, srv.origin() + "/", 3);
    BOOST_TEST(srv.connections_accepted() == 4u);
    BOOST_TEST(t.sessions_resumed() == 0u);
}

BOOST_AUTO_TEST_CASE(turned_off_every_connection_is_a_full_handshake) {
    scripted_server srv(tls_with(pki().loopback), closing_after_each_response());
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.resume_tls_sessions = false;
    transport::https t(ioc.get_executor(), o);
    get_times(ioc, t, srv.origin() + "/", 3);
    BOOST_TEST(t.sessions_resumed() == 0u);
    BOOST_TEST(srv.sessions_resumed() == 0u);
}

BOOST_AUTO_TEST_CASE(idle_connections_are_evicted) {
    scripted_server srv(always(200));
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.idle_timeout = 0ms; // every pooled connection is already too old when the next request comes
    transport::http t(ioc.get_executor(), o);
    for (int i = 0; i < 3; ++i) BOOST_TEST(esx::test::run(ioc, t.send(get(srv.origin() + "/"))).has_value());
    BOOST_TEST(t.connections_opened() == 3u);
}

BOOST_AUTO_TEST_CASE(a_pooled_connection_the_server_dropped_is_replaced_transparently) {
    int calls = 0;
    scripted_server srv([&](auto const&) {
        // The second request arrives on the kept-alive connection; the server drops it
        // unanswered, as a server does when its idle timer fires at that moment.
        return ++calls == 2 ? action::close() : action::respond(reply(200));
    });
    net::io_context ioc;
    transport::http t(ioc.get_executor(), trusting_test_ca());
    BOOST_TEST(esx::test::run(ioc, t.send(get(srv.origin() + "/a"))).has_value());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/b")));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->result_int() == 200u);
    BOOST_TEST(calls == 3);
    BOOST_TEST(srv.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(an_idle_transport_leaves_no_work_behind) {
    // The deadline watchdog must disarm once nothing is in flight, or a blocking caller's
    // io_context would not return until the next deadline.
    scripted_server srv(always(200));
    auto o = trusting_test_ca();
    o.timeouts = {2s, 60s, 120s};
    net::io_context ioc;
    transport::http t(ioc.get_executor(), o);
    bool done = false;
    net::co_spawn(ioc, t.send(get(srv.origin() + "/")), [&](std::exception_ptr, esx::result<response> r) {
        BOOST_TEST(r.has_value());
        done = true;
    });
    while (!done) ioc.run_one();
    ioc.poll(); // runs whatever is ready now, such as the watchdog's idle check
    BOOST_TEST(ioc.stopped()); // nothing left: no armed timer, no pending operation
    BOOST_TEST(t.idle_connections() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deadlines)

BOOST_AUTO_TEST_CASE(a_stalled_tls_handshake_hits_the_connect_timeout) {
    auto so = tls_with(pki().loopback);
    so.stall_tls_handshake = true;
    scripted_server srv(so, always(200));
    auto o = trusting_test_ca();
    o.timeouts = {200ms, 5s, 10s};
    net::io_context ioc;
    transport::https t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST((r.error() == error::connect_timeout));
    BOOST_TEST((r.error() == condition::timeout));
}

BOOST_AUTO_TEST_CASE(a_silent_server_hits_the_read_timeout) {
    scripted_server srv(tls_with(pki().loopback), [](auto const&) { return action::hang(); });
    auto o = trusting_test_ca();
    o.timeouts = {2s, 200ms, 10s};
    net::io_context ioc;
    transport::https t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST((r.error() == error::read_timeout));
    BOOST_TEST((r.error() == condition::retryable));
}

BOOST_AUTO_TEST_CASE(a_trickling_server_hits_the_total_timeout) {
    std::string const slow = "HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + std::string(400, 'x');
    scripted_server srv([&](auto const&) { return action::trickle(slow, 10ms); });
    auto o = trusting_test_ca();
    o.timeouts = {2s, 1s, 300ms}; // bytes keep coming, so only the total budget can end it
    net::io_context ioc;
    transport::http t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST((r.error() == error::total_timeout));
    BOOST_TEST((r.error() != condition::retryable));
}

BOOST_AUTO_TEST_CASE(waiting_for_a_pooled_connection_counts_against_the_total) {
    // One connection allowed; every answer takes 400 ms; each request may take 600 ms in all.
    // The first request is answered at about 400 ms and hands the connection to the second,
    // which has then about 200 ms left: too little for another 400 ms answer. Had its wait
    // not counted, it would have a fresh 600 ms and succeed.
    scripted_server srv([](auto const&) { return action::respond_after(reply(200), 400ms); });
    auto o = trusting_test_ca();
    o.max_connections_per_host = 1;
    o.timeouts = {2s, 5s, 600ms};
    net::io_context ioc;
    transport::http t(ioc.get_executor(), o);
    auto results = send_concurrently(ioc, t, srv.origin() + "/", 2);
    auto const ok = std::count_if(results.begin(), results.end(), [](auto const& r) { return r.has_value(); });
    auto const timed_out = std::count_if(results.begin(), results.end(), [](auto const& r) {
        return !r.has_value() && r.error() == error::total_timeout;
    });
    BOOST_TEST(ok == 1);
    BOOST_TEST(timed_out == 1);
    BOOST_TEST(srv.connections_accepted() == 1u); // the second request used the handed-over connection
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tunnel)

BOOST_AUTO_TEST_CASE(https_goes_through_a_connect_proxy) {
    scripted_server srv(tls_with(pki().loopback), always(200));
    esx::test::connect_proxy proxy;
    auto o = trusting_test_ca();
    o.proxy = proxy_settings{.https_proxy = proxy.url(), .http_proxy = "", .no_proxy = ""};
    net::io_context ioc;
    transport::https t(ioc.get_executor(), o);
    for (int i = 0; i < 3; ++i) {
        auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/secrets/a")));
        BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    }
    auto const targets = proxy.connect_targets();
    BOOST_TEST_REQUIRE(targets.size() == 1u); // one tunnel, kept alive
    BOOST_TEST(targets[0] == "127.0.0.1:" + std::to_string(srv.port()));
}

BOOST_AUTO_TEST_CASE(no_proxy_hosts_are_reached_directly) {
    scripted_server srv(tls_with(pki().loopback), always(200));
    esx::test::connect_proxy proxy;
    auto o = trusting_test_ca();
    o.proxy = proxy_settings{.https_proxy = proxy.url(), .http_proxy = proxy.url(), .no_proxy = "localhost,127.0.0.1"};
    net::io_context ioc;
    transport::https t(ioc.get_executor(), o);
    BOOST_TEST(esx::test::run(ioc, t.send(get(srv.origin() + "/"))).has_value());
    BOOST_TEST(proxy.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(proxy_credentials_are_sent_and_required) {
    scripted_server srv(tls_with(pki().loopback), always(200));
    esx::test::connect_proxy proxy(std::string("user:pass"));
    net::io_context ioc;
    auto o = trusting_test_ca();
    o.proxy = proxy_settings{.https_proxy = "http://user:pass@127.0.0.1:" + std::to_string(proxy.port()),
                             .http_proxy = "", .no_proxy = ""};
    transport::https with_credentials(ioc.get_executor(), o);
    BOOST_TEST(esx::test::run(ioc, with_credentials.send(get(srv.origin() + "/"))).has_value());

    o.proxy->https_proxy = proxy.url();
    transport::https without(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, without.send(get(srv.origin() + "/")));
    BOOST_TEST((r.error() == error::proxy_auth_required));
}

BOOST_AUTO_TEST_CASE(plain_http_goes_through_the_proxy_in_absolute_form) {
    scripted_server srv(always(200, "via proxy"));
    esx::test::connect_proxy proxy;
    auto o = trusting_test_ca();
    o.proxy = proxy_settings{.https_proxy = "", .http_proxy = proxy.url(), .no_proxy = ""};
    net::io_context ioc;
    transport::http t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/metadata/x?a=1")));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->body() == "via proxy");
    auto const urls = proxy.forwarded_urls();
    BOOST_TEST_REQUIRE(urls.size() == 1u);
    BOOST_TEST(urls[0] == srv.origin() + "/metadata/x?a=1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(a_body_over_the_cap_is_refused) {
    scripted_server srv(tls_with(pki().loopback), always(200, std::string(4096, 'x')));
    auto o = trusting_test_ca();
    o.body_limit = 1024;
    net::io_context ioc;
    transport::https t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST((r.error() == error::response_too_large));
    // and the pool is still usable afterwards
    o.body_limit = 8192;
    transport::https t2(ioc.get_executor(), o);
    BOOST_TEST(esx::test::run(ioc, t2.send(get(srv.origin() + "/"))).has_value());
}

BOOST_AUTO_TEST_CASE(a_server_closing_mid_response_is_a_clean_error) {
    scripted_server srv([](auto const&) {
        return action::close_after_bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"value\":");
    });
    net::io_context ioc;
    transport::http t(ioc.get_executor(), trusting_test_ca());
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST((r.error() == error::connection_closed));
    BOOST_TEST((r.error() == condition::retryable));
}

BOOST_AUTO_TEST_CASE(malformed_status_lines_and_headers_are_rejected_cleanly) {
    std::vector<std::string> const hostile = {
        "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        "garbage\r\n\r\n",
        "HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
        [] {
            static constexpr char nul_in_header[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
            return std::string(nul_in_header, sizeof nul_in_header - 1);
        }(),
    };
    std::size_t next = 0;
    scripted_server srv([&](auto const&) { return action::raw(hostile.at(next++)); });
    auto o = trusting_test_ca();
    o.timeouts = {2s, 2s, 4s}; // a hang would show up as a timeout, not pass
    net::io_context ioc;
    transport::http t(ioc.get_executor(), o);
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
        BOOST_TEST(!r.has_value(), "case " << i);
        if (!r) BOOST_TEST((r.error() == error::malformed_response), "case " << i << ": " << r.error().message());
    }
}

BOOST_AUTO_TEST_CASE(retry_over_the_wire_honours_retry_after_with_a_fake_clock) {
    int calls = 0;
    scripted_server srv(tls_with(pki().loopback), [&](auto const&) {
        if (++calls == 1) {
            auto r = reply(429, R"({"error":{"code":"Throttled","message":"Request was not processed"}})");
            r.set(bhttp::field::retry_after, "2");
            return action::respond(std::move(r));
        }
        return action::respond(reply(200));
    });
    net::io_context ioc;
    esx::testing::fake_clock clock;
    transport::retry<transport::https, esx::testing::fake_clock> t(
        transport::https(ioc.get_executor(), trusting_test_ca()), retry_options{}, clock);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/secrets/a")));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->result_int() == 200u);
    BOOST_TEST(calls == 2);
    BOOST_TEST_REQUIRE(clock.sleeps().size() == 1u);
    BOOST_TEST(clock.sleeps()[0] == 2000ms);
    BOOST_TEST(t.next_layer().connections_opened() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(redaction)

BOOST_AUTO_TEST_CASE(a_secret_never_reaches_a_log_line) {
    std::string const secret = "kv-secret-Zq81xVv0-never-log-me";
    std::mutex m;
    std::vector<std::string> lines;
    esx::log::logger logger(esx::log::level::trace, [&](std::string_view l) {
        std::lock_guard lock(m);
        lines.emplace_back(l);
    });
    int calls = 0;
    scripted_server srv(tls_with(pki().loopback), [&](auto const& req) {
        ++calls;
        if (calls == 1) return action::respond(reply(503, "{\"error\":\"" + secret + "\"}"));
        if (req.target().find("hang") != std::string_view::npos) return action::hang();
        auto r = reply(200, "{\"value\":\"" + secret + "\"}");
        r.set("x-echo", secret);
        return action::respond(std::move(r));
    });
    auto o = trusting_test_ca();
    o.logger = logger;
    o.timeouts = {2s, 200ms, 5s};
    retry_options ro;
    ro.logger = logger;
    ro.max_attempts = 2;
    net::io_context ioc;
    esx::testing::fake_clock clock;
    transport::retry<transport::https, esx::testing::fake_clock> t(transport::https(ioc.get_executor(), o), ro, clock);

    auto req = get(srv.origin() + "/secrets/db?api-version=7.4&token=" + secret);
    req.headers.set(field::authorization, "Bearer " + secret);
    req.body = "client_secret=" + secret;
    auto r = esx::test::run(ioc, t.send(req));
    BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
    BOOST_TEST(r->body().find(secret) != std::string::npos); // the caller does get the value

    auto hang = get(srv.origin() + "/hang/" + "x");
    hang.headers.set(field::authorization, "Bearer " + secret);
    BOOST_TEST(!esx::test::run(ioc, t.send(hang)).has_value());

    // an error's message is safe too
    BOOST_TEST(esx::log::field::describe(make_http_error(503)).find(secret) == std::string::npos);

    BOOST_TEST(lines.size() >= 3u); // the exchange, the retry and the failure were logged
    for (auto const& l : lines) BOOST_TEST(l.find(secret) == std::string::npos, l);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
