// esx::auth::detail: client certificates and JWT signing over OpenSSL 3.
#ifndef ESX_AUTH_IMPL_JWT_IPP
#define ESX_AUTH_IMPL_JWT_IPP

#include <esx/auth/detail/jwt.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <vector>

namespace esx::auth::detail {

ESX_DECL std::string base64url(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned const n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (bytes.size() - i == 1) {
        unsigned const n = byte(i) << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
    } else if (bytes.size() - i == 2) {
        unsigned const n = (byte(i) << 16) | (byte(i + 1) << 8);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
    }
    return out;
}

ESX_DECL std::string credential_fingerprint(std::string_view credential) {
    static std::array<unsigned char, 32> const salt = [] {
        std::array<unsigned char, 32> s{};
        RAND_bytes(s.data(), static_cast<int>(s.size()));
        return s;
    }();
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned len = 0;
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), salt.data(), salt.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), credential.data(), credential.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1)
        return "unavailable:" + std::to_string(credential.size()); // still keeps distinct-length credentials apart
    return base64url(std::string_view(reinterpret_cast<char const*>(out.data()), len));
}

ESX_DECL client_certificate::client_certificate(void* key, std::string der) noexcept : key_(key), der_(std::move(der)) {}
ESX_DECL client_certificate::~client_certificate() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

struct bio_free { void operator()(BIO* b) const noexcept { BIO_free(b); } };
struct x509_free { void operator()(X509* x) const noexcept { X509_free(x); } };
struct pkey_free { void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); } };
struct p12_free { void operator()(PKCS12* p) const noexcept { PKCS12_free(p); } };
struct md_ctx_free { void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); } };
using bio_ptr = std::unique_ptr<BIO, bio_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

inline failure certificate_failure(std::string why) {
    ERR_clear_error(); // OpenSSL's queue may describe the input; it is not passed on
    return failure{make_error_code(error::invalid_option), "clientCertificate: " + std::move(why)};
}

// Never prompts for a pass phrase: an encrypted key is refused, not waited on.
inline int no_pass_phrase(char*, int, int, void*) { return 0; }

inline std::string to_der(X509* cert) {
    int const n = i2d_X509(cert, nullptr);
    if (n <= 0) return {};
    std::string der(static_cast<std::size_t>(n), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    i2d_X509(cert, &p);
    return der;
}

inline std::string digest(std::string_view data, EVP_MD const* md) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) return {};
    return std::string(reinterpret_cast<char const*>(out.data()), len);
}

inline std::string random_uuid() {
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return {};
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

inline result<std::shared_ptr<client_certificate const>, failure> finish(pkey_ptr key, X509* cert) {
    if (EVP_PKEY_is_a(key.get(), "RSA") != 1)
        return certificate_failure("the private key is not an RSA key; Entra ID client assertions are signed "
                                   "with RS256 or PS256");
    std::string der = to_der(cert);
    if (der.empty()) return certificate_failure("the certificate could not be encoded");
    return std::shared_ptr<client_certificate const>(std::make_shared<client_certificate>(key.release(), std::move(der)));
}

inline result<std::shared_ptr<client_certificate const>, failure> load_pem(std::string_view text) {
    bio_ptr key_bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!key_bio) return certificate_failure("out of memory");
    pkey_ptr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &no_pass_phrase, nullptr));
    if (!key) return certificate_failure("no private key found in PEM file (expected a PRIVATE KEY or RSA PRIVATE "
                                         "KEY block without a pass phrase)");
    // Several certificates (a chain): take the one whose public key matches the private key.
    bio_ptr cert_bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!cert_bio) return certificate_failure("out of memory");
    bool any = false;
    while (x509_ptr cert{PEM_read_bio_X509(cert_bio.get(), nullptr, &no_pass_phrase, nullptr)}) {
        any = true;
        if (X509_check_private_key(cert.get(), key.get()) == 1) return finish(std::move(key), cert.get());
    }
    if (!any) return certificate_failure("no certificate found in PEM file");
    return certificate_failure("no certificate in the PEM file matches its private key");
}

inline result<std::shared_ptr<client_certificate const>, failure> load_pkcs12(std::string_view bytes) {
    bio_ptr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) return certificate_failure("out of memory");
    std::unique_ptr<PKCS12, p12_free> p12(d2i_PKCS12_bio(bio.get(), nullptr));
    if (!p12)
        return certificate_failure("neither PEM (CERTIFICATE and PRIVATE KEY blocks) nor a PKCS#12 file");
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    // No password and the empty password are different encodings; accept both.
    if (PKCS12_parse(p12.get(), "", &key, &cert, nullptr) != 1 &&
        PKCS12_parse(p12.get(), nullptr, &key, &cert, nullptr) != 1)
        return certificate_failure("the PKCS#12 file is encrypted with a password or damaged; esx accepts only "
                                   "unencrypted PKCS#12");
    pkey_ptr k(key);
    x509_ptr c(cert);
    if (!k) return certificate_failure("no private key found in the PKCS#12 file");
    if (!c) return certificate_failure("no certificate found in the PKCS#12 file");
    return finish(std::move(k), c.get());
}

ESX_DECL result<std::shared_ptr<client_certificate const>, failure> load_client_certificate(secret_bytes const& data) {
    std::string_view const text = data.reveal();
    if (text.empty()) return certificate_failure("the certificate data is empty");
    if (text.size() > 1024 * 1024) return certificate_failure("the certificate data is larger than 1 MiB");
    auto r = text.find("-----BEGIN ") != std::string_view::npos ? load_pem(text) : load_pkcs12(text);
    ERR_clear_error();
    return r;
}

ESX_DECL result<std::string, failure> sign_jwt(void* key, jwt_algorithm alg, std::string_view header_json,
                                               std::string_view claims_json) {
    std::string input = base64url(header_json);
    input += '.';
    input += base64url(claims_json);

    auto fail = [](char const* step) {
        ERR_clear_error();
        return failure{make_error_code(error::invalid_option), std::string("signing the client assertion failed: ") + step};
    };
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(key)) != 1)
        return fail("EVP_DigestSignInit");
    if (alg == jwt_algorithm::ps256) {
        // RFC 7518 § 3.5: MGF1 with SHA-256 and a salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
            return fail("PSS parameters");
    } else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        return fail("PKCS#1 padding");
    }
    std::size_t len = 0;
    auto const* data = reinterpret_cast<unsigned char const*>(input.data());
    if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) return fail("EVP_DigestSign");
    std::string signature(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, data, input.size()) != 1)
        return fail("EVP_DigestSign");
    signature.resize(len);
    // The signature makes the assertion a credential: no copy of it is left behind.
    std::string encoded = base64url(signature);
    input.reserve(input.size() + 1 + encoded.size());
    input += '.';
    input += encoded;
    esx::detail::secure_wipe(encoded.data(), encoded.size());
    esx::detail::secure_wipe(signature.data(), signature.size());
    return input;
}

ESX_DECL result<secret_bytes, failure> make_client_assertion(client_certificate const& cert, jwt_algorithm alg,
                                                             std::string_view client_id, std::string_view audience,
                                                             std::chrono::system_clock::time_point now) {
    boost::json::object header;
    header["alg"] = alg == jwt_algorithm::ps256 ? "PS256" : "RS256";
    header["typ"] = "JWT";
    header["x5t#S256"] = base64url(digest(cert.der(), EVP_sha256()));
    if (alg == jwt_algorithm::rs256) header["x5t"] = base64url(digest(cert.der(), EVP_sha1()));

    auto const seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    std::string jti = random_uuid();
    if (jti.empty()) return failure{make_error_code(error::invalid_option), "the random number generator failed"};
    boost::json::object claims;
    claims["aud"] = audience;
    claims["iss"] = client_id;
    claims["sub"] = client_id;
    claims["jti"] = jti;
    claims["nbf"] = seconds;
    claims["iat"] = seconds;
    claims["exp"] = seconds + 600;

    auto jwt = sign_jwt(cert.key(), alg, boost::json::serialize(header), boost::json::serialize(claims));
    if (!jwt) return jwt.error();
    secret_bytes out(*jwt);
    esx::detail::secure_wipe(jwt->data(), jwt->size());
    return out;
}

} // namespace esx::auth::detail

#endif
