// libFuzzer target for the public-key conversions of the key and cert kinds: a JWK to a
// SubjectPublicKeyInfo PEM (`object::jwk_to_pem`, `object::key::decode`, ESO's JWK JSON
// `transform::jwk_json` in both SDK orders) and a DER certificate to PEM and its description
// (`object::der_certificate_to_pem`, `object::describe_certificate`, `object::certificate::decode`).
// Both come from a vault: untrusted.
//
// The input is used both ways: as DER bytes, and as a JWK (the JSON object it holds, else RSA
// and EC P-256 keys whose numbers are the input bytes). Build and run with
// tests/fuzz/run.sh jwk_pem SECONDS.
//
// Besides "no crash": both certificate functions agree on what is a certificate; the PEM is
// one well-formed block whose DER describes to the same fingerprint; `certificate::decode`
// gives back the bytes `cer` held; the JWK as object and as text, and after ESO's JSON
// rewriting, give the same PEM; an RSA PEM holds the modulus it was given.
#include <esx/object/certificate.hpp>
#include <esx/object/detail/base64.hpp>
#include <esx/object/key.hpp>
#include <esx/object/pem.hpp>
#include <esx/transform/jwk.hpp>

#include "support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace obj = esx::object;
namespace json = boost::json;

// The DER inside one PEM block of `label`, or nothing when the text is not exactly that.
std::optional<std::string> pem_body(std::string_view pem, std::string_view label) {
    std::string const begin = "-----BEGIN " + std::string(label) + "-----\n";
    std::string const end = "-----END " + std::string(label) + "-----\n";
    if (!pem.starts_with(begin) || !pem.ends_with(end) || pem.size() < begin.size() + end.size()) return std::nullopt;
    std::string_view body = pem.substr(begin.size(), pem.size() - begin.size() - end.size());
    std::string joined;
    for (char c : body)
        if (c != '\n') joined += c;
    return obj::detail::base64_decode(joined);
}

void certificate_checks(std::string_view der) {
    auto pem = obj::der_certificate_to_pem(der);
    auto info = obj::describe_certificate(der);
    ERR_clear_error();
    if (pem.has_value() != info.has_value()) __builtin_trap();  // two readers of one DER disagree
    if (pem) {
        auto again = pem_body(*pem, "CERTIFICATE");
        if (!again) __builtin_trap();
        auto info2 = obj::describe_certificate(*again);
        if (!info2 || info2->sha256_fingerprint != info->sha256_fingerprint || info2->subject != info->subject)
            __builtin_trap();
        if (info->sha256_fingerprint.size() != 32 * 3 - 1) __builtin_trap();
    }
    // The cert kind: `cer` in standard base64 decodes back to these bytes.
    json::object bundle;
    bundle["cer"] = esx_fuzz::base64(der, false, esx_fuzz::padding::with);
    auto bytes = obj::certificate::decode(bundle);
    if (der.empty()) {
        if (bytes) __builtin_trap();
    } else if (!bytes || bytes->reveal() != der) {
        __builtin_trap();
    }
}

void rsa_modulus_check(std::string_view pem, std::string_view n) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key) __builtin_trap();  // we wrote a PEM we cannot read
    BIGNUM* got = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &got) != 1) __builtin_trap();
    BIGNUM* want = BN_bin2bn(reinterpret_cast<unsigned char const*>(n.data()), static_cast<int>(n.size()), nullptr);
    if (BN_cmp(got, want) != 0) __builtin_trap();
    BN_free(got);
    BN_free(want);
    EVP_PKEY_free(key);
    ERR_clear_error();
}

void jwk_checks(json::object const& jwk) {
    auto pem = obj::jwk_to_pem(jwk);
    auto const text = json::serialize(jwk);
    auto from_text = obj::jwk_to_pem(std::string_view(text));
    ERR_clear_error();
    if (pem.has_value() != from_text.has_value() || (pem && *pem != *from_text)) __builtin_trap();
    if (pem && !pem_body(*pem, "PUBLIC KEY")) __builtin_trap();

    json::object bundle;
    bundle["key"] = jwk;
    // The key kind's JSON (ESO's legacy order) keeps what the PEM needs.
    if (auto decoded = obj::key::decode(bundle); decoded && pem) {
        auto again = obj::jwk_to_pem(decoded->reveal());
        ERR_clear_error();
        if (!again || *again != *pem) __builtin_trap();
    }
    // ESO's JWK JSON in both orders: the new SDK re-encodes the byte members; same key.
    for (bool sdk : {false, true}) {
        auto rewritten = esx::transform::jwk_json(bundle, sdk);
        if (!rewritten || !pem) continue;
        auto again = obj::jwk_to_pem(rewritten->reveal());
        ERR_clear_error();
        if (!again || *again != *pem) __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    certificate_checks(input);

    boost::system::error_code ec;
    auto v = json::parse(json::string_view(input.data(), input.size()), ec);
    if (!ec && v.is_object()) {
        jwk_checks(v.get_object());
        return 0;
    }
    if (input.empty()) return 0;
    // Not JSON: the bytes as an RSA modulus, and as the two coordinates of a P-256 point.
    json::object rsa{{"kty", "RSA"}, {"n", esx_fuzz::base64(input, true, esx_fuzz::padding::without)}, {"e", "AQAB"}};
    jwk_checks(rsa);
    if (auto pem = obj::jwk_to_pem(rsa)) rsa_modulus_check(*pem, input);
    ERR_clear_error();
    auto const half = input.size() / 2;
    json::object ec_key{{"kty", "EC-HSM"},
                        {"crv", "P-256"},
                        {"x", esx_fuzz::base64(input.substr(0, half), true, esx_fuzz::padding::without)},
                        {"y", esx_fuzz::base64(input.substr(half), true, esx_fuzz::padding::without)}};
    jwk_checks(ec_key);
    return 0;
}
