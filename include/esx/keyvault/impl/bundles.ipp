// esx::keyvault: parsing Key Vault JSON bodies (out of line).
#ifndef ESX_KEYVAULT_IMPL_BUNDLES_IPP
#define ESX_KEYVAULT_IMPL_BUNDLES_IPP

#include <esx/keyvault/bundles.hpp>
#include <esx/keyvault/error.hpp>
#include <esx/object/detail/base64.hpp>
#include <esx/transport/detail/url.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace esx::keyvault::detail {

inline failure malformed_member(std::string_view what, std::string_view member, std::string_view why) {
    return failure{make_error_code(error::malformed_response),
                   "Key Vault " + std::string(what) + ": member \"" + std::string(member) + "\" " + std::string(why)};
}

inline std::string string_member(boost::json::object const& o, std::string_view k) {
    if (auto const* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
    return {};
}

inline std::optional<std::int64_t> int_member(boost::json::object const& o, std::string_view k) {
    if (auto const* v = o.if_contains(k)) {
        if (v->is_int64()) return v->get_int64();
        if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
        // A double outside int64 (1e300, NaN is not JSON) has no integer value: casting it is UB.
        if (v->is_double()) {
            double const d = v->get_double();
            if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) return static_cast<std::int64_t>(d);
            return std::nullopt;
        }
    }
    return std::nullopt;
}

inline keyvault::attributes parse_attributes(boost::json::object const& o) {
    keyvault::attributes a;
    auto const* v = o.if_contains("attributes");
    if (!v || !v->is_object()) return a;
    auto const& at = v->get_object();
    if (auto const* e = at.if_contains("enabled"); e && e->is_bool()) a.enabled = e->get_bool();
    a.not_before = int_member(at, "nbf");
    a.expires = int_member(at, "exp");
    a.created = int_member(at, "created");
    a.updated = int_member(at, "updated");
    a.recovery_level = string_member(at, "recoveryLevel");
    a.recoverable_days = int_member(at, "recoverableDays");
    return a;
}

inline tag_map parse_tags(boost::json::object const& o) {
    tag_map tags;
    if (auto const* v = o.if_contains("tags"); v && v->is_object())
        for (auto const& [k, t] : v->get_object())
            if (t.is_string()) tags.emplace(std::string(k), std::string(t.get_string()));
    return tags;
}

/// Name and version from `https://{vault}/{collection}/{name}[/{version}]`.
inline result<object_id, failure> parse_id(std::string_view what, std::string id) {
    auto [origin, rest] = transport::detail::split_origin(id);
    if (origin.empty() || rest.empty() || rest.front() != '/') return malformed_member(what, "id", "is not an object URL");
    rest.remove_prefix(1);
    auto const slash = rest.find('/');
    if (slash == std::string_view::npos) return malformed_member(what, "id", "has no object name");
    rest.remove_prefix(slash + 1);
    object_id out;
    auto const next = rest.find('/');
    out.name = std::string(rest.substr(0, next));
    if (next != std::string_view::npos) out.version = std::string(rest.substr(next + 1));
    if (out.name.empty()) return malformed_member(what, "id", "has no object name");
    out.id = std::move(id);
    return out;
}

ESX_DECL result<secret_bundle, failure> parse_secret_bundle(boost::json::object const& o) {
    auto id = parse_id("secret", string_member(o, "id"));
    if (!id) return id.error();
    secret_bundle b;
    static_cast<object_id&>(b) = std::move(*id);
    if (auto const* v = o.if_contains("value")) {
        if (!v->is_string()) return malformed_member("secret", "value", "is not a string");
        auto const& s = v->get_string();
        b.value = secret_bytes(std::string_view(s.data(), s.size()));
    }
    b.content_type = string_member(o, "contentType");
    b.tags = parse_tags(o);
    b.attributes = parse_attributes(o);
    if (auto const* m = o.if_contains("managed"); m && m->is_bool()) b.managed = m->get_bool();
    b.kid = string_member(o, "kid");
    return b;
}

ESX_DECL result<key_bundle, failure> parse_key_bundle(boost::json::object const& o) {
    auto const* k = o.if_contains("key");
    if (!k || !k->is_object()) return malformed_member("key", "key", "is missing or not an object");
    auto id = parse_id("key", string_member(k->get_object(), "kid"));
    if (!id) return id.error();
    key_bundle b;
    static_cast<object_id&>(b) = std::move(*id);
    b.key = k->get_object();
    b.tags = parse_tags(o);
    b.attributes = parse_attributes(o);
    if (auto const* m = o.if_contains("managed"); m && m->is_bool()) b.managed = m->get_bool();
    return b;
}

ESX_DECL result<certificate_bundle, failure> parse_certificate_bundle(boost::json::object const& o) {
    auto id = parse_id("certificate", string_member(o, "id"));
    if (!id) return id.error();
    certificate_bundle b;
    static_cast<object_id&>(b) = std::move(*id);
    auto const cer = string_member(o, "cer");
    auto der = object::detail::base64_decode(cer);
    if (cer.empty() || !der) return malformed_member("certificate", "cer", "is missing or not base64");
    b.cer = std::move(*der);
    b.x5t = string_member(o, "x5t");
    b.kid = string_member(o, "kid");
    b.sid = string_member(o, "sid");
    if (auto const* p = o.if_contains("policy"); p && p->is_object())
        if (auto const* sp = p->get_object().if_contains("secret_props"); sp && sp->is_object())
            b.content_type = string_member(sp->get_object(), "contentType");
    b.tags = parse_tags(o);
    b.attributes = parse_attributes(o);
    return b;
}

ESX_DECL result<item, failure> parse_item(boost::json::object const& o) {
    std::string idtext = string_member(o, "id");
    if (idtext.empty()) idtext = string_member(o, "kid"); // key list items name themselves by kid
    auto id = parse_id("list item", std::move(idtext));
    if (!id) return id.error();
    item i;
    static_cast<object_id&>(i) = std::move(*id);
    i.content_type = string_member(o, "contentType");
    i.tags = parse_tags(o);
    i.attributes = parse_attributes(o);
    if (auto const* m = o.if_contains("managed"); m && m->is_bool()) i.managed = m->get_bool();
    return i;
}

ESX_DECL result<deleted_secret, failure> parse_deleted_secret(boost::json::object const& o) {
    auto id = parse_id("deleted secret", string_member(o, "id"));
    if (!id) return id.error();
    deleted_secret d;
    static_cast<object_id&>(d) = std::move(*id);
    d.recovery_id = string_member(o, "recoveryId");
    d.deleted_date = int_member(o, "deletedDate");
    d.scheduled_purge_date = int_member(o, "scheduledPurgeDate");
    d.attributes = parse_attributes(o);
    return d;
}

ESX_DECL std::string properties_body(secret_properties const& p, secret_bytes const* value) {
    boost::json::object body;
    if (value) body["value"] = boost::json::string_view(value->reveal().data(), value->size());
    if (p.content_type) body["contentType"] = *p.content_type;
    if (p.tags) {
        boost::json::object tags;
        for (auto const& [k, v] : *p.tags) tags[k] = v;
        body["tags"] = std::move(tags);
    }
    if (p.enabled || p.not_before || p.expires) {
        boost::json::object a;
        if (p.enabled) a["enabled"] = *p.enabled;
        if (p.not_before) a["nbf"] = *p.not_before;
        if (p.expires) a["exp"] = *p.expires;
        body["attributes"] = std::move(a);
    }
    std::string text = boost::json::serialize(body);
    if (value) // the JSON tree's copy of the value is freed with `body`; wipe it first
        if (auto* v = body.if_contains("value"); v && v->is_string())
            esx::detail::secure_wipe(v->get_string().data(), v->get_string().size());
    return text;
}

ESX_DECL failure error_from_response(unsigned status, std::string_view body, std::string_view what) {
    failure f{make_http_error(status)};
    std::string code, message;
    boost::system::error_code ec;
    auto v = boost::json::parse(boost::json::string_view(body.data(), std::min<std::size_t>(body.size(), 64 * 1024)), ec);
    if (!ec && v.is_object()) {
        if (auto const* e = v.get_object().if_contains("error"); e && e->is_object()) {
            code = string_member(e->get_object(), "code");
            message = string_member(e->get_object(), "message");
            f.reason = code;
            // The innermost code is the precise one (`SecretDisabled` under `Forbidden`).
            auto const* inner = e->get_object().if_contains("innererror");
            for (int depth = 0; inner && inner->is_object() && depth < 8; ++depth) {
                if (auto c = string_member(inner->get_object(), "code"); !c.empty()) f.reason = std::move(c);
                inner = inner->get_object().if_contains("innererror");
            }
        }
    }
    if (message.size() > 512) message = message.substr(0, 512) + "...";
    f.message = std::string(what) + ": Key Vault answered " + std::to_string(status);
    if (!code.empty()) f.message += " " + code;
    if (!f.reason.empty() && f.reason != code) f.message += "/" + f.reason;
    if (!message.empty()) f.message += ": " + message;
    return f;
}

ESX_DECL bool is_valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 127) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    return true;
}

ESX_DECL bool is_valid_version(std::string_view version) noexcept {
    if (version.size() > 64) return false;
    for (char c : version)
        if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    return true;
}

} // namespace esx::keyvault::detail

#endif
