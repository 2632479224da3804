// esx::auth::access_token: what every auth policy hands to the Key Vault client.
#ifndef ESX_AUTH_ACCESS_TOKEN_HPP
#define ESX_AUTH_ACCESS_TOKEN_HPP

#include <esx/secret.hpp>

#include <chrono>
#include <string>

namespace esx::auth {

/// A bearer token and when it stops working. The value is a secret: it prints `<redacted>`.
struct access_token {
    secret_bytes value;
    std::chrono::system_clock::time_point expires_on;
};

/// What a caller asks a policy for. `tenant_id` is a hint: the Key Vault client passes the
/// tenant a vault's 401 challenge names, and each policy decides whether to use it (a service
/// principal does only when configured for multi-tenant use); empty means the policy's own.
struct token_request {
    std::string scope;      ///< e.g. `https://vault.azure.net/.default`
    std::string tenant_id;
};

} // namespace esx::auth

#endif
