// esx: how a pipeline runs, and what it counted.
#ifndef ESX_PIPELINE_OPTIONS_HPP
#define ESX_PIPELINE_OPTIONS_HPP

#include <esx/keyvault/client.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/sink/target.hpp>
#include <esx/transform/template/options.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace esx {

struct pipeline_options {
    /// Passed to every sink call (`dry_run`: compute and report, write nothing).
    sink::apply_options apply;
    /// How many ExternalSecrets `sync_all` works on at once (they share reads and tokens).
    std::size_t concurrency = 16;
    /// The namespace of documents that name none (kubectl's `--namespace`).
    std::string default_namespace = "default";
    /// An ExternalSecret without a UID (read from a file) is looked up in the cluster; if it is
    /// there, its UID owns the target as ESO would. Without it (or when it is not in the
    /// cluster) a `creationPolicy: Owner` target is written without an ownerReference, and the
    /// result says so (a Secret owned by a UID that does not exist would be garbage-collected).
    bool owner_from_cluster = false;
    /// For every vault client: api-version, page limit, logger.
    keyvault::client_options vault;
    /// How `target.template` renders: the delimiters (ESO's `--template-left-delimiter` and
    /// `--template-right-delimiter`), the bounds of one render, the clock `now` reads.
    transform::templating::options templates;
    /// Called by `sync_all` as each ExternalSecret finishes, in completion order (a progress
    /// line; the results themselves come back in the order given). Empty: not called.
    std::function<void(sync_result const&)> on_result;
    /** How long a store's resolution (its auth policy, i.e. the credential read from its Secret
        or ServiceAccount, and its vault client) serves later runs (ESO's
        `--store-requeue-interval`, 5 minutes). It is made again sooner when the store's spec
        or uid changes, when `forget_store` names it, or when Azure refuses the credential
        (`condition::auth_failed`): a rotated credential Secret is therefore used at the latest
        one period after the rotation, and at once after Azure refuses the old one. Zero:
        resolved once per run, as before (the CLI's one run is not affected either way). */
    std::chrono::seconds store_revalidation = std::chrono::minutes(5);
};

/// What a pipeline did so far (all runs).
struct pipeline_stats {
    std::size_t vault_reads = 0;     ///< object GETs sent to Key Vault (after deduplication)
    std::size_t list_pages = 0;      ///< listing pages read for `dataFrom.find`
    std::size_t stores_resolved = 0; ///< store lookups (once per store, namespace and run)
    std::size_t credentials_resolved = 0;  ///< store resolutions that read credentials (the others reused a kept one)
    std::size_t resolutions_dropped = 0;   ///< kept resolutions dropped because Azure refused their credential
    std::size_t vault_clients = 0;   ///< clients made, one per (identity, vault)
};

} // namespace esx

#endif
