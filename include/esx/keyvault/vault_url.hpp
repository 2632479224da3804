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
    guidance, eso-behaviour.md § 8.3): an absolute `https://` URL (the scheme in any case, as
    Go's url.Parse reads it) without user info, query or fragment, whose path is empty or `/`,
    and whose host is one vault name directly under `.` + `c.vault_suffix`.
    - The host is a DNS name in ASCII: no percent-encoding, IP literal, empty label or trailing
      dot (ESO's SDK compares the host with the challenge resource as text, so a trailing dot
      fails there too); upper case is accepted and lowered (DNS is case-insensitive).
    - The vault name is one label: in Azure's zones (`vault.azure.net`, `.cn`,
      `.usgovcloudapi.net`, `.microsoftazure.de`) Azure's rule, 3-24 of `[0-9a-zA-Z-]`, a
      letter first, a letter or digit last, no `--`; under a custom `keyVaultDNSSuffix` the
      DNS label rule (1-63 of `[0-9a-zA-Z-]`, no `-` first or last).
    @par Errors `keyvault::error::vault_url_refused`, the message naming `vaultUrl` and the one
    reason (control character, non-ASCII, scheme, user info, percent-encoding, port, path, ...). */
ESX_DECL result<vault_endpoint, failure> parse_vault_url(cloud const& c, std::string_view vault_url);

} // namespace esx::keyvault

#if ESX_HEADER_ONLY
#  include <esx/keyvault/impl/vault_url.ipp>
#endif

#endif
