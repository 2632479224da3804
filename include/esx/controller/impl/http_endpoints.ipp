// esx::controller: the `/metrics`, `/healthz`, `/readyz` server (see <esx/controller/http_endpoints.hpp>).
#ifndef ESX_CONTROLLER_IMPL_HTTP_ENDPOINTS_IPP
#define ESX_CONTROLLER_IMPL_HTTP_ENDPOINTS_IPP

#include <esx/controller/http_endpoints.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <utility>

namespace esx::controller {

namespace detail {
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
inline constexpr auto as_result = boost::asio::as_tuple(boost::asio::use_awaitable);
inline constexpr std::string_view plain_text = "text/plain; charset=utf-8";
} // namespace detail

ESX_DECL result<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text) {
    auto const colon = text.rfind(':');
    if (colon == std::string_view::npos) return ESX_ERROR(error::invalid_option);
    auto host = text.substr(0, colon);
    auto const port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        return ESX_ERROR(error::invalid_option);
    boost::asio::ip::address address = boost::asio::ip::address_v4::any();
    if (!host.empty()) {
        if (host.front() == '[') {
            if (host.size() < 2 || host.back() != ']') return ESX_ERROR(error::invalid_option);
            host = host.substr(1, host.size() - 2);
        }
        boost::system::error_code parse_error;
        address = boost::asio::ip::make_address(std::string(host), parse_error);
        if (parse_error) return ESX_ERROR(error::invalid_option);
    }
    return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

struct http_endpoints::connection {
    explicit connection(detail::tcp::socket s) : stream(std::move(s)) {}
    boost::beast::tcp_stream stream;
};

struct http_endpoints::response {
    detail::http::status status = detail::http::status::ok;
    std::string_view content_type = detail::plain_text;
    std::string body;
};

ESX_DECL http_endpoints::http_endpoints(boost::asio::any_io_executor executor, http_endpoints_options options)
    : executor_(std::move(executor)), options_(options), acceptor_(executor_),
      drained_(executor_, std::chrono::steady_clock::time_point::max()) {
    options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
}

ESX_DECL http_endpoints::~http_endpoints() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

ESX_DECL void http_endpoints::add_health_check(std::string name, check c) {
    probes_ = true;
    health_checks_.emplace_back(std::move(name), std::move(c));
}

ESX_DECL void http_endpoints::add_readiness_check(std::string name, check c) {
    probes_ = true;
    readiness_checks_.emplace_back(std::move(name), std::move(c));
}

ESX_DECL result<boost::asio::ip::tcp::endpoint> http_endpoints::listen(boost::asio::ip::tcp::endpoint const& endpoint) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return ec;
    }
    auto local = acceptor_.local_endpoint(ec);
    if (ec) return ec;
    return local;
}

ESX_DECL boost::asio::awaitable<void> http_endpoints::run() {
    while (!stopping_ && acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(executor_, detail::as_result);
        if (stopping_ || !acceptor_.is_open() || ec == boost::asio::error::operation_aborted) break;
        if (ec) continue;  // a client that gave up in the backlog (ECONNABORTED), ...
        if (connections_ >= options_.max_connections) {
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(detail::tcp::no_delay(true), ignored);
        auto c = std::make_shared<connection>(std::move(socket));
        open_.push_back(c);
        ++connections_;
        boost::asio::co_spawn(executor_, serve(std::move(c)), boost::asio::detached);
    }
    stopping_ = true;
    close_all();
    while (connections_ > 0) {
        drained_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await drained_.async_wait(detail::as_result);
    }
}

ESX_DECL void http_endpoints::stop() {
    boost::asio::post(executor_, [this] {
        stopping_ = true;
        close_all();
    });
}

ESX_DECL void http_endpoints::close_all() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto const& weak : open_)
        if (auto c = weak.lock()) c->stream.socket().close(ignored);
    open_.clear();
    if (connections_ == 0) drained_.cancel();
}

ESX_DECL boost::asio::awaitable<void> http_endpoints::serve(std::shared_ptr<connection> c) {
    namespace http = detail::http;
    boost::beast::flat_buffer buffer(2 * options_.max_request_bytes + 1024);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_request_bytes, UINT32_MAX)));
        parser.body_limit(options_.max_request_bytes);
        c->stream.expires_after(options_.idle_timeout);
        auto [read_error, read_bytes] = co_await http::async_read(c->stream, buffer, parser, detail::as_result);
        (void)read_bytes;
        if (stopping_) break;
        if (read_error) {
            // Answer what was too big or malformed, then close; a connection that was closed,
            // reset or left idle gets nothing.
            auto const& http_errors = http::make_error_code(http::error::bad_method).category();
            http::status status = http::status::bad_request;
            if (read_error == http::error::header_limit || read_error == http::error::buffer_overflow)
                status = http::status::request_header_fields_too_large;
            else if (read_error == http::error::body_limit)
                status = http::status::payload_too_large;
            else if (read_error.category() != http_errors || read_error == http::error::end_of_stream ||
                     read_error == http::error::partial_message)
                break;
            http::response<http::string_body> res{status, 11};
            res.set(http::field::content_type, detail::plain_text);
            res.set(http::field::connection, "close");
            res.body() = std::string(http::obsolete_reason(status)) + "\n";
            res.prepare_payload();
            c->stream.expires_after(options_.idle_timeout);
            co_await http::async_write(c->stream, res, detail::as_result);
            break;
        }
        auto const& req = parser.get();
        ++requests_;
        auto const head = req.method() == http::verb::head;
        auto r = answer(req.method_string(), req.target());
        http::response<http::string_body> res{r.status, req.version()};
        res.set(http::field::content_type, r.content_type);
        res.set("X-Content-Type-Options", "nosniff");
        if (r.status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
        res.keep_alive(req.keep_alive());
        res.body() = std::move(r.body);
        res.prepare_payload();
        if (head) res.body().clear();  // HEAD: the headers (Content-Length included), no body
        c->stream.expires_after(options_.idle_timeout);
        auto [write_error, written] = co_await http::async_write(c->stream, res, detail::as_result);
        (void)written;
        if (write_error || !res.keep_alive() || stopping_) break;
    }
    boost::system::error_code ignored;
    c->stream.socket().shutdown(detail::tcp::socket::shutdown_both, ignored);
    c->stream.socket().close(ignored);
    std::erase_if(open_, [&](auto const& weak) {
        auto const p = weak.lock();
        return !p || p == c;
    });
    --connections_;
    if (stopping_ && connections_ == 0) drained_.cancel();
}

ESX_DECL http_endpoints::response http_endpoints::answer(std::string_view method, std::string_view target) {
    namespace http = detail::http;
    auto const question = target.find('?');
    auto const path = target.substr(0, question);
    auto const query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    bool verbose = false;
    for (std::size_t at = 0; at <= query.size();) {
        auto const amp = std::min(query.find('&', at), query.size());
        auto const param = query.substr(at, amp - at);
        if (param == "verbose" || param.starts_with("verbose=")) verbose = true;
        at = amp + 1;
    }

    enum class route { none, metrics, healthz, readyz } which = route::none;
    std::string_view only;
    auto probe_route = [&](std::string_view base, route r) {
        if (path == base) which = r;
        else if (path.size() > base.size() + 1 && path.starts_with(base) && path[base.size()] == '/') {
            which = r;
            only = path.substr(base.size() + 1);
        }
    };
    if (metrics_ && path == "/metrics") which = route::metrics;
    if (probes_) {
        probe_route("/healthz", route::healthz);
        probe_route("/readyz", route::readyz);
    }
    if (which == route::none) return response{http::status::not_found, detail::plain_text, "404 page not found\n"};
    if (method != "GET" && method != "HEAD")
        return response{http::status::method_not_allowed, detail::plain_text, "405 method not allowed\n"};
    if (which == route::metrics) {
        response r{http::status::ok, exposition::content_type, {}};
        metrics_->render(r.body);
        return r;
    }
    return which == route::healthz ? probe("healthz", health_checks_, only, verbose)
                                   : probe("readyz", readiness_checks_, only, verbose);
}

ESX_DECL http_endpoints::response http_endpoints::probe(std::string_view kind,
                                                        std::vector<std::pair<std::string, check>> const& checks,
                                                        std::string_view only, bool verbose) {
    namespace http = detail::http;
    auto passes = [](check const& c) {
        try {
            return c && c();
        } catch (...) {
            return false;  // a check that throws fails; nothing escapes the server
        }
    };
    if (!only.empty()) {
        auto const it = std::find_if(checks.begin(), checks.end(), [&](auto const& kv) { return kv.first == only; });
        if (it == checks.end()) return response{http::status::not_found, detail::plain_text, "404 page not found\n"};
        if (passes(it->second)) return response{http::status::ok, detail::plain_text, "ok"};
        return response{http::status::internal_server_error, detail::plain_text,
                        "internal server error: " + it->first + " check failed\n"};
    }
    response r;
    bool all = true;
    std::string lines;
    for (auto const& [name, c] : checks) {
        bool const ok = passes(c);
        all = all && ok;
        lines += ok ? "[+]" : "[-]";
        lines += name;
        lines += ok ? " ok\n" : " failed: reason withheld\n";
    }
    if (all && !verbose) {
        r.body = "ok";
        return r;
    }
    r.status = all ? http::status::ok : http::status::internal_server_error;
    r.body = std::move(lines);
    r.body += kind;
    r.body += all ? " check passed\n" : " check failed\n";
    return r;
}

} // namespace esx::controller

#endif
