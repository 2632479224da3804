// esx::auth: from a store's `spec.provider.azurekv` to a policy's options, reading credentials
// from Kubernetes with ESO's rules, order and messages (eso-behaviour.md §§ 1.5, 1.6, 2.3).
#ifndef ESX_AUTH_STORE_CREDENTIALS_HPP
#define ESX_AUTH_STORE_CREDENTIALS_HPP

#include <esx/auth/kube_access.hpp>
#include <esx/auth/managed_identity.hpp>
#include <esx/auth/service_principal.hpp>
#include <esx/auth/workload_identity.hpp>
#include <esx/spec/store.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace esx::auth {

/** Which namespaces a store may read credentials from.

    - A namespaced `SecretStore` reads only from its own namespace. A reference naming another
      namespace is refused with ESO's admission message (ESO's runtime silently ignores it).
    - A `ClusterSecretStore` reads from the namespace in the reference, or, when the reference
      has none, from the ExternalSecret's namespace ("referent authentication"). Without an
      ExternalSecret (validating the store itself) such a reference cannot be resolved.
    - The controller's own identity (ManagedIdentity, WorkloadIdentity without
      `serviceAccountRef`) is refused for namespaced stores unless `allow_controller_identity`. */
struct credential_scope {
    spec::store_kind kind = spec::store_kind::secret_store;
    std::string store_namespace;    ///< a SecretStore's namespace; empty for a ClusterSecretStore
    std::string referent_namespace; ///< the ExternalSecret's namespace; empty while validating a store
    bool allow_controller_identity = false;

    static credential_scope of(spec::secret_store const& store, std::string_view external_secret_namespace = {},
                               bool allow_controller_identity = false) {
        credential_scope s;
        s.kind = store.kind;
        if (store.kind == spec::store_kind::secret_store) s.store_namespace = store.metadata.namespace_;
        s.referent_namespace = std::string(external_secret_namespace);
        s.allow_controller_identity = allow_controller_identity;
        return s;
    }

    bool cluster() const noexcept { return kind == spec::store_kind::cluster_secret_store; }

    /// The namespace to read the object referenced at `field` from.
    result<std::string, failure> namespace_for(std::string_view field,
                                               std::optional<std::string> const& ref_namespace) const {
        bool const named = ref_namespace && !ref_namespace->empty();
        if (!cluster()) {
            std::string const own = store_namespace.empty() ? referent_namespace : store_namespace;
            if (named && *ref_namespace != own)
                return invalid(field, "namespace should either be empty or match the namespace of the SecretStore "
                                      "for a namespaced SecretStore");
            if (own.empty()) return invalid(field, "the SecretStore has no namespace");
            return own;
        }
        if (named) return *ref_namespace;
        if (!referent_namespace.empty()) return referent_namespace;
        return invalid(field, "namespace is required: a ClusterSecretStore reference without a namespace is "
                              "resolved in the ExternalSecret's namespace (referent authentication), and there is "
                              "no ExternalSecret here");
    }

    static failure invalid(std::string_view field, std::string_view why) {
        failure f{make_error_code(error::invalid_option), std::string(field) + ".namespace: " + std::string(why)};
        f.causes.push_back({std::string(field) + ".namespace", "FieldValueInvalid", std::string(why)});
        return f;
    }
};

namespace detail {

inline failure store_config_failure(std::string_view field, std::string message) {
    failure f{make_error_code(error::invalid_option), message};
    f.causes.push_back({std::string(field), "FieldValueRequired", std::move(message)});
    return f;
}

/// Reads the key a `SecretKeySelector` at `field` names, in the namespace `scope` allows.
template <kube_access K>
boost::asio::awaitable<result<secret_bytes, failure>> read_secret_ref(K& kube, credential_scope const& scope,
                                                                      std::string field,
                                                                      spec::secret_key_selector const& sel) {
    if (sel.name.empty()) co_return store_config_failure(field + ".name", field + ".name: must not be empty");
    if (sel.key.empty()) co_return store_config_failure(field + ".key", field + ".key: must not be empty");
    auto ns = scope.namespace_for(field, sel.namespace_);
    if (!ns) co_return ns.error();
    auto value = co_await kube.read_secret_key(*ns, sel.name, sel.key);
    if (!value) {
        failure f = value.error();
        f.message = "cannot get Kubernetes secret \"" + sel.name + "\" from namespace \"" + *ns + "\": " + f.what();
        co_return f;
    }
    if (!*value)
        co_return store_config_failure(field + ".key", "cannot find secret data for key: \"" + sel.key + "\"");
    co_return std::move(**value);
}

inline std::string to_plain(secret_bytes const& s) { return std::string(s.reveal()); }

} // namespace detail

/** `authType: ServicePrincipal`: tenant from `tenantId`, client id and secret or certificate
    from `authSecretRef`. Errors are ESO's: `missing tenantID in store config`, `missing
    secretRef in provider config`, `missing accessKeyID/secretAccessKey in store config`,
    `both clientSecret and clientCredentials set`, `cannot get Kubernetes secret ...`,
    `cannot find secret data for key: ...`, plus the certificate's. */
template <kube_access K>
boost::asio::awaitable<result<service_principal_options, failure>>
service_principal_credentials(K& kube, spec::azurekv_provider const& p, credential_scope const& scope, esx::cloud c,
                              jwt_algorithm alg = jwt_algorithm::ps256) {
    using detail::store_config_failure;
    if (!p.tenant_id || p.tenant_id->empty())
        co_return store_config_failure("spec.provider.azurekv.tenantId", "missing tenantID in store config");
    if (!p.auth_secret_ref)
        co_return store_config_failure("spec.provider.azurekv.authSecretRef", "missing secretRef in provider config");
    auto const& a = *p.auth_secret_ref;
    if (!a.client_id || (!a.client_secret && !a.client_certificate))
        co_return store_config_failure("spec.provider.azurekv.authSecretRef",
                                       "missing accessKeyID/secretAccessKey in store config");
    if (a.client_secret && a.client_certificate)
        co_return store_config_failure("spec.provider.azurekv.authSecretRef",
                                       "both clientSecret and clientCredentials set");
    service_principal_options o;
    o.tenant_id = *p.tenant_id;
    o.cloud = std::move(c);
    auto client_id = co_await detail::read_secret_ref(kube, scope, "spec.provider.azurekv.authSecretRef.clientId", *a.client_id);
    if (!client_id) co_return client_id.error();
    o.client_id = detail::to_plain(*client_id);
    if (a.client_secret) {
        auto s = co_await detail::read_secret_ref(kube, scope, "spec.provider.azurekv.authSecretRef.clientSecret",
                                                  *a.client_secret);
        if (!s) co_return s.error();
        o.credential = client_secret{std::move(*s)};
    } else {
        auto pem = co_await detail::read_secret_ref(kube, scope, "spec.provider.azurekv.authSecretRef.clientCertificate",
                                                    *a.client_certificate);
        if (!pem) co_return pem.error();
        auto cert = client_certificate::load(*pem, alg);
        if (!cert) co_return cert.error();
        o.credential = std::move(*cert);
    }
    co_return o;
}

/// How a refusal of the controller's own identity names its remedy (the C++ switch and the CLI flag).
inline constexpr std::string_view controller_identity_remedy =
    "; to allow it, set allow_controller_identity (esx::runtime_options or esx::auth::store_auth_context) or run "
    "`esx sync --allow-controller-identity`, or use a ClusterSecretStore";

/** The controller-identity rule: `ManagedIdentity`, and `WorkloadIdentity` without a
    `serviceAccountRef`, authenticate as the controller itself (the node's identity, the
    controller's mounted token), which every namespace could then borrow. A namespaced
    SecretStore may use them only when `scope.allow_controller_identity`. Checked before any
    credential is read, so a refused store reads nothing; the failure names the switch. */
inline result<void, failure> check_controller_identity(spec::azurekv_provider const& p, credential_scope const& scope) {
    if (scope.cluster() || scope.allow_controller_identity) return {};
    if (p.auth_type == spec::azure_auth_type::managed_identity)
        return detail::store_config_failure(
            "spec.provider.azurekv.authType",
            "spec.provider.azurekv.authType: ManagedIdentity uses the controller's own identity and is not allowed "
            "in a namespaced SecretStore" + std::string(controller_identity_remedy));
    if (p.auth_type == spec::azure_auth_type::workload_identity && !p.service_account_ref)
        return detail::store_config_failure(
            "spec.provider.azurekv.serviceAccountRef",
            "spec.provider.azurekv.serviceAccountRef: WorkloadIdentity without a serviceAccountRef uses the "
            "controller's own identity (its mounted token) and is not allowed in a namespaced SecretStore" +
                std::string(controller_identity_remedy));
    return {};
}

/** `authType: ManagedIdentity`: `identityId` selects a user-assigned identity. The identity is
    the controller's (the node's), so a namespaced SecretStore may use it only when allowed. */
inline result<managed_identity_options, failure> managed_identity_credentials(spec::azurekv_provider const& p,
                                                                              credential_scope const& scope,
                                                                              std::string imds_endpoint = {}) {
    if (auto allowed = check_controller_identity(p, scope); !allowed) return allowed.error();
    managed_identity_options o;
    if (p.identity_id && !p.identity_id->empty()) o.identity_id = *p.identity_id;
    if (!imds_endpoint.empty()) o.endpoint = std::move(imds_endpoint);
    return o;
}

/// Reads environment variables; tests pass their own.
using getenv_function = std::function<char const*(char const*)>;

/** `authType: WorkloadIdentity`.

    Without `serviceAccountRef`: the controller's mounted token (`AZURE_CLIENT_ID`,
    `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`), refused for a namespaced store unless
    allowed. With it: a TokenRequest for that ServiceAccount (audiences
    `api://AzureADTokenExchange` plus `serviceAccountRef.audiences`) at every exchange; client
    id from `authSecretRef.clientId`, else the `azure.workload.identity/client-id` annotation;
    tenant from `authSecretRef.tenantId`, else `tenantId`, else the
    `azure.workload.identity/tenant-id` annotation, else `AZURE_TENANT_ID` (ESO's order and
    messages, eso-behaviour.md § 2.3). */
template <kube_access K>
boost::asio::awaitable<result<workload_identity_options, failure>>
workload_identity_credentials(std::shared_ptr<K> kube, spec::azurekv_provider const& p, credential_scope const& scope,
                              esx::cloud c, getenv_function getenv = &std::getenv) {
    using detail::store_config_failure;
    if (!p.service_account_ref) {
        if (auto allowed = check_controller_identity(p, scope); !allowed) co_return allowed.error();
        co_return workload_identity_options::from_environment(std::move(c), getenv);
    }
    auto const& sa = *p.service_account_ref;
    if (sa.name.empty())
        co_return store_config_failure("spec.provider.azurekv.serviceAccountRef.name",
                                       "spec.provider.azurekv.serviceAccountRef.name: must not be empty");
    auto ns = scope.namespace_for("spec.provider.azurekv.serviceAccountRef", sa.namespace_);
    if (!ns) co_return ns.error();
    auto annotations = co_await kube->service_account_annotations(*ns, sa.name);
    if (!annotations) co_return annotations.error();

    std::string client_id;
    if (p.auth_secret_ref) {
        if (!p.auth_secret_ref->client_id)
            co_return store_config_failure("spec.provider.azurekv.authSecretRef.clientId",
                                           "missing accessKeyID/secretAccessKey in store config");
        auto id = co_await detail::read_secret_ref(*kube, scope, "spec.provider.azurekv.authSecretRef.clientId",
                                                   *p.auth_secret_ref->client_id);
        if (!id) co_return id.error();
        client_id = detail::to_plain(*id);
    }
    if (auto it = annotations->find("azure.workload.identity/client-id"); it != annotations->end()) {
        if (!client_id.empty())
            co_return store_config_failure("spec.provider.azurekv.serviceAccountRef",
                                           "multiple clientID found. Check secretRef and serviceAccountRef");
        client_id = it->second;
    }
    if (client_id.empty())
        co_return store_config_failure("spec.provider.azurekv.serviceAccountRef",
                                       "missing clientID: either serviceAccountRef or service account annotation "
                                       "'azure.workload.identity/client-id' is missing");

    std::string tenant_id;
    if (p.auth_secret_ref && p.auth_secret_ref->tenant_id) {
        auto t = co_await detail::read_secret_ref(*kube, scope, "spec.provider.azurekv.authSecretRef.tenantId",
                                                  *p.auth_secret_ref->tenant_id);
        if (!t) co_return t.error();
        tenant_id = detail::to_plain(*t);
    }
    if (tenant_id.empty() && p.tenant_id) tenant_id = *p.tenant_id;
    if (auto it = annotations->find("azure.workload.identity/tenant-id"); it != annotations->end()) {
        if (!tenant_id.empty())
            co_return store_config_failure("spec.provider.azurekv.serviceAccountRef",
                                           "multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', "
                                           "and serviceAccountRef");
        tenant_id = it->second;
    }
    if (tenant_id.empty() && getenv)
        if (char const* env = getenv("AZURE_TENANT_ID")) tenant_id = env;
    if (tenant_id.empty())
        co_return store_config_failure("spec.provider.azurekv.tenantId", "missing tenantID in store config");

    std::vector<std::string> audiences{std::string(token_exchange_audience)};
    for (auto const& a : sa.audiences)
        if (!a.empty() && a != token_exchange_audience) audiences.push_back(a);

    workload_identity_options o;
    o.client_id = std::move(client_id);
    o.tenant_id = std::move(tenant_id);
    o.cloud = std::move(c);
    o.source_description = "service account " + *ns + "/" + sa.name;
    o.assertion = [kube, ns = *ns, name = sa.name, audiences = std::move(audiences)] {
        return kube->request_service_account_token(ns, name, audiences);
    };
    co_return o;
}

} // namespace esx::auth

#endif
