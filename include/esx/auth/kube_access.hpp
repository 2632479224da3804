// esx::auth::kube_access: the three Kubernetes reads credential resolution needs.
//
// Kept as a concept of its own so that auth/ does not depend on a particular Kubernetes
// client: `kube_client_access` (kube_client_access.hpp) adapts `esx::kube::client`, and tests
// use a double.
#ifndef ESX_AUTH_KUBE_ACCESS_HPP
#define ESX_AUTH_KUBE_ACCESS_HPP

#include <esx/failure.hpp>
#include <esx/secret.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace esx::auth {

/// The audience every federated service-account token carries (ESO's `AzureDefaultAudience`).
inline constexpr std::string_view token_exchange_audience = "api://AzureADTokenExchange";

/** What credential resolution reads from Kubernetes. Arguments are taken by value by the
    models (they are coroutines).

    @par Requirements
    | expression | type | semantics |
    |---|---|---|
    | `k.read_secret_key(ns, name, key)` | `awaitable<result<optional<secret_bytes>, failure>>` | one key of a Secret's `data`; `nullopt` when the Secret has no such key; a failure (with the API server's message) when the Secret cannot be read |
    | `k.service_account_annotations(ns, name)` | `awaitable<result<map<string, string>, failure>>` | a ServiceAccount's `metadata.annotations` |
    | `k.request_service_account_token(ns, name, audiences)` | `awaitable<result<secret_bytes, failure>>` | a TokenRequest for the ServiceAccount with those audiences and the server's default lifetime |
*/
template <class K>
concept kube_access = requires(K& k, std::string s, std::vector<std::string> audiences) {
    { k.read_secret_key(s, s, s) } -> std::same_as<boost::asio::awaitable<result<std::optional<secret_bytes>, failure>>>;
    { k.service_account_annotations(s, s) }
        -> std::same_as<boost::asio::awaitable<result<std::map<std::string, std::string>, failure>>>;
    { k.request_service_account_token(s, s, audiences) } -> std::same_as<boost::asio::awaitable<result<secret_bytes, failure>>>;
};

} // namespace esx::auth

#endif
