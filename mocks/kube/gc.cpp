// esx mocks/kube: garbage collection and deletion: finalizers (deletionTimestamp first,
// the delete completes with the last finalizer), propagation policies (Background,
// Foreground, Orphan), dependents whose owners are all gone, namespace contents.
#include "handler.hpp"
#include "state.hpp"

#include "text.hpp"

#include <tuple>

namespace esx::mocks::kube::detail {

// Background garbage collection and namespace/CRD cleanup once an object is gone.
void api_state::after_removal(resource_info const& ri, std::string const& ns, json::object const& obj) {
    std::string const uid = str_of(cmeta(obj), "uid");
    if (ri.storage() == "/namespaces") {
        std::string const name = str_of(cmeta(obj), "name");
        std::vector<std::pair<std::string, std::string>> doomed;  // storage, name
        for (auto const& [k, o] : objects)
            if (str_of(cmeta(*o), "namespace") == name)
                doomed.emplace_back(k.substr(0, k.find('/', k.find('/') + 1)), str_of(cmeta(*o), "name"));
        for (auto const& [storage, n] : doomed)
            if (auto const* r = info_for_storage(storage))
                erase_object(*r, name, n);
    }
    if (ri.storage() == "apiextensions.k8s.io/customresourcedefinitions")
        unregister_crd(obj);
    collect_dependents(uid, ns);
}

// Dependents of `uid` whose every owner is now gone are deleted (background).
void api_state::collect_dependents(std::string const& uid, std::string const& owner_ns) {
    if (uid.empty())
        return;
    std::vector<std::tuple<std::string, std::string, std::string>> doomed;
    for (auto const& [k, stored] : objects) {
        json::object const& o = *stored;
        auto const* refs_v = cmeta(o).if_contains("ownerReferences");
        if (!refs_v || !refs_v->is_array())
            continue;
        bool refers = false, other_owner_alive = false;
        std::string const dep_ns = str_of(cmeta(o), "namespace");
        for (auto const& r : refs_v->as_array()) {
            if (!r.is_object())
                continue;
            std::string const ruid = str_of(r.as_object(), "uid");
            if (ruid == uid)
                refers = true;
            else if (uid_exists(ruid))
                other_owner_alive = true;
        }
        if (refers && !other_owner_alive && (owner_ns.empty() || owner_ns == dep_ns))
            doomed.emplace_back(k.substr(0, k.find('/', k.find('/') + 1)), dep_ns, str_of(cmeta(o), "name"));
    }
    for (auto const& [storage, ns, name] : doomed)
        if (auto const* r = info_for_storage(storage))
            delete_object(*r, ns, name, "Background");
}

std::optional<json::object> api_state::delete_object(resource_info const& ri, std::string const& ns, std::string const& name,
                                          std::string const& policy) {
    json::object const* cur = lookup(ri, ns, name);
    if (!cur)
        return std::nullopt;
    std::string const uid = str_of(cmeta(*cur), "uid");
    if (policy == "Orphan") {
        // Dependents lose their reference to this owner first.
        std::vector<std::string> keys;
        for (auto const& [k, o] : objects) {
            auto const* refs = cmeta(*o).if_contains("ownerReferences");
            if (refs && refs->is_array())
                for (auto const& r : refs->as_array())
                    if (r.is_object() && str_of(r.as_object(), "uid") == uid)
                        keys.push_back(k);
        }
        for (auto const& k : keys) {
            json::object o = *objects[k];
            auto& refs = meta(o)["ownerReferences"].as_array();
            erase_values(refs, [&](json::value const& r) { return r.is_object() && str_of(r.as_object(), "uid") == uid; });
            if (refs.empty())
                meta(o).erase("ownerReferences");
            std::string const dep_ns = str_of(cmeta(o), "namespace"), dep_name = str_of(cmeta(o), "name");
            if (auto const* r = info_for_storage(k.substr(0, k.find('/', k.find('/') + 1))))
                put_object(*r, dep_ns, dep_name, std::move(o), false);
        }
    }
    cur = lookup(ri, ns, name);
    auto const* fin = cmeta(*cur).if_contains("finalizers");
    bool const has_finalizers = fin && fin->is_array() && !fin->as_array().empty();
    if (has_finalizers) {
        if (!cmeta(*cur).contains("deletionTimestamp")) {
            json::object o = *cur;
            meta(o)["deletionTimestamp"] = rfc3339(now_s());
            meta(o)["deletionGracePeriodSeconds"] = 0;
            put_object(ri, ns, name, o, false);
        }
        return *lookup(ri, ns, name);
    }
    if (policy == "Foreground") {
        json::object o = *cur;
        meta(o)["deletionTimestamp"] = rfc3339(now_s());
        meta(o)["deletionGracePeriodSeconds"] = 0;
        meta(o)["finalizers"] = json::array{"foregroundDeletion"};
        put_object(ri, ns, name, o, false);
        collect_dependents(uid, ns);
    }
    erase_object(ri, ns, name);
    return std::nullopt;
}

// An object created with ownerReferences whose owners all do not exist is
// collected at once, as the garbage collector would shortly after.
void api_handler::collect_if_orphaned(resource_info const& ri, std::string const& ns, std::string const& name) {
    json::object const* o = st_.lookup(ri, ns, name);
    auto const* refs = o ? cmeta(*o).if_contains("ownerReferences") : nullptr;
    if (!refs || !refs->is_array() || refs->as_array().empty())
        return;
    for (auto const& r : refs->as_array())
        if (r.is_object() && st_.uid_exists(str_of(r.as_object(), "uid")))
            return;
    st_.delete_object(ri, ns, name, "Background");
}

}  // namespace esx::mocks::kube::detail
