// esx-mock-kube-bench: load on the in-process mock API server.
//
//   esx-mock-kube-bench [--clients N] [--seconds S] [--objects N]
//
// Prints requests/s for GET and for PUT (unconditional update) of Secrets
// with N concurrent keep-alive TLS clients (default 64, each on its own
// thread and connection), and the resident memory the server holds per
// 10,000 Secrets. Measures the mock, so that tests know what it can take; it
// is not an esx benchmark.
#include "server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

class connection {
public:
    explicit connection(esx::mocks::kube::server const& s)
        : ctx_(net::ssl::context::tls_client), stream_(ioc_, ctx_), token_(s.token()) {
        ctx_.add_certificate_authority(net::buffer(s.ca_pem()));
        stream_.set_verify_mode(net::ssl::verify_peer);
        beast::get_lowest_layer(stream_).connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
        stream_.handshake(net::ssl::stream_base::client);
    }

    unsigned call(http::verb method, std::string const& target, std::string const& body = {}) {
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::authorization, "Bearer " + token_);
        if (!body.empty())
            req.set(http::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
        http::write(stream_, req);
        http::response<http::string_body> res;
        http::read(stream_, buffer_, res);
        return res.result_int();
    }

private:
    net::io_context ioc_;
    net::ssl::context ctx_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    std::string token_;
};

std::string secret(std::string const& name, int i) {
    return R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":")" + name +
           R"(","labels":{"app":"bench"}},"stringData":{"password":"value-)" + std::to_string(i) +
           R"(-0123456789abcdef","username":"user"}})";
}

long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::atol(line.c_str() + 6);
    return -1;
}

// Runs `op` on every client in parallel for `seconds`; returns requests/s.
template <class Op>
double run(std::vector<std::unique_ptr<connection>>& conns, double seconds, Op op) {
    std::atomic<bool> stop{false};
    std::atomic<long> total{0}, failed{0};
    std::vector<std::thread> threads;
    auto const start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < conns.size(); ++i)
        threads.emplace_back([&, i] {
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                if (op(*conns[i], i, n) >= 300)
                    failed.fetch_add(1);
                ++n;
            }
            total.fetch_add(n);
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measurement window itself
    stop = true;
    for (auto& t : threads)
        t.join();
    double const elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failed.load())
        std::cerr << "warning: " << failed.load() << " requests failed\n";
    return static_cast<double>(total.load()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t clients = 64;
    double seconds = 3;
    int objects = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const a = argv[i];
        if (a == "--clients")
            clients = static_cast<std::size_t>(std::atol(argv[i + 1]));
        else if (a == "--seconds")
            seconds = std::atof(argv[i + 1]);
        else if (a == "--objects")
            objects = std::atoi(argv[i + 1]);
        else {
            std::cerr << "usage: esx-mock-kube-bench [--clients N] [--seconds S] [--objects N]\n";
            return 2;
        }
    }
    try {
        long const rss_before_server = rss_kib();
        esx::mocks::kube::server s;
        std::vector<std::unique_ptr<connection>> conns;
        for (std::size_t i = 0; i < clients; ++i)
            conns.push_back(std::make_unique<connection>(s));
        long const rss_before = rss_kib();
        for (std::size_t i = 0; i < clients; ++i)
            conns[i]->call(http::verb::post, "/api/v1/namespaces/default/secrets", secret("c" + std::to_string(i), 0));

        double const get_rate = run(conns, seconds, [](connection& c, std::size_t i, long) {
            return c.call(http::verb::get, "/api/v1/namespaces/default/secrets/c" + std::to_string(i));
        });
        double const put_rate = run(conns, seconds, [](connection& c, std::size_t i, long n) {
            return c.call(http::verb::put, "/api/v1/namespaces/default/secrets/c" + std::to_string(i),
                          secret("c" + std::to_string(i), static_cast<int>(n)));
        });
        std::printf("clients: %zu (TLS keep-alive, one thread each), %.1f s per run\n", clients, seconds);
        std::printf("get secret:    %.0f requests/s\n", get_rate);
        std::printf("update secret: %.0f requests/s\n", put_rate);

        long const rss_mid = rss_kib();
        for (int i = 0; i < objects; ++i)
            conns[static_cast<std::size_t>(i) % clients]->call(http::verb::post, "/api/v1/namespaces/default/secrets",
                                                               secret("m" + std::to_string(i), i));
        long const rss_after = rss_kib();
        std::printf("memory: %ld KiB more RSS after %d secrets (%.0f KiB per 10,000); process RSS %ld KiB "
                    "(%ld KiB before the server, %ld KiB with %zu clients connected)\n",
                    rss_after - rss_mid, objects, (rss_after - rss_mid) * 10000.0 / objects, rss_after,
                    rss_before_server, rss_before, clients);
        s.stop();
    } catch (std::exception const& e) {
        std::cerr << "esx-mock-kube-bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
