// esx::transport::detail: the parts of an absolute http(s) URL that a client needs.
#ifndef ESX_TRANSPORT_DETAIL_URL_HPP
#define ESX_TRANSPORT_DETAIL_URL_HPP

#include <esx/config.hpp>
#include <esx/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace esx::transport::detail {

struct url_parts {
    std::string scheme;     ///< "https" or "http", lower case
    std::string host;       ///< lower case; an IPv6 literal without brackets
    std::uint16_t port = 0; ///< explicit or the scheme's default
    std::string target;     ///< origin-form: path and query, "/" when empty
    bool explicit_port = false;
    bool ipv6 = false;

    /// "host:port" with brackets for IPv6: the key of the resolve map and of CONNECT.
    std::string authority() const;
    /// The Host header value: the port only when it is not the scheme's default.
    std::string host_header() const;
};

/// Parses `scheme://host[:port][/path][?query][#fragment]`. Userinfo is refused (credentials
/// in URLs end up in logs); the fragment is dropped.
/// @par Errors `error::invalid_url`.
ESX_DECL result<url_parts> parse_url(std::string_view url);

/// Splits an absolute URL into its origin (`scheme://authority`) and the rest (path, query,
/// fragment), without validating either.
ESX_DECL std::pair<std::string_view, std::string_view> split_origin(std::string_view url) noexcept;

/// The origin-form request target for the part of a URL after its authority: the fragment is
/// dropped and an empty path becomes "/".
/// @par Errors `error::invalid_url` for spaces or control characters (header injection).
ESX_DECL result<std::string> parse_target(std::string_view rest);

/// True when `host` is an IPv4 or IPv6 literal.
ESX_DECL bool is_ip_literal(std::string_view host) noexcept;

} // namespace esx::transport::detail

#if ESX_HEADER_ONLY
#  include <esx/transport/impl/url.ipp>
#endif

#endif
