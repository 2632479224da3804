// esx::object: PEM conversions of public key material, through OpenSSL 3.
//
// ESO hands out a key as JWK and a certificate as DER; users usually want PEM (ESO offers
// template functions for that, esx offers these). Both outputs are public material.
#ifndef ESX_OBJECT_PEM_HPP
#define ESX_OBJECT_PEM_HPP

#include <esx/failure.hpp>
#include <esx/object/error.hpp>

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace esx::object {

/** A public JWK (RSA `n`/`e`; EC `crv` P-256/P-384/P-521 with `x`/`y`) as a
    SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`). `kty` may carry the `-HSM` suffix.
    EC points are checked to be on the curve.
    @par Errors `object::error::unsupported_key` (`oct`, `P-256K`, unknown `kty`),
    `object::error::malformed_bundle` (a member missing or not base64url),
    `object::error::pem_conversion_failed` (OpenSSL refused the key). */
ESX_DECL result<std::string, failure> jwk_to_pem(boost::json::object const& jwk);

/// The same, from JWK JSON text (what `object::key::decode` yields).
ESX_DECL result<std::string, failure> jwk_to_pem(std::string_view jwk_json);

/** A DER X.509 certificate (what `object::certificate::decode` yields) as PEM
    (`-----BEGIN CERTIFICATE-----`). The DER is parsed first, so garbage is refused.
    @par Errors `object::error::pem_conversion_failed`. */
ESX_DECL result<std::string, failure> der_certificate_to_pem(std::string_view der);

/// What people check of a certificate before trusting it: all public.
struct certificate_info {
    std::string subject;            ///< RFC 2253, e.g. `O=esx sample,CN=dev-cert-test.example.com`
    std::string issuer;             ///< RFC 2253
    std::string not_before;         ///< ISO 8601 UTC, e.g. `2026-11-28T04:31:02Z`
    std::string not_after;          ///< ISO 8601 UTC
    std::string sha256_fingerprint; ///< upper-case hex pairs joined by `:`, as `openssl x509 -fingerprint -sha256`
};

/** Reads the subject, issuer, validity and SHA-256 fingerprint of a DER X.509 certificate.
    @par Errors `object::error::pem_conversion_failed` (not a single DER certificate). */
ESX_DECL result<certificate_info, failure> describe_certificate(std::string_view der);

} // namespace esx::object

#if ESX_HEADER_ONLY
#  include <esx/object/impl/pem.ipp>
#endif

#endif
