// Requests/s of the esx `https` and `http` transports against an in-process Beast server,
// beside a bare Beast client doing the same exchange by hand in the same run, and the ratio.
//
// Prints figures and never asserts on time: a shared 2-core CI box is too noisy for that.
// It fails (exit 1) only when a request fails or a response is not the one served, so
// neither side can look fast by doing less work.
#include <esx/transport/http.hpp>
#include <esx/transport/https.hpp>

#include "bench/support/window.hpp"
#include "mocks/common/pki.hpp"
#include "mocks/common/scripted_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/version.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using esx::bench::bench_clock;

constexpr std::size_t body_size = 316; // a Key Vault "get secret" answer is about this size
constexpr char const* target = "/secrets/db-password/?api-version=7.4";
constexpr auto warmup = std::chrono::milliseconds(500); // connects and handshakes happen here

// A Key-Vault-like secret bundle, its value padded so the whole body is `body_size` bytes.
std::string vault_body() {
    std::string const head = R"({"value":")";
    std::string const tail =
        R"(","id":"https://bench.vault.esx.test/secrets/db-password/0123456789abcdef0123456789abcdef",)"
        R"("attributes":{"enabled":true,"created":1767225600,"updated":1767225600,)"
        R"("recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{},"contentType":"text/plain"})";
    return head + std::string(body_size - head.size() - tail.size(), 's') + tail;
}

using esx::bench::window;

// Both clients apply the same check, so the comparison is of equal work.
void completed(window& w, unsigned status, std::size_t size) {
    w.completed(status == 200 && size == body_size,
                "unexpected response: status " + std::to_string(status) + ", " + std::to_string(size) + " bytes");
}

// (a) esx: every worker shares one transport, as an application would.
template <class Transport>
net::awaitable<void> esx_worker(Transport& t, esx::transport::request const& req, window& w) {
    while (w.running()) {
        auto r = co_await t.send(req); // `send` takes the request by value: a copy per call, as in real use
        if (!r) {
            w.fail("esx: " + r.error().message());
            co_return;
        }
        completed(w, r->result_int(), r->body().size());
    }
}

// (b) bare Beast: the minimal keep-alive loop on one connection (no timers, no pool).
template <class Stream>
net::awaitable<void> bare_loop(Stream& s, bhttp::request<bhttp::string_body> const& req, window& w) {
    beast::flat_buffer buffer;
    while (w.running()) {
        bhttp::response<bhttp::string_body> res;
        co_await bhttp::async_write(s, req, net::use_awaitable);
        co_await bhttp::async_read(s, buffer, res, net::use_awaitable);
        completed(w, res.result_int(), res.body().size());
    }
}

// Each bare worker owns its connection; errors throw and reach the co_spawn handler.
template <bool Tls>
net::awaitable<void> bare_worker(net::ssl::context& ctx, tcp::endpoint ep, bhttp::request<bhttp::string_body> const& req,
                                 window& w) {
    beast::tcp_stream tcp_stream(co_await net::this_coro::executor);
    co_await tcp_stream.async_connect(ep, net::use_awaitable);
    tcp_stream.socket().set_option(tcp::no_delay(true)); // esx sets it too; without it Nagle adds delays
    if constexpr (Tls) {
        beast::ssl_stream<beast::tcp_stream> s(std::move(tcp_stream), ctx);
        // Same trust decision as esx: the test CA, and the certificate must name 127.0.0.1.
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.native_handle()), "127.0.0.1") != 1)
            throw std::runtime_error("X509_VERIFY_PARAM_set1_ip_asc failed");
        co_await s.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
        co_await bare_loop(s, req, w);
    } else {
        co_await bare_loop(tcp_stream, req, w);
    }
}

template <class MakeWorker>
double measure(net::io_context& ioc, int concurrency, double seconds, char const* who, MakeWorker make) {
    return esx::bench::measure(ioc, concurrency, seconds, warmup, "bench-transport", who, make);
}

struct row {
    char const* name;
    int concurrency;
    double esx = 0, bare = 0;
    std::size_t esx_connections = 0;
};

// One esx run on a fresh transport, so connections_opened() counts this run alone.
template <class Transport>
void measure_esx(net::io_context& ioc, double seconds, esx::transport::options const& o,
                 esx::transport::request const& req, row& r) {
    Transport t(ioc.get_executor(), o);
    r.esx = std::max(r.esx, measure(ioc, r.concurrency, seconds, "esx",
                                    [&](window& w) { return esx_worker(t, req, w); }));
    // Keeps a run that opened more (or fewer) connections than the concurrency visible.
    if (r.esx_connections == 0 || t.connections_opened() != static_cast<std::size_t>(r.concurrency))
        r.esx_connections = t.connections_opened();
}

#if defined(__OPTIMIZE__) && defined(NDEBUG)
constexpr char const* build_type = "optimised, NDEBUG (bench/meson.build: optimization=2, debug=false)";
#else
constexpr char const* build_type = "NOT an optimised NDEBUG build: the figures mean little";
#endif

} // namespace

int main(int argc, char** argv) {
    double seconds = 2.0;
    int runs = 2; // per side, bare and esx alternating; the best run counts
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const a = argv[i];
        if (a == "--seconds") seconds = std::atof(argv[i + 1]);
        else if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else seconds = 0;
    }
    if (argc % 2 == 0 || seconds <= 0 || runs < 1) {
        std::fprintf(stderr, "usage: bench-transport [--seconds X (2)] [--runs N (2)]\n");
        return 2;
    }

    // A throw-away CA; the leaf names 127.0.0.1 so both clients verify it fully.
    auto const ca = esx::mocks::pki::authority::generate("esx bench CA");
    auto const leaf = ca.issue_server({"localhost"}, {"127.0.0.1"});

    bhttp::response<bhttp::string_body> canned{bhttp::status::ok, 11};
    canned.set(bhttp::field::content_type, "application/json; charset=utf-8");
    canned.body() = vault_body();
    auto const answer = [&canned](auto const&) { return esx::test::action::respond(canned); };

    esx::test::server_options tls_opts;
    tls_opts.tls = true;
    tls_opts.cert_pem = leaf.cert_pem;
    tls_opts.key_pem = leaf.key_pem;
    esx::test::scripted_server tls_server(tls_opts, answer); // each serves on its own thread
    esx::test::scripted_server plain_server(answer);

    // The bare client's TLS context mirrors esx's: TLS 1.2+, verify against the test CA.
    net::ssl::context ctx(net::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_compression);
    ctx.add_certificate_authority(net::buffer(ca.cert_pem()));
    ctx.set_verify_mode(net::ssl::verify_peer);

    std::printf("esx transport benchmark: GET %s, %zu-byte JSON body, keep-alive, loopback\n", target, body_size);
    std::printf("machine: %u CPUs (nproc), shared by the server threads and the client thread\n",
                std::thread::hardware_concurrency());
    std::printf("build: %s; esx header-only; g++ %s, Boost %s, %s\n", build_type, __VERSION__, BOOST_LIB_VERSION,
                OpenSSL_version(OPENSSL_VERSION));
    std::printf("method: %.2f s window after %lld ms warm-up; bare and esx alternate, best of %d each\n\n", seconds,
                static_cast<long long>(warmup.count()), runs);

    net::io_context ioc{1}; // the client: main thread only, so Asio needs no locking
    std::vector<row> rows;
    for (bool tls : {false, true}) {
        esx::test::scripted_server& srv = tls ? tls_server : plain_server;
        tcp::endpoint const ep(net::ip::make_address_v4("127.0.0.1"), srv.port());

        // Identical bytes on the wire from both clients: same target, Host and User-Agent.
        bhttp::request<bhttp::string_body> bare_req{bhttp::verb::get, target, 11};
        bare_req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(srv.port()));
        bare_req.set(bhttp::field::user_agent, "esx/" ESX_VERSION_STRING);
        bare_req.prepare_payload();
        esx::transport::request const esx_req{
            .method = esx::transport::verb::get, .url = srv.origin() + target, .headers = {}, .body = {}, .idempotent = {}};

        for (int concurrency : {1, 64}) {
            row r{tls ? "https" : "http", concurrency};
            esx::transport::options o;
            o.ca_pem = ca.cert_pem();
            o.proxy = esx::transport::proxy_settings{}; // never the environment's proxy
            o.max_connections_per_host = static_cast<std::size_t>(concurrency);
            for (int run = 0; run < runs; ++run) {
                r.bare = std::max(r.bare, measure(ioc, concurrency, seconds, "bare Beast", [&](window& w) {
                    return tls ? bare_worker<true>(ctx, ep, bare_req, w) : bare_worker<false>(ctx, ep, bare_req, w);
                }));
                if (tls) measure_esx<esx::transport::https>(ioc, seconds, o, esx_req, r);
                else measure_esx<esx::transport::http>(ioc, seconds, o, esx_req, r);
            }
            rows.push_back(r);
        }
    }

    std::printf("%-9s %11s %12s %13s %7s  %-16s %s\n", "transport", "concurrency", "esx req/s", "bare req/s",
                "ratio", "target >= 0.80", "esx connections");
    for (auto const& r : rows) {
        double const ratio = r.bare > 0 ? r.esx / r.bare : 0;
        std::printf("%-9s %11d %12.0f %13.0f %7.2f  %-16s %zu%s\n", r.name, r.concurrency, r.esx, r.bare, ratio,
                    ratio >= 0.8 ? "meets" : "below", r.esx_connections,
                    r.esx_connections == static_cast<std::size_t>(r.concurrency) ? "" : " (expected = concurrency)");
    }
    return 0;
}
