// esx::controller::basic_controller: the parts of the controller, put together.
//
// kube-rs's `Controller` (reflectors + scheduler + runner, style-anchors.md § 4) for ESO's
// resources:
//
//   reflectors (list+watch -> caches)        ExternalSecret, SecretStore, ClusterSecretStore,
//                                            ClusterExternalSecret, managed Secrets, Namespaces
//        | change callbacks
//   triggers (what re-queues what)           <esx/controller/triggers.hpp>
//        | three work queues                 ExternalSecrets; stores; ClusterExternalSecrets
//   worker pools (bounded, one per queue)    <esx/controller/worker_pool.hpp>
//        |
//   reconcilers                              ExternalSecret (<reconcile.hpp>), store
//                                            (<store_reconcile.hpp>), ClusterExternalSecret
//                                            (<cluster_external_secret.hpp>)
//
// plus the shared read cache of the pipeline, the event recorder, the metrics registry
// (<metrics.hpp>), the `/metrics` `/healthz` `/readyz` server (<http_endpoints.hpp>), Lease
// leader election (<leader_election.hpp>) and the shutdown sequence (<shutdown.hpp>).
//
// `run()`:
// 1. starts the reflectors and waits until the caches a sync reads besides its own
//    ExternalSecret (stores, managed Secrets, namespaces) hold their first list (reconciling
//    against half-listed caches would be wrong: a store not listed yet looks deleted);
// 2. with leader election, waits until this replica leads (the caches keep following the
//    cluster meanwhile, so a standby takes over with warm caches);
// 3. runs the ExternalSecret and store pools, the ExternalSecrets syncing as their list
//    arrives, and the ClusterExternalSecret pool once every cache is listed, until `stop()`
//    (or SIGTERM, with `listen_for_signals()`);
// 4. then the shutdown sequence: no new syncs, the syncs in flight finish within the grace
//    period, the Lease is released; then the reflectors and the endpoints stop.
// Losing the Lease ends the run with a failure (as controller-runtime, which exits): another
// replica writes now, this one must not.
//
// Everything runs on the executor given to the runtime, which must be single-threaded (an
// `io_context` run by one thread) or a strand: the caches, queues, metrics and reconcilers are
// not locked. `stop()` is the one member safe to call from any thread.
#ifndef ESX_CONTROLLER_BASIC_CONTROLLER_HPP
#define ESX_CONTROLLER_BASIC_CONTROLLER_HPP

#include <esx/controller/cluster_external_secret.hpp>
#include <esx/controller/completion_flag.hpp>
#include <esx/controller/controller_options.hpp>
#include <esx/controller/cache_sources.hpp>
#include <esx/controller/created_by_index.hpp>
#include <esx/controller/events.hpp>
#include <esx/controller/http_endpoints.hpp>
#include <esx/controller/leader_election.hpp>
#include <esx/controller/managed_secret.hpp>
#include <esx/controller/metrics.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/reconcile.hpp>
#include <esx/controller/reflector.hpp>
#include <esx/controller/shutdown.hpp>
#include <esx/controller/store_reconcile.hpp>
#include <esx/controller/triggers.hpp>
#include <esx/controller/write_echoes.hpp>
#include <esx/controller/worker_pool.hpp>
#include <esx/failure.hpp>
#include <esx/kube/client.hpp>
#include <esx/kube/rate_limiter.hpp>
#include <esx/kube/resource.hpp>
#include <esx/log.hpp>
#include <esx/pipeline/aliases.hpp>
#include <esx/pipeline/basic_pipeline.hpp>
#include <esx/pipeline/read_cache.hpp>
#include <esx/pipeline/runtime.hpp>
#include <esx/sink/kubernetes_secret.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/spec/store.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::controller {

namespace detail {

/// The clock a `basic_pipeline` reads its cache's time from.
template <class Pipeline>
struct pipeline_clock;
template <class A, class T, class S, class K, class C>
struct pipeline_clock<basic_pipeline<A, T, S, K, C>> {
    using type = C;
};

/// The labels of a Namespace (for the ClusterExternalSecret selectors).
inline bool namespace_labels_changed(boost::json::object const& before, boost::json::object const& after) {
    auto labels = [](boost::json::object const& o) -> boost::json::value const* {
        auto const* m = o.if_contains("metadata");
        return m && m->is_object() ? m->as_object().if_contains("labels") : nullptr;
    };
    auto const* a = labels(before);
    auto const* b = labels(after);
    if (!a || !b) return (a == nullptr) != (b == nullptr);
    return *a != *b;
}

inline resource_kind store_kind_of(object_key const& store_queue_key) {
    return store_queue_key.namespace_().empty() ? resource_kind::cluster_secret_store : resource_kind::secret_store;
}

} // namespace detail

/// What a controller did so far (for tests, the benchmark and the last log line).
struct controller_stats {
    std::uint64_t external_secret_syncs = 0;  ///< ExternalSecret reconciles run (gated ones excluded)
    std::uint64_t store_validations = 0;
    std::uint64_t cluster_external_secret_syncs = 0;
    std::uint64_t resyncs = 0;                ///< full re-queues after a queue overflowed
    std::uint64_t forced_syncs = 0;           ///< force-sync annotation changes (each empties the read cache)
};

/** The controller (see the top of this file).

    @tparam Pipeline a `basic_pipeline` whose sink writes Kubernetes Secrets
            (`esx::pipeline<esx::sink::kubernetes_secret<>>`, see `controller::pipeline_type`)
    @tparam Clock every time decision: refreshes, backoff, grace period
            (`transport::steady_clock`; the end-to-end tests use it too, since
            `esx::testing::fake_clock` would run every refresh at once) */
template <class Pipeline, transport::waiting_clock Clock = transport::steady_clock>
class basic_controller {
public:
    using kube_client = kube::client<>;
    using clock_type = Clock;
    using queue_type = basic_work_queue<Clock>;
    using work_item = typename queue_type::work_item;
    using pool_type = basic_worker_pool<Clock>;
    using recorder_type = basic_event_recorder<kube_client, Clock>;
    using external_secret_reconciler = basic_external_secret_reconciler<Pipeline, kube_client, Clock>;
    using store_reconciler =
        basic_store_reconciler<typename Pipeline::auth_type, typename Pipeline::transport_type, Clock>;
    using cluster_external_secret_reconciler = basic_cluster_external_secret_reconciler<kube_client>;
    template <class T>
    using reflector = basic_reflector<T, kube_client, Clock>;

    /** A controller on `rt`'s executor and Kubernetes client, syncing through `pipeline` (both
        must outlive it). The pipeline gets a shared read cache (`share_reads`).
        @par Errors none here: a runtime without a cluster makes `run()` fail, saying why. */
    basic_controller(runtime& rt, Pipeline& pipeline, controller_options o, Clock clock = Clock())
        : rt_(rt), pipeline_(pipeline), options_(std::move(o)), clock_(clock), ex_(rt.get_executor()),
          log_(rt.options().logger.with({{"component", "esx.controller"}})),
          kube_(kube_or_null(rt)),
          triggers_(external_secrets_, secret_stores_, cluster_secret_stores_, trigger_options_of(options_), clock),
          es_pool_(ex_, triggers_.external_secrets()), store_pool_(ex_, triggers_.stores()),
          ces_pool_(ex_, triggers_.cluster_external_secrets()), pools_done_(ex_), wake_(ex_),
          shutdown_(ex_, shutdown_options{std::chrono::duration_cast<std::chrono::milliseconds>(options_.grace_period),
                                          rt.options().logger}, // unbound: its lines name their component
                    clock) {
        if (!kube_) return;  // `run()` reports it
        build();
    }

    /// Takes its Azure call limit and request observers off the runtime's shared clients.
    ~basic_controller() {
        rt_.pace_azure_requests(nullptr);
        if (kube_) kube_->observe_requests(nullptr);
        pipeline_.observe_vault_calls(nullptr);
        // The pipeline outlives the controller: nothing it keeps may point into the caches.
        pipeline_.serve_stores_from({});
        pipeline_.hint_targets(nullptr);
        alive_.reset();
    }

    basic_controller(basic_controller const&) = delete;
    basic_controller& operator=(basic_controller const&) = delete;

    /** Runs until `stop()` (see the top of this file).
        @par Errors no cluster (the runtime's configuration failed), a listen address that
        cannot be bound, invalid leader election settings, or the Lease lost. */
    boost::asio::awaitable<result<void, failure>> run() {
        if (!kube_) co_return rt_.kube().error();
        if (auto started = start_endpoints(); !started) co_return started.error();

        log_.info("starting: listing and watching", {{"namespace", options_.namespace_.empty() ? std::string("*") : options_.namespace_},
                                                     {"concurrency", static_cast<std::int64_t>(options_.concurrency)},
                                                     {"leader_elect", options_.leader_elect}});
        for (auto* r : all_reflectors()) spawn_counted(r->run_task());
        // A sync reads its own ExternalSecret, its stores and its target's Secret: once the
        // caches of stores and Secrets hold their first list, ExternalSecrets sync as their own
        // list arrives, page by page, and the API server's work on the next page overlaps ours
        // on this one. The ClusterExternalSecret pool still starts once every cache is listed.
        co_await until([this] { return sources_synced() || shutdown_.requested(); });
        if (elector_) {
            boost::asio::co_spawn(ex_, elect(), boost::asio::detached);
            co_await until([this] { return elector_->leading() || shutdown_.requested(); });
        }
        if (!shutdown_.requested()) start_pools();
        co_await until([this] { return caches_synced() || shutdown_.requested(); });
        if (caches_synced())
            log_.info("caches synced", {{"external_secrets", static_cast<std::int64_t>(external_secrets_.size())},
                                        {"secret_stores", static_cast<std::int64_t>(secret_stores_.size())},
                                        {"cluster_secret_stores", static_cast<std::int64_t>(cluster_secret_stores_.size())}});
        if (!shutdown_.requested()) start_cluster_external_secret_pool();
        if (!pools_running_) pools_done_.set();

        auto report = co_await shutdown_.run();
        for (auto* r : all_reflectors()) r->stop();
        if (metrics_server_) metrics_server_->stop();
        if (health_server_) health_server_->stop();
        co_await until([this] { return running_ == 0; });
        log_.info("stopped", {{"reason", report.reason}, {"drained", report.drained}, {"released", report.released}});
        if (lost_leadership_)
            co_return failure(make_error_code(error::invalid_option),
                              "the Lease " + options_.leader.lease_name + " was lost: another replica leads now");
        co_return result<void, failure>();
    }

    /// Starts the shutdown sequence (the first call; a second one forces). Safe from any thread.
    void stop() {
        boost::asio::post(ex_, [this] { request_stop("stop()"); });
    }

    /// SIGTERM and SIGINT stop the controller (a second one exits at once).
    void listen_for_signals() { shutdown_.listen_for_signals(); }

    // ---- for tests, the benchmark and the endpoints -----------------------------------------

    bool caches_synced() const noexcept { return sources_synced() && external_secrets_.synced() &&
                                                 (!options_.cluster_external_secrets || cluster_external_secrets_.synced()); }
    /// Every cache an ExternalSecret's sync reads besides the ExternalSecret itself holds its first list.
    bool sources_synced() const noexcept {
        return secret_stores_.synced() && cluster_secret_stores_.synced() && managed_secrets_.synced() &&
               (!options_.cluster_external_secrets || namespaces_.synced());
    }
    bool leading() const noexcept { return !elector_ || elector_->leading(); }
    /// The pools run (caches synced, and leading if leader election is on).
    bool working() const noexcept { return pools_running_ > 0; }

    object_cache<spec::external_secret> const& external_secrets() const noexcept { return external_secrets_; }
    object_cache<spec::secret_store> const& secret_stores() const noexcept { return secret_stores_; }
    object_cache<spec::secret_store> const& cluster_secret_stores() const noexcept { return cluster_secret_stores_; }
    object_cache<managed_secret> const& managed_secrets() const noexcept { return managed_secrets_; }
    basic_triggers<Clock>& triggers() noexcept { return triggers_; }
    metrics& registry() noexcept { return metrics_; }
    controller_stats const& stats() const noexcept { return stats_; }
    controller_options const& options() const noexcept { return options_; }
    external_secret_reconciler const* external_secret_reconciles() const noexcept { return es_reconciler_.get(); }
    store_reconciler const* store_reconciles() const noexcept { return store_reconciler_.get(); }
    /// The address `/metrics` (and `/healthz` with it) listens on, once `run()` bound it.
    std::optional<boost::asio::ip::tcp::endpoint> const& metrics_endpoint() const noexcept { return metrics_at_; }
    std::optional<boost::asio::ip::tcp::endpoint> const& health_endpoint() const noexcept { return health_at_; }
    /// The ports bound for `/metrics` and the probes (0 until bound, or off). Safe from any thread.
    unsigned short metrics_port() const noexcept { return metrics_port_.load(); }
    unsigned short health_port() const noexcept { return health_port_.load(); }
    /// Azure requests that waited for the Azure call limit (`call_limit_options::azure_qps`).
    std::size_t azure_throttled() const noexcept { return azure_limit_.throttled(); }
    /// Watch failures, reconnects and lists of every reflector together.
    std::size_t watch_reconnects() const noexcept {
        return es_reflector_ ? es_reflector_->reconnects() + secret_store_reflector_->reconnects() +
                                   cluster_store_reflector_->reconnects() + managed_reflector_->reconnects()
                             : 0;
    }
    std::size_t watch_lists() const noexcept {
        return es_reflector_ ? es_reflector_->lists() + secret_store_reflector_->lists() +
                                   cluster_store_reflector_->lists() + managed_reflector_->lists()
                             : 0;
    }

private:
    // ---- wiring ---------------------------------------------------------------------------

    static std::shared_ptr<kube_client> kube_or_null(runtime& rt) {
        auto k = rt.kube();
        return k ? *k : nullptr;
    }

    static trigger_options trigger_options_of(controller_options const& o) {
        trigger_options t;
        t.external_secrets = o.queue;
        t.external_secrets.concurrency = o.concurrency;
        t.stores = o.queue;
        t.stores.concurrency = o.store_concurrency;
        t.cluster_external_secrets = o.queue;
        t.cluster_external_secrets.concurrency = o.store_concurrency;
        t.wait_for_ready_stores = o.wait_for_ready_stores;
        return t;
    }

    reflector_options reflector_options_for(std::string_view kind) const {
        reflector_options r;
        r.namespace_ = options_.namespace_;
        r.logger = log_.with({{"reflector", kind}});
        return r;
    }

    void build() {
        // The pipeline's reads are shared across syncs for a few seconds (values change in Key Vault).
        // A force-sync (the annotation changed) empties it: the user asked for Key Vault's value now.
        reads_ = std::make_shared<read_cache<pipeline_clock>>(read_cache_options{});
        pipeline_.share_reads(reads_);
        // Stores and Namespace labels come from the reflector caches, not a GET per sync; the
        // target hints let the Secret sink skip reads the managed-Secret cache answers.
        pipeline_.serve_stores_from(store_source_from(secret_stores_, cluster_secret_stores_, namespaces_));
        pipeline_.hint_targets(
            [this](sink::target const& t) { return target_knowledge_from(managed_secrets_, created_by_, left_, t); });

        // The global Azure budget: every request of the runtime's Azure transports (token
        // endpoints, IMDS, Key Vault, the store probes) waits for it. The Kubernetes budget is
        // the client's own limiter (`runtime_options::kube_qps`, from `--kube-qps`): not applied twice.
        if (options_.limits.azure_qps > 0) rt_.pace_azure_requests([this] { return azure_limit_.acquire(); });
        kube_->observe_requests([this](std::string_view verb) { metrics_.kube_request(verb); });
        // Vault clients copy this function and may outlive the controller inside the pipeline's
        // kept resolutions: they reach the metrics only while the controller lives.
        pipeline_.observe_vault_calls(
            [alive = std::weak_ptr<int>(alive_), m = &metrics_](std::string_view call, bool ok) {
                if (!alive.expired()) m->provider_api_call(call, ok);
            });

        recorder_ = std::make_unique<recorder_type>(*kube_, clock_, event_recorder_options{.logger = log_});

        reconcile_options ro;
        ro.logger = log_.with({{"controller", "externalsecret"}});
        ro.on_condition = [this](object_key const& k, spec::status_condition const& c) {
            metrics_.ready_condition(resource_kind::external_secret, k, c.status);
        };
        es_reconciler_ = std::make_unique<external_secret_reconciler>(external_secrets_, pipeline_, *kube_, *recorder_,
                                                                       clock_, std::move(ro));
        es_reconciler_->use_managed_secrets(managed_secrets_);
        es_reconciler_->remember_targets_in(left_);
        es_reconciler_->count_echoes_in(echoes_);
        echoes_.on_behind(options_.refresh_write_backlog, [this](bool behind) {
            triggers_.external_secrets().hold_refreshes(behind);
            if (!behind) es_pool_.notify();
        });

        store_reconcile_options so;
        so.requeue_interval = options_.store_requeue_interval;  // ESO's --store-requeue-interval; 0: none
        store_reconciler_ = std::make_unique<store_reconciler>(rt_, secret_stores_, cluster_secret_stores_, so, clock_);
        store_reconciler_->on_event(post_through(*recorder_));
        // A store found not Ready: its ExternalSecrets are queued once, to be held with a status
        // saying why (the gate writes it; no sync runs). Ready: `store_reconciled` queues them.
        store_reconciler_->on_readiness([this](store_key const& s, bool ready) {
            if (ready || !options_.wait_for_ready_stores) return;
            triggers_.store_not_ready(s);
            es_pool_.notify();
        });
        store_reconciler_->on_deleted([this](store_key const& s) {
            pipeline_.forget_store(s.kind, s.key.namespace_(), s.key.name());
        });
        triggers_.set_store_readiness([this](store_key const& s) -> std::optional<bool> {
            auto v = store_reconciler_->verdict(s);
            if (!v) return std::nullopt;
            return v->ready;
        });

        if (options_.cluster_external_secrets)
            ces_reconciler_ = std::make_unique<cluster_external_secret_reconciler>(kube_, cluster_external_secrets_);

        // Reflectors: the namespaced kinds follow `--namespace`; the cluster-scoped ones ignore it.
        es_reflector_ = std::make_unique<reflector<spec::external_secret>>(
            *kube_, kube::resources::external_secrets, external_secrets_, reflector_options_for("externalsecrets"), clock_);
        es_reflector_->filter_modifications([this](spec::external_secret const& before, spec::external_secret const& after) {
            if (force_sync_changed(before.metadata.annotations, after.metadata.annotations)) {
                ++stats_.forced_syncs;
                reads_->clear();
            }
            return spec_or_metadata_changed(before, after);
        });
        es_reflector_->on_change([this](object_key const& k, change c) { on_external_secret(k, c); });
        es_reflector_->on_version([this](object_key const& k, std::string_view version) { echoes_.seen(k, version); });

        secret_store_reflector_ = std::make_unique<reflector<spec::secret_store>>(
            *kube_, kube::resources::secret_stores, secret_stores_, reflector_options_for("secretstores"), clock_);
        cluster_store_reflector_ = std::make_unique<reflector<spec::secret_store>>(
            *kube_, kube::resources::cluster_secret_stores, cluster_secret_stores_,
            reflector_options_for("clustersecretstores"), clock_);
        for (auto* r : {secret_store_reflector_.get(), cluster_store_reflector_.get()}) {
            r->filter_modifications(&spec_or_metadata_changed<spec::secret_store>);
            auto const kind = r == secret_store_reflector_.get() ? spec::store_kind::secret_store
                                                                 : spec::store_kind::cluster_secret_store;
            r->on_change([this, kind](object_key const& k, change c) { on_store(store_key{kind, k}, c); });
        }

        managed_reflector_ = std::make_unique<reflector<managed_secret>>(
            *kube_, kube::resources::secrets, managed_secrets_, reflector_options_for("secrets"), clock_);
        managed_reflector_->on_change([this](object_key const& k, change c) { on_managed_secret(k, c); });

        if (options_.cluster_external_secrets) {
            ces_reflector_ = std::make_unique<reflector<spec::cluster_external_secret>>(
                *kube_, kube::resources::cluster_external_secrets, cluster_external_secrets_,
                reflector_options_for("clusterexternalsecrets"), clock_);
            ces_reflector_->filter_modifications(&spec_or_metadata_changed<spec::cluster_external_secret>);
            ces_reflector_->on_change([this](object_key const& k, change c) {
                if (c == change::relisted) return wake();
                if (c == change::deleted) metrics_.forget(resource_kind::cluster_external_secret, k);
                triggers_.cluster_external_secret_changed(k);
                ces_pool_.notify();
            });
            namespace_reflector_ = std::make_unique<reflector<boost::json::object>>(
                *kube_, kube::resources::namespaces, namespaces_, reflector_options_for("namespaces"), clock_);
            namespace_reflector_->filter_modifications(&detail::namespace_labels_changed);
            namespace_reflector_->on_change([this](object_key const& ns, change c) {
                if (c == change::relisted) return wake();
                // A namespace came, went or was relabelled: every CES selects again (there are few).
                cluster_external_secrets_.for_each_key([this](object_key const& k) {
                    triggers_.cluster_external_secret_changed(k);
                });
                ces_pool_.notify();
                // ... and its ExternalSecrets on a ClusterSecretStore with a namespaceSelector
                // condition check that condition again.
                triggers_.namespace_changed(ns.name());
                es_pool_.notify();
            });
        }

        metrics_.max_concurrent_syncs(resource_kind::external_secret, options_.concurrency);
        metrics_.on_collect([this](metrics& m) { collect(m); });
    }

    // ---- change callbacks (on the executor) ---------------------------------------------------

    // A `relisted` wakes `run()`, which waits for every cache's first list.
    void on_external_secret(object_key const& key, change c) {
        if (c == change::relisted) {
            echoes_.clear();
            return relisted();
        }
        if (c == change::deleted) {
            metrics_.forget(resource_kind::external_secret, key);
            echoes_.forget(key);
        }
        triggers_.external_secret_changed(key);
        es_pool_.notify();
        ces_pool_.notify();
    }

    void on_store(store_key const& store, change c) {
        if (c == change::relisted) return relisted();
        if (c == change::deleted) {
            metrics_.forget(detail::store_kind_of(store.key), store.key);
            store_reconciler_->forget(store);  // records, tokens of its identity, the pipeline's clients
        }
        triggers_.store_changed(store);
        store_pool_.notify();
        es_pool_.notify();
    }

    void on_managed_secret(object_key const& key, change c) {
        if (c == change::relisted) {
            created_by_.rebuild(managed_secrets_);
            left_.clear();
            return relisted();
        }
        auto const now = managed_secrets_.find(key);  // null once deleted
        created_by_.update(key, now.get());
        if (c == change::deleted) left_.forget(key);
        bool const needs_sync = !now || !now->intact();
        triggers_.managed_secret_changed(key, needs_sync);
        if (needs_sync) es_pool_.notify();
    }

    void relisted() {
        wake();
        resync_if_overflowed();
    }

    /// A full queue refused keys: once there is room, everything in the caches is queued again.
    void resync_if_overflowed() {
        if (!triggers_.overflowed()) return;
        auto& q = triggers_.external_secrets();
        if (q.size() >= q.capacity()) return;
        ++stats_.resyncs;
        log_.warn("a work queue was full: queueing every object again", {{"dropped", static_cast<std::int64_t>(q.dropped())}});
        triggers_.resync(cluster_external_secrets_);
        notify_pools();
    }

    void collect(metrics& m) {
        m.queue_depth(resource_kind::external_secret, triggers_.external_secrets().scheduled());
        m.queue_depth(resource_kind::secret_store, triggers_.stores().scheduled());
        m.queue_depth(resource_kind::cluster_external_secret, triggers_.cluster_external_secrets().scheduled());
        m.keyvault_reads.observe_total(pipeline_.stats().vault_reads);
        m.read_cache_hits.observe_total(reads_->hits() + reads_->coalesced());
        m.token_requests.observe_total(rt_.template token_cache<>()->fetches());  // the cache the pipeline shares
    }

    // ---- the pools ------------------------------------------------------------------------------

    /// Counts the reconcile in the metrics around `inner`.
    template <class Reconcile>
    struct measured {
        basic_controller* self;
        std::optional<resource_kind> kind;  ///< nothing: a store, by its key
        Reconcile inner;

        boost::asio::awaitable<sync_outcome> operator()(work_item item) {
            auto const key = item.key;
            auto const k = kind ? *kind : detail::store_kind_of(key);
            self->metrics_.sync_started(k, key);
            auto const began = self->clock_.now();
            auto outcome = sync_outcome::retryable_failure();
            try {
                outcome = co_await inner(std::move(item));
            } catch (...) {
                self->metrics_.sync_finished(k, key, outcome, self->clock_.now() - began);
                throw;
            }
            self->metrics_.sync_finished(k, key, outcome, self->clock_.now() - began);
            co_return outcome;
        }
    };

    /// The ExternalSecret reconciler by reference (the pool copies its reconciler).
    struct external_secret_ref {
        basic_controller* self;
        boost::asio::awaitable<sync_outcome> operator()(work_item item) {
            ++self->stats_.external_secret_syncs;
            return (*self->es_reconciler_)(std::move(item));
        }
    };
    struct store_ref {
        basic_controller* self;
        boost::asio::awaitable<sync_outcome> operator()(work_item item) {
            ++self->stats_.store_validations;
            return (*self->store_reconciler_)(std::move(item));
        }
    };
    struct cluster_external_secret_ref {
        basic_controller* self;
        boost::asio::awaitable<sync_outcome> operator()(work_item item) {
            ++self->stats_.cluster_external_secret_syncs;
            return (*self->ces_reconciler_)(std::move(item));
        }
    };

    void start_pools() {
        log_.info("syncing", {{"queued", static_cast<std::int64_t>(triggers_.external_secrets().size())}});
        using es_chain = gated_reconciler<Clock, measured<external_secret_ref>>;
        using store_chain = store_feedback_reconciler<Clock, measured<store_ref>>;
        es_chain es{&triggers_, measured<external_secret_ref>{this, resource_kind::external_secret, external_secret_ref{this}},
                    [this](object_key key) { return held_back(std::move(key)); }};
        store_chain stores{&triggers_, measured<store_ref>{this, std::nullopt, store_ref{this}}, [this] { es_pool_.notify(); }};
        spawn_pool(es_pool_.run(std::move(es)));
        spawn_pool(store_pool_.run(std::move(stores)));
    }

    void start_cluster_external_secret_pool() {
        if (!ces_reconciler_) return;
        spawn_pool(ces_pool_.run(measured<cluster_external_secret_ref>{this, resource_kind::cluster_external_secret,
                                                                       cluster_external_secret_ref{this}}));
    }

    /// An ExternalSecret the gate held back: its status says which store and why, once the
    /// store's validation has a verdict (before it, the validation queues it again anyway, and a
    /// cold start writes nothing for ExternalSecrets whose stores are merely not validated yet).
    boost::asio::awaitable<void> held_back(object_key key) {
        auto const store = triggers_.blocking_store(key);
        if (!store) co_return;
        auto const verdict = store_reconciler_->verdict(*store);
        if (!verdict || verdict->ready) co_return;
        std::string label = std::string(spec::to_string(store->kind)) + " \"" + std::string(store->key.name()) + "\"";
        auto writing = es_reconciler_->held_back(std::move(key), std::move(label), verdict->message);
        co_await std::move(writing);
    }

    void spawn_pool(boost::asio::awaitable<void> run) {
        ++pools_running_;
        boost::asio::co_spawn(ex_, std::move(run), [this](std::exception_ptr) {
            if (--pools_running_ == 0) pools_done_.set();
        });
    }

    void notify_pools() {
        es_pool_.notify();
        store_pool_.notify();
        ces_pool_.notify();
    }

    // ---- leadership, shutdown, endpoints ----------------------------------------------------------

    boost::asio::awaitable<void> elect() {
        elector_->on_started_leading([this] {
            log_.info("leading", {{"identity", elector_->identity()}});
            wake();
        });
        auto end = co_await elector_->run();
        if (!end) {
            log_.error("leader election cannot run", {{"error", end.error().what()}});
            lost_leadership_ = true;
            request_stop("leader election failed");
        } else if (*end == leadership_end::lost) {
            log_.error("lost the Lease: stopping", {{"lease", options_.leader.lease_name}});
            lost_leadership_ = true;
            request_stop("lost leadership");
        }
        elector_done_ = true;
        wake();
    }

    void request_stop(std::string_view why) {
        if (shutdown_.requested() && why == "lost leadership") return;
        shutdown_.request(why);
        wake();
    }

    void wire_shutdown() {
        // A SIGTERM while `run()` still waits for the lists or the Lease ends that wait.
        shutdown_.on_request([this] { wake(); });
        shutdown_.on_stop([this] {
            es_pool_.stop();
            store_pool_.stop();
            ces_pool_.stop();
            wake();
        });
        shutdown_.on_drain([this]() -> boost::asio::awaitable<void> { co_await pools_done_.wait(); });
        shutdown_.on_force([this] {
            log_.error("a second stop request: exiting without waiting for syncs in flight", {});
            std::_Exit(exit_failed);
        });
        // Registered whether or not there is an elector yet: it is made after this, in
        // start_endpoints (registering only `if (elector_)` here never released the Lease).
        shutdown_.on_release([this]() -> boost::asio::awaitable<bool> {
            if (!elector_ || elector_done_) co_return true;
            co_return co_await elector_->resign();
        });
    }

    result<void, failure> start_endpoints() {
        wire_shutdown();
        if (options_.leader_elect) {
            auto lo = options_.leader;
            lo.logger = rt_.options().logger; // unbound: the elector's lines name their component themselves
            if (auto ok = validate(lo); !ok) return ok.error();
            auto transport = leader_election_transport_options(kube_->transport_options(), lo);
            leader_kube_ = std::make_unique<kube_client>(ex_, kube_->settings(), transport);
            leader_kube_->observe_requests([this](std::string_view verb) { metrics_.kube_request(verb); });
            elector_ = std::make_unique<basic_leader_elector<kube_client, Clock>>(ex_, *leader_kube_, std::move(lo), clock_);
        }
        auto const metrics_on = options_.metrics_addr != "0" && !options_.metrics_addr.empty();
        auto const health_on = options_.health_addr != "0" && !options_.health_addr.empty();
        bool const shared = metrics_on && health_on && options_.metrics_addr == options_.health_addr;
        if (metrics_on) {
            auto at = listen(metrics_server_, options_.metrics_addr);
            if (!at) return at.error();
            metrics_server_->serve_metrics(metrics_);
            metrics_at_ = *at;
            metrics_port_.store(at->port());
            if (shared) {
                add_probes(*metrics_server_);
                health_at_ = *at;
                health_port_.store(at->port());
            }
        }
        if (health_on && !shared) {
            auto at = listen(health_server_, options_.health_addr);
            if (!at) return at.error();
            add_probes(*health_server_);
            health_at_ = *at;
            health_port_.store(at->port());
        }
        return result<void, failure>();
    }

    result<boost::asio::ip::tcp::endpoint, failure> listen(std::unique_ptr<http_endpoints>& server, std::string const& addr) {
        auto ep = parse_listen_address(addr);
        if (!ep) return failure(ep.error(), "cannot listen on `" + addr + "`: not HOST:PORT or :PORT");
        server = std::make_unique<http_endpoints>(ex_);
        auto bound = server->listen(*ep);
        if (!bound) return failure(bound.error(), "cannot listen on `" + addr + "`: " + bound.error().message());
        spawn_counted(server->run());
        return *bound;
    }

    void add_probes(http_endpoints& server) {
        server.serve_probes();
        // Ready once the caches hold their first lists, leading or not (see http_endpoints.hpp).
        server.add_readiness_check("informer-sync", [this] { return caches_synced(); });
        if (elector_) server.add_health_check("leader-election", [this] { return elector_->healthy(); });
    }

    // ---- small coroutine plumbing -------------------------------------------------------------------

    struct reflector_handle {
        std::function<void()> stop_fn;
        std::function<boost::asio::awaitable<void>()> run_fn;
        void stop() { stop_fn(); }
        boost::asio::awaitable<void> run_task() { return run_fn(); }
    };

    std::vector<reflector_handle*> all_reflectors() {
        if (handles_.empty()) {
            auto add = [this](auto* r) {
                if (r) handles_.push_back(reflector_handle{[r] { r->stop(); }, [r] { return r->run(); }});
            };
            add(es_reflector_.get());
            add(secret_store_reflector_.get());
            add(cluster_store_reflector_.get());
            add(managed_reflector_.get());
            add(ces_reflector_.get());
            add(namespace_reflector_.get());
        }
        std::vector<reflector_handle*> out;
        for (auto& h : handles_) out.push_back(&h);
        return out;
    }

    void spawn_counted(boost::asio::awaitable<void> task) {
        ++running_;
        boost::asio::co_spawn(ex_, std::move(task), [this](std::exception_ptr e) {
            if (e) log_.error("a controller task ended with an exception", {});
            --running_;
            wake();
        });
    }

    void wake() { wake_.set(); }

    /// Waits until `condition()` holds, woken by `wake()`.
    template <class Condition>
    boost::asio::awaitable<void> until(Condition condition) {
        while (!condition()) {
            wake_.reset();
            if (condition()) break;
            co_await wake_.wait();
        }
    }

    runtime& rt_;
    Pipeline& pipeline_;
    controller_options options_;
    Clock clock_;
    boost::asio::any_io_executor ex_;
    log::logger log_;
    std::shared_ptr<kube_client> kube_;
    using pipeline_clock = typename detail::pipeline_clock<Pipeline>::type;
    std::shared_ptr<read_cache<pipeline_clock>> reads_;

    object_cache<spec::external_secret> external_secrets_;
    object_cache<spec::secret_store> secret_stores_;
    object_cache<spec::secret_store> cluster_secret_stores_;
    object_cache<spec::cluster_external_secret> cluster_external_secrets_;
    object_cache<managed_secret> managed_secrets_;
    created_by_index created_by_;  ///< orphans of each ExternalSecret, from managed_secrets_
    targets_as_left left_;         ///< how the sink left each managed Secret (refreshes without a GET)
    write_echoes echoes_;          ///< status writes not yet back on the ExternalSecret watch
    object_cache<boost::json::object> namespaces_;

    basic_triggers<Clock> triggers_;
    pool_type es_pool_, store_pool_, ces_pool_;
    completion_flag pools_done_;
    completion_flag wake_;
    basic_shutdown<Clock> shutdown_;
    metrics metrics_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  ///< expires with the controller (vault call observers)

    std::unique_ptr<recorder_type> recorder_;
    std::unique_ptr<external_secret_reconciler> es_reconciler_;
    std::unique_ptr<store_reconciler> store_reconciler_;
    std::unique_ptr<cluster_external_secret_reconciler> ces_reconciler_;

    std::unique_ptr<reflector<spec::external_secret>> es_reflector_;
    std::unique_ptr<reflector<spec::secret_store>> secret_store_reflector_, cluster_store_reflector_;
    std::unique_ptr<reflector<managed_secret>> managed_reflector_;
    std::unique_ptr<reflector<spec::cluster_external_secret>> ces_reflector_;
    std::unique_ptr<reflector<boost::json::object>> namespace_reflector_;
    std::vector<reflector_handle> handles_;

    std::unique_ptr<kube_client> leader_kube_;
    std::unique_ptr<basic_leader_elector<kube_client, Clock>> elector_;
    std::unique_ptr<http_endpoints> metrics_server_, health_server_;
    std::optional<boost::asio::ip::tcp::endpoint> metrics_at_, health_at_;
    std::atomic<unsigned short> metrics_port_{0}, health_port_{0};

    controller_stats stats_;
    kube::rate_limiter<Clock> azure_limit_{options_.limits.azure_qps, options_.limits.azure_burst, clock_};
    std::size_t running_ = 0;        ///< reflectors and endpoint servers still running
    std::size_t pools_running_ = 0;
    bool elector_done_ = false;
    bool lost_leadership_ = false;
};

/// The pipeline a controller syncs with: every auth type, the retrying HTTPS transport, the
/// Kubernetes Secret sink.
using pipeline_type = esx::pipeline<sink::kubernetes_secret<>>;

/// The controller as `esx-controller` runs it.
using controller = basic_controller<pipeline_type>;

} // namespace esx::controller

#endif
