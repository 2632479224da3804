// esx::auth::detail: client certificates and the signed JWTs Entra ID accepts as client
// assertions (RS256 or PS256, OpenSSL 3 EVP). OpenSSL stays in impl/jwt.ipp.
#ifndef ESX_AUTH_DETAIL_JWT_HPP
#define ESX_AUTH_DETAIL_JWT_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/secret.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace esx::auth {

/// How a client assertion is signed: PS256 is what Entra ID's docs ask for today; RS256
/// (PKCS#1 v1.5) is what older SDKs send and is still accepted.
enum class jwt_algorithm { ps256, rs256 };

namespace detail {

/// base64url without padding (RFC 7515 § 2).
ESX_DECL std::string base64url(std::string_view bytes);

/// A salted SHA-256 of a credential (salt random per process), for telling credentials apart
/// in the token cache without keeping a copy of them there.
ESX_DECL std::string credential_fingerprint(std::string_view credential);

/** A client certificate and its RSA private key, loaded once. The key lives in OpenSSL
    (freed with `EVP_PKEY_free`, which clears its private numbers); the input text is not kept. */
class client_certificate {
public:
    client_certificate(void* key, std::string der) noexcept;
    ~client_certificate();
    client_certificate(client_certificate const&) = delete;
    client_certificate& operator=(client_certificate const&) = delete;

    std::string const& der() const noexcept { return der_; }
    void* key() const noexcept { return key_; } ///< EVP_PKEY*

private:
    void* key_;
    std::string der_;
};

/** Loads PEM (a CERTIFICATE block and a PRIVATE KEY or RSA PRIVATE KEY block, in any order;
    with a chain, the certificate that matches the key) or an unencrypted PKCS#12 file,
    detected by content. The key must be RSA.
    @par Errors `error::invalid_option` with a message naming what is missing; never the input. */
ESX_DECL result<std::shared_ptr<client_certificate const>, failure> load_client_certificate(secret_bytes const& data);

/// Signs `header.claims` (both JSON texts) with an RSA private key (EVP_PKEY*).
ESX_DECL result<std::string, failure> sign_jwt(void* key, jwt_algorithm alg, std::string_view header_json,
                                               std::string_view claims_json);

/** A client assertion for Entra ID (private_key_jwt): header `alg`, `typ`, `x5t#S256` (and
    `x5t` for RS256, which older validators look for); claims `aud` = the token endpoint,
    `iss` = `sub` = the client id, a random `jti`, `nbf` = `now`, `exp` = `now` + 10 minutes. */
ESX_DECL result<secret_bytes, failure> make_client_assertion(client_certificate const& cert, jwt_algorithm alg,
                                                             std::string_view client_id, std::string_view audience,
                                                             std::chrono::system_clock::time_point now);

} // namespace detail
} // namespace esx::auth

#if ESX_HEADER_ONLY
#  include <esx/auth/impl/jwt.ipp>
#endif

#endif
