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

ESX_DECL void store_index::set(object_key const& user, std::vector<store_key> stores) {
    erase(user);
    for (auto const& s : stores) by_store_[s].insert(user);
    if (!stores.empty()) by_user_.emplace(user, std::move(stores));
}

ESX_DECL void store_index::erase(object_key const& user) {
    auto const it = by_user_.find(user);
    if (it == by_user_.end()) return;
    for (auto const& s : it->second) {
        auto const users = by_store_.find(s);
        if (users == by_store_.end()) continue;
        users->second.erase(user);
        if (users->second.empty()) by_store_.erase(users);
    }
    by_user_.erase(it);
}

ESX_DECL std::vector<object_key> store_index::users_of(store_key const& store) const {
    auto const it = by_store_.find(store);
    if (it == by_store_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

ESX_DECL std::vector<store_key> store_index::stores_used_by(object_key const& user) const {
    auto const it = by_user_.find(user);
    if (it == by_user_.end()) return {};
    return it->second;
}

} // namespace esx::controller

#endif
