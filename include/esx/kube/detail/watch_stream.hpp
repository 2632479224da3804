// esx::kube::detail: one streaming watch response, read line by line.
//
// Why a dedicated connection and not the transport's pool: the transport's contract is one
// request, one complete response (a Beast string body read whole), which is right for REST
// verbs and wrong for a watch, whose body is an endless chunked stream. A watch holds its
// connection for minutes, so pooling gains nothing, and keeping it out of the pool means a
// long watch never takes a slot that short requests wait for. The connection is built from
// the same transport options (CA, client certificate, `resolve` overrides, verification),
// through the same TLS set-up functions, so it trusts exactly what the REST client trusts.
// Not supported here: HTTPS_PROXY tunnels (watches go direct).
//
// Memory is bounded per event: bytes are read into a fixed 64 KiB buffer and appended to the
// current line (watch_lines.hpp), and a line longer than `max_line` fails with
// `error::response_too_large` instead of growing.
#ifndef ESX_KUBE_DETAIL_WATCH_STREAM_HPP
#define ESX_KUBE_DETAIL_WATCH_STREAM_HPP

#include <esx/failure.hpp>
#include <esx/kube/detail/watch_lines.hpp>
#include <esx/kube/status.hpp>
#include <esx/transport/detail/client.hpp>
#include <esx/transport/detail/tls.hpp>
#include <esx/transport/detail/url.hpp>
#include <esx/transport/options.hpp>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace esx::kube::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

class watch_stream {
public:
    using stream_type = beast::ssl_stream<beast::tcp_stream>;

    /// Connects, sends the GET and reads the response header. A non-2xx status reads the
    /// (bounded) body and returns the Status as a failure (410 Expired included).
    static net::awaitable<result<std::unique_ptr<watch_stream>, failure>>
    open(net::any_io_executor ex, std::shared_ptr<net::ssl::context> tls, transport::options const& o,
         std::string const& url, std::string const& authorization, std::size_t max_line) {
        auto u = transport::detail::parse_url(url);
        if (!u) co_return failure(u.error());
        if (u->scheme != "https") co_return failure(ESX_ERROR(error::unsupported_scheme), "watch needs an https server");
        using tcp = net::ip::tcp;
        std::vector<tcp::endpoint> endpoints;
        std::string address = u->host;
        if (auto it = o.resolve.find(u->authority()); it != o.resolve.end()) address = it->second;
        error_code ec;
        if (auto ip = net::ip::make_address(address, ec); !ec) {
            endpoints.emplace_back(ip, u->port);
        } else {
            tcp::resolver resolver(ex);
            std::string const port = std::to_string(u->port);
            auto results = co_await resolver.async_resolve(u->host, port,
                                                           net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return failure(ec);
            for (auto const& e : results) endpoints.push_back(e.endpoint());
        }
        beast::tcp_stream tcp_stream(ex);
        tcp_stream.expires_after(o.timeouts.connect);
        co_await tcp_stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
        if (ec == beast::error::timeout) co_return failure(ESX_ERROR(error::connect_timeout));
        if (ec) co_return failure(ec);
        tcp_stream.socket().set_option(tcp::no_delay(true), ec);
        // Set once: read_arrived's synchronous reads then fail with would_block instead of
        // waiting (asynchronous operations are not affected by this mode).
        tcp_stream.socket().non_blocking(true, ec);
        if (ec) co_return failure(ec);
        auto self = std::unique_ptr<watch_stream>(new watch_stream(stream_type(std::move(tcp_stream), *tls), max_line));
        if (auto prep = transport::detail::prepare_connection(self->stream_.native_handle(), *u, o.verify_peer); prep)
            co_return failure(prep);
        co_await self->stream_.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
        if (ec == beast::error::timeout) co_return failure(ESX_ERROR(error::connect_timeout));
        if (ec) co_return failure(transport::detail::classify_handshake_failure(self->stream_.native_handle(), ec));

        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, u->target, 11};
        req.set(bhttp::field::host, u->host_header());
        req.set(bhttp::field::user_agent, o.user_agent);
        req.set(bhttp::field::accept, "application/json");
        if (!authorization.empty()) req.set(bhttp::field::authorization, authorization);
        beast::get_lowest_layer(self->stream_).expires_after(o.timeouts.read);
        co_await bhttp::async_write(self->stream_, req, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return failure(transport::detail::classify_exchange_error(ec));
        self->parser_.header_limit(static_cast<std::uint32_t>(o.header_limit));
        self->parser_.body_limit(boost::none); // the stream is endless; lines are bounded instead
        co_await bhttp::async_read_header(self->stream_, self->buffer_, self->parser_,
                                          net::redirect_error(net::use_awaitable, ec));
        if (ec == beast::error::timeout) co_return failure(ESX_ERROR(error::read_timeout));
        if (ec) co_return failure(transport::detail::classify_exchange_error(ec));
        unsigned const status = self->parser_.get().result_int();
        if (!is_success(status)) {
            // The error body is a Status; read up to 64 KiB of it.
            std::string body;
            while (!self->parser_.is_done() && body.size() < 64 * 1024) {
                auto chunk = co_await self->read_some(o.timeouts.read);
                if (!chunk || chunk->empty()) break;
                body += *chunk;
            }
            co_return status_failure(status, body);
        }
        co_return std::move(self);
    }

    /// The next complete line (without the newline); nullopt when the server ended the stream
    /// cleanly. An idle stream longer than `idle` gives `error::read_timeout`.
    net::awaitable<result<std::optional<watch_line>, failure>> next_line(std::chrono::milliseconds idle) {
        for (;;) {
            auto line = lines_.next();
            if (!line || *line) co_return std::move(line);
            if (parser_.is_done()) co_return std::optional<watch_line>();
            auto chunk = read_arrived();
            if (chunk && chunk->empty()) chunk = co_await read_some(idle);
            if (!chunk) co_return chunk.error();
            lines_.append(*chunk);
            esx::detail::secure_wipe(chunk_.data(), chunk->size()); // the bytes now live in lines_ only
        }
    }

    std::size_t bytes_received() const noexcept { return bytes_; }

    /// Ends a pending read at once (it fails with `operation_aborted`): for a shutdown.
    void cancel() { beast::get_lowest_layer(stream_).cancel(); }

private:
    watch_stream(stream_type s, std::size_t max_line) : stream_(std::move(s)), lines_(max_line) {}

    /// Bytes that have already arrived, read without waiting (empty: none, or this turn's
    /// budget is spent). Why: the API server flushes each event as its own TLS record, and an
    /// asynchronous read hands out one record per turn of the event loop. On a busy thread (16
    /// syncs writing statuses, each write coming back as an event here) the stream then falls
    /// behind the events it is sent, and a new object is seen hundreds of milliseconds late.
    /// Reading what is there at once keeps up; the budget still lets others run between turns.
    result<std::string_view, failure> read_arrived() {
        if (arrived_budget_ == 0) return std::string_view();
        error_code ec;
        std::size_t const room = std::min(chunk_.size(), arrived_budget_);
        auto& body = parser_.get().body();
        body.data = chunk_.data();
        body.size = room;
        bhttp::read_some(stream_, buffer_, parser_, ec);  // the socket is non-blocking: would_block, never a wait
        std::size_t const n = room - parser_.get().body().size;
        arrived_budget_ -= n;
        bytes_ += n;
        if (ec == bhttp::error::need_buffer || ec == net::error::would_block || ec == net::error::try_again) ec = {};
        if (ec) return failure(transport::detail::classify_exchange_error(ec));
        return std::string_view(chunk_.data(), n);
    }

    /// A view of the bytes read into `chunk_` (valid until the next read).
    net::awaitable<result<std::string_view, failure>> read_some(std::chrono::milliseconds idle) {
        arrived_budget_ = arrived_budget_per_turn;
        auto& body = parser_.get().body();
        body.data = chunk_.data();
        body.size = chunk_.size();
        beast::get_lowest_layer(stream_).expires_after(idle);
        error_code ec;
        co_await bhttp::async_read_some(stream_, buffer_, parser_, net::redirect_error(net::use_awaitable, ec));
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec == beast::error::timeout) co_return failure(ESX_ERROR(error::read_timeout));
        if (ec) co_return failure(transport::detail::classify_exchange_error(ec));
        std::size_t const n = chunk_.size() - parser_.get().body().size;
        bytes_ += n;
        co_return std::string_view(chunk_.data(), n);
    }

public:
    watch_stream(watch_stream const&) = delete;
    watch_stream& operator=(watch_stream const&) = delete;
    ~watch_stream() { esx::detail::secure_wipe(chunk_.data(), chunk_.size()); }

private:
    stream_type stream_;
    // Holds what the parser read past the headers, event bytes included: wiped when freed.
    beast::basic_flat_buffer<esx::detail::wiping_allocator<char>> buffer_;
    bhttp::response_parser<bhttp::buffer_body> parser_;
    std::array<char, 64 * 1024> chunk_{};
    watch_lines lines_;
    std::size_t bytes_ = 0;
    static constexpr std::size_t arrived_budget_per_turn = 256 * 1024;
    std::size_t arrived_budget_ = 0;  ///< what read_arrived() may still read before the next asynchronous read
};

} // namespace esx::kube::detail

#endif
