// esx::spec: `esx validate`, the checks across the documents of a manifest set (see
// <esx/spec/manifest.hpp>). Each document was validated on its own while it was read; what is
// left is what only the set shows: duplicates, two ExternalSecrets owning one Secret, references
// to stores, Secrets and ConfigMaps that are in the files but do not fit, ClusterSecretStore
// conditions that refuse an ExternalSecret's namespace. A reference to something that is not in
// the files is a note: it may be in the cluster.
#ifndef ESX_SPEC_IMPL_VALIDATE_MANIFESTS_IPP
#define ESX_SPEC_IMPL_VALIDATE_MANIFESTS_IPP

#include <esx/spec/conditions.hpp>
#include <esx/spec/manifest.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace esx::spec {
namespace detail::manifest_checks {

namespace json = boost::json;

/// The core objects of the set by (kind, namespace, name).
using core_index = std::map<std::tuple<std::string, std::string, std::string>, json::object const*>;

inline std::string text_at(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline json::object const* object_at(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

struct checker {
    manifest_set const& set;
    validate_options const& options;
    validation_report report;
    core_index core;
    using key = std::tuple<std::string, std::string, std::string>;  ///< kind, namespace, name
    std::map<key, std::size_t> error_at, note_at;                   ///< report entry of a document
    std::map<key, document_origin const*> origins;

    std::string namespace_or_default(std::string const& ns) const {
        return ns.empty() ? options.default_namespace : ns;
    }

    /// The report entry of a document (created on first use), in `errors` or `notes`.
    document_error& entry(std::vector<document_error>& to, std::string_view kind, std::string const& ns,
                          std::string const& name, bool is_note) {
        auto& index = is_note ? note_at : error_at;
        key k{std::string(kind), ns, name};
        if (auto it = index.find(k); it != index.end()) return to[it->second];
        index.emplace(k, to.size());
        document_error e;
        e.kind = kind;
        e.name = name;
        e.namespace_ = ns;
        if (auto it = origins.find(k); it != origins.end()) {
            auto const* o = it->second;
            e.source = o->source;
            e.index = o->index;
            e.line = o->line;
        }
        if (!is_note) {
            e.error.code = make_error_code(error::invalid_option);
            e.error.reason = "Invalid";
        }
        to.push_back(std::move(e));
        return to.back();
    }
    void add(bool is_note, std::string_view kind, std::string const& ns, std::string const& name, std::string field,
             std::string_view reason, std::string message) {
        auto& e = entry(is_note ? report.notes : report.errors, kind, ns, name, is_note);
        if (!e.error.message.empty()) e.error.message += '\n';
        e.error.message += field.empty() ? message : field + ": " + message;
        e.error.causes.push_back({std::move(field), std::string(reason), std::move(message)});
    }
    void error(std::string_view kind, std::string const& ns, std::string const& name, std::string field,
               std::string_view reason, std::string message) {
        add(false, kind, ns, name, std::move(field), reason, std::move(message));
    }
    void note(std::string_view kind, std::string const& ns, std::string const& name, std::string field,
              std::string message) {
        add(true, kind, ns, name, std::move(field), "", std::move(message));
    }

    json::object const* find_core(std::string_view kind, std::string const& ns, std::string const& name) const {
        auto it = core.find({std::string(kind), ns, name});
        return it == core.end() ? nullptr : it->second;
    }

    static std::string where(document_origin const* o) {
        if (!o) return "the files";
        return o->source + " document " + std::to_string(o->index);
    }

    /// The same object twice: kubectl would apply the later one over the earlier.
    void duplicates() {
        std::map<std::tuple<std::string, std::string, std::string>, document_origin const*> seen;
        for (auto const& d : set.documents) {
            bool cluster = d.kind == "ClusterSecretStore" || d.kind == "ClusterExternalSecret" || d.kind == "Namespace";
            std::string ns = cluster ? std::string() : namespace_or_default(d.namespace_);
            auto [it, fresh] = seen.emplace(std::make_tuple(d.kind, ns, d.name), &d);
            if (fresh) continue;
            document_error e{d.source, d.index, d.line, d.kind, d.name, ns,
                             failure(make_error_code(error::invalid_option))};
            e.error.reason = "Invalid";
            std::string message = "Duplicate value: " + d.kind + " \"" + d.name + "\" is also defined in " +
                                  where(it->second) + "; only one definition can apply";
            e.error.message = "metadata.name: " + message;
            e.error.causes.push_back({"metadata.name", std::string(reasons::duplicate), message});
            error_at.emplace(key{d.kind, ns, d.name}, report.errors.size());
            report.errors.push_back(std::move(e));
        }
    }

    /// Origins by (kind, namespace with the default applied, name); the first definition wins.
    void index_origins() {
        for (auto const& d : set.documents) {
            bool cluster = d.kind == "ClusterSecretStore" || d.kind == "ClusterExternalSecret" || d.kind == "Namespace";
            origins.emplace(key{d.kind, cluster ? std::string() : namespace_or_default(d.namespace_), d.name}, &d);
        }
    }

    document_origin const* origin_of(std::string_view kind, std::string const& ns, std::string const& name) const {
        auto it = origins.find(key{std::string(kind), ns, name});
        return it == origins.end() ? nullptr : it->second;
    }

    void index_core() {
        for (auto const& o : set.core_objects) {
            std::string kind = text_at(o, "kind");
            std::string name, ns;
            if (auto const* m = object_at(o, "metadata")) {
                name = text_at(*m, "name");
                ns = kind == "Namespace" ? std::string() : namespace_or_default(text_at(*m, "namespace"));
            }
            core[{kind, ns, name}] = &o;
        }
    }

    /// The labels of namespace `ns`: its document's, plus the one the API server sets.
    std::map<std::string, std::string> namespace_labels(std::string const& ns, bool& known) const {
        std::map<std::string, std::string> labels;
        known = false;
        if (auto const* n = find_core("Namespace", "", ns)) {
            known = true;
            if (auto const* m = object_at(*n, "metadata"))
                if (auto const* l = object_at(*m, "labels"))
                    for (auto const& kv : *l)
                        if (kv.value().is_string()) labels[std::string(kv.key())] = std::string(kv.value().get_string());
        }
        labels["kubernetes.io/metadata.name"] = ns;
        return labels;
    }

    secret_store const* find_store(store_ref const& ref, std::string const& ns) const {
        for (auto const& s : set.stores) {
            if (s.kind != ref.kind || s.metadata.name != ref.name) continue;
            if (s.kind == store_kind::secret_store && namespace_or_default(s.metadata.namespace_) != ns) continue;
            return &s;
        }
        return nullptr;
    }

    /// A store reference of an ExternalSecret in `ns`.
    void check_store_ref(std::string_view kind, std::string const& ns, std::string const& name, store_ref const& ref,
                         std::string const& field) {
        if (ref.name.empty()) return;
        auto const* store = find_store(ref, ns);
        if (!store) {
            note(kind, ns, name, field,
                 std::string(to_string(ref.kind)) + " \"" + ref.name + "\" is not in the files" +
                     (ref.kind == store_kind::secret_store ? " of namespace \"" + ns + "\"" : std::string()) +
                     ": it must exist in the cluster");
            return;
        }
        if (store->kind != store_kind::cluster_secret_store || store->spec.conditions.empty()) return;
        bool known = false;
        auto labels = namespace_labels(ns, known);
        if (check_store_access(*store, ns, labels)) return;
        bool selectors = false;
        for (auto const& c : store->spec.conditions) selectors = selectors || c.namespace_selector.has_value();
        std::string message = "ClusterSecretStore \"" + ref.name + "\" does not allow namespace \"" + ns +
                              "\": none of its spec.conditions matches";
        if (known || !selectors) error(kind, ns, name, field, reasons::forbidden, std::move(message));
        else
            note(kind, ns, name, field,
                 message + " (the namespace is not in the files: its labels may match a namespaceSelector)");
    }

    /// `key` of Secret or ConfigMap `ref_name`: in `data`, `stringData` or `binaryData`.
    static bool has_key(json::object const& o, std::string const& key) {
        for (std::string_view field : {"data", "stringData", "binaryData"})
            if (auto const* d = object_at(o, field); d && d->contains(key)) return true;
        return false;
    }

    /// A key of a Secret or ConfigMap that a document reads.
    void check_key_ref(std::string_view kind, std::string const& ns, std::string const& name,
                       std::string_view ref_kind, std::string const& ref_ns, std::string const& ref_name,
                       std::string const& key, std::string const& field) {
        if (ref_name.empty()) return;
        auto const* o = find_core(ref_kind, ref_ns, ref_name);
        if (!o) {
            note(kind, ns, name, field,
                 std::string(ref_kind) + " \"" + ref_ns + "/" + ref_name + "\" is not in the files: it must exist "
                                                                        "in the cluster");
            return;
        }
        if (!key.empty() && !has_key(*o, key))
            error(kind, ns, name, field + ".key", reasons::not_supported,
                  std::string(ref_kind) + " \"" + ref_ns + "/" + ref_name + "\" (" + where(origin_of(ref_kind, ref_ns, ref_name)) +
                      ") has no key \"" + key + "\"");
    }

    void check_store(secret_store const& s) {
        std::string_view kind = to_string(s.kind);
        bool cluster = s.kind == store_kind::cluster_secret_store;
        std::string ns = cluster ? std::string() : namespace_or_default(s.metadata.namespace_);
        std::string const& name = s.metadata.name;
        auto const& p = s.spec.provider;
        std::string base = "spec.provider.azurekv";
        if (p.auth_secret_ref) {
            auto one = [&](std::optional<secret_key_selector> const& ref, std::string_view field) {
                if (!ref) return;
                std::string ref_ns = ref->namespace_.value_or(ns);
                if (ref_ns.empty()) return;  // refused while reading
                check_key_ref(kind, ns, name, "Secret", ref_ns, ref->name, ref->key,
                              base + ".authSecretRef." + std::string(field));
            };
            one(p.auth_secret_ref->client_id, "clientId");
            one(p.auth_secret_ref->client_secret, "clientSecret");
            one(p.auth_secret_ref->client_certificate, "clientCertificate");
            one(p.auth_secret_ref->tenant_id, "tenantId");
        }
        if (p.auth_type == azure_auth_type::workload_identity && p.service_account_ref) {
            std::string sa_ns = p.service_account_ref->namespace_.value_or(ns);
            if (sa_ns.empty()) return;
            std::string field = base + ".serviceAccountRef";
            auto const* sa = find_core("ServiceAccount", sa_ns, p.service_account_ref->name);
            if (!sa) {
                note(kind, ns, name, field,
                     "ServiceAccount \"" + sa_ns + "/" + p.service_account_ref->name +
                         "\" is not in the files: it must exist in the cluster");
                return;
            }
            std::map<std::string, std::string> annotations;
            if (auto const* m = object_at(*sa, "metadata"))
                if (auto const* a = object_at(*m, "annotations"))
                    for (auto const& kv : *a)
                        if (kv.value().is_string()) annotations[std::string(kv.key())] = std::string(kv.value().get_string());
            // ESO's order (authorizerForWorkloadIdentity): the client ID from authSecretRef or the
            // annotation, not both; the tenant ID from authSecretRef, tenantId or the annotation, not
            // two of them, else the controller's AZURE_TENANT_ID.
            std::string sa_name = "ServiceAccount \"" + sa_ns + "/" + p.service_account_ref->name + "\"";
            bool client_from_secret = p.auth_secret_ref && p.auth_secret_ref->client_id;
            bool client_annotated = annotations.contains("azure.workload.identity/client-id");
            if (client_from_secret && client_annotated)
                error(kind, ns, name, field, reasons::invalid,
                      "multiple clientID found. Check secretRef and serviceAccountRef (" + sa_name +
                          " has the annotation azure.workload.identity/client-id and authSecretRef.clientId is set)");
            else if (!client_from_secret && !client_annotated)
                error(kind, ns, name, field, reasons::required,
                      "missing clientID: either serviceAccountRef or service account annotation "
                      "'azure.workload.identity/client-id' is missing (" + sa_name + " has no such annotation)");
            bool tenant_set = (p.auth_secret_ref && p.auth_secret_ref->tenant_id) || p.tenant_id;
            bool tenant_annotated = annotations.contains("azure.workload.identity/tenant-id");
            if (tenant_set && tenant_annotated)
                error(kind, ns, name, field, reasons::invalid,
                      "multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef (" +
                          sa_name + " has the annotation azure.workload.identity/tenant-id)");
            else if (!tenant_set && !tenant_annotated)
                note(kind, ns, name, field,
                     sa_name + " has no annotation azure.workload.identity/tenant-id and the store names no tenant: "
                               "the tenant comes from AZURE_TENANT_ID where the sync runs, or the sync fails with "
                               "\"missing tenantID in store config\"");
        }
    }

    /// Store refs and template sources of an ExternalSecret spec living in `ns`.
    void check_spec(std::string_view kind, std::string const& ns, std::string const& name,
                    external_secret_spec const& spec, std::string const& base) {
        check_store_ref(kind, ns, name, spec.secret_store_ref, base + ".secretStoreRef");
        for (std::size_t i = 0; i < spec.data.size(); ++i)
            if (auto const& src = spec.data[i].source; src && src->store)
                check_store_ref(kind, ns, name, *src->store, base + ".data[" + std::to_string(i) + "].sourceRef.storeRef");
        for (std::size_t i = 0; i < spec.data_from.size(); ++i)
            if (auto const& src = spec.data_from[i].source; src && src->store)
                check_store_ref(kind, ns, name, *src->store,
                                base + ".dataFrom[" + std::to_string(i) + "].sourceRef.storeRef");
        if (!spec.target.template_) return;
        auto const& from = spec.target.template_->from;
        for (std::size_t i = 0; i < from.size(); ++i) {
            std::string at = base + ".target.template.templateFrom[" + std::to_string(i) + "]";
            auto refs = [&](std::optional<template_ref> const& ref, std::string_view ref_kind, std::string_view field) {
                if (!ref) return;
                std::string f = at + "." + std::string(field);
                if (!find_core(ref_kind, ns, ref->name)) {
                    check_key_ref(kind, ns, name, ref_kind, ns, ref->name, "", f);
                    return;
                }
                for (std::size_t j = 0; j < ref->items.size(); ++j)
                    check_key_ref(kind, ns, name, ref_kind, ns, ref->name, ref->items[j].key,
                                  f + ".items[" + std::to_string(j) + "]");
            };
            refs(from[i].config_map, "ConfigMap", "configMap");
            refs(from[i].secret, "Secret", "secret");
        }
    }

    /// Two ExternalSecrets of one namespace writing one Secret: ESO lets one owner have it.
    void shared_targets() {
        std::map<std::pair<std::string, std::string>, external_secret const*> owners;
        for (auto const& es : set.external_secrets) {
            if (es.spec.target.creation == creation_policy::merge || es.spec.target.creation == creation_policy::none)
                continue;
            std::string ns = namespace_or_default(es.metadata.namespace_);
            std::string target = es.spec.target.name.empty() ? es.metadata.name : es.spec.target.name;
            auto [it, fresh] = owners.emplace(std::make_pair(ns, target), &es);
            if (fresh) continue;
            auto const& first = *it->second;
            if (first.metadata.name == es.metadata.name) continue;  // the same object twice: reported as a duplicate
            bool both_own = first.spec.target.creation == creation_policy::owner &&
                            es.spec.target.creation == creation_policy::owner;
            std::string message = "Secret \"" + target + "\" is also the target of ExternalSecret \"" +
                                  first.metadata.name + "\"";
            if (both_own)
                error("ExternalSecret", ns, es.metadata.name, "spec.target.name", reasons::duplicate,
                      message + "; with creationPolicy Owner only one of them can own it (ESO fails the other)");
            else
                note("ExternalSecret", ns, es.metadata.name, "spec.target.name",
                     message + ": each sync overwrites the other's keys");
        }
    }

    void run() {
        report.errors = set.errors;
        index_origins();
        index_core();
        duplicates();
        for (auto const& s : set.stores) check_store(s);
        for (auto const& es : set.external_secrets)
            check_spec("ExternalSecret", namespace_or_default(es.metadata.namespace_), es.metadata.name, es.spec,
                       "spec");
        for (auto const& ces : set.cluster_external_secrets) {
            // The namespaces it selects are the cluster's: only a ClusterSecretStore can be checked here.
            auto const& spec = ces.spec.external_secret_spec;
            auto const& ref = spec.secret_store_ref;
            if (ref.kind == store_kind::cluster_secret_store && !ref.name.empty() && !find_store(ref, ""))
                note("ClusterExternalSecret", "", ces.metadata.name, "spec.externalSecretSpec.secretStoreRef",
                     "ClusterSecretStore \"" + ref.name + "\" is not in the files: it must exist in the cluster");
        }
        shared_targets();
    }
};

} // namespace detail::manifest_checks

ESX_DECL validation_report validate_manifests(manifest_set const& set, validate_options const& options) {
    detail::manifest_checks::checker c{.set = set, .options = options};
    c.run();
    return std::move(c.report);
}

ESX_DECL validation_report validate_manifests(manifest_set const& set) {
    return validate_manifests(set, validate_options{});
}

} // namespace esx::spec

#endif
