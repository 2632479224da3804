// esx::transform: a key's JWK as ESO writes it (out of line).
#ifndef ESX_TRANSFORM_IMPL_JWK_IPP
#define ESX_TRANSFORM_IMPL_JWK_IPP

#include <esx/transform/jwk.hpp>
#include <esx/transform/detail/base64.hpp>
#include <esx/transform/detail/go.hpp>

#include <boost/json/value.hpp>

namespace esx::transform {
namespace detail {

inline failure malformed_key(std::string_view member, std::string_view why) {
    return failure{make_error_code(error::malformed_bundle),
                   "key bundle: member \"" + std::string(member) + "\" " + std::string(why)};
}

inline void append_member(scratch& out, bool& first, std::string_view name) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, name, true);
    out.push_back(':');
}

inline std::string_view string_of(boost::json::value const& v) {
    auto const& s = v.get_string();
    return {s.data(), s.size()};
}

/// ESO's legacy path: json.Marshal of the v7.0 `keyvault.JSONWebKey` struct (field order,
/// `omitempty` pointers: a JSON null or absent member is left out; string members as sent).
inline result<secret_bytes, failure> legacy_jwk(boost::json::object const& jwk) {
    static constexpr std::string_view order[] = {"kid", "kty", "key_ops", "n",       "e",   "d", "dp", "dq",
                                                 "qi",  "p",   "q",       "k",       "key_hsm", "crv", "x", "y"};
    scratch out("{");
    bool first = true;
    for (auto member : order) {
        auto const* v = jwk.if_contains(member);
        if (!v || v->is_null()) continue;
        if (member == "key_ops") {
            if (!v->is_array()) return malformed_key(member, "is not an array of strings");
            append_member(out, first, member);
            out.push_back('[');
            bool first_op = true;
            for (auto const& op : v->get_array()) {
                if (!op.is_string()) return malformed_key(member, "is not an array of strings");
                if (!first_op) out.push_back(',');
                first_op = false;
                append_json_string(out, string_of(op), true);
            }
            out.push_back(']');
            continue;
        }
        if (!v->is_string()) return malformed_key(member, "is not a string");
        if (member == "kty" && v->get_string().empty()) continue;  // a plain string type with omitempty
        append_member(out, first, member);
        append_json_string(out, string_of(*v), true);
    }
    out.push_back('}');
    return out.to_secret();
}

/// ESO's new-SDK path: json.Marshal of `azkeys.JSONWebKey`, whose generated MarshalJSON fills a
/// map (so members come out sorted) and re-encodes every []byte member as base64url without
/// padding (runtime.Base64URLFormat); empty byte members are left out.
inline result<secret_bytes, failure> sdk_jwk(boost::json::object const& jwk) {
    static constexpr std::string_view bytes_members[] = {"d", "dp", "dq", "e", "k", "key_hsm", "n", "p",
                                                         "q", "qi", "x", "y"};
    static constexpr std::string_view sorted[] = {"crv", "d", "dp", "dq", "e", "k", "key_hsm", "key_ops",
                                                  "kid", "kty", "n", "p", "q", "qi", "x", "y"};
    scratch out("{");
    bool first = true;
    for (auto member : sorted) {
        auto const* v = jwk.if_contains(member);
        if (!v || v->is_null()) continue;
        if (member == "key_ops") {
            if (!v->is_array()) return malformed_key(member, "is not an array of strings");
            append_member(out, first, member);
            out.push_back('[');
            bool first_op = true;
            for (auto const& op : v->get_array()) {
                if (!op.is_string()) return malformed_key(member, "is not an array of strings");
                if (!first_op) out.push_back(',');
                first_op = false;
                append_json_string(out, string_of(op), true);
            }
            out.push_back(']');
            continue;
        }
        if (!v->is_string()) return malformed_key(member, "is not a string");
        bool const is_bytes = std::find(std::begin(bytes_members), std::end(bytes_members), member) !=
                              std::end(bytes_members);
        if (!is_bytes) {
            append_member(out, first, member);
            append_json_string(out, string_of(*v), true);
            continue;
        }
        scratch raw;
        std::size_t offset = 0;
        if (!go_base64_decode(string_of(*v), true, false, raw, offset))
            return malformed_key(member, "is not base64url: illegal base64 data at input byte " + std::to_string(offset));
        if (raw.empty()) continue;
        append_member(out, first, member);
        auto encoded = raw_url_encode(raw.view());
        append_json_string(out, encoded, true);
        esx::detail::secure_wipe(encoded.data(), encoded.size());
    }
    out.push_back('}');
    return out.to_secret();
}

} // namespace detail

ESX_DECL result<secret_bytes, failure> jwk_json(boost::json::object const& key_bundle, bool use_azure_sdk) {
    auto const* k = key_bundle.if_contains("key");
    if (!k || !k->is_object()) return detail::malformed_key("key", "is missing or not an object");
    return use_azure_sdk ? detail::sdk_jwk(k->get_object()) : detail::legacy_jwk(k->get_object());
}

} // namespace esx::transform

#endif
