// esx::sink::detail: Secret JSON (out of line).
#ifndef ESX_SINK_IMPL_SECRET_JSON_IPP
#define ESX_SINK_IMPL_SECRET_JSON_IPP

#include <esx/sink/detail/base64.hpp>
#include <esx/sink/detail/secret_json.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <vector>

namespace esx::sink::detail {
namespace json_impl {

inline std::string text_of(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline boost::json::object const* object_at(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

inline std::map<std::string, std::string> string_map(boost::json::object const* o) {
    std::map<std::string, std::string> out;
    if (o)
        for (auto const& [k, v] : *o)
            if (v.is_string()) out.emplace(std::string(k), std::string(v.as_string()));
    return out;
}

inline boost::json::object to_object(std::map<std::string, std::string> const& m) {
    boost::json::object o;
    for (auto const& [k, v] : m) o[k] = v;
    return o;
}

// Keys of `f:<key>` members of fieldsV1 object `fields` at `path` (ESO skips ".").
inline void collect(boost::json::object const* fields, std::set<std::string>& out) {
    if (!fields) return;
    for (auto const& [k, v] : *fields) {
        std::string_view key = k;
        if (key == ".") continue;
        if (key.starts_with("f:")) key.remove_prefix(2);
        out.emplace(key);
    }
}

inline void go_quote(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        auto const b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            switch (b) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '<': case '>': case '&':
                out += "\\u00";
                out += hex[b >> 4];
                out += hex[b & 15];
                break;
            default:
                if (b < 0x20) {
                    out += "\\u00";
                    out += hex[b >> 4];
                    out += hex[b & 15];
                } else {
                    out += static_cast<char>(b);
                }
            }
            ++i;
            continue;
        }
        // One UTF-8 sequence, validated as Go's utf8.DecodeRuneInString does.
        std::size_t len = 0;
        unsigned cp = 0;
        unsigned min = 0;
        if (b >= 0xC2 && b <= 0xDF) len = 2, cp = b & 0x1F, min = 0x80;
        else if (b >= 0xE0 && b <= 0xEF) len = 3, cp = b & 0x0F, min = 0x800;
        else if (b >= 0xF0 && b <= 0xF4) len = 4, cp = b & 0x07, min = 0x10000;
        bool valid = len != 0 && i + len <= s.size();
        for (std::size_t j = 1; valid && j < len; ++j) {
            auto const c = static_cast<unsigned char>(s[i + j]);
            if ((c & 0xC0) != 0x80) valid = false;
            else cp = (cp << 6) | (c & 0x3F);
        }
        if (valid && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
        if (!valid) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (cp == 0x2028) out += "\\u2028";
        else if (cp == 0x2029) out += "\\u2029";
        else out.append(s.substr(i, len));
        i += len;
    }
    out += '"';
}

inline void go_indent(std::string& out, int depth) {
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * 4, ' ');
}

inline void go_json(std::string& out, boost::json::value const& v, int depth) {
    switch (v.kind()) {
    case boost::json::kind::object: {
        auto const& o = v.as_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        std::vector<std::string_view> keys;
        for (auto const& [k, x] : o) keys.emplace_back(k.data(), k.size());
        std::sort(keys.begin(), keys.end());
        out += '{';
        bool first = true;
        for (auto k : keys) {
            if (!first) out += ',';
            first = false;
            go_indent(out, depth + 1);
            go_quote(out, k);
            out += ": ";
            go_json(out, o.at(k), depth + 1);
        }
        go_indent(out, depth);
        out += '}';
        return;
    }
    case boost::json::kind::array: {
        auto const& a = v.as_array();
        if (a.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (auto const& x : a) {
            if (!first) out += ',';
            first = false;
            go_indent(out, depth + 1);
            go_json(out, x, depth + 1);
        }
        go_indent(out, depth);
        out += ']';
        return;
    }
    case boost::json::kind::string: go_quote(out, v.as_string()); return;
    default: out += boost::json::serialize(v); return;  // numbers, booleans, null
    }
}

} // namespace json_impl

ESX_DECL result<secret_model, failure> secret_from_json(boost::json::object const& o) {
    using namespace json_impl;
    secret_model s;
    boost::json::object const empty;
    auto const* meta = object_at(o, "metadata");
    if (!meta) meta = &empty;
    s.namespace_ = text_of(*meta, "namespace");
    s.name = text_of(*meta, "name");
    s.type = text_of(o, "type");
    s.labels = string_map(object_at(*meta, "labels"));
    s.annotations = string_map(object_at(*meta, "annotations"));
    if (auto const* refs = meta->if_contains("ownerReferences"); refs && refs->is_array())
        for (auto const& r : refs->as_array()) {
            if (!r.is_object()) continue;
            auto const& ro = r.as_object();
            owner_ref ref{text_of(ro, "apiVersion"), text_of(ro, "kind"), text_of(ro, "name"), text_of(ro, "uid"), {}, {}};
            if (auto const* c = ro.if_contains("controller"); c && c->is_bool()) ref.controller = c->as_bool();
            if (auto const* b = ro.if_contains("blockOwnerDeletion"); b && b->is_bool())
                ref.block_owner_deletion = b->as_bool();
            s.owner_references.push_back(std::move(ref));
        }
    if (auto const* fin = meta->if_contains("finalizers"); fin && fin->is_array())
        for (auto const& f : fin->as_array())
            if (f.is_string()) s.finalizers.emplace_back(f.as_string());
    if (auto const* d = meta->if_contains("deletionTimestamp"); d && !d->is_null()) s.deleting = true;
    if (auto const* im = o.if_contains("immutable"); im && im->is_bool()) s.immutable = im->as_bool();
    if (auto const* data = object_at(o, "data"))
        for (auto const& [k, v] : *data) {
            std::optional<secret_bytes> bytes;
            if (v.is_string()) bytes = base64_decode(v.as_string());
            else if (v.is_null()) bytes.emplace();
            if (!bytes)
                return failure(ESX_ERROR(::esx::error::malformed_response),
                               "Secret " + s.namespace_ + "/" + s.name + ": data key " + std::string(k) +
                                   " is not base64 as the API server sends it");
            s.data.emplace(std::string(k), std::move(*bytes));
        }
    return s;
}

ESX_DECL managed_keys managed_keys_from_json(boost::json::object const& o, std::string_view manager) {
    using namespace json_impl;
    managed_keys out;
    auto const* meta = object_at(o, "metadata");
    auto const* entries = meta ? meta->if_contains("managedFields") : nullptr;
    if (!entries || !entries->is_array()) return out;
    for (auto const& e : entries->as_array()) {
        if (!e.is_object() || text_of(e.as_object(), "manager") != manager) continue;
        auto const* fields = object_at(e.as_object(), "fieldsV1");
        if (!fields) continue;
        collect(object_at(*fields, "f:data"), out.data);
        if (auto const* fm = object_at(*fields, "f:metadata")) {
            collect(object_at(*fm, "f:labels"), out.labels);
            collect(object_at(*fm, "f:annotations"), out.annotations);
        }
    }
    return out;
}

ESX_DECL boost::json::object secret_to_json(secret_model const& s, boost::json::object o) {
    using namespace json_impl;
    o["apiVersion"] = "v1";
    o["kind"] = "Secret";
    auto& metav = o["metadata"];
    if (!metav.is_object()) metav = boost::json::object();
    auto& meta = metav.as_object();
    meta["name"] = s.name;
    meta["namespace"] = s.namespace_;
    meta.erase("managedFields");
    if (s.labels.empty()) meta.erase("labels");
    else meta["labels"] = to_object(s.labels);
    if (s.annotations.empty()) meta.erase("annotations");
    else meta["annotations"] = to_object(s.annotations);
    if (s.finalizers.empty()) {
        meta.erase("finalizers");
    } else {
        boost::json::array fin;
        for (auto const& f : s.finalizers) fin.emplace_back(f);
        meta["finalizers"] = std::move(fin);
    }
    if (s.owner_references.empty()) {
        meta.erase("ownerReferences");
    } else {
        boost::json::array refs;
        for (auto const& r : s.owner_references) {
            boost::json::object ro{{"apiVersion", r.api_version}, {"kind", r.kind}, {"name", r.name}, {"uid", r.uid}};
            if (r.controller) ro["controller"] = *r.controller;
            if (r.block_owner_deletion) ro["blockOwnerDeletion"] = *r.block_owner_deletion;
            refs.emplace_back(std::move(ro));
        }
        meta["ownerReferences"] = std::move(refs);
    }
    o.erase("stringData");
    if (s.data.empty()) {
        o.erase("data");
    } else {
        boost::json::object data;
        for (auto const& [k, v] : s.data) data[k] = base64_encode(v.reveal());
        o["data"] = std::move(data);
    }
    if (s.immutable) o["immutable"] = true;
    if (s.type.empty()) o.erase("type");
    else o["type"] = s.type;
    return o;
}

ESX_DECL void wipe_data(boost::json::object& o) noexcept {
    auto* data = o.if_contains("data");
    if (!data || !data->is_object()) return;
    for (auto& [k, v] : data->as_object())
        if (v.is_string()) esx::detail::secure_wipe(v.as_string().data(), v.as_string().size());
}

ESX_DECL std::string kubectl_json(boost::json::value const& v) {
    std::string out;
    json_impl::go_json(out, v, 0);
    return out;
}

} // namespace esx::sink::detail

#endif
