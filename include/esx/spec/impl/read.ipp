// esx::spec: reading ESO resources from JSON (see <esx/spec/json.hpp>).
#ifndef ESX_SPEC_IMPL_READ_IPP
#define ESX_SPEC_IMPL_READ_IPP

#include <esx/kube/detail/text.hpp>
#include <esx/spec/duration.hpp>
#include <esx/spec/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <utility>

namespace esx::spec {
namespace detail {
namespace read_impl {

using namespace std::string_view_literals;

inline constexpr std::array<std::pair<std::string_view, azure_auth_type>, 3> auth_types{{
    {"ServicePrincipal", azure_auth_type::service_principal},
    {"ManagedIdentity", azure_auth_type::managed_identity},
    {"WorkloadIdentity", azure_auth_type::workload_identity},
}};
inline constexpr std::array<std::pair<std::string_view, azure_environment>, 5> environments_v1{{
    {"PublicCloud", azure_environment::public_cloud},
    {"USGovernmentCloud", azure_environment::us_government_cloud},
    {"ChinaCloud", azure_environment::china_cloud},
    {"GermanCloud", azure_environment::german_cloud},
    {"AzureStackCloud", azure_environment::azure_stack_cloud},
}};
// v1beta1's enum has no AzureStackCloud (eso-behaviour.md § 1.1).
inline constexpr std::array<std::pair<std::string_view, azure_environment>, 4> environments_v1beta1{{
    {"PublicCloud", azure_environment::public_cloud},
    {"USGovernmentCloud", azure_environment::us_government_cloud},
    {"ChinaCloud", azure_environment::china_cloud},
    {"GermanCloud", azure_environment::german_cloud},
}};
inline constexpr std::array<std::pair<std::string_view, store_kind>, 2> store_kinds{{
    {"SecretStore", store_kind::secret_store},
    {"ClusterSecretStore", store_kind::cluster_secret_store},
}};
inline constexpr std::array<std::pair<std::string_view, refresh_policy>, 3> refresh_policies{{
    {"CreatedOnce", refresh_policy::created_once},
    {"Periodic", refresh_policy::periodic},
    {"OnChange", refresh_policy::on_change},
}};
inline constexpr std::array<std::pair<std::string_view, creation_policy>, 5> creation_policies_v1{{
    {"Owner", creation_policy::owner},
    {"Orphan", creation_policy::orphan},
    {"Merge", creation_policy::merge},
    {"None", creation_policy::none},
    {"CreateOrMerge", creation_policy::create_or_merge},
}};
inline constexpr std::array<std::pair<std::string_view, creation_policy>, 4> creation_policies_v1beta1{{
    {"Owner", creation_policy::owner},
    {"Orphan", creation_policy::orphan},
    {"Merge", creation_policy::merge},
    {"None", creation_policy::none},
}};
inline constexpr std::array<std::pair<std::string_view, deletion_policy>, 3> deletion_policies{{
    {"Delete", deletion_policy::delete_},
    {"Merge", deletion_policy::merge},
    {"Retain", deletion_policy::retain},
}};
inline constexpr std::array<std::pair<std::string_view, metadata_policy>, 2> metadata_policies{{
    {"None", metadata_policy::none},
    {"Fetch", metadata_policy::fetch},
}};
inline constexpr std::array<std::pair<std::string_view, conversion_strategy>, 2> conversion_strategies{{
    {"Default", conversion_strategy::default_},
    {"Unicode", conversion_strategy::unicode},
}};
inline constexpr std::array<std::pair<std::string_view, decoding_strategy>, 4> decoding_strategies{{
    {"Auto", decoding_strategy::auto_},
    {"Base64", decoding_strategy::base64},
    {"Base64URL", decoding_strategy::base64url},
    {"None", decoding_strategy::none},
}};
inline constexpr std::array<std::pair<std::string_view, null_byte_policy>, 2> null_byte_policies{{
    {"Ignore", null_byte_policy::ignore},
    {"Fail", null_byte_policy::fail},
}};
inline constexpr std::array<std::pair<std::string_view, template_merge_policy>, 2> template_merge_policies{{
    {"Replace", template_merge_policy::replace},
    {"Merge", template_merge_policy::merge},
}};
inline constexpr std::array<std::pair<std::string_view, template_scope>, 2> template_scopes{{
    {"Values", template_scope::values},
    {"KeysAndValues", template_scope::keys_and_values},
}};
inline constexpr std::array<std::pair<std::string_view, merge_conflict_policy>, 2> merge_conflict_policies{{
    {"Ignore", merge_conflict_policy::ignore},
    {"Error", merge_conflict_policy::error},
}};
inline constexpr std::array<std::pair<std::string_view, merge_priority_policy>, 2> merge_priority_policies{{
    {"IgnoreNotFound", merge_priority_policy::ignore_not_found},
    {"Strict", merge_priority_policy::strict},
}};
inline constexpr std::array<std::pair<std::string_view, sync_window_kind>, 2> sync_window_kinds{{
    {"allow", sync_window_kind::allow},
    {"deny", sync_window_kind::deny},
}};
// v1beta1's templateFrom target is a CRD enum (case-sensitive); v1's is a string the webhook
// compares case-insensitively.
inline constexpr std::array<std::pair<std::string_view, template_target>, 3> template_targets{{
    {"Data", template_target::data},
    {"Annotations", template_target::annotations},
    {"Labels", template_target::labels},
}};
inline constexpr std::array<std::pair<std::string_view, merge_strategy>, 2> merge_strategies{{
    {"Extract", merge_strategy::extract},
    {"JSON", merge_strategy::json},
}};
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 2> api_versions{{
    {"external-secrets.io/v1", "v1"},
    {"external-secrets.io/v1beta1", "v1beta1"},
}};

template <class E, std::size_t N>
enum_table<E> table(std::array<std::pair<std::string_view, E>, N> const& a) {
    return enum_table<E>(a.data(), a.size());
}

/// What differs between the versions while reading.
struct version {
    bool v1beta1 = false;
};

/// A field that exists in v1 only: in v1beta1 it is reported instead of read.
inline bool v1_only(object_reader& r, std::string_view key, version v) {
    if (!v.v1beta1) return true;
    if (r.field(key)) r.report().add(r.at(key), reasons::unknown, "unknown field: not in external-secrets.io/v1beta1 (use external-secrets.io/v1)");
    return false;
}

/// `apiVersion` and `kind`; returns the version, or nothing if the document is not one of `kinds`.
inline std::optional<version> read_type(object_reader& top, std::string& api_version,
                                 std::span<std::string_view const> kinds, std::string* kind_out) {
    api_version = top.required_string("apiVersion");
    std::optional<version> v;
    if (!api_version.empty()) {
        for (auto const& [text, name] : api_versions)
            if (api_version == text) v = version{name == "v1beta1"};
        if (!v)
            top.report().add("apiVersion", reasons::not_supported,
                             "unsupported value \"" + api_version + "\": " + allowed_values(table(api_versions)));
    }
    std::string kind = top.required_string("kind");
    if (!kind.empty()) {
        bool known = std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
        if (!known) {
            std::string list;
            for (std::size_t i = 0; i < kinds.size(); ++i)
                list += (i == 0 ? "" : i + 1 == kinds.size() ? " or " : ", ") + std::string(kinds[i]);
            top.report().add("kind", reasons::not_supported, "unsupported value \"" + kind + "\": must be " + list);
            return std::nullopt;
        }
    }
    if (kind_out) *kind_out = kind;
    return v.value_or(version{});
}

inline void read_metadata(object_reader& top, object_meta& m) {
    // Only the parts esx uses are read; the rest (managedFields, ownerReferences, ...) is the
    // API server's business, so no unknown-field check here.
    if (!top.field("metadata")) {
        top.missing("metadata");
        return;
    }
    object_reader r(top.field("metadata"), "metadata", top.report(), false);
    r.read("name", m.name);
    r.read("namespace", m.namespace_);
    r.read("labels", m.labels);
    r.read("annotations", m.annotations);
    r.read("uid", m.uid);
    r.read("resourceVersion", m.resource_version);
    if (auto g = r.optional_integer("generation")) m.generation = *g;
    if (auto deleting = r.optional_string("deletionTimestamp")) m.deletion_timestamp = std::move(*deleting);
    r.read("finalizers", m.finalizers);
    if (auto* refs = r.array("ownerReferences")) {
        m.owner_references.reserve(refs->size());
        for (std::size_t i = 0; i < refs->size(); ++i) {
            object_reader o(&(*refs)[i], index_path(r.at("ownerReferences"), i), top.report(), false);
            if (!o.present()) continue;
            owner_reference ref;
            o.read("apiVersion", ref.api_version);
            o.read("kind", ref.kind);
            o.read("name", ref.name);
            o.read("uid", ref.uid);
            o.read("controller", ref.controller);
            o.read("blockOwnerDeletion", ref.block_owner_deletion);
            m.owner_references.push_back(std::move(ref));
        }
    }
}

/// `status` of an ExternalSecret, leniently: the controller wrote it, and a status it cannot
/// read (another writer's, an older version's) must not make the object unreadable, so what
/// does not parse is left unset instead of reported.
inline void read_es_status(json::value const* v, external_secret_status& st) {
    problems ignored;
    object_reader r(v, "status", ignored, false);
    if (!r.present()) return;
    if (auto t = r.optional_string("refreshTime")) st.refresh_time = kube::detail::parse_rfc3339(*t);
    r.read("syncedResourceVersion", st.synced_resource_version);
    if (json::value const* b = r.field("binding")) {
        object_reader br(b, "status.binding", ignored, false);
        br.read("name", st.binding);
    }
    if (auto* conditions = r.array("conditions")) {
        for (auto const& c : *conditions) {
            object_reader cr(&c, "status.conditions[]", ignored, false);
            if (!cr.present() || cr.optional_string("type").value_or("") != "Ready") continue;
            auto& ready = st.ready.emplace();
            ready.type = "Ready";
            cr.read("status", ready.status);
            cr.read("reason", ready.reason);
            cr.read("message", ready.message);
            cr.read("lastTransitionTime", ready.last_transition_time);
        }
    }
}

inline std::optional<secret_key_selector> read_secret_key_selector(object_reader& parent, std::string_view key) {
    json::value const* v = parent.field(key);
    if (!v) return std::nullopt;
    object_reader r(v, parent.at(key), parent.report());
    if (!r.present()) return std::nullopt;
    secret_key_selector s;
    s.name = r.required_string("name");
    s.key = r.required_string("key");
    s.namespace_ = r.optional_string("namespace");
    return s;
}

inline void read_label_selector(json::value const* v, std::string path, problems& p, label_selector& out) {
    object_reader r(v, std::move(path), p);
    r.read("matchLabels", out.match_labels);
    if (auto* a = r.array("matchExpressions")) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            object_reader e(&(*a)[i], index_path(r.at("matchExpressions"), i), p);
            if (!e.present()) continue;
            label_selector_requirement q;
            q.key = e.required_string("key");
            q.operator_ = e.required_string("operator");
            e.read("values", q.values);
            out.match_expressions.push_back(std::move(q));
        }
    }
}

inline void read_azurekv(object_reader& r, azurekv_provider& az, version v) {
    r.read_enum("authType", az.auth_type, table(auth_types));
    az.vault_url = r.required_string("vaultUrl");
    az.tenant_id = r.optional_string("tenantId");
    if (v.v1beta1) r.read_enum("environmentType", az.environment_type, table(environments_v1beta1));
    else r.read_enum("environmentType", az.environment_type, table(environments_v1));
    if (json::value const* a = r.field("authSecretRef")) {
        object_reader ar(a, r.at("authSecretRef"), r.report());
        if (ar.present()) {
            azurekv_auth_secret_ref ref;
            ref.client_id = read_secret_key_selector(ar, "clientId");
            ref.client_secret = read_secret_key_selector(ar, "clientSecret");
            ref.client_certificate = read_secret_key_selector(ar, "clientCertificate");
            ref.tenant_id = read_secret_key_selector(ar, "tenantId");
            az.auth_secret_ref = std::move(ref);
        }
    }
    az.identity_id = r.optional_string("identityId");
    if (json::value const* sa = r.field("serviceAccountRef")) {
        object_reader sr(sa, r.at("serviceAccountRef"), r.report());
        if (sr.present()) {
            service_account_selector s;
            s.name = sr.required_string("name");
            s.namespace_ = sr.optional_string("namespace");
            sr.read("audiences", s.audiences);
            az.service_account_ref = std::move(s);
        }
    }
    if (v1_only(r, "useAzureSDK", v)) r.read("useAzureSDK", az.use_azure_sdk);
    if (v1_only(r, "customCloudConfig", v)) {
        if (json::value const* c = r.field("customCloudConfig")) {
            object_reader cr(c, r.at("customCloudConfig"), r.report());
            if (cr.present()) {
                custom_cloud_config cc;
                // Required by the CRD, but an empty value gets ESO's own message from the validator.
                cr.read("activeDirectoryEndpoint", cc.active_directory_endpoint);
                cc.key_vault_endpoint = cr.optional_string("keyVaultEndpoint");
                cc.key_vault_dns_suffix = cr.optional_string("keyVaultDNSSuffix");
                cc.resource_manager_endpoint = cr.optional_string("resourceManagerEndpoint");
                az.custom_cloud_config = std::move(cc);
            }
        }
    }
}

inline void read_store_spec(object_reader& top, secret_store& s, version v) {
    if (!top.field("spec")) {
        top.missing("spec");
        return;
    }
    object_reader r(top.field("spec"), "spec", top.report());
    r.read("controller", s.spec.controller);
    if (json::value const* ri = r.field("refreshInterval")) {
        // IntOrString: int seconds or a Go duration (ESO's GetRefreshInterval).
        if (ri->is_int64() || ri->is_uint64()) {
            std::int64_t secs = ri->is_int64() ? ri->get_int64() : std::int64_t(ri->get_uint64());
            if (secs < 0)
                r.report().add(r.at("refreshInterval"), reasons::invalid,
                               "invalid refreshInterval " + std::to_string(secs) + ": must not be negative");
            else s.spec.refresh_interval = std::chrono::seconds(secs);
        } else if (ri->is_string() && v.v1beta1) {
            // v1beta1's field is a plain integer; the duration form came with v1's IntOrString.
            r.report().add(r.at("refreshInterval"), reasons::type_invalid,
                           "must be an integer (seconds) in external-secrets.io/v1beta1");
        } else if (ri->is_string()) {
            std::string text(ri->get_string());
            auto d = parse_duration(text);
            if (!d)
                r.report().add(r.at("refreshInterval"), reasons::invalid,
                               "invalid refreshInterval \"" + text + "\": " + d.error().message);
            else if (d->count() < 0)
                r.report().add(r.at("refreshInterval"), reasons::invalid,
                               "invalid refreshInterval \"" + text + "\": must not be negative");
            else s.spec.refresh_interval = std::chrono::duration_cast<std::chrono::seconds>(*d);
        } else {
            r.report().add(r.at("refreshInterval"), reasons::type_invalid,
                           "must be an integer (seconds) or a duration string");
        }
    }
    // ESO reads retrySettings only for aws, vault, ibm and oracle; kept, and ignored, as ESO.
    if (json::value const* rs = r.field("retrySettings")) {
        object_reader rr(rs, r.at("retrySettings"), r.report());
        if (rr.present()) {
            store_retry_settings settings;
            if (auto n = rr.optional_integer("maxRetries")) {
                if (*n < INT32_MIN || *n > INT32_MAX)
                    r.report().add(rr.at("maxRetries"), reasons::invalid, "must fit in 32 bits (int32)");
                else settings.max_retries = std::int32_t(*n);
            }
            settings.retry_interval = rr.optional_string("retryInterval");
            s.spec.retry_settings = std::move(settings);
        }
    }
    if (json::value const* pv = r.field("provider")) {
        object_reader pr(pv, "spec.provider", r.report(), false);
        if (pr.present()) {
            auto const& obj = *pr.object();
            if (obj.empty()) r.report().add("spec.provider", reasons::required, "must name a provider (azurekv)");
            for (auto const& kv : obj) {
                if (kv.key() == "azurekv") continue;
                r.report().add("spec.provider." + std::string(kv.key()), reasons::not_supported,
                               "provider " + std::string(kv.key()) + " is not supported by esx (only azurekv)");
            }
            if (json::value const* az = pr.field("azurekv")) {
                object_reader ar(az, "spec.provider.azurekv", r.report());
                if (ar.present()) read_azurekv(ar, s.spec.provider, v);
            }
        }
    } else {
        r.missing("provider");
    }
    if (auto* a = r.array("conditions")) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            object_reader cr(&(*a)[i], index_path("spec.conditions", i), r.report());
            if (!cr.present()) continue;
            cluster_store_condition c;
            if (json::value const* sel = cr.field("namespaceSelector")) {
                c.namespace_selector.emplace();
                read_label_selector(sel, cr.at("namespaceSelector"), r.report(), *c.namespace_selector);
            }
            cr.read("namespaces", c.namespaces);
            cr.read("namespaceRegexes", c.namespace_regexes);
            s.spec.conditions.push_back(std::move(c));
        }
    }
}

inline store_ref read_store_ref(object_reader& r) {
    store_ref ref;
    r.read("name", ref.name);
    r.read_enum("kind", ref.kind, table(store_kinds));
    return ref;
}

inline boxed<source_ref> read_source_ref(object_reader& parent) {
    json::value const* v = parent.field("sourceRef");
    if (!v) return std::nullopt;
    object_reader r(v, parent.at("sourceRef"), parent.report());
    if (!r.present()) return std::nullopt;
    source_ref s;
    if (json::value const* st = r.field("storeRef")) {
        object_reader sr(st, r.at("storeRef"), r.report());
        if (sr.present()) s.store = read_store_ref(sr);
    }
    if (json::value const* g = r.field("generatorRef")) {
        object_reader gr(g, r.at("generatorRef"), r.report());
        if (gr.present()) {
            generator_ref gen;
            gr.read("apiVersion", gen.api_version);
            gen.kind = gr.required_string("kind");
            gen.name = gr.required_string("name");
            s.generator = std::move(gen);
        }
    }
    return s;
}

inline void read_remote_ref(object_reader& r, remote_ref& ref, version v) {
    ref.key = r.required_string("key");
    r.read("version", ref.version);
    r.read("property", ref.property);
    r.read_enum("metadataPolicy", ref.metadata, table(metadata_policies));
    r.read_enum("conversionStrategy", ref.conversion, table(conversion_strategies));
    r.read_enum("decodingStrategy", ref.decoding, table(decoding_strategies));
    if (v1_only(r, "nullBytePolicy", v)) r.read_enum("nullBytePolicy", ref.null_bytes, table(null_byte_policies));
}

/// `generic`: the target is a `manifest` other than a v1 Secret, where ESO lets templateFrom
/// targets be paths (esx refuses the manifest itself, so their text is not kept).
inline void read_template(object_reader& r, secret_template& t, version v, bool generic) {
    r.read("type", t.type);
    r.read("engineVersion", t.engine_version);
    if (json::value const* m = r.field("metadata")) {
        object_reader mr(m, r.at("metadata"), r.report());
        mr.read("labels", t.metadata.labels);
        mr.read("annotations", t.metadata.annotations);
        if (v1_only(mr, "finalizers", v)) mr.read("finalizers", t.metadata.finalizers);
    }
    r.read_enum("mergePolicy", t.merge_policy, table(template_merge_policies));
    r.read("data", t.data);
    if (auto* a = r.array("templateFrom")) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            object_reader fr(&(*a)[i], index_path(r.at("templateFrom"), i), r.report());
            if (!fr.present()) continue;
            template_from f;
            auto read_ref = [&](std::string_view key) -> std::optional<template_ref> {
                json::value const* v = fr.field(key);
                if (!v) return std::nullopt;
                object_reader tr(v, fr.at(key), r.report());
                if (!tr.present()) return std::nullopt;
                template_ref ref;
                ref.name = tr.required_string("name");
                if (auto* items = tr.array("items")) {
                    for (std::size_t j = 0; j < items->size(); ++j) {
                        object_reader ir(&(*items)[j], index_path(tr.at("items"), j), r.report());
                        if (!ir.present()) continue;
                        template_ref_item item;
                        item.key = ir.required_string("key");
                        ir.read_enum("templateAs", item.template_as, table(template_scopes));
                        ref.items.push_back(std::move(item));
                    }
                } else if (!tr.field("items")) {
                    tr.missing("items");
                }
                return ref;
            };
            f.config_map = read_ref("configMap");
            f.secret = read_ref("secret");
            if (v.v1beta1) {
                fr.read_enum("target", f.target, table(template_targets));
            } else if (json::value const* tv = fr.field("target")) {
                // Case-insensitive, with the webhook's message for anything else.
                if (!tv->is_string()) {
                    r.report().add(fr.at("target"), reasons::type_invalid, "must be a string");
                } else {
                    std::string_view s = tv->get_string();
                    auto lower = [](std::string_view x) {
                        std::string o(x);
                        for (char& c : o) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
                        return o;
                    };
                    std::string l = lower(s);
                    if (l == "data" || l.empty()) f.target = template_target::data;
                    else if (l == "annotations") f.target = template_target::annotations;
                    else if (l == "labels") f.target = template_target::labels;
                    else if (!generic)
                        r.report().add(fr.at("target"), reasons::not_supported,
                                       "templateFrom target=\"" + std::string(s) +
                                           "\" is not allowed when targeting a Secret, must be one of \"Data\", "
                                           "\"Annotations\" or \"Labels\"");
                }
            }
            f.literal = fr.optional_string("literal");
            if (v1_only(fr, "valuesDecodingStrategy", v))
                fr.read_enum("valuesDecodingStrategy", f.values_decoding, table(decoding_strategies));
            t.from.push_back(std::move(f));
        }
    }
}

inline void read_es_spec(object_reader& r, external_secret_spec& s, version v) {
    if (json::value const* ref = r.field("secretStoreRef")) {
        object_reader sr(ref, r.at("secretStoreRef"), r.report());
        s.secret_store_ref = read_store_ref(sr);
    }
    if (json::value const* tv = r.field("target")) {
        object_reader tr(tv, r.at("target"), r.report());
        tr.read("name", s.target.name);
        if (v.v1beta1) tr.read_enum("creationPolicy", s.target.creation, table(creation_policies_v1beta1));
        else tr.read_enum("creationPolicy", s.target.creation, table(creation_policies_v1));
        tr.read_enum("deletionPolicy", s.target.deletion, table(deletion_policies));
        if (v1_only(tr, "manifest", v)) {
            if (json::value const* m = tr.field("manifest")) {
                object_reader mr(m, tr.at("manifest"), r.report());
                if (mr.present())
                    s.target.manifest = manifest_reference{mr.required_string("apiVersion"), mr.required_string("kind")};
            }
        }
        bool generic = s.target.manifest && !(s.target.manifest->api_version == "v1" && s.target.manifest->kind == "Secret");
        if (json::value const* t = tr.field("template")) {
            object_reader tpl(t, tr.at("template"), r.report());
            if (tpl.present()) {
                s.target.template_.emplace();
                read_template(tpl, *s.target.template_, v, generic);
            }
        }
        tr.read("immutable", s.target.immutable);
    }
    if (json::value const* rp = r.field("refreshPolicy")) {
        (void)rp;
        refresh_policy p{};
        if (r.read_enum("refreshPolicy", p, table(refresh_policies))) s.refresh_policy = p;
    }
    if (json::value const* ri = r.field("refreshInterval")) {
        if (!ri->is_string()) {
            r.report().add(r.at("refreshInterval"), reasons::type_invalid, "must be a duration string, e.g. \"1h\"");
        } else if (auto d = parse_duration(ri->get_string()); !d) {
            r.report().add(r.at("refreshInterval"), reasons::invalid, d.error().message);
        } else if (d->count() < 0) {
            r.report().add(r.at("refreshInterval"), reasons::invalid, "must not be negative");
        } else {
            s.refresh_interval = *d;
        }
    }
    if (v1_only(r, "syncWindows", v)) {
        if (json::value const* sw = r.field("syncWindows")) {
            object_reader wr(sw, r.at("syncWindows"), r.report());
            if (wr.present()) {
                sync_windows windows;
                if (!wr.read_enum("kind", windows.kind, table(sync_window_kinds)) && !wr.field("kind")) wr.missing("kind");
                if (auto* a = wr.array("windows")) {
                    for (std::size_t i = 0; i < a->size(); ++i) {
                        object_reader er(&(*a)[i], index_path(wr.at("windows"), i), r.report());
                        if (!er.present()) continue;
                        sync_window w;
                        w.schedule = er.required_string("schedule");
                        if (json::value const* d = er.field("duration")) {
                            if (!d->is_string()) er.report().add(er.at("duration"), reasons::type_invalid,
                                                                 "must be a duration string, e.g. \"8h\"");
                            else if (auto parsed = parse_duration(d->get_string()); !parsed)
                                er.report().add(er.at("duration"), reasons::invalid, parsed.error().message);
                            else w.duration = *parsed;
                        } else {
                            er.missing("duration");
                        }
                        windows.windows.push_back(std::move(w));
                    }
                } else if (!wr.field("windows")) {
                    wr.missing("windows");
                }
                s.sync_windows = std::move(windows);
            }
        }
    }
    // Exact capacities: a run holds every ExternalSecret of its manifests at once.
    if (auto* a = r.array("data")) {
        s.data.reserve(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            object_reader dr(&(*a)[i], index_path(r.at("data"), i), r.report());
            if (!dr.present()) continue;
            external_secret_data d;
            d.secret_key = dr.required_string("secretKey");
            if (json::value const* rr = dr.field("remoteRef")) {
                object_reader rrr(rr, dr.at("remoteRef"), r.report());
                if (rrr.present()) read_remote_ref(rrr, d.remote, v);
            } else {
                dr.missing("remoteRef");
            }
            d.source = read_source_ref(dr);
            s.data.push_back(std::move(d));
        }
    }
    if (auto* a = r.array("dataFrom")) {
        s.data_from.reserve(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            object_reader fr(&(*a)[i], index_path(r.at("dataFrom"), i), r.report());
            if (!fr.present()) continue;
            external_secret_data_from f;
            if (json::value const* e = fr.field("extract")) {
                object_reader er(e, fr.at("extract"), r.report());
                if (er.present()) {
                    f.extract.emplace();
                    read_remote_ref(er, *f.extract, v);
                }
            }
            if (json::value const* fv = fr.field("find")) {
                object_reader nr(fv, fr.at("find"), r.report());
                if (nr.present()) {
                    find_ref fd;
                    fd.path = nr.optional_string("path");
                    if (json::value const* n = nr.field("name")) {
                        object_reader nn(n, nr.at("name"), r.report());
                        if (nn.present()) fd.name_regexp = nn.optional_string("regexp").value_or(std::string());
                    }
                    nr.read("tags", fd.tags);
                    nr.read_enum("conversionStrategy", fd.conversion, table(conversion_strategies));
                    nr.read_enum("decodingStrategy", fd.decoding, table(decoding_strategies));
                    if (v1_only(nr, "nullBytePolicy", v))
                        nr.read_enum("nullBytePolicy", fd.null_bytes, table(null_byte_policies));
                    f.find = std::move(fd);
                }
            }
            if (auto* rw = fr.array("rewrite")) {
                for (std::size_t j = 0; j < rw->size(); ++j) {
                    object_reader wr(&(*rw)[j], index_path(fr.at("rewrite"), j), r.report());
                    if (!wr.present()) continue;
                    rewrite w;
                    if (json::value const* x = wr.field("regexp")) {
                        object_reader xr(x, wr.at("regexp"), r.report());
                        if (xr.present()) w.regexp = rewrite_regexp{xr.required_string("source"), xr.required_string("target")};
                    }
                    if (json::value const* x = wr.field("transform")) {
                        object_reader xr(x, wr.at("transform"), r.report());
                        if (xr.present()) w.transform = rewrite_transform{xr.required_string("template")};
                    }
                    if (v1_only(wr, "merge", v)) {
                        if (json::value const* x = wr.field("merge")) {
                            object_reader xr(x, wr.at("merge"), r.report());
                            if (xr.present()) {
                                rewrite_merge m;
                                xr.read("into", m.into);
                                xr.read("priority", m.priority);
                                xr.read_enum("conflictPolicy", m.conflict_policy, table(merge_conflict_policies));
                                xr.read_enum("priorityPolicy", m.priority_policy, table(merge_priority_policies));
                                xr.read_enum("strategy", m.strategy, table(merge_strategies));
                                w.merge = std::move(m);
                            }
                        }
                    }
                    f.rewrites.push_back(std::move(w));
                }
            }
            f.source = read_source_ref(fr);
            s.data_from.push_back(std::move(f));
        }
    }
}

inline constexpr std::array<std::string_view, 2> store_kind_names{"SecretStore", "ClusterSecretStore"};
inline constexpr std::array<std::string_view, 1> es_kind_names{"ExternalSecret"};
inline constexpr std::array<std::string_view, 1> ces_kind_names{"ClusterExternalSecret"};

} // namespace read_impl

using namespace read_impl;

ESX_DECL failure to_failure(problems&& p) {
    failure f(make_error_code(error::invalid_option));
    for (auto const& c : p.causes) {
        if (!f.message.empty()) f.message += '\n';
        f.message += c.field.empty() ? c.message : c.field + ": " + c.message;
    }
    f.reason = "Invalid";
    f.causes = std::move(p.causes);
    return f;
}

ESX_DECL secret_store read_secret_store(json::value const& doc, problems& p) {
    secret_store s;
    object_reader top(&doc, "", p);
    if (!top.present()) return s;
    std::string kind;
    auto v = read_type(top, s.api_version, store_kind_names, &kind);
    if (kind == "ClusterSecretStore") s.kind = store_kind::cluster_secret_store;
    read_metadata(top, s.metadata);
    top.field("status");
    if (v) read_store_spec(top, s, *v);
    else top.field("spec");
    return s;
}

ESX_DECL external_secret read_external_secret(json::value const& doc, problems& p) {
    external_secret es;
    object_reader top(&doc, "", p);
    if (!top.present()) return es;
    auto v = read_type(top, es.api_version, es_kind_names, nullptr);
    read_metadata(top, es.metadata);
    read_es_status(top.field("status"), es.status);
    if (!v) {
        top.field("spec");
        return es;
    }
    if (json::value const* spec = top.field("spec")) {
        object_reader r(spec, "spec", p);
        read_es_spec(r, es.spec, *v);
    } else {
        top.missing("spec");
    }
    return es;
}

ESX_DECL cluster_external_secret read_cluster_external_secret(json::value const& doc, problems& p) {
    cluster_external_secret ces;
    object_reader top(&doc, "", p);
    if (!top.present()) return ces;
    auto v = read_type(top, ces.api_version, ces_kind_names, nullptr);
    read_metadata(top, ces.metadata);
    top.field("status");
    if (!v) {
        top.field("spec");
        return ces;
    }
    json::value const* spec = top.field("spec");
    if (!spec) {
        top.missing("spec");
        return ces;
    }
    object_reader r(spec, "spec", p);
    auto& s = ces.spec;
    if (json::value const* es = r.field("externalSecretSpec")) {
        object_reader er(es, r.at("externalSecretSpec"), p);
        read_es_spec(er, s.external_secret_spec, *v);
    } else {
        r.missing("externalSecretSpec");
    }
    r.read("externalSecretName", s.external_secret_name);
    if (json::value const* m = r.field("externalSecretMetadata")) {
        object_reader mr(m, r.at("externalSecretMetadata"), p);
        mr.read("labels", s.external_secret_metadata.labels);
        mr.read("annotations", s.external_secret_metadata.annotations);
    }
    if (json::value const* sel = r.field("namespaceSelector")) {
        s.namespace_selector.emplace();
        read_label_selector(sel, r.at("namespaceSelector"), p, *s.namespace_selector);
    }
    if (auto* a = r.array("namespaceSelectors")) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            label_selector sel;
            read_label_selector(&(*a)[i], index_path(r.at("namespaceSelectors"), i), p, sel);
            s.namespace_selectors.push_back(std::move(sel));
        }
    }
    r.read("namespaces", s.namespaces);
    if (json::value const* rt = r.field("refreshTime")) {
        if (!rt->is_string()) {
            p.add(r.at("refreshTime"), reasons::type_invalid, "must be a duration string, e.g. \"1h\"");
        } else if (auto d = parse_duration(rt->get_string()); !d) {
            p.add(r.at("refreshTime"), reasons::invalid, d.error().message);
        } else if (d->count() < 0) {
            p.add(r.at("refreshTime"), reasons::invalid, "must not be negative");
        } else {
            s.refresh_time = *d;
        }
    }
    return ces;
}

} // namespace detail

namespace detail {
template <class T, class Read>
result<T, failure> read_checked(json::value const& doc, Read read) {
    detail::problems p;
    T t = read(doc, p);
    if (!p.empty()) return detail::to_failure(std::move(p));
    return t;
}
} // namespace detail

ESX_DECL result<secret_store, failure> read_secret_store(boost::json::value const& doc) {
    return detail::read_checked<secret_store>(doc, [](auto const& d, auto& p) { return detail::read_secret_store(d, p); });
}
ESX_DECL result<external_secret, failure> read_external_secret(boost::json::value const& doc) {
    return detail::read_checked<external_secret>(doc, [](auto const& d, auto& p) { return detail::read_external_secret(d, p); });
}
ESX_DECL result<cluster_external_secret, failure> read_cluster_external_secret(boost::json::value const& doc) {
    return detail::read_checked<cluster_external_secret>(
        doc, [](auto const& d, auto& p) { return detail::read_cluster_external_secret(d, p); });
}

} // namespace esx::spec

#endif
