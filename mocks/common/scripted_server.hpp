// esx mocks/common: an in-process HTTP/1.1 server whose behaviour per request
// is scripted by the test.
//
// Transport tests need servers that misbehave on cue (stall, close mid-way,
// send garbage) as well as ones that answer correctly at full speed for the
// benchmarks. The server listens on 127.0.0.1 with an ephemeral port on a
// loopback_server (its own io_context and thread) and is torn down (all
// connections closed, thread joined) by stop() or the destructor, so a test can
// never leak a listening socket or a thread.
#ifndef ESX_MOCKS_COMMON_SCRIPTED_SERVER_HPP
#define ESX_MOCKS_COMMON_SCRIPTED_SERVER_HPP

#include "loopback_server.hpp"
#include "scripted_action.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace esx::test {

namespace http = boost::beast::http;

namespace detail::scripted {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

using request = http::request<http::string_body>;
using handler_fn = std::function<action(request const&)>;

// Everything a connection needs from its server. It is declared before the
// loopback_server in scripted_server so it outlives the connections that the
// io_context's destructor may still be releasing.
struct server_state {
    handler_fn handler;
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> current{0};
    std::atomic<std::size_t> max_concurrent{0};
    std::atomic<std::size_t> requests{0};
    std::atomic<std::size_t> resumed{0}; // TLS handshakes that resumed a session
    mutable std::mutex sni_mutex;
    std::vector<std::string> server_names; // SNI of each TLS handshake; "" when none was sent
};

inline constexpr std::uint64_t max_body = 1024 * 1024;
inline constexpr std::uint32_t max_header = 64 * 1024;  // bearer tokens can be large

template <class Stream>
class connection final : public esx::mocks::session, public std::enable_shared_from_this<connection<Stream>> {
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

    // What to do once a write has completed; an enum rather than a stored
    // callback keeps the per-write cost to one small lambda.
    enum class then { next_request, graceful_close, abrupt_close, next_chunk, next_trickle_byte };

public:
    template <class... Args>
    explicit connection(server_state& state, Args&&... stream_args)
        : state_(state), stream_(std::forward<Args>(stream_args)...), timer_(stream_.get_executor()) {}

    ~connection() override { state_.current.fetch_sub(1, std::memory_order_relaxed); }

    void start(bool stall) {
        if (stall) {
            discard_until_closed();
            return;
        }
        if constexpr (is_tls) {
            // Asio has OpenSSL free the record buffers whenever they are empty: a server
            // answering thousands of requests a second would allocate them for every record.
            SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
            stream_.async_handshake(net::ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (!ec) {
                                            if (SSL_session_reused(self->stream_.native_handle()) == 1)
                                                self->state_.resumed.fetch_add(1, std::memory_order_relaxed);
                                            self->read_request();
                                        }
                                        // On failure the connection is dropped quietly:
                                        // clients rejecting our certificate is a test case.
                                    });
        } else {
            read_request();
        }
    }

    void abort() noexcept override {
        try {
            timer_.cancel();
        } catch (...) {
            // cancel() only throws on an OS failure we could not act on anyway
        }
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

private:
    void read_request() {
        parser_.emplace();
        parser_->body_limit(max_body);
        parser_->header_limit(max_header);
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (!ec)
                                 self->on_request();
                             else if (ec == http::error::body_limit)
                                 self->refuse(http::status::payload_too_large);
                             else if (ec == http::error::header_limit)
                                 self->refuse(http::status::request_header_fields_too_large);
                             // Any other read error (client closed, malformed request) just
                             // drops the connection.
                         });
    }

    void on_request() {
        state_.requests.fetch_add(1, std::memory_order_relaxed);
        request const& req = parser_->get();
        keep_alive_ = req.keep_alive();
        action a;
        try {
            a = state_.handler(req);
            if (a.what == action::kind::respond && !a.response.chunked())
                a.response.prepare_payload();  // throws for e.g. a 204 with a body
        } catch (std::exception const& e) {
            // Surface handler bugs to the client as a 500 rather than
            // terminating the server thread and hanging the test.
            a = handler_failed(e.what());
        } catch (...) {
            a = handler_failed("unknown exception");
        }
        perform(std::move(a));
    }

    // Over a size limit the request cannot be handed to the handler; answer with the status
    // an HTTP front end uses (413 or 431) and close, as servers do after an unread body.
    void refuse(http::status status) {
        http::response<http::string_body> r{status, 11};
        r.set(http::field::content_type, "text/plain; charset=utf-8");
        r.body() = std::string(http::obsolete_reason(status)) + "\n";
        r.keep_alive(false);
        r.prepare_payload();
        keep_alive_ = false;
        perform(action::respond(std::move(r)));
    }

    static action handler_failed(char const* what) {
        http::response<http::string_body> r{http::status::internal_server_error, 11};
        r.set(http::field::content_type, "text/plain");
        r.body() = std::string("scripted_server handler threw: ") + what;
        r.prepare_payload();
        return action::respond(std::move(r));
    }

    void perform(action a) {
        switch (a.what) {
        case action::kind::respond:
            response_ = std::move(a.response);
            keep_alive_ = keep_alive_ && response_.keep_alive();
            response_.keep_alive(keep_alive_);
            if (a.delay.count() > 0) {
                timer_.expires_after(a.delay);
                timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
                    if (!ec)
                        self->write_response();
                });
            } else {
                write_response();
            }
            break;
        case action::kind::chunked: {
            keep_alive_ = keep_alive_ && a.response.keep_alive();
            chunks_ = std::move(a.chunks);
            next_chunk_ = 0;
            write_out(chunked_head(a.response), then::next_chunk);
            break;
        }
        case action::kind::raw:
            write_out(std::move(a.bytes), then::graceful_close);
            break;
        case action::kind::close_after_bytes:
            write_out(std::move(a.bytes), then::abrupt_close);
            break;
        case action::kind::hang:
            discard_until_closed();
            break;
        case action::kind::trickle:
            trickle_ = std::move(a.bytes);
            trickle_interval_ = a.delay;
            next_trickle_byte_ = 0;
            send_trickle_byte();
            break;
        case action::kind::close:
            abrupt_close();
            break;
        }
    }

    // Serialised by hand because Beast's string_body serializer would send a
    // chunked body as one chunk; here each chunk becomes a separate write.
    std::string chunked_head(http::response<http::string_body> const& head) const {
        std::string out = "HTTP/1.1 " + std::to_string(head.result_int()) + " ";
        out += std::string(head.reason().empty() ? http::obsolete_reason(head.result()) : head.reason());
        out += "\r\n";
        for (auto const& f : head) {
            if (f.name() == http::field::content_length || f.name() == http::field::transfer_encoding ||
                f.name() == http::field::connection)
                continue;
            out += std::string(f.name_string()) + ": " + std::string(f.value()) + "\r\n";
        }
        out += "Transfer-Encoding: chunked\r\n";
        if (!keep_alive_)
            out += "Connection: close\r\n";
        out += "\r\n";
        return out;
    }

    void send_next_chunk() {
        while (next_chunk_ < chunks_.size() && chunks_[next_chunk_].empty())
            ++next_chunk_;
        if (next_chunk_ < chunks_.size()) {
            std::string const& c = chunks_[next_chunk_++];
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", c.size());
            write_out(size + c + "\r\n", then::next_chunk);
        } else {
            chunks_.clear();
            write_out("0\r\n\r\n", then::next_request);
        }
    }

    void send_trickle_byte() {
        if (next_trickle_byte_ >= trickle_.size()) {
            graceful_close();
            return;
        }
        std::string byte(1, trickle_[next_trickle_byte_++]);
        if (next_trickle_byte_ == 1) {
            write_out(std::move(byte), then::next_trickle_byte);
            return;
        }
        timer_.expires_after(trickle_interval_);
        timer_.async_wait([self = this->shared_from_this(), byte = std::move(byte)](beast::error_code ec) mutable {
            if (!ec)
                self->write_out(std::move(byte), then::next_trickle_byte);
        });
    }

    void write_response() {
        http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec)
                self->proceed(then::next_request);
        });
    }

    void write_out(std::string data, then next) {
        out_ = std::move(data);
        net::async_write(stream_, net::buffer(out_),
                         [self = this->shared_from_this(), next](beast::error_code ec, std::size_t) {
                             if (!ec)
                                 self->proceed(next);
                         });
    }

    void proceed(then next) {
        switch (next) {
        case then::next_request:
            if (keep_alive_)
                read_request();
            else
                graceful_close();
            break;
        case then::graceful_close:
            graceful_close();
            break;
        case then::abrupt_close:
            abrupt_close();
            break;
        case then::next_chunk:
            send_next_chunk();
            break;
        case then::next_trickle_byte:
            send_trickle_byte();
            break;
        }
    }

    // TLS: send close_notify (async_shutdown also waits for the peer's, or for
    // it to go away) and then finish like an abrupt close.
    void graceful_close() {
        if constexpr (is_tls) {
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->abrupt_close(); });
        } else {
            abrupt_close();
        }
    }

    // Sends FIN (without close_notify on TLS) and keeps reading until the
    // peer closes. Closing outright could turn into an RST if unread client
    // bytes remain, and an RST may destroy response bytes the client has not
    // read yet, making close_after_bytes() flaky.
    void abrupt_close() {
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        discard_until_closed();
    }

    // Reads and drops raw TCP bytes until the peer closes or the server stops;
    // the pending read is what keeps the connection object alive.
    void discard_until_closed() {
        beast::get_lowest_layer(stream_).socket().async_read_some(
            net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    beast::error_code ignored;
                    beast::get_lowest_layer(self->stream_).socket().close(ignored);
                    return;
                }
                self->discard_until_closed();
            });
    }

    server_state& state_;
    Stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    bool keep_alive_ = false;
    std::string out_;
    std::vector<std::string> chunks_;
    std::size_t next_chunk_ = 0;
    std::string trickle_;
    std::chrono::milliseconds trickle_interval_{0};
    std::size_t next_trickle_byte_ = 0;
    std::array<char, 4096> discard_{};
};

}  // namespace detail::scripted

class scripted_server {
    using tcp = detail::scripted::tcp;
    using plain_connection = detail::scripted::connection<boost::beast::tcp_stream>;
    using tls_connection = detail::scripted::connection<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

public:
    using request = http::request<http::string_body>;
    using handler = std::function<action(request const&)>;

    // Binds 127.0.0.1:0 and starts serving before returning, so port() is
    // usable at once. The handler runs on the server thread.
    scripted_server(server_options options, handler h) : options_(std::move(options)) {
        state_.handler = std::move(h);
        if (options_.tls) {
            ssl_ctx_.emplace(boost::asio::ssl::context::tls_server);
            ssl_ctx_->set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                                  boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                                  boost::asio::ssl::context::no_tlsv1_1);
            ssl_ctx_->use_certificate_chain(boost::asio::buffer(options_.cert_pem));
            ssl_ctx_->use_private_key(boost::asio::buffer(options_.key_pem), boost::asio::ssl::context::pem);
            if (options_.tls_max_version != 0)
                SSL_CTX_set_max_proto_version(ssl_ctx_->native_handle(), options_.tls_max_version);
            if (options_.request_client_certificate) {
                ssl_ctx_->set_verify_mode(boost::asio::ssl::verify_peer);
                ssl_ctx_->set_verify_callback([](bool, boost::asio::ssl::verify_context&) { return true; });
            }
            // Record the SNI each client sends, so tests can check what a client put on the wire.
            SSL_CTX_set_tlsext_servername_arg(ssl_ctx_->native_handle(), &state_);
            SSL_CTX_set_tlsext_servername_callback(
                ssl_ctx_->native_handle(), +[](SSL* ssl, int*, void* arg) -> int {
                    auto* st = static_cast<detail::scripted::server_state*>(arg);
                    char const* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
                    std::lock_guard lock(st->sni_mutex);
                    st->server_names.emplace_back(name ? name : "");
                    return SSL_TLSEXT_ERR_OK;
                });
        }
        port_ = server_.listen(0, [this](tcp::socket socket) { return on_accept(std::move(socket)); });
        server_.run();
    }

    explicit scripted_server(handler h) : scripted_server(server_options{}, std::move(h)) {}

    scripted_server(scripted_server const&) = delete;
    scripted_server& operator=(scripted_server const&) = delete;

    ~scripted_server() { stop(); }

    unsigned short port() const noexcept { return port_; }

    std::string origin() const {
        return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
    }

    std::size_t connections_accepted() const noexcept { return state_.accepted.load(); }
    std::size_t max_concurrent_connections() const noexcept { return state_.max_concurrent.load(); }
    // TLS handshakes that resumed an earlier session instead of a full one.
    std::size_t sessions_resumed() const noexcept { return state_.resumed.load(); }
    // The SNI host name of every TLS handshake so far, in order ("" when the client sent none).
    std::vector<std::string> server_names() const {
        std::lock_guard lock(state_.sni_mutex);
        return state_.server_names;
    }
    // Requests read completely and handed to the handler (whatever it did).
    std::size_t requests_served() const noexcept { return state_.requests.load(); }

    // Closes the listener and every connection, then joins the thread.
    // Idempotent and safe from any thread except the server thread itself
    // (from a handler it only schedules the shutdown; the destructor joins).
    void stop() { server_.stop(); }

private:
    std::shared_ptr<esx::mocks::session> on_accept(tcp::socket socket) {
        state_.accepted.fetch_add(1, std::memory_order_relaxed);
        std::size_t const now = state_.current.fetch_add(1, std::memory_order_relaxed) + 1;
        if (now > state_.max_concurrent.load(std::memory_order_relaxed))
            state_.max_concurrent.store(now, std::memory_order_relaxed);  // only this thread writes it

        if (options_.tls) {
            auto c = std::make_shared<tls_connection>(state_, std::move(socket), *ssl_ctx_);
            c->start(options_.stall_tls_handshake);
            return c;
        }
        auto c = std::make_shared<plain_connection>(state_, std::move(socket));
        c->start(options_.stall_tls_handshake);
        return c;
    }

    // Declaration order matters: state_ and ssl_ctx_ must outlive the server's
    // io_context, whose destructor releases the connections that refer to them.
    server_options options_;
    detail::scripted::server_state state_;
    std::optional<boost::asio::ssl::context> ssl_ctx_;
    esx::mocks::loopback_server server_;
    unsigned short port_ = 0;
};

}  // namespace esx::test

#endif
