// esx mocks/azure: JWTs: issuing the mock's access tokens and verifying client assertions.
#ifndef ESX_MOCKS_AZURE_JWT_HPP
#define ESX_MOCKS_AZURE_JWT_HPP

#include "pkix.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::mocks::azure::detail {

// The token-signing key of the mock's Entra ID (RS256), and its JWKS.
class signer {
public:
    signer();
    std::string sign(json::object const& claims) const;
    // Signature and structure only; the caller checks the claims.
    std::optional<json::object> verify(std::string_view token) const;
    json::object jwks() const;

private:
    pkey_ptr key_;
    std::string n_, e_, kid_;
};

// "x5t" as AAD prints it in errors: upper-case hex.
std::string thumbprint_hex(std::string const& b64url);
// Verifies a JWS signature made with RS256, PS256 or ES256/384/512.
bool verify_jws(EVP_PKEY* key, std::string const& alg, std::string_view input, std::string sig);
// Verifies an RS256 / PS256 JWS with a certificate's public key.
bool verify_with_cert(X509* cert, std::string const& alg, std::string_view input, std::string const& sig);

}  // namespace esx::mocks::azure::detail

#endif
