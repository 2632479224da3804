// esx::spec: ESO resources to JSON, in ESO's field names, unset fields left out.
#ifndef ESX_SPEC_IMPL_WRITE_IPP
#define ESX_SPEC_IMPL_WRITE_IPP

#include <esx/spec/duration.hpp>
#include <esx/spec/json.hpp>

#include <boost/json/value.hpp>

namespace esx::spec {
namespace detail::write_impl {

namespace json = boost::json;

inline std::string_view name_of(refresh_policy p) {
    switch (p) {
    case refresh_policy::created_once: return "CreatedOnce";
    case refresh_policy::on_change: return "OnChange";
    default: return "Periodic";
    }
}
inline std::string_view name_of(creation_policy p) {
    switch (p) {
    case creation_policy::orphan: return "Orphan";
    case creation_policy::merge: return "Merge";
    case creation_policy::none: return "None";
    case creation_policy::create_or_merge: return "CreateOrMerge";
    default: return "Owner";
    }
}
inline std::string_view name_of(deletion_policy p) {
    switch (p) {
    case deletion_policy::delete_: return "Delete";
    case deletion_policy::merge: return "Merge";
    default: return "Retain";
    }
}
inline std::string_view name_of(metadata_policy p) { return p == metadata_policy::fetch ? "Fetch" : "None"; }
inline std::string_view name_of(conversion_strategy c) { return c == conversion_strategy::unicode ? "Unicode" : "Default"; }
inline std::string_view name_of(decoding_strategy d) {
    switch (d) {
    case decoding_strategy::auto_: return "Auto";
    case decoding_strategy::base64: return "Base64";
    case decoding_strategy::base64url: return "Base64URL";
    default: return "None";
    }
}
inline std::string_view name_of(null_byte_policy p) { return p == null_byte_policy::fail ? "Fail" : "Ignore"; }
inline std::string_view name_of(template_merge_policy p) { return p == template_merge_policy::merge ? "Merge" : "Replace"; }
inline std::string_view name_of(template_scope s) { return s == template_scope::keys_and_values ? "KeysAndValues" : "Values"; }
inline std::string_view name_of(template_target t) {
    switch (t) {
    case template_target::annotations: return "Annotations";
    case template_target::labels: return "Labels";
    default: return "Data";
    }
}
inline std::string_view name_of(merge_conflict_policy p) { return p == merge_conflict_policy::ignore ? "Ignore" : "Error"; }
inline std::string_view name_of(merge_strategy s) { return s == merge_strategy::json ? "JSON" : "Extract"; }
inline std::string_view name_of(merge_priority_policy p) {
    return p == merge_priority_policy::ignore_not_found ? "IgnoreNotFound" : "Strict";
}
inline std::string_view name_of(sync_window_kind k) { return k == sync_window_kind::deny ? "deny" : "allow"; }

inline json::object string_map(std::map<std::string, std::string> const& m) {
    json::object o;
    for (auto const& [k, v] : m) o[k] = v;
    return o;
}
inline json::array string_list(std::vector<std::string> const& v) {
    json::array a;
    for (auto const& s : v) a.emplace_back(s);
    return a;
}
inline void put_if(json::object& o, std::string_view key, std::string const& s) {
    if (!s.empty()) o[key] = s;
}
inline void put_if(json::object& o, std::string_view key, std::optional<std::string> const& s) {
    if (s) o[key] = *s;
}
inline void put_if(json::object& o, std::string_view key, std::map<std::string, std::string> const& m) {
    if (!m.empty()) o[key] = string_map(m);
}
inline void put_if(json::object& o, std::string_view key, std::vector<std::string> const& v) {
    if (!v.empty()) o[key] = string_list(v);
}

inline json::object metadata(object_meta const& m) {
    json::object o;
    o["name"] = m.name;
    put_if(o, "namespace", m.namespace_);
    put_if(o, "labels", m.labels);
    put_if(o, "annotations", m.annotations);
    put_if(o, "uid", m.uid);
    put_if(o, "resourceVersion", m.resource_version);
    if (m.generation != 0) o["generation"] = m.generation;
    if (m.deletion_timestamp) o["deletionTimestamp"] = *m.deletion_timestamp;
    put_if(o, "finalizers", m.finalizers);
    if (!m.owner_references.empty()) {
        json::array refs;
        for (auto const& r : m.owner_references) {
            json::object ref{{"apiVersion", r.api_version}, {"kind", r.kind}, {"name", r.name}, {"uid", r.uid}};
            if (r.controller) ref["controller"] = true;
            if (r.block_owner_deletion) ref["blockOwnerDeletion"] = true;
            refs.push_back(std::move(ref));
        }
        o["ownerReferences"] = std::move(refs);
    }
    return o;
}

inline json::object selector(secret_key_selector const& s) {
    json::object o;
    o["name"] = s.name;
    o["key"] = s.key;
    put_if(o, "namespace", s.namespace_);
    return o;
}

inline json::object label_selector_json(label_selector const& s) {
    json::object o;
    put_if(o, "matchLabels", s.match_labels);
    if (!s.match_expressions.empty()) {
        json::array a;
        for (auto const& e : s.match_expressions) {
            json::object x;
            x["key"] = e.key;
            x["operator"] = e.operator_;
            put_if(x, "values", e.values);
            a.push_back(std::move(x));
        }
        o["matchExpressions"] = std::move(a);
    }
    return o;
}

inline json::object azurekv(azurekv_provider const& az, bool v1) {
    json::object o;
    o["authType"] = to_string(az.auth_type);
    o["vaultUrl"] = az.vault_url;
    put_if(o, "tenantId", az.tenant_id);
    o["environmentType"] = to_string(az.environment_type);
    if (az.auth_secret_ref) {
        json::object a;
        auto const& r = *az.auth_secret_ref;
        if (r.client_id) a["clientId"] = selector(*r.client_id);
        if (r.client_secret) a["clientSecret"] = selector(*r.client_secret);
        if (r.client_certificate) a["clientCertificate"] = selector(*r.client_certificate);
        if (r.tenant_id) a["tenantId"] = selector(*r.tenant_id);
        o["authSecretRef"] = std::move(a);
    }
    put_if(o, "identityId", az.identity_id);
    if (az.service_account_ref) {
        json::object s;
        s["name"] = az.service_account_ref->name;
        put_if(s, "namespace", az.service_account_ref->namespace_);
        put_if(s, "audiences", az.service_account_ref->audiences);
        o["serviceAccountRef"] = std::move(s);
    }
    if (v1 && az.use_azure_sdk) o["useAzureSDK"] = true;
    if (v1 && az.custom_cloud_config) {
        json::object c;
        auto const& cc = *az.custom_cloud_config;
        c["activeDirectoryEndpoint"] = cc.active_directory_endpoint;
        put_if(c, "keyVaultEndpoint", cc.key_vault_endpoint);
        put_if(c, "keyVaultDNSSuffix", cc.key_vault_dns_suffix);
        put_if(c, "resourceManagerEndpoint", cc.resource_manager_endpoint);
        o["customCloudConfig"] = std::move(c);
    }
    return o;
}

inline json::object store_ref_json(store_ref const& r) {
    json::object o;
    put_if(o, "name", r.name);
    o["kind"] = to_string(r.kind);
    return o;
}

inline json::object source_ref_json(source_ref const& s) {
    json::object o;
    if (s.store) o["storeRef"] = store_ref_json(*s.store);
    if (s.generator) {
        json::object g;
        put_if(g, "apiVersion", s.generator->api_version);
        g["kind"] = s.generator->kind;
        g["name"] = s.generator->name;
        o["generatorRef"] = std::move(g);
    }
    return o;
}

inline json::object remote_ref_json(remote_ref const& r, bool v1) {
    json::object o;
    o["key"] = r.key;
    put_if(o, "version", r.version);
    put_if(o, "property", r.property);
    o["metadataPolicy"] = name_of(r.metadata);
    o["conversionStrategy"] = name_of(r.conversion);
    o["decodingStrategy"] = name_of(r.decoding);
    if (v1 && r.null_bytes != null_byte_policy::ignore) o["nullBytePolicy"] = name_of(r.null_bytes);
    return o;
}

inline json::object template_json(secret_template const& t, bool v1) {
    json::object o;
    put_if(o, "type", t.type);
    o["engineVersion"] = t.engine_version;
    json::object m;
    put_if(m, "labels", t.metadata.labels);
    put_if(m, "annotations", t.metadata.annotations);
    if (v1) put_if(m, "finalizers", t.metadata.finalizers);
    if (!m.empty()) o["metadata"] = std::move(m);
    o["mergePolicy"] = name_of(t.merge_policy);
    put_if(o, "data", t.data);
    if (!t.from.empty()) {
        json::array a;
        for (auto const& f : t.from) {
            json::object x;
            auto ref = [](template_ref const& r) {
                json::object y;
                y["name"] = r.name;
                json::array items;
                for (auto const& i : r.items) {
                    json::object it;
                    it["key"] = i.key;
                    it["templateAs"] = name_of(i.template_as);
                    items.push_back(std::move(it));
                }
                y["items"] = std::move(items);
                return y;
            };
            if (f.config_map) x["configMap"] = ref(*f.config_map);
            if (f.secret) x["secret"] = ref(*f.secret);
            x["target"] = name_of(f.target);
            put_if(x, "literal", f.literal);
            if (v1 && f.values_decoding != decoding_strategy::none)
                x["valuesDecodingStrategy"] = name_of(f.values_decoding);
            a.push_back(std::move(x));
        }
        o["templateFrom"] = std::move(a);
    }
    return o;
}

inline json::object es_spec(external_secret_spec const& s, bool v1) {
    json::object o;
    if (!s.secret_store_ref.name.empty()) o["secretStoreRef"] = store_ref_json(s.secret_store_ref);
    json::object t;
    put_if(t, "name", s.target.name);
    t["creationPolicy"] = name_of(s.target.creation);
    t["deletionPolicy"] = name_of(s.target.deletion);
    if (s.target.template_) t["template"] = template_json(*s.target.template_, v1);
    if (v1 && s.target.manifest)
        t["manifest"] = json::object{{"apiVersion", s.target.manifest->api_version}, {"kind", s.target.manifest->kind}};
    if (s.target.immutable) t["immutable"] = true;
    o["target"] = std::move(t);
    if (s.refresh_policy) o["refreshPolicy"] = name_of(*s.refresh_policy);
    o["refreshInterval"] = format_duration(s.refresh_interval);
    if (v1 && s.sync_windows) {
        json::array windows;
        for (auto const& w : s.sync_windows->windows)
            windows.push_back(json::object{{"schedule", w.schedule}, {"duration", format_duration(w.duration)}});
        o["syncWindows"] = json::object{{"kind", name_of(s.sync_windows->kind)}, {"windows", std::move(windows)}};
    }
    if (!s.data.empty()) {
        json::array a;
        for (auto const& d : s.data) {
            json::object x;
            x["secretKey"] = d.secret_key;
            x["remoteRef"] = remote_ref_json(d.remote, v1);
            if (d.source) x["sourceRef"] = source_ref_json(*d.source);
            a.push_back(std::move(x));
        }
        o["data"] = std::move(a);
    }
    if (!s.data_from.empty()) {
        json::array a;
        for (auto const& f : s.data_from) {
            json::object x;
            if (f.extract) x["extract"] = remote_ref_json(*f.extract, v1);
            if (f.find) {
                json::object fd;
                put_if(fd, "path", f.find->path);
                if (f.find->name_regexp) fd["name"] = json::object{{"regexp", *f.find->name_regexp}};
                put_if(fd, "tags", f.find->tags);
                fd["conversionStrategy"] = name_of(f.find->conversion);
                fd["decodingStrategy"] = name_of(f.find->decoding);
                if (v1 && f.find->null_bytes != null_byte_policy::ignore) fd["nullBytePolicy"] = name_of(f.find->null_bytes);
                x["find"] = std::move(fd);
            }
            if (!f.rewrites.empty()) {
                json::array rw;
                for (auto const& w : f.rewrites) {
                    json::object y;
                    if (w.regexp) y["regexp"] = json::object{{"source", w.regexp->source}, {"target", w.regexp->target}};
                    if (w.transform) y["transform"] = json::object{{"template", w.transform->template_}};
                    if (v1 && w.merge) {
                        json::object m;
                        put_if(m, "into", w.merge->into);
                        put_if(m, "priority", w.merge->priority);
                        m["conflictPolicy"] = name_of(w.merge->conflict_policy);
                        m["priorityPolicy"] = name_of(w.merge->priority_policy);
                        m["strategy"] = name_of(w.merge->strategy);
                        y["merge"] = std::move(m);
                    }
                    rw.push_back(std::move(y));
                }
                x["rewrite"] = std::move(rw);
            }
            if (f.source) x["sourceRef"] = source_ref_json(*f.source);
            a.push_back(std::move(x));
        }
        o["dataFrom"] = std::move(a);
    }
    return o;
}

inline bool is_v1(std::string const& api_version) { return api_version != api_v1beta1; }

} // namespace detail::write_impl

ESX_DECL boost::json::value to_json(secret_store const& s) {
    using namespace detail::write_impl;
    json::object o;
    o["apiVersion"] = s.api_version.empty() ? std::string(api_v1) : s.api_version;
    o["kind"] = to_string(s.kind);
    o["metadata"] = metadata(s.metadata);
    json::object spec;
    put_if(spec, "controller", s.spec.controller);
    if (s.spec.refresh_interval) spec["refreshInterval"] = s.spec.refresh_interval->count();
    spec["provider"] = json::object{{"azurekv", azurekv(s.spec.provider, is_v1(s.api_version))}};
    if (s.spec.retry_settings) {
        json::object r;
        if (s.spec.retry_settings->max_retries) r["maxRetries"] = *s.spec.retry_settings->max_retries;
        put_if(r, "retryInterval", s.spec.retry_settings->retry_interval);
        spec["retrySettings"] = std::move(r);
    }
    if (!s.spec.conditions.empty()) {
        json::array a;
        for (auto const& c : s.spec.conditions) {
            json::object x;
            if (c.namespace_selector) x["namespaceSelector"] = label_selector_json(*c.namespace_selector);
            put_if(x, "namespaces", c.namespaces);
            put_if(x, "namespaceRegexes", c.namespace_regexes);
            a.push_back(std::move(x));
        }
        spec["conditions"] = std::move(a);
    }
    o["spec"] = std::move(spec);
    return o;
}

ESX_DECL boost::json::value to_json(external_secret_spec const& spec) {
    return detail::write_impl::es_spec(spec, true);
}

ESX_DECL boost::json::value to_json(external_secret const& es) {
    using namespace detail::write_impl;
    json::object o;
    o["apiVersion"] = es.api_version.empty() ? std::string(api_v1) : es.api_version;
    o["kind"] = "ExternalSecret";
    o["metadata"] = metadata(es.metadata);
    o["spec"] = es_spec(es.spec, is_v1(es.api_version));
    return o;
}

ESX_DECL boost::json::value to_json(cluster_external_secret const& ces) {
    using namespace detail::write_impl;
    json::object o;
    o["apiVersion"] = ces.api_version.empty() ? std::string(api_v1) : ces.api_version;
    o["kind"] = "ClusterExternalSecret";
    o["metadata"] = metadata(ces.metadata);
    json::object spec;
    auto const& s = ces.spec;
    spec["externalSecretSpec"] = es_spec(s.external_secret_spec, is_v1(ces.api_version));
    put_if(spec, "externalSecretName", s.external_secret_name);
    json::object m;
    put_if(m, "labels", s.external_secret_metadata.labels);
    put_if(m, "annotations", s.external_secret_metadata.annotations);
    if (!m.empty()) spec["externalSecretMetadata"] = std::move(m);
    if (s.namespace_selector) spec["namespaceSelector"] = label_selector_json(*s.namespace_selector);
    if (!s.namespace_selectors.empty()) {
        json::array a;
        for (auto const& sel : s.namespace_selectors) a.push_back(label_selector_json(sel));
        spec["namespaceSelectors"] = std::move(a);
    }
    put_if(spec, "namespaces", s.namespaces);
    if (s.refresh_time) spec["refreshTime"] = format_duration(*s.refresh_time);
    o["spec"] = std::move(spec);
    return o;
}

} // namespace esx::spec

#endif
