// Key Vault reads/s through the full esx client (retry<https> transport, pooled TLS,
// cached challenge and token) against the in-process mock Azure server, beside a bare
// Beast TLS client loop sending the same GET with the same bearer token to the same mock in
// the same run, and the ratio; plus token requests per 10,000 reads.
//
// Prints figures and never asserts on time. It fails (exit 1) only when a read fails or
// returns another value, so neither side can look fast by doing less work.
#include "bench/support/window.hpp"
#include "bench/support/window_options.hpp"
#include <esx/keyvault/client.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/retry.hpp>

#include "mocks/azure/server.hpp"
#include "tests/integration/keyvault/counting_client_secret.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using esx::bench::bench_clock;
using transport_t = esx::transport::retry<esx::transport::https>;
using client_t = esx::keyvault::client<esx::test::counting_client_secret, transport_t>;

constexpr char const* secret_value = "bench-value-0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr auto warmup = std::chrono::milliseconds(300);
std::size_t esx_reads_total = 1; // every esx read, warm-up included; the first read is the one before the runs

std::string seed() {
    boost::json::value v = {
        {"vault_suffix", "vault.esx.test"},
        {"tenants", {{{"id", "esx-tenant"}}}},
        {"service_principals", {{{"tenant", "esx-tenant"}, {"client_id", "esx-client"}, {"secrets", {"esx-secret"}}}}},
        // Throttling off for the benchmark: the mock's default is Key Vault's 4,000 per 10 s.
        {"vaults", {{{"name", "bench"}, {"tenant", "esx-tenant"}, {"throttle", {{"limit", 1000000000}, {"window_seconds", 1}}},
                     {"secrets", {{{"name", "db-password"}, {"versions", {{{"value", secret_value}}}}}}}}}},
        {"access", {{{"identity", "esx-client"}, {"vault", "bench"}, {"secrets", {"get"}}}}}};
    return boost::json::serialize(v);
}

using esx::bench::window;

net::awaitable<void> esx_worker(client_t& c, window& w) {
    while (w.running()) {
        auto r = co_await c.get_secret("db-password");
        if (!r) {
            w.fail("esx: " + r.error().what());
            co_return;
        }
        ++esx_reads_total;
        w.completed(r->value.reveal() == secret_value, "esx: unexpected answer");
    }
}

// The bare loop does what the client must at least do: send the GET with the token, read
// the answer, parse the JSON and compare the value.
net::awaitable<void> bare_worker(net::ssl::context& ctx, tcp::endpoint ep, std::string host,
                                 bhttp::request<bhttp::string_body> const& req, window& w) {
    beast::tcp_stream tcp_stream(co_await net::this_coro::executor);
    co_await tcp_stream.async_connect(ep, net::use_awaitable);
    tcp_stream.socket().set_option(tcp::no_delay(true));
    beast::ssl_stream<beast::tcp_stream> s(std::move(tcp_stream), ctx);
    SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
    s.set_verify_callback(net::ssl::host_name_verification(host));
    co_await s.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
    beast::flat_buffer buffer;
    while (w.running()) {
        bhttp::response<bhttp::string_body> res;
        co_await bhttp::async_write(s, req, net::use_awaitable);
        co_await bhttp::async_read(s, buffer, res, net::use_awaitable);
        bool ok = res.result_int() == 200;
        if (ok) {
            auto v = boost::json::parse(res.body());
            ok = v.as_object().at("value").as_string() == secret_value;
        }
        w.completed(ok, "bare: unexpected answer");
    }
}

template <class Make>
double measure(net::io_context& ioc, int concurrency, double seconds, char const* who, Make make) {
    return esx::bench::measure(ioc, concurrency, seconds, warmup, "bench-keyvault", who, make);
}

#if defined(__OPTIMIZE__) && defined(NDEBUG)
constexpr char const* build_type = "client optimised, NDEBUG";
#else
constexpr char const* build_type = "client NOT optimised: the figures mean little";
#endif

char const* no_env(char const*) { return nullptr; }

} // namespace

int main(int argc, char** argv) {
    auto const options = esx::bench::parse_window_options(argc, argv, "bench-keyvault", 2.0);
    if (!options) return 2;
    double const seconds = options->seconds;
    int const runs = options->runs;

    esx::mocks::azure::options mo;
    mo.seed_json = seed();
    esx::mocks::azure::server mock(std::move(mo));
    std::string const port = std::to_string(mock.port());
    std::string const host = "bench.vault.esx.test";

    esx::transport::options to;
    to.ca_pem = mock.ca_pem();
    to.resolve[host + ":" + port] = "127.0.0.1";
    esx::custom_cloud_config custom{mock.authority(), std::nullopt, std::string("vault.esx.test"), std::nullopt};
    auto const cloud = esx::cloud_for("AzureStackCloud", custom, &no_env).value();

    net::io_context ioc;
    transport_t transport(ioc.get_executor(), to);
    esx::test::counting_client_secret auth(mock.authority(), "esx-tenant", "esx-client", "esx-secret");
    auto c = client_t::make(auth, transport, cloud, mock.vault_url("bench")).value();

    // The bare client needs the token the esx client got: ask the same double, once.
    std::string token;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        auto first = co_await c.get_secret("db-password"); // challenge + token
        if (!first) throw std::runtime_error(first.error().what());
        esx::auth::token_request const ask{c.cached_challenge()->scope, c.cached_challenge()->tenant};
        auto t = co_await auth.token(transport, ask); // a named request: g++ 12 mishandles temporaries in co_await
        if (!t) throw std::runtime_error(t.error().what());
        token = std::string(t->value.reveal());
    }, net::detached);
    ioc.run();
    if (token.empty()) {
        std::fprintf(stderr, "bench-keyvault: the first read failed\n");
        return 1;
    }

    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/secrets/db-password?api-version=7.4", 11};
    req.set(bhttp::field::host, host + ":" + port);
    req.set(bhttp::field::user_agent, "bare-beast");
    req.set(bhttp::field::accept, "application/json");
    req.set(bhttp::field::authorization, "Bearer " + token);
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_verify_mode(net::ssl::verify_peer);
    ctx.add_certificate_authority(net::buffer(mock.ca_pem()));
    tcp::endpoint const ep(net::ip::make_address("127.0.0.1"), mock.port());

    std::printf("bench-keyvault: GET secret through esx::keyvault::client<retry<https>> vs a bare Beast TLS loop,\n"
                "same mock Key Vault (in-process, its own threads), same run; %s; %.1f s per run, best of %d\n",
                build_type, seconds, runs);
    std::printf("%-12s %14s %14s %8s\n", "concurrency", "esx reads/s", "bare reads/s", "ratio");
    for (int conc : {1, 16}) {
        double best_esx = 0, best_bare = 0;
        for (int run = 0; run < runs; ++run) {
            best_bare = std::max(best_bare, measure(ioc, conc, seconds, "bare", [&](window& w) {
                                     return bare_worker(ctx, ep, host, req, w);
                                 }));
            mock.reset_log();
            double const r = measure(ioc, conc, seconds, "esx", [&](window& w) { return esx_worker(c, w); });
            best_esx = std::max(best_esx, r);
            mock.reset_log();
        }
        std::printf("%-12d %14.0f %14.0f %8.2f\n", conc, best_esx, best_bare, best_esx / best_bare);
    }
    double const posts = static_cast<double>(auth.token_posts());
    std::printf("token requests: %zu Entra POSTs for %zu esx reads = %.3f per 10,000 reads (target: 1)\n",
                auth.token_posts(), esx_reads_total, posts * 10000.0 / static_cast<double>(esx_reads_total));
    std::fflush(nullptr);
    mock.stop();
    return 0;
}
