// esx::controller: what a controller is told, and the `esx-controller` flags that say it.
//
// The flags live here, not in the example, so that the example's main stays one screen
// (flags -> options -> run) and a program embedding the controller parses the same words.
// Their names follow ESO's controller where ESO has one (`--namespace`, `--concurrent` is our
// `--concurrency`, `--client-qps`/`--client-burst` are our `--kube-qps`/`--kube-burst`,
// `--metrics-addr`, `--enable-leader-election` is our `--leader-elect`) and `esx sync` for the
// cluster and Azure connection (`--kubeconfig`, `--context`, `--cacert`, `--resolve`,
// `--allow-controller-identity`); the Azure SDK variables are read from the environment by
// `runtime_options::from_environment`.
#ifndef ESX_CONTROLLER_CONTROLLER_OPTIONS_HPP
#define ESX_CONTROLLER_CONTROLLER_OPTIONS_HPP

#include <esx/config.hpp>
#include <esx/controller/call_limits.hpp>
#include <esx/controller/leader_election.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/failure.hpp>
#include <esx/log.hpp>
#include <esx/pipeline/runtime.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace esx::controller {

struct controller_options {
    /// `--namespace`: watch ExternalSecrets, SecretStores and managed Secrets of one namespace
    /// only (ESO's `--namespace`); empty: every namespace. Cluster-scoped kinds
    /// (ClusterSecretStore, ClusterExternalSecret) are watched either way.
    std::string namespace_;
    /// `--concurrency`: ExternalSecret syncs in flight at once (ESO's `--concurrent`, default 1 there).
    std::size_t concurrency = 16;
    /// Store validations and ClusterExternalSecret reconciles in flight at once (each kind).
    std::size_t store_concurrency = 4;
    /// Backoff, retry budget, jitter and capacity of the ExternalSecret queue (its
    /// `concurrency` is set from `concurrency`).
    work_queue_options queue{};
    /// `--kube-qps`, `--kube-burst` (applied by the Kubernetes client), `--azure-qps`, `--azure-burst`.
    call_limit_options limits{};
    /// Periodic refreshes wait while this many of the controller's own ExternalSecret writes
    /// have not come back on its watch yet, so that a new ExternalSecret is not queued behind a
    /// refresh cycle's status writes on that watch (<esx/controller/write_echoes.hpp>); new,
    /// changed and retried ones never wait. 0: refreshes never wait.
    std::size_t refresh_write_backlog = 64;
    /// ESO's `--enable-flood-gate`: ExternalSecrets of a store that is not Ready wait for it.
    bool wait_for_ready_stores = true;
    /// ClusterExternalSecrets are reconciled (ESO's `--enable-cluster-external-secret-reconciler`).
    bool cluster_external_secrets = true;
    /// `--metrics-addr`: `HOST:PORT`, `:PORT` (every interface) or `0` (off, as controller-runtime).
    std::string metrics_addr = ":8080";
    /// `--health-addr`: `/healthz` and `/readyz`; the same forms. The same address as
    /// `metrics_addr` serves all three on one port.
    std::string health_addr = ":8081";
    /// `--leader-elect`: run the pools only while holding the Lease (`leader`).
    bool leader_elect = false;
    /// `--leader-elect-namespace` (`lease_namespace`), `--leader-elect-id` (`lease_name`),
    /// `--leader-elect-lease-duration`, `--leader-elect-renew-deadline`, `--leader-elect-retry-period`.
    leader_election_options leader{};
    /// How long in-flight syncs may take to finish after SIGTERM before the process stops
    /// waiting for them (Kubernetes' default termination grace period is 30 s; ours is shorter
    /// so that the lease is released before the kubelet's SIGKILL).
    std::chrono::seconds grace_period{20};
    /// `--store-requeue-interval` (ESO's name): how long a store's resolution (its credentials
    /// read from their Secret, its vault client) serves syncs before it is made again
    /// (`pipeline_options::store_revalidation`); sooner when the store changes or Azure refuses
    /// the credential. Zero: every sync reads the credentials.
    std::chrono::seconds store_requeue_interval{300};
    log::level log_level = log::level::info;   ///< `--log-level`
    /// `--kubeconfig`, `--context`, `--cacert`, `--resolve`, `--allow-controller-identity`,
    /// the Azure SDK variables (`runtime_options::from_environment`).
    runtime_options runtime{};
};

/// The outcome of reading the command line.
struct controller_command_line {
    controller_options options;
    bool help = false;  ///< `--help`/`-h`: print `controller_help()` and exit 0
};

/// Exit statuses of `esx-controller`.
enum controller_exit : int {
    exit_clean = 0,     ///< stopped by SIGTERM/SIGINT after its grace period, or `--help`
    exit_failed = 1,    ///< could not start (no cluster, a listener address in use) or lost the lease
    exit_usage = 2,     ///< bad flags
};

/// Reads `esx-controller`'s flags (`args` without the program name): `--flag value` or
/// `--flag=value`; switches take no value (or `=true`/`=false`).
/// @param getenv the environment (`ESX_CACERT`, `ESX_RESOLVE`, the Azure SDK variables).
/// @par Errors `error::invalid_option` naming the flag and what is wrong with it.
ESX_DECL result<controller_command_line, failure> parse_controller_flags(std::span<char const* const> args,
                                                                         auth::getenv_function getenv = &std::getenv);

/// The `--help` text: every flag, its default, the environment and the exit statuses.
ESX_DECL std::string_view controller_help() noexcept;

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/controller_options.ipp>
#endif

#endif
