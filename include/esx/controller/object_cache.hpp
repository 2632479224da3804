// esx::controller::object_cache: what a reflector knows of one kind of object, by key.
//
// `find` hands out `shared_ptr<T const>`: a reconcile that looked an object up keeps its
// snapshot while the watch replaces the entry, without a lock. Like the work queue, a cache
// belongs to one executor (a strand): it is not locked.
//
// The kinds a controller holds one of per ExternalSecret (the ExternalSecrets themselves and
// the Secrets they manage, `cache_packs<T>`) are kept packed (<esx/controller/detail/packed.hpp>):
// one block per object, as long as the object when it is first packed (a block repacked in
// place may be up to twice as long as what it holds): 438 bytes per cached ExternalSecret with
// three entries and its status, key and map node included, where the C++ objects took 1,643
// (measured in tests/unit/controller.cpp). `find` unpacks a fresh copy, about what the
// sync's own copy of the object cost before; the other kinds are shared as they are.
#ifndef ESX_CONTROLLER_OBJECT_CACHE_HPP
#define ESX_CONTROLLER_OBJECT_CACHE_HPP

#include <esx/controller/detail/packed.hpp>
#include <esx/controller/object_key.hpp>

#include <cassert>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

namespace esx::spec {
struct external_secret;
}

namespace esx::controller {

struct managed_secret;

/// True for the kinds `object_cache` keeps packed: those with one object per ExternalSecret.
/// Specialise it for an aggregate of your own that a cache holds by the thousand.
template <class T>
inline constexpr bool cache_packs = false;
template <>
inline constexpr bool cache_packs<spec::external_secret> = true;
template <>
inline constexpr bool cache_packs<managed_secret> = true;

template <class T>
class object_cache {
public:
    using pointer = std::shared_ptr<T const>;

    /// The object, or null if the cache has none under `key`.
    pointer find(object_key const& key) const {
        auto const it = objects_.find(key);
        return it == objects_.end() ? nullptr : shared(it->second);
    }

    bool contains(object_key const& key) const { return objects_.contains(key); }

    /// Adds or replaces; true if it replaced an object.
    bool upsert(object_key key, pointer object) {
        assert(object);
        if constexpr (packs) return upsert(std::move(key), *object);
        else return put(std::move(key), std::move(object));
    }
    bool upsert(object_key key, T object) {
        if constexpr (packs) {
            auto [it, inserted] = objects_.try_emplace(std::move(key));
            try {
                detail::pack_into(object, it->second, scratch_);
            } catch (...) {  // out of memory: no empty entry stays behind
                if (inserted) objects_.erase(it);
                throw;
            }
            return !inserted;
        } else {
            return put(std::move(key), std::make_shared<T const>(std::move(object)));
        }
    }

    /// Removes; returns what was there (null if nothing).
    pointer erase(object_key const& key) {
        auto const it = objects_.find(key);
        if (it == objects_.end()) return nullptr;
        auto old = shared(it->second);
        objects_.erase(it);
        return old;
    }

    void clear() { objects_.clear(); }

    std::size_t size() const noexcept { return objects_.size(); }

    /// Calls `f(key, object)` for every entry (unordered). The object lives as long as the call.
    template <class F>
    void for_each(F&& f) const {
        for (auto const& [key, stored] : objects_) {
            if constexpr (packs) f(key, detail::unpack<T>(stored));
            else f(key, *stored);
        }
    }

    /// Calls `f(key)` for every entry (unordered), unpacking nothing.
    template <class F>
    void for_each_key(F&& f) const {
        for (auto const& entry : objects_) f(entry.first);
    }

    /// True once the first full list has been read: before that, "not found" means "not known yet".
    bool synced() const noexcept { return synced_; }
    void mark_synced() noexcept { synced_ = true; }

private:
    static constexpr bool packs = cache_packs<T>;
    using stored_type = std::conditional_t<packs, detail::packed_bytes, pointer>;

    static pointer shared(stored_type const& stored) {
        if constexpr (packs) return std::make_shared<T const>(detail::unpack<T>(stored));
        else return stored;
    }

    bool put(object_key key, stored_type stored) {
        auto [it, inserted] = objects_.try_emplace(std::move(key), std::move(stored));
        if (!inserted) it->second = std::move(stored);
        return !inserted;
    }

    std::unordered_map<object_key, stored_type> objects_;
    // Packing writes here first: one buffer as long as the longest object packed so far.
    [[no_unique_address]] std::conditional_t<packs, detail::packing::writer, std::monostate> scratch_;
    bool synced_ = false;
};

} // namespace esx::controller

#endif
