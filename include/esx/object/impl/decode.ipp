// esx::object: decoding of the built-in kinds (out of line).
#ifndef ESX_OBJECT_IMPL_DECODE_IPP
#define ESX_OBJECT_IMPL_DECODE_IPP

#include <esx/object/certificate.hpp>
#include <esx/object/detail/base64.hpp>
#include <esx/object/key.hpp>
#include <esx/object/secret.hpp>

#include <boost/json/serialize.hpp>

#include <string>

namespace esx::object {
namespace detail {

inline failure malformed(std::string_view kind, std::string_view member, std::string_view why) {
    return failure{make_error_code(error::malformed_bundle),
                   std::string(kind) + " bundle: member \"" + std::string(member) + "\" " + std::string(why)};
}

} // namespace detail

ESX_DECL result<secret_bytes, failure> secret::decode(boost::json::object const& bundle) {
    auto const* v = bundle.if_contains("value");
    if (!v || !v->is_string()) return detail::malformed("secret", "value", "is missing or not a string");
    auto const& s = v->get_string();
    return secret_bytes(std::string_view(s.data(), s.size()));
}

ESX_DECL result<secret_bytes, failure> key::decode(boost::json::object const& bundle) {
    auto const* k = bundle.if_contains("key");
    if (!k || !k->is_object()) return detail::malformed("key", "key", "is missing or not an object");
    auto const& jwk = k->get_object();
    // Go's v7.0 JSONWebKey field order, which ESO's default path marshals; `key_hsm` is `T`.
    static constexpr std::string_view order[] = {"kid", "kty", "key_ops", "n",       "e",   "d", "dp", "dq",
                                                 "qi",  "p",   "q",       "k",       "key_hsm", "crv", "x", "y"};
    boost::json::object out;
    for (auto member : order)
        if (auto const* v = jwk.if_contains(member); v && !v->is_null()) out.emplace(member, *v);
    std::string text = boost::json::serialize(out);
    secret_bytes bytes(text);
    esx::detail::secure_wipe(text.data(), text.size());
    return bytes;
}

ESX_DECL result<secret_bytes, failure> certificate::decode(boost::json::object const& bundle) {
    auto const* c = bundle.if_contains("cer");
    if (!c || !c->is_string()) return detail::malformed("certificate", "cer", "is missing or not a string");
    auto const& s = c->get_string();
    auto der = detail::base64_decode(std::string_view(s.data(), s.size()));
    if (!der || der->empty()) return detail::malformed("certificate", "cer", "is not base64");
    return secret_bytes(*der);
}

} // namespace esx::object

#endif
