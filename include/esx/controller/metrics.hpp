// esx::controller: the controller's metrics registry, scraped at `/metrics`.
//
// Families, by who defines them (names, types, labels and help texts as in ESO v2.9.0 and the
// controller-runtime it builds on, so ESO's dashboards and alerts keep working):
// - ESO, per object (label `name`, `namespace`; `namespace=""` for cluster-scoped objects, as ESO):
//   `externalsecret_sync_calls_total` and `externalsecret_sync_calls_error` (counters),
//   `{externalsecret,secretstore,clustersecretstore,clusterexternalsecret}_status_condition`
//   (gauges, labels `condition`, `name`, `namespace`, `status`: 1 for the current status of the
//   Ready condition, 0 for the opposite one) and `..._reconcile_duration` (gauges; the value is in
//   **nanoseconds**, as ESO writes `float64(time.Since(start))`).
// - ESO, per call: `externalsecret_provider_api_calls_count{provider="Azure/KeyVault",call,status}`.
// - controller-runtime, per controller (`externalsecret`, `secretstore`, ...):
//   `controller_runtime_reconcile_total{controller,result}` (result `success`, `error`,
//   `requeue_after`), `controller_runtime_reconcile_errors_total`,
//   `controller_runtime_terminal_reconcile_errors_total` (failures only a change can fix),
//   `controller_runtime_reconcile_time_seconds` (histogram, controller-runtime's buckets),
//   `controller_runtime_active_workers`, `controller_runtime_max_concurrent_reconciles`,
//   `workqueue_depth{controller,name}`.
// - esx's own: `esx_token_requests_total`, `esx_keyvault_reads_total`, `esx_read_cache_hits_total`,
//   `esx_kube_requests_total{verb}`, `esx_queue_depth{controller}` and
//   `esx_sync_duration_seconds` (histogram of ExternalSecret syncs).
//
// Per-object series go away with `forget(kind, key)` when the object is deleted (ESO keeps the
// counters and the duration of a deleted ExternalSecret for the life of the process; esx
// removes them all, so the registry never grows beyond the objects that exist). Per object the
// registry keeps one small record (about 100 bytes), not one entry per series.
//
// Label values are object names, verbs and call names: never a secret value, never a message.
//
// Cheap on the hot path: recording for an object or a label set seen before allocates nothing.
// Not locked: the registry belongs to the controller's executor (a strand), like the caches and
// the queue; `/metrics` renders it there too (<esx/controller/http_endpoints.hpp>).
#ifndef ESX_CONTROLLER_METRICS_HPP
#define ESX_CONTROLLER_METRICS_HPP

#include <esx/config.hpp>
#include <esx/controller/exposition.hpp>
#include <esx/controller/metric_family.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/work_queue.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace esx::controller {

/// The kinds of objects the controller reconciles, each with its own metric prefix.
enum class resource_kind : std::uint8_t { external_secret, secret_store, cluster_secret_store, cluster_external_secret };

/// `externalsecret`, `secretstore`, `clustersecretstore`, `clusterexternalsecret`: ESO's metric
/// prefix and controller-runtime's `controller` label.
ESX_DECL std::string_view controller_name(resource_kind kind) noexcept;

/// A counter without labels: `add` counts here, `observe_total` mirrors a running total kept
/// elsewhere (the token cache's requests, the pipeline's reads). Never goes back.
class total_counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_ += n; }
    void observe_total(std::uint64_t total) noexcept { value_ = std::max(value_, total); }
    std::uint64_t value() const noexcept { return value_; }

private:
    std::uint64_t value_ = 0;
};

class metrics {
public:
    ESX_DECL metrics();
    metrics(metrics const&) = delete;
    metrics& operator=(metrics const&) = delete;

    /// A sync of `key` began (one more active worker).
    ESX_DECL void sync_started(resource_kind kind, object_key const& key);

    /// A sync of `key` ended after `took`: counts the call (and the error, for a failure), sets
    /// the reconcile duration, counts the controller-runtime result and observes the histograms.
    ESX_DECL void sync_finished(resource_kind kind, object_key const& key, sync_outcome const& outcome,
                                std::chrono::nanoseconds took);

    /// The object's `Ready` condition now has `status` (`True`, `False`; anything else counts as
    /// `Unknown`). As ESO: `True` sets `status="True"` to 1 and `status="False"` to 0, `False` the
    /// reverse, `Unknown` sets `status="Unknown"` to 1.
    ESX_DECL void ready_condition(resource_kind kind, object_key const& key, std::string_view status);

    /// Removes every per-object series of `key` (the object was deleted). If a sync of `key` is
    /// running, its `sync_finished` still counts controller-wide but brings no series back; a
    /// sync started later (the object was created again) records afresh.
    ESX_DECL void forget(resource_kind kind, object_key const& key);

    /// Keys waiting in the controller's work queue (`workqueue_depth`, `esx_queue_depth`).
    ESX_DECL void queue_depth(resource_kind kind, std::size_t depth);
    /// The most syncs the controller runs at once (`controller_runtime_max_concurrent_reconciles`).
    ESX_DECL void max_concurrent_syncs(resource_kind kind, std::size_t n);

    /// One Key Vault request (`GetSecret`, `GetSecrets`, `GetKey`, `GetCertificate`, ...), as
    /// ESO's `externalsecret_provider_api_calls_count` counts them (token requests are not).
    ESX_DECL void provider_api_call(std::string_view call, bool ok);
    /// One Kubernetes API request (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`...).
    ESX_DECL void kube_request(std::string_view verb);

    total_counter token_requests;   ///< `esx_token_requests_total`: Entra ID, IMDS and TokenRequest calls
    total_counter keyvault_reads;   ///< `esx_keyvault_reads_total`: object reads sent to Key Vault
    total_counter read_cache_hits;  ///< `esx_read_cache_hits_total`: reads served from the shared read cache

    /// Runs `collect(*this)` at the start of every scrape, to copy running totals kept elsewhere
    /// (`keyvault_reads.observe_total(pipeline.stats().vault_reads)`, a queue's size...).
    ESX_DECL void on_collect(std::function<void(metrics&)> collect);

    /// The whole registry in the text format 0.0.4, families sorted by name.
    ESX_DECL std::string render();
    ESX_DECL void render(std::string& out);

    /// Objects with series of `kind` (what `forget` bounds).
    ESX_DECL std::size_t objects(resource_kind kind) const noexcept;

    /// The ExternalSecret sync-duration buckets (seconds) and controller-runtime's reconcile ones.
    ESX_DECL static std::span<double const> sync_duration_buckets() noexcept;
    ESX_DECL static std::span<double const> reconcile_time_buckets() noexcept;

private:
    // One record per object: every per-object series of ESO's families for that object.
    struct object_series {
        std::uint64_t sync_calls = 0;
        std::uint64_t sync_errors = 0;
        double reconcile_nanoseconds = 0;
        std::uint8_t has = 0;         // which of calls / errors / duration exist (bits below)
        std::uint8_t conditions = 0;  // per status (True, False, Unknown): present bit, value-is-1 bit
    };
    static constexpr std::uint8_t has_calls = 1, has_errors = 2, has_duration = 4;
    static constexpr std::uint8_t in_flight = 8, forgotten = 16;  // between sync_started and sync_finished

    // Hashed: every sync looks its object up twice, and a tree of 10,000 string keys made that
    // 2-3 % of a cold sync's CPU; the exposition (rare) sorts instead.
    struct per_kind {
        std::unordered_map<object_key, object_series> objects;
    };

    per_kind& of(resource_kind kind) noexcept { return kinds_[static_cast<std::size_t>(kind)]; }
    per_kind const& of(resource_kind kind) const noexcept { return kinds_[static_cast<std::size_t>(kind)]; }
    void append_object_families(std::string& out, resource_kind kind) const;

    std::array<per_kind, 4> kinds_;
    metric_family<double, 2> reconcile_total_;
    metric_family<double, 1> reconcile_errors_;
    metric_family<double, 1> terminal_errors_;
    metric_family<histogram, 1> reconcile_time_;
    metric_family<double, 1> active_workers_;
    metric_family<double, 1> max_concurrent_;
    metric_family<double, 2> workqueue_depth_;
    metric_family<double, 1> queue_depth_;
    metric_family<double, 3> provider_calls_;
    metric_family<double, 1> kube_requests_;
    histogram sync_duration_;
    std::vector<std::function<void(metrics&)>> collectors_;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/metrics.ipp>
#endif

#endif
