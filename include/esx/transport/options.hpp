// esx::transport: settings shared by the `https` and `http` policies.
#ifndef ESX_TRANSPORT_OPTIONS_HPP
#define ESX_TRANSPORT_OPTIONS_HPP

#include <esx/config.hpp>
#include <esx/log.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace esx::transport {

using namespace std::chrono_literals;

/// Deadlines of one request. `connect` covers TCP connect, the proxy tunnel and the TLS
/// handshake; `read` is the longest the peer may stay silent while a response is due;
/// `total` bounds the whole request including waiting for a pooled connection.
struct timeouts {
    std::chrono::milliseconds connect = 10s;
    std::chrono::milliseconds read = 30s;
    std::chrono::milliseconds total = 60s;
};

/// Forward proxy settings, as curl and the Azure SDKs read them. Hosts in `no_proxy`
/// (comma-separated; `*`, exact hosts, domain suffixes with or without a leading dot, IP
/// addresses, optional `:port`) are reached directly.
struct proxy_settings {
    std::string https_proxy;  ///< for https:// URLs; CONNECT tunnel
    std::string http_proxy;   ///< for http:// URLs; absolute-form requests
    std::string no_proxy;

    /// HTTPS_PROXY/https_proxy, HTTP_PROXY/http_proxy, NO_PROXY/no_proxy (lower case wins, as
    /// in curl). Tests pass their own `getenv` instead of changing the process environment.
    template <class Getenv = decltype(&std::getenv)>
    static proxy_settings from_environment(Getenv getenv = &std::getenv) {
        auto first = [&](char const* lower, char const* upper) -> std::string {
            if (char const* v = getenv(lower); v && *v) return v;
            if (char const* v = getenv(upper); v && *v) return v;
            return {};
        };
        return {first("https_proxy", "HTTPS_PROXY"), first("http_proxy", "HTTP_PROXY"), first("no_proxy", "NO_PROXY")};
    }
};

struct options {
    transport::timeouts timeouts;
    std::size_t body_limit = 8 * 1024 * 1024;   ///< largest response body accepted
    std::size_t header_limit = 64 * 1024;       ///< largest response header block accepted
    std::size_t max_connections_per_host = 16;  ///< open connections per (scheme, host, port)
    std::chrono::milliseconds idle_timeout = 90s; ///< pooled connections idle longer are closed
    /// Idle connections kept across all hosts together (0: no limit besides the per-host one):
    /// one host's worth. Beyond it the one idle longest is closed. A TLS connection holds some
    /// 100 KiB of buffers, and the controller's 16 syncs over ten vaults kept ~115 of them
    /// open with 16 per host (measured), where 16 syncs can use 16 at a time.
    std::size_t max_idle_connections = 16;
    /// "host:port" -> address to connect to instead of resolving `host` (curl's --resolve).
    /// TLS still verifies and sends SNI for `host`.
    std::map<std::string, std::string> resolve;
    /// Unset: read from the environment when the transport is made.
    std::optional<proxy_settings> proxy;
    std::string user_agent = "esx/" ESX_VERSION_STRING;
    /// Awaited before each request goes out (each attempt of a retried one, each page), before
    /// its deadlines start: a client-side budget shared by every transport given the same
    /// function (the controller's Azure call limit, see `runtime::pace_azure_requests`). Empty:
    /// requests go at once.
    std::function<boost::asio::awaitable<void>()> pace;

    // https only
    std::string ca_file;     ///< PEM bundle to trust instead of the system store
    std::string ca_pem;      ///< PEM text to trust instead of the system store (tests, embedded CAs)
    bool verify_peer = true; ///< turning this off is for diagnosis only; a warning is logged
    /// Resume TLS sessions on new connections to an origin (a few kept per origin; see
    /// `detail::session_store`): a reconnect skips the certificate exchange and its checks.
    bool resume_tls_sessions = true;
    /// Mutual TLS (Kubernetes client-certificate users): the PEM certificate chain presented to
    /// the server and its PEM private key. Both or neither; the key is a secret and is never
    /// printed. Empty: no client certificate.
    std::string client_certificate_pem;
    secret_bytes client_key_pem;

    // http only
    /// Allows `Authorization: Bearer` over plain HTTP to hosts other than IMDS. Tests only.
    bool allow_bearer_over_plain_http = false;

    log::logger logger = log::default_logger();
};

} // namespace esx::transport

#endif
