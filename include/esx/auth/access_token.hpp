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

/// What a caller asks a policy for. `tenant_id` empty means the policy's own tenant; the Key
/// Vault client fills it from a 401 challenge only when the policy allows tenant discovery.
struct token_request {
    std::string scope;      ///< e.g. `https://vault.azure.net/.default`
    std::string tenant_id;
};

} // namespace esx::auth

#endif
