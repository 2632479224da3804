// esx::detail: who an auth policy is, as a string that keys caches.
#ifndef ESX_PIPELINE_DETAIL_IDENTITY_HPP
#define ESX_PIPELINE_DETAIL_IDENTITY_HPP

#include <esx/auth/any_of.hpp>
#include <esx/auth/token_cache.hpp>

#include <string>
#include <type_traits>

namespace esx::detail {

template <class T>
struct is_any_of : std::false_type {};
template <class... P>
struct is_any_of<auth::any_of<P...>> : std::true_type {};

/** The identity of `policy`: its `authType` and the token-cache key it uses (authority,
    tenant, client and a fingerprint of the credential; never the credential itself). Two
    policies with the same identity are allowed the same things, so a Key Vault read made by one
    may serve the other; any difference (another client secret, another service account behind
    the same client id) makes another identity. Empty when the policy does not say who it is:
    then nothing is shared with another policy object. */
template <class Auth>
std::string identity_of(Auth const& policy) {
    if constexpr (requires { { policy.key_for(auth::token_request{}) } -> std::convertible_to<auth::cache_key>; }) {
        auth::cache_key const k = policy.key_for(auth::token_request{});
        if (k.authority.empty() && k.client.empty() && k.credential.empty()) return {};
        std::string type;
        if constexpr (requires { policy.auth_type(); }) type = std::string(policy.auth_type());
        else if constexpr (requires { Auth::auth_type; }) type = std::string(Auth::auth_type);
        return type + '\n' + k.authority + '\n' + k.tenant + '\n' + k.client + '\n' + k.credential;
    } else {
        return {};
    }
}

/// ASCII lower case (Key Vault names and DNS hosts compare case-insensitively).
inline std::string ascii_lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

} // namespace esx::detail

#endif
