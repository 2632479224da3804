// esx::controller: which ExternalSecrets read from which store.
//
// ESO does not watch stores, so fixing a store's credentials leaves its ExternalSecrets failing
// until their backoff or refresh comes round (up to 7 minutes, or the refresh interval).
// esx keeps this index, updated from the ExternalSecret watch, and re-queues the users of a
// store when the store changes. An ExternalSecret uses its `secretStoreRef` and the `storeRef`
// of any `sourceRef` in `data[]` and `dataFrom[]`; a SecretStore is looked up in the
// ExternalSecret's own namespace, a ClusterSecretStore by name alone.
#ifndef ESX_CONTROLLER_STORE_INDEX_HPP
#define ESX_CONTROLLER_STORE_INDEX_HPP

#include <esx/config.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/spec/external_secret.hpp>

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace esx::controller {

/// A store: its kind and its key (`namespace/name` for a SecretStore, `name` for a
/// ClusterSecretStore).
struct store_key {
    spec::store_kind kind = spec::store_kind::secret_store;
    object_key key;
    friend bool operator==(store_key const&, store_key const&) = default;
};

} // namespace esx::controller

template <>
struct std::hash<esx::controller::store_key> {
    std::size_t operator()(esx::controller::store_key const& s) const noexcept {
        return std::hash<esx::controller::object_key>()(s.key) ^ static_cast<std::size_t>(s.kind);
    }
};

namespace esx::controller {

/// The distinct stores an ExternalSecret reads from, in the order they first appear.
ESX_DECL std::vector<store_key> stores_of(spec::external_secret const& es);

class store_index {
public:
    /// Records (or replaces) the stores `user` reads from.
    ESX_DECL void set(object_key const& user, std::vector<store_key> const& stores);
    /// Forgets `user` (the ExternalSecret was deleted).
    ESX_DECL void erase(object_key const& user);
    /// The ExternalSecrets that read from `store`, in no particular order.
    ESX_DECL std::vector<object_key> users_of(store_key const& store) const;
    /// The stores `user` reads from, as last set.
    ESX_DECL std::vector<store_key> stores_used_by(object_key const& user) const;
    /// Calls `f(store_key const&)` for each store `user` reads from, copying nothing.
    template <class F>
    void for_each_store_used_by(object_key const& user, F&& f) const {
        auto const it = by_user_.find(user);
        if (it == by_user_.end()) return;
        for (store_id id : it->second) f(stores_[id].key);
    }

    std::size_t users() const noexcept { return by_user_.size(); }
    std::size_t stores() const noexcept { return ids_.size(); }

private:
    // Stores are few and ExternalSecrets many: each store gets a small id, and an
    // ExternalSecret's entry is its key and its (usually one) store id, with no reverse set
    // per store. `users_of` walks every entry instead, which a store change (rare) can afford:
    // 100 B less per ExternalSecret (measured below in tests/unit/controller.cpp).
    using store_id = std::uint32_t;
    struct store_entry {
        store_key key;
        std::size_t users = 0;  // 0: the id is free
    };
    ESX_DECL store_id acquire(store_key const& store);
    ESX_DECL void release(store_id id);

    std::unordered_map<object_key, boost::container::small_vector<store_id, 1>> by_user_;
    std::vector<store_entry> stores_;            // by id
    std::unordered_map<store_key, store_id> ids_;  // stores with users
    std::vector<store_id> free_ids_;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/store_index.ipp>
#endif

#endif
