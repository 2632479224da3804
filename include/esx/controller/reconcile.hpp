// esx::controller: the ExternalSecret reconciler (ESO's `Reconcile` for Secret targets,
// eso-behaviour.md § 4.1, `pkg/controllers/externalsecret/externalsecret_controller.go` 2.9).
//
// One call reconciles one key of the work queue, reading the object from the reflector's
// cache (never from the API server):
// 1. Not in the cache: nothing to do (the Secret of an Owner target goes with the garbage
//    collector).
// 2. Being deleted (`deletionTimestamp`) with ESO's finalizer: `deletionPolicy: Delete` deletes
//    the target Secret if this ExternalSecret controls it; then the finalizer goes
//    (<esx/controller/finalizer.hpp>).
// 3. `deletionPolicy: Delete` without the finalizer: it is added first.
// 4. ESO's fast path: no refresh due (<esx/controller/refresh.hpp>: `refreshPolicy`,
//    `refreshInterval`, `syncedResourceVersion`, the force-sync annotation) and the target is
//    intact (the managed label, a `data-hash` that matches its data; Orphan targets always
//    are) -> nothing is read or written; the next refresh is scheduled.
// 5. Otherwise the pipeline syncs (provider reads, transforms, the sink's conditional write;
//    a failure writes nothing, so the existing target stays as it was).
// 6. Events with ESO's reasons (`Created`, `Updated`, `Deleted`, `UpdateFailed`,
//    `MissingProviderSecret`) and the
//    status (<esx/controller/status.hpp>), written only when it differs from the cached one.
//
// The outcome tells the work queue what next: `synced(refresh_after)` (the periodic refresh,
// or nothing for OnChange, CreatedOnce and `refreshInterval: 0`), `retryable_failure()` for
// what may pass (network, 429, 5xx, a conflict, a missing remote object), or
// `permanent_failure()` for what only a change fixes (an invalid spec, a target owned by
// another ExternalSecret, an immutable target): then the key waits for the next change.
//
// The reconciler is a small copyable handle (the worker pool copies it); what it refers to
// (cache, pipeline, client, recorder) must outlive it, on one executor.
#ifndef ESX_CONTROLLER_RECONCILE_HPP
#define ESX_CONTROLLER_RECONCILE_HPP

#include <esx/config.hpp>
#include <esx/controller/events.hpp>
#include <esx/controller/finalizer.hpp>
#include <esx/controller/managed_secret.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/reflector.hpp>  // detail::version_of
#include <esx/controller/refresh.hpp>
#include <esx/controller/status.hpp>
#include <esx/controller/targets_as_left.hpp>
#include <esx/controller/write_echoes.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/kube/resource.hpp>
#include <esx/log.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/sink/detail/secret_json.hpp>
#include <esx/sink/target.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace esx::controller {

struct reconcile_options {
    log::logger logger = log::logger(log::level::off);
    /// Called with the `Ready` condition after each reconcile that decided one (the metrics'
    /// `externalsecret_status_condition`); empty: not called.
    std::function<void(object_key const&, spec::status_condition const&)> on_condition;
};

/// What a reconciler did so far (all copies of it together).
struct reconcile_stats {
    std::uint64_t reconciles = 0;          ///< keys found in the cache and reconciled
    std::uint64_t skipped = 0;             ///< fast path: no refresh due, target intact
    std::uint64_t synced = 0;              ///< pipeline syncs that succeeded
    std::uint64_t failed = 0;              ///< pipeline syncs that failed
    std::uint64_t status_writes = 0;       ///< `/status` PATCHes sent
    std::uint64_t finalizers_added = 0;
    std::uint64_t finalizers_removed = 0;
    std::uint64_t secrets_deleted = 0;     ///< targets deleted on an ExternalSecret's deletion
    std::uint64_t held_back = 0;           ///< statuses written for a sync held back by its store
};

namespace detail {

/// ESO's `isSecretValid` on a Secret as the API server returned it: the managed label and a
/// `data-hash` annotation equal to the hash of its data.
ESX_DECL bool target_intact(boost::json::object const& secret);

/// `spec.target.name`, or the ExternalSecret's name.
inline std::string target_name(spec::external_secret const& es) {
    return es.spec.target.name.empty() ? es.metadata.name : es.spec.target.name;
}

} // namespace detail

/** Reconciles ExternalSecrets (see the top of this file).
    @tparam Pipeline `basic_pipeline<...>` with a Kubernetes Secret sink (`sync(es)`)
    @tparam Kube `kube::client<...>`: finalizers, status, the target check, events
    @tparam Clock the controller's clock (`esx::testing::fake_clock` in tests): every refresh
            decision and timestamp */
template <class Pipeline, class Kube, transport::waiting_clock Clock = transport::steady_clock>
class basic_external_secret_reconciler {
public:
    using cache_type = object_cache<spec::external_secret>;
    using recorder_type = basic_event_recorder<Kube, Clock>;
    using work_item = typename basic_work_queue<Clock>::work_item;

    basic_external_secret_reconciler(cache_type& cache, Pipeline& pipeline, Kube& kube, recorder_type& events, Clock clock,
                                     reconcile_options options)
        : cache_(&cache), pipeline_(&pipeline), kube_(&kube), events_(&events), clock_(std::move(clock)),
          shared_(std::make_shared<shared_state>(std::move(options))) {}
    basic_external_secret_reconciler(cache_type& cache, Pipeline& pipeline, Kube& kube, recorder_type& events, Clock clock)
        : basic_external_secret_reconciler(cache, pipeline, kube, events, std::move(clock), reconcile_options{}) {}

    /// Checks targets on the fast path against the controller's cache of managed Secrets
    /// (<esx/controller/managed_secret.hpp>) instead of a GET per check, once it is synced.
    void use_managed_secrets(object_cache<managed_secret> const& secrets) { shared_->secrets = &secrets; }

    /// Keeps, after each successful apply, how the sink left the target Secret
    /// (<esx/controller/targets_as_left.hpp>), which the controller's target hints read.
    void remember_targets_in(targets_as_left& left) { shared_->left = &left; }

    /// Counts each status write until the watch delivers it back (<esx/controller/write_echoes.hpp>).
    void count_echoes_in(write_echoes& echoes) { shared_->echoes = &echoes; }

    /// The worker pool's `reconciler` contract.
    boost::asio::awaitable<sync_outcome> operator()(work_item item) { return reconcile(std::move(item.key)); }

    /// Reconciles the ExternalSecret the cache holds under `key`.
    boost::asio::awaitable<sync_outcome> reconcile(object_key key) {
        auto es = cache_->find(key);
        if (!es) co_return sync_outcome::synced(std::nullopt);
        ++counters().reconciles;
        auto const started = clock_.utc_now();
        if (es->metadata.deletion_timestamp) {
            auto done = co_await finalize(key, es);
            co_return done;
        }
        if (es->spec.target.deletion == spec::deletion_policy::delete_ &&
            !has_finalizer(es->metadata, external_secret_finalizer)) {
            auto added = co_await patch_finalizers(key, es->metadata, true);
            if (!added) co_return added.error() == condition::not_found ? sync_outcome::synced(std::nullopt)
                                                                       : sync_outcome::retryable_failure();
            ++counters().finalizers_added;
        }

        sync_status const last{es->status.synced_resource_version, es->status.refresh_time};
        std::string const version = resource_version(es->metadata);
        if (!should_refresh(es->spec, last, version, started)) {
            bool const intact = co_await target_intact(*es);
            if (intact) {
                ++counters().skipped;
                log().debug("no refresh due", {{"key", key.str()}});
                co_return sync_outcome::synced(refresh_after(es->spec, last, started));
            }
        }

        spec::external_secret copy = *es;
        auto synced = co_await pipeline_->sync(std::move(copy));
        for (auto const& skipped : synced.skipped_entries) {
            std::string text = missing_provider_secret_message(skipped);
            co_await event(*es, event_type::normal, event_reasons::missing_provider_secret, std::move(text));
        }
        if (synced.error) {
            auto out = co_await on_failure(key, es, *synced.error);
            co_return out;
        }
        std::string synced_version = version;
        auto out = co_await on_success(key, es, synced, started, std::move(synced_version));
        co_return out;
    }

    /** The ExternalSecret under `key` waits for its store, which is not Ready: ESO's status for
        a sync its store refuses (`--enable-flood-gate`): `Ready=False/SecretSyncedError`,
        `could not get secret data from provider`, then esx's detail, ESO's error text naming
        the store (`SecretStore "kv" is not ready`) and `why` (the store's own condition
        message, never a value); and ESO's Warning `UpdateFailed` event with that text. Written
        only when the status says something else (once per episode, not per retry); the sync
        that runs once the store is Ready replaces it. Nothing is synced or read from Azure.
        @param store_label `SecretStore "kv"` or `ClusterSecretStore "shared"` */
    boost::asio::awaitable<void> held_back(object_key key, std::string store_label, std::string why) {
        auto es = cache_->find(key);
        if (!es || es->metadata.deletion_timestamp) co_return;
        std::string detail = store_label + " is not ready";
        if (!why.empty()) detail += ": " + why;
        auto next = failed(*es, ready_messages::error_get_secret_data, detail, clock_.utc_now());
        if (status_differs(es->status, next)) {
            ++counters().held_back;
            log().info("held back by its store", {{"key", key.str()}, {"store", store_label}});
            co_await event(*es, event_type::warning, event_reasons::update_failed, std::move(detail));
        }
        auto written = co_await write_status(key, *es, next);  // unchanged: nothing sent
        (void)written;  // a failed write is tried again by the next hold or sync
    }

    reconcile_stats const& stats() const noexcept { return shared_->stats; }
    reconcile_options const& options() const noexcept { return shared_->options; }

private:
    using pointer = typename cache_type::pointer;

    struct shared_state {
        explicit shared_state(reconcile_options o) : options(std::move(o)) {}
        reconcile_options options;
        reconcile_stats stats;
        object_cache<managed_secret> const* secrets = nullptr;
        targets_as_left* left = nullptr;
        write_echoes* echoes = nullptr;
    };

    reconcile_stats& counters() noexcept { return shared_->stats; }

    // A status write as `write_echoes` counts it: out from construction, abandoned unless
    // `written` ran (a failed write, or the coroutine destroyed while the write was out).
    class echo_of_write {
    public:
        echo_of_write(write_echoes* echoes, object_key const& key) : echoes_(echoes), key_(&key) {
            if (echoes_) echoes_->writing(key);
        }
        echo_of_write(echo_of_write const&) = delete;
        echo_of_write& operator=(echo_of_write const&) = delete;
        ~echo_of_write() {
            if (echoes_) echoes_->abandoned(*key_);
        }
        bool counted() const noexcept { return echoes_ != nullptr; }
        void written(std::string_view cached_version, std::string_view version) {
            std::exchange(echoes_, nullptr)->written(*key_, cached_version, version);
        }

    private:
        write_echoes* echoes_;
        object_key const* key_;
    };

    log::logger const& log() const noexcept { return shared_->options.logger; }

    involved_object involved(spec::external_secret const& es) const {
        return involved_object::of(kube::resources::external_secrets, es.metadata);
    }

    boost::asio::awaitable<void> event(spec::external_secret const& es, event_type type, std::string_view reason,
                                       std::string message) {
        auto object = involved(es);
        std::string r(reason);
        co_await events_->record(std::move(object), type, std::move(r), std::move(message));
    }

    /// `version`: `resource_version(es->metadata)`, which the reconcile computed already.
    boost::asio::awaitable<sync_outcome> on_success(object_key const& key, pointer es, sync_result const& r,
                                                    std::chrono::system_clock::time_point started,
                                                    std::string version) {
        ++counters().synced;
        std::string_view reason = ready_reasons::synced;
        std::string_view message = ready_messages::synced;
        std::string binding;
        std::string const target = detail::target_name(*es);
        std::optional<std::string_view> note_reason;  // the Normal event to post, if any
        std::string_view note_message;
        if (r.outcome) {
            auto const& o = *r.outcome;
            if (shared_->left && !o.version.empty())
                shared_->left->remember(object_key(es->metadata.namespace_, target), o.fingerprint, o.version);
            switch (o.action) {
            case sink::action::created:
                binding = target;
                note_reason = event_reasons::created;
                note_message = event_messages::created;
                break;
            case sink::action::updated:
                binding = target;
                note_reason = event_reasons::updated;
                note_message = event_messages::updated;
                break;
            case sink::action::unchanged:
                binding = target;
                break;
            case sink::action::deleted:
                reason = ready_reasons::deleted;
                message = ready_messages::deleted;
                if (o.note.find("did not exist") == std::string::npos) {  // ESO: an event only if there was one
                    note_reason = event_reasons::deleted;
                    note_message = event_messages::deleted;
                }
                break;
            case sink::action::retained:
                message = ready_messages::synced_retain;
                break;
            case sink::action::skipped:
                if (es->spec.target.creation == spec::creation_policy::merge) {
                    reason = ready_reasons::missing;
                    message = ready_messages::missing;
                }
                break;
            }
            log().info("reconciled", {{"key", key.str()}, {"action", sink::to_string(o.action)}, {"target", target},
                                      {"keys", r.counts.keys}});
        }
        if (note_reason) {
            std::string text(note_message);
            co_await event(*es, event_type::normal, *note_reason, std::move(text));
        }
        auto next = succeeded(*es, std::move(version), reason, message, std::move(binding), started);
        auto written = co_await write_status(key, *es, next);
        if (!written) co_return written.error() == condition::not_found ? sync_outcome::synced(std::nullopt)
                                                                       : sync_outcome::retryable_failure();
        sync_status const now_status{next.synced_resource_version, next.refresh_time};
        co_return sync_outcome::synced(refresh_after(es->spec, now_status, clock_.utc_now()));
    }

    boost::asio::awaitable<sync_outcome> on_failure(object_key const& key, pointer es, failure const& f) {
        ++counters().failed;
        auto const verdict = judge_failure(f);
        log().warn("sync failed", {{"key", key.str()}, {"error", f.what()}, {"permanent", verdict.permanent}});
        if (verdict.conflict) co_return sync_outcome::retryable_failure();  // ESO: requeue, status alone
        std::string text = f.what();
        co_await event(*es, event_type::warning, event_reasons::update_failed, std::move(text));
        auto next = failed(*es, verdict.message, f.what(), clock_.utc_now());
        auto written = co_await write_status(key, *es, next);
        if (!written && written.error() == condition::not_found) co_return sync_outcome::synced(std::nullopt);
        co_return verdict.permanent ? sync_outcome::permanent_failure() : sync_outcome::retryable_failure();
    }

    /// The deletion path: clean up if the finalizer is ours to act on, then remove it.
    boost::asio::awaitable<sync_outcome> finalize(object_key const& key, pointer es) {
        if (!has_finalizer(es->metadata, external_secret_finalizer)) co_return sync_outcome::synced(std::nullopt);
        if (es->spec.target.deletion == spec::deletion_policy::delete_) {
            std::string ns = es->metadata.namespace_;
            std::string name = detail::target_name(*es);
            std::string uid = es->metadata.uid;
            auto cleaned = co_await delete_controlled_secret(*kube_, std::move(ns), std::move(name), std::move(uid));
            if (!cleaned) {
                log().warn("could not delete the target of a deleted ExternalSecret",
                           {{"key", key.str()}, {"error", cleaned.error().what()}});
                co_return sync_outcome::retryable_failure();
            }
            if (*cleaned == cleanup_result::deleted) {
                ++counters().secrets_deleted;
                log().info("deleted the target of a deleted ExternalSecret",
                           {{"key", key.str()}, {"target", detail::target_name(*es)}});
            }
        }
        auto removed = co_await patch_finalizers(key, es->metadata, false);
        if (!removed && !(removed.error() == condition::not_found)) co_return sync_outcome::retryable_failure();
        if (removed) ++counters().finalizers_removed;
        co_return sync_outcome::synced(std::nullopt);
    }

    boost::asio::awaitable<result<void, failure>> patch_finalizers(object_key const& key, spec::object_meta const& meta,
                                                                   bool add) {
        boost::json::value const body(finalizer_patch(meta, external_secret_finalizer, add));
        auto patched = co_await kube_->patch(kube::resources::external_secrets, meta.namespace_, meta.name,
                                             kube::patch_type::merge, body);
        if (!patched) {
            log().warn(add ? "could not add the finalizer" : "could not remove the finalizer",
                       {{"key", key.str()}, {"error", patched.error().what()}});
            co_return patched.error();
        }
        co_return result<void, failure>();
    }

    boost::asio::awaitable<result<void, failure>> write_status(object_key const& key, spec::external_secret const& es,
                                                               spec::external_secret_status const& next) {
        if (next.ready && shared_->options.on_condition) shared_->options.on_condition(key, *next.ready);
        if (!status_differs(es.status, next)) co_return result<void, failure>();
        boost::json::value const body(status_patch(next));
        ++counters().status_writes;
        echo_of_write echo(shared_->echoes, key);
        auto patched = co_await kube_->patch_status(kube::resources::external_secrets, es.metadata.namespace_,
                                                    es.metadata.name, kube::patch_type::merge, body);
        if (!patched) {
            log().warn("could not write the status", {{"key", key.str()}, {"error", patched.error().what()}});
            co_return patched.error();
        }
        if (echo.counted()) {
            // Compared with the version cached now, not the snapshot's: a write that changed
            // nothing returns a version the watch may have delivered before this write went out.
            auto const cached = cache_->find(key);
            echo.written(cached ? std::string_view(cached->metadata.resource_version) : std::string_view(),
                         detail::version_of(*patched));
        }
        co_return result<void, failure>();
    }

    /// ESO's `isSecretValid`: Orphan targets always; otherwise the Secret exists, carries the
    /// managed label and a `data-hash` of its own data. A Secret that cannot be read counts as
    /// not intact (the sync that follows reports why).
    boost::asio::awaitable<bool> target_intact(spec::external_secret const& es) {
        if (es.spec.target.creation == spec::creation_policy::orphan) co_return true;
        std::string const name = detail::target_name(es);
        if (auto const* secrets = shared_->secrets; secrets && secrets->synced()) {
            auto const cached = secrets->find(object_key(es.metadata.namespace_, name));
            co_return cached && !cached->deleting && cached->intact();
        }
        auto got = co_await kube_->get(kube::resources::secrets, es.metadata.namespace_, name);
        if (!got) co_return false;
        bool const intact = detail::target_intact(*got);
        sink::detail::wipe_data(*got);
        co_return intact;
    }

    cache_type* cache_;
    Pipeline* pipeline_;
    Kube* kube_;
    recorder_type* events_;
    Clock clock_;
    std::shared_ptr<shared_state> shared_;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/reconcile.ipp>
#endif

#endif
