// esx::transform::templating::functions: JWK to PEM (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_JWK_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_JWK_IPP

#include <esx/transform/detail/go_json.hpp>
#include <esx/transform/template/functions/detail/openssl.hpp>
#include <esx/transform/template/functions/jwk.hpp>

#include <openssl/core_names.h>

#include <optional>
#include <string>

namespace esx::transform::templating::functions {
namespace detail {

using transform::detail::json_node;

inline failure jwk_parse_error(std::string why) { return function_error("failed to parse JWK: " + std::move(why)); }

/// A parsed JWK: its members by name (the last of duplicates wins, as Go's json).
struct jwk_members {
    json_node root;
    json_node const* find(std::string_view name) const {
        json_node const* found = nullptr;
        for (auto const& [k, v] : root.members)
            if (k.view() == name) found = &v;
        return found;
    }
    bool has(std::string_view name) const { return find(name) != nullptr; }
};

/// jwx's lenient base64: standard or URL alphabet, padding optional.
inline bool lenient_base64(std::string_view in, scratch& out) {
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    out.clear();
    unsigned acc = 0;
    int bits = 0;
    for (char ch : in) {
        unsigned char const c = static_cast<unsigned char>(ch);
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+' || c == '-') v = 62;
        else if (c == '/' || c == '_') v = 63;
        else return false;
        acc = (acc << 6 | unsigned(v)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>(acc >> bits & 0xFF));
        }
    }
    return bits < 6;  // a lone trailing sextet is not base64
}

inline result<scratch, failure> member_bytes(jwk_members const& jwk, std::string_view name) {
    auto const* v = jwk.find(name);
    if (!v) return jwk_parse_error("required field \"" + std::string(name) + "\" is missing");
    if (v->type != json_node::kind::string)
        return jwk_parse_error("field \"" + std::string(name) + "\" is not a string");
    scratch out;
    if (!lenient_base64(v->text.view(), out) || out.empty())
        return jwk_parse_error("field \"" + std::string(name) + "\" is not base64 data");
    return out;
}

inline openssl_ptr<BIGNUM> bignum(scratch const& b) {
    return openssl_ptr<BIGNUM>(
        BN_bin2bn(reinterpret_cast<unsigned char const*>(b.data()), static_cast<int>(b.size()), nullptr));
}

inline result<openssl_ptr<EVP_PKEY>, failure> key_from_params(char const* type, OSSL_PARAM_BLD* bld, bool with_private) {
    OSSL_LIB_CTX* lib = crypto_context::instance().get();
    openssl_ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
    openssl_ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(lib, type, nullptr));
    EVP_PKEY* raw = nullptr;
    bool const ok = params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &raw, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                      params.get()) == 1;
    clear_openssl_errors();
    if (!ok) return jwk_parse_error(std::string("invalid ") + type + " key");
    return openssl_ptr<EVP_PKEY>(raw);
}

inline result<openssl_ptr<EVP_PKEY>, failure> rsa_key(jwk_members const& jwk, bool with_private) {
    auto n = member_bytes(jwk, "n");
    if (!n) return n.error();
    auto e = member_bytes(jwk, "e");
    if (!e) return e.error();
    openssl_ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    auto bn_n = bignum(*n), bn_e = bignum(*e);
    if (!bld || !bn_n || !bn_e || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
        return jwk_parse_error("invalid RSA key");
    openssl_ptr<BIGNUM> bn_d, bn_p, bn_q, bn_dp, bn_dq, bn_qi;
    if (with_private) {
        if (!jwk.has("p") || !jwk.has("q"))
            return jwk_parse_error("an RSA private key needs \"p\" and \"q\" to be written as PKCS#8");
        auto d = member_bytes(jwk, "d");
        if (!d) return d.error();
        auto p = member_bytes(jwk, "p");
        if (!p) return p.error();
        auto q = member_bytes(jwk, "q");
        if (!q) return q.error();
        bn_d = bignum(*d), bn_p = bignum(*p), bn_q = bignum(*q);
        openssl_ptr<BN_CTX> bctx(BN_CTX_new());
        if (!bn_d || !bn_p || !bn_q || !bctx) return jwk_parse_error("invalid RSA key");
        auto member_or = [&](std::string_view name, openssl_ptr<BIGNUM>& out, auto compute) -> result<void, failure> {
            if (jwk.has(name)) {
                auto b = member_bytes(jwk, name);
                if (!b) return b.error();
                out = bignum(*b);
            } else {
                out.reset(BN_new());
                if (out && !compute(out.get())) out.reset();
            }
            if (!out) return jwk_parse_error("invalid RSA key");
            return {};
        };
        openssl_ptr<BIGNUM> p1(BN_dup(bn_p.get())), q1(BN_dup(bn_q.get()));
        if (!p1 || !q1 || !BN_sub_word(p1.get(), 1) || !BN_sub_word(q1.get(), 1)) return jwk_parse_error("invalid RSA key");
        if (auto r = member_or("dp", bn_dp, [&](BIGNUM* o) { return BN_mod(o, bn_d.get(), p1.get(), bctx.get()) == 1; }); !r)
            return r.error();
        if (auto r = member_or("dq", bn_dq, [&](BIGNUM* o) { return BN_mod(o, bn_d.get(), q1.get(), bctx.get()) == 1; }); !r)
            return r.error();
        if (auto r = member_or("qi", bn_qi, [&](BIGNUM* o) { return BN_mod_inverse(o, bn_q.get(), bn_p.get(), bctx.get()) != nullptr; });
            !r)
            return r.error();
        if (!OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, bn_d.get()) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, bn_p.get()) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, bn_q.get()) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, bn_dp.get()) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, bn_dq.get()) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, bn_qi.get()))
            return jwk_parse_error("invalid RSA key");
    }
    return key_from_params("RSA", bld.get(), with_private);
}

inline result<openssl_ptr<EVP_PKEY>, failure> ec_key(jwk_members const& jwk, bool with_private) {
    auto const* crv = jwk.find("crv");
    if (!crv || crv->type != json_node::kind::string) return jwk_parse_error("required field \"crv\" is missing");
    std::string_view const curve = crv->text.view();
    char const* group = nullptr;
    std::size_t field = 0;
    if (curve == "P-256") group = "prime256v1", field = 32;
    else if (curve == "P-384") group = "secp384r1", field = 48;
    else if (curve == "P-521") group = "secp521r1", field = 66;
    else return jwk_parse_error("unsupported elliptic curve \"" + std::string(curve) + "\"");
    auto x = member_bytes(jwk, "x");
    if (!x) return x.error();
    auto y = member_bytes(jwk, "y");
    if (!y) return y.error();
    if (x->size() > field || y->size() > field) return jwk_parse_error("the EC point does not fit " + std::string(curve));
    scratch point(1 + 2 * field, '\0');
    point[0] = 0x04;
    point.replace(1 + field - x->size(), x->size(), *x);
    point.replace(1 + 2 * field - y->size(), y->size(), *y);
    openssl_ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    openssl_ptr<BIGNUM> bn_d;
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
        return jwk_parse_error("invalid EC key");
    if (with_private) {
        auto d = member_bytes(jwk, "d");
        if (!d) return d.error();
        bn_d = bignum(*d);
        if (!bn_d || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, bn_d.get()))
            return jwk_parse_error("invalid EC key");
    }
    auto key = key_from_params("EC", bld.get(), with_private);
    if (!key)
        return jwk_parse_error(with_private ? "invalid EC private key for " + std::string(curve)
                                            : "the EC point is not on " + std::string(curve));
    openssl_ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(crypto_context::instance().get(), key->get(), nullptr));
    bool const on_curve = check && EVP_PKEY_public_check(check.get()) == 1;
    clear_openssl_errors();
    if (!on_curve) return jwk_parse_error("the EC point is not on " + std::string(curve));
    return key;
}

inline result<openssl_ptr<EVP_PKEY>, failure> ed25519_key(jwk_members const& jwk, bool with_private) {
    OSSL_LIB_CTX* lib = crypto_context::instance().get();
    auto raw = member_bytes(jwk, with_private ? "d" : "x");
    if (!raw) return raw.error();
    auto const* bytes = reinterpret_cast<unsigned char const*>(raw->data());
    openssl_ptr<EVP_PKEY> key(with_private ? EVP_PKEY_new_raw_private_key_ex(lib, "ED25519", nullptr, bytes, raw->size())
                                           : EVP_PKEY_new_raw_public_key_ex(lib, "ED25519", nullptr, bytes, raw->size()));
    clear_openssl_errors();
    if (!key) return jwk_parse_error("invalid Ed25519 key");
    return key;
}

enum class jwk_form { public_key, private_key };

/// The Go type jwx's `Raw` yields for this JWK: what Go's x509 names when it refuses it.
inline std::string go_raw_type(std::string_view kty, std::string_view crv, bool is_private) {
    if (kty == "RSA") return is_private ? "*rsa.PrivateKey" : "*rsa.PublicKey";
    if (kty == "EC") return is_private ? "*ecdsa.PrivateKey" : "*ecdsa.PublicKey";
    if (kty == "oct") return "[]uint8";
    if (crv == "X25519") return is_private ? "x25519.PrivateKey" : "x25519.PublicKey";
    return is_private ? "ed25519.PrivateKey" : "ed25519.PublicKey";
}

inline result<text, failure> jwk_to_pem(std::string_view jwk_json, jwk_form want) {
    jwk_members jwk;
    std::string why;
    if (!transform::detail::parse_json(jwk_json, jwk.root, why)) return jwk_parse_error(why);
    if (jwk.root.type != json_node::kind::object) return jwk_parse_error("not a JSON object");
    auto const* kty_member = jwk.find("kty");
    if (!kty_member || kty_member->type != json_node::kind::string)
        return jwk_parse_error("required field \"kty\" is missing");
    std::string_view kty = kty_member->text.view();
    if (kty.ends_with("-HSM")) kty.remove_suffix(4);
    std::string_view crv;
    if (auto const* c = jwk.find("crv"); c && c->type == json_node::kind::string) crv = c->text.view();
    if (kty != "RSA" && kty != "EC" && kty != "OKP" && kty != "oct")
        return jwk_parse_error("invalid key type \"" + std::string(kty_member->text.view()) + "\"");
    if (kty == "OKP" && crv != "Ed25519" && crv != "X25519")
        return jwk_parse_error("unsupported curve \"" + std::string(crv) + "\" for OKP");
    bool const is_private = kty == "oct" || jwk.has("d");
    bool const want_private = want == jwk_form::private_key;
    if (kty == "oct" || crv == "X25519" || is_private != want_private) {
        auto const type = go_raw_type(kty, crv, is_private);
        return function_error(want_private ? "x509: unknown key type while marshaling PKCS#8: " + type
                                           : "x509: unsupported public key type: " + type);
    }
    auto key = kty == "RSA" ? rsa_key(jwk, is_private) : kty == "EC" ? ec_key(jwk, is_private) : ed25519_key(jwk, is_private);
    if (!key) return key.error();
    return want_private ? private_key_pem(key->get()) : public_key_pem(key->get());
}

} // namespace detail

ESX_DECL result<text, failure> jwk_public_key_pem(std::string_view jwk_json) {
    return detail::jwk_to_pem(jwk_json, detail::jwk_form::public_key);
}

ESX_DECL result<text, failure> jwk_private_key_pem(std::string_view jwk_json) {
    return detail::jwk_to_pem(jwk_json, detail::jwk_form::private_key);
}

} // namespace esx::transform::templating::functions

#endif
