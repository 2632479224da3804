// esx mocks/azure: X.509 certificates and keys (see pkix.hpp).
#include "pkix.hpp"

#include "text.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <vector>

namespace esx::mocks::azure::detail {

std::string bn_param(EVP_PKEY* key, char const* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
        throw std::runtime_error("EVP_PKEY_get_bn_param failed");
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

std::string digest(std::string_view data, EVP_MD const* md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string cert_der(X509* cert) {
    int const len = i2d_X509(cert, nullptr);
    if (len <= 0)
        throw std::runtime_error("i2d_X509 failed");
    std::string out(static_cast<std::size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    i2d_X509(cert, &p);
    return out;
}

x509_ptr cert_from_der(std::string const& der) {
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    return x509_ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
}

std::string der_from_pem(std::string const& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    x509_ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
    if (!cert)
        throw std::runtime_error("seed: a service principal certificate is not a PEM certificate");
    return cert_der(cert.get());
}

std::string bn_param_padded(EVP_PKEY* key, char const* name, int size) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
        throw std::runtime_error("EVP_PKEY_get_bn_param failed");
    std::string out(static_cast<std::size_t>(size), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
    BN_free(bn);
    return out;
}

json::object public_jwk(EVP_PKEY* key) {
    json::object jwk;
    if (EVP_PKEY_is_a(key, "RSA")) {
        jwk["kty"] = "RSA";
        jwk["key_ops"] = json::array{"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"};
        jwk["n"] = base64url(bn_param(key, OSSL_PKEY_PARAM_RSA_N));
        jwk["e"] = base64url(bn_param(key, OSSL_PKEY_PARAM_RSA_E));
        return jwk;
    }
    char group[64] = {};
    std::size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1)
        throw std::runtime_error("EC group name unavailable");
    std::string const g = lower(group);
    std::string crv;
    int size = 0;
    if (g == "prime256v1" || g == "p-256") {
        crv = "P-256";
        size = 32;
    } else if (g == "secp384r1" || g == "p-384") {
        crv = "P-384";
        size = 48;
    } else if (g == "secp521r1" || g == "p-521") {
        crv = "P-521";
        size = 66;
    } else {
        throw std::runtime_error("unsupported EC curve " + g);
    }
    jwk["kty"] = "EC";
    jwk["key_ops"] = json::array{"sign", "verify"};
    jwk["crv"] = crv;
    jwk["x"] = base64url(bn_param_padded(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
    jwk["y"] = base64url(bn_param_padded(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
    return jwk;
}

pkey_ptr generate_key(std::string const& kty, std::int64_t size, std::string const& crv) {
    EVP_PKEY* key = nullptr;
    if (kty == "RSA" || kty == "RSA-HSM") {
        if (size != 2048 && size != 3072 && size != 4096)
            throw std::runtime_error("seed: RSA key size must be 2048, 3072 or 4096");
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(size));
    } else if (kty == "EC" || kty == "EC-HSM") {
        if (crv != "P-256" && crv != "P-384" && crv != "P-521")
            throw std::runtime_error("seed: EC curve must be P-256, P-384 or P-521");
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", crv.c_str());
    } else {
        throw std::runtime_error("seed: key type must be RSA or EC");
    }
    if (!key)
        throw std::runtime_error("key generation failed");
    return pkey_ptr(key, &EVP_PKEY_free);
}

std::string private_key_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("PEM_write_bio_PrivateKey failed");
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string cert_pem(X509* cert) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        throw std::runtime_error("PEM_write_bio_X509 failed");
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

x509_ptr self_signed(EVP_PKEY* key, std::string const& subject, std::int64_t validity_months) {
    x509_ptr cert(X509_new(), &X509_free);
    if (!cert)
        throw std::runtime_error("X509_new failed");
    X509_set_version(cert.get(), X509_VERSION_3);
    std::string serial = random_hex(16);
    serial[0] = '4';
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, serial.c_str());
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity_months * 30 * 86400));
    X509_NAME* name = X509_get_subject_name(cert.get());
    for (auto const& rdn : split(subject, ',')) {
        std::string part = rdn;
        while (!part.empty() && part.front() == ' ')
            part.erase(part.begin());
        auto eq = part.find('=');
        if (eq == std::string::npos ||
            X509_NAME_add_entry_by_txt(name, part.substr(0, eq).c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<unsigned char const*>(part.c_str() + eq + 1), -1, -1, 0) != 1)
            throw std::runtime_error("seed: certificate subject must look like CN=name[,O=org]: " + subject);
    }
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                              std::pair{NID_ext_key_usage, "serverAuth,clientAuth"},
                              std::pair{NID_subject_key_identifier, "hash"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (!ext)
            throw std::runtime_error("X509V3_EXT_conf_nid failed");
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
        throw std::runtime_error("X509_sign failed");
    return cert;
}

std::string pkcs12_base64(EVP_PKEY* key, X509* cert) {
    std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
        PKCS12_create(nullptr, nullptr, key, cert, nullptr, 0, 0, 0, 0, 0), &PKCS12_free);
    if (!p12)
        throw std::runtime_error("PKCS12_create failed");
    int const len = i2d_PKCS12(p12.get(), nullptr);
    std::string der(static_cast<std::size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    i2d_PKCS12(p12.get(), &p);
    return base64_std(der);
}

namespace {

// OpenSSL 3 has RC2 only in its legacy provider. It is loaded into a library context of the
// mock's own, made the default of the server thread for a parse alone, so nothing else in the
// process (the client code under test included) gains the legacy algorithms.
OSSL_LIB_CTX* legacy_context() {
    static OSSL_LIB_CTX* const ctx = [] {
        OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
        if (c) {
            OSSL_PROVIDER_load(c, "default");
            OSSL_PROVIDER_load(c, "legacy");  // absent: legacy files fail to read, as without it
        }
        return c;
    }();
    return ctx;
}

}  // namespace

bool pkcs12_read(std::string const& der, std::string const& password, pkey_ptr& key, x509_ptr& cert) {
    OSSL_LIB_CTX* const previous = legacy_context() ? OSSL_LIB_CTX_set0_default(legacy_context()) : nullptr;
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())),
                                                        &PKCS12_free);
    EVP_PKEY* k = nullptr;
    X509* c = nullptr;
    bool const ok = p12 && (PKCS12_parse(p12.get(), password.c_str(), &k, &c, nullptr) == 1 ||
                            (password.empty() && PKCS12_parse(p12.get(), nullptr, &k, &c, nullptr) == 1));
    if (previous)
        OSSL_LIB_CTX_set0_default(previous);
    ERR_clear_error();
    if (!ok)
        return false;
    key.reset(k);
    cert.reset(c);
    return k && c;
}

std::shared_ptr<EVP_PKEY> key_from_jwk(json::object const& jwk) {
    auto str = [&](char const* k) {
        auto const* x = jwk.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    std::vector<std::unique_ptr<BIGNUM, decltype(&BN_free)>> bns;
    auto bn = [&](std::string const& bytes) {
        bns.emplace_back(BN_bin2bn(reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<int>(bytes.size()),
                                   nullptr),
                         &BN_free);
        return bns.back().get();
    };
    char const* type = nullptr;
    std::string point;  // must outlive the param build
    std::string group;
    if (str("kty") == "RSA") {
        auto n = base64url_decode(str("n"));
        auto e = base64url_decode(str("e"));
        if (!n || !e || n->empty() || e->empty())
            return nullptr;
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn(*n));
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn(*e));
        type = "RSA";
    } else if (str("kty") == "EC") {
        std::string const crv = str("crv");
        std::size_t const size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : crv == "P-521" ? 66 : 0;
        auto x = base64url_decode(str("x"));
        auto y = base64url_decode(str("y"));
        if (size == 0 || !x || !y || x->size() != size || y->size() != size)
            return nullptr;
        group = crv;
        point = std::string(1, '\x04') + *x + *y;
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
        type = "EC";
    } else {
        return nullptr;
    }
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld.get());
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                     &EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    bool const ok = params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    ERR_clear_error();
    if (!ok)
        return nullptr;
    return std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
}

}  // namespace esx::mocks::azure::detail
