// esx::transform::templating::functions: ESO's `jwkPublicKeyPem` and `jwkPrivateKeyPem`.
//
// ESO parses the JWK with lestrrat-go/jwx and marshals the raw key with Go's crypto/x509, so
// the result depends on what the JWK holds: a public JWK has only a PUBLIC KEY form, a
// private JWK only a PRIVATE KEY form (ESO's functions refuse the other direction with Go's
// x509 texts, and so does esx). Key types: RSA, EC (P-256, P-384, P-521), OKP Ed25519. Key
// Vault's `RSA-HSM` / `EC-HSM` types are read as RSA / EC (a superset of ESO, whose jwx
// refuses them). Members may be base64url or base64, padded or not (jwx's leniency).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_JWK_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_JWK_HPP

#include <esx/transform/template/value.hpp>

#include <string_view>

namespace esx::transform::templating::functions {

/** `jwkPublicKeyPem JWK`: a public JWK as a PKIX `-----BEGIN PUBLIC KEY-----` PEM.
    @par Errors `failed to parse JWK: ...` (not JSON, a member missing or not base64),
    `x509: unsupported public key type: *rsa.PrivateKey` (a private JWK, as ESO),
    `...: []uint8` (`oct`), `...: x25519.PublicKey`. */
ESX_DECL result<text, failure> jwk_public_key_pem(std::string_view jwk_json);

/** `jwkPrivateKeyPem JWK`: a private JWK as PKCS#8 `-----BEGIN PRIVATE KEY-----` PEM (RSA
    needs `d`, `p`, `q`; missing CRT members are computed).
    @par Errors `failed to parse JWK: ...`, `x509: unknown key type while marshaling PKCS#8:
    *rsa.PublicKey` (a public JWK, as ESO), and the like. */
ESX_DECL result<text, failure> jwk_private_key_pem(std::string_view jwk_json);

} // namespace esx::transform::templating::functions

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/jwk.ipp>
#endif

#endif
