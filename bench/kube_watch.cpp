// Watch event throughput: events/s and bytes/s of esx's kube watcher reading N ADDED and
// MODIFIED events of Secrets of a given size from the in-process mock API server, beside a
// bare Beast TLS client reading the same watch stream (same URL, same events) in the same
// run: once splitting lines only, once also parsing each line with Boost.JSON (the work the
// watcher cannot skip). Each side runs `--runs` times; the best run is printed.
//
// Prints figures and never asserts on time. Exits 1 when a side does not see exactly the
// events written, so neither side can look fast by doing less.
//
//   bench-kube-watch [--events N] [--size BYTES] [--runs R]
#include <esx/kube.hpp>

#include <server.hpp> // mocks/kube

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
namespace k8s = esx::kube;
using bench_clock = std::chrono::steady_clock;

struct figures {
    double seconds = 1e300;
    std::size_t events = 0;
    std::size_t bytes = 0;
};

template <class T>
T run_on(net::io_context& io, net::awaitable<T> a) {
    std::optional<T> out;
    std::exception_ptr error;
    net::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        if (e) error = e;
        else out.emplace(std::move(v));
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

// esx: the watcher from `from`, until `n` events arrived.
figures esx_watch(net::io_context& io, k8s::client<>& c, std::string const& from, std::size_t n) {
    k8s::watch_options o;
    o.resource_version = from;
    o.bookmarks = false;
    auto w = c.watch(k8s::resources::secrets, "bench", o);
    auto const start = bench_clock::now();
    auto count = run_on(io, [&]() -> net::awaitable<std::size_t> {
        std::size_t got = 0;
        while (got < n) {
            auto e = co_await w.next();
            if (!e) throw std::runtime_error("esx watch failed: " + e.error().what());
            if (e->type != k8s::event_type::added && e->type != k8s::event_type::modified)
                throw std::runtime_error("esx watch: unexpected event type");
            ++got;
        }
        co_return got;
    }());
    figures f;
    f.seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
    f.events = count;
    f.bytes = w.bytes_received();
    return f;
}

// Bare Beast: one TLS connection, GET the watch, read the chunked body, split lines
// (and parse each with Boost.JSON when `parse`), until `n` lines.
figures bare_watch(net::io_context& io, esx::mocks::kube::server& s, std::string const& from, std::size_t n,
                   bool parse) {
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(s.ca_pem()));
    ctx.set_verify_mode(net::ssl::verify_peer);
    auto const start = bench_clock::now();
    auto out = run_on(io, [&]() -> net::awaitable<figures> {
        beast::ssl_stream<beast::tcp_stream> stream(co_await net::this_coro::executor, ctx);
        net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), s.port());
        co_await beast::get_lowest_layer(stream).async_connect(ep, net::use_awaitable);
        co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get,
                                              "/api/v1/namespaces/bench/secrets?watch=true&resourceVersion=" + from, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        req.set(bhttp::field::authorization, "Bearer " + s.token());
        co_await bhttp::async_write(stream, req, net::use_awaitable);
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::buffer_body> parser;
        parser.body_limit(boost::none);
        co_await bhttp::async_read_header(stream, buffer, parser, net::use_awaitable);
        if (parser.get().result_int() != 200) throw std::runtime_error("bare watch: status not 200");
        static char chunk[64 * 1024];
        std::string pending;
        figures f;
        while (f.events < n) {
            parser.get().body().data = chunk;
            parser.get().body().size = sizeof chunk;
            beast::error_code ec;
            co_await bhttp::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
            if (ec && ec != bhttp::error::need_buffer) throw std::runtime_error("bare watch: " + ec.message());
            std::size_t const got = sizeof chunk - parser.get().body().size;
            f.bytes += got;
            pending.append(chunk, got);
            std::size_t pos = 0;
            for (auto nl = pending.find('\n', pos); nl != std::string::npos; nl = pending.find('\n', pos)) {
                if (parse) {
                    auto v = json::parse(std::string_view(pending).substr(pos, nl - pos));
                    if (!v.as_object().contains("object")) throw std::runtime_error("bare watch: no object");
                }
                ++f.events;
                pos = nl + 1;
            }
            pending.erase(0, pos);
        }
        beast::get_lowest_layer(stream).close();
        co_return f;
    }());
    out.seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
    return out;
}

std::size_t arg(int argc, char** argv, std::string_view name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name) return std::strtoull(argv[i + 1], nullptr, 10);
    return fallback;
}

void print(char const* who, figures const& f, figures const& base) {
    std::printf("  %-34s %9.0f events/s  %8.1f MiB/s  (%zu events, %zu bytes, %.3f s)  %5.2fx baseline\n", who,
                f.events / f.seconds, f.bytes / f.seconds / (1024.0 * 1024.0), f.events, f.bytes, f.seconds,
                (f.events / f.seconds) / (base.events / base.seconds));
}

} // namespace

int main(int argc, char** argv) try {
    std::size_t const events = std::max<std::size_t>(2, arg(argc, argv, "--events", 4000)) / 2 * 2;
    std::size_t const size = arg(argc, argv, "--size", 1024);
    std::size_t const runs = std::max<std::size_t>(1, arg(argc, argv, "--runs", 3));

    esx::mocks::kube::options mo;
    mo.seed_json = R"({"users":[{"name":"admin","token":"esx-admin-token"}],"namespaces":["bench"]})";
    mo.watch_window = events + 16;
    esx::mocks::kube::server server(mo);
    net::io_context io;
    auto cfg = k8s::config::from_kubeconfig({.paths = server.kubeconfig_file().string(), .context = {}, .env = {}});
    if (!cfg) throw std::runtime_error(cfg.error().what());
    cfg->qps = 0; // unlimited: measure the watch, not the limiter
    k8s::client<> c(io.get_executor(), *cfg);

    // N/2 Secrets created (ADDED) and each replaced once (MODIFIED), each value `size` bytes.
    std::string const from = std::to_string(server.resource_version());
    std::string const value(size / 4 * 4, 'A'); // valid base64 of size*3/4 decoded bytes
    run_on(io, [&]() -> net::awaitable<int> {
        for (std::size_t i = 0; i < events / 2; ++i) {
            std::string const name = "s" + std::to_string(i);
            json::object s{{"metadata", {{"name", name}}}, {"data", {{"v", value}}}};
            auto r = co_await c.create(k8s::resources::secrets, "bench", s);
            if (!r) throw std::runtime_error("create: " + r.error().what());
            (*r)["data"].as_object()["v"] = std::string(value.size(), 'B');
            auto u = co_await c.replace(k8s::resources::secrets, "bench", name, *r);
            if (!u) throw std::runtime_error("replace: " + u.error().what());
        }
        co_return 0;
    }());

    figures best_esx, best_bare, best_bare_json;
    for (std::size_t r = 0; r < runs; ++r) {
        auto a = bare_watch(io, server, from, events, false);
        auto b = bare_watch(io, server, from, events, true);
        auto e = esx_watch(io, c, from, events);
        for (auto* f : {&a, &b, &e})
            if (f->events != events) throw std::runtime_error("a side saw a different number of events");
        if (a.seconds < best_bare.seconds) best_bare = a;
        if (b.seconds < best_bare_json.seconds) best_bare_json = b;
        if (e.seconds < best_esx.seconds) best_esx = e;
    }
    std::printf("kube watch: %zu events (%zu ADDED + %zu MODIFIED) of Secrets with a %zu-byte data value, "
                "replayed by the mock (-O0, one thread) over loopback TLS; best of %zu runs\n",
                events, events / 2, events / 2, value.size(), runs);
    std::printf("  average event line: %zu bytes\n", best_bare.bytes / std::max<std::size_t>(1, best_bare.events));
    print("bare Beast, split lines (baseline)", best_bare, best_bare);
    print("bare Beast, split + json::parse", best_bare_json, best_bare);
    print("esx kube::watcher (json::object)", best_esx, best_bare);
    server.stop();
    return 0;
} catch (std::exception const& e) {
    std::fprintf(stderr, "bench-kube-watch: %s\n", e.what());
    return 1;
}
