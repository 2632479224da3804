// esx::auth::detail: whether a policy may follow the tenant a Key Vault challenge names.
#ifndef ESX_AUTH_DETAIL_TENANT_HPP
#define ESX_AUTH_DETAIL_TENANT_HPP

#include <esx/error.hpp>
#include <esx/failure.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::auth::detail {

/** The refusal for a challenge tenant that is not the credential's own, or nothing when the
    challenge names none, names the same tenant (ids compare case-insensitively) or the policy
    may follow it. azidentity (ESO with `useAzureSDK`) and the C++ SDK refuse the same way
    unless the tenant is additionally allowed; nothing is asked of Entra ID before it. */
inline std::optional<failure> foreign_tenant(std::string_view policy, std::string_view own, std::string_view asked,
                                             bool may_follow) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    bool same = own.size() == asked.size();
    for (std::size_t i = 0; same && i < own.size(); ++i) same = lower(own[i]) == lower(asked[i]);
    if (asked.empty() || same || may_follow) return std::nullopt;
    std::string const shown(asked.substr(0, 128));
    return failure{make_error_code(error::invalid_option),
                   std::string(policy) + ": the vault's challenge names tenant \"" + shown +
                       "\", not this credential's tenant \"" + std::string(own) +
                       "\"; no token was asked for (the credential is not configured to acquire tokens for tenant \"" +
                       shown + "\": set tenantId to the vault's tenant)"};
}

} // namespace esx::auth::detail

#endif
