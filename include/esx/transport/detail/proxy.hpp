// esx::transport::detail: choosing a forward proxy for a URL.
#ifndef ESX_TRANSPORT_DETAIL_PROXY_HPP
#define ESX_TRANSPORT_DETAIL_PROXY_HPP

#include <esx/config.hpp>
#include <esx/error.hpp>
#include <esx/transport/detail/url.hpp>
#include <esx/transport/options.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::transport::detail {

/// A proxy to go through: where it is and the `Proxy-Authorization` value, if any.
struct proxy_route {
    url_parts proxy;
    std::string authorization;
};

/// True when `no_proxy` says `u` must be reached directly.
ESX_DECL bool bypasses_proxy(std::string_view no_proxy, url_parts const& u);

/// The proxy for `u` under `settings`, or none.
/// @par Errors `error::invalid_proxy` when the configured proxy URL is unusable
/// (not http://, or unparsable).
ESX_DECL result<std::optional<proxy_route>> choose_proxy(proxy_settings const& settings, url_parts const& u);

/// RFC 4648 base64 with padding.
ESX_DECL std::string base64_encode(std::string_view in);

} // namespace esx::transport::detail

#if ESX_HEADER_ONLY
#  include <esx/transport/impl/proxy.ipp>
#endif

#endif
