// esx::controller::write_echoes: the controller's own ExternalSecret writes that its watch has
// not delivered back yet, so that periodic refreshes cannot bury a new ExternalSecret.
//
// Every refresh writes the ExternalSecret's status (`refreshTime` moves, as in ESO), and the API
// server sends each write back on the controller's ExternalSecret watch. One watch stream
// carries them all, in order, with the ADDED of an ExternalSecret a user just created among
// them. When a refresh cycle writes faster than the controller reads its watch back, the stream
// falls behind and the new ExternalSecret waits in it: measured at 10,000, its Secret came
// 150-300 ms after its creation in some runs, where 16 free workers would have taken 2 ms.
//
// So the controller counts the writes that are out or whose echo it has not read yet, and
// while there are `limit` or more, the queue hands out no periodic refresh
// (`basic_work_queue::hold_refreshes`): the watch catches up, and what is new or changed still
// goes first. A write is echoed when the watch delivers that object at the version the write
// returned, before or after the response. Nothing waits for ever on an echo that does not
// come: a failed write and one that changed nothing (no new version, no event) are not
// counted, and the object's deletion and a relist (which may skip events) drop the entries.
//
// One entry per ExternalSecret written and not yet echoed: a few dozen at a time.
#ifndef ESX_CONTROLLER_WRITE_ECHOES_HPP
#define ESX_CONTROLLER_WRITE_ECHOES_HPP

#include <esx/controller/object_key.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace esx::controller {

class write_echoes {
public:
    /// A write of `object` goes out now. Events of the object read until `written` are kept:
    /// the watch may deliver the write before its response arrives.
    void writing(object_key const& object) {
        pending_[object] = entry{};
        update();
    }

    /// The write of `object` returned `version`; `cached` is the version the controller's cache
    /// holds now. Equal, the watch has delivered it already, or the write changed nothing (it
    /// returns the version the object had, and sends no event): nothing to wait for.
    void written(object_key const& object, std::string_view cached, std::string_view version) {
        auto const it = pending_.find(object);
        if (it == pending_.end()) return;  // deleted or relisted meanwhile
        auto const expected = version_hash(version);
        auto& e = it->second;
        bool const echoed = std::find(e.seen_in_flight.begin(), e.seen_in_flight.end(), expected) != e.seen_in_flight.end();
        if (version.empty() || version == cached || echoed) {
            pending_.erase(it);
            update();
            return;
        }
        e.expected = expected;
        e.in_flight = false;
        std::vector<std::uint64_t>().swap(e.seen_in_flight);
    }

    /// The write of `object` failed: no echo will come.
    void abandoned(object_key const& object) { forget(object); }

    /// The watch delivered `object` at `version`. @return true if that was a write's echo.
    /// Another version leaves the entry: events come in order and none is skipped on a watch
    /// (a relist, which may skip, clears everything), so any other version is one from before
    /// the write, read while the watch was behind.
    bool seen(object_key const& object, std::string_view version) {
        auto const it = pending_.find(object);
        if (it == pending_.end()) return false;
        auto const h = version_hash(version);
        if (it->second.in_flight) {
            it->second.seen_in_flight.push_back(h);
            return false;
        }
        if (it->second.expected != h) return false;
        pending_.erase(it);
        update();
        return true;
    }

    /// The object was deleted: no echo will come.
    void forget(object_key const& object) {
        pending_.erase(object);
        update();
    }
    /// A relist: the cache starts again from the list.
    void clear() {
        pending_.clear();
        update();
    }

    /// Calls `behind(true)` once `limit` writes are out or wait for their echo, and
    /// `behind(false)` once fewer do again (limit 0: never behind).
    void on_behind(std::size_t limit, std::function<void(bool)> behind) {
        limit_ = limit;
        behind_callback_ = std::move(behind);
        update();
    }

    /// Writes out or not echoed yet.
    std::size_t size() const noexcept { return pending_.size(); }
    bool behind() const noexcept { return behind_; }

private:
    struct entry {
        std::uint64_t expected = 0;                ///< hash of the version the write returned
        std::vector<std::uint64_t> seen_in_flight;  ///< versions delivered while the write was out
        bool in_flight = true;
    };

    static std::uint64_t version_hash(std::string_view v) noexcept { return std::hash<std::string_view>{}(v); }

    void update() {
        bool const now = limit_ > 0 && pending_.size() >= limit_;
        if (now == behind_) return;
        behind_ = now;
        if (behind_callback_) behind_callback_(now);
    }

    std::unordered_map<object_key, entry> pending_;
    std::size_t limit_ = 0;
    std::function<void(bool)> behind_callback_;
    bool behind_ = false;
};

} // namespace esx::controller

#endif
