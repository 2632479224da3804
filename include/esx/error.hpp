// esx: the error currency of the library.
//
// Every fallible operation returns `esx::result<T>`: a value or a `boost::system::error_code`.
// Codes come from three places: `esx::error` (failures esx itself detects), `esx::http_category()`
// (a non-2xx HTTP status, the value is the status) and foreign categories (Asio, OpenSSL, Beast).
// Callers never compare raw numbers: they ask `ec == esx::condition::retryable` and the
// condition category knows how each category maps (see `impl/error.ipp`).
#ifndef ESX_ERROR_HPP
#define ESX_ERROR_HPP

#include <esx/config.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

namespace esx {

using boost::system::error_code;

/// A value or an error code; `result<void>` for operations with no value. Layers that must
/// say more than a code (a manifest field, a service's reason) use `result<T, esx::failure>`
/// from <esx/failure.hpp>.
template <class T, class E = error_code>
using result = boost::system::result<T, E>;

/// Failures that esx detects itself. Each has a message that names what went wrong; none
/// carries request or secret data, so codes are always safe to log.
enum class error {
    // input
    invalid_url = 1,          ///< a URL could not be parsed or has parts esx refuses (userinfo, fragment)
    unsupported_scheme,       ///< the transport does not speak the URL's scheme
    bearer_over_plain_http,   ///< a bearer token was about to be sent without TLS to a host other than IMDS
    invalid_ca_bundle,        ///< the configured CA file or PEM could not be loaded
    invalid_proxy,            ///< a proxy URL (option or HTTPS_PROXY/HTTP_PROXY) could not be used
    invalid_option,           ///< a setting has a value esx does not accept (log level, timeout, ...)
    // connection
    connect_timeout,          ///< TCP connect, proxy tunnel or TLS handshake did not finish in time
    read_timeout,             ///< the peer sent nothing for longer than the read timeout
    total_timeout,            ///< the whole request took longer than its total budget
    connection_closed,        ///< the peer closed the connection before the response was complete
    response_too_large,       ///< the response body exceeded the configured cap
    malformed_response,       ///< the status line, headers or framing were not valid HTTP/1.1
    // TLS
    tls_handshake_failed,     ///< the TLS handshake failed for a reason other than the certificate
    tls_untrusted_certificate,///< the peer's certificate does not chain to a trusted CA
    tls_hostname_mismatch,    ///< the peer's certificate does not name the host that was asked for
    tls_certificate_expired,  ///< the peer's certificate is expired or not yet valid
    // proxy
    proxy_refused,            ///< the proxy answered CONNECT with a non-2xx status
    proxy_auth_required,      ///< the proxy wants credentials (407)
    // anything else
    unexpected_exception,     ///< third-party code threw; caught at the policy boundary
};

/// What a caller branches on. One code may match several conditions (429 is `throttled`
/// and `retryable`).
enum class condition {
    retryable = 1,  ///< trying the same request again later may succeed
    auth_failed,    ///< the credential was refused (401, bad client secret, ...)
    forbidden,      ///< the identity is known but lacks permission (403)
    not_found,      ///< the object does not exist (404)
    conflict,       ///< a concurrent change won (409, 412)
    invalid_input,  ///< the request or configuration is wrong; retrying will not help
    throttled,      ///< the service asked to slow down (429)
    tls_failure,    ///< TLS could not be established or the peer could not be verified
    timeout,        ///< a deadline passed
};

ESX_DECL boost::system::error_category const& error_category() noexcept;
ESX_DECL boost::system::error_category const& condition_category() noexcept;
/// Category of HTTP status codes: the value of a code is the status (404, 503, ...).
ESX_DECL boost::system::error_category const& http_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

/// The error code for an HTTP status (any status; the caller decides which ones are errors).
inline error_code make_http_error(unsigned status) noexcept {
    return {static_cast<int>(status), http_category()};
}

/// True for 2xx statuses.
constexpr bool is_success(unsigned status) noexcept { return status >= 200 && status < 300; }

/// An error code that remembers where it was made (Beast's BOOST_BEAST_ASSIGN_EC).
#define ESX_ERROR(e)                                                                         \
    ::esx::error_code(static_cast<int>(e), ::esx::error_category(), [] {                     \
        static constexpr ::boost::source_location loc = BOOST_CURRENT_LOCATION;              \
        return &loc;                                                                         \
    }())

} // namespace esx

template <>
struct boost::system::is_error_code_enum<esx::error> : std::true_type {};
template <>
struct boost::system::is_error_condition_enum<esx::condition> : std::true_type {};

#if ESX_HEADER_ONLY
#  include <esx/impl/error.ipp>
#endif

#endif
