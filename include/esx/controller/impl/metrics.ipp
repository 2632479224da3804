// esx::controller: the metrics registry (see <esx/controller/metrics.hpp>).
#ifndef ESX_CONTROLLER_IMPL_METRICS_IPP
#define ESX_CONTROLLER_IMPL_METRICS_IPP

#include <esx/controller/metrics.hpp>

#include <utility>

namespace esx::controller {

namespace detail {
// controller-runtime's `controller_runtime_reconcile_time_seconds` buckets.
inline constexpr double reconcile_time_buckets[] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
    1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60};
// Prometheus' default buckets with two below 5 ms: an esx sync with warm caches takes about a
// millisecond, and the interesting tail is in tens of milliseconds.
inline constexpr double sync_duration_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25, 0.5, 1, 2.5, 5, 10};

// Bits of object_series::conditions: status i present at (1 << i), its value is 1 at (8 << i).
inline constexpr std::string_view condition_statuses[] = {"True", "False", "Unknown"};
inline constexpr std::uint8_t condition_present(std::size_t i) { return static_cast<std::uint8_t>(1u << i); }
inline constexpr std::uint8_t condition_one(std::size_t i) { return static_cast<std::uint8_t>(8u << i); }

using exposition::metric_type;
} // namespace detail

ESX_DECL std::string_view controller_name(resource_kind kind) noexcept {
    switch (kind) {
    case resource_kind::external_secret: return "externalsecret";
    case resource_kind::secret_store: return "secretstore";
    case resource_kind::cluster_secret_store: return "clustersecretstore";
    case resource_kind::cluster_external_secret: return "clusterexternalsecret";
    }
    return "externalsecret";
}

ESX_DECL std::span<double const> metrics::sync_duration_buckets() noexcept { return detail::sync_duration_buckets; }
ESX_DECL std::span<double const> metrics::reconcile_time_buckets() noexcept { return detail::reconcile_time_buckets; }

ESX_DECL metrics::metrics()
    : reconcile_total_("controller_runtime_reconcile_total", "Total number of reconciliations per controller",
                       detail::metric_type::counter, {"controller", "result"}),
      reconcile_errors_("controller_runtime_reconcile_errors_total",
                        "Total number of reconciliation errors per controller", detail::metric_type::counter,
                        {"controller"}),
      terminal_errors_("controller_runtime_terminal_reconcile_errors_total",
                       "Total number of terminal reconciliation errors per controller", detail::metric_type::counter,
                       {"controller"}),
      reconcile_time_("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller",
                      detail::metric_type::histogram, {"controller"}, detail::reconcile_time_buckets),
      active_workers_("controller_runtime_active_workers", "Number of currently used workers per controller",
                      detail::metric_type::gauge, {"controller"}),
      max_concurrent_("controller_runtime_max_concurrent_reconciles",
                      "Maximum number of concurrent reconciles per controller", detail::metric_type::gauge,
                      {"controller"}),
      workqueue_depth_("workqueue_depth", "Current depth of workqueue", detail::metric_type::gauge,
                       {"controller", "name"}),
      queue_depth_("esx_queue_depth", "Keys waiting in the controller's work queue (scheduled, not in flight)",
                   detail::metric_type::gauge, {"controller"}),
      provider_calls_("externalsecret_provider_api_calls_count", "Number of API calls towards the secret provider",
                      detail::metric_type::counter, {"call", "provider", "status"}),
      kube_requests_("esx_kube_requests_total", "Kubernetes API requests sent, by verb", detail::metric_type::counter,
                     {"verb"}),
      sync_duration_(detail::sync_duration_buckets) {}

ESX_DECL void metrics::sync_started(resource_kind kind, object_key const& key) {
    active_workers_.at({controller_name(kind)}) += 1;
    auto& objects = of(kind).objects;
    auto it = objects.find(key);
    if (it == objects.end()) it = objects.emplace(key, object_series{}).first;
    it->second.has |= in_flight;
}

ESX_DECL void metrics::sync_finished(resource_kind kind, object_key const& key, sync_outcome const& outcome,
                                     std::chrono::nanoseconds took) {
    auto const controller = controller_name(kind);
    auto& active = active_workers_.at({controller});
    if (active >= 1) active -= 1;

    auto& objects = of(kind).objects;
    auto it = objects.find(key);
    if (it == objects.end()) it = objects.emplace(key, object_series{}).first;
    auto& s = it->second;
    bool const failed = outcome.what() != sync_outcome::kind::synced;
    if (s.has & forgotten) {
        objects.erase(it);  // deleted while this sync ran: its series stay gone
    } else {
        s.has &= static_cast<std::uint8_t>(~in_flight);
        s.reconcile_nanoseconds = static_cast<double>(took.count());
        s.has |= has_duration;
        if (kind == resource_kind::external_secret) {
            ++s.sync_calls;
            s.has |= has_calls;
            if (failed) {
                ++s.sync_errors;
                s.has |= has_errors;
            }
        }
    }
    if (kind == resource_kind::external_secret) sync_duration_.observe(std::chrono::duration<double>(took).count());

    // controller-runtime's result label: an error, else requeue_after for a periodic refresh.
    std::string_view result = "success";
    if (failed) result = "error";
    else if (outcome.refresh_after()) result = "requeue_after";
    reconcile_total_.at({controller, result}) += 1;
    if (failed) {
        reconcile_errors_.at({controller}) += 1;
        if (outcome.what() == sync_outcome::kind::permanent_failure) terminal_errors_.at({controller}) += 1;
    }
    reconcile_time_.at({controller}).observe(std::chrono::duration<double>(took).count());
}

ESX_DECL void metrics::ready_condition(resource_kind kind, object_key const& key, std::string_view status) {
    auto& objects = of(kind).objects;
    auto it = objects.find(key);
    if (it == objects.end()) it = objects.emplace(key, object_series{}).first;
    if (it->second.has & forgotten) return;
    auto& c = it->second.conditions;
    using detail::condition_one;
    using detail::condition_present;
    if (status == "True") {
        c = static_cast<std::uint8_t>(c | condition_present(0) | condition_one(0) | condition_present(1));
        c = static_cast<std::uint8_t>(c & ~condition_one(1));
    } else if (status == "False") {
        c = static_cast<std::uint8_t>(c | condition_present(1) | condition_one(1) | condition_present(0));
        c = static_cast<std::uint8_t>(c & ~condition_one(0));
    } else {
        c = static_cast<std::uint8_t>(c | condition_present(2) | condition_one(2));
    }
}

ESX_DECL void metrics::forget(resource_kind kind, object_key const& key) {
    auto& objects = of(kind).objects;
    auto const it = objects.find(key);
    if (it == objects.end()) return;
    if (!(it->second.has & in_flight)) {
        objects.erase(it);
        return;
    }
    // A sync of it is running: keep an empty record until that sync's `sync_finished`, which
    // then drops it instead of bringing the series back.
    it->second = object_series{};
    it->second.has = static_cast<std::uint8_t>(in_flight | forgotten);
}

ESX_DECL void metrics::queue_depth(resource_kind kind, std::size_t depth) {
    auto const controller = controller_name(kind);
    workqueue_depth_.at({controller, controller}) = static_cast<double>(depth);
    queue_depth_.at({controller}) = static_cast<double>(depth);
}

ESX_DECL void metrics::max_concurrent_syncs(resource_kind kind, std::size_t n) {
    max_concurrent_.at({controller_name(kind)}) = static_cast<double>(n);
}

ESX_DECL void metrics::provider_api_call(std::string_view call, bool ok) {
    provider_calls_.at({call, "Azure/KeyVault", ok ? "success" : "error"}) += 1;
}

ESX_DECL void metrics::kube_request(std::string_view verb) { kube_requests_.at({verb}) += 1; }

ESX_DECL void metrics::on_collect(std::function<void(metrics&)> collect) { collectors_.push_back(std::move(collect)); }

ESX_DECL std::size_t metrics::objects(resource_kind kind) const noexcept { return of(kind).objects.size(); }

ESX_DECL void metrics::append_object_families(std::string& out, resource_kind kind) const {
    // In key order, as before the records were hashed (a scrape that is stable is easier to diff).
    std::vector<std::pair<object_key const*, object_series const*>> objects;
    objects.reserve(of(kind).objects.size());
    for (auto const& [k, s] : of(kind).objects) objects.emplace_back(&k, &s);
    std::sort(objects.begin(), objects.end(), [](auto const& a, auto const& b) { return *a.first < *b.first; });
    auto const prefix = controller_name(kind);
    std::string name;
    auto header = [&](std::string_view suffix, std::string_view help, detail::metric_type type, std::uint8_t bit) {
        bool any = false;
        for (auto const& [k, s] : objects)
            if (bit ? (s->has & bit) : s->conditions) { any = true; break; }
        if (!any) return false;
        name.assign(prefix).append(suffix);
        exposition::append_header(out, name, help, type);
        return true;
    };
    // ESO's help texts name the kind in words.
    std::string_view const words[] = {"External Secret", "Secret Store", "Cluster Secret Store", "Cluster External Secret"};
    auto const what = words[static_cast<std::size_t>(kind)];
    std::string help;

    help.assign("The duration time to reconcile the ").append(what);
    if (header("_reconcile_duration", help, detail::metric_type::gauge, has_duration))
        for (auto const& [k, s] : objects) {
            if (!(s->has & has_duration)) continue;
            exposition::label const labels[] = {{"name", k->name()}, {"namespace", k->namespace_()}};
            exposition::append_sample(out, name, {}, labels, s->reconcile_nanoseconds);
        }

    help.assign("The status condition of a specific ").append(what);
    if (header("_status_condition", help, detail::metric_type::gauge, 0))
        for (auto const& [k, s] : objects)
            for (std::size_t i = 0; i < 3; ++i) {
                if (!(s->conditions & detail::condition_present(i))) continue;
                exposition::label const labels[] = {{"condition", "Ready"},
                                                    {"name", k->name()},
                                                    {"namespace", k->namespace_()},
                                                    {"status", detail::condition_statuses[i]}};
                exposition::append_sample(out, name, {}, labels, (s->conditions & detail::condition_one(i)) ? 1 : 0);
            }

    if (kind != resource_kind::external_secret) return;
    if (header("_sync_calls_error", "Total number of the External Secret sync errors", detail::metric_type::counter,
               has_errors))
        for (auto const& [k, s] : objects) {
            if (!(s->has & has_errors)) continue;
            exposition::label const labels[] = {{"name", k->name()}, {"namespace", k->namespace_()}};
            exposition::append_sample(out, name, {}, labels, static_cast<double>(s->sync_errors));
        }
    if (header("_sync_calls_total", "Total number of the External Secret sync calls", detail::metric_type::counter,
               has_calls))
        for (auto const& [k, s] : objects) {
            if (!(s->has & has_calls)) continue;
            exposition::label const labels[] = {{"name", k->name()}, {"namespace", k->namespace_()}};
            exposition::append_sample(out, name, {}, labels, static_cast<double>(s->sync_calls));
        }
}

ESX_DECL std::string metrics::render() {
    std::string out;
    render(out);
    return out;
}

ESX_DECL void metrics::render(std::string& out) {
    for (auto const& collect : collectors_) collect(*this);
    out.reserve(out.size() + 4096 + 160 * (objects(resource_kind::external_secret) * 4));
    auto plain_counter = [&](std::string_view name, std::string_view help, total_counter const& c) {
        exposition::append_header(out, name, help, detail::metric_type::counter);
        exposition::append_sample(out, name, {}, {}, static_cast<double>(c.value()));
    };
    // Families in name order, as client_golang gathers them.
    append_object_families(out, resource_kind::cluster_external_secret);
    append_object_families(out, resource_kind::cluster_secret_store);
    active_workers_.append_to(out);
    max_concurrent_.append_to(out);
    reconcile_errors_.append_to(out);
    reconcile_time_.append_to(out);
    reconcile_total_.append_to(out);
    terminal_errors_.append_to(out);
    plain_counter("esx_keyvault_reads_total", "Object reads sent to Key Vault (after deduplication)", keyvault_reads);
    kube_requests_.append_to(out);
    queue_depth_.append_to(out);
    plain_counter("esx_read_cache_hits_total", "Key Vault reads served from the shared read cache", read_cache_hits);
    exposition::append_header(out, "esx_sync_duration_seconds", "Time to sync one ExternalSecret, in seconds",
                              detail::metric_type::histogram);
    sync_duration_.append_to(out, "esx_sync_duration_seconds", {});
    plain_counter("esx_token_requests_total", "Token requests sent (Entra ID, IMDS, TokenRequest)", token_requests);
    provider_calls_.append_to(out);
    append_object_families(out, resource_kind::external_secret);
    append_object_families(out, resource_kind::secret_store);
    workqueue_depth_.append_to(out);
}

} // namespace esx::controller

#endif
