// esx::transform::templating::template_cache (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_CACHE_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_CACHE_IPP

#include <esx/transform/template/cache.hpp>

namespace esx::transform::templating {

ESX_DECL template_cache::template_cache(std::shared_ptr<function_table const> functions, options opts,
                                        std::size_t max_entries)
    : functions_(std::move(functions)), opts_(std::move(opts)), max_entries_(max_entries == 0 ? 1 : max_entries) {}

ESX_DECL result<compiled_template, failure> template_cache::get(std::string_view owner, std::int64_t generation,
                                                                std::string_view name, std::string_view source) {
    {
        std::lock_guard lock(mutex_);
        auto it = owners_.find(owner);
        if (it != owners_.end() && it->second.generation == generation) {
            auto t = it->second.templates.find(name);
            if (t != it->second.templates.end() && t->second.source() == source) {
                ++hits_;
                lru_.splice(lru_.begin(), lru_, it->second.lru);
                return t->second;
            }
        }
        ++misses_;
    }
    // Parse outside the lock: parsing is the slow part and needs no shared state.
    auto compiled = compiled_template::parse(std::string(name), std::string(source), functions_, opts_);
    if (!compiled) return compiled.error();

    std::lock_guard lock(mutex_);
    auto it = owners_.find(owner);
    if (it == owners_.end()) {
        lru_.emplace_front(owner);
        it = owners_.emplace(std::string(owner), owner_entry{generation, {}, lru_.begin()}).first;
    } else {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        if (it->second.generation != generation) {
            if (generation < it->second.generation) return *compiled;  // a stale sync: don't evict the newer one
            entries_ -= it->second.templates.size();
            it->second.templates.clear();
            it->second.generation = generation;
        }
    }
    auto [t, inserted] = it->second.templates.insert_or_assign(std::string(name), *compiled);
    if (inserted) ++entries_;
    while (entries_ > max_entries_ && lru_.size() > 1) {
        auto victim = owners_.find(lru_.back());
        entries_ -= victim->second.templates.size();
        owners_.erase(victim);
        lru_.pop_back();
    }
    return *compiled;
}

ESX_DECL template_cache::stats template_cache::statistics() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, entries_};
}

} // namespace esx::transform::templating

#endif
