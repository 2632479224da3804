// esx::spec: SecretStore and ClusterSecretStore as C++ types (`external-secrets.io/v1`, `v1beta1`).
//
// Types only: parsing lives in <esx/spec/json.hpp>, checks in <esx/spec/validate.hpp>. Only the
// `azurekv` provider exists here; a store naming another provider is refused while parsing.
// Field comments give ESO's JSON name where it differs from the C++ one.
#ifndef ESX_SPEC_STORE_HPP
#define ESX_SPEC_STORE_HPP

#include <esx/cloud.hpp>
#include <esx/spec/boxed.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esx::spec {

/// One `metadata.ownerReferences[]` item.
struct owner_reference {
    std::string api_version, kind, name, uid;  ///< `apiVersion`, `kind`, `name`, `uid`
    bool controller = false;                   ///< `controller`
    bool block_owner_deletion = false;         ///< `blockOwnerDeletion`
    friend bool operator==(owner_reference const&, owner_reference const&) = default;
};

/// `metadata`: the parts esx reads or writes back.
struct object_meta {
    std::string name, namespace_;
    std::map<std::string, std::string> labels, annotations;
    std::string uid, resource_version;  ///< `uid`, `resourceVersion`
    std::int64_t generation = 0;
    /// `deletionTimestamp` (RFC 3339): set by the API server once a delete waits on finalizers.
    boxed<std::string> deletion_timestamp;  ///< boxed: set only while a delete waits (8 bytes, not 40)
    std::vector<std::string> finalizers;
    std::vector<owner_reference> owner_references;  ///< `ownerReferences`
    friend bool operator==(object_meta const&, object_meta const&) = default;
};

/// A `status.conditions[]` item as a controller reads it back to decide whether to write again.
struct status_condition {
    std::string type;                  ///< `Ready` for every ESO resource
    std::string status;                ///< `True`, `False` or `Unknown`
    std::string reason, message;
    std::string last_transition_time;  ///< `lastTransitionTime` (RFC 3339), kept while `status` holds
    friend bool operator==(status_condition const&, status_condition const&) = default;
};

/// A key of a Kubernetes Secret: `{name, key, namespace}`.
struct secret_key_selector {
    std::string name, key;
    std::optional<std::string> namespace_;
    friend bool operator==(secret_key_selector const&, secret_key_selector const&) = default;
};

/// `serviceAccountRef`: the ServiceAccount whose token is exchanged (workload identity).
struct service_account_selector {
    std::string name;
    std::optional<std::string> namespace_;
    std::vector<std::string> audiences;  ///< appended to `api://AzureADTokenExchange`
    friend bool operator==(service_account_selector const&, service_account_selector const&) = default;
};

enum class azure_auth_type { service_principal, managed_identity, workload_identity };
enum class azure_environment { public_cloud, us_government_cloud, china_cloud, german_cloud, azure_stack_cloud };

/// ESO's enum text: `ServicePrincipal`, `ManagedIdentity`, `WorkloadIdentity`.
constexpr std::string_view to_string(azure_auth_type t) noexcept {
    switch (t) {
    case azure_auth_type::service_principal: return "ServicePrincipal";
    case azure_auth_type::managed_identity: return "ManagedIdentity";
    case azure_auth_type::workload_identity: return "WorkloadIdentity";
    }
    return "";
}

/// ESO's enum text, which is what `esx::cloud_for` takes: `PublicCloud`, ...
constexpr std::string_view to_string(azure_environment e) noexcept {
    switch (e) {
    case azure_environment::public_cloud: return "PublicCloud";
    case azure_environment::us_government_cloud: return "USGovernmentCloud";
    case azure_environment::china_cloud: return "ChinaCloud";
    case azure_environment::german_cloud: return "GermanCloud";
    case azure_environment::azure_stack_cloud: return "AzureStackCloud";
    }
    return "";
}

/// `authSecretRef`: `clientId`, `clientSecret`, `clientCertificate`, `tenantId`.
struct azurekv_auth_secret_ref {
    std::optional<secret_key_selector> client_id, client_secret, client_certificate, tenant_id;
    friend bool operator==(azurekv_auth_secret_ref const&, azurekv_auth_secret_ref const&) = default;
};

/// `spec.provider.azurekv`.
struct azurekv_provider {
    azure_auth_type auth_type = azure_auth_type::service_principal;  ///< `authType`
    std::string vault_url;                                           ///< `vaultUrl`, required
    std::optional<std::string> tenant_id;                            ///< `tenantId`
    azure_environment environment_type = azure_environment::public_cloud;  ///< `environmentType`
    std::optional<azurekv_auth_secret_ref> auth_secret_ref;          ///< `authSecretRef`
    std::optional<std::string> identity_id;                          ///< `identityId`
    std::optional<service_account_selector> service_account_ref;    ///< `serviceAccountRef`
    bool use_azure_sdk = false;                                      ///< `useAzureSDK` (v1 only)
    std::optional<esx::custom_cloud_config> custom_cloud_config;     ///< `customCloudConfig` (v1 only)
    friend bool operator==(azurekv_provider const& a, azurekv_provider const& b) {
        auto same_cloud = [](auto const& x, auto const& y) {
            if (x.has_value() != y.has_value()) return false;
            if (!x) return true;
            return x->active_directory_endpoint == y->active_directory_endpoint &&
                   x->key_vault_endpoint == y->key_vault_endpoint &&
                   x->key_vault_dns_suffix == y->key_vault_dns_suffix &&
                   x->resource_manager_endpoint == y->resource_manager_endpoint;
        };
        return a.auth_type == b.auth_type && a.vault_url == b.vault_url && a.tenant_id == b.tenant_id &&
               a.environment_type == b.environment_type && a.auth_secret_ref == b.auth_secret_ref &&
               a.identity_id == b.identity_id && a.service_account_ref == b.service_account_ref &&
               a.use_azure_sdk == b.use_azure_sdk && same_cloud(a.custom_cloud_config, b.custom_cloud_config);
    }
};

enum class store_kind { secret_store, cluster_secret_store };

/// `SecretStore` or `ClusterSecretStore`: the kind text of a store reference.
constexpr std::string_view to_string(store_kind k) noexcept {
    return k == store_kind::cluster_secret_store ? "ClusterSecretStore" : "SecretStore";
}

/// One `matchExpressions` item of a Kubernetes label selector.
struct label_selector_requirement {
    std::string key;
    std::string operator_;            ///< `In`, `NotIn`, `Exists`, `DoesNotExist`
    std::vector<std::string> values;  ///< empty for Exists / DoesNotExist
    friend bool operator==(label_selector_requirement const&, label_selector_requirement const&) = default;
};

/// A Kubernetes label selector; empty selects everything.
struct label_selector {
    std::map<std::string, std::string> match_labels;           ///< `matchLabels`
    std::vector<label_selector_requirement> match_expressions; ///< `matchExpressions`
    friend bool operator==(label_selector const&, label_selector const&) = default;
};

/// `spec.conditions[]` of a ClusterSecretStore: the namespaces whose ExternalSecrets may use
/// it. Within one condition the parts are ORed (ESO's `shouldProcessSecret`); conditions are ORed.
struct cluster_store_condition {
    std::optional<label_selector> namespace_selector;  ///< `namespaceSelector`
    std::vector<std::string> namespaces;                ///< `namespaces`
    std::vector<std::string> namespace_regexes;         ///< `namespaceRegexes` (RE2 syntax)
    friend bool operator==(cluster_store_condition const&, cluster_store_condition const&) = default;
};

/// `spec.retrySettings`: accepted and kept; ESO's azurekv provider does not read it (only the aws,
/// ibm, oracle and vault providers do), and neither does esx.
struct store_retry_settings {
    std::optional<std::int32_t> max_retries;    ///< `maxRetries`
    std::optional<std::string> retry_interval;  ///< `retryInterval`, a Go duration as ESO parses it
    friend bool operator==(store_retry_settings const&, store_retry_settings const&) = default;
};

struct secret_store_spec {
    std::string controller;                                 ///< `controller` (class)
    std::optional<std::chrono::seconds> refresh_interval;   ///< `refreshInterval`: int seconds or duration
    azurekv_provider provider;                              ///< `provider.azurekv`
    std::optional<store_retry_settings> retry_settings;     ///< `retrySettings`
    std::vector<cluster_store_condition> conditions;        ///< ClusterSecretStore only
    friend bool operator==(secret_store_spec const&, secret_store_spec const&) = default;
};

struct secret_store {
    std::string api_version;  ///< `external-secrets.io/v1` or `external-secrets.io/v1beta1`
    store_kind kind = store_kind::secret_store;
    object_meta metadata;
    secret_store_spec spec;
    friend bool operator==(secret_store const&, secret_store const&) = default;
};

} // namespace esx::spec

#endif
