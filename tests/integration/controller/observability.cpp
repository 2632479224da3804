// Integration tests of the controller's observability endpoints: `/metrics`, `/healthz` and
// `/readyz` served by esx::controller::http_endpoints over a real loopback socket, read with a
// bare Beast client, with curl and with Debian's prometheus_client parser when they are there.
// The server runs on its own io_context thread (the controller's executor in a real run); the
// test touches the registry and the readiness flag only through that executor.
#include <esx/controller/http_endpoints.hpp>
#include <esx/controller/metrics.hpp>

#include "../../support/prometheus_text.hpp"
#include "../../support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

namespace ctl = esx::controller;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// An http_endpoints serving metrics and probes on 127.0.0.1, on its own thread.
struct served {
    boost::asio::io_context ioc{1};
    ctl::metrics registry;
    bool ready = false;  // the readiness check's answer; touched on the server's thread only
    ctl::http_endpoints server;
    tcp::endpoint at;
    std::atomic<bool> run_returned{false};
    std::thread thread;

    explicit served(ctl::http_endpoints_options options = {}) : server(ioc.get_executor(), options) {
        server.serve_metrics(registry);
        server.serve_probes();
        server.add_readiness_check("caches", [this] { return ready; });
        at = server.listen(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)).value();
        boost::asio::co_spawn(
            ioc,
            [this]() -> boost::asio::awaitable<void> {
                co_await server.run();
                run_returned = true;
            },
            boost::asio::detached);
        thread = std::thread([this] { ioc.run(); });
    }
    ~served() { stop(); }

    /// Stops the server and waits for its thread: ioc.run() returns only once run() has
    /// returned and every connection's coroutine has ended.
    void stop() {
        if (!thread.joinable()) return;
        server.stop();
        thread.join();
    }

    /// Runs `f` on the server's executor and waits for it.
    template <class F>
    auto on_server(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto done = task.get_future();
        boost::asio::post(ioc, [&] { task(); });
        return done.get();
    }
};

/// A blocking HTTP/1.1 client on one connection (keep-alive unless told otherwise).
struct client {
    boost::asio::io_context ioc;
    tcp::socket socket{ioc};
    boost::beast::flat_buffer buffer;

    explicit client(tcp::endpoint const& at) {
        socket.connect(at);
        timeval tv{10, 0};  // a hung server fails the test instead of hanging it
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    http::response<http::string_body> request(http::verb verb, std::string const& target, bool keep_alive = true) {
        send(verb, target, keep_alive);
        http::response_parser<http::string_body> parser;
        parser.skip(verb == http::verb::head);
        parser.body_limit(64 * 1024 * 1024);
        http::read(socket, buffer, parser);
        return parser.release();
    }
    http::response<http::string_body> get(std::string const& target) { return request(http::verb::get, target); }

    void send(http::verb verb, std::string const& target, bool keep_alive = true) {
        http::request<http::empty_body> req{verb, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(keep_alive);
        http::write(socket, req);
    }

    /// True when the server closed the connection (a read sees end of stream or a reset).
    bool closed_by_server() {
        char byte;
        boost::system::error_code ec;
        socket.read_some(boost::asio::buffer(&byte, 1), ec);
        return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
    }
};

/// Runs a shell command; returns its exit status and standard output.
std::pair<int, std::string> shell(std::string const& command, esx::test::temp_dir const& dir) {
    auto const out = dir.path / "stdout";
    int const rc = std::system((command + " > '" + out.string() + "' 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text.str()};
}

void record_some_syncs(ctl::metrics& m) {
    auto const es = ctl::resource_kind::external_secret;
    for (auto const* name : {"db", "api", "cache"}) {
        ctl::object_key const k("team-a", name);
        m.sync_started(es, k);
        m.sync_finished(es, k, ctl::sync_outcome::synced(1h), 3ms);
        m.ready_condition(es, k, "True");
    }
    ctl::object_key const broken("team-b", "broken");
    m.sync_started(es, broken);
    m.sync_finished(es, broken, ctl::sync_outcome::retryable_failure(), 40ms);
    m.ready_condition(es, broken, "False");
    m.ready_condition(ctl::resource_kind::cluster_secret_store, ctl::object_key({}, "shared"), "True");
    m.provider_api_call("GetSecret", true);
    m.kube_request("patch");
    m.queue_depth(es, 1);
    m.max_concurrent_syncs(es, 16);
    m.token_requests.add();
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(controller)
BOOST_AUTO_TEST_SUITE(observability)

BOOST_AUTO_TEST_CASE(metrics_are_served_in_the_text_format_on_a_kept_alive_connection) {
    served s;
    s.on_server([&] { record_some_syncs(s.registry); });
    client c(s.at);
    auto const first = c.get("/metrics");
    BOOST_TEST(first.result_int() == 200);
    BOOST_TEST(first[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
    BOOST_TEST(first.keep_alive());
    auto const scrape = esx::test::parse_prometheus_text(first.body());
    BOOST_TEST(scrape.value("externalsecret_sync_calls_total", {{"name", "db"}, {"namespace", "team-a"}}) == 1.0);
    BOOST_TEST(scrape.value("externalsecret_sync_calls_error", {{"name", "broken"}, {"namespace", "team-b"}}) == 1.0);
    BOOST_TEST(scrape.value("externalsecret_status_condition",
                            {{"condition", "Ready"}, {"name", "broken"}, {"namespace", "team-b"}, {"status", "False"}}) == 1.0);
    BOOST_TEST(scrape.value("esx_sync_duration_seconds_count") == 4.0);

    // The same connection again, after the object is deleted: its series are gone.
    s.on_server([&] { s.registry.forget(ctl::resource_kind::external_secret, ctl::object_key("team-b", "broken")); });
    auto const second = c.get("/metrics");
    BOOST_TEST(second.result_int() == 200);
    auto const after = esx::test::parse_prometheus_text(second.body());
    BOOST_TEST(second.body().find("broken") == std::string::npos);
    BOOST_TEST(after.value("externalsecret_sync_calls_total", {{"name", "db"}, {"namespace", "team-a"}}) == 1.0);
    BOOST_TEST(s.on_server([&] { return s.server.requests(); }) == 2u);
    BOOST_TEST(s.on_server([&] { return s.server.connections(); }) == 1u);  // one connection served both
}

BOOST_AUTO_TEST_CASE(prometheus_client_and_curl_read_the_scrape) {
    served s;
    s.on_server([&] {
        record_some_syncs(s.registry);
        s.registry.kube_request("odd \"verb\" \\ with\nnewline");  // escaping, read back by a third party
    });
    esx::test::temp_dir dir;
    auto const url = "http://127.0.0.1:" + std::to_string(s.at.port());
    auto const ours = esx::test::parse_prometheus_text(client(s.at).get("/metrics").body());

    if (shell("command -v curl", dir).first != 0) {
        BOOST_TEST_MESSAGE("curl not found: the curl check is skipped");
    } else {
        auto const [rc, out] = shell("curl -sS --fail -D '" + (dir.path / "headers").string() + "' " + url + "/metrics", dir);
        BOOST_TEST_REQUIRE(rc == 0, "curl failed: " << out);
        auto const theirs = esx::test::parse_prometheus_text(out);
        BOOST_TEST(theirs.sample_count() == ours.sample_count());
        std::ifstream headers(dir.path / "headers");
        std::string const head((std::istreambuf_iterator<char>(headers)), {});
        BOOST_TEST(head.find("Content-Type: text/plain; version=0.0.4; charset=utf-8") != std::string::npos);
        auto const healthz = shell("curl -sS --fail " + url + "/healthz", dir);
        BOOST_TEST(healthz.first == 0);
        BOOST_TEST(healthz.second == "ok");
    }

    if (shell("/usr/bin/python3 -c 'import prometheus_client'", dir).first != 0) {
        BOOST_TEST_MESSAGE("Debian's python3-prometheus-client is not installed (scripts/install-deps installs it): "
                           "the prometheus_client check is skipped");
        return;
    }
    dir.write("scrape.txt", client(s.at).get("/metrics").body());
    dir.write("read.py", R"(import sys
from prometheus_client.parser import text_string_to_metric_families
n = 0
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for sample in family.samples:
        n += 1
        if sample.name == 'esx_kube_requests_total' and sample.labels.get('verb', '').startswith('odd'):
            print('verb=' + repr(sample.labels['verb']))
        if sample.name == 'externalsecret_sync_calls_total' and sample.labels == {'name': 'db', 'namespace': 'team-a'}:
            print('db=' + repr(sample.value))
        if sample.name == 'esx_sync_duration_seconds_bucket' and sample.labels == {'le': '+Inf'}:
            print('inf=' + repr(sample.value))
print('samples=%d' % n)
)");
    auto const [rc, out] = shell("/usr/bin/python3 '" + (dir.path / "read.py").string() + "' '" +
                                     (dir.path / "scrape.txt").string() + "'",
                                 dir);
    BOOST_TEST_REQUIRE(rc == 0, "prometheus_client refused the scrape: " << out);
    BOOST_TEST(out.find("samples=" + std::to_string(ours.sample_count()) + "\n") != std::string::npos, out);
    BOOST_TEST(out.find("verb='odd \"verb\" \\\\ with\\nnewline'") != std::string::npos, out);
    BOOST_TEST(out.find("db=1.0") != std::string::npos, out);
    BOOST_TEST(out.find("inf=4.0") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(probes_answer_as_kubernetes_probes_expect) {
    served s;
    client c(s.at);
    auto const health = c.get("/healthz");
    BOOST_TEST(health.result_int() == 200);
    BOOST_TEST(health.body() == "ok");

    // Not ready until the caches are synced.
    auto const not_ready = c.get("/readyz");
    BOOST_TEST(not_ready.result_int() == 500);
    BOOST_TEST(not_ready.body() == "[-]caches failed: reason withheld\nreadyz check failed\n");
    BOOST_TEST(c.get("/readyz/caches").result_int() == 500);

    s.on_server([&] { s.ready = true; });
    auto const ready = c.get("/readyz");
    BOOST_TEST(ready.result_int() == 200);
    BOOST_TEST(ready.body() == "ok");
    auto const verbose = c.get("/readyz?verbose");
    BOOST_TEST(verbose.result_int() == 200);
    BOOST_TEST(verbose.body() == "[+]caches ok\nreadyz check passed\n");
    BOOST_TEST(c.get("/readyz/caches").body() == "ok");
    BOOST_TEST(c.get("/readyz/nothing-by-that-name").result_int() == 404);

    // And back: a readiness that is lost is reported at once.
    s.on_server([&] { s.ready = false; });
    BOOST_TEST(c.get("/readyz").result_int() == 500);

    auto const missing = c.get("/secrets");
    BOOST_TEST(missing.result_int() == 404);
    BOOST_TEST(missing.body() == "404 page not found\n");
    auto const post = c.request(http::verb::post, "/metrics");
    BOOST_TEST(post.result_int() == 405);
    BOOST_TEST(post[http::field::allow] == "GET, HEAD");
    auto const head = c.request(http::verb::head, "/healthz");
    BOOST_TEST(head.result_int() == 200);
    BOOST_TEST(head[http::field::content_length] == "2");
    BOOST_TEST(head.body().empty());
    BOOST_TEST(c.get("/healthz").body() == "ok");  // the HEAD left the connection usable
}

BOOST_AUTO_TEST_CASE(requests_and_connections_are_bounded) {
    ctl::http_endpoints_options options;
    options.max_request_bytes = 4096;
    options.max_connections = 2;
    served s(options);

    // A header beyond the limit: 431, and the connection is closed.
    {
        client c(s.at);
        std::string const request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(8192, 'a') +
                                    "\r\n\r\n";
        boost::asio::write(c.socket, boost::asio::buffer(request));
        http::response<http::string_body> res;
        http::read(c.socket, c.buffer, res);
        BOOST_TEST(res.result_int() == 431);
        BOOST_TEST(c.closed_by_server());
    }
    // Poll (bounded) until the server has seen that connection end: the count is the server's.
    for (int i = 0; i < 1000 && s.on_server([&] { return s.server.connections(); }) != 0; ++i) std::this_thread::yield();
    BOOST_TEST_REQUIRE(s.on_server([&] { return s.server.connections(); }) == 0u);

    client a(s.at), b(s.at);
    BOOST_TEST(a.get("/healthz").result_int() == 200);
    BOOST_TEST(b.get("/healthz").result_int() == 200);
    client third(s.at);  // accepted by the kernel, closed by the server: two are served at once
    BOOST_TEST(third.closed_by_server());
    BOOST_TEST(s.on_server([&] { return s.server.connections(); }) == 2u);
    BOOST_TEST(a.get("/metrics").result_int() == 200);  // the two served keep working
}

BOOST_AUTO_TEST_CASE(stop_closes_open_connections_and_run_returns) {
    served s;
    client kept(s.at);
    BOOST_TEST(kept.get("/healthz").result_int() == 200);
    BOOST_TEST(!s.run_returned);
    s.stop();  // returns once the server's thread has nothing left: run() and every connection ended
    BOOST_TEST(s.run_returned);
    BOOST_TEST(kept.closed_by_server());
    boost::asio::io_context ioc;
    tcp::socket late(ioc);
    boost::system::error_code ec;
    late.connect(s.at, ec);
    BOOST_TEST(ec == boost::asio::error::connection_refused);
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_reported_not_thrown) {
    served s;
    boost::asio::io_context ioc;
    ctl::http_endpoints second(ioc.get_executor());
    auto const taken = second.listen(s.at);
    BOOST_TEST(!taken.has_value());
    BOOST_TEST((taken.error() == boost::asio::error::address_in_use));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
