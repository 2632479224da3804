// esx test support: an in-process HTTP forward proxy.
//
// Lets transport tests check that the client really goes through a proxy
// (and with what): HTTPS via CONNECT tunnels, plain HTTP via absolute-form
// requests, optionally behind Basic proxy authentication. It listens on
// 127.0.0.1 with an ephemeral port on a loopback_server (mocks/common: one
// io_context on its own thread), and only ever connects to loopback targets so
// a misbehaving test cannot reach the network. stop() or the destructor closes
// everything and joins.
#ifndef ESX_TESTS_SUPPORT_CONNECT_PROXY_HPP
#define ESX_TESTS_SUPPORT_CONNECT_PROXY_HPP

#include "../../mocks/common/loopback_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::test {

namespace detail::proxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Standard base64 with padding; small enough to write out rather than reach
// into Beast's detail namespace.
inline std::string base64_encode(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        std::uint32_t const v = (std::uint32_t(static_cast<unsigned char>(in[i])) << 16) |
                                (std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8) |
                                std::uint32_t(static_cast<unsigned char>(in[i + 2]));
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (std::size_t const rest = in.size() - i; rest > 0) {
        std::uint32_t v = std::uint32_t(static_cast<unsigned char>(in[i])) << 16;
        if (rest == 2)
            v |= std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

// Splits "host:port" (port required). Returns false if malformed.
inline bool split_host_port(std::string_view authority, std::string_view& host, std::uint16_t& port) {
    auto const colon = authority.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return false;
    host = authority.substr(0, colon);
    std::string_view const digits = authority.substr(colon + 1);
    unsigned value = 0;
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535)
        return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

// The proxy only ever dials loopback; "localhost" is mapped to 127.0.0.1
// directly instead of resolving, which could yield ::1 or, on a broken
// resolver configuration, something else entirely.
inline bool is_allowed_host(std::string_view host) {
    return host == "127.0.0.1" || iequals(host, "localhost");
}

struct proxy_state {
    std::optional<std::string> expected_credentials;  // base64("user:pass")
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> challenges{0};
    mutable std::mutex mutex;
    std::vector<std::string> connect_targets;
    std::vector<std::string> forwarded_urls;
};

class session final : public esx::mocks::session, public std::enable_shared_from_this<session> {
public:
    session(proxy_state& state, tcp::socket client)
        : state_(state), client_(std::move(client)), upstream_(client_.get_executor()) {}

    void start() { read_request(); }

    void abort() noexcept override {
        beast::error_code ec;
        client_.close(ec);
        upstream_.close(ec);
    }

private:
    void read_request() {
        parser_.emplace();
        parser_->body_limit(1024 * 1024);
        parser_->header_limit(64 * 1024);
        http::async_read(client_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec)
                self->on_request();
        });
    }

    void on_request() {
        auto const& req = parser_->get();
        keep_alive_ = req.keep_alive();
        if (!authorised(req)) {
            state_.challenges.fetch_add(1, std::memory_order_relaxed);
            // Keep-alive is honoured so a client may retry with credentials
            // on the same connection, as curl and browsers do.
            reply(http::status::proxy_authentication_required, keep_alive_, "Basic realm=\"esx\"");
            return;
        }
        if (req.method() == http::verb::connect)
            handle_connect(std::string(req.target()));
        else if (req.target().starts_with("http://"))
            handle_forward();
        else
            reply(http::status::bad_request, false);
    }

    bool authorised(http::request<http::string_body> const& req) const {
        if (!state_.expected_credentials)
            return true;
        auto const it = req.find(http::field::proxy_authorization);
        if (it == req.end())
            return false;
        std::string_view value = it->value();
        auto const space = value.find(' ');
        if (space == std::string_view::npos || !iequals(value.substr(0, space), "basic"))
            return false;
        value.remove_prefix(space);
        while (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        while (!value.empty() && value.back() == ' ')
            value.remove_suffix(1);
        return value == *state_.expected_credentials;
    }

    // ---- CONNECT ------------------------------------------------------------

    void handle_connect(std::string target) {
        {
            // Recorded before the allow-list check so a test can assert which
            // host the client asked for even when the proxy refuses it.
            std::lock_guard lock(state_.mutex);
            state_.connect_targets.push_back(target);
        }
        std::string_view host;
        std::uint16_t port = 0;
        if (!split_host_port(target, host, port)) {
            reply(http::status::bad_request, false);
            return;
        }
        if (!is_allowed_host(host)) {
            reply(http::status::forbidden, false);
            return;
        }
        tcp::endpoint const endpoint(net::ip::make_address_v4("127.0.0.1"), port);
        upstream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                self->reply(http::status::bad_gateway, false);
                return;
            }
            self->on_tunnel_connected();
        });
    }

    void on_tunnel_connected() {
        beast::error_code ignored;
        client_.set_option(tcp::no_delay(true), ignored);
        upstream_.set_option(tcp::no_delay(true), ignored);
        out_ = "HTTP/1.1 200 Connection established\r\n\r\n";
        net::async_write(client_, net::buffer(out_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->abort();
                return;
            }
            self->forward_early_bytes();
        });
    }

    // A client may send its TLS ClientHello without waiting for our 200;
    // whatever the HTTP parser read past the CONNECT head belongs upstream.
    void forward_early_bytes() {
        if (buffer_.size() == 0) {
            start_relay();
            return;
        }
        net::async_write(upstream_, buffer_.data(), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
            if (ec) {
                self->abort();
                return;
            }
            self->buffer_.consume(n);
            self->start_relay();
        });
    }

    void start_relay() {
        open_directions_ = 2;
        pump(client_, upstream_, to_upstream_);
        pump(upstream_, client_, to_client_);
    }

    // Copies one direction. EOF is passed on as a half-close (shutdown send)
    // so TLS close_notify / FIN sequencing between the ends is preserved; the
    // tunnel is torn down when both directions are finished or on any error.
    void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
        from.async_read_some(net::buffer(buf), [self = shared_from_this(), &from, &to, &buf](beast::error_code ec,
                                                                                            std::size_t n) {
            if (ec) {
                if (ec == net::error::eof) {
                    beast::error_code ignored;
                    to.shutdown(tcp::socket::shutdown_send, ignored);
                    if (--self->open_directions_ == 0)
                        self->abort();
                } else {
                    self->abort();
                }
                return;
            }
            net::async_write(to, net::buffer(buf.data(), n),
                             [self, &from, &to, &buf](beast::error_code ec, std::size_t) {
                                 if (ec) {
                                     self->abort();
                                     return;
                                 }
                                 self->pump(from, to, buf);
                             });
        });
    }

    // ---- absolute-form forwarding -------------------------------------------

    void handle_forward() {
        auto& req = parser_->get();
        std::string const url(req.target());
        {
            std::lock_guard lock(state_.mutex);
            state_.forwarded_urls.push_back(url);
        }
        std::string_view rest = std::string_view(url).substr(7);  // after "http://"
        auto const slash = rest.find('/');
        std::string_view authority = rest.substr(0, slash);
        std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
        if (path.find('#') != std::string::npos)
            path.erase(path.find('#'));  // fragments never go on the wire

        std::string_view host = authority;
        std::uint16_t port = 80;
        if (authority.find(':') != std::string_view::npos && !split_host_port(authority, host, port)) {
            reply(http::status::bad_request, false);
            return;
        }
        if (!is_allowed_host(host)) {
            reply(http::status::forbidden, false);
            return;
        }

        // The origin gets origin-form, no proxy-only headers, and a fresh
        // connection per request that it closes after answering: simple, and
        // a test can see each forwarded request as one origin connection.
        upstream_request_ = std::move(req);
        upstream_request_.target(path);
        if (upstream_request_.find(http::field::host) == upstream_request_.end())
            upstream_request_.set(http::field::host, authority);
        upstream_request_.erase(http::field::proxy_authorization);
        upstream_request_.erase("Proxy-Connection");
        upstream_request_.keep_alive(false);
        head_request_ = upstream_request_.method() == http::verb::head;

        beast::error_code ignored;
        upstream_.close(ignored);  // from a previous forwarded request on this connection
        tcp::endpoint const endpoint(net::ip::make_address_v4("127.0.0.1"), port);
        upstream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                self->reply(http::status::bad_gateway, false);
                return;
            }
            http::async_write(self->upstream_, self->upstream_request_,
                              [self](beast::error_code ec, std::size_t) {
                                  if (ec) {
                                      self->reply(http::status::bad_gateway, false);
                                      return;
                                  }
                                  self->read_upstream_response();
                              });
        });
    }

    void read_upstream_response() {
        upstream_buffer_.clear();
        response_parser_.emplace();
        response_parser_->body_limit(64 * 1024 * 1024);
        response_parser_->skip(head_request_);  // a HEAD response has headers but no body
        http::async_read(upstream_, upstream_buffer_, *response_parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) {
                                 self->reply(http::status::bad_gateway, false);
                                 return;
                             }
                             self->relay_response();
                         });
    }

    void relay_response() {
        beast::error_code ignored;
        upstream_.close(ignored);
        response_ = response_parser_->release();
        // A body delimited by the origin closing cannot be relayed on a
        // persistent client connection; give it a Content-Length instead.
        // Chunked responses stay chunked (as one chunk, Beast's serialisation).
        bool const has_length = response_.has_content_length() || response_.chunked();
        unsigned const status = response_.result_int();
        bool const bodyless = head_request_ || status / 100 == 1 || status == 204 || status == 304;
        if (!has_length && !bodyless)
            response_.prepare_payload();
        response_.keep_alive(keep_alive_);
        write_response(keep_alive_);
    }

    // ---- replies to the client ------------------------------------------------

    void reply(http::status status, bool keep_alive, char const* proxy_authenticate = nullptr) {
        response_ = {};
        response_.version(11);
        response_.result(status);
        if (proxy_authenticate)
            response_.set(http::field::proxy_authenticate, proxy_authenticate);
        response_.prepare_payload();
        keep_alive_ = keep_alive;
        response_.keep_alive(keep_alive);
        write_response(keep_alive);
    }

    void write_response(bool keep_alive) {
        http::async_write(client_, response_, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            if (keep_alive)
                self->read_request();
            else
                self->close_client();
        });
    }

    // FIN first and drain, so the client reads our last response before the
    // socket goes away (closing with unread input would send an RST).
    void close_client() {
        beast::error_code ignored;
        client_.shutdown(tcp::socket::shutdown_send, ignored);
        drain_client();
    }

    void drain_client() {
        client_.async_read_some(net::buffer(to_upstream_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->abort();
                return;
            }
            self->drain_client();
        });
    }

    proxy_state& state_;
    tcp::socket client_;
    tcp::socket upstream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    bool keep_alive_ = false;
    std::string out_;
    int open_directions_ = 0;
    std::array<char, 16384> to_upstream_{};
    std::array<char, 16384> to_client_{};
    http::request<http::string_body> upstream_request_;
    bool head_request_ = false;
    beast::flat_buffer upstream_buffer_;
    std::optional<http::response_parser<http::string_body>> response_parser_;
    http::response<http::string_body> response_;
};

}  // namespace detail::proxy

class connect_proxy {
    using tcp = detail::proxy::tcp;

public:
    // With `require_auth` ("user:pass"), every request without the matching
    // "Proxy-Authorization: Basic ..." gets 407 + Proxy-Authenticate.
    explicit connect_proxy(std::optional<std::string> require_auth = {}) {
        if (require_auth)
            state_.expected_credentials = detail::proxy::base64_encode(*require_auth);
        port_ = server_.listen(0, [this](tcp::socket socket) {
            state_.accepted.fetch_add(1, std::memory_order_relaxed);
            auto s = std::make_shared<detail::proxy::session>(state_, std::move(socket));
            s->start();
            return s;
        });
        server_.run();
    }

    connect_proxy(connect_proxy const&) = delete;
    connect_proxy& operator=(connect_proxy const&) = delete;

    ~connect_proxy() { stop(); }

    unsigned short port() const noexcept { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // "host:port" of every authorised CONNECT, in arrival order, including
    // ones refused as non-loopback (403) or unreachable (502).
    std::vector<std::string> connect_targets() const {
        std::lock_guard lock(state_.mutex);
        return state_.connect_targets;
    }

    // Absolute-form URLs of every authorised plain-HTTP request, as received.
    std::vector<std::string> forwarded_urls() const {
        std::lock_guard lock(state_.mutex);
        return state_.forwarded_urls;
    }

    std::size_t connections_accepted() const noexcept { return state_.accepted.load(); }
    // Number of 407 answers sent.
    std::size_t auth_challenges() const noexcept { return state_.challenges.load(); }

    // Closes the listener, every client connection and tunnel, then joins.
    // Idempotent; not to be called from the proxy thread.
    void stop() { server_.stop(); }

private:
    // state_ outlives the server's io_context (whose destructor may release
    // sessions that refer to it).
    detail::proxy::proxy_state state_;
    esx::mocks::loopback_server server_;
    unsigned short port_ = 0;
};

}  // namespace esx::test

#endif
