// esx::controller: the controller's small plain-HTTP server: `/metrics`, `/healthz`, `/readyz`.
//
// Shaped like controller-runtime's metrics and health-probe servers (ESO's `--metrics-addr
// :8080` and `--live-addr :8082`): one `http_endpoints` per address, serving the routes it is
// given, so a controller can put metrics and probes on one port or on two.
// - `/metrics`: the registry in the Prometheus text format (<esx/controller/metrics.hpp>).
// - `/healthz` (liveness) and `/readyz` (readiness): 200 `ok` when every check passes, else 500
//   with one line per check (`[+]name ok`, `[-]name failed`) and `healthz check failed`, the
//   body Kubernetes' own probes write; `?verbose` lists the checks on success too, and
//   `/readyz/<name>` asks one check. With no check added, a probe answers `ok`: the answer
//   itself proves the controller's executor turns, since every request is served on it.
// - Anything else: 404; a method other than GET or HEAD: 405.
// What the controller (<esx/controller/basic_controller.hpp>) adds, and why: liveness needs
// the executor turning (and, with leader election, a renewal that is not overdue, as
// controller-runtime's leader-election health check); readiness waits for the reflector caches
// to be synced, whether or not this replica leads. controller-runtime starts the caches on every replica
// and does not tie readiness to leadership either (ESO's readyz is a bare ping): a standby
// with synced caches is ready to take over, and a rolling update must not wait for a
// leadership change that only happens when the old leader goes.
//
// Bounded: a request's header and body are limited (`max_request_bytes`, 431 or 413 beyond),
// at most `max_connections` connections are served at once (more are closed on accept), and a
// connection idle for `idle_timeout` is closed. Keep-alive as the client asks.
//
// Everything, checks and metrics included, runs on the executor given to the constructor: give
// it the controller's strand and nothing needs a lock. `run()` accepts until `stop()`, then
// closes every connection and returns once their coroutines have ended.
#ifndef ESX_CONTROLLER_HTTP_ENDPOINTS_HPP
#define ESX_CONTROLLER_HTTP_ENDPOINTS_HPP

#include <esx/config.hpp>
#include <esx/controller/metrics.hpp>
#include <esx/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace esx::controller {

struct http_endpoints_options {
    std::size_t max_request_bytes = 8 * 1024;         ///< header and body of one request, each
    std::size_t max_connections = 64;                 ///< connections served at once
    std::chrono::milliseconds idle_timeout{30'000};   ///< a connection silent this long is closed
};

/// Reads a listen address as the controller's flags write it: `:8080` (every interface),
/// `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:0` (an ephemeral port).
/// @par Errors `error::invalid_option` (no port, a port out of range, an address that is not an IP).
ESX_DECL result<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

class http_endpoints {
public:
    using check = std::function<bool()>;

    ESX_DECL explicit http_endpoints(boost::asio::any_io_executor executor, http_endpoints_options options = {});
    http_endpoints(http_endpoints const&) = delete;
    http_endpoints& operator=(http_endpoints const&) = delete;
    ESX_DECL ~http_endpoints();

    /// Serves `/metrics` from `registry`, which must outlive the server.
    void serve_metrics(metrics& registry) noexcept { metrics_ = &registry; }
    /// Serves `/healthz` and `/readyz` (with no check, both answer `ok`).
    void serve_probes() noexcept { probes_ = true; }
    /// Adds a named liveness check (it also turns the probes on).
    ESX_DECL void add_health_check(std::string name, check c);
    /// Adds a named readiness check (it also turns the probes on).
    ESX_DECL void add_readiness_check(std::string name, check c);

    /// Binds `endpoint` (port 0: an ephemeral one) and returns the address bound.
    /// @par Errors the bind's own (`address_in_use`, `access_denied`, ...).
    ESX_DECL result<boost::asio::ip::tcp::endpoint> listen(boost::asio::ip::tcp::endpoint const& endpoint);

    /// Accepts and serves connections until `stop()`; returns when every connection is closed.
    ESX_DECL boost::asio::awaitable<void> run();

    /// Stops accepting and closes every connection. Safe from any thread: the work is posted to
    /// the server's executor, so the server must live until `run()` has returned.
    ESX_DECL void stop();

    /// Requests answered since construction, and connections open now.
    std::uint64_t requests() const noexcept { return requests_; }
    std::size_t connections() const noexcept { return connections_; }

private:
    struct connection;
    struct response;

    ESX_DECL boost::asio::awaitable<void> serve(std::shared_ptr<connection> c);
    ESX_DECL response answer(std::string_view method, std::string_view target);
    ESX_DECL response probe(std::string_view kind, std::vector<std::pair<std::string, check>> const& checks,
                            std::string_view only, bool verbose);
    ESX_DECL void close_all();

    boost::asio::any_io_executor executor_;
    http_endpoints_options options_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer drained_;  // cancelled when the last connection ends after stop()
    metrics* metrics_ = nullptr;
    bool probes_ = false;
    bool stopping_ = false;
    std::vector<std::pair<std::string, check>> health_checks_;
    std::vector<std::pair<std::string, check>> readiness_checks_;
    std::list<std::weak_ptr<connection>> open_;
    std::size_t connections_ = 0;
    std::uint64_t requests_ = 0;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/http_endpoints.ipp>
#endif

#endif
