// esx::auth::any_of: the policy a store's `authType` names, chosen at run time among the
// policies compiled into the program.
#ifndef ESX_AUTH_ANY_OF_HPP
#define ESX_AUTH_ANY_OF_HPP

#include <esx/auth/concept.hpp>
#include <esx/auth/token_cache.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace esx::auth {

/** One of `Policies...`, chosen at run time by name.

    A program that instantiates `any_of<service_principal<>, managed_identity<>>` contains no
    workload-identity code; a store asking for `WorkloadIdentity` then gets a clear failure
    ("authType WorkloadIdentity is not compiled into this program (available: ...)") instead of
    undefined behaviour. The choice is a fold over the pack (a linear scan, as Hana's `switch_`).

    @par Example
    @code
    using auth = any_of<service_principal<>, workload_identity<>>;
    auto policy = auth::pick(store_auth_type, [&](auto type) -> result<typename decltype(type)::type, failure> {
        return make_from_store(type, ...);   // one branch per compiled policy
    });
    @endcode */
template <class... Policies>
class any_of {
    static_assert(sizeof...(Policies) > 0, "esx::auth::any_of: name at least one policy");
    static_assert((detail::diagnose<Policies>() && ...));
    static_assert((detail::diagnose_named<Policies>() && ...));

public:
    using policy_kind = tag;

    /// Empty: `token` fails until a policy is assigned. (Coroutine results need a default.)
    any_of() = default;

    template <class P>
        requires(std::is_same_v<std::remove_cvref_t<P>, Policies> || ...)
    any_of(P&& p) : policy_(std::forward<P>(p)) {} // NOLINT: any member policy is an any_of

    /// "ServicePrincipal, ManagedIdentity": the names compiled in, in pack order.
    static std::string available() {
        std::string out;
        ((out += (out.empty() ? "" : ", "), out += std::string_view(Policies::auth_type)), ...);
        return out;
    }

    /// True when a policy named `auth_type` is compiled in.
    static bool compiled_in(std::string_view auth_type) { return ((Policies::auth_type == auth_type) || ...); }

    /** Builds the policy named `auth_type` with `make(std::type_identity<P>{})`, which returns
        `result<P, failure>`. ESO's default `authType` is `ServicePrincipal` (pass that for an
        empty field). A known name that is not compiled in, or an unknown name, is a failure
        with `error::invalid_option`. */
    template <class Make>
    static result<any_of, failure> pick(std::string_view auth_type, Make&& make) {
        std::optional<result<any_of, failure>> out;
        (
            [&] {
                if (!out && Policies::auth_type == auth_type) {
                    auto r = make(std::type_identity<Policies>{});
                    if (r) out.emplace(any_of(std::move(*r)));
                    else out.emplace(r.error());
                }
            }(),
            ...);
        if (out) return std::move(*out);
        return not_available(auth_type);
    }

    /// The failure for an `authType` that is not compiled in (or not known at all).
    static failure not_available(std::string_view auth_type) {
        bool const known =
            auth_type == "ServicePrincipal" || auth_type == "ManagedIdentity" || auth_type == "WorkloadIdentity";
        if (!known)
            return failure{make_error_code(error::invalid_option),
                           "spec.provider.azurekv.authType: cannot initialize Azure Client: no valid authType was "
                           "specified (\"" + std::string(auth_type) + "\"; expected ServicePrincipal, ManagedIdentity "
                           "or WorkloadIdentity)"};
        return failure{make_error_code(error::invalid_option),
                       "authType " + std::string(auth_type) + " is not compiled into this program (available: " +
                           available() + ")"};
    }

    /// The `authType` of the chosen policy.
    std::string_view auth_type() const {
        return std::visit(
            [](auto const& p) -> std::string_view {
                if constexpr (std::is_same_v<std::remove_cvref_t<decltype(p)>, std::monostate>) return {};
                else return std::remove_cvref_t<decltype(p)>::auth_type;
            },
            policy_);
    }

    template <transport::transport_policy Transport>
    boost::asio::awaitable<result<access_token, failure>> token(Transport& transport, token_request const& r) {
        return std::visit(
            [&](auto& p) -> boost::asio::awaitable<result<access_token, failure>> {
                if constexpr (std::is_same_v<std::remove_cvref_t<decltype(p)>, std::monostate>) return no_policy();
                else return p.token(transport, r);
            },
            policy_);
    }

    /// Forgets the chosen policy's cached token for `r` (a service refused it).
    void invalidate(token_request const& r) {
        std::visit(
            [&](auto& p) {
                if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(p)>, std::monostate>) p.invalidate(r);
            },
            policy_);
    }

    /** The token-cache key the chosen policy uses for `r` (authority, tenant, client, scope and
        a fingerprint of the credential): who the policy is. An empty key when no policy was
        chosen or the policy does not say (it has no `key_for`); callers that key caches by
        identity must then not share entries between policy objects. */
    cache_key key_for(token_request const& r) const {
        return std::visit(
            [&](auto const& p) -> cache_key {
                if constexpr (requires { { p.key_for(r) } -> std::convertible_to<cache_key>; }) return p.key_for(r);
                else return {};
            },
            policy_);
    }

    /// The chosen policy, if it is a `P`.
    template <class P>
    P* get_if() noexcept { return std::get_if<P>(&policy_); }

private:
    static boost::asio::awaitable<result<access_token, failure>> no_policy() {
        co_return failure{make_error_code(error::invalid_option), "esx::auth::any_of: no policy was chosen"};
    }

    std::variant<std::monostate, Policies...> policy_;
};

} // namespace esx::auth

#endif
