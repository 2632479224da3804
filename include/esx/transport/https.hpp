// esx::transport::https: HTTPS over Boost.Beast and OpenSSL, with a keep-alive pool.
#ifndef ESX_TRANSPORT_HTTPS_HPP
#define ESX_TRANSPORT_HTTPS_HPP

#include <esx/transport/concept.hpp>
#include <esx/transport/detail/client.hpp>

namespace esx::transport {

/** The production transport.

    TLS 1.2 or newer; the peer's certificate must chain to the system store (or `ca_file` /
    `ca_pem`) and name the requested host (DNS name or IP address); SNI is sent for DNS names.
    Connections are pooled per (scheme, host, port), at most `max_connections_per_host` at
    once (further requests wait for one, within their total timeout), and closed after
    `idle_timeout`; at most `max_idle_connections` wait idle across all hosts (the one idle
    longest is closed first). A new connection to an origin resumes a TLS session its server
    issued earlier when one is kept (`resume_tls_sessions`), skipping the certificate exchange.
    `HTTPS_PROXY`/`NO_PROXY` are honoured with a CONNECT tunnel.

    Use it from the executor it was made with (one io_context thread or a strand).

    @par Errors
    `error::invalid_url`, `error::unsupported_scheme` (not https), `error::invalid_ca_bundle`,
    `error::connect_timeout`, `error::read_timeout`, `error::total_timeout`,
    `error::connection_closed`, `error::malformed_response`, `error::response_too_large`,
    `error::tls_untrusted_certificate`, `error::tls_hostname_mismatch`,
    `error::tls_certificate_expired`, `error::tls_handshake_failed`, `error::proxy_refused`,
    `error::proxy_auth_required`, `error::invalid_proxy`, and system errors such as
    connection refused (`condition::retryable`).
*/
class https {
public:
    using policy_kind = tag;
    using executor_type = boost::asio::any_io_executor;

    explicit https(executor_type ex, options o = {}) : client_(std::move(ex), std::move(o)) {}

    /// Sends one request; see the class documentation for the errors.
    boost::asio::awaitable<result<response>> send(request r) { return client_.send(std::move(r)); }

    executor_type get_executor() const noexcept { return client_.get_executor(); }
    std::size_t connections_opened() const noexcept { return client_.connections_opened(); }
    std::size_t idle_connections() const noexcept { return client_.idle_connections(); }
    /// Connections that resumed a TLS session instead of a full handshake.
    std::size_t sessions_resumed() const noexcept { return client_.sessions_resumed(); }

private:
    detail::basic_client<true> client_;
};

static_assert(transport_policy<https>);

} // namespace esx::transport

#endif
