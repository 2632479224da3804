// Out-of-line definitions of <esx/controller/cluster_external_secret.hpp>.
#ifndef ESX_CONTROLLER_IMPL_CLUSTER_EXTERNAL_SECRET_IPP
#define ESX_CONTROLLER_IMPL_CLUSTER_EXTERNAL_SECRET_IPP

#include <esx/controller/cluster_external_secret.hpp>
#include <esx/spec/conditions.hpp>

namespace esx::controller::detail {

namespace ces_impl {

inline boost::json::object const* object_at(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

inline std::string text_at(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::map<std::string, std::string> string_map(boost::json::object const* o) {
    std::map<std::string, std::string> out;
    if (!o) return out;
    for (auto const& [k, v] : *o)
        if (v.is_string()) out.emplace(std::string(k), std::string(v.as_string()));
    return out;
}

inline boost::json::object to_object(std::map<std::string, std::string> const& m) {
    boost::json::object o;
    for (auto const& [k, v] : m) o[k] = v;
    return o;
}

/// The labels and annotations `ces` wants on its children.
inline std::map<std::string, std::string> wanted_annotations(spec::cluster_external_secret const& ces) {
    auto out = ces.spec.external_secret_metadata.annotations;
    out.erase(std::string(force_sync_annotation_eso));
    if (auto it = ces.metadata.annotations.find(std::string(force_sync_annotation_eso)); it != ces.metadata.annotations.end())
        out[it->first] = it->second;
    return out;
}

inline bool is_ces_controller(boost::json::object const& ref, std::string_view ces_name) {
    auto const* controller = ref.if_contains("controller");
    if (!controller || !controller->is_bool() || !controller->as_bool()) return false;
    std::string const api = text_at(ref, "apiVersion");
    auto const slash = api.find('/');
    std::string const group = slash == std::string::npos ? std::string() : api.substr(0, slash);
    return group == spec::group && text_at(ref, "kind") == "ClusterExternalSecret" && text_at(ref, "name") == ces_name;
}

} // namespace ces_impl

ESX_DECL bool selects(spec::cluster_external_secret_spec const& ces, std::string_view ns,
                      std::map<std::string, std::string> const& labels) {
    for (auto const& n : ces.namespaces)
        if (n == ns) return true;
    if (ces.namespace_selector && spec::matches(*ces.namespace_selector, labels)) return true;
    for (auto const& s : ces.namespace_selectors)
        if (spec::matches(s, labels)) return true;
    return false;
}

ESX_DECL std::vector<namespace_info> namespaces_of(boost::json::array const& items) {
    std::vector<namespace_info> out;
    out.reserve(items.size());
    for (auto const& item : items) {
        if (!item.is_object()) continue;
        auto const* meta = ces_impl::object_at(item.as_object(), "metadata");
        if (!meta) continue;
        namespace_info n;
        n.name = ces_impl::text_at(*meta, "name");
        n.labels = ces_impl::string_map(ces_impl::object_at(*meta, "labels"));
        // The API server sets this label; a selector on it must see it even if a mock does not.
        n.labels.emplace("kubernetes.io/metadata.name", n.name);
        n.terminating = meta->if_contains("deletionTimestamp") != nullptr &&
                        !meta->at("deletionTimestamp").is_null();
        if (auto const* status = ces_impl::object_at(item.as_object(), "status"))
            n.terminating = n.terminating || ces_impl::text_at(*status, "phase") == "Terminating";
        if (!n.name.empty()) out.push_back(std::move(n));
    }
    return out;
}

ESX_DECL cluster_external_secret_status read_ces_status(boost::json::value const* status) {
    cluster_external_secret_status s;
    if (!status || !status->is_object()) return s;
    auto const& o = status->as_object();
    s.external_secret_name = ces_impl::text_at(o, "externalSecretName");
    if (auto const* p = o.if_contains("provisionedNamespaces"); p && p->is_array())
        for (auto const& n : p->as_array())
            if (n.is_string()) s.provisioned_namespaces.emplace_back(n.as_string());
    if (auto const* f = o.if_contains("failedNamespaces"); f && f->is_array())
        for (auto const& item : f->as_array())
            if (item.is_object())
                s.failed_namespaces.emplace_back(ces_impl::text_at(item.as_object(), "namespace"),
                                                 ces_impl::text_at(item.as_object(), "reason"));
    s.ready = condition_of(status, "Ready");
    if (s.ready) s.ready->last_transition_time.clear();  // ESO's CES condition has none
    return s;
}

ESX_DECL boost::json::object ces_status_patch(cluster_external_secret_status const& s) {
    boost::json::object st;
    st["externalSecretName"] = s.external_secret_name;
    if (s.provisioned_namespaces.empty()) {
        st["provisionedNamespaces"] = nullptr;
    } else {
        boost::json::array a;
        for (auto const& n : s.provisioned_namespaces) a.emplace_back(n);
        st["provisionedNamespaces"] = std::move(a);
    }
    if (s.failed_namespaces.empty()) {
        st["failedNamespaces"] = nullptr;
    } else {
        boost::json::array a;
        for (auto const& [ns, why] : s.failed_namespaces) {
            boost::json::object f{{"namespace", ns}};
            if (!why.empty()) f["reason"] = why;
            a.emplace_back(std::move(f));
        }
        st["failedNamespaces"] = std::move(a);
    }
    boost::json::array conditions;
    if (s.ready) conditions.emplace_back(to_json(*s.ready));
    st["conditions"] = std::move(conditions);
    return boost::json::object{{"status", std::move(st)}};
}

ESX_DECL bool owned_by_ces(boost::json::object const& es, std::string_view ces_name) {
    auto const* meta = ces_impl::object_at(es, "metadata");
    if (!meta) return false;
    auto const* refs = meta->if_contains("ownerReferences");
    if (!refs || !refs->is_array()) return false;
    for (auto const& r : refs->as_array())
        if (r.is_object() && ces_impl::is_ces_controller(r.as_object(), ces_name)) return true;
    return false;
}

ESX_DECL boost::json::object child_external_secret(spec::cluster_external_secret const& ces, std::string_view ns,
                                                   std::string_view name) {
    boost::json::object meta{{"name", name}, {"namespace", ns}};
    if (!ces.spec.external_secret_metadata.labels.empty())
        meta["labels"] = ces_impl::to_object(ces.spec.external_secret_metadata.labels);
    auto annotations = ces_impl::wanted_annotations(ces);
    if (!annotations.empty()) meta["annotations"] = ces_impl::to_object(annotations);
    boost::json::object owner{{"apiVersion", spec::api_v1},
                              {"kind", "ClusterExternalSecret"},
                              {"name", ces.metadata.name},
                              {"uid", ces.metadata.uid},
                              {"controller", true},
                              {"blockOwnerDeletion", true}};
    meta["ownerReferences"] = boost::json::array{std::move(owner)};
    return boost::json::object{{"apiVersion", spec::api_v1},
                               {"kind", "ExternalSecret"},
                               {"metadata", std::move(meta)},
                               {"spec", spec::to_json(ces.spec.external_secret_spec)}};
}

ESX_DECL bool child_up_to_date(boost::json::object const& existing, spec::cluster_external_secret const& ces) {
    auto const* meta = ces_impl::object_at(existing, "metadata");
    if (!meta) return false;
    if (ces_impl::string_map(ces_impl::object_at(*meta, "labels")) != ces.spec.external_secret_metadata.labels) return false;
    if (ces_impl::string_map(ces_impl::object_at(*meta, "annotations")) != ces_impl::wanted_annotations(ces)) return false;
    bool owner = false;
    if (auto const* refs = meta->if_contains("ownerReferences"); refs && refs->is_array())
        for (auto const& r : refs->as_array())
            owner = owner || (r.is_object() && ces_impl::is_ces_controller(r.as_object(), ces.metadata.name) &&
                              ces_impl::text_at(r.as_object(), "uid") == ces.metadata.uid);
    if (!owner) return false;
    // The spec as esx reads it (CRD defaults and C++ defaults agree), so a server-defaulted copy
    // of the same spec compares equal.
    auto parsed = spec::read_external_secret(boost::json::value(existing));
    return parsed && parsed->spec == ces.spec.external_secret_spec;
}

ESX_DECL boost::json::object child_updated(boost::json::object existing, boost::json::object const& desired) {
    auto const& want = desired.at("metadata").as_object();
    auto& meta = existing["metadata"].as_object();
    for (char const* k : {"labels", "annotations"}) {
        if (auto const* v = want.if_contains(k)) meta[k] = *v;
        else meta.erase(k);
    }
    boost::json::array refs;
    if (auto const* old = meta.if_contains("ownerReferences"); old && old->is_array())
        for (auto const& r : old->as_array()) {
            auto const* c = r.is_object() ? r.as_object().if_contains("controller") : nullptr;
            if (!(c && c->is_bool() && c->as_bool())) refs.push_back(r);  // one controller: ours
        }
    for (auto const& r : want.at("ownerReferences").as_array()) refs.push_back(r);
    meta["ownerReferences"] = std::move(refs);
    existing["spec"] = desired.at("spec");
    existing.erase("status");
    return existing;
}

} // namespace esx::controller::detail

#endif
