// esx::transform::templating::functions::detail: the OpenSSL 3 pieces ESO's certificate and
// key functions stand on: owning pointers, a library context that can read legacy PKCS#12,
// certificates and keys parsed as Go's crypto/x509 parses them, and PEM/PKCS#8 output.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_OPENSSL_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_OPENSSL_HPP

#include <esx/transform/template/error.hpp>
#include <esx/transform/template/functions/detail/go_pem.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace esx::transform::templating::functions::detail {

struct openssl_free {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
    void operator()(BN_CTX* p) const noexcept { BN_CTX_free(p); }
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
    void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
    void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(PKCS12* p) const noexcept { PKCS12_free(p); }
    void operator()(PKCS8_PRIV_KEY_INFO* p) const noexcept { PKCS8_PRIV_KEY_INFO_free(p); }
    void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_pop_free(p, X509_free); }
    void operator()(STACK_OF(PKCS7) * p) const noexcept { sk_PKCS7_pop_free(p, PKCS7_free); }
    void operator()(STACK_OF(PKCS12_SAFEBAG) * p) const noexcept { sk_PKCS12_SAFEBAG_pop_free(p, PKCS12_SAFEBAG_free); }
    void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
};
template <class T>
using openssl_ptr = std::unique_ptr<T, openssl_free>;

/// A Go-style error of a template function (`error calling <fn>: <message>`).
inline failure function_error(std::string message) {
    return failure{make_error_code(error::function_failed), std::move(message)};
}

/// Empties OpenSSL's error queue (a stale entry must not be blamed on a later call).
inline void clear_openssl_errors() noexcept { ERR_clear_error(); }

/** The library context ESO-compatible PKCS#12 decoding uses: OpenSSL's default provider plus
    its legacy provider (RC2-40 and 3DES, what Windows, the Azure portal and OpenSSL 1.x
    export), loaded into a private context so the rest of the process (TLS) never sees the
    legacy algorithms. `legacy_available()` is false when the provider module is missing; the
    context then has the default provider only and RC2 files fail with a clear message. */
class crypto_context {
public:
    static crypto_context const& instance() {
        static crypto_context const ctx;
        return ctx;
    }
    OSSL_LIB_CTX* get() const noexcept { return ctx_; }
    bool legacy_available() const noexcept { return legacy_ != nullptr; }

    crypto_context(crypto_context const&) = delete;
    crypto_context& operator=(crypto_context const&) = delete;

private:
    crypto_context() {
        ctx_ = OSSL_LIB_CTX_new();
        if (!ctx_) return;
        default_ = OSSL_PROVIDER_load(ctx_, "default");
        legacy_ = OSSL_PROVIDER_load(ctx_, "legacy");
        clear_openssl_errors();
    }
    ~crypto_context() {
        if (legacy_) OSSL_PROVIDER_unload(legacy_);
        if (default_) OSSL_PROVIDER_unload(default_);
        if (ctx_) OSSL_LIB_CTX_free(ctx_);
    }

    OSSL_LIB_CTX* ctx_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
    OSSL_PROVIDER* legacy_ = nullptr;
};

/// Go's `x509.ParseCertificate` of one DER certificate (trailing bytes refused, as Go does).
inline openssl_ptr<X509> parse_der_certificate(std::string_view der) {
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    openssl_ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    clear_openssl_errors();
    if (cert && p != reinterpret_cast<unsigned char const*>(der.data()) + der.size()) cert.reset();
    return cert;
}

/// Go's x509.ParseCertificate text for DER OpenSSL refused: `malformed certificate` when the
/// outer SEQUENCE is unreadable, `malformed tbs certificate` when what it holds is not a
/// certificate body (a private key, for example).
inline std::string go_certificate_error(std::string_view der) {
    auto header = [](std::string_view d, std::size_t& body, std::size_t& len) {
        if (d.size() < 2 || static_cast<unsigned char>(d[0]) != 0x30) return false;
        auto const first = static_cast<unsigned char>(d[1]);
        if (first < 0x80) {
            body = 2, len = first;
        } else {
            std::size_t const n = first & 0x7F;
            if (n == 0 || n > 4 || d.size() < 2 + n) return false;
            len = 0;
            for (std::size_t i = 0; i < n; ++i) len = len << 8 | static_cast<unsigned char>(d[2 + i]);
            body = 2 + n;
        }
        return body + len <= d.size();
    };
    std::size_t body = 0, len = 0;
    if (!header(der, body, len)) return "x509: malformed certificate";
    std::size_t inner_body = 0, inner_len = 0;
    if (!header(der.substr(body, len), inner_body, inner_len)) return "x509: malformed tbs certificate";
    return "x509: malformed certificate";
}

/// The certificate's DER encoding (Go's `cert.Raw`).
inline std::string der_of(X509* cert) {
    unsigned char* buf = nullptr;
    int const n = i2d_X509(cert, &buf);
    if (n <= 0) return {};
    std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
    OPENSSL_free(buf);
    return out;
}

/// Go's `cert.SubjectKeyId` / `cert.AuthorityKeyId`: the extension's key identifier bytes,
/// empty when absent (Go's nil; `bytes.Equal(nil, nil)` is true, which the chain code relies on).
inline std::string subject_key_id(X509* cert) {
    auto const* id = X509_get0_subject_key_id(cert);
    return id ? std::string(reinterpret_cast<char const*>(ASN1_STRING_get0_data(id)),
                            static_cast<std::size_t>(ASN1_STRING_length(id)))
              : std::string();
}
inline std::string authority_key_id(X509* cert) {
    auto const* id = X509_get0_authority_key_id(cert);
    return id ? std::string(reinterpret_cast<char const*>(ASN1_STRING_get0_data(id)),
                            static_cast<std::size_t>(ASN1_STRING_length(id)))
              : std::string();
}

/// ESO's parsePrivateKey: PKCS#1 RSA, then PKCS#8, then SEC 1 EC, whatever the PEM type says.
inline openssl_ptr<EVP_PKEY> parse_private_key_der(std::string_view der) {
    OSSL_LIB_CTX* lib = crypto_context::instance().get();
    auto const* begin = reinterpret_cast<unsigned char const*>(der.data());
    long const len = static_cast<long>(der.size());
    auto const* p = begin;
    openssl_ptr<EVP_PKEY> key(d2i_PrivateKey_ex(EVP_PKEY_RSA, nullptr, &p, len, lib, nullptr));
    if (!key) {
        p = begin;
        if (openssl_ptr<PKCS8_PRIV_KEY_INFO> p8{d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len)})
            key.reset(EVP_PKCS82PKEY_ex(p8.get(), lib, nullptr));
    }
    if (!key) {
        p = begin;
        key.reset(d2i_PrivateKey_ex(EVP_PKEY_EC, nullptr, &p, len, lib, nullptr));
    }
    clear_openssl_errors();
    return key;
}

/// `x509.MarshalPKCS8PrivateKey` + `pem.Encode` as `PRIVATE KEY`.
inline result<scratch, failure> private_key_pem(EVP_PKEY* key) {
    openssl_ptr<PKCS8_PRIV_KEY_INFO> p8(EVP_PKEY2PKCS8(key));
    unsigned char* der = nullptr;
    int const n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der) : -1;
    clear_openssl_errors();
    if (n <= 0) return function_error("x509: unknown key type while marshaling PKCS#8");
    scratch out;
    pem_encode(out, "PRIVATE KEY", std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)));
    OPENSSL_clear_free(der, static_cast<std::size_t>(n));
    return out;
}

/// `x509.MarshalPKIXPublicKey` + `pem.Encode` as `PUBLIC KEY`.
inline result<scratch, failure> public_key_pem(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    int const n = i2d_PUBKEY(key, &der);
    clear_openssl_errors();
    if (n <= 0) return function_error("x509: unsupported public key type");
    scratch out;
    pem_encode(out, "PUBLIC KEY", std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)));
    OPENSSL_free(der);
    return out;
}

/// `pem.Encode` of a certificate.
inline void append_certificate_pem(scratch& out, X509* cert) {
    pem_encode(out, "CERTIFICATE", der_of(cert));
}

} // namespace esx::transform::templating::functions::detail

#endif
