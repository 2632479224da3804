// esx::controller: which object to sync next, and when (kube-runtime's scheduler, with priorities).
//
// One entry per key: asking again for a key already scheduled never adds a second entry. The
// entry keeps the earlier of the two due times and the more urgent of the two reasons, so a
// request can only bring a sync forward, never push it back (kube-runtime: "the earlier time
// wins"). Among entries that are due, a more urgent reason goes first: a new or changed
// ExternalSecret does not wait behind thousands of due periodic refreshes (ESO #2878, #4180:
// new objects waited 5 to 15 minutes). Within a reason, the earliest due time goes first, then
// the order of the requests.
//
// There are no per-object timers: `next_due()` is the one deadline a driver waits for.
// The scheduler is plain data on time points; the work queue feeds it the clock's time.
#ifndef ESX_CONTROLLER_SCHEDULER_HPP
#define ESX_CONTROLLER_SCHEDULER_HPP

#include <esx/config.hpp>
#include <esx/controller/object_key.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

namespace esx::controller {

/// Why a key is scheduled, most urgent first.
enum class reason : std::uint8_t {
    changed,        ///< new, changed (spec, labels, annotations: force-sync) or its target Secret changed
    store_changed,  ///< a store it reads from changed
    retry,          ///< a failed sync, after its backoff
    refresh,        ///< the periodic refresh (`refreshInterval`)
};
inline constexpr std::size_t reason_count = 4;

constexpr std::string_view to_string(reason r) noexcept {
    switch (r) {
    case reason::changed: return "changed";
    case reason::store_changed: return "store_changed";
    case reason::retry: return "retry";
    case reason::refresh: return "refresh";
    }
    return "unknown";
}

inline constexpr reason least_urgent_reason = static_cast<reason>(reason_count - 1);

/// `a` is more urgent than `b`.
constexpr bool more_urgent(reason a, reason b) noexcept { return a < b; }

class scheduler {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// A scheduled key, as `pop_due` hands it out.
    struct entry {
        object_key key;
        controller::reason why;
        time_point due;
    };

    /// Schedules `key`, or merges into its entry (earlier due time, more urgent reason).
    /// @return true if a new entry was made, false if an existing one absorbed the request.
    ESX_DECL bool schedule(object_key const& key, reason why, time_point due);

    /// Removes the key's entry (the object was deleted). @return whether there was one.
    ESX_DECL bool cancel(object_key const& key);

    /// Removes and returns the most urgent entry due at `now`, if any.
    std::optional<entry> pop_due(time_point now) { return pop_due(now, least_urgent_reason); }
    /// The same among the reasons up to `least_urgent` (the others stay, as if not due).
    ESX_DECL std::optional<entry> pop_due(time_point now, reason least_urgent);

    /// The earliest due time of all entries: the one deadline to wait for.
    std::optional<time_point> next_due() const noexcept { return next_due(least_urgent_reason); }
    /// The same among the reasons up to `least_urgent`.
    ESX_DECL std::optional<time_point> next_due(reason least_urgent) const noexcept;

    /// The entry of `key`, if scheduled (for status and tests).
    ESX_DECL std::optional<entry> find(object_key const& key) const;

    bool contains(object_key const& key) const { return slots_.contains(key); }
    std::size_t size() const noexcept { return slots_.size(); }
    bool empty() const noexcept { return slots_.empty(); }

    /// Bytes one scheduled key costs besides its text: the hash node and the ordered-set node
    /// (an estimate from the node layouts of libstdc++, for the memory figures).
    static constexpr std::size_t bytes_per_entry() noexcept {
        return sizeof(void*) * 2 + sizeof(std::size_t) + sizeof(object_key) + sizeof(slot)  // hash node
               + sizeof(void*) * 4 + sizeof(order);                                         // rb-tree node
    }

private:
    struct slot {
        time_point due;
        std::uint64_t seq;
        controller::reason why;
    };
    struct order {
        time_point due;
        std::uint64_t seq;          ///< request order; unique, so (due, seq) identifies an entry
        object_key const* key;      ///< the key stored in `slots_` (node-based: the address is stable)
        friend bool operator<(order const& a, order const& b) noexcept {
            return a.due != b.due ? a.due < b.due : a.seq < b.seq;
        }
    };

    void unlink(object_key const& key, slot const& s);

    std::unordered_map<object_key, slot> slots_;
    std::array<std::set<order>, reason_count> by_reason_;
    std::uint64_t next_seq_ = 0;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/scheduler.ipp>
#endif

#endif
