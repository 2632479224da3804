// esx::mocks::sample::world: a small Azure tenant and Kubernetes cluster on loopback, shaped
// like the examples of the Azure Key Vault provider documentation, for the README's main job.
//
// Mock Kubernetes holds the namespace `default` with the Secret `azure-secret-sp` (ClientID,
// ClientSecret) and the ServiceAccount `workload-identity-sa` (client-id and tenant-id
// annotations). Mock Azure holds the vault `example` with `dev-secret-test`, `dev-key-test` (RSA
// 2048) and `dev-cert-test` (self-signed), one identity per auth type with read access, and trusts
// the mock cluster's service-account issuer for `system:serviceaccount:default:workload-identity-sa`.
// Like the mocks, it includes nothing of esx's client code.
#ifndef ESX_MOCKS_SAMPLE_WORLD_HPP
#define ESX_MOCKS_SAMPLE_WORLD_HPP

#include "mocks/azure/server.hpp"
#include "mocks/kube/server.hpp"

#include <string>

namespace esx::mocks::sample {

struct identities {
    static constexpr char const* tenant = "9f3b7c1e-esx-sample-tenant";
    static constexpr char const* service_principal = "sample-sp-client";   // secret in azure-secret-sp
    static constexpr char const* managed_identity = "sample-mi-client";    // system-assigned on "the node"
    static constexpr char const* workload_identity = "sample-wi-client";   // federated with the SA
    static constexpr char const* namespace_ = "default";
    static constexpr char const* sp_secret = "azure-secret-sp";
    static constexpr char const* service_account = "workload-identity-sa";
    static constexpr char const* vault = "example";
};

class world {
public:
    /// Starts mock Kubernetes, then mock Azure trusting its issuer; both serve before this returns.
    world();

    kube::server kube;
    azure::server azure;

    std::string vault_url() const { return azure.vault_url(identities::vault); }
    /// Token requests answered so far: Entra ID token endpoint plus IMDS.
    std::size_t token_requests() const;
};

} // namespace esx::mocks::sample

#endif
