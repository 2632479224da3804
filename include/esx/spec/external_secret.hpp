// esx::spec: ExternalSecret and ClusterExternalSecret as C++ types (`external-secrets.io/v1`,
// `v1beta1`).
//
// Types only, with the defaults ESO's CRDs apply (`refreshInterval: 1h`, `creationPolicy: Owner`,
// `deletionPolicy: Retain`, ...), so a parsed manifest reads as the API server would store it.
// Parsing lives in <esx/spec/json.hpp>, checks in <esx/spec/validate.hpp>.
#ifndef ESX_SPEC_EXTERNAL_SECRET_HPP
#define ESX_SPEC_EXTERNAL_SECRET_HPP

#include <esx/spec/boxed.hpp>
#include <esx/spec/store.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esx::spec {

enum class refresh_policy { periodic, created_once, on_change };
enum class creation_policy { owner, orphan, merge, none, create_or_merge };
enum class deletion_policy { retain, delete_, merge };
enum class metadata_policy { none, fetch };
enum class conversion_strategy { default_, unicode };
enum class decoding_strategy { none, base64, base64url, auto_ };
enum class null_byte_policy { ignore, fail };
enum class template_merge_policy { replace, merge };
enum class template_scope { values, keys_and_values };
enum class template_target { data, annotations, labels };
enum class merge_conflict_policy { error, ignore };
enum class merge_strategy { extract, json };
enum class merge_priority_policy { strict, ignore_not_found };
enum class sync_window_kind { allow, deny };

/// `secretStoreRef` / `sourceRef.storeRef`.
struct store_ref {
    std::string name;
    store_kind kind = store_kind::secret_store;  ///< `kind`, default SecretStore
    friend bool operator==(store_ref const&, store_ref const&) = default;
};

/// `sourceRef.generatorRef`: parsed so a manifest using it gets a clear "not supported" error.
struct generator_ref {
    std::string api_version = "generators.external-secrets.io/v1alpha1";  ///< `apiVersion`, CRD default
    std::string kind, name;
    friend bool operator==(generator_ref const&, generator_ref const&) = default;
};

/// `sourceRef` of a `data[]` or `dataFrom[]` entry: another store for this entry.
struct source_ref {
    std::optional<store_ref> store;               ///< `storeRef`
    boxed<generator_ref> generator;               ///< `generatorRef` (rare: on the heap, spec/boxed.hpp)
    friend bool operator==(source_ref const&, source_ref const&) = default;
};

/// `remoteRef` of `data[]`, and `dataFrom[].extract`.
struct remote_ref {
    std::string key;       ///< `secret/name`, `key/name`, `cert/name` or `name`
    std::string version;   ///< empty: the latest
    std::string property;  ///< gjson path into the value; empty: the whole value
    metadata_policy metadata = metadata_policy::none;                 ///< `metadataPolicy`
    conversion_strategy conversion = conversion_strategy::default_;   ///< `conversionStrategy`
    decoding_strategy decoding = decoding_strategy::none;             ///< `decodingStrategy`
    null_byte_policy null_bytes = null_byte_policy::ignore;           ///< `nullBytePolicy` (v1)
    friend bool operator==(remote_ref const&, remote_ref const&) = default;
};

/// `data[]`: one Secret key from one remote object.
struct external_secret_data {
    std::string secret_key;            ///< `secretKey`
    remote_ref remote;                 ///< `remoteRef`
    boxed<source_ref> source;          ///< `sourceRef` (boxed: rare, and 3 entries per object is common)
    friend bool operator==(external_secret_data const&, external_secret_data const&) = default;
};

/// `dataFrom[].find`: every enabled secret whose name matches and which carries all the tags.
struct find_ref {
    std::optional<std::string> path;                ///< accepted; Azure ignores it (as ESO)
    std::optional<std::string> name_regexp;         ///< `name.regexp` (RE2 syntax, unanchored)
    std::map<std::string, std::string> tags;
    conversion_strategy conversion = conversion_strategy::default_;
    decoding_strategy decoding = decoding_strategy::none;
    null_byte_policy null_bytes = null_byte_policy::ignore;
    friend bool operator==(find_ref const&, find_ref const&) = default;
};

struct rewrite_regexp {
    std::string source, target;  ///< RE2 pattern; replacement with `$1` / `${name}`
    friend bool operator==(rewrite_regexp const&, rewrite_regexp const&) = default;
};
struct rewrite_transform {
    std::string template_;  ///< `template`; `.value` is the key
    friend bool operator==(rewrite_transform const&, rewrite_transform const&) = default;
};
struct rewrite_merge {
    std::string into;
    std::vector<std::string> priority;
    merge_conflict_policy conflict_policy = merge_conflict_policy::error;  ///< `conflictPolicy`
    merge_priority_policy priority_policy = merge_priority_policy::strict; ///< `priorityPolicy`
    merge_strategy strategy = merge_strategy::extract;
    friend bool operator==(rewrite_merge const&, rewrite_merge const&) = default;
};

/// `dataFrom[].rewrite[]`: exactly one of the three.
struct rewrite {
    std::optional<rewrite_regexp> regexp;
    std::optional<rewrite_transform> transform;
    std::optional<rewrite_merge> merge;
    friend bool operator==(rewrite const&, rewrite const&) = default;
};

/// `dataFrom[]`: many Secret keys from one remote JSON object (`extract`) or many objects (`find`).
struct external_secret_data_from {
    std::optional<remote_ref> extract;
    std::optional<find_ref> find;
    std::vector<rewrite> rewrites;     ///< `rewrite`, applied in order
    boxed<source_ref> source;          ///< `sourceRef` (boxed: rare, and 3 entries per object is common)
    friend bool operator==(external_secret_data_from const&, external_secret_data_from const&) = default;
};

struct template_ref_item {
    std::string key;
    template_scope template_as = template_scope::values;  ///< `templateAs`
    friend bool operator==(template_ref_item const&, template_ref_item const&) = default;
};
struct template_ref {
    std::string name;
    std::vector<template_ref_item> items;
    friend bool operator==(template_ref const&, template_ref const&) = default;
};

/// `target.template.templateFrom[]`.
struct template_from {
    std::optional<template_ref> config_map;  ///< `configMap`
    std::optional<template_ref> secret;
    template_target target = template_target::data;  ///< case-insensitive in v1 manifests, as ESO
    std::optional<std::string> literal;
    /// `valuesDecodingStrategy` (v1): how the rendered values are decoded; unset acts as None.
    decoding_strategy values_decoding = decoding_strategy::none;
    friend bool operator==(template_from const&, template_from const&) = default;
};

struct template_metadata {
    std::map<std::string, std::string> labels, annotations;  ///< values are templates
    std::vector<std::string> finalizers;
    friend bool operator==(template_metadata const&, template_metadata const&) = default;
};

/// `target.template`.
struct secret_template {
    std::string type;                   ///< Secret type; empty: Opaque
    std::string engine_version = "v2";  ///< `engineVersion`; only `v2` exists
    template_metadata metadata;
    template_merge_policy merge_policy = template_merge_policy::replace;  ///< `mergePolicy`
    std::map<std::string, std::string> data;  ///< key -> Go text/template
    std::vector<template_from> from;          ///< `templateFrom`
    friend bool operator==(secret_template const&, secret_template const&) = default;
};

/// `target.manifest`: a generic (non-Secret) target. Read and written back so the field round-trips;
/// refused by validation, as ESO refuses it unless started with `--unsafe-allow-generic-targets`.
struct manifest_reference {
    std::string api_version, kind;  ///< `apiVersion`, `kind`
    friend bool operator==(manifest_reference const&, manifest_reference const&) = default;
};

/// `spec.target`: the Secret to write.
struct external_secret_target {
    std::string name;  ///< empty: the ExternalSecret's name
    creation_policy creation = creation_policy::owner;   ///< `creationPolicy`
    deletion_policy deletion = deletion_policy::retain;  ///< `deletionPolicy`
    boxed<secret_template> template_;                    ///< `template` (boxed: most targets have none)
    boxed<manifest_reference> manifest;                  ///< `manifest` (v1), refused by validation
    bool immutable = false;
    friend bool operator==(external_secret_target const&, external_secret_target const&) = default;
};

/// One `syncWindows.windows[]` entry: a window opening at each firing of `schedule`.
struct sync_window {
    std::string schedule;                         ///< 5-field cron (UTC) or a descriptor (`@daily`, `@every 1h`)
    std::chrono::nanoseconds duration{};          ///< `duration`: how long the window stays open
    friend bool operator==(sync_window const&, sync_window const&) = default;
};

/// `spec.syncWindows` (v1): when periodic refreshes may run. `allow`: only inside a window;
/// `deny`: never inside one. Creation and spec changes are not held back (ESO's rule).
struct sync_windows {
    sync_window_kind kind = sync_window_kind::allow;
    std::vector<sync_window> windows;  ///< at least one
    friend bool operator==(sync_windows const&, sync_windows const&) = default;
};

struct external_secret_spec {
    store_ref secret_store_ref;  ///< `secretStoreRef`; may be empty if every entry has a sourceRef
    external_secret_target target;
    std::optional<spec::refresh_policy> refresh_policy;        ///< `refreshPolicy`; unset acts as Periodic
    std::chrono::nanoseconds refresh_interval = std::chrono::hours(1);  ///< `refreshInterval`; 0: never refresh
    boxed<spec::sync_windows> sync_windows;                    ///< `syncWindows` (v1; boxed: rare)
    std::vector<external_secret_data> data;
    std::vector<external_secret_data_from> data_from;  ///< `dataFrom`
    friend bool operator==(external_secret_spec const&, external_secret_spec const&) = default;
};

/// `status` of an ExternalSecret: only what a controller reads back to decide whether to sync
/// and whether to write status again (a cache holds one per object, so nothing more). Read from
/// a document; `to_json` leaves it out (status is written through the status subresource).
struct external_secret_status {
    std::optional<std::chrono::system_clock::time_point> refresh_time;  ///< `refreshTime`; unset: never synced
    std::string synced_resource_version;  ///< `syncedResourceVersion`: `<generation>-<hash>` at the last sync
    std::string binding;                  ///< `binding.name`: the target Secret
    boxed<status_condition> ready;        ///< the `Ready` item of `conditions` (the only type ESO writes)
    friend bool operator==(external_secret_status const&, external_secret_status const&) = default;
};

struct external_secret {
    std::string api_version;  ///< `external-secrets.io/v1` or `external-secrets.io/v1beta1`
    object_meta metadata;
    external_secret_spec spec;
    external_secret_status status;
    friend bool operator==(external_secret const&, external_secret const&) = default;
};

/// `spec.externalSecretMetadata` of a ClusterExternalSecret.
struct external_secret_metadata {
    std::map<std::string, std::string> labels, annotations;
    friend bool operator==(external_secret_metadata const&, external_secret_metadata const&) = default;
};

struct cluster_external_secret_spec {
    spec::external_secret_spec external_secret_spec;          ///< `externalSecretSpec`, required
    std::string external_secret_name;                    ///< `externalSecretName`; empty: the CES name
    spec::external_secret_metadata external_secret_metadata;   ///< `externalSecretMetadata`
    std::optional<label_selector> namespace_selector;    ///< deprecated `namespaceSelector`
    std::vector<label_selector> namespace_selectors;     ///< `namespaceSelectors`, ORed
    std::vector<std::string> namespaces;                 ///< deprecated `namespaces`
    std::optional<std::chrono::nanoseconds> refresh_time;///< `refreshTime`; unset: the controller's (1h)
    friend bool operator==(cluster_external_secret_spec const&, cluster_external_secret_spec const&) = default;
};

struct cluster_external_secret {
    std::string api_version;
    object_meta metadata;
    cluster_external_secret_spec spec;
    friend bool operator==(cluster_external_secret const&, cluster_external_secret const&) = default;
};

} // namespace esx::spec

#endif
