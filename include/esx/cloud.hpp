// esx::cloud: the Azure clouds a store may name, and which hosts may receive their tokens.
//
// A token is sent only to the authority it came from and to vault hosts under the cloud's
// vault suffix (ESO sends a token to any `vaultUrl`; see eso-behaviour.md § 8.2).
#ifndef ESX_CLOUD_HPP
#define ESX_CLOUD_HPP

#include <esx/failure.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace esx {

struct cloud {
    std::string name;           ///< `PublicCloud`, `USGovernmentCloud`, `ChinaCloud`, `AzureStackCloud`
    std::string authority_host; ///< Entra ID, with a trailing slash: `https://login.microsoftonline.com/`
    std::string vault_suffix;   ///< DNS suffix of vault hosts, no leading dot: `vault.azure.net`
    std::string vault_resource; ///< the Key Vault resource; scope = resource + `/.default`

    /// True if `host` (no port) is a vault of this cloud: it ends with `.` + `vault_suffix`
    /// and has a non-empty name before it. Case-insensitive, as DNS is.
    bool is_vault_host(std::string_view host) const noexcept {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (vault_suffix.empty() || host.size() < vault_suffix.size() + 2) return false;
        std::string_view tail = host.substr(host.size() - vault_suffix.size());
        for (std::size_t i = 0; i < tail.size(); ++i)
            if (lower(tail[i]) != lower(vault_suffix[i])) return false;
        return host[host.size() - vault_suffix.size() - 1] == '.';
    }
};

/// `spec.provider.azurekv.customCloudConfig`, for AzureStackCloud and private clouds.
struct custom_cloud_config {
    std::string active_directory_endpoint;       ///< required
    std::optional<std::string> key_vault_endpoint;
    std::optional<std::string> key_vault_dns_suffix;
    std::optional<std::string> resource_manager_endpoint;
};

namespace clouds {
inline cloud public_cloud() {
    return {"PublicCloud", "https://login.microsoftonline.com/", "vault.azure.net", "https://vault.azure.net"};
}
inline cloud us_government() {
    return {"USGovernmentCloud", "https://login.microsoftonline.us/", "vault.usgovcloudapi.net",
            "https://vault.usgovcloudapi.net"};
}
inline cloud china() {
    return {"ChinaCloud", "https://login.chinacloudapi.cn/", "vault.azure.cn", "https://vault.azure.cn"};
}
} // namespace clouds

/** The cloud for a store's `environmentType` (ESO's enum text) and `customCloudConfig`.

    - `customCloudConfig.activeDirectoryEndpoint` replaces the authority host of the base cloud;
      `keyVaultDNSSuffix` (esx reads it; ESO ignores it) replaces the vault suffix, and
      `keyVaultEndpoint` the vault resource. AzureStackCloud has no base: it needs both the
      endpoint and a vault suffix.
    - Otherwise `AZURE_AUTHORITY_HOST`, which the workload-identity webhook injects, replaces the
      authority host, as the Azure SDKs do.
    - GermanCloud is refused with the Azure SDK's reason; an unknown name is refused too.
    Errors name the field: `spec.provider.azurekv.environmentType: ...`. */
template <class Getenv = decltype(&std::getenv)>
result<cloud, failure> cloud_for(std::string_view environment_type,
                                 std::optional<custom_cloud_config> const& custom = std::nullopt,
                                 Getenv getenv = &std::getenv) {
    auto invalid = [](std::string message) {
        return failure{make_error_code(error::invalid_option), std::move(message)};
    };
    cloud c;
    if (environment_type.empty() || environment_type == "PublicCloud") c = clouds::public_cloud();
    else if (environment_type == "USGovernmentCloud") c = clouds::us_government();
    else if (environment_type == "ChinaCloud") c = clouds::china();
    else if (environment_type == "AzureStackCloud") {
        if (!custom)
            return invalid("spec.provider.azurekv.customCloudConfig: CustomCloudConfig is required when "
                           "EnvironmentType is AzureStackCloud");
        c.name = "AzureStackCloud";
    } else if (environment_type == "GermanCloud") {
        return invalid("spec.provider.azurekv.environmentType: Azure Germany (Microsoft Cloud Deutschland) was "
                       "discontinued on October 29, 2021. Please use AzureStackCloud with custom configuration "
                       "or migrate to public cloud regions");
    } else {
        return invalid("spec.provider.azurekv.environmentType: unknown cloud \"" + std::string(environment_type) +
                       "\"; expected PublicCloud, USGovernmentCloud, ChinaCloud or AzureStackCloud");
    }

    auto with_slash = [](std::string s) {
        if (!s.empty() && s.back() != '/') s += '/';
        return s;
    };
    if (custom) {
        if (custom->active_directory_endpoint.empty())
            return invalid("spec.provider.azurekv.customCloudConfig.activeDirectoryEndpoint: "
                           "activeDirectoryEndpoint is required in CustomCloudConfig");
        if (!custom->active_directory_endpoint.starts_with("https://"))
            return invalid("spec.provider.azurekv.customCloudConfig.activeDirectoryEndpoint: must be an https:// URL");
        c.authority_host = with_slash(custom->active_directory_endpoint);
        if (custom->key_vault_dns_suffix && !custom->key_vault_dns_suffix->empty()) {
            std::string_view s = *custom->key_vault_dns_suffix;
            if (s.front() == '.') s.remove_prefix(1);
            c.vault_suffix = std::string(s);
        }
        if (custom->key_vault_endpoint && !custom->key_vault_endpoint->empty()) {
            std::string r = *custom->key_vault_endpoint;
            while (!r.empty() && r.back() == '/') r.pop_back();
            c.vault_resource = std::move(r);
        }
        if (c.vault_suffix.empty())
            return invalid("spec.provider.azurekv.customCloudConfig.keyVaultDNSSuffix: esx needs the vault DNS "
                           "suffix of an AzureStackCloud to know which hosts may receive its tokens");
        if (c.vault_resource.empty()) c.vault_resource = "https://" + c.vault_suffix;
    } else if (char const* host = getenv("AZURE_AUTHORITY_HOST"); host && *host) {
        c.authority_host = with_slash(host);
    }
    return c;
}

} // namespace esx

#endif
