// esx mocks/azure: X.509 certificates and keys: client certificates registered for service
// principals, and the keys and certificates a vault holds (JWKs, self-signed certificates,
// PKCS#12 and PEM).
#ifndef ESX_MOCKS_AZURE_PKIX_HPP
#define ESX_MOCKS_AZURE_PKIX_HPP

#include <boost/json/object.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace esx::mocks::azure::detail {

namespace json = boost::json;

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string bn_param(EVP_PKEY* key, char const* name);  // a big-endian parameter (RSA n, e)
std::string digest(std::string_view data, EVP_MD const* md);
std::string cert_der(X509* cert);
x509_ptr cert_from_der(std::string const& der);
// DER of the first certificate in a PEM string; throws for anything else.
std::string der_from_pem(std::string const& pem);
std::string bn_param_padded(EVP_PKEY* key, char const* name, int size);

// The public JWK members of an RSA or EC key, as Key Vault returns them (key_ops included).
json::object public_jwk(EVP_PKEY* key);
// kty "RSA" with size 2048/3072/4096 or "EC" with crv P-256/P-384/P-521.
pkey_ptr generate_key(std::string const& kty, std::int64_t size, std::string const& crv);
std::string private_key_pem(EVP_PKEY* key);
std::string cert_pem(X509* cert);
// A self-signed certificate the way Key Vault's "Self" issuer makes one:
// subject = issuer, serverAuth + clientAuth, validity from now.
x509_ptr self_signed(EVP_PKEY* key, std::string const& subject, std::int64_t validity_months);
// PKCS#12 (no password) of key + certificate, standard base64: the value of
// the secret behind a certificate with contentType application/x-pkcs12.
std::string pkcs12_base64(EVP_PKEY* key, X509* cert);
// Reads a PKCS#12 file (DER) as Key Vault does: also with the legacy encryption older OpenSSL
// and Windows write (RC2-40 for the certificates, 3DES for the key). A null password is tried
// when `password` is empty. False when no key and certificate could be read.
bool pkcs12_read(std::string const& der, std::string const& password, pkey_ptr& key, x509_ptr& cert);
// An RSA or EC public key from a JWK (as a Kubernetes issuer publishes them);
// null for anything else or anything malformed.
std::shared_ptr<EVP_PKEY> key_from_jwk(json::object const& jwk);

}  // namespace esx::mocks::azure::detail

#endif
