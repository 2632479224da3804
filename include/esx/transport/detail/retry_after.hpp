// esx::transport::detail: reading a server's "wait this long" headers.
#ifndef ESX_TRANSPORT_DETAIL_RETRY_AFTER_HPP
#define ESX_TRANSPORT_DETAIL_RETRY_AFTER_HPP

#include <esx/config.hpp>

#include <boost/beast/http/fields.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace esx::transport::detail {

/// The delay a response asks for, in the Azure SDKs' order: `retry-after-ms`, then
/// `x-ms-retry-after-ms` (milliseconds), then `Retry-After` (delta-seconds, or an HTTP-date
/// taken relative to `now_utc`; a date in the past means no delay). Unparsable values are
/// ignored. A longer delay than `max_server_delay` is taken as that: no retry waits so long,
/// and a server's 64-bit number must not overflow the caller's clock arithmetic.
inline constexpr std::chrono::milliseconds max_server_delay = std::chrono::hours(24);

ESX_DECL std::optional<std::chrono::milliseconds>
server_retry_delay(boost::beast::http::fields const& headers, std::chrono::system_clock::time_point now_utc);

/// Parses an RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); years 1970-2261 only
/// (what `system_clock` holds, with room for `date - now`).
ESX_DECL std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

} // namespace esx::transport::detail

#if ESX_HEADER_ONLY
#  include <esx/transport/impl/retry_after.ipp>
#endif

#endif
