// esx::controller::object_cache: what a reflector knows of one kind of object, by key.
//
// Objects are held as `shared_ptr<T const>`: a reconcile that looked an object up keeps its
// snapshot alive while the watch replaces the entry, without copying it and without a lock.
// Like the work queue, a cache belongs to one executor (a strand): it is not locked.
#ifndef ESX_CONTROLLER_OBJECT_CACHE_HPP
#define ESX_CONTROLLER_OBJECT_CACHE_HPP

#include <esx/controller/object_key.hpp>

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>

namespace esx::controller {

template <class T>
class object_cache {
public:
    using pointer = std::shared_ptr<T const>;

    /// The object, or null if the cache has none under `key`.
    pointer find(object_key const& key) const {
        auto const it = objects_.find(key);
        return it == objects_.end() ? nullptr : it->second;
    }

    /// Adds or replaces; returns what was there before (null if nothing).
    pointer upsert(object_key key, pointer object) {
        auto [it, inserted] = objects_.try_emplace(std::move(key), object);
        if (inserted) return nullptr;
        return std::exchange(it->second, std::move(object));
    }

    /// Removes; returns what was there (null if nothing).
    pointer erase(object_key const& key) {
        auto const it = objects_.find(key);
        if (it == objects_.end()) return nullptr;
        auto old = std::move(it->second);
        objects_.erase(it);
        return old;
    }

    void clear() { objects_.clear(); }

    std::size_t size() const noexcept { return objects_.size(); }

    /// Calls `f(key, object)` for every entry (unordered).
    template <class F>
    void for_each(F&& f) const {
        for (auto const& [key, object] : objects_) f(key, *object);
    }

    /// True once the first full list has been read: before that, "not found" means "not known yet".
    bool synced() const noexcept { return synced_; }
    void mark_synced() noexcept { synced_ = true; }

private:
    std::unordered_map<object_key, pointer> objects_;
    bool synced_ = false;
};

} // namespace esx::controller

#endif
