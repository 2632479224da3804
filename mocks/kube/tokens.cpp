// esx mocks/kube: the service-account token issuer: an RSA key made at start-up, its JWKS
// (served at /openid/v1/jwks for OIDC discovery, and trusted by mock Azure for workload
// identity), and TokenRequest minting RS256 JWTs that then authenticate against the mock.
#include "handler.hpp"
#include "state.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <functional>
#include <memory>
#include <stdexcept>

namespace esx::mocks::kube::detail {

void api_state::make_sa_key() {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
    if (!key)
        throw std::runtime_error("esx-mock-kube: RSA key generation failed");
    sa_key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
    auto bn_param = [&](char const* name) {
        BIGNUM* bn = nullptr;
        if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
            throw std::runtime_error("esx-mock-kube: reading RSA parameters failed");
        std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
        BN_free(bn);
        return out;
    };
    std::string const n = bn_param(OSSL_PKEY_PARAM_RSA_N);
    jwk_n = base64_encode(n, true);
    jwk_e = base64_encode(bn_param(OSSL_PKEY_PARAM_RSA_E), true);
    kid = base64_encode(std::to_string(std::hash<std::string>{}(n)), true);
}

json::object api_state::jwks() const {
    return json::object{{"keys", json::array{json::object{
                                     {"use", "sig"}, {"kty", "RSA"}, {"kid", kid}, {"alg", "RS256"}, {"n", jwk_n}, {"e", jwk_e}}}}};
}

http_reply api_handler::token_request(api_request const& req, route const& rt) {
    resource_info const& ri = *rt.ri;
    object_ptr const sa_ptr = live(rt);
    json::object const& sa = *sa_ptr;
    static resource_info const tr_info = [] {
        resource_info r;
        r.group = "authentication.k8s.io";
        r.version = "v1";
        r.plural = "tokenrequests";
        r.kind = "TokenRequest";
        return r;
    }();
    json::object body = parse_body(req, tr_info, rt.name);
    json::object spec = obj_of(body, "spec") ? *obj_of(body, "spec") : json::object();
    std::int64_t exp = 3600;
    if (auto const* e = spec.if_contains("expirationSeconds"); e && e->is_number())
        exp = e->to_number<std::int64_t>();
    if (exp < 600)
        throw invalid(tr_info, "", {{"FieldValueInvalid",
                                     "Invalid value: " + std::to_string(exp) +
                                         ": may not specify a duration less than 10 minutes",
                                     "spec.expirationSeconds"}});
    if (exp > (std::int64_t(1) << 32))
        throw invalid(tr_info, "", {{"FieldValueInvalid",
                                     "Invalid value: " + std::to_string(exp) +
                                         ": may not specify a duration larger than 2^32 seconds",
                                     "spec.expirationSeconds"}});
    json::array aud;
    if (auto const* a = spec.if_contains("audiences"); a && a->is_array() && !a->as_array().empty())
        aud = a->as_array();
    else
        aud.push_back(json::value(st_.server_url));
    std::int64_t const now = now_s();
    std::string const sub = "system:serviceaccount:" + rt.ns + ":" + rt.name;
    json::object claims{{"aud", aud},
                        {"exp", now + exp},
                        {"iat", now},
                        {"nbf", now},
                        {"iss", st_.server_url},
                        {"sub", sub},
                        {"jti", uuid()},
                        {"kubernetes.io",
                         json::object{{"namespace", rt.ns},
                                      {"serviceaccount", json::object{{"name", rt.name}, {"uid", str_of(cmeta(sa), "uid")}}}}}};
    json::object header{{"alg", "RS256"}, {"kid", st_.kid}, {"typ", "JWT"}};
    std::string const input = base64_encode(json::serialize(header), true) + "." + base64_encode(json::serialize(claims), true);
    std::string const token = input + "." + sign_rs256(input);
    st_.minted[token] = issued_token{sub, now + exp};
    spec["expirationSeconds"] = exp;
    spec["audiences"] = aud;
    json::object out{{"kind", "TokenRequest"},
                     {"apiVersion", "authentication.k8s.io/v1"},
                     {"metadata", json::object{{"name", rt.name}, {"namespace", rt.ns}, {"creationTimestamp", nullptr}}},
                     {"spec", spec},
                     {"status", json::object{{"token", token}, {"expirationTimestamp", rfc3339(now + exp)}}}};
    (void)ri;
    return ok_json(out, 201);
}

std::string api_handler::sign_rs256(std::string const& input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, st_.sa_key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("RS256 signing failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("RS256 signing failed");
    sig.resize(len);
    return base64_encode(sig, true);
}

}  // namespace esx::mocks::kube::detail
