// esx::spec: validation of ESO resources (see <esx/spec/validate.hpp>).
#ifndef ESX_SPEC_IMPL_VALIDATE_IPP
#define ESX_SPEC_IMPL_VALIDATE_IPP

#include <esx/cloud.hpp>
#include <esx/spec/json.hpp>
#include <esx/regex.hpp>
#include <esx/spec/sync_windows.hpp>
#include <esx/spec/validate.hpp>

#include <algorithm>
#include <set>
#include <string>

namespace esx::spec {
namespace detail::validate_impl {

/// Adds a problem unless its field, or an object holding it, already has one (a missing
/// `remoteRef` is not also a `remoteRef.key` that "must not be empty").
struct checker {
    problems& p;
    bool covered(std::string_view field) const {
        for (auto const& c : p.causes) {
            std::string_view f = c.field;
            if (f == field) return true;
            if (field.size() > f.size() && field.starts_with(f) && (f.empty() || field[f.size()] == '.' || field[f.size()] == '['))
                return true;
        }
        return false;
    }
    void operator()(std::string field, std::string_view reason, std::string message) {
        if (!covered(field)) p.add(std::move(field), reason, std::move(message));
    }
};

inline bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/// RFC 1123 subdomain, as Kubernetes checks object names.
inline bool is_dns_subdomain(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        std::size_t dot = s.find('.', start);
        std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || !is_alnum_lower(label.front()) || !is_alnum_lower(label.back())) return false;
        for (char c : label)
            if (!is_alnum_lower(c) && c != '-') return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}
inline constexpr std::string_view subdomain_message =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character";

/// RFC 1123 label (a namespace name): at most 63 characters.
inline bool is_dns_label(std::string_view s) {
    return !s.empty() && s.size() <= 63 && s.find('.') == std::string_view::npos && is_dns_subdomain(s);
}
inline constexpr std::string_view label_message =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (at most 63 characters)";

/// `namespaces[]` of a condition or a ClusterExternalSecret (the CRD's item pattern).
inline void check_namespace_list(checker& check, std::vector<std::string> const& list, std::string const& path) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].empty()) check(index_path(path, i), reasons::required, "must not be empty");
        else if (!is_dns_label(list[i])) check(index_path(path, i), reasons::invalid, std::string(label_message));
    }
}

inline void check_name(checker& check, std::string field, std::string_view value) {
    if (value.empty()) check(std::move(field), reasons::required, "must not be empty");
    else if (!is_dns_subdomain(value)) check(std::move(field), reasons::invalid, std::string(subdomain_message));
}

/// A namespaced kind needs a namespace: its own, or the one it will be applied to. A cluster
/// kind needs none (the API server drops one given).
inline void check_metadata(checker& check, object_meta const& m, bool namespaced, validate_options const& options) {
    if (check.p.has("metadata")) return;
    check_name(check, "metadata.name", m.name);
    if (namespaced && m.namespace_.empty() && options.default_namespace.empty())
        check("metadata.namespace", reasons::required, "must not be empty: the kind is namespaced");
}

inline void check_label_selector(checker& check, label_selector const& s, std::string const& path) {
    for (std::size_t i = 0; i < s.match_expressions.size(); ++i) {
        auto const& e = s.match_expressions[i];
        std::string at = index_path(path + ".matchExpressions", i);
        if (e.key.empty()) check(at + ".key", reasons::required, "must not be empty");
        if (e.operator_ == "In" || e.operator_ == "NotIn") {
            if (e.values.empty())
                check(at + ".values", reasons::required, "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (e.operator_ == "Exists" || e.operator_ == "DoesNotExist") {
            if (!e.values.empty())
                check(at + ".values", reasons::forbidden,
                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        } else if (!e.operator_.empty()) {
            check(at + ".operator", reasons::not_supported,
                  "unsupported value \"" + e.operator_ + "\": must be one of In, NotIn, Exists or DoesNotExist");
        }
    }
}

inline void check_regex(checker& check, std::string field, std::string_view pattern, std::string_view prefix = {}) {
    auto r = esx::regex::compile(pattern);
    if (!r) check(std::move(field), reasons::invalid, std::string(prefix) + r.error().message);
}

inline void check_selector(checker& check, secret_key_selector const& s, std::string const& path) {
    if (s.name.empty()) check(path + ".name", reasons::required, "must not be empty");
    if (s.key.empty()) check(path + ".key", reasons::required, "must not be empty");
}

inline void check_store(checker& check, secret_store const& s, validate_options const& options) {
    bool cluster = s.kind == store_kind::cluster_secret_store;
    check_metadata(check, s.metadata, !cluster, options);
    std::string const& store_ns = s.metadata.namespace_.empty() ? options.default_namespace : s.metadata.namespace_;

    // Generic store checks (ESO's validateStore): conditions' regexes.
    for (std::size_t ci = 0; ci < s.spec.conditions.size(); ++ci) {
        auto const& c = s.spec.conditions[ci];
        std::string at = index_path("spec.conditions", ci);
        for (std::size_t ri = 0; ri < c.namespace_regexes.size(); ++ri)
            check_regex(check, index_path(at + ".namespaceRegexes", ri), c.namespace_regexes[ri],
                        "failed to compile " + std::to_string(ri) + "th namespace regex in " + std::to_string(ci) +
                            "th condition: ");
        check_namespace_list(check, c.namespaces, at + ".namespaces");
        if (c.namespace_selector) check_label_selector(check, *c.namespace_selector, at + ".namespaceSelector");
    }
    if (!cluster && !s.spec.conditions.empty())
        check("spec.conditions", reasons::forbidden,
              "only a ClusterSecretStore has conditions; a SecretStore serves its own namespace");

    if (check.p.has("spec") || check.p.has("spec.provider")) return;
    std::string const az = "spec.provider.azurekv";
    if (check.p.has(az)) return;
    auto const& p = s.spec.provider;

    if (p.vault_url.empty()) check(az + ".vaultUrl", reasons::required, "must not be empty");
    else if (p.vault_url.size() <= 8 ||
             !std::equal(p.vault_url.begin(), p.vault_url.begin() + 8, "https://",
                         [](char a, char b) { return (a >= 'A' && a <= 'Z' ? char(a - 'A' + 'a') : a) == b; }))
        // The scheme in any case (HTTPS://), as Go's url.Parse reads it; keyvault::parse_vault_url
        // checks the rest.
        check(az + ".vaultUrl", reasons::invalid, "must be an https:// URL");

    // ESO's ValidateStore (keyvault.go): a namespaced store may only name its own namespace.
    if (!cluster) {
        auto foreign = [&](std::optional<std::string> const& ns) { return ns && !ns->empty() && *ns != store_ns; };
        constexpr std::string_view tail =
            ": namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore";
        if (p.auth_secret_ref) {
            auto const& r = *p.auth_secret_ref;
            if (r.client_id && foreign(r.client_id->namespace_))
                check(az + ".authSecretRef.clientId.namespace", reasons::forbidden,
                      "invalid AuthSecretRef.ClientID" + std::string(tail));
            if (r.client_secret && foreign(r.client_secret->namespace_))
                check(az + ".authSecretRef.clientSecret.namespace", reasons::forbidden,
                      "invalid AuthSecretRef.ClientSecret" + std::string(tail));
            // esx's own: ESO checks these two only at runtime (and then ignores the namespace).
            if (r.client_certificate && foreign(r.client_certificate->namespace_))
                check(az + ".authSecretRef.clientCertificate.namespace", reasons::forbidden,
                      "invalid AuthSecretRef.ClientCertificate" + std::string(tail));
            if (r.tenant_id && foreign(r.tenant_id->namespace_))
                check(az + ".authSecretRef.tenantId.namespace", reasons::forbidden,
                      "invalid AuthSecretRef.TenantID" + std::string(tail));
        }
        if (p.service_account_ref && foreign(p.service_account_ref->namespace_))
            check(az + ".serviceAccountRef.namespace", reasons::forbidden, "invalid ServiceAccountRef" + std::string(tail));
    }
    if (p.auth_secret_ref) {
        auto const& r = *p.auth_secret_ref;
        if (r.client_id) check_selector(check, *r.client_id, az + ".authSecretRef.clientId");
        if (r.client_secret) check_selector(check, *r.client_secret, az + ".authSecretRef.clientSecret");
        if (r.client_certificate) check_selector(check, *r.client_certificate, az + ".authSecretRef.clientCertificate");
        if (r.tenant_id) check_selector(check, *r.tenant_id, az + ".authSecretRef.tenantId");
    }
    if (p.service_account_ref && p.service_account_ref->name.empty())
        check(az + ".serviceAccountRef.name", reasons::required, "must not be empty");

    // ESO's custom-cloud rules, then esx's cloud table (GermanCloud, AzureStack's vault suffix).
    if (p.custom_cloud_config && !p.use_azure_sdk)
        check(az + ".customCloudConfig", reasons::invalid,
              "CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not support custom clouds");
    if (p.custom_cloud_config && p.custom_cloud_config->active_directory_endpoint.empty())
        check(az + ".customCloudConfig.activeDirectoryEndpoint", reasons::required,
              "activeDirectoryEndpoint is required in CustomCloudConfig");
    if (p.environment_type == azure_environment::azure_stack_cloud && !p.custom_cloud_config)
        check(az + ".customCloudConfig", reasons::required,
              "CustomCloudConfig is required when EnvironmentType is AzureStackCloud");
    auto no_env = [](char const*) -> char const* { return nullptr; };
    if (auto c = cloud_for(to_string(p.environment_type), p.custom_cloud_config, no_env); !c) {
        std::string const& m = c.error().message;
        auto colon = m.find(": ");
        if (colon != std::string::npos) check(m.substr(0, colon), reasons::invalid, m.substr(colon + 2));
        else check(az + ".environmentType", reasons::invalid, m);
    }

    // What each auth type needs (ESO finds these out at sync time, § 1.5).
    if (p.auth_type == azure_auth_type::service_principal) {
        if (!p.tenant_id || p.tenant_id->empty())
            check(az + ".tenantId", reasons::required, "is required when authType is ServicePrincipal");
        if (!p.auth_secret_ref) {
            check(az + ".authSecretRef", reasons::required, "is required when authType is ServicePrincipal");
        } else {
            auto const& r = *p.auth_secret_ref;
            if (!r.client_id)
                check(az + ".authSecretRef.clientId", reasons::required, "is required when authType is ServicePrincipal");
            if (r.client_secret && r.client_certificate)
                check(az + ".authSecretRef", reasons::invalid, "must set clientSecret or clientCertificate, not both");
            else if (!r.client_secret && !r.client_certificate)
                check(az + ".authSecretRef", reasons::required,
                      "needs clientSecret or clientCertificate when authType is ServicePrincipal");
        }
    }
    // ESO's authorizerForWorkloadIdentity: with a serviceAccountRef, an authSecretRef must carry
    // the client ID (it is read before the ServiceAccount's annotation).
    if (p.auth_type == azure_auth_type::workload_identity && p.service_account_ref && p.auth_secret_ref &&
        !p.auth_secret_ref->client_id)
        check(az + ".authSecretRef.clientId", reasons::required,
              "is required when authSecretRef is set with authType WorkloadIdentity (ESO: missing "
              "accessKeyID/secretAccessKey in store config); or remove authSecretRef to use the ServiceAccount's "
              "annotation");
}

/// Key Vault object names: 1-127 letters, digits and dashes.
inline bool is_vault_object_name(std::string_view s) {
    if (s.empty() || s.size() > 127) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

/// `remoteRef.key`: `[secret/|key/|cert/]name`. ESO splits on `/` and drops anything after the
/// second part; esx refuses what ESO would fail on or silently cut.
inline void check_remote_key(checker& check, std::string const& field, std::string_view key, bool extract,
                             std::vector<std::string> const& extra_types) {
    if (key.empty()) {
        check(field, reasons::required, "must not be empty");
        return;
    }
    std::string_view type = "secret", name = key;
    if (auto slash = key.find('/'); slash != std::string_view::npos) {
        type = key.substr(0, slash);
        name = key.substr(slash + 1);
    }
    bool const extra = std::find(extra_types.begin(), extra_types.end(), type) != extra_types.end();
    if (type != "secret" && type != "key" && type != "cert" && !extra) {
        check(field, reasons::invalid,
              "unknown Azure Key Vault object type \"" + std::string(type) + "\": use secret/, key/, cert/ or no prefix");
        return;
    }
    if (!is_vault_object_name(name)) {
        check(field, reasons::invalid,
              "\"" + std::string(name) + "\" is not a Key Vault object name (1-127 letters, digits and '-')");
        return;
    }
    if (extract && type == "cert") check(field, reasons::invalid, "cannot get use dataFrom to get certificate secret");
    if (extract && type == "key") check(field, reasons::invalid, "cannot get use dataFrom to get key secret");
}

inline bool is_secret_key(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    return true;
}

inline void check_source_ref(checker& check, boxed<source_ref> const& s, std::string const& at) {
    if (!s) return;
    if (s->generator)
        check(at + ".sourceRef.generatorRef", reasons::not_supported, "generators are not supported by esx");
    if (s->store) check_name(check, at + ".sourceRef.storeRef.name", s->store->name);
}

/// The CRD's pattern for a window's schedule, then whether it parses as ESO's cron parser reads it
/// (ESO skips a window it cannot parse; esx refuses it so the window is not silently lost).
inline void check_sync_windows(checker& check, sync_windows const& w, std::string const& path) {
    if (w.windows.empty()) check(path + ".windows", reasons::invalid, "must have at least 1 items");
    for (std::size_t i = 0; i < w.windows.size(); ++i) {
        std::string at = index_path(path + ".windows", i) + ".schedule";
        std::string const& schedule = w.windows[i].schedule;
        if (schedule.empty()) {
            check(at, reasons::required, "must not be empty");
        } else if (!matches_schedule_pattern(schedule)) {
            check(at, reasons::invalid,
                  "should match '^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\\s]+.*|[^\\s]+( "
                  "[^\\s]+){4})$'");
        } else if (auto parsed = parse_schedule(schedule); !parsed) {
            check(at, reasons::invalid, parsed.error().message + " (ESO would skip this window)");
        }
        if (w.windows[i].duration.count() < 0)
            check(index_path(path + ".windows", i) + ".duration", reasons::invalid, "must not be negative");
    }
}

inline void check_es_spec(checker& check, external_secret_spec const& s, std::string const& prefix,
                          validate_options const& options) {
    if (check.p.has(prefix)) return;
    auto at = [&](std::string_view rest) { return prefix + std::string(rest); };

    // ESO's validatePolicies.
    auto const& t = s.target;
    if (t.deletion == deletion_policy::delete_ &&
        (t.creation == creation_policy::merge || t.creation == creation_policy::none ||
         t.creation == creation_policy::create_or_merge))
        check(at(".target.deletionPolicy"), reasons::invalid,
              "deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set "
              "creationPolicy=Owner");
    if (t.deletion == deletion_policy::merge && t.creation == creation_policy::none)
        check(at(".target.deletionPolicy"), reasons::invalid,
              "deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with");
    if (s.data.empty() && s.data_from.empty() && !check.p.has(at(".data")) && !check.p.has(at(".dataFrom")))
        check(prefix, reasons::required, "either data or dataFrom should be specified");
    if (!t.name.empty() && !is_dns_subdomain(t.name))
        check(at(".target.name"), reasons::invalid, std::string(subdomain_message));
    // ESO's controller refuses generic targets unless started with --unsafe-allow-generic-targets.
    if (t.manifest)
        check(at(".target.manifest"), reasons::not_supported,
              "generic targets are not supported by esx (ESO refuses them too unless its controller runs with "
              "--unsafe-allow-generic-targets): remove target.manifest to write a Secret");
    if (s.sync_windows) check_sync_windows(check, *s.sync_windows, at(".syncWindows"));

    // ESO's validatePrivilegedTemplate.
    if (t.template_) {
        auto const& tpl = *t.template_;
        if (tpl.type == "kubernetes.io/service-account-token") {
            if (tpl.metadata.annotations.contains("kubernetes.io/service-account.name"))
                check(at(".target.template.type"), reasons::forbidden,
                      "template.type=\"kubernetes.io/service-account-token\" with annotation "
                      "\"kubernetes.io/service-account.name\" is not allowed");
            for (auto const& f : tpl.from)
                if (f.target == template_target::annotations) {
                    check(at(".target.template.type"), reasons::forbidden,
                          "template.type=\"kubernetes.io/service-account-token\" with templateFrom "
                          "target=\"Annotations\" is not allowed");
                    break;
                }
        } else if (tpl.type == "bootstrap.kubernetes.io/token") {
            check(at(".target.template.type"), reasons::forbidden,
                  "template.type=\"bootstrap.kubernetes.io/token\" is not allowed");
        }
        if (tpl.engine_version != "v2")
            check(at(".target.template.engineVersion"), reasons::not_supported,
                  "unsupported value \"" + tpl.engine_version + "\": must be one of v2");
        for (std::size_t i = 0; i < tpl.from.size(); ++i) {
            auto const& f = tpl.from[i];
            std::string fa = index_path(at(".target.template.templateFrom"), i);
            if (!f.config_map && !f.secret && !f.literal)
                check(fa, reasons::required, "must set one of configMap, secret or literal");
            for (auto const* r : {f.config_map ? &*f.config_map : nullptr, f.secret ? &*f.secret : nullptr}) {
                if (!r) continue;
                std::string ra = fa + (r == (f.config_map ? &*f.config_map : nullptr) ? ".configMap" : ".secret");
                check_name(check, ra + ".name", r->name);
                for (std::size_t j = 0; j < r->items.size(); ++j)
                    if (!is_secret_key(r->items[j].key))
                        check(index_path(ra + ".items", j) + ".key", reasons::invalid,
                              "must consist of alphanumeric characters, '-', '_' or '.'");
            }
        }
    }

    // The store: every entry needs one, from secretStoreRef or its own sourceRef.storeRef.
    bool needs_default_store = false;
    for (auto const& d : s.data) needs_default_store |= !(d.source && (d.source->store || d.source->generator));
    for (auto const& f : s.data_from) needs_default_store |= !(f.source && (f.source->store || f.source->generator));
    if (needs_default_store || !s.secret_store_ref.name.empty())
        check_name(check, at(".secretStoreRef.name"), s.secret_store_ref.name);

    // data[]: keys, remote keys, duplicates (esx refuses them whatever the deletionPolicy; ESO only
    // under Retain, and otherwise lets the later entry win).
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < s.data.size(); ++i) {
        auto const& d = s.data[i];
        std::string da = index_path(at(".data"), i);
        if (d.secret_key.empty()) check(da + ".secretKey", reasons::required, "must not be empty");
        else if (!is_secret_key(d.secret_key))
            check(da + ".secretKey", reasons::invalid, "must consist of alphanumeric characters, '-', '_' or '.'");
        else if (!seen.insert(d.secret_key).second)
            check(da + ".secretKey", reasons::duplicate, "duplicate secretKey found: " + d.secret_key);
        check_remote_key(check, da + ".remoteRef.key", d.remote.key, false, options.extra_object_types);
        check_source_ref(check, d.source, da);
    }

    // dataFrom[]: ESO's three rules, then regexes and keys.
    for (std::size_t i = 0; i < s.data_from.size(); ++i) {
        auto const& f = s.data_from[i];
        std::string fa = index_path(at(".dataFrom"), i);
        bool generator = f.source && f.source->generator;
        int set = int(bool(f.extract)) + int(bool(f.find)) + int(generator);
        if (set > 1) check(fa, reasons::invalid, "extract, find, or generatorRef cannot be set at the same time");
        else if (!f.extract && !f.find && !f.source)
            check(fa, reasons::required, "either extract, find, or sourceRef must be set to dataFrom");
        else if (f.source && !f.source->generator && !f.source->store)
            check(fa + ".sourceRef", reasons::required,
                  "generatorRef or storeRef must be set when using sourceRef in dataFrom");
        if (f.extract) check_remote_key(check, fa + ".extract.key", f.extract->key, true, options.extra_object_types);
        if (f.find && f.find->name_regexp)
            check_regex(check, fa + ".find.name.regexp", *f.find->name_regexp);
        for (std::size_t j = 0; j < f.rewrites.size(); ++j) {
            auto const& w = f.rewrites[j];
            std::string wa = index_path(fa + ".rewrite", j);
            int n = int(bool(w.regexp)) + int(bool(w.transform)) + int(bool(w.merge));
            if (n != 1) check(wa, reasons::invalid, "must set exactly one of regexp, transform or merge");
            if (w.regexp) check_regex(check, wa + ".regexp.source", w.regexp->source);
            if (w.transform && w.transform->template_.empty())
                check(wa + ".transform.template", reasons::required, "must not be empty");
        }
        check_source_ref(check, f.source, fa);
    }
}

} // namespace detail::validate_impl

namespace detail {

ESX_DECL void validate_into(secret_store const& s, validate_options const& options, problems& p) {
    validate_impl::checker check{p};
    validate_impl::check_store(check, s, options);
}

ESX_DECL void validate_into(external_secret const& es, validate_options const& options, problems& p) {
    validate_impl::checker check{p};
    validate_impl::check_metadata(check, es.metadata, true, options);
    validate_impl::check_es_spec(check, es.spec, "spec", options);
}

ESX_DECL void validate_into(cluster_external_secret const& ces, validate_options const& options, problems& p) {
    validate_impl::checker check{p};
    validate_impl::check_metadata(check, ces.metadata, false, options);
    if (p.has("spec")) return;
    auto const& s = ces.spec;
    validate_impl::check_es_spec(check, s.external_secret_spec, "spec.externalSecretSpec", options);
    if (!s.external_secret_name.empty() && !validate_impl::is_dns_subdomain(s.external_secret_name))
        check("spec.externalSecretName", reasons::invalid, std::string(validate_impl::subdomain_message));
    if (s.namespace_selector) validate_impl::check_label_selector(check, *s.namespace_selector, "spec.namespaceSelector");
    for (std::size_t i = 0; i < s.namespace_selectors.size(); ++i)
        validate_impl::check_label_selector(check, s.namespace_selectors[i], index_path("spec.namespaceSelectors", i));
    validate_impl::check_namespace_list(check, s.namespaces, "spec.namespaces");
    if (!s.namespace_selector && s.namespace_selectors.empty() && s.namespaces.empty())
        check("spec", reasons::required, "must select namespaces with namespaceSelectors, namespaceSelector or namespaces");
}

} // namespace detail

namespace detail {
template <class T>
result<void, failure> validate_checked(T const& t, validate_options const& options) {
    problems p;
    validate_into(t, options, p);
    if (!p.empty()) return to_failure(std::move(p));
    return {};
}
} // namespace detail

ESX_DECL result<void, failure> validate(secret_store const& s, validate_options const& options) {
    return detail::validate_checked(s, options);
}
ESX_DECL result<void, failure> validate(external_secret const& es, validate_options const& options) {
    return detail::validate_checked(es, options);
}
ESX_DECL result<void, failure> validate(cluster_external_secret const& ces, validate_options const& options) {
    return detail::validate_checked(ces, options);
}

} // namespace esx::spec

#endif
