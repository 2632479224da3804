// esx mocks/kube: the object store: objects by storage/namespace/name, one global
// resourceVersion counter, and the bounded history of changes that watches resume from.
#include "state.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

namespace esx::mocks::kube::detail {

std::string api_state::key_of(resource_info const& ri, std::string const& ns, std::string const& name) {
    return ri.storage() + "/" + ns + "/" + name;
}

json::object const* api_state::lookup(resource_info const& ri, std::string const& ns, std::string const& name) const {
    auto it = objects.find(key_of(ri, ns, name));
    return it == objects.end() ? nullptr : it->second.get();
}

object_ptr api_state::lookup_ptr(resource_info const& ri, std::string const& ns, std::string const& name) const {
    auto it = objects.find(key_of(ri, ns, name));
    return it == objects.end() ? nullptr : it->second;
}

json::object api_state::served(resource_info const& ri, json::object o) {
    if (ri.new_events())
        o = convert_event(std::move(o), false);
    o["apiVersion"] = ri.group_version();
    o["kind"] = ri.kind;
    return o;
}

bool api_state::served_as_stored(resource_info const& ri, json::object const& o) {
    if (ri.new_events())
        return false;
    auto const* api = o.if_contains("apiVersion");
    auto const* kind = o.if_contains("kind");
    return api && kind && api->is_string() && kind->is_string() && api->as_string() == ri.group_version() &&
           kind->as_string() == ri.kind;
}

std::string api_state::served_text(resource_info const& ri, json::object const& o) {
    return served_as_stored(ri, o) ? json::serialize(o) : json::serialize(served(ri, o));
}

resource_info const* api_state::info_for_storage(std::string const& storage) const {
    for (auto const& [gv, list] : gvs)
        for (auto const& r : list)
            if (r.storage() == storage)
                return &r;
    return nullptr;
}

std::string api_state::put_object(resource_info const& ri, std::string const& ns, std::string const& name,
                                  json::object obj, bool created) {
    std::uint64_t const r = next_rv();
    meta(obj)["resourceVersion"] = std::to_string(r);
    if (created)
        uids.insert(str_of(cmeta(obj), "uid"));
    auto stored = std::make_shared<json::object const>(std::move(obj));
    object_ptr& slot = objects[key_of(ri, ns, name)];
    object_ptr old = created ? nullptr : slot;
    slot = stored;
    if (created)
        return record("ADDED", ri.storage(), ns, nullptr, std::move(stored), r);
    return record("MODIFIED", ri.storage(), ns, std::move(old), std::move(stored), r);
}

void api_state::erase_object(resource_info const& ri, std::string const& ns, std::string const& name) {
    auto it = objects.find(key_of(ri, ns, name));
    if (it == objects.end())
        return;
    json::object obj = *it->second;
    objects.erase(it);
    uids.erase(str_of(cmeta(obj), "uid"));
    std::uint64_t const r = next_rv();
    meta(obj)["resourceVersion"] = std::to_string(r);
    auto gone = std::make_shared<json::object const>(std::move(obj));
    record("DELETED", ri.storage(), ns, nullptr, gone, r);
    after_removal(ri, ns, *gone);
}

std::string api_state::record(std::string type, std::string const& storage, std::string const& ns, object_ptr old_obj,
                              object_ptr obj, std::uint64_t rv_) {
    std::string text = json::serialize(*obj);
    bool const had_old = old_obj != nullptr;
    event_record e{rv_, std::move(type), storage, ns, std::move(old_obj), std::move(obj), 0};
    e.bytes = text.size() * (had_old ? 2 : 1);
    history.push_back(e);
    history_bytes += e.bytes;
    // Bounded by count (watch_window) and by memory, so a test writing many
    // 1 MiB Secrets cannot make the mock hold gigabytes of history.
    while (history.size() > window || (history_bytes > max_history_bytes && history.size() > 1)) {
        compacted_rv = history.front().rv;
        history_bytes -= history.front().bytes;
        history.pop_front();
    }
    notify(e, text);
    if (observer)
        observer(change{e.type, e.storage, e.ns, *e.obj});
    return text;
}

}  // namespace esx::mocks::kube::detail
