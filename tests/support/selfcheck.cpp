// Self-check for the test-support code (pki, scripted_server, connect_proxy),
// using only a plain Beast client so that a failure here points at the test
// infrastructure and never at esx itself.
//
// Build (from /work/main), then run /tmp/selfcheck:
//   g++ -std=c++20 -O0 -g -Wall -Wextra -I/work/main -I/work/main/include
//       tests/support/selfcheck.cpp -o /tmp/selfcheck -lssl -lcrypto -pthread
#include "mocks/common/pki.hpp"
#include "tests/support/connect_proxy.hpp"
#include "mocks/common/scripted_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/x509_vfy.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace pki = esx::mocks::pki;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

int failures = 0;

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            ++failures;                                                                               \
            std::cerr << __FILE__ << ":" << __LINE__ << ": CHECK failed: " #cond << std::endl;        \
        }                                                                                             \
    } while (false)

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

ssl::context client_context(std::string const& ca_pem) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(ca_pem));
    ctx.set_verify_mode(ssl::verify_peer);
    return ctx;
}

beast::tcp_stream connect_tcp(net::io_context& ioc, unsigned short port) {
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port));
    return s;
}

// TLS over an already connected TCP stream (direct or through a tunnel):
// SNI only for names (RFC 6066 forbids IP literals), host check either way.
beast::error_code tls_handshake(tls_stream& s, std::string const& host) {
    beast::error_code ec;
    (void)net::ip::make_address(host, ec);
    if (ec) {
        if (!SSL_set_tlsext_host_name(s.native_handle(), host.c_str()))
            return beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
    }
    ec = {};
    s.set_verify_callback(ssl::host_name_verification(host));
    s.handshake(ssl::stream_base::client, ec);
    return ec;
}

http::request<http::string_body> get(std::string const& target, std::string const& host, bool keep_alive = true) {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    req.keep_alive(keep_alive);
    return req;
}

template <class Stream>
beast::error_code roundtrip(Stream& s, beast::flat_buffer& buf, http::request<http::string_body> const& req,
                            http::response<http::string_body>& res) {
    beast::error_code ec;
    http::write(s, req, ec);
    if (!ec)
        http::read(s, buf, res, ec);
    return ec;
}

// Async write+read with a client-side deadline on the TCP layer; Beast's
// tcp_stream only enforces timeouts for asynchronous operations.
template <class Stream>
beast::error_code roundtrip_with_timeout(net::io_context& ioc, Stream& s, http::request<http::string_body> const& req,
                                         std::chrono::milliseconds timeout) {
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    beast::error_code result = net::error::would_block;
    beast::get_lowest_layer(s).expires_after(timeout);
    http::async_write(s, req, [&](beast::error_code ec, std::size_t) {
        if (ec) {
            result = ec;
            return;
        }
        http::async_read(s, buf, res, [&](beast::error_code ec, std::size_t) { result = ec; });
    });
    ioc.restart();
    ioc.run();
    return result;
}

http::response<http::string_body> text(unsigned status, std::string body) {
    http::response<http::string_body> r;
    r.result(status);
    r.set(http::field::content_type, "text/plain");
    r.body() = std::move(body);
    return r;
}

esx::test::action route(http::request<http::string_body> const& req) {
    using esx::test::action;
    std::string const target(req.target());
    if (target == "/hello")
        return action::respond(text(200, "hello"));
    if (target == "/echo")
        return action::respond(text(200, req.body()));
    if (target == "/chunked")
        return action::chunked(200, {"ab", "", "cd", "ef"});
    if (target == "/slow")
        return action::respond_after(text(200, "slow"), 50ms);
    if (target == "/hang")
        return action::hang();
    if (target == "/raw")
        return action::raw("HTTP/1.1 2OO OK\r\n\r\n");
    if (target == "/partial")
        return action::close_after_bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    if (target == "/trickle")
        return action::trickle("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 1ms);
    if (target == "/close")
        return action::close();
    if (target == "/throw")
        throw std::runtime_error("boom");
    return action::respond(text(404, "no route"));
}

bool verify_with(std::string const& ca_pem, std::string const& leaf_pem, int purpose) {
    auto ca = pki::detail::cert_from_pem(ca_pem);
    auto leaf = pki::detail::cert_from_pem(leaf_pem);
    std::unique_ptr<X509_STORE, pki::detail::openssl_deleter<X509_STORE_free>> store(X509_STORE_new());
    std::unique_ptr<X509_STORE_CTX, pki::detail::openssl_deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
    X509_STORE_add_cert(store.get(), ca.get());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    return X509_verify_cert(ctx.get()) == 1;
}

void check_pki(pki::authority const& ca) {
    auto const client = ca.issue_client("esx-client");
    auto const rsa_client = ca.issue_client("esx-rsa-client", 1h, pki::key_type::rsa_2048);
    CHECK(verify_with(ca.cert_pem(), client.cert_pem, X509_PURPOSE_SSL_CLIENT));
    CHECK(verify_with(ca.cert_pem(), rsa_client.cert_pem, X509_PURPOSE_SSL_CLIENT));
    CHECK(!verify_with(ca.cert_pem(), client.cert_pem, X509_PURPOSE_SSL_SERVER));  // clientAuth only
    CHECK(rsa_client.key_pem.find("BEGIN PRIVATE KEY") != std::string::npos);

    auto const other = pki::authority::generate("other CA");
    CHECK(other.cert_pem() != ca.cert_pem());
    CHECK(!verify_with(other.cert_pem(), client.cert_pem, X509_PURPOSE_SSL_CLIENT));

    bool threw = false;
    try {
        (void)ca.issue_server({}, {"not-an-ip"});
    } catch (std::runtime_error const& e) {
        threw = std::string(e.what()).find("not-an-ip") != std::string::npos;
    }
    CHECK(threw);

    auto const dir = std::filesystem::temp_directory_path() / ("esx-selfcheck-" + std::to_string(::getpid()));
    auto const file = dir / "nested" / "client.key";
    std::filesystem::create_directories(file.parent_path());
    {
        // Pre-existing world-readable file: write_file must tighten it.
        std::FILE* f = std::fopen(file.c_str(), "w");
        CHECK(f != nullptr);
        if (f)
            std::fclose(f);
        std::filesystem::permissions(file, std::filesystem::perms(0644));
    }
    pki::write_file(file, client.key_pem);
    struct stat st {};
    CHECK(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(static_cast<std::size_t>(st.st_size) == client.key_pem.size());
    std::filesystem::remove_all(dir);
}

void check_tls_server(pki::authority const& ca, pki::issued const& leaf) {
    esx::test::scripted_server server({.tls = true, .cert_pem = leaf.cert_pem, .key_pem = leaf.key_pem}, route);
    CHECK(server.origin() == "https://127.0.0.1:" + std::to_string(server.port()));
    auto ctx = client_context(ca.cert_pem());
    net::io_context ioc;

    // Verified GET by name (SNI + host check), and by IP SAN.
    for (std::string host : {"localhost", "127.0.0.1"}) {
        tls_stream s(connect_tcp(ioc, server.port()), ctx);
        CHECK(!tls_handshake(s, host));
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        CHECK(!roundtrip(s, buf, get("/hello", host, false), res));
        CHECK(res.result_int() == 200 && res.body() == "hello");
        CHECK(res[http::field::content_length] == "5");
    }

    // Wrong name, and a CA that did not issue the certificate: both rejected.
    {
        tls_stream s(connect_tcp(ioc, server.port()), ctx);
        CHECK(tls_handshake(s, "example.com"));
    }
    {
        auto other_ctx = client_context(pki::authority::generate("stranger").cert_pem());
        tls_stream s(connect_tcp(ioc, server.port()), other_ctx);
        CHECK(tls_handshake(s, "localhost"));
    }

    // Keep-alive: two requests on one connection; a POST body round-trips.
    {
        std::size_t const accepted = server.connections_accepted();
        std::size_t const served = server.requests_served();
        tls_stream s(connect_tcp(ioc, server.port()), ctx);
        CHECK(!tls_handshake(s, "localhost"));
        beast::flat_buffer buf;
        http::response<http::string_body> r1, r2;
        CHECK(!roundtrip(s, buf, get("/hello", "localhost"), r1));
        auto post = get("/echo", "localhost");
        post.method(http::verb::post);
        post.body() = std::string(200000, 'x');
        post.prepare_payload();
        CHECK(!roundtrip(s, buf, post, r2));
        CHECK(r1.keep_alive() && r1.body() == "hello");
        CHECK(r2.body().size() == 200000);
        CHECK(server.connections_accepted() == accepted + 1);
        CHECK(server.requests_served() == served + 2);

        // Chunked on the same connection: body re-assembled, framing chunked.
        http::response<http::string_body> r3;
        CHECK(!roundtrip(s, buf, get("/chunked", "localhost"), r3));
        CHECK(r3.chunked() && r3.body() == "abcdef");
        http::response<http::string_body> r4;
        CHECK(!roundtrip(s, buf, get("/throw", "localhost"), r4));
        CHECK(r4.result_int() == 500);
        CHECK(server.connections_accepted() == accepted + 1);
        beast::error_code ec;
        s.shutdown(ec);
    }

    // Server-side delay is answered; hang is cut off by the client deadline.
    {
        tls_stream s(connect_tcp(ioc, server.port()), ctx);
        CHECK(!tls_handshake(s, "localhost"));
        CHECK(!roundtrip_with_timeout(ioc, s, get("/slow", "localhost"), 5s));
        auto const ec = roundtrip_with_timeout(ioc, s, get("/hang", "localhost"), 200ms);
        CHECK(ec == beast::error::timeout);
    }

    // Misbehaviours reach the client as errors (or, for trickle, slowly).
    auto one_shot = [&](std::string const& target, http::response<http::string_body>& res) {
        tls_stream s(connect_tcp(ioc, server.port()), ctx);
        beast::error_code ec = tls_handshake(s, "localhost");
        beast::flat_buffer buf;
        if (!ec)
            ec = roundtrip(s, buf, get(target, "localhost"), res);
        return ec;
    };
    {
        http::response<http::string_body> res;
        auto const ec = one_shot("/raw", res);
        CHECK(ec && ec.category() == http::make_error_code(http::error::bad_status).category());
    }
    {
        http::response<http::string_body> res;
        auto const ec = one_shot("/partial", res);
        CHECK(ec == http::error::partial_message || ec == ssl::error::stream_truncated);
    }
    {
        http::response<http::string_body> res;
        CHECK(!one_shot("/trickle", res));
        CHECK(res.body() == "ok");
    }
    {
        http::response<http::string_body> res;
        auto const ec = one_shot("/close", res);
        CHECK(ec == http::error::end_of_stream || ec == ssl::error::stream_truncated);
    }

    // Expired leaf: the client must reject it.
    {
        auto const expired = ca.issue_server({"localhost"}, {"127.0.0.1"}, 24h, true);
        esx::test::scripted_server old({.tls = true, .cert_pem = expired.cert_pem, .key_pem = expired.key_pem}, route);
        tls_stream s(connect_tcp(ioc, old.port()), ctx);
        auto const ec = tls_handshake(s, "localhost");
        CHECK(ec);
        long const verify = SSL_get_verify_result(s.native_handle());
        CHECK(verify == X509_V_ERR_CERT_HAS_EXPIRED);
    }

    // Stalled handshake: only a client-side deadline ends it.
    {
        esx::test::scripted_server stalled(
            {.tls = true, .cert_pem = leaf.cert_pem, .key_pem = leaf.key_pem, .stall_tls_handshake = true}, route);
        tls_stream s(connect_tcp(ioc, stalled.port()), ctx);
        beast::error_code result = net::error::would_block;
        beast::get_lowest_layer(s).expires_after(200ms);
        s.async_handshake(ssl::stream_base::client, [&](beast::error_code ec) { result = ec; });
        ioc.restart();
        ioc.run();
        CHECK(result == beast::error::timeout);
        CHECK(stalled.connections_accepted() == 1);
    }

    // stop() is idempotent and really closes the listener.
    unsigned short const port = server.port();
    server.stop();
    server.stop();
    beast::error_code ec;
    tcp::socket probe(ioc);
    probe.connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port), ec);
    CHECK(ec == net::error::connection_refused);
}

void check_proxy(pki::authority const& ca, pki::issued const& leaf) {
    esx::test::scripted_server tls_server({.tls = true, .cert_pem = leaf.cert_pem, .key_pem = leaf.key_pem}, route);

    std::mutex seen_mutex;
    std::vector<std::string> seen;  // target + Host as the plain origin saw them
    esx::test::scripted_server plain({}, [&](http::request<http::string_body> const& req) {
        std::lock_guard lock(seen_mutex);
        seen.push_back(std::string(req.target()) + " " + std::string(req[http::field::host]));
        return esx::test::action::respond(text(200, "plain:" + std::string(req.target())));
    });
    CHECK(plain.origin() == "http://127.0.0.1:" + std::to_string(plain.port()));

    auto ctx = client_context(ca.cert_pem());
    net::io_context ioc;
    std::string const tunnel_target = "127.0.0.1:" + std::to_string(tls_server.port());

    // CONNECT, then TLS through the tunnel (the handshake verifies end to end).
    auto connect_request = [&](std::string const& target, std::string const& auth) {
        std::string r = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
        if (!auth.empty())
            r += "Proxy-Authorization: Basic " + auth + "\r\n";
        return r + "\r\n";
    };
    auto read_connect_reply = [](beast::tcp_stream& s, beast::flat_buffer& buf) {
        http::response_parser<http::empty_body> p;
        p.skip(true);  // a 2xx to CONNECT has no body: the tunnel starts right after the head
        beast::error_code ec;
        http::read(s, buf, p, ec);
        CHECK(!ec);
        return p.release();
    };
    auto tunnelled_get = [&](beast::tcp_stream tcp_to_proxy) {
        tls_stream s(std::move(tcp_to_proxy), ctx);
        CHECK(!tls_handshake(s, "localhost"));
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        CHECK(!roundtrip(s, buf, get("/hello", "localhost", false), res));
        CHECK(res.body() == "hello");
    };

    {
        esx::test::connect_proxy proxy;
        CHECK(proxy.url() == "http://127.0.0.1:" + std::to_string(proxy.port()));
        {
            auto s = connect_tcp(ioc, proxy.port());
            net::write(s, net::buffer(connect_request(tunnel_target, "")));
            beast::flat_buffer buf;
            auto const head = read_connect_reply(s, buf);
            CHECK(head.result_int() == 200);
            CHECK(buf.size() == 0);
            tunnelled_get(std::move(s));
        }
        // Absolute-form plain HTTP, twice on one proxy connection.
        {
            auto s = connect_tcp(ioc, proxy.port());
            beast::flat_buffer buf;
            std::string const authority = "127.0.0.1:" + std::to_string(plain.port());
            for (std::string path : {"/plain?x=1", "/second"}) {
                http::response<http::string_body> res;
                CHECK(!roundtrip(s, buf, get("http://" + authority + path, authority), res));
                CHECK(res.result_int() == 200 && res.body() == "plain:" + path);
                CHECK(res.keep_alive());
            }
            std::lock_guard lock(seen_mutex);
            CHECK((seen == std::vector<std::string>{"/plain?x=1 " + authority, "/second " + authority}));
            CHECK((proxy.forwarded_urls() ==
                   std::vector<std::string>{"http://" + authority + "/plain?x=1", "http://" + authority + "/second"}));
        }
        // Non-loopback targets are refused (but recorded).
        {
            auto s = connect_tcp(ioc, proxy.port());
            net::write(s, net::buffer(connect_request("example.com:443", "")));
            beast::flat_buffer buf;
            CHECK(read_connect_reply(s, buf).result_int() == 403);
        }
        CHECK((proxy.connect_targets() == std::vector<std::string>{tunnel_target, "example.com:443"}));
        CHECK(proxy.connections_accepted() == 3);
    }

    // Basic proxy auth: 407 with a challenge, then success on the same connection.
    {
        esx::test::connect_proxy proxy(std::string("user:pa:ss"));
        auto s = connect_tcp(ioc, proxy.port());
        beast::flat_buffer buf;
        net::write(s, net::buffer(connect_request(tunnel_target, "")));
        auto const challenge = read_connect_reply(s, buf);
        CHECK(challenge.result_int() == 407);
        CHECK(challenge[http::field::proxy_authenticate] == "Basic realm=\"esx\"");
        CHECK(challenge.keep_alive());
        net::write(s, net::buffer(connect_request(tunnel_target, "d3Jvbmc6d3Jvbmc=")));  // wrong:wrong
        CHECK(read_connect_reply(s, buf).result_int() == 407);
        net::write(s, net::buffer(connect_request(tunnel_target, "dXNlcjpwYTpzcw==")));  // user:pa:ss
        CHECK(read_connect_reply(s, buf).result_int() == 200);
        CHECK(buf.size() == 0);
        tunnelled_get(std::move(s));
        CHECK(proxy.auth_challenges() == 2);
        CHECK((proxy.connect_targets() == std::vector<std::string>{tunnel_target}));
    }
    CHECK(esx::test::detail::proxy::base64_encode("") == "");
    CHECK(esx::test::detail::proxy::base64_encode("f") == "Zg==");
    CHECK(esx::test::detail::proxy::base64_encode("fo") == "Zm8=");
    CHECK(esx::test::detail::proxy::base64_encode("foo") == "Zm9v");
}

}  // namespace

int main() {
    try {
        auto const ca = pki::authority::generate();
        auto const leaf = ca.issue_server({"localhost"}, {"127.0.0.1"});
        check_pki(ca);
        check_tls_server(ca, leaf);
        check_proxy(ca, leaf);
    } catch (std::exception const& e) {
        std::cerr << "selfcheck: unexpected exception: " << e.what() << std::endl;
        return 2;
    }
    if (failures != 0) {
        std::cerr << "selfcheck FAILED (" << failures << " checks)" << std::endl;
        return 1;
    }
    std::cout << "selfcheck ok" << std::endl;
    return 0;
}
