// esx::kube::detail: small text codecs the Kubernetes client needs (base64 of kubeconfig
// `*-data` fields, RFC 3339 timestamps, query-string escaping).
#ifndef ESX_KUBE_DETAIL_TEXT_HPP
#define ESX_KUBE_DETAIL_TEXT_HPP

#include <esx/config.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace esx::kube::detail {

/// Standard base64 (RFC 4648 § 4); padding optional, whitespace ignored. nullopt if invalid.
ESX_DECL std::optional<std::string> base64_decode(std::string_view in);

/// `2026-11-28T00:54:31Z`, with optional fraction and a `Z` or `±hh:mm` offset.
ESX_DECL std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

/// Escapes a query parameter value (RFC 3986 unreserved characters stay).
ESX_DECL std::string query_escape(std::string_view s);

} // namespace esx::kube::detail

#if ESX_HEADER_ONLY
#  include <esx/kube/impl/text.ipp>
#endif

#endif
