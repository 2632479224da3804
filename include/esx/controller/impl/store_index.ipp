// esx::controller: the store-change index (see <esx/controller/store_index.hpp>).
#ifndef ESX_CONTROLLER_IMPL_STORE_INDEX_IPP
#define ESX_CONTROLLER_IMPL_STORE_INDEX_IPP

#include <esx/controller/store_index.hpp>

#include <algorithm>

namespace esx::controller {

ESX_DECL std::vector<store_key> stores_of(spec::external_secret const& es) {
    std::vector<store_key> out;
    auto add = [&](spec::store_ref const& ref) {
        if (ref.name.empty()) return;
        store_key k{ref.kind, ref.kind == spec::store_kind::cluster_secret_store
                                  ? object_key({}, ref.name)
                                  : object_key(es.metadata.namespace_, ref.name)};
        if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
    };
    add(es.spec.secret_store_ref);
    for (auto const& d : es.spec.data)
        if (d.source && d.source->store) add(*d.source->store);
    for (auto const& d : es.spec.data_from)
        if (d.source && d.source->store) add(*d.source->store);
    return out;
}

ESX_DECL void store_index::set(object_key const& user, std::vector<store_key> const& stores) {
    erase(user);
    if (stores.empty()) return;
    auto& ids = by_user_[user];
    for (auto const& s : stores) ids.push_back(acquire(s));
}

ESX_DECL void store_index::erase(object_key const& user) {
    auto const it = by_user_.find(user);
    if (it == by_user_.end()) return;
    for (store_id id : it->second) release(id);
    by_user_.erase(it);
}

ESX_DECL std::vector<object_key> store_index::users_of(store_key const& store) const {
    auto const id = ids_.find(store);
    if (id == ids_.end()) return {};
    std::vector<object_key> out;
    out.reserve(stores_[id->second].users);
    for (auto const& [user, ids] : by_user_)
        if (std::find(ids.begin(), ids.end(), id->second) != ids.end()) out.push_back(user);
    return out;
}

ESX_DECL std::vector<store_key> store_index::stores_used_by(object_key const& user) const {
    std::vector<store_key> out;
    for_each_store_used_by(user, [&](store_key const& s) { out.push_back(s); });
    return out;
}

ESX_DECL store_index::store_id store_index::acquire(store_key const& store) {
    auto [it, inserted] = ids_.try_emplace(store, store_id{});
    if (inserted) {
        if (free_ids_.empty()) {
            it->second = static_cast<store_id>(stores_.size());
            stores_.push_back({store, 0});
        } else {
            it->second = free_ids_.back();
            free_ids_.pop_back();
            stores_[it->second].key = store;
        }
    }
    ++stores_[it->second].users;
    return it->second;
}

ESX_DECL void store_index::release(store_id id) {
    auto& entry = stores_[id];
    if (--entry.users != 0) return;
    ids_.erase(entry.key);
    entry.key = {};
    free_ids_.push_back(id);
}

} // namespace esx::controller

#endif
