// esx mocks/kube: CustomResourceDefinitions: their own validation and status (Established,
// NamesAccepted, storedVersions), and the resources they define: every served version of a
// CRD is one resource_info over the same storage, so an object written in one version is
// read and watched in any other with only apiVersion changed (conversion strategy None).
#include "handler.hpp"
#include "state.hpp"

#include "text.hpp"

namespace esx::mocks::kube::detail {

void api_state::register_crd(json::object const& crd) {
    auto const* spec = obj_of(crd, "spec");
    auto const* names = spec ? obj_of(*spec, "names") : nullptr;
    auto const* versions = spec ? spec->if_contains("versions") : nullptr;
    if (!spec || !names || !versions || !versions->is_array())
        return;
    for (auto const& vv : versions->as_array()) {
        if (!vv.is_object())
            continue;
        auto const& v = vv.as_object();
        auto const* served_v = v.if_contains("served");
        if (served_v && served_v->is_bool() && !served_v->as_bool())
            continue;
        resource_info ri;
        ri.group = str_of(*spec, "group");
        ri.version = str_of(v, "name");
        ri.plural = str_of(*names, "plural");
        ri.singular = str_of(*names, "singular");
        if (ri.singular.empty())
            ri.singular = lower(str_of(*names, "kind"));
        ri.kind = str_of(*names, "kind");
        ri.namespaced = str_of(*spec, "scope") != "Cluster";
        for (char const* field : {"shortNames", "categories"}) {
            auto const* a = names->if_contains(field);
            if (a && a->is_array())
                for (auto const& s : a->as_array())
                    if (s.is_string())
                        (std::string_view(field) == "shortNames" ? ri.short_names : ri.categories)
                            .emplace_back(s.as_string());
        }
        auto const* subs = obj_of(v, "subresources");
        ri.status_sub = subs && subs->contains("status");
        ri.custom = true;
        ri.generation = true;
        if (auto const* cols = v.if_contains("additionalPrinterColumns"); cols && cols->is_array())
            ri.printer_columns = cols->as_array();
        if (auto const* schema = obj_of(v, "schema"))
            if (auto const* structural = obj_of(*schema, "openAPIV3Schema"))
                ri.schema = *structural;
        add_resource(std::move(ri));
    }
}

void api_state::unregister_crd(json::object const& crd) {
    auto const* spec = obj_of(crd, "spec");
    auto const* names = spec ? obj_of(*spec, "names") : nullptr;
    if (!spec || !names)
        return;
    std::string const group = str_of(*spec, "group"), plural = str_of(*names, "plural");
    std::string const storage = group + "/" + plural;
    std::vector<std::pair<std::string, std::string>> doomed;
    for (auto const& [k, o] : objects)
        if (k.starts_with(storage + "/"))
            doomed.emplace_back(str_of(cmeta(*o), "namespace"), str_of(cmeta(*o), "name"));
    if (auto const* ri = info_for_storage(storage)) {
        resource_info const copy = *ri;
        for (auto const& [ns, n] : doomed)
            erase_object(copy, ns, n);
    }
    for (auto it = gvs.begin(); it != gvs.end();) {
        std::erase_if(it->second, [&](resource_info const& r) { return r.storage() == storage; });
        it = it->second.empty() ? gvs.erase(it) : std::next(it);
    }
    ++discovery_generation;
}

void api_handler::validate_crd(json::object const& o, std::vector<cause>& causes) {
    auto const* spec = obj_of(o, "spec");
    if (!spec) {
        causes.push_back({"FieldValueRequired", "Required value", "spec"});
        return;
    }
    std::string const group = str_of(*spec, "group");
    auto const* names = obj_of(*spec, "names");
    std::string const plural = names ? str_of(*names, "plural") : "";
    if (group.empty() || group.find('.') == std::string::npos)
        causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(group) + ": should be a domain with at least one dot",
                          "spec.group"});
    if (!names || plural.empty())
        causes.push_back({"FieldValueRequired", "Required value", "spec.names.plural"});
    if (!names || str_of(*names, "kind").empty())
        causes.push_back({"FieldValueRequired", "Required value", "spec.names.kind"});
    std::string const scope = str_of(*spec, "scope");
    if (scope != "Namespaced" && scope != "Cluster")
        causes.push_back({"FieldValueNotSupported",
                          "Unsupported value: " + quote_json(scope) + ": supported values: \"Cluster\", \"Namespaced\"",
                          "spec.scope"});
    std::string const name = str_of(cmeta(o), "name");
    if (!plural.empty() && !group.empty() && name != plural + "." + group)
        causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(name) + ": must be spec.names.plural+\".\"+spec.group",
                          "metadata.name"});
    auto const* versions = spec->if_contains("versions");
    int storage = 0;
    if (!versions || !versions->is_array() || versions->as_array().empty()) {
        causes.push_back({"FieldValueInvalid", "Invalid value: null: must have exactly one version marked as storage version",
                          "spec.versions"});
    } else {
        for (auto const& v : versions->as_array())
            if (v.is_object())
                if (auto const* s = v.as_object().if_contains("storage"); s && s->is_bool() && s->as_bool())
                    ++storage;
        if (storage != 1)
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: \"" + std::to_string(storage) +
                                  "\": must have exactly one version marked as storage version",
                              "spec.versions"});
    }
}

// Server-owned fields of a CRD: Established, NamesAccepted, accepted names, stored versions.
void api_handler::crd_status(json::object& o) {
    auto const* spec = obj_of(o, "spec");
    json::array stored;
    if (auto const* vs = spec ? spec->if_contains("versions") : nullptr; vs && vs->is_array())
        for (auto const& v : vs->as_array())
            if (v.is_object())
                if (auto const* s = v.as_object().if_contains("storage"); s && s->is_bool() && s->as_bool())
                    stored.push_back(json::value(str_of(v.as_object(), "name")));
    std::string const now = rfc3339(now_s());
    auto cond = [&](char const* type, char const* reason, char const* message) {
        return json::object{{"type", type},     {"status", "True"},     {"lastTransitionTime", now},
                            {"reason", reason}, {"message", message}};
    };
    json::object status;
    status["conditions"] = json::array{cond("NamesAccepted", "NoConflicts", "no conflicts found"),
                                       cond("Established", "InitialNamesAccepted", "the initial names have been accepted")};
    status["acceptedNames"] = spec && obj_of(*spec, "names") ? json::value(*obj_of(*spec, "names")) : json::value(json::object());
    status["storedVersions"] = stored;
    o["status"] = std::move(status);
}

}  // namespace esx::mocks::kube::detail
