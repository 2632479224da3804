// esx::transform: `metadataPolicy: Fetch` (out of line).
#ifndef ESX_TRANSFORM_IMPL_METADATA_IPP
#define ESX_TRANSFORM_IMPL_METADATA_IPP

#include <esx/transform/metadata.hpp>
#include <esx/transform/property.hpp>
#include <esx/transform/detail/go_json.hpp>

#include <cmath>
#include <map>
#include <optional>

namespace esx::transform {
namespace detail {

/// Tag name -> value; a JSON `null` tag is present without a value (Go's nil *string).
using metadata_map = std::map<std::string, std::optional<scratch>>;

/// Go's `time.Unix(s, 0).UTC().Format(time.RFC3339)` for years 0..9999.
inline std::string rfc3339(std::int64_t s) {
    std::int64_t days = s / 86400, rem = s % 86400;
    if (rem < 0) rem += 86400, --days;
    // Howard Hinnant's civil_from_days.
    std::int64_t const z = days + 719468;
    std::int64_t const era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t const doe = z - era * 146097;
    std::int64_t const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t const mp = (5 * doy + 2) / 153;
    std::int64_t const d = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t const m = mp < 10 ? mp + 3 : mp - 9;
    std::int64_t const y = yoe + era * 400 + (m <= 2);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
    return buf;
}

inline std::optional<std::int64_t> unix_seconds(boost::json::value const* v) {
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(std::floor(v->get_double()));  // autorest: float seconds
    return std::nullopt;
}

/// The bundle's tags, plus (legacy path) `attribute.*` under `prefix` + name.
inline metadata_map bundle_tags(boost::json::object const& bundle) {
    metadata_map tags;
    if (auto const* t = bundle.if_contains("tags"); t && t->is_object())
        for (auto const& [k, v] : t->get_object()) {
            if (v.is_string()) tags[std::string(k)] = scratch(std::string_view(v.get_string()));
            else if (v.is_null()) tags[std::string(k)] = std::nullopt;
        }
    return tags;
}

inline void add_attributes(boost::json::object const& bundle, metadata_map& tags, std::string const& prefix) {
    auto const* a = bundle.if_contains("attributes");
    if (!a || !a->is_object()) return;
    auto const& at = a->get_object();
    static constexpr std::pair<std::string_view, std::string_view> names[] = {
        {"exp", "attribute.expires"}, {"created", "attribute.created"},
        {"updated", "attribute.updated"}, {"nbf", "attribute.notBefore"}};
    for (auto const& [wire, name] : names)
        if (auto s = unix_seconds(at.if_contains(wire))) tags[prefix + std::string(name)] = scratch(rfc3339(*s));
}

inline failure tag_not_found(std::string_view property) {
    return failure{make_error_code(error::property_not_found), "tag " + std::string(property) + " does not exist"};
}

/// ESO's getSecretTag.
inline result<secret_bytes, failure> secret_tag(metadata_map const& tags, std::string_view property) {
    if (property.empty()) {
        // json.Marshal(map[string]string): sorted keys, HTML escaped; nil tags left out.
        scratch text("{");
        bool first = true;
        for (auto const& [k, v] : tags) {
            if (!v) continue;
            if (!first) text.push_back(',');
            first = false;
            append_json_string(text, k, true);
            text.push_back(':');
            append_json_string(text, v->view(), true);
        }
        text.push_back('}');
        return text.to_secret();
    }
    if (auto it = tags.find(std::string(property)); it != tags.end())
        return it->second ? it->second->to_secret() : secret_bytes();
    auto const dot = property.find('.');
    if (dot == std::string_view::npos || dot == 0) return tag_not_found(property);
    auto it = tags.find(std::string(property.substr(0, dot)));
    if (it == tags.end()) return tag_not_found(property);
    if (!it->second) return secret_bytes();
    // getProperty(*val, <property without "tag.">, property): the error names them that way round.
    return get_property(it->second->view(), property.substr(dot + 1), property);
}

inline metadata_map metadata(boost::json::object const& bundle, bool use_azure_sdk) {
    auto tags = bundle_tags(bundle);
    if (!use_azure_sdk) add_attributes(bundle, tags, "");
    return tags;
}

} // namespace detail

ESX_DECL result<secret_bytes, failure> fetch_metadata(boost::json::object const& bundle, bool use_azure_sdk,
                                                      std::string_view property) {
    return detail::secret_tag(detail::metadata(bundle, use_azure_sdk), property);
}

ESX_DECL result<secret_map, failure> fetch_metadata_map(boost::json::object const& bundle, bool use_azure_sdk,
                                                        std::string_view key, std::string_view property) {
    // getObjType: `type/name` (the part after a second '/' is ignored), else a secret.
    std::string_view type = "secret", name = key;
    if (auto const slash = key.find('/'); slash != std::string_view::npos) {
        type = key.substr(0, slash);
        name = key.substr(slash + 1);
        name = name.substr(0, name.find('/'));
    }
    if (type == "cert")
        return failure{make_error_code(error::unsupported), "cannot get use dataFrom to get certificate secret"};
    if (type == "key") return failure{make_error_code(error::unsupported), "cannot get use dataFrom to get key secret"};
    if (type != "secret")
        return failure{make_error_code(error::unsupported),
                       "unknown Azure Keyvault object Type for " + std::string(name)};

    // ESO's GetSecretMap first runs GetSecret with the same ref, whose Fetch path must succeed.
    if (auto probe = fetch_metadata(bundle, use_azure_sdk, property); !probe) return probe.error();

    // getSecretTags: `<name>_<tag>`; a tag holding a JSON object of strings is flattened to
    // `<name>_<tag>_<member>`. Go fills this map in random order; esx goes in tag order.
    detail::metadata_map flat;
    std::string const prefix = std::string(name) + "_";
    for (auto const& [tag, value] : detail::bundle_tags(bundle)) {
        if (!value) continue;
        detail::json_node node;
        std::string why;
        bool object_of_strings = detail::parse_json_object(value->view(), node, why, "map[string]string");
        if (object_of_strings)
            for (auto const& [k, m] : node.members)
                if (m.type != detail::json_node::kind::string && m.type != detail::json_node::kind::null)
                    object_of_strings = false;
        if (!object_of_strings) {
            flat[prefix + tag] = *value;
            continue;
        }
        for (auto const& [k, m] : node.members) flat[prefix + tag + "_" + std::string(k.view())] = m.text;
    }
    if (!use_azure_sdk) detail::add_attributes(bundle, flat, prefix);

    // getSecretMapProperties: with a property, one key `<remoteRef.key>_<property>` (its lookup
    // errors swallowed: an empty value); without, every entry.
    secret_map out;
    if (!property.empty()) {
        std::string const wanted = std::string(key) + "_" + std::string(property);
        auto single = detail::secret_tag(flat, wanted);
        out.emplace(wanted, single ? std::move(*single) : secret_bytes());
        return out;
    }
    for (auto const& [k, v] : flat) out.emplace(k, v ? v->to_secret() : secret_bytes());
    return out;
}

} // namespace esx::transform

#endif
