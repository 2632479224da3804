// esx::controller: what a change re-queues (the controller's routing of watch events).
//
// The reflectors say "this key changed"; the triggers look the object up in its cache (as
// kube-runtime's reconciler, they read the latest state, never the event) and decide which
// queue gets which key, and why:
// - an ExternalSecret added or changed (spec, labels, annotations: force-sync, deletion) is
//   queued as `changed`, ahead of periodic refreshes; a deleted one is forgotten (queue entry,
//   backoff, store and target indexes);
// - a SecretStore or ClusterSecretStore added or changed is queued for validation; once its
//   validation ends Ready, the ExternalSecrets that read from it are queued as `store_changed`
//   (ESO re-queues nothing on a store change: fixed credentials waited up to 7 minutes);
// - a managed Secret deleted, or edited by someone else (its data no longer matches ESO's
//   `data-hash` annotation), queues the ExternalSecrets that target it as `changed`, as ESO's
//   Secret watch does; a Secret we wrote ourselves queues nothing;
// - an ExternalSecret owned by a ClusterExternalSecret queues its owner when it changes or
//   goes (ESO's `Owns(&ExternalSecret{})`).
// And the gate (ESO's `--enable-flood-gate`): an ExternalSecret whose store is known but not
// Ready does not sync; it waits, without status writes or Azure calls, and is queued again by
// the store's first Ready validation. A store missing from the cache does not hold it back:
// the sync then fails and says so in its status, as ESO's does.
//
// Three queues, one per kind of reconcile (ExternalSecrets; stores; ClusterExternalSecrets),
// rather than one queue of kind-tagged keys: each worker pool drives one reconciler type, the
// kinds get their own concurrency (16 syncs do not wait behind store validations and the other
// way round), and 10,000 due refreshes never delay a store's validation. The store queue holds
// both store kinds: a SecretStore's key is `namespace/name`, a ClusterSecretStore's is `name`
// (cluster-scoped), so the key alone tells the kind (`store_of`).
//
// Plain data on one executor, like the caches and queues it uses: no locks.
#ifndef ESX_CONTROLLER_TRIGGERS_HPP
#define ESX_CONTROLLER_TRIGGERS_HPP

#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/store_index.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/spec/store.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace esx::controller {

/// The store a store-queue key names: no namespace means a ClusterSecretStore.
inline store_key store_of(object_key const& queue_key) {
    return {queue_key.namespace_().empty() ? spec::store_kind::cluster_secret_store : spec::store_kind::secret_store,
            queue_key};
}

/// The Secret an ExternalSecret writes: `spec.target.name`, else the ExternalSecret's name,
/// in its namespace.
inline object_key target_of(spec::external_secret const& es) {
    return object_key(es.metadata.namespace_, es.spec.target.name.empty() ? es.metadata.name : es.spec.target.name);
}

/// The ClusterExternalSecret that owns `es` (a controller ownerReference of that kind), if any.
inline std::optional<object_key> cluster_owner_of(spec::external_secret const& es) {
    for (auto const& o : es.metadata.owner_references)
        if (o.kind == "ClusterExternalSecret" && o.api_version.starts_with("external-secrets.io/"))
            return object_key({}, o.name);
    return std::nullopt;
}

/// Whether a store is usable, as the store reconciler last found it: `true` Ready, `false`
/// not Ready, nothing: not validated yet.
using store_readiness = std::function<std::optional<bool>(store_key const&)>;

struct trigger_options {
    work_queue_options external_secrets{};  ///< the ExternalSecret queue (concurrency 16)
    work_queue_options stores{.concurrency = 4};
    work_queue_options cluster_external_secrets{.concurrency = 4};
    bool wait_for_ready_stores = true;      ///< the flood gate
};

/// Counters of what the triggers did (for tests, logs and metrics).
struct trigger_counts {
    std::uint64_t external_secret_requests = 0;  ///< keys queued or merged because an ExternalSecret changed
    std::uint64_t store_fanout = 0;              ///< ExternalSecrets queued because a store became usable
    std::uint64_t secret_repairs = 0;            ///< ExternalSecrets queued because their Secret was deleted or edited
    std::uint64_t gated = 0;                     ///< syncs held back by a store that was not Ready
    std::uint64_t refused = 0;                   ///< requests a full queue refused
};

/// @tparam Digest `object_key_digest` (tests give one under which keys collide)
template <transport::waiting_clock Clock = transport::steady_clock, class Digest = object_key_digest>
class basic_triggers {
public:
    using queue_type = basic_work_queue<Clock>;
    using external_secret_cache = object_cache<spec::external_secret>;
    using store_cache = object_cache<spec::secret_store>;

    /// The caches are borrowed and must outlive the triggers (the controller owns both).
    basic_triggers(external_secret_cache const& external_secrets, store_cache const& secret_stores,
                   store_cache const& cluster_secret_stores, trigger_options o = {}, Clock clock = Clock())
        : external_secrets_(external_secrets), secret_stores_(secret_stores),
          cluster_secret_stores_(cluster_secret_stores), options_(o), es_queue_(o.external_secrets, clock),
          store_queue_(o.stores, clock), ces_queue_(o.cluster_external_secrets, clock) {}

    basic_triggers(basic_triggers const&) = delete;
    basic_triggers& operator=(basic_triggers const&) = delete;

    /// How stores are found Ready (the store reconciler's answer). Unset: every store known
    /// to a cache counts as Ready (no gate).
    void set_store_readiness(store_readiness r) { readiness_ = std::move(r); }

    // ---- from the reflectors ------------------------------------------------------------

    /// An ExternalSecret was added, changed or deleted: `key` is looked up in its cache.
    void external_secret_changed(object_key const& key) {
        auto const es = external_secrets_.find(key);
        std::optional<object_key> owner = es ? cluster_owner_of(*es) : std::nullopt;
        if (auto const it = ces_owner_.find(key); it != ces_owner_.end()) {
            if (!owner || *owner != it->second) request(ces_queue_, it->second, reason::changed);
            if (!owner) ces_owner_.erase(it);
        }
        if (owner) {
            request(ces_queue_, *owner, reason::changed);
            ces_owner_.insert_or_assign(key, *owner);
        }
        if (!es) {
            forget_external_secret(key);
            return;
        }
        stores_.set(key, stores_of(*es));
        set_target(key, target_of(*es));
        ++counts_.external_secret_requests;
        request(es_queue_, key, reason::changed);
    }

    /// A SecretStore (`kind` secret_store, key `namespace/name`) or ClusterSecretStore (key
    /// `name`) was added, changed or deleted. Its users are queued once it validates Ready
    /// (`store_reconciled`); a deleted store queues them at once (their syncs fail, saying so).
    void store_changed(store_key const& store) {
        auto const& cache = store.kind == spec::store_kind::cluster_secret_store ? cluster_secret_stores_ : secret_stores_;
        if (!cache.find(store.key)) {
            store_queue_.forget(store.key);
            last_ready_.erase(store.key);
            for (auto const& user : stores_.users_of(store)) request(es_queue_, user, reason::store_changed);
            return;
        }
        store_dirty_.insert(store.key);
        request(store_queue_, store.key, reason::changed);
    }

    /// A ClusterExternalSecret was added, changed or deleted (its reconciler reads the cache).
    void cluster_external_secret_changed(object_key const& key) { request(ces_queue_, key, reason::changed); }

    /// Namespace `ns` came or its labels changed: its ExternalSecrets that use a
    /// ClusterSecretStore with a `namespaceSelector` condition are queued (as `store_changed`),
    /// since whether they may use it depends on those labels: one refused before (a failed sync
    /// waits for a change) syncs once the namespace matches. One synced before is reconciled
    /// too, but as in ESO the condition is checked when a sync reads the provider: at its next
    /// refresh or change it fails, leaving its Secret alone.
    void namespace_changed(std::string_view ns) {
        external_secrets_.for_each_key([&](object_key const& k) {
            if (k.namespace_() != ns) return;
            for (auto const& s : stores_.stores_used_by(k)) {
                if (s.kind != spec::store_kind::cluster_secret_store) continue;
                auto const store = cluster_secret_stores_.find(s.key);
                if (!store) continue;
                bool selector = false;
                for (auto const& c : store->spec.conditions) selector |= c.namespace_selector.has_value();
                if (!selector) continue;
                request(es_queue_, k, reason::store_changed);
                return;
            }
        });
    }

    /// A managed Secret changed or went. `needs_sync`: it was deleted, or its data no longer
    /// matches its `data-hash` annotation (edited by someone else); then the ExternalSecrets
    /// that write it are queued. A Secret we wrote ourselves queues nothing.
    void managed_secret_changed(object_key const& secret, bool needs_sync) {
        if (!needs_sync) return;
        for (auto const& es : writers_of(secret)) {
            ++counts_.secret_repairs;
            request(es_queue_, es, reason::changed);
        }
    }

    /// Queues every ExternalSecret, store and ClusterExternalSecret of the caches (after a
    /// queue overflowed and has room again: a resync).
    template <class ClusterExternalSecretCache>
    void resync(ClusterExternalSecretCache const& ces) {
        es_queue_.clear_overflow();
        store_queue_.clear_overflow();
        ces_queue_.clear_overflow();
        secret_stores_.for_each_key([&](object_key const& k) { request(store_queue_, k, reason::refresh); });
        cluster_secret_stores_.for_each_key([&](object_key const& k) { request(store_queue_, k, reason::refresh); });
        external_secrets_.for_each_key([&](object_key const& k) { request(es_queue_, k, reason::refresh); });
        ces.for_each_key([&](object_key const& k) { request(ces_queue_, k, reason::refresh); });
    }

    // ---- around the reconciles ----------------------------------------------------------

    /// Whether the ExternalSecret may sync now: every store it reads from that the caches
    /// know is Ready, or it is being deleted (its finalizer runs whatever its store's state, as
    /// in ESO, where deletion comes before the store checks). Counted in `counts().gated` when not.
    bool may_sync(object_key const& es) {
        if (!options_.wait_for_ready_stores) return true;
        if (!blocking_store(es)) return true;
        // Deleting goes ahead: the finalizer path reads no store. Looked at only now, as the
        // cache unpacks a copy of the ExternalSecret for it.
        if (auto const cached = external_secrets_.find(es); cached && cached->metadata.deletion_timestamp) return true;
        ++counts_.gated;
        return false;
    }

    /// A store was found not Ready (its first verdict, or it was Ready before): its users are
    /// queued so that the gate gives each a status saying why it waits (no sync runs, nothing
    /// is read from Azure). Its retries while it stays not Ready queue nobody.
    void store_not_ready(store_key const& store) {
        for (auto const& user : stores_.users_of(store)) request(es_queue_, user, reason::store_changed);
    }

    /// The first store `es` uses that a cache holds and that is not known Ready (what
    /// `may_sync` stopped at), if any.
    std::optional<store_key> blocking_store(object_key const& es) const {
        std::optional<store_key> blocking;
        stores_.for_each_store_used_by(es, [&](store_key const& s) {
            if (blocking) return;
            auto const& cache = s.kind == spec::store_kind::cluster_secret_store ? cluster_secret_stores_ : secret_stores_;
            if (cache.contains(s.key) && ready(s) != true) blocking = s;
        });
        return blocking;
    }

    /// A store's validation finished: if it is Ready now and was not, or it changed since its
    /// users were last queued, its users are queued as `store_changed`.
    void store_reconciled(object_key const& store_queue_key) {
        auto const s = store_of(store_queue_key);
        bool const now_ready = ready(s) == true;
        bool const was_ready = last_ready_[store_queue_key];
        bool const dirty = store_dirty_.erase(store_queue_key) > 0;
        last_ready_[store_queue_key] = now_ready;
        if (!now_ready || (was_ready && !dirty)) return;
        for (auto const& user : stores_.users_of(s)) {
            ++counts_.store_fanout;
            request(es_queue_, user, reason::store_changed);
        }
    }

    queue_type& external_secrets() noexcept { return es_queue_; }
    queue_type& stores() noexcept { return store_queue_; }
    queue_type& cluster_external_secrets() noexcept { return ces_queue_; }
    store_index const& index() const noexcept { return stores_; }
    trigger_counts const& counts() const noexcept { return counts_; }
    /// ExternalSecrets indexed as writing a Secret of another name than theirs (memory, tests):
    /// entries of the two directions, which are always as many.
    std::pair<std::size_t, std::size_t> retargeted() const noexcept { return {targets_.size(), writers_.size()}; }
    trigger_options const& options() const noexcept { return options_; }
    /// A queue refused a key since the last `resync`.
    bool overflowed() const noexcept {
        return es_queue_.overflowed() || store_queue_.overflowed() || ces_queue_.overflowed();
    }
    /// The ExternalSecrets that write `secret`: the one of the same namespace and name if its
    /// target is its own name (most are; the cache says so, nothing is stored for it), and
    /// those whose target names `secret` otherwise. Each is checked against the cache, so one
    /// whose target only shares a digest with `secret` is not among them.
    std::vector<object_key> writers_of(object_key const& secret) const {
        std::vector<object_key> out;
        if (auto const es = external_secrets_.find(secret); es && target_of(*es) == secret) out.push_back(secret);
        auto const [from, to] = writers_.equal_range(digest_(secret));
        for (auto it = from; it != to; ++it)
            if (auto const es = external_secrets_.find(it->second); es && target_of(*es) == secret)
                out.push_back(it->second);
        return out;
    }

private:
    std::optional<bool> ready(store_key const& s) const {
        if (!readiness_) return true;
        return readiness_(s);
    }

    void request(queue_type& q, object_key const& key, reason why) {
        if (q.add(key, why) == add_result::full) ++counts_.refused;
    }

    void forget_external_secret(object_key const& key) {
        es_queue_.forget(key);
        stores_.erase(key);
        set_target(key, std::nullopt);
    }

    /// Keeps `targets_` (ExternalSecret -> its Secret's digest) and `writers_` (a Secret's
    /// digest -> the ExternalSecrets writing it; more than one with `creationPolicy: Merge`) in
    /// step, for the ExternalSecrets whose Secret has another name than theirs. One that writes
    /// the Secret of its own name is in neither: that is read from the cache (`writers_of`).
    /// The Secret is kept as a digest, not a key: its key, longer than the ExternalSecret's by
    /// the target's suffix, is a heap block of its own, and the vector of writers was another:
    /// 160 bytes less an ExternalSecret that names its target, 1.6 MB at 10,000. What shares
    /// a digest by chance shares a bucket of `writers_`, and `writers_of` tells them apart.
    void set_target(object_key const& es, std::optional<object_key> const& target) {
        std::optional<std::uint64_t> now;
        if (target && *target != es) now = digest_(*target);
        auto const it = targets_.find(es);
        if (it != targets_.end()) {
            if (now && it->second == *now) return;  // the same bucket of writers_: nothing moves
            auto const [from, to] = writers_.equal_range(it->second);
            for (auto w = from; w != to; ++w)
                if (w->second == es) {
                    writers_.erase(w);
                    break;
                }
            targets_.erase(it);
        }
        if (!now) return;
        writers_.emplace(*now, es);
        targets_.emplace(es, *now);
    }

    external_secret_cache const& external_secrets_;
    store_cache const& secret_stores_;
    store_cache const& cluster_secret_stores_;
    trigger_options options_;
    queue_type es_queue_, store_queue_, ces_queue_;
    store_index stores_;
    [[no_unique_address]] Digest digest_;
    std::unordered_map<object_key, std::uint64_t> targets_;        ///< only targets of another name
    std::unordered_multimap<std::uint64_t, object_key> writers_;  ///< only writers of another name
    std::unordered_map<object_key, object_key> ces_owner_;
    std::unordered_map<object_key, bool> last_ready_;
    std::unordered_set<object_key> store_dirty_;
    store_readiness readiness_;
    trigger_counts counts_;
};

using triggers = basic_triggers<>;

/// An ExternalSecret reconciler behind the flood gate: a key whose store is not Ready ends
/// at once as `permanent_failure` (nothing written, not retried: `store_reconciled` queues it
/// again when the store is Ready). `Digest` is the triggers' own (tests give one that collides).
template <transport::waiting_clock Clock, class Reconcile, class Digest = object_key_digest>
struct gated_reconciler {
    using work_item = typename basic_work_queue<Clock>::work_item;
    basic_triggers<Clock, Digest>* triggers;
    Reconcile inner;
    /// Told of each key held back (to give it a status saying why); empty: nothing is told.
    std::function<boost::asio::awaitable<void>(object_key)> held = {};

    boost::asio::awaitable<sync_outcome> operator()(work_item item) {
        if (!triggers->may_sync(item.key)) {
            if (held) {
                auto telling = held(item.key);  // a named local: no temporary in the co_await (g++ 12)
                co_await std::move(telling);
            }
            co_return sync_outcome::permanent_failure();
        }
        auto outcome = co_await inner(std::move(item));
        co_return outcome;
    }
};

/// A store reconciler that reports each finished validation to the triggers (which may queue
/// the store's ExternalSecrets) and then calls `wake` (the ExternalSecret pool's `notify`).
template <transport::waiting_clock Clock, class Reconcile, class Digest = object_key_digest>
struct store_feedback_reconciler {
    using work_item = typename basic_work_queue<Clock>::work_item;
    basic_triggers<Clock, Digest>* triggers;
    Reconcile inner;
    std::function<void()> wake;

    boost::asio::awaitable<sync_outcome> operator()(work_item item) {
        auto const key = item.key;
        auto outcome = co_await inner(std::move(item));
        triggers->store_reconciled(key);
        if (wake) wake();
        co_return outcome;
    }
};

} // namespace esx::controller

#endif
