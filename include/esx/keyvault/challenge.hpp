// esx::keyvault: the 401 challenge that tells a client which token a vault wants.
#ifndef ESX_KEYVAULT_CHALLENGE_HPP
#define ESX_KEYVAULT_CHALLENGE_HPP

#include <esx/cloud.hpp>
#include <esx/failure.hpp>
#include <esx/keyvault/vault_url.hpp>

#include <string>
#include <string_view>

namespace esx::keyvault {

/// What a verified challenge yields: the token scope and the vault's tenant.
struct challenge {
    std::string scope;    ///< `resource + "/.default"`, or the challenge's `scope` verbatim
    std::string resource; ///< `https://vault.azure.net`; `https://<suffix>:P` from the mock
    std::string tenant;   ///< first path segment of `authorization`/`authorization_uri`; may be empty
};

/** Parses `WWW-Authenticate: Bearer authorization="https://login.../{tenant}", resource="..."`
    (`authorization_uri` and `scope` are accepted too, as the Azure SDKs do) and checks the
    resource against the vault (azure-wire-protocols.md § 2.3):
    - the resource is an `https://` URL; its host is the cloud's vault suffix or under it;
    - the vault host ends with `.` + the resource host (case-insensitive);
    - a port in the resource must be the vault's port.
    @par Errors `keyvault::error::challenge_malformed`, `keyvault::error::challenge_refused`
    ("The challenge resource '...' does not match the requested domain '...'"). */
ESX_DECL result<challenge, failure> verify_challenge(std::string_view www_authenticate, cloud const& c,
                                                     vault_endpoint const& vault);

} // namespace esx::keyvault

#if ESX_HEADER_ONLY
#  include <esx/keyvault/impl/challenge.ipp>
#endif

#endif
