// esx::controller: the bounded work queue the worker pool takes keys from.
//
// The queue hands out keys that are due, most urgent first (see <esx/controller/scheduler.hpp>),
// and owns the rules around one sync:
// - Never the same key twice at once. A key requested while it is in flight is deferred and
//   scheduled when `done(key)` reports the sync finished (kube-runtime's runner "pending" set).
// - At most `concurrency` keys in flight (default 16): `next()` returns nothing while the
//   pool is full, so the worker pool is bounded by the queue itself.
// - After a retryable failure, the key comes back after ESO's backoff (1 s doubling to 7 min,
//   see <esx/controller/backoff.hpp>) or later if the global retry budget is spent (ESO's token
//   bucket, 10 per second, burst 100; the longer of the two waits wins, as in client-go's
//   `MaxOfRateLimiter`). A success resets the backoff. A non-retryable failure (the target
//   belongs to another ExternalSecret, an invalid spec, ...) is not retried: the key waits for
//   the next change, as ESO does when its reconcile returns no error.
// - After a success with a periodic refresh, the key comes back after the refresh delay minus
//   its jitter (see <esx/controller/jitter.hpp>).
//
// Bounded: the queue tracks at most `capacity` keys, scheduled or in flight. A deferred request
// and a backoff count take no extra place. When full, `add` refuses a key it does not track yet,
// returns `add_result::full`, counts it in `dropped()` and raises `overflowed()`; requests for
// keys it already tracks always succeed (they merge into the existing entry). A refused key is
// not lost for good: the controller, seeing `overflowed()`, re-adds every object of its cache
// once room is free (`clear_overflow()`), as a resync would. Nothing is evicted to make room:
// a queued change must never disappear silently.
//
// Time comes from the clock (`esx::testing::fake_clock` in tests). There is one deadline,
// `next_wakeup()`, whatever the number of keys: no per-object timers.
#ifndef ESX_CONTROLLER_WORK_QUEUE_HPP
#define ESX_CONTROLLER_WORK_QUEUE_HPP

#include <esx/controller/backoff.hpp>
#include <esx/controller/jitter.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/scheduler.hpp>
#include <esx/kube/rate_limiter.hpp>
#include <esx/transport/clock.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

namespace esx::controller {

struct work_queue_options {
    std::size_t concurrency = 16;          ///< most keys in flight at once (0 counts as 1)
    std::size_t capacity = 200'000;        ///< most keys tracked (scheduled or in flight)
    exponential_backoff backoff{};         ///< per key, after retryable failures
    double retry_qps = 10;                 ///< global budget for retries (ESO: 10/s)...
    std::size_t retry_burst = 100;         ///< ...with this burst (ESO: 100); qps <= 0: no limit
    refresh_jitter jitter{};               ///< spread of periodic refreshes
};

/// What `add` did with a request.
enum class add_result : std::uint8_t {
    queued,    ///< a new entry
    merged,    ///< the key was already scheduled; its entry kept the earlier time and the more urgent reason
    deferred,  ///< the key is in flight; it will be scheduled when `done` is called
    full,      ///< refused: the queue tracks `capacity` keys already
};

/// How a sync ended, as the reconciler reports it to `done`.
class sync_outcome {
public:
    enum class kind : std::uint8_t { synced, retryable_failure, permanent_failure };

    /// Success; refresh again after `refresh_after` (see `controller::refresh_after`), or only
    /// on a change if it is empty.
    static sync_outcome synced(std::optional<std::chrono::nanoseconds> refresh_after) {
        return sync_outcome(kind::synced, refresh_after);
    }
    /// A failure that may pass (network, 429, 5xx, a conflict): retried after the backoff.
    static sync_outcome retryable_failure() { return sync_outcome(kind::retryable_failure, std::nullopt); }
    /// A failure that only a change can fix: not retried.
    static sync_outcome permanent_failure() { return sync_outcome(kind::permanent_failure, std::nullopt); }

    kind what() const noexcept { return kind_; }
    std::optional<std::chrono::nanoseconds> refresh_after() const noexcept { return refresh_after_; }

private:
    sync_outcome(kind k, std::optional<std::chrono::nanoseconds> r) : refresh_after_(r), kind_(k) {}
    std::optional<std::chrono::nanoseconds> refresh_after_;
    kind kind_;
};

template <transport::waiting_clock Clock = transport::steady_clock>
class basic_work_queue {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// A key handed out by `next()`; the caller must call `done(key, ...)` when its sync ends.
    struct work_item {
        object_key key;
        controller::reason why;
        std::uint32_t failures;  ///< failures in a row before this attempt
    };

    explicit basic_work_queue(work_queue_options options = {}, Clock clock = Clock())
        : options_(options), retry_budget_(options.retry_qps, options.retry_burst, clock), clock_(std::move(clock)) {
        options_.concurrency = std::max<std::size_t>(options_.concurrency, 1);
    }

    /// Asks for a sync of `key` now.
    add_result add(object_key const& key, reason why) { return add_at(key, why, clock_.now()); }

    /// Asks for a sync of `key` after `delay`.
    add_result add_after(object_key const& key, reason why, std::chrono::nanoseconds delay) {
        return add_at(key, why, clock_.now() + std::chrono::duration_cast<time_point::duration>(delay));
    }

    /// Hands out the most urgent due key and marks it in flight; nothing if no key is due or
    /// `concurrency` keys are in flight already.
    std::optional<work_item> next() {
        if (in_flight_ >= options_.concurrency) return std::nullopt;
        auto e = scheduler_.pop_due(clock_.now(), least_urgent());
        if (!e) return std::nullopt;
        auto& st = states_[e->key];
        st.in_flight = true;
        ++in_flight_;
        return work_item{std::move(e->key), e->why, st.failures};
    }

    /// Reports that the sync of `key` (handed out by `next()`) finished. Schedules its refresh
    /// or retry, then its deferred request, if any. A key not in flight is ignored.
    void done(object_key const& key, sync_outcome const& outcome) {
        auto const it = states_.find(key);
        if (it == states_.end() || !it->second.in_flight) return;
        auto& st = it->second;
        st.in_flight = false;
        --in_flight_;
        if (st.forgotten) {  // deleted while in flight, and not re-created since
            states_.erase(it);
            return;
        }
        auto const now = clock_.now();
        switch (outcome.what()) {
        case sync_outcome::kind::synced:
            st.failures = 0;
            if (auto const after = outcome.refresh_after()) {
                auto const pulled = *after - options_.jitter.offset(key, *after);
                scheduler_.schedule(key, reason::refresh, now + std::chrono::duration_cast<time_point::duration>(pulled));
            }
            break;
        case sync_outcome::kind::retryable_failure: {
            if (st.failures < std::numeric_limits<std::uint16_t>::max()) ++st.failures;
            auto const wait = std::max<std::chrono::nanoseconds>(options_.backoff.delay(st.failures), retry_budget_.reserve());
            scheduler_.schedule(key, reason::retry, now + std::chrono::duration_cast<time_point::duration>(wait));
            break;
        }
        case sync_outcome::kind::permanent_failure:
            st.failures = 0;  // ESO forgets the item: the next change starts from 1 s again
            break;
        }
        if (st.pending) {
            scheduler_.schedule(key, st.pending_why, st.pending_due);
            st.pending = false;
            --pending_;
        }
        if (st.failures == 0) states_.erase(it);
    }

    /// Forgets `key` (the object was deleted): its entry, backoff and deferred request. If it is
    /// in flight, `done` still has to be called; it will not schedule anything.
    void forget(object_key const& key) {
        scheduler_.cancel(key);
        auto const it = states_.find(key);
        if (it == states_.end()) return;
        if (it->second.pending) --pending_;
        if (!it->second.in_flight) { states_.erase(it); return; }
        it->second = key_state{};
        it->second.in_flight = true;
        it->second.forgotten = true;
    }

    /// When `next()` may have something: the earliest due time, or nothing if the queue is
    /// empty or the pool is full (then the next `done` is the event to wait for).
    std::optional<time_point> next_wakeup() const noexcept {
        if (in_flight_ >= options_.concurrency) return std::nullopt;
        return scheduler_.next_due(least_urgent());
    }

    /// While held, `next()` hands out no periodic refresh (and `next_wakeup()` ignores them):
    /// new, changed and retried keys still go. The controller holds refreshes while its watch
    /// is behind on its own writes (<esx/controller/write_echoes.hpp>); whoever releases the
    /// hold wakes the pool.
    void hold_refreshes(bool held) noexcept { refreshes_held_ = held; }
    bool refreshes_held() const noexcept { return refreshes_held_; }

    std::size_t scheduled() const noexcept { return scheduler_.size(); }
    std::size_t in_flight() const noexcept { return in_flight_; }
    std::size_t deferred() const noexcept { return pending_; }
    /// Keys tracked: scheduled or in flight (what `capacity` bounds).
    std::size_t size() const noexcept { return scheduler_.size() + in_flight_; }
    std::size_t capacity() const noexcept { return options_.capacity; }
    /// Failures in a row of `key` (0 after a success).
    std::uint32_t failures(object_key const& key) const {
        auto const it = states_.find(key);
        return it == states_.end() ? 0 : it->second.failures;
    }
    bool in_flight(object_key const& key) const {
        auto const it = states_.find(key);
        return it != states_.end() && it->second.in_flight;
    }
    std::optional<scheduler::entry> find(object_key const& key) const { return scheduler_.find(key); }

    /// Requests refused because the queue was full, since the start.
    std::uint64_t dropped() const noexcept { return dropped_; }
    /// A request was refused since the last `clear_overflow()`: re-add from the cache.
    bool overflowed() const noexcept { return overflowed_; }
    void clear_overflow() noexcept { overflowed_ = false; }

    work_queue_options const& options() const noexcept { return options_; }
    Clock& clock() noexcept { return clock_; }

    /// Per-key state kept only while a key is in flight or backing off.
    struct key_state {
        time_point pending_due{};
        std::uint16_t failures = 0;
        reason pending_why = reason::refresh;
        bool in_flight = false;
        bool pending = false;
        bool forgotten = false;  ///< forgotten while in flight: `done` schedules nothing
    };

private:
    reason least_urgent() const noexcept { return refreshes_held_ ? reason::retry : reason::refresh; }

    add_result add_at(object_key const& key, reason why, time_point due) {
        auto const it = states_.find(key);
        if (it != states_.end() && it->second.in_flight) {
            auto& st = it->second;
            if (st.forgotten) st = key_state{.in_flight = true};  // re-created while its deletion is in flight
            if (!st.pending) {
                st = key_state{.pending_due = due, .failures = st.failures, .pending_why = why, .in_flight = true,
                               .pending = true};
                ++pending_;
            } else {
                st.pending_due = std::min(st.pending_due, due);
                if (more_urgent(why, st.pending_why)) st.pending_why = why;
            }
            return add_result::deferred;
        }
        if (!scheduler_.contains(key) && size() >= options_.capacity) {
            ++dropped_;
            overflowed_ = true;
            return add_result::full;
        }
        return scheduler_.schedule(key, why, due) ? add_result::queued : add_result::merged;
    }

    work_queue_options options_;
    scheduler scheduler_;
    std::unordered_map<object_key, key_state> states_;
    kube::rate_limiter<Clock> retry_budget_;
    Clock clock_;
    std::size_t in_flight_ = 0;
    std::size_t pending_ = 0;
    std::uint64_t dropped_ = 0;
    bool overflowed_ = false;
    bool refreshes_held_ = false;
};

using work_queue = basic_work_queue<>;

} // namespace esx::controller

#endif
