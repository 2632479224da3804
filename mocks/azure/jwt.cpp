// esx mocks/azure: JWTs: the tokens the mock issues (RS256 with a key made at start-up) and the
// signatures of client assertions it verifies (see jwt.hpp).
#include "jwt.hpp"

#include "pkix.hpp"
#include "text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace esx::mocks::azure::detail {

signer::signer() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), &EVP_PKEY_free) {
    if (!key_)
        throw std::runtime_error("RSA key generation failed");
    n_ = base64url(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N));
    e_ = base64url(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E));
    kid_ = random_hex(10);
}

std::string signer::sign(json::object const& claims) const {
    json::object header{{"typ", "JWT"}, {"alg", "RS256"}, {"kid", kid_}};
    std::string input = base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<unsigned char const*>(input.data()),
                       input.size()) != 1)
        throw std::runtime_error("JWT signing failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("JWT signing failed");
    sig.resize(len);
    return input + "." + base64url(sig);
}

std::optional<json::object> signer::verify(std::string_view token) const {
    auto parts = split(token, '.');
    if (parts.size() != 3)
        return std::nullopt;
    auto header = base64url_decode(parts[0]);
    auto payload = base64url_decode(parts[1]);
    auto sig = base64url_decode(parts[2]);
    if (!header || !payload || !sig)
        return std::nullopt;
    json::error_code ec;
    json::value h = json::parse(*header, ec);
    if (ec || !h.is_object())
        return std::nullopt;
    auto const* alg = h.as_object().if_contains("alg");
    if (!alg || !alg->is_string() || alg->as_string() != "RS256")
        return std::nullopt;
    std::string input = parts[0] + "." + parts[1];
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1)
        return std::nullopt;
    if (EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig->data()), sig->size(),
                         reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    json::value p = json::parse(*payload, ec);
    if (ec || !p.is_object())
        return std::nullopt;
    return p.as_object();
}

json::object signer::jwks() const {
    return json::object{{"keys", json::array{json::object{{"kty", "RSA"},
                                                           {"use", "sig"},
                                                           {"kid", kid_},
                                                           {"alg", "RS256"},
                                                           {"n", n_},
                                                           {"e", e_}}}}};
}

std::string thumbprint_hex(std::string const& b64url) {
    auto raw = base64url_decode(b64url);
    if (!raw)
        return b64url;
    static char const digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : *raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

bool verify_jws(EVP_PKEY* key, std::string const& alg, std::string_view input, std::string sig) {
    EVP_MD const* md = alg.ends_with("384") ? EVP_sha384() : alg.ends_with("512") ? EVP_sha512() : EVP_sha256();
    bool const rsa = EVP_PKEY_is_a(key, "RSA");
    if ((alg.starts_with("RS") || alg.starts_with("PS")) != rsa || !(alg.starts_with("RS") || alg.starts_with("PS") ||
                                                                     alg.starts_with("ES")))
        return false;
    if (!rsa) {
        // JWS carries r||s; OpenSSL wants a DER ECDSA-Sig-Value.
        if (sig.empty() || sig.size() % 2 != 0)
            return false;
        std::size_t const half = sig.size() / 2;
        ECDSA_SIG* es = ECDSA_SIG_new();
        BIGNUM* r = BN_bin2bn(reinterpret_cast<unsigned char const*>(sig.data()), static_cast<int>(half), nullptr);
        BIGNUM* s = BN_bin2bn(reinterpret_cast<unsigned char const*>(sig.data() + half), static_cast<int>(half), nullptr);
        ECDSA_SIG_set0(es, r, s);
        unsigned char* der = nullptr;
        int const len = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        if (len <= 0)
            return false;
        sig.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
        OPENSSL_free(der);
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1)
        return false;
    if (alg.starts_with("PS") && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        return false;
    bool const ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                                     reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
    ERR_clear_error();
    return ok;
}

bool verify_with_cert(X509* cert, std::string const& alg, std::string_view input, std::string const& sig) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key || !EVP_PKEY_is_a(key, "RSA"))
        return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1)
        return false;
    if (alg == "PS256") {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
            return false;
    } else if (alg != "RS256") {
        return false;
    }
    bool const ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                                     reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace esx::mocks::azure::detail
