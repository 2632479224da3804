// esx::transport::detail: OpenSSL set-up for clients.
#ifndef ESX_TRANSPORT_DETAIL_TLS_HPP
#define ESX_TRANSPORT_DETAIL_TLS_HPP

#include <esx/config.hpp>
#include <esx/error.hpp>
#include <esx/transport/detail/url.hpp>
#include <esx/transport/options.hpp>

#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <memory>

namespace esx::transport::detail {

/// A client context: TLS 1.2 or newer, peer verification on (unless turned off), trusting
/// `ca_file`/`ca_pem` when given, otherwise the system store.
/// Presents `client_certificate_pem`/`client_key_pem` when set (mutual TLS).
/// @par Errors `error::invalid_ca_bundle`; `error::invalid_option` for a client certificate
/// without a key (or the reverse), an unreadable one, or a key that does not match it.
ESX_DECL result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(options const& o);

/** TLS sessions one origin's server handed this client, kept to resume later connections
    to it: a resumed handshake skips the server's certificate, its signature and the client's
    chain verification, the costly part of a connection that a pool opens again and again (a
    controller's syncs spread over ten vaults reconnect hundreds of times per cycle).

    Bounded: the newest `capacity` sessions; each is offered once (TLS 1.3 tickets are for one
    use, RFC 8446 § C.4), and every connection brings new ones. A session resumes only
    connections to the origin that issued it, whose name it was verified for. */
class session_store {
public:
    static constexpr std::size_t capacity = 4;

    session_store() = default;
    session_store(session_store const&) = delete;
    session_store& operator=(session_store const&) = delete;
    ~session_store() { clear(); }

    /// Takes over one reference to `s`; the oldest session goes when full.
    ESX_DECL void keep(SSL_SESSION* s) noexcept;
    /// The newest session still resumable (its reference passes to the caller), or nullptr.
    ESX_DECL SSL_SESSION* take() noexcept;
    ESX_DECL void clear() noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

private:
    SSL_SESSION* sessions_[capacity] = {}; // oldest first
    std::size_t count_ = 0;
};

/// Makes connections of `ctx` hand the sessions their servers issue to the `session_store`
/// given in `offer_session`. Without it (watch contexts, for one) no session is kept.
ESX_DECL void enable_session_resumption(SSL_CTX* ctx);

/// Before a handshake: offers one session of `store` (when it has one; says whether it did)
/// and has the connection keep the sessions its server issues in `store`, which must outlive it.
ESX_DECL bool offer_session(SSL* ssl, session_store& store);

/// After a handshake: whether it resumed. A resumed TLS 1.2 session is kept again (its
/// server issues no new one).
ESX_DECL bool note_handshake(SSL* ssl, session_store& store);

/// OpenSSL marks the session of a connection freed before it sent close_notify as not
/// resumable (a TLS 1.0 rule that TLS 1.1 dropped). A client that closes a connection between
/// exchanges, its last response read whole, calls this first: the connection ended cleanly
/// and its session stays resumable. One that failed keeps the rule.
ESX_DECL void mark_closed_cleanly(SSL* ssl) noexcept;

/// Per connection: SNI for DNS names, and host-name (or IP address) verification.
ESX_DECL error_code prepare_connection(SSL* ssl, url_parts const& u, bool verify_peer);

/// Turns a failed handshake into the esx error that says why: an untrusted chain, a name
/// mismatch or an expired certificate, or a plain handshake failure.
ESX_DECL error_code classify_handshake_failure(SSL* ssl, error_code const& ec);

} // namespace esx::transport::detail

#if ESX_HEADER_ONLY
#  include <esx/transport/impl/tls.ipp>
#endif

#endif
