// esx::controller: Kubernetes Events about the objects the controller reconciles, as ESO posts
// them (component `external-secrets`, core/v1 `events`, what `kubectl describe` and
// `kubectl get events` show).
//
// Like client-go's recorder, simply:
// - Correlation: an event equal to one posted before (same object, type, reason and message)
//   is not posted again; the existing Event gets `count + 1` and a new `lastTimestamp` (one
//   merge PATCH). A reconcile that fails the same way every minute makes one Event, not 60.
// - Spam filter: each object may post `burst` events at once (25), then one per
//   `refill_every` (5 min); what exceeds it is dropped and counted (client-go's
//   `EventSourceObjectSpamFilter`). Repeats that only bump a count use the same budget.
// - Bounded: at most `capacity` correlation entries and object budgets (least recently used
//   dropped first, as client-go's LRU of 4096), so a long-running controller does not grow.
//
// Posting never fails a sync: an event the API server refuses is logged and counted, and the
// coroutine returns normally. Messages are the caller's text and must never hold a secret
// value: esx passes ESO's fixed messages or `failure` texts, which never carry values.
//
// One executor (a strand), like the caches: no locks.
#ifndef ESX_CONTROLLER_EVENTS_HPP
#define ESX_CONTROLLER_EVENTS_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/kube/resource.hpp>
#include <esx/kube/verbs.hpp>
#include <esx/log.hpp>
#include <esx/spec/store.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace esx::controller {

/// ESO's event reasons (`apis/externalsecrets/v1/externalsecret_types.go`,
/// `pkg/controllers/secretstore/common.go`).
namespace event_reasons {
inline constexpr std::string_view created = "Created";
inline constexpr std::string_view updated = "Updated";
inline constexpr std::string_view deleted = "Deleted";
inline constexpr std::string_view update_failed = "UpdateFailed";
inline constexpr std::string_view missing_provider_secret = "MissingProviderSecret";
inline constexpr std::string_view valid = "Valid";
inline constexpr std::string_view invalid_provider_config = "InvalidProviderConfig";
inline constexpr std::string_view validation_unknown = "ValidationUnknown";
inline constexpr std::string_view provider_client_config = "ProviderClientConfig";
inline constexpr std::string_view store_unmaintained = "StoreUnmaintained";
inline constexpr std::string_view store_deprecated = "StoreDeprecated";
} // namespace event_reasons

enum class event_type : std::uint8_t { normal, warning };

constexpr std::string_view to_string(event_type t) noexcept { return t == event_type::warning ? "Warning" : "Normal"; }

/// `involvedObject` of an Event.
struct involved_object {
    std::string api_version;  ///< `external-secrets.io/v1`
    std::string kind;         ///< `ExternalSecret`, `SecretStore`, ...
    std::string namespace_;   ///< empty for a cluster-scoped object (its events go to `default`)
    std::string name, uid, resource_version;

    /// The object `meta` of resource `r` (`kube::resources::external_secrets`, ...).
    static involved_object of(kube::resource const& r, spec::object_meta const& meta) {
        return involved_object{r.api_version(), r.kind, meta.namespace_, meta.name, meta.uid, meta.resource_version};
    }
};

struct event_recorder_options {
    std::string component = "external-secrets";  ///< `source.component`, `reportingComponent` (ESO's)
    std::string instance;                        ///< `source.host`, `reportingInstance` (the pod name); may be empty
    std::size_t burst = 25;                      ///< events an object may post at once
    std::chrono::seconds refill_every{300};      ///< then one more per this period
    std::size_t capacity = 4096;                 ///< correlation entries and object budgets kept
    log::logger logger = log::logger(log::level::off);
};

/// What a recorder did so far.
struct event_stats {
    std::uint64_t created = 0;  ///< new Events posted
    std::uint64_t bumped = 0;   ///< repeats folded into an existing Event (count + 1)
    std::uint64_t dropped = 0;  ///< over an object's budget: not sent
    std::uint64_t failed = 0;   ///< refused by the API server (logged)
};

namespace detail {

/// `2026-01-01T00:00:00Z`: `metav1.Time` (seconds, UTC).
ESX_DECL std::string rfc3339_seconds(std::chrono::system_clock::time_point t);

/// The core/v1 Event for a first occurrence, named `name` in `namespace_`.
ESX_DECL boost::json::object event_body(involved_object const& o, event_type type, std::string_view reason,
                                        std::string_view message, std::string_view name, std::string_view namespace_,
                                        std::string_view timestamp, event_recorder_options const& options);

/// Messages are cut at 1,024 bytes (events.k8s.io's limit on `note`), on a UTF-8 boundary.
ESX_DECL std::string bounded_message(std::string_view message);

/// 64-bit digest of an event's correlation text, an LRU map's key (see `lru_map`).
using key_digest = std::uint64_t;
inline key_digest digest_of(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }

/// A small LRU map: `touch` finds or inserts and marks most recent; beyond `capacity` the least
/// recently used entry goes. Keyed by a 64-bit digest of the key's text (object, reason,
/// message), not the text: a recorder keeps `capacity` (4,096) entries in each of two maps, and
/// the text, about 100 bytes a key in its own heap block, made up 1 MB of a controller's memory
/// after a cold sync of 10,000 ExternalSecrets. Two live keys sharing a digest (odds about
/// 1 in 10^12 at 4,096 keys) would fold one event into the other's count, nothing worse.
template <class V>
class lru_map {
public:
    explicit lru_map(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
    lru_map(lru_map&&) noexcept = default;  // std::list keeps its nodes, so the index stays valid
    lru_map& operator=(lru_map&&) noexcept = default;
    lru_map(lru_map const&) = delete;  // the index would point into the other map's nodes
    lru_map& operator=(lru_map const&) = delete;

    /// The entry for `key` (inserted with `V{}` if missing), now the most recent.
    V& touch(key_digest key, bool& inserted) {
        auto const it = index_.find(key);
        if (it != index_.end()) {
            order_.splice(order_.begin(), order_, it->second);
            inserted = false;
            return it->second->second;
        }
        order_.emplace_front(key, V{});
        index_.emplace(key, order_.begin());
        inserted = true;
        if (order_.size() > capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
        }
        return order_.front().second;
    }
    V* find(key_digest key) {
        auto const it = index_.find(key);
        return it == index_.end() ? nullptr : &it->second->second;
    }
    void erase(key_digest key) {
        auto const it = index_.find(key);
        if (it == index_.end()) return;
        order_.erase(it->second);
        index_.erase(it);
    }
    std::size_t size() const noexcept { return index_.size(); }

private:
    using entries = std::list<std::pair<key_digest, V>>;
    std::size_t capacity_;
    entries order_;
    std::unordered_map<key_digest, typename entries::iterator> index_;
};

} // namespace detail

/** Posts core/v1 Events through a `kube::client` (see the top of this file).
    @tparam Kube `kube::client<...>` (get/create/patch on `kube::resources::events`)
    @tparam Clock the injected clock (`esx::testing::fake_clock` in tests): timestamps and budgets */
template <class Kube, transport::waiting_clock Clock = transport::steady_clock>
class basic_event_recorder {
public:
    basic_event_recorder(Kube& client, Clock clock, event_recorder_options options)
        : client_(&client), clock_(std::move(clock)), options_(std::move(options)), events_(options_.capacity),
          budgets_(options_.capacity) {}
    basic_event_recorder(Kube& client, Clock clock) : basic_event_recorder(client, std::move(clock), event_recorder_options{}) {}
    explicit basic_event_recorder(Kube& client) : basic_event_recorder(client, Clock(), event_recorder_options{}) {}

    basic_event_recorder(basic_event_recorder const&) = delete;
    basic_event_recorder& operator=(basic_event_recorder const&) = delete;

    /// Posts (or counts a repeat of) one event about `object`. Never fails; see `stats()`.
    boost::asio::awaitable<void> record(involved_object object, event_type type, std::string reason, std::string message) {
        message = detail::bounded_message(message);
        std::string const object_key = object.kind + '\n' + object.namespace_ + '\n' + object.name + '\n' + object.uid;
        if (!take_budget(detail::digest_of(object_key))) {
            ++stats_.dropped;
            co_return;
        }
        std::string const ns = object.namespace_.empty() ? std::string("default") : object.namespace_;
        detail::key_digest const key =
            detail::digest_of(object_key + '\n' + std::string(to_string(type)) + '\n' + reason + '\n' + message);
        std::string const now = detail::rfc3339_seconds(clock_.utc_now());

        bool inserted = false;
        auto& seen = events_.touch(key, inserted);
        if (!inserted && seen.suffix != 0) {
            ++seen.count;
            std::string const name = event_name(object, seen.suffix);
            boost::json::object patch{{"count", seen.count}, {"lastTimestamp", now}};
            boost::json::value const body(std::move(patch));
            auto bumped = co_await client_->patch(kube::resources::events, ns, name, kube::patch_type::merge, body);
            if (bumped) {
                ++stats_.bumped;
                co_return;
            }
            if (!(bumped.error() == condition::not_found)) {
                fail(object, reason, bumped.error());
                co_return;
            }
            // The Event expired (an hour's TTL in a real cluster): post a new one.
        }
        std::uint64_t suffix = next_suffix();
        if (auto* entry = events_.find(key)) {
            entry->suffix = suffix;
            entry->count = 1;
        }
        auto body = detail::event_body(object, type, reason, message, event_name(object, suffix), ns, now, options_);
        auto created = co_await client_->create(kube::resources::events, ns, body);
        if (!created && created.error() == condition::conflict) {  // the name was taken: once more
            suffix = next_suffix();
            body["metadata"].as_object()["name"] = event_name(object, suffix);
            if (auto* again = events_.find(key)) again->suffix = suffix;
            created = co_await client_->create(kube::resources::events, ns, body);
        }
        if (!created) {
            events_.erase(key);
            fail(object, reason, created.error());
            co_return;
        }
        ++stats_.created;
    }

    /// Forgets the budgets and correlation of nothing in particular: all of them (tests).
    void reset() {
        events_ = detail::lru_map<seen_event>(options_.capacity);
        budgets_ = detail::lru_map<budget>(options_.capacity);
    }

    event_stats const& stats() const noexcept { return stats_; }
    event_recorder_options const& options() const noexcept { return options_; }

private:
    struct seen_event {
        std::uint64_t suffix = 0;  ///< of the Event's name, `<object>.<hex suffix>` (0 while its create is in flight)
        std::int64_t count = 1;
    };
    struct budget {
        double tokens = -1;  ///< < 0: not initialised yet
        std::chrono::steady_clock::time_point last{};
    };

    bool take_budget(detail::key_digest object_key) {
        bool inserted = false;
        auto& b = budgets_.touch(object_key, inserted);
        auto const now = clock_.now();
        double const burst = static_cast<double>(options_.burst < 1 ? 1 : options_.burst);
        if (b.tokens < 0) {
            b.tokens = burst;
            b.last = now;
        }
        if (now > b.last && options_.refill_every.count() > 0) {
            double const refilled = std::chrono::duration<double>(now - b.last).count() /
                                    std::chrono::duration<double>(options_.refill_every).count();
            b.tokens = std::min(burst, b.tokens + refilled);
            b.last = now;
        }
        if (b.tokens < 1) return false;
        b.tokens -= 1;
        return true;
    }

    std::uint64_t next_suffix() {
        // client-go names events `<object>.<hex unix nanoseconds>`; a sequence number keeps two
        // events of one fake-clock instant apart. Never 0, which marks a create in flight.
        auto const ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.utc_now().time_since_epoch()).count();
        std::uint64_t const suffix = static_cast<std::uint64_t>(ns) + sequence_++;
        return suffix == 0 ? 1 : suffix;
    }

    static std::string event_name(involved_object const& o, std::uint64_t suffix) {
        char buf[24];
        auto const n = std::snprintf(buf, sizeof buf, ".%llx", static_cast<unsigned long long>(suffix));
        std::string name = o.name;
        name.append(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        return name;
    }

    void fail(involved_object const& o, std::string const& reason, failure const& f) {
        ++stats_.failed;
        options_.logger.warn("could not post an event",
                             {{"component", "esx.controller.events"}, {"kind", o.kind}, {"namespace", o.namespace_},
                              {"name", o.name}, {"reason", reason}, {"error", f.what()}});
    }

    Kube* client_;
    Clock clock_;
    event_recorder_options options_;
    detail::lru_map<seen_event> events_;
    detail::lru_map<budget> budgets_;
    event_stats stats_;
    std::uint64_t sequence_ = 0;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/events.ipp>
#endif

#endif
