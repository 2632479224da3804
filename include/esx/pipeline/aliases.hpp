// esx: the pipeline as most programs want it.
#ifndef ESX_PIPELINE_ALIASES_HPP
#define ESX_PIPELINE_ALIASES_HPP

#include <esx/auth/any_of.hpp>
#include <esx/auth/managed_identity.hpp>
#include <esx/auth/service_principal.hpp>
#include <esx/auth/workload_identity.hpp>
#include <esx/object/kinds.hpp>
#include <esx/pipeline/basic_pipeline.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/retry.hpp>

namespace esx {

/// Every auth type ESO's Azure provider has; a store's `authType` picks one.
using default_auth = auth::any_of<auth::service_principal<>, auth::managed_identity<>, auth::workload_identity<>>;

/// HTTPS with ESO's (the Azure SDK's) retries on throttling and transient failures.
using default_vault_transport = transport::retry<transport::https>;

/// `basic_pipeline` with every auth type, the retrying HTTPS transport and the `secret/`,
/// `key/`, `cert/` kinds: `esx::pipeline<esx::sink::kubernetes_secret<>> sync(rt, sink, manifests);`
template <class Sink, class Kinds = object::default_kinds_t>
using pipeline = basic_pipeline<default_auth, default_vault_transport, Sink, Kinds>;

} // namespace esx

#endif
