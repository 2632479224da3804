// esx::kube::resource: which collection a request addresses.
#ifndef ESX_KUBE_RESOURCE_HPP
#define ESX_KUBE_RESOURCE_HPP

#include <string>
#include <string_view>

namespace esx::kube {

/// A resource type as the REST paths name it: `/api/v1/...` for the core group ("") and
/// `/apis/<group>/<version>/...` otherwise; `plural` is the path segment (`secrets`).
struct resource {
    std::string group;
    std::string version;
    std::string plural;
    bool namespaced = true;
    std::string kind; ///< informational (`Secret`); used for messages and TokenRequest bodies

    /// `v1` or `group/version`, as `apiVersion` fields spell it.
    std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

/// The resources esx reads and writes.
namespace resources {
inline resource const secrets{"", "v1", "secrets", true, "Secret"};
inline resource const service_accounts{"", "v1", "serviceaccounts", true, "ServiceAccount"};
inline resource const namespaces{"", "v1", "namespaces", false, "Namespace"};
inline resource const config_maps{"", "v1", "configmaps", true, "ConfigMap"};
inline resource const events{"", "v1", "events", true, "Event"};
inline resource const leases{"coordination.k8s.io", "v1", "leases", true, "Lease"};
inline resource const external_secrets{"external-secrets.io", "v1", "externalsecrets", true, "ExternalSecret"};
inline resource const secret_stores{"external-secrets.io", "v1", "secretstores", true, "SecretStore"};
inline resource const cluster_secret_stores{"external-secrets.io", "v1", "clustersecretstores", false,
                                            "ClusterSecretStore"};
inline resource const cluster_external_secrets{"external-secrets.io", "v1", "clusterexternalsecrets", false,
                                               "ClusterExternalSecret"};
} // namespace resources

} // namespace esx::kube

#endif
