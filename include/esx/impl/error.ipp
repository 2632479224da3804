// esx: error categories and the mapping from every category to esx::condition.
#ifndef ESX_IMPL_ERROR_IPP
#define ESX_IMPL_ERROR_IPP

#include <esx/error.hpp>

#include <boost/system/errc.hpp>

#include <cstring>
#include <string>

namespace esx {
namespace detail {

class esx_error_category final : public boost::system::error_category {
public:
    constexpr esx_error_category() noexcept : boost::system::error_category(0xE5C0'0001'0000'0001ull) {}
    char const* name() const noexcept override { return "esx"; }

    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::invalid_url: return "invalid URL";
        case error::unsupported_scheme: return "URL scheme not supported by this transport";
        case error::bearer_over_plain_http:
            return "refused to send a bearer token over plain HTTP (only IMDS, or a test setting, allows it)";
        case error::invalid_ca_bundle: return "the CA bundle could not be loaded";
        case error::invalid_proxy: return "the proxy URL is not usable (expected http://[user:pass@]host[:port])";
        case error::invalid_option: return "a setting has a value esx does not accept";
        case error::connect_timeout: return "connect timed out (TCP, proxy tunnel or TLS handshake)";
        case error::read_timeout: return "read timed out: the peer sent nothing within the read timeout";
        case error::total_timeout: return "the request exceeded its total time budget";
        case error::connection_closed: return "the peer closed the connection before the response was complete";
        case error::response_too_large: return "the response body exceeded the configured size cap";
        case error::malformed_response: return "malformed HTTP response (status line, headers or framing)";
        case error::tls_handshake_failed: return "TLS handshake failed";
        case error::tls_untrusted_certificate:
            return "TLS peer certificate is not trusted (it does not chain to the configured CA bundle)";
        case error::tls_hostname_mismatch:
            return "TLS peer certificate does not match the host name that was requested";
        case error::tls_certificate_expired: return "TLS peer certificate is expired or not yet valid";
        case error::proxy_refused: return "the proxy refused the CONNECT tunnel";
        case error::proxy_auth_required: return "the proxy requires authentication (407)";
        case error::unexpected_exception: return "unexpected exception from third-party code";
        }
        return "esx error " + std::to_string(ev);
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        // The most useful single condition for each code; `equivalent` below adds the others.
        switch (static_cast<error>(ev)) {
        case error::invalid_url:
        case error::unsupported_scheme:
        case error::bearer_over_plain_http:
        case error::invalid_ca_bundle:
        case error::invalid_proxy:
        case error::invalid_option: return condition::invalid_input;
        case error::connect_timeout:
        case error::read_timeout:
        case error::total_timeout: return condition::timeout;
        case error::tls_handshake_failed:
        case error::tls_untrusted_certificate:
        case error::tls_hostname_mismatch:
        case error::tls_certificate_expired: return condition::tls_failure;
        case error::proxy_auth_required: return condition::auth_failed;
        case error::connection_closed:
        case error::malformed_response:
        case error::response_too_large:
        case error::proxy_refused:
        case error::unexpected_exception: break;
        }
        return {ev, *this};
    }
};

class http_status_category final : public boost::system::error_category {
public:
    constexpr http_status_category() noexcept : boost::system::error_category(0xE5C0'0001'0000'0003ull) {}
    char const* name() const noexcept override { return "esx.http"; }
    std::string message(int ev) const override {
        // Only the status line: bodies may carry secrets or tokens and never enter an error.
        char const* reason = "";
        switch (ev) {
        case 400: reason = " Bad Request"; break;
        case 401: reason = " Unauthorized"; break;
        case 403: reason = " Forbidden"; break;
        case 404: reason = " Not Found"; break;
        case 405: reason = " Method Not Allowed"; break;
        case 408: reason = " Request Timeout"; break;
        case 409: reason = " Conflict"; break;
        case 410: reason = " Gone"; break;
        case 412: reason = " Precondition Failed"; break;
        case 413: reason = " Payload Too Large"; break;
        case 415: reason = " Unsupported Media Type"; break;
        case 422: reason = " Unprocessable Entity"; break;
        case 429: reason = " Too Many Requests"; break;
        case 500: reason = " Internal Server Error"; break;
        case 501: reason = " Not Implemented"; break;
        case 502: reason = " Bad Gateway"; break;
        case 503: reason = " Service Unavailable"; break;
        case 504: reason = " Gateway Timeout"; break;
        default: break;
        }
        return "HTTP " + std::to_string(ev) + reason;
    }
};

// True for an HTTP status that a client may retry after a delay (Azure SDKs' set).
constexpr bool retryable_status(int s) noexcept {
    return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

inline bool http_status_is(int s, condition c) noexcept {
    switch (c) {
    case condition::retryable: return retryable_status(s);
    case condition::auth_failed: return s == 401;
    case condition::forbidden: return s == 403;
    case condition::not_found: return s == 404 || s == 410;
    case condition::conflict: return s == 409 || s == 412;
    case condition::invalid_input: return s == 400 || s == 405 || s == 413 || s == 415 || s == 422;
    case condition::throttled: return s == 429;
    case condition::timeout: return s == 408 || s == 504;
    case condition::tls_failure: return false;
    }
    return false;
}

inline bool esx_error_is(error e, condition c) noexcept {
    switch (c) {
    case condition::retryable:
        // A timeout or a dropped connection may well succeed on a fresh attempt;
        // a certificate problem or a bad URL will not.
        return e == error::connect_timeout || e == error::read_timeout || e == error::connection_closed ||
               e == error::malformed_response;
    case condition::timeout:
        return e == error::connect_timeout || e == error::read_timeout || e == error::total_timeout;
    case condition::tls_failure:
        return e == error::tls_handshake_failed || e == error::tls_untrusted_certificate ||
               e == error::tls_hostname_mismatch || e == error::tls_certificate_expired;
    case condition::invalid_input:
        return e == error::invalid_url || e == error::unsupported_scheme || e == error::bearer_over_plain_http ||
               e == error::invalid_ca_bundle || e == error::invalid_proxy || e == error::invalid_option;
    case condition::auth_failed: return e == error::proxy_auth_required;
    default: return false;
    }
}

// Foreign categories are recognised by name so that this header does not pull in Asio,
// Beast or OpenSSL (they are heavy and error.hpp is included everywhere).
inline bool foreign_is(error_code const& ec, condition c) noexcept {
    namespace errc = boost::system::errc;
    char const* cat = ec.category().name();
    auto is = [&](char const* n) { return std::strcmp(cat, n) == 0; };
    bool const dropped = ec == errc::connection_reset || ec == errc::connection_aborted ||
                         ec == errc::broken_pipe || ec == errc::connection_refused ||
                         ec == errc::network_unreachable || ec == errc::host_unreachable ||
                         (is("asio.misc") && ec.value() == 2 /* eof */) ||
                         (is("asio.ssl.stream") && ec.value() == 1 /* stream_truncated */);
    bool const timed_out = ec == errc::timed_out || (is("boost.beast") && ec.value() == 1 /* timeout */);
    switch (c) {
    case condition::retryable: return dropped || timed_out || ec == errc::resource_unavailable_try_again;
    case condition::timeout: return timed_out;
    case condition::tls_failure: return is("asio.ssl") || (is("asio.ssl.stream") && ec.value() != 1);
    case condition::invalid_input: return ec == errc::invalid_argument;
    default: return false;
    }
}

class condition_category_impl final : public boost::system::error_category {
public:
    constexpr condition_category_impl() noexcept : boost::system::error_category(0xE5C0'0001'0000'0002ull) {}
    char const* name() const noexcept override { return "esx.condition"; }
    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
        case condition::retryable: return "retryable";
        case condition::auth_failed: return "authentication failed";
        case condition::forbidden: return "forbidden";
        case condition::not_found: return "not found";
        case condition::conflict: return "conflict";
        case condition::invalid_input: return "invalid input";
        case condition::throttled: return "throttled";
        case condition::tls_failure: return "TLS failure";
        case condition::timeout: return "timeout";
        }
        return "esx condition " + std::to_string(ev);
    }
    bool equivalent(error_code const& ec, int cv) const noexcept override {
        auto const c = static_cast<condition>(cv);
        if (ec.category() == ::esx::http_category()) return http_status_is(ec.value(), c);
        if (ec.category() == ::esx::error_category()) return esx_error_is(static_cast<error>(ec.value()), c);
        return foreign_is(ec, c);
    }
};

} // namespace detail

ESX_DECL boost::system::error_category const& error_category() noexcept {
    static constexpr detail::esx_error_category instance;
    return instance;
}
ESX_DECL boost::system::error_category const& condition_category() noexcept {
    static constexpr detail::condition_category_impl instance;
    return instance;
}
ESX_DECL boost::system::error_category const& http_category() noexcept {
    static constexpr detail::http_status_category instance;
    return instance;
}

} // namespace esx

#endif
