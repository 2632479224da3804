// esx mocks/kube: one client connection (TLS for the API, plain for the control endpoint):
// HTTP/1.1 keep-alive, bodies up to 3 MiB (413 after), 400 for malformed requests, and
// watch streams as chunked responses fed by the state (stream_sink).
#include "http_session.hpp"

#include "status.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <deque>
#include <optional>

namespace esx::mocks::kube::detail {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string serialize_head(unsigned code, std::string const& content_type,
                           std::vector<std::pair<std::string, std::string>> const& headers, bool keep_alive,
                           std::optional<std::size_t> length) {
    std::string out = "HTTP/1.1 " + std::to_string(code) + " " +
                      std::string(http::obsolete_reason(http::int_to_status(code))) + "\r\n";
    out += "Content-Type: " + content_type + "\r\n";
    out += "Cache-Control: no-cache, private\r\n";
    for (auto const& [k, v] : headers)
        out += k + ": " + v + "\r\n";
    if (length)
        out += "Content-Length: " + std::to_string(*length) + "\r\n";
    else
        out += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive)
        out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

std::string chunk(std::string const& payload) {
    char size[32];
    int const n = std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
    std::string out;
    out.reserve(static_cast<std::size_t>(n) + payload.size() + 2);
    out.append(size, static_cast<std::size_t>(n));
    out += payload;
    out += "\r\n";
    return out;
}

// The client certificate of a TLS connection, if one was presented. The handshake accepts
// any certificate (as kube-apiserver's RequestClientCert does); whether it verified against
// the CA (for client authentication) decides authentication later.
std::optional<client_certificate> peer_certificate(SSL* ssl) {
    X509* peer = SSL_get0_peer_certificate(ssl);
    if (!peer)
        return std::nullopt;
    client_certificate c;
    c.verified = SSL_get_verify_result(ssl) == X509_V_OK;
    X509_NAME* subject = X509_get_subject_name(peer);
    auto entries = [&](int nid) {
        std::vector<std::string> out;
        for (int i = X509_NAME_get_index_by_NID(subject, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(subject, nid, i)) {
            unsigned char* utf8 = nullptr;
            int const n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
            if (n >= 0)
                out.emplace_back(reinterpret_cast<char const*>(utf8), static_cast<std::size_t>(n));
            OPENSSL_free(utf8);
        }
        return out;
    };
    auto const cns = entries(NID_commonName);
    c.common_name = cns.empty() ? std::string() : cns.front();
    c.organizations = entries(NID_organizationName);
    return c;
}

template <class Stream>
class connection final : public stream_sink,
                         public esx::mocks::session,
                         public std::enable_shared_from_this<connection<Stream>> {
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
    template <class... Args>
    explicit connection(conn_env const& env, Args&&... args)
        : env_(env), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {}

    void start() {
        if constexpr (is_tls) {
            // Asio asks OpenSSL to free a connection's record buffers whenever they are empty;
            // a server answering thousands of requests a second would allocate them again for
            // every record. The controller keeps the mode (its pooled connections sit idle).
            SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
            stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec)
                    return;
                self->certificate_ = peer_certificate(self->stream_.native_handle());
                self->read_request();
            });
        } else {
            read_request();
        }
    }

    void abort() noexcept override {
        closed_ = true;
        try {
            timer_.cancel();
        } catch (...) {
        }
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

    // stream_sink (called on the io thread, with the state mutex held)
    void send_chunk(std::string payload) override {
        if (!streaming_ || closed_)
            return;
        enqueue(chunk(payload));
    }
    void end_stream() override {
        if (!streaming_ || closed_)
            return;
        streaming_ = false;
        enqueue("0\r\n\r\n");
        // A read is still pending on the socket (to notice clients leaving),
        // so the connection cannot be reused: close it once the end is sent.
        after_queue_ = after::abort;
    }
    void abort_stream() override { abort(); }

private:
    enum class after { nothing, read_next, close, abort, drain };

    void read_request() {
        parser_.emplace();
        parser_->body_limit(3 * 1024 * 1024);
        parser_->header_limit(64 * 1024);
        http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            json::object s{{"kind", "Status"},
                           {"apiVersion", "v1"},
                           {"metadata", json::object()},
                           {"status", "Failure"},
                           {"message", "the request body is larger than 3145728 bytes"},
                           {"reason", "RequestEntityTooLarge"},
                           {"code", 413}};
            std::string const body = json::serialize(s);
            keep_alive_ = false;
            after_queue_ = after::drain;
            enqueue(serialize_head(413, "application/json", {}, false, body.size()) + body);
            return;
        }
        if (ec) {
            if (ec != http::error::end_of_stream && ec != net::error::eof && !closed_ && ec != net::error::operation_aborted &&
                ec != net::ssl::error::stream_truncated) {
                // Malformed request: answer 400 and close.
                std::string const body = json::serialize(bad_request("malformed HTTP request: " + ec.message()).status);
                keep_alive_ = false;
                after_queue_ = after::close;
                enqueue(serialize_head(400, "application/json", {}, false, body.size()) + body);
            }
            return;
        }
        http::request<http::string_body> message = parser_->release();
        keep_alive_ = message.keep_alive();
        api_request req;
        req.method = std::string(message.method_string());
        req.target = std::string(message.target());
        req.content_type = std::string(message[http::field::content_type]);
        req.accept = std::string(message[http::field::accept]);
        req.authorization = std::string(message[http::field::authorization]);
        req.user_agent = std::string(message[http::field::user_agent]);
        req.body = std::move(message.body());
        req.certificate = certificate_;
        request_record rec;
        rec.method = req.method;
        std::size_t const q = req.target.find('?');
        rec.path = req.target.substr(0, q);
        rec.query = q == std::string::npos ? "" : req.target.substr(q + 1);
        rec.content_type = req.content_type;
        rec.user_agent = req.user_agent;
        http_reply reply;
        {
            std::lock_guard lock(*env_.mutex);
            reply = env_.handle(req, rec);
            rec.status = reply.code;
            if (reply.watch) {
                reply.watch->sink = std::weak_ptr<stream_sink>(
                    std::static_pointer_cast<stream_sink>(this->shared_from_this()));
            }
        }
        env_.record(std::move(rec));
        if (reply.close)
            keep_alive_ = false;
        if (reply.watch) {
            begin_watch(std::move(reply));
            return;
        }
        std::string out = serialize_head(reply.code, reply.content_type, reply.headers, keep_alive_, reply.body.size()) +
                          reply.body;
        after_queue_ = keep_alive_ ? after::read_next : after::close;
        if (reply.delay.count() > 0) {
            timer_.expires_after(reply.delay);
            timer_.async_wait([self = this->shared_from_this(), out = std::move(out)](beast::error_code e) mutable {
                if (!e)
                    self->enqueue(std::move(out));
            });
        } else {
            enqueue(std::move(out));
        }
    }

    void begin_watch(http_reply reply) {
        streaming_ = true;
        after_queue_ = after::nothing;
        keep_alive_ = false;
        std::string head = serialize_head(200, reply.content_type, reply.headers, false, std::nullopt);
        for (auto const& c : reply.initial_chunks)
            head += chunk(c);
        enqueue(std::move(head));
        if (reply.end_after_initial) {
            // An ERROR event (e.g. 410 Expired) is the stream's last word.
            end_stream();
            return;
        }
        // Keep reading so a client that goes away is noticed at once.
        watch_read();
        timer_.expires_after(reply.watch_timeout);
        timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec)
                return;
            std::lock_guard lock(*self->env_.mutex);
            self->end_stream();
        });
    }

    void drain() {
        beast::get_lowest_layer(stream_).socket().async_read_some(
            net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                self->drained_ += n;
                if (ec || self->drained_ > 64 * 1024 * 1024) {
                    self->abort();
                    return;
                }
                self->drain();
            });
    }

    void watch_read() {
        stream_.async_read_some(net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                if (self->streaming_)
                    self->abort();
                return;
            }
            if (self->streaming_)
                self->watch_read();
        });
    }

    void enqueue(std::string data) {
        queue_.push_back(std::move(data));
        if (!writing_)
            write_next();
    }

    void write_next() {
        if (queue_.empty()) {
            writing_ = false;
            auto const next = after_queue_;
            after_queue_ = after::nothing;
            if (next == after::read_next && !closed_) {
                timer_.cancel();
                read_request();
            } else if (next == after::close) {
                graceful_close();
            } else if (next == after::abort) {
                abort();
            } else if (next == after::drain) {
                // The client may still be sending the rest of an oversized body: FIN our side and
                // read (discard) until it is done, so it gets to read the answer instead of a reset.
                beast::error_code ec;
                beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
                drain();
            }
            return;
        }
        writing_ = true;
        // What is queued goes out in one write (a watch's events pile up while the client reads
        // or while this thread serves requests): one TLS record and system call per 16 KiB, not
        // per event, so that the mock is not the bottleneck the benchmarks measure. The bytes on
        // the wire are the same chunked stream.
        // Appended into the buffer of the last write (cleared, its capacity kept): a buffer
        // grown anew for each batch was fresh memory, page faults included, every time.
        current_.clear();
        do {
            current_ += queue_.front();
            queue_.pop_front();
        } while (!queue_.empty() && current_.size() + queue_.front().size() <= 256 * 1024);
        net::async_write(stream_, net::buffer(current_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->abort();
                return;
            }
            self->write_next();
        });
    }

    void graceful_close() {
        if constexpr (is_tls) {
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->abort(); });
        } else {
            beast::error_code ec;
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    conn_env const& env_;
    Stream stream_;
    std::optional<client_certificate> certificate_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::deque<std::string> queue_;
    std::string current_;
    bool writing_ = false;
    bool keep_alive_ = true;
    bool streaming_ = false;
    bool closed_ = false;
    after after_queue_ = after::nothing;
    std::array<char, 16 * 1024> discard_{};
    std::size_t drained_ = 0;
};

}  // namespace

std::shared_ptr<esx::mocks::session> start_session(conn_env const& env, tcp::socket socket, net::ssl::context* tls) {
    if (tls) {
        auto c = std::make_shared<connection<beast::ssl_stream<beast::tcp_stream>>>(env, std::move(socket), *tls);
        c->start();
        return c;
    }
    auto c = std::make_shared<connection<beast::tcp_stream>>(env, std::move(socket));
    c->start();
    return c;
}

}  // namespace esx::mocks::kube::detail
