// esx::controller: the scheduler (see <esx/controller/scheduler.hpp>).
#ifndef ESX_CONTROLLER_IMPL_SCHEDULER_IPP
#define ESX_CONTROLLER_IMPL_SCHEDULER_IPP

#include <esx/controller/scheduler.hpp>

#include <algorithm>

namespace esx::controller {

inline void scheduler::unlink(object_key const& key, slot const& s) {
    by_reason_[static_cast<std::size_t>(s.why)].erase(order{s.due, s.seq, &key});
}

ESX_DECL bool scheduler::schedule(object_key const& key, reason why, time_point due) {
    auto [it, inserted] = slots_.try_emplace(key, slot{due, next_seq_, why});
    auto& s = it->second;
    if (!inserted) {
        auto const merged_due = std::min(s.due, due);
        auto const merged_why = more_urgent(why, s.why) ? why : s.why;
        if (merged_due == s.due && merged_why == s.why) return false;
        unlink(it->first, s);
        // An entry that moves keeps its place among equals only if its time is unchanged.
        if (merged_due != s.due) s.seq = next_seq_++;
        s.due = merged_due;
        s.why = merged_why;
    } else {
        ++next_seq_;
    }
    by_reason_[static_cast<std::size_t>(s.why)].insert(order{s.due, s.seq, &it->first});
    return inserted;
}

ESX_DECL bool scheduler::cancel(object_key const& key) {
    auto const it = slots_.find(key);
    if (it == slots_.end()) return false;
    unlink(it->first, it->second);
    slots_.erase(it);
    return true;
}

ESX_DECL std::optional<scheduler::entry> scheduler::pop_due(time_point now, reason least_urgent) {
    for (std::size_t r = 0; r <= static_cast<std::size_t>(least_urgent); ++r) {
        auto& set = by_reason_[r];
        if (set.empty() || set.begin()->due > now) continue;
        auto const first = set.begin();
        auto node = slots_.extract(*first->key);
        set.erase(first);
        return entry{std::move(node.key()), node.mapped().why, node.mapped().due};
    }
    return std::nullopt;
}

ESX_DECL std::optional<scheduler::time_point> scheduler::next_due(reason least_urgent) const noexcept {
    std::optional<time_point> earliest;
    for (std::size_t r = 0; r <= static_cast<std::size_t>(least_urgent); ++r) {
        auto const& set = by_reason_[r];
        if (!set.empty() && (!earliest || set.begin()->due < *earliest)) earliest = set.begin()->due;
    }
    return earliest;
}

ESX_DECL std::optional<scheduler::entry> scheduler::find(object_key const& key) const {
    auto const it = slots_.find(key);
    if (it == slots_.end()) return std::nullopt;
    return entry{it->first, it->second.why, it->second.due};
}

} // namespace esx::controller

#endif
