// esx::transport::detail: the HTTP/1.1 client behind the `https` and `http` policies.
//
// One class template, parameterised on TLS, so both policies share the pool, deadlines,
// proxy and error mapping. A client is bound to one executor and must be used from it
// (one io_context thread, or a strand): the pool needs no locks because of that.
#ifndef ESX_TRANSPORT_DETAIL_CLIENT_HPP
#define ESX_TRANSPORT_DETAIL_CLIENT_HPP

#include <esx/error.hpp>
#include <esx/log.hpp>
#include <esx/transport/detail/proxy.hpp>
#include <esx/transport/detail/response_parser.hpp>
#include <esx/transport/detail/tls.hpp>
#include <esx/transport/detail/url.hpp>
#include <esx/transport/detail/watchdog.hpp>
#include <esx/transport/message.hpp>
#include <esx/transport/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace esx::transport::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http; // hides the `transport::http` policy inside detail

/// IMDS, the one plain-HTTP host a bearer token may go to.
inline constexpr std::string_view imds_host = "169.254.169.254";

/// Maps an error from reading or writing a response onto the esx error that says what happened.
inline error_code classify_exchange_error(error_code const& ec) {
    namespace he = beast::http;
    if (ec == he::error::body_limit || ec == he::error::header_limit || ec == he::error::buffer_overflow)
        return ESX_ERROR(error::response_too_large);
    if (ec == he::error::end_of_stream || ec == he::error::partial_message || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
        ec == net::ssl::error::stream_truncated)
        return ESX_ERROR(error::connection_closed);
    if (ec.category() == he::make_error_code(he::error::bad_version).category())
        return ESX_ERROR(error::malformed_response);
    return ec;
}

template <bool Tls>
class basic_client {
public:
    using clock = std::chrono::steady_clock;
    using stream_type = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

    basic_client(net::any_io_executor ex, options o) : ex_(std::move(ex)), options_(std::move(o)) {
        if (!options_.proxy) options_.proxy = proxy_settings::from_environment();
        if (options_.max_connections_per_host == 0) options_.max_connections_per_host = 1;
        if constexpr (Tls) {
            auto ctx = make_client_context(options_);
            if (ctx) {
                tls_ = std::move(*ctx);
                if (options_.resume_tls_sessions) enable_session_resumption(tls_->native_handle());
            } else {
                init_error_ = ctx.error();
            }
            if (!options_.verify_peer)
                options_.logger.warn("TLS peer verification is off: connections can be intercepted",
                                     {{"component", "esx.transport"}});
        }
    }

    basic_client(basic_client&&) = default;
    basic_client& operator=(basic_client&&) = delete;

    net::any_io_executor get_executor() const noexcept { return ex_; }
    options const& settings() const noexcept { return options_; }
    /// Connections opened since construction (tests and benchmarks read it).
    std::size_t connections_opened() const noexcept { return connections_opened_; }
    /// Of those, the TLS connections that resumed an earlier session (no certificate exchange).
    std::size_t sessions_resumed() const noexcept { return sessions_resumed_; }
    /// Connections currently kept open for reuse.
    std::size_t idle_connections() const noexcept {
        std::size_t n = 0;
        for (auto const& [_, p] : pools_) n += p.idle.size();
        return n;
    }

    net::awaitable<result<response>> send(request req) {
        if (init_error_) co_return init_error_;
        if (options_.pace) {
            auto paced = options_.pace();  // a named local: no temporary inside the co_await (g++ 12)
            co_await std::move(paced);
        }
        auto const started = clock::now();
        auto const deadline = started + options_.timeouts.total;

        auto const [origin_text, rest] = split_origin(req.url);
        auto found = route_for(origin_text);
        if (!found) co_return found.error();
        std::shared_ptr<origin_route const> const origin = std::move(*found); // kept alive across suspensions
        url_parts const& u = origin->url;
        if constexpr (!Tls) {
            if (carries_bearer(req.headers) && u.host != imds_host && !options_.allow_bearer_over_plain_http)
                co_return ESX_ERROR(error::bearer_over_plain_http);
        }
        auto target = parse_target(rest);
        if (!target) co_return target.error();
        bool const forward_plain = !Tls && origin->proxy.has_value();
        if (forward_plain) target->insert(0, origin_text); // absolute form on the proxy's connection

        http::request<wiped_string_body, fields> msg{req.method, *target, 11, std::move(req.body), std::move(req.headers)};
        msg.set(http::field::host, origin->host_header);
        if (msg.find(http::field::user_agent) == msg.end()) msg.set(http::field::user_agent, options_.user_agent);
        if (forward_plain && !origin->proxy->authorization.empty())
            msg.set(http::field::proxy_authorization, origin->proxy->authorization);
        msg.prepare_payload();

        bool const head = req.method == http::verb::head;
        for (int attempt = 0;; ++attempt) {
            // An idle pooled connection is taken without suspending: the common case costs
            // no coroutine frame.
            lease held{take_idle(*origin->pool), true};
            if (!held.conn) {
                auto acquired = co_await acquire(*origin, deadline);
                if (!acquired) {
                    log_failure(msg, u, acquired.error(), started);
                    co_return acquired.error();
                }
                held = std::move(*acquired);
            }
            auto outcome = co_await exchange(*held.conn, msg, head, deadline);
            if (outcome.value) {
                if (!outcome.keep_alive) ended_cleanly(*held.conn);
                release(*origin->pool, std::move(held.conn), outcome.keep_alive);
                if (options_.logger.enabled(log::level::debug))
                    options_.logger.debug("http exchange", {{"component", "esx.transport"},
                                                            {"method", method_name(msg.method())},
                                                            {"host", u.host},
                                                            {"path", path_of(msg.target())},
                                                            {"status", outcome.value->result_int()},
                                                            {"reused", held.reused},
                                                            {"ms", elapsed_ms(started)}});
                co_return std::move(outcome.value);
            }
            // A pooled connection the server had already closed fails before any byte comes
            // back; the request never reached the application, so one fresh try is safe. The
            // connection ended as the server's idle timer meant: its session stays resumable.
            bool const server_closed_idle = held.reused && !outcome.received_any && attempt == 0 &&
                                            outcome.value.error() == error::connection_closed;
            if (server_closed_idle) ended_cleanly(*held.conn);
            release(*origin->pool, std::move(held.conn), false);
            if (server_closed_idle) continue;
            log_failure(msg, u, outcome.value.error(), started);
            co_return std::move(outcome.value);
        }
    }

private:
    struct connection {
        explicit connection(stream_type s) : stream(std::move(s)) {}
        stream_type stream;
        // Holds response bytes, values included, on their way to the parser: wiped when it
        // grows and emptied (wiped) after every exchange, see `exchange`.
        beast::basic_flat_buffer<esx::detail::wiping_allocator<char>> buffer;
        clock::time_point idle_since{};
    };
    using connection_ptr = std::unique_ptr<connection>;

    struct lease {
        connection_ptr conn;
        bool reused = false;
    };

    // A coroutine waiting for a connection slot. `release` hands it a connection or a slot
    // and cancels its timer; the timer expiring first means the request ran out of time.
    struct waiter {
        explicit waiter(net::any_io_executor const& ex) : timer(ex) {}
        net::steady_timer timer;
        connection_ptr handed;
        bool slot = false;
    };

    struct host_pool {
        // First, so it is destroyed last: the connections' SSLs point at it.
        session_store sessions; // TLS sessions to resume (stays empty over plain HTTP)
        bool resume = true;     // false once the server failed a resumed handshake
        std::vector<connection_ptr> idle; // most recently used last
        std::size_t open = 0;             // idle + leased + being connected
        std::deque<waiter*> waiters;
    };

    // What the client works out once per origin (scheme://authority) and reuses for every
    // request to it: the parsed URL, Host header, proxy route and connection pool.
    struct origin_route {
        url_parts url;
        std::string host_header;
        std::optional<proxy_route> proxy;
        host_pool* pool = nullptr; // pools_ never erases, so the pointer stays valid
    };

    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    result<std::shared_ptr<origin_route const>> route_for(std::string_view origin_text) {
        if (auto it = origins_.find(origin_text); it != origins_.end()) return it->second;
        auto parsed = parse_url(origin_text);
        if (!parsed) return parsed.error();
        if (parsed->scheme != (Tls ? "https" : "http")) return ESX_ERROR(error::unsupported_scheme);
        auto proxy = choose_proxy(*options_.proxy, *parsed);
        if (!proxy) return proxy.error();
        auto route = std::make_shared<origin_route>();
        route->host_header = parsed->host_header();
        route->pool = &pools_[pool_key(*parsed, *proxy)];
        route->url = std::move(*parsed);
        route->proxy = std::move(*proxy);
        // Bounded: a client that talks to endless origins re-derives routes instead of growing.
        if (origins_.size() >= 1024) origins_.clear();
        origins_.emplace(std::string(origin_text), route);
        return std::shared_ptr<origin_route const>(std::move(route));
    }

    struct exchange_outcome {
        result<response> value = error_code{};
        bool keep_alive = false;
        bool received_any = false;
    };

    static bool carries_bearer(fields const& h) {
        auto const it = h.find(http::field::authorization);
        if (it == h.end()) return false;
        auto const v = it->value();
        return v.size() >= 7 && beast::iequals(v.substr(0, 7), "Bearer ");
    }

    static std::string_view method_name(http::verb v) {
        auto const s = http::to_string(v);
        return {s.data(), s.size()};
    }

    static std::string_view path_of(beast::string_view target) {
        std::string_view const t(target.data(), target.size());
        return t.substr(0, t.find('?'));
    }

    static std::int64_t elapsed_ms(clock::time_point since) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - since).count();
    }

    static std::string pool_key(url_parts const& u, std::optional<proxy_route> const& route) {
        if (!route) return u.scheme + "://" + u.authority();
        if constexpr (Tls) return u.scheme + "://" + u.authority() + " via " + route->proxy.authority();
        else return "proxy " + route->proxy.authority() + (route->authorization.empty() ? "" : " +auth");
    }

    void log_failure(http::request<wiped_string_body, fields> const& msg, url_parts const& u, error_code const& ec,
                     clock::time_point started) const {
        if (!options_.logger.enabled(log::level::debug)) return;
        options_.logger.debug("http request failed", {{"component", "esx.transport"},
                                                      {"method", method_name(msg.method())},
                                                      {"host", u.host},
                                                      {"path", path_of(msg.target())},
                                                      {"error", ec},
                                                      {"ms", elapsed_ms(started)}});
    }

    static auto& lowest(stream_type& s) { return beast::get_lowest_layer(s); }

    // A connection closed between exchanges (its last response complete) keeps its TLS
    // session resumable; see `mark_closed_cleanly`.
    static void ended_cleanly(connection& c) noexcept {
        if constexpr (Tls) mark_closed_cleanly(c.stream.native_handle());
    }

    void evict_idle(host_pool& pool) {
        auto const now = clock::now();
        auto const stale = [&](connection_ptr const& c) { return now - c->idle_since > options_.idle_timeout; };
        auto const before = pool.idle.size();
        for (auto& c : pool.idle)
            if (stale(c)) ended_cleanly(*c);
        std::erase_if(pool.idle, stale);
        pool.open -= before - pool.idle.size();
    }

    connection_ptr take_idle(host_pool& pool) {
        evict_idle(pool);
        if (pool.idle.empty()) return nullptr;
        connection_ptr c = std::move(pool.idle.back());
        pool.idle.pop_back();
        return c;
    }

    // Waits for a slot under the per-host cap (or for a connection handed over by `release`),
    // then connects. Called only when no idle connection was available.
    net::awaitable<result<lease>> acquire(origin_route const& origin, clock::time_point deadline) {
        host_pool& pool = *origin.pool;
        if (pool.open >= options_.max_connections_per_host) {
            waiter w(ex_);
            w.timer.expires_at(deadline);
            pool.waiters.push_back(&w);
            error_code ec;
            co_await w.timer.async_wait(net::redirect_error(net::use_awaitable, ec));
            if (w.handed) co_return lease{std::move(w.handed), true};
            if (!w.slot) {
                std::erase(pool.waiters, &w);
                co_return ESX_ERROR(error::total_timeout);
            }
            // A slot was granted: `open` already counts this connection. If the wait used up
            // the budget, pass the slot on rather than open a connection nobody will use.
            if (clock::now() >= deadline) {
                give_back_slot(pool);
                co_return ESX_ERROR(error::total_timeout);
            }
        } else {
            ++pool.open;
        }
        auto c = co_await connect(origin, deadline);
        if (!c) {
            give_back_slot(pool);
            co_return c.error();
        }
        ++connections_opened_;
        co_return lease{std::move(*c), false};
    }

    void give_back_slot(host_pool& pool) {
        if (!pool.waiters.empty()) {
            waiter* w = pool.waiters.front();
            pool.waiters.pop_front();
            w->slot = true;
            w->timer.cancel();
        } else {
            --pool.open;
        }
    }

    void release(host_pool& pool, connection_ptr c, bool reusable) {
        if (!reusable) {
            c.reset();
            give_back_slot(pool);
            return;
        }
        if (!pool.waiters.empty()) {
            waiter* w = pool.waiters.front();
            pool.waiters.pop_front();
            w->handed = std::move(c);
            w->timer.cancel();
            return;
        }
        c->idle_since = clock::now();
        pool.idle.push_back(std::move(c));
        if (options_.max_idle_connections > 0 && idle_connections() > options_.max_idle_connections)
            close_longest_idle();
    }

    // One idle connection too many across the pools: the one idle longest goes (each pool's
    // `idle` is in release order, so its front is its oldest), and its slot with it (to a
    // waiter of that pool if there were one; `release` hands connections to waiters first, so
    // a pool with idle connections normally has none).
    void close_longest_idle() {
        host_pool* oldest = nullptr;
        for (auto& [_, p] : pools_)
            if (!p.idle.empty() && (!oldest || p.idle.front()->idle_since < oldest->idle.front()->idle_since))
                oldest = &p;
        if (!oldest) return;
        ended_cleanly(*oldest->idle.front());
        oldest->idle.erase(oldest->idle.begin());
        give_back_slot(*oldest);
    }

    error_code deadline_error(error_code const& ec, clock::time_point used, clock::time_point deadline,
                              error timeout_kind) const {
        if (ec != beast::error::timeout) return ec;
        return used >= deadline ? ESX_ERROR(error::total_timeout) : error_code(timeout_kind);
    }

    net::awaitable<result<std::vector<net::ip::tcp::endpoint>>> resolve(url_parts const& hop) {
        using net::ip::tcp;
        std::vector<tcp::endpoint> out;
        std::string const* address = nullptr;
        if (auto it = options_.resolve.find(hop.authority()); it != options_.resolve.end()) address = &it->second;
        if (address || is_ip_literal(hop.host)) {
            error_code ec;
            auto const ip = net::ip::make_address(address ? *address : hop.host, ec);
            if (ec) co_return ESX_ERROR(error::invalid_url);
            out.emplace_back(ip, hop.port);
            co_return out;
        }
        tcp::resolver resolver(ex_);
        error_code ec;
        auto results = co_await resolver.async_resolve(hop.host, std::to_string(hop.port),
                                                       net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return ec;
        for (auto const& e : results) out.push_back(e.endpoint());
        co_return out;
    }

    // Connects, resuming a kept TLS session when there is one. A server that fails the
    // handshake of a resumed session (an OpenSSL server that asks for client certificates
    // without a session id context does) gets a full handshake at once, and only full ones
    // from then on.
    net::awaitable<result<connection_ptr>> connect(origin_route const& origin, clock::time_point deadline) {
        bool offered = false;
        bool* const offered_ptr = &offered;
        auto first = co_await connect_once(origin, deadline, offered_ptr);
        if constexpr (Tls) {
            // After the offer only the handshake can fail. Any failure but a timeout counts: with
            // verification off, OpenSSL reports the offered session's stored verify result.
            bool const refused = !first && offered && first.error() != error::connect_timeout &&
                                 first.error() != error::total_timeout;
            if (refused) {
                origin.pool->resume = false;
                origin.pool->sessions.clear();
                options_.logger.debug("tls session resumption refused, full handshakes from now on",
                                      {{"component", "esx.transport"}, {"host", origin.url.host}});
                auto second = co_await connect_once(origin, deadline, offered_ptr);
                co_return second;
            }
        }
        co_return first;
    }

    net::awaitable<result<connection_ptr>> connect_once(origin_route const& origin, clock::time_point deadline,
                                                        bool* offered_session) {
        url_parts const& u = origin.url;
        std::optional<proxy_route> const& route = origin.proxy;
        auto const until = std::min(clock::now() + options_.timeouts.connect, deadline);
        url_parts const& hop = route ? route->proxy : u;
        auto endpoints = co_await resolve(hop);
        if (!endpoints) co_return endpoints.error();

        beast::tcp_stream tcp(ex_);
        tcp.expires_at(until);
        error_code ec;
        co_await tcp.async_connect(*endpoints, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return deadline_error(ec, until, deadline, error::connect_timeout);
        tcp.socket().set_option(net::ip::tcp::no_delay(true), ec);

        if constexpr (Tls) {
            if (route) {
                if (auto tunnel = co_await open_tunnel(tcp, u, *route); tunnel)
                    co_return deadline_error(tunnel, until, deadline, error::connect_timeout);
            }
            stream_type stream(std::move(tcp), *tls_);
            if (auto prep = prepare_connection(stream.native_handle(), u, options_.verify_peer); prep) co_return prep;
            if (options_.resume_tls_sessions && origin.pool->resume)
                *offered_session = offer_session(stream.native_handle(), origin.pool->sessions);
            co_await stream.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
            if (ec == beast::error::timeout) co_return deadline_error(ec, until, deadline, error::connect_timeout);
            if (ec) co_return classify_handshake_failure(stream.native_handle(), ec);
            if (options_.resume_tls_sessions && origin.pool->resume &&
                note_handshake(stream.native_handle(), origin.pool->sessions))
                ++sessions_resumed_;
            lowest(stream).expires_never(); // from here on the watchdog keeps the deadlines
            co_return std::make_unique<connection>(std::move(stream));
        } else {
            (void)offered_session;
            tcp.expires_never();
            co_return std::make_unique<connection>(std::move(tcp));
        }
    }

    // CONNECT host:port through the proxy; on success the socket is a tunnel to `u`.
    net::awaitable<error_code> open_tunnel(beast::tcp_stream& tcp, url_parts const& u, proxy_route const& route) {
        http::request<http::empty_body> req{http::verb::connect, u.authority(), 11};
        req.set(http::field::host, u.authority());
        req.set(http::field::user_agent, options_.user_agent);
        if (!route.authorization.empty()) req.set(http::field::proxy_authorization, route.authorization);
        error_code ec;
        co_await http::async_write(tcp, req, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return ec;
        beast::flat_buffer buffer;
        http::response_parser<http::empty_body> parser;
        parser.skip(true); // a 2xx answer to CONNECT has no body; the tunnel starts after the header
        co_await http::async_read_header(tcp, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return ec == beast::error::timeout ? ec : ESX_ERROR(error::proxy_refused);
        auto const status = parser.get().result_int();
        if (status == 407) co_return ESX_ERROR(error::proxy_auth_required);
        if (!is_success(status) || buffer.size() != 0) co_return ESX_ERROR(error::proxy_refused);
        co_return error_code{};
    }

    static body_string serialize(http::request<wiped_string_body, fields> const& msg) {
        body_string out;
        out.reserve(512 + msg.body().size());
        http::request_serializer<wiped_string_body, fields> sr{msg};
        error_code ec;
        while (!ec && !sr.is_done()) {
            sr.next(ec, [&](error_code&, auto const& buffers) {
                std::size_t n = 0;
                for (auto const b : beast::buffers_range_ref(buffers)) {
                    out.append(static_cast<char const*>(b.data()), b.size());
                    n += b.size();
                }
                sr.consume(n);
            });
        }
        return out;
    }

    net::awaitable<exchange_outcome> exchange(connection& c, http::request<wiped_string_body, fields> const& msg, bool head,
                                              clock::time_point deadline) {
        exchange_outcome out;
        // Whatever happens, the response bytes left in the connection's buffer are wiped.
        struct wipe_buffer_on_exit {
            connection& c;
            ~wipe_buffer_on_exit() { c.buffer.shrink_to_fit(); } // frees through the wiping allocator
        } const wipe_buffer{c};
        watched_exchange watched{&lowest(c.stream).socket(), clock::now(), deadline, options_.timeouts.read, {}};
        watchdog::guard const guard(watchdog_, watched);
        // After the watchdog cancelled the socket, say which deadline passed.
        auto const failure = [&](error_code const& ec) -> error_code {
            return watched.expired ? error_code(*watched.expired) : classify_exchange_error(ec);
        };
        error_code ec;
        // One buffer in wiped memory: handed several buffers, Beast's TLS stream would copy
        // them into a buffer of its own that keeps the request (a client secret, a bearer
        // token) until the connection closes.
        body_string const wire = serialize(msg);
        co_await net::async_write(c.stream, net::buffer(wire.data(), wire.size()),
                                  net::redirect_error(net::use_awaitable, ec));
        // The watchdog may fire just as an operation succeeds; the deadline still counts.
        if (ec || watched.expired) {
            out.value = failure(ec);
            co_return out;
        }
        response_parser parser;
        configure_response_parser(parser, options_, head);
        while (!parser.is_done()) {
            co_await http::async_read_some(c.stream, c.buffer, parser, net::redirect_error(net::use_awaitable, ec));
            out.received_any = out.received_any || parser.got_some();
            if (ec || (watched.expired && !parser.is_done())) {
                out.value = failure(ec);
                co_return out;
            }
            watched.last_activity = clock::now(); // the read timeout is an idle timeout
        }
        if (!is_valid_status(parser.get().result_int())) {
            out.value = ESX_ERROR(error::malformed_response);
            co_return out;
        }
        out.keep_alive = parser.get().keep_alive() && !parser.need_eof();
        out.value = parser.release();
        co_return out;
    }

    net::any_io_executor ex_;
    options options_;
    std::shared_ptr<net::ssl::context> tls_;
    error_code init_error_;
    std::unordered_map<std::string, host_pool> pools_;
    std::unordered_map<std::string, std::shared_ptr<origin_route const>, string_hash, std::equal_to<>> origins_;
    std::size_t connections_opened_ = 0;
    std::size_t sessions_resumed_ = 0;
    watchdog watchdog_{ex_};
};

} // namespace esx::transport::detail

#endif
