// esx::keyvault: the one vault a client talks to, checked against its cloud.
#ifndef ESX_KEYVAULT_VAULT_URL_HPP
#define ESX_KEYVAULT_VAULT_URL_HPP

#include <esx/cloud.hpp>
#include <esx/failure.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace esx::keyvault {

/// A vault URL that passed `parse_vault_url`.
struct vault_endpoint {
    std::string origin;       ///< `https://host[:port]`, no trailing slash; request URLs start with it
    std::string host;         ///< lower case, no port
    std::uint16_t port = 443;
};

/** Accepts `vault_url` only when tokens of `c` may go there (Microsoft's Key Vault URL
    guidance, eso-behaviour.md § 8.3): an absolute `https://` URL without user info, query or
    fragment, whose path is empty or `/`, and whose host ends with `.` + `c.vault_suffix`.
    @par Errors `keyvault::error::vault_url_refused`, message naming `vaultUrl` and the reason. */
ESX_DECL result<vault_endpoint, failure> parse_vault_url(cloud const& c, std::string_view vault_url);

} // namespace esx::keyvault

#if ESX_HEADER_ONLY
#  include <esx/keyvault/impl/vault_url.ipp>
#endif

#endif
