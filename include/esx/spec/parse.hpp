// esx::spec: one entry for any ESO document: dispatch on apiVersion/kind, read, validate.
#ifndef ESX_SPEC_PARSE_HPP
#define ESX_SPEC_PARSE_HPP

#include <esx/spec/json.hpp>
#include <esx/spec/validate.hpp>

#include <boost/json/value.hpp>

#include <string_view>
#include <variant>

namespace esx::spec {

/// Any ESO resource esx reads.
using resource = std::variant<secret_store, external_secret, cluster_external_secret>;

/// `apiVersion`'s group is `external-secrets.io` (so a Secret or ServiceAccount in the same
/// manifest file can be passed over).
inline bool is_eso_document(boost::json::value const& doc) {
    auto const* o = doc.if_object();
    if (!o) return false;
    auto it = o->find("apiVersion");
    if (it == o->end() || !it->value().is_string()) return false;
    std::string_view v = it->value().get_string();
    return v.starts_with(group) && v.size() > group.size() && v[group.size()] == '/';
}

namespace detail {
inline resource read_any(boost::json::value const& doc, problems& p) {
    std::string_view kind;
    if (auto const* o = doc.if_object())
        if (auto it = o->find("kind"); it != o->end() && it->value().is_string()) kind = it->value().get_string();
    if (kind == "ExternalSecret") return read_external_secret(doc, p);
    if (kind == "ClusterExternalSecret") return read_cluster_external_secret(doc, p);
    if (kind == "SecretStore" || kind == "ClusterSecretStore") return read_secret_store(doc, p);
    if (!doc.is_object()) p.add("", reasons::type_invalid, "a manifest must be a JSON object");
    else if (kind.empty()) p.add("kind", reasons::required, "is required");
    else
        p.add("kind", reasons::not_supported,
              "unsupported value \"" + std::string(kind) +
                  "\": must be SecretStore, ClusterSecretStore, ExternalSecret or ClusterExternalSecret");
    return resource{};
}
} // namespace detail

/// Reads without the validation rules (types, enums, required and unknown fields only).
inline result<resource, failure> read(boost::json::value const& doc) {
    detail::problems p;
    resource r = detail::read_any(doc, p);
    if (!p.empty()) return detail::to_failure(std::move(p));
    return r;
}

/// Reads and validates; the failure lists every problem of the document.
inline result<resource, failure> parse(boost::json::value const& doc, validate_options const& options = {}) {
    detail::problems p;
    resource r = detail::read_any(doc, p);
    bool typed = !p.has("kind") && !p.has("apiVersion") && !p.has("");
    if (typed) std::visit([&](auto const& x) { detail::validate_into(x, options, p); }, r);
    if (!p.empty()) return detail::to_failure(std::move(p));
    return r;
}

/// `parse`, expecting one kind: `parse_as<external_secret>(doc)`.
template <class T>
result<T, failure> parse_as(boost::json::value const& doc, validate_options const& options = {}) {
    auto r = parse(doc, options);
    if (!r) return r.error();
    if (auto* t = std::get_if<T>(&*r)) return std::move(*t);
    return failure(make_error_code(error::invalid_option), "kind: is not the kind expected here");
}

} // namespace esx::spec

#endif
