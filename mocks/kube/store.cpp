// esx mocks/kube: the object store: objects by storage/namespace/name, one global
// resourceVersion counter, and the bounded history of changes that watches resume from.
#include "state.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

namespace esx::mocks::kube::detail {

std::string api_state::key_of(resource_info const& ri, std::string const& ns, std::string const& name) {
    return ri.storage() + "/" + ns + "/" + name;
}

json::object* api_state::lookup(resource_info const& ri, std::string const& ns, std::string const& name) {
    auto it = objects.find(key_of(ri, ns, name));
    return it == objects.end() ? nullptr : &it->second;
}

json::object api_state::served(resource_info const& ri, json::object o) {
    if (ri.new_events())
        o = convert_event(std::move(o), false);
    o["apiVersion"] = ri.group_version();
    o["kind"] = ri.kind;
    return o;
}

resource_info const* api_state::info_for_storage(std::string const& storage) const {
    for (auto const& [gv, list] : gvs)
        for (auto const& r : list)
            if (r.storage() == storage)
                return &r;
    return nullptr;
}

void api_state::put_object(resource_info const& ri, std::string const& ns, std::string const& name, json::object obj,
                bool created) {
    std::string const key = key_of(ri, ns, name);
    std::uint64_t const r = next_rv();
    meta(obj)["resourceVersion"] = std::to_string(r);
    if (created) {
        uids.insert(str_of(cmeta(obj), "uid"));
        objects[key] = obj;
        record("ADDED", ri.storage(), ns, nullptr, obj, r);
    } else {
        json::object old = objects[key];
        objects[key] = obj;
        record("MODIFIED", ri.storage(), ns, &old, obj, r);
    }
}

void api_state::erase_object(resource_info const& ri, std::string const& ns, std::string const& name) {
    auto it = objects.find(key_of(ri, ns, name));
    if (it == objects.end())
        return;
    json::object obj = std::move(it->second);
    objects.erase(it);
    uids.erase(str_of(cmeta(obj), "uid"));
    std::uint64_t const r = next_rv();
    meta(obj)["resourceVersion"] = std::to_string(r);
    record("DELETED", ri.storage(), ns, nullptr, obj, r);
    after_removal(ri, ns, obj);
}

void api_state::record(std::string type, std::string const& storage, std::string const& ns, json::object const* old_obj,
            json::object const& obj, std::uint64_t rv_) {
    event_record e{rv_, std::move(type), storage, ns,
                   old_obj ? std::make_shared<json::object const>(*old_obj) : nullptr,
                   std::make_shared<json::object const>(obj), 0};
    e.bytes = json::serialize(obj).size() * (old_obj ? 2 : 1);
    history.push_back(e);
    history_bytes += e.bytes;
    // Bounded by count (watch_window) and by memory, so a test writing many
    // 1 MiB Secrets cannot make the mock hold gigabytes of history.
    while (history.size() > window || (history_bytes > max_history_bytes && history.size() > 1)) {
        compacted_rv = history.front().rv;
        history_bytes -= history.front().bytes;
        history.pop_front();
    }
    notify(e);
}

}  // namespace esx::mocks::kube::detail
