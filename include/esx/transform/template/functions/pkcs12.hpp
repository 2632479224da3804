// esx::transform::templating::functions: ESO's PKCS#12 template functions on OpenSSL 3.
//
// `pkcs12key`/`pkcs12keyPass` and `pkcs12cert`/`pkcs12certPass` read a PFX as ESO's
// go-pkcs12 `DecodeChain` does: one or two safes (plain or password-encrypted), the first
// certificate bag is the certificate and the others its CA certificates, exactly one key bag
// (plain or shrouded). Files exported by Windows, the Azure portal and OpenSSL 1.x use RC2-40
// and 3DES: those are read through OpenSSL's legacy provider, loaded into a private library
// context so the process's TLS never offers legacy algorithms. `pemToPkcs12` and friends
// write what go-pkcs12's `Modern` encoder writes: AES-256-CBC with PBKDF2-HMAC-SHA256 (2048
// iterations) for the certificates and the key, an HMAC-SHA256 MAC, base64 (standard, padded).
//
// Inputs and outputs are secret (a PFX, a private key): results live in wiping memory and
// failure messages are go-pkcs12's and ESO's texts, never bytes of the input.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_PKCS12_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_PKCS12_HPP

#include <esx/transform/template/value.hpp>

#include <string_view>

namespace esx::transform::templating::functions {

/** `pkcs12keyPass PASS PFX` (and `pkcs12key PFX` with an empty password): the private key as
    unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    @par Errors `unable to decode pkcs12 with password: pkcs12: decryption password incorrect`,
    `...: pkcs12: private key missing`, `...: pkcs12: certificate missing`, and the other
    go-pkcs12 texts. */
ESX_DECL result<text, failure> pkcs12_key(std::string_view pfx, std::string_view password);

/** `pkcs12certPass PASS PFX` (and `pkcs12cert PFX`): the certificate then its CA
    certificates as PEM, ordered leaf to root when they form one chain (ESO's
    `fetchCertChains`), else in bag order.
    @par Errors as `pkcs12_key`, prefixed `unable to decode pkcs12 certificate with password: `. */
ESX_DECL result<text, failure> pkcs12_cert(std::string_view pfx, std::string_view password);

/** `pemToPkcs12Pass CERT KEY PASS` (and `pemToPkcs12 CERT KEY`): the first certificate of
    `cert_pem` and the private key of `key_pem` (PKCS#1, PKCS#8 or SEC 1 DER in its first PEM
    block) as a base64 PFX.
    @par Errors `x509: malformed certificate`, `unable to parse private key type`, and (where
    ESO would crash on a nil block) `failed to decode PEM block containing the certificate` /
    `... the private key`. */
ESX_DECL result<text, failure> pem_to_pkcs12(std::string_view cert_pem, std::string_view key_pem,
                                             std::string_view password);

/** `fullPemToPkcs12Pass CERT KEY PASS` (and `fullPemToPkcs12 CERT KEY`): as `pem_to_pkcs12`,
    with every further PEM block of `cert_pem` added as a CA certificate. */
ESX_DECL result<text, failure> full_pem_to_pkcs12(std::string_view cert_pem, std::string_view key_pem,
                                                  std::string_view password);

} // namespace esx::transform::templating::functions

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/pkcs12.ipp>
#endif

#endif
