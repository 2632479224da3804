// esx::keyvault: vault URL checks (out of line).
#ifndef ESX_KEYVAULT_IMPL_VAULT_URL_IPP
#define ESX_KEYVAULT_IMPL_VAULT_URL_IPP

#include <esx/keyvault/error.hpp>
#include <esx/keyvault/vault_url.hpp>
#include <esx/transport/detail/url.hpp>

namespace esx::keyvault {

ESX_DECL result<vault_endpoint, failure> parse_vault_url(cloud const& c, std::string_view vault_url) {
    auto refused = [&](std::string why) {
        return failure{make_error_code(error::vault_url_refused),
                       "spec.provider.azurekv.vaultUrl \"" + std::string(vault_url.substr(0, 256)) + "\": " + why};
    };
    if (!vault_url.starts_with("https://")) return refused("must be an https:// URL (tokens are never sent without TLS)");
    if (vault_url.find('#') != std::string_view::npos) return refused("must not have a fragment");
    auto parts = transport::detail::parse_url(vault_url);
    if (!parts) return refused("is not a valid URL (user info is not allowed)");
    if (parts->target != "/") return refused("must not have a path or query: it names the vault, e.g. https://myvault." + c.vault_suffix);
    if (parts->ipv6 || transport::detail::is_ip_literal(parts->host) || !c.is_vault_host(parts->host))
        return refused("the host must end with \"." + c.vault_suffix + "\", the vault suffix of " + c.name +
                       " (a token for Key Vault is only sent to vaults of the store's cloud)");
    vault_endpoint v;
    v.host = parts->host;
    v.port = parts->port;
    v.origin = "https://" + parts->host_header();
    return v;
}

} // namespace esx::keyvault

#endif
