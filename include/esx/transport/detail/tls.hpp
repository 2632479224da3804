// esx::transport::detail: OpenSSL set-up for clients.
#ifndef ESX_TRANSPORT_DETAIL_TLS_HPP
#define ESX_TRANSPORT_DETAIL_TLS_HPP

#include <esx/config.hpp>
#include <esx/error.hpp>
#include <esx/transport/detail/url.hpp>
#include <esx/transport/options.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace esx::transport::detail {

/// A client context: TLS 1.2 or newer, peer verification on (unless turned off), trusting
/// `ca_file`/`ca_pem` when given, otherwise the system store.
/// Presents `client_certificate_pem`/`client_key_pem` when set (mutual TLS).
/// @par Errors `error::invalid_ca_bundle`; `error::invalid_option` for a client certificate
/// without a key (or the reverse), an unreadable one, or a key that does not match it.
ESX_DECL result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(options const& o);

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
