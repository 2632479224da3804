// esx::object: JWK -> SubjectPublicKeyInfo PEM and DER -> PEM with OpenSSL 3 (out of line).
#ifndef ESX_OBJECT_IMPL_PEM_IPP
#define ESX_OBJECT_IMPL_PEM_IPP

#include <esx/object/detail/base64.hpp>
#include <esx/object/pem.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/asn1.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>

namespace esx::object {
namespace detail {

struct openssl_free {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
    void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
    void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
};
template <class T>
using openssl_ptr = std::unique_ptr<T, openssl_free>;

/// The first OpenSSL reason on the error queue (the queue is emptied: a stale entry must not
/// be blamed on a later call). OpenSSL reasons name algorithms and steps, never key bytes.
inline std::string openssl_reason() {
    unsigned long const e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "no reason given";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

inline failure pem_failed(std::string what) {
    return failure{make_error_code(error::pem_conversion_failed), std::move(what) + ": " + openssl_reason()};
}

inline failure jwk_member(std::string_view member, std::string_view why) {
    return failure{make_error_code(error::malformed_bundle),
                   "JWK: member \"" + std::string(member) + "\" " + std::string(why)};
}

inline result<std::string, failure> jwk_bytes(boost::json::object const& jwk, std::string_view member) {
    auto const* v = jwk.if_contains(member);
    if (!v || !v->is_string()) return jwk_member(member, "is missing or not a string");
    auto const& s = v->get_string();
    auto bytes = base64_decode(std::string_view(s.data(), s.size()));
    if (!bytes || bytes->empty()) return jwk_member(member, "is not base64url");
    return std::move(*bytes);
}

inline result<std::string, failure> public_key_pem(EVP_PKEY* key) {
    openssl_ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return pem_failed("writing the SubjectPublicKeyInfo PEM");
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

/// Builds a public EVP_PKEY of `type` ("RSA", "EC") from OSSL_PARAMs.
inline result<openssl_ptr<EVP_PKEY>, failure> key_from_params(char const* type, OSSL_PARAM_BLD* bld) {
    openssl_ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
    openssl_ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return pem_failed(std::string("building the ") + type + " public key");
    return openssl_ptr<EVP_PKEY>(raw);
}

inline result<std::string, failure> rsa_pem(boost::json::object const& jwk) {
    auto n = jwk_bytes(jwk, "n");
    if (!n) return n.error();
    auto e = jwk_bytes(jwk, "e");
    if (!e) return e.error();
    auto bn = [](std::string const& b) {
        return openssl_ptr<BIGNUM>(
            BN_bin2bn(reinterpret_cast<unsigned char const*>(b.data()), static_cast<int>(b.size()), nullptr));
    };
    auto bn_n = bn(*n), bn_e = bn(*e);
    openssl_ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
        return pem_failed("preparing the RSA parameters");
    auto key = key_from_params("RSA", bld.get());
    if (!key) return key.error();
    return public_key_pem(key->get());
}

inline result<std::string, failure> ec_pem(boost::json::object const& jwk) {
    auto const* crv = jwk.if_contains("crv");
    if (!crv || !crv->is_string()) return jwk_member("crv", "is missing or not a string");
    std::string_view const curve = crv->get_string();
    char const* group = nullptr;
    std::size_t field = 0;
    if (curve == "P-256") group = "prime256v1", field = 32;
    else if (curve == "P-384") group = "secp384r1", field = 48;
    else if (curve == "P-521") group = "secp521r1", field = 66;
    else
        return failure{make_error_code(error::unsupported_key),
                       "JWK: curve \"" + std::string(curve) + "\" is not supported (P-256, P-384, P-521 are)"};
    auto x = jwk_bytes(jwk, "x");
    if (!x) return x.error();
    auto y = jwk_bytes(jwk, "y");
    if (!y) return y.error();
    if (x->size() > field || y->size() > field)
        return jwk_member(x->size() > field ? "x" : "y", "is longer than the curve's field");
    // Uncompressed point: 0x04 || X || Y, each left-padded to the field size.
    std::string point(1 + 2 * field, '\0');
    point[0] = 0x04;
    point.replace(1 + field - x->size(), x->size(), *x);
    point.replace(1 + 2 * field - y->size(), y->size(), *y);
    openssl_ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        return pem_failed("preparing the EC parameters");
    auto key = key_from_params("EC", bld.get());
    if (!key) return key.error();
    openssl_ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return pem_failed("the EC point is not on " + std::string(curve));
    return public_key_pem(key->get());
}

} // namespace detail

ESX_DECL result<std::string, failure> jwk_to_pem(boost::json::object const& jwk) {
    auto const* kty = jwk.if_contains("kty");
    if (!kty || !kty->is_string()) return detail::jwk_member("kty", "is missing or not a string");
    std::string_view type = kty->get_string();
    if (type.ends_with("-HSM")) type.remove_suffix(4);
    if (type == "RSA") return detail::rsa_pem(jwk);
    if (type == "EC") return detail::ec_pem(jwk);
    return failure{make_error_code(error::unsupported_key),
                   "JWK: key type \"" + std::string(kty->get_string()) + "\" has no public PEM form (RSA and EC do)"};
}

ESX_DECL result<std::string, failure> jwk_to_pem(std::string_view jwk_json) {
    boost::system::error_code ec;
    auto v = boost::json::parse(boost::json::string_view(jwk_json.data(), jwk_json.size()), ec);
    if (ec || !v.is_object())
        return failure{make_error_code(error::malformed_bundle), "JWK: not a JSON object"};
    return jwk_to_pem(v.get_object());
}

ESX_DECL result<std::string, failure> der_certificate_to_pem(std::string_view der) {
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    detail::openssl_ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert) return detail::pem_failed("parsing the DER certificate");
    if (p != reinterpret_cast<unsigned char const*>(der.data()) + der.size())
        return failure{make_error_code(error::pem_conversion_failed), "DER certificate: trailing bytes after the certificate"};
    detail::openssl_ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return detail::pem_failed("writing the certificate PEM");
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

namespace detail {

inline std::string rfc2253(X509_NAME const* name) {
    openssl_ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

inline std::string iso8601(ASN1_TIME const* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace detail

ESX_DECL result<certificate_info, failure> describe_certificate(std::string_view der) {
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    detail::openssl_ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert) return detail::pem_failed("parsing the DER certificate");
    if (p != reinterpret_cast<unsigned char const*>(der.data()) + der.size())
        return failure{make_error_code(error::pem_conversion_failed), "DER certificate: trailing bytes after the certificate"};
    certificate_info info;
    info.subject = detail::rfc2253(X509_get_subject_name(cert.get()));
    info.issuer = detail::rfc2253(X509_get_issuer_name(cert.get()));
    info.not_before = detail::iso8601(X509_get0_notBefore(cert.get()));
    info.not_after = detail::iso8601(X509_get0_notAfter(cert.get()));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(cert.get(), EVP_sha256(), md, &md_len) != 1) return detail::pem_failed("hashing the certificate");
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned i = 0; i < md_len; ++i) {
        if (i) info.sha256_fingerprint += ':';
        info.sha256_fingerprint += hex[md[i] >> 4];
        info.sha256_fingerprint += hex[md[i] & 0xF];
    }
    return info;
}

} // namespace esx::object

#endif
