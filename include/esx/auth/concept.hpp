// esx::auth: the contract of an auth policy.
//
// An auth policy turns a scope (and optionally a tenant named by a Key Vault challenge) into
// a bearer token, caching it. Models: `service_principal` (client secret or certificate),
// `managed_identity` (IMDS), `workload_identity` (federated token from a file or from a
// Kubernetes TokenRequest), and `any_of<P...>` (a run-time pick by a store's `authType`).
#ifndef ESX_AUTH_CONCEPT_HPP
#define ESX_AUTH_CONCEPT_HPP

#include <esx/auth/access_token.hpp>
#include <esx/failure.hpp>
#include <esx/transport/concept.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <string_view>

namespace esx::auth {

/// Opt-in tag: `using policy_kind = esx::auth::tag;`.
struct tag {};

/// The type opts in with `using policy_kind = esx::auth::tag;`.
template <class T>
concept tagged = requires { typename T::policy_kind; } && std::derived_from<typename T::policy_kind, tag>;

/// The type names the `authType` it implements (`"ServicePrincipal"`, ...), as ESO spells it.
template <class T>
concept named = requires {
    { T::auth_type } -> std::convertible_to<std::string_view>;
};

namespace detail {
/// The smallest transport: what `auth_policy` checks `token` against.
struct transport_archetype {
    using policy_kind = transport::tag;
    boost::asio::awaitable<result<transport::response>> send(transport::request);
};
} // namespace detail

/// The type hands out tokens through a transport, as a coroutine.
template <class T, class Transport = detail::transport_archetype>
concept token_source = requires(T& t, Transport& tr, token_request const& r) {
    { t.token(tr, r) } -> std::same_as<boost::asio::awaitable<result<access_token, failure>>>;
};

/** An auth policy.

    @par Requirements
    | expression | type | semantics |
    |---|---|---|
    | `A::policy_kind` | derived from `auth::tag` | opt-in |
    | `a.token(transport, token_request{scope, tenant})` | `awaitable<result<access_token, failure>>` | a valid token for `scope` |
    | `A::auth_type` (for `any_of` members) | convertible to `string_view` | ESO's `authType` name |

    @par Laws
    - `token` never throws; failures carry a message naming the identity and the service's reason.
    - A returned token has not expired (`expires_on` is in the future of the policy's clock).
    - Tokens are requested only from the cloud's authority host (or IMDS), and a token or a
      credential never appears in a failure or a log line.
    - Policies of one identity that share a `token_cache` send one token request per
      (authority, tenant, client, scope) however many callers ask at once.

    @par Models
    `service_principal`, `managed_identity`, `workload_identity`, `any_of<P...>`.
*/
template <class T, class Transport = detail::transport_archetype>
concept auth_policy = tagged<T> && token_source<T, Transport>;

namespace detail {

/// One readable message per missing requirement; use inside class templates as
/// `static_assert(auth::detail::diagnose<T>());`.
template <class T, class Transport = transport_archetype>
consteval bool diagnose() {
    static_assert(tagged<T>, "esx::auth: the type is not an auth policy: add "
                             "`using policy_kind = esx::auth::tag;` (see esx/auth/concept.hpp)");
    static_assert(token_source<T, Transport>,
                  "esx::auth: the type needs a member template "
                  "`template <class Transport> boost::asio::awaitable<esx::result<esx::auth::access_token, "
                  "esx::failure>> token(Transport&, esx::auth::token_request const&)` (see esx/auth/concept.hpp)");
    return tagged<T> && token_source<T, Transport>;
}

/// For the members of `any_of`: they must also say which `authType` they implement.
template <class T>
consteval bool diagnose_named() {
    static_assert(named<T>, "esx::auth::any_of: each policy needs "
                            "`static constexpr std::string_view auth_type = \"ServicePrincipal\";` (or "
                            "\"ManagedIdentity\", \"WorkloadIdentity\") so a store's authType can pick it "
                            "(see esx/auth/concept.hpp)");
    return named<T>;
}

} // namespace detail
} // namespace esx::auth

#endif
