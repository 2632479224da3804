// esx mocks/kube: server-side apply and managedFields. Apply creates when missing, merges
// otherwise and records one Apply entry per manager (leaf fields; lists owned whole); a
// changed field another Apply manager owns is a 409 unless force=true; fields a manager
// stops applying go unless someone else owns them. Other writes record Update entries.
#include "handler.hpp"

#include "patches.hpp"
#include "text.hpp"

#include <algorithm>
#include <set>

namespace esx::mocks::kube::detail {

namespace {

// Leaf field paths of an object, as managedFields "f:" paths (server-side
// apply ownership). Maps recurse; lists and scalars are leaves.
// Field paths join keys with a unit separator: keys may contain '.' and '/'.
constexpr char sep = '\x1f';

std::string dotted(std::string p) {
    std::replace(p.begin(), p.end(), sep, '.');
    return p;
}

void leaf_paths(json::value const& v, std::string const& prefix, std::set<std::string>& out) {
    if (v.is_object() && !v.as_object().empty()) {
        for (auto const& [k, x] : v.as_object())
            leaf_paths(x, prefix + sep + std::string(k), out);
    } else {
        out.insert(prefix);
    }
}

json::object fields_v1(std::set<std::string> const& paths) {
    json::object root;
    for (auto const& p : paths) {
        json::object* cur = &root;
        for (auto const& part : split(std::string_view(p).substr(1), sep))
            cur = &ensure_obj(*cur, "f:" + part);
    }
    return root;
}

void fields_v1_paths(json::object const& f, std::string const& prefix, std::set<std::string>& out) {
    if (f.empty()) {
        out.insert(prefix);
        return;
    }
    for (auto const& [k, v] : f) {
        std::string_view key = k;
        if (!key.starts_with("f:") || !v.is_object())
            continue;
        fields_v1_paths(v.as_object(), prefix + sep + std::string(key.substr(2)), out);
    }
}

// The leaf paths under `v` (at `path`) whose value is not the same at that place in the old
// object (`was`, null when absent there), as leaf_paths names them. A subtree equal to the
// old one is skipped whole: none of its leaves changed.
void changed_leaves(json::value const& v, json::value const* was, std::string const& path, std::set<std::string>& out) {
    if (was && *was == v)
        return;
    if (v.is_object() && !v.as_object().empty()) {
        json::object const* was_object = was && was->is_object() ? &was->as_object() : nullptr;
        for (auto const& [k, x] : v.as_object())
            changed_leaves(x, was_object ? was_object->if_contains(k) : nullptr, path + sep + std::string(k), out);
        return;
    }
    out.insert(path);
}

// The value at a field path of an object (null when a step is missing or not an object),
// looked up in place: no json::value (a deep copy) of the object is made for it.
json::value const* object_value_at_path(json::object const& root, std::string_view path) {
    json::object const* cur = &root;
    json::value const* found = nullptr;
    std::string_view rest = path.substr(1);
    for (;;) {
        std::size_t const end = rest.find(sep);
        std::string_view const part = rest.substr(0, end);
        if (!cur)
            return nullptr;
        found = cur->if_contains(part);
        if (!found)
            return nullptr;
        if (end == std::string_view::npos)
            return found;
        cur = found->is_object() ? &found->as_object() : nullptr;
        rest = rest.substr(end + 1);
    }
}

}  // namespace

// Non-apply writes own the fields they set, as "Update" entries in
// managedFields (manager = fieldManager, else the User-Agent's product);
// other managers lose those fields.
void api_handler::record_update(json::object& o, json::object const* old) {
    // The changed leaf paths of everything but apiVersion, kind and the server's metadata
    // (labels, annotations, finalizers and ownerReferences stay).
    std::set<std::string> changed;
    for (auto const& [k, v] : o)
        if (k != "apiVersion" && k != "kind" && k != "metadata")
            changed_leaves(v, old ? old->if_contains(k) : nullptr, sep + std::string(k), changed);
    if (auto const* m = obj_of(o, "metadata")) {
        json::object const* old_m = old ? obj_of(*old, "metadata") : nullptr;
        for (char const* f : {"labels", "annotations", "finalizers", "ownerReferences"})
            if (auto const* v = m->if_contains(f))
                changed_leaves(*v, old_m ? old_m->if_contains(f) : nullptr, sep + std::string("metadata") + sep + f,
                               changed);
    }
    if (changed.empty())
        return;
    json::array managed;
    if (auto const* mf = cmeta(o).if_contains("managedFields"); mf && mf->is_array())
        managed = mf->as_array();
    std::set<std::string> mine;
    for (auto& ev : managed) {
        if (!ev.is_object())
            continue;
        auto& e = ev.as_object();
        std::set<std::string> theirs;
        if (auto const* f = obj_of(e, "fieldsV1"))
            fields_v1_paths(*f, "", theirs);
        if (str_of(e, "manager") == update_manager_ && str_of(e, "operation") == "Update") {
            mine = theirs;
            continue;
        }
        for (auto const& p : changed)
            theirs.erase(p);
        e["fieldsV1"] = fields_v1(theirs);
    }
    erase_values(managed, [&](json::value const& e) {
        if (!e.is_object())
            return true;
        auto const* f = obj_of(e.as_object(), "fieldsV1");
        bool const me = str_of(e.as_object(), "manager") == update_manager_ &&
                        str_of(e.as_object(), "operation") == "Update";
        return me || !f || f->empty();
    });
    mine.insert(changed.begin(), changed.end());
    managed.push_back(json::object{{"manager", update_manager_},
                                   {"operation", "Update"},
                                   {"apiVersion", str_of(o, "apiVersion")},
                                   {"time", rfc3339(now_s())},
                                   {"fieldsType", "FieldsV1"},
                                   {"fieldsV1", fields_v1(mine)}});
    meta(o)["managedFields"] = std::move(managed);
}

// Server-side apply, simplified: create-if-missing, merge, per-manager
// ownership of leaf fields recorded in managedFields, conflicts with other
// Apply managers unless force=true.
http_reply api_handler::apply(json::value body, query_params const& q, route const& rt, bool dry) {
    resource_info const& ri = *rt.ri;
    std::string const manager = q.get("fieldManager");
    if (manager.empty())
        throw make_error(422, "Invalid",
                         "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for "
                         "apply patch");
    if (!body.is_object())
        throw bad_request("error decoding YAML: the apply patch is not an object");
    json::object& b = body.as_object();
    if (auto const* mf = cmeta(b).if_contains("managedFields"); mf && !mf->is_null())
        throw bad_request("metadata.managedFields must be nil");
    bool const force = parse_bool(q.get("force"));
    std::set<std::string> mine;
    {
        json::object stripped = b;
        stripped.erase("apiVersion");
        stripped.erase("kind");
        json::object& m = ensure_obj(stripped, "metadata");
        for (char const* f : {"name", "namespace", "resourceVersion", "uid", "creationTimestamp"})
            m.erase(f);
        if (m.empty())
            stripped.erase("metadata");
        if (rt.sub == "status") {
            json::object only;
            if (auto const* s = stripped.if_contains("status"))
                only["status"] = *s;
            stripped = only;
        }
        leaf_paths(stripped, "", mine);
        mine.erase("");
    }
    auto managed_entry = [&](std::set<std::string> const& paths) {
        return json::object{{"manager", manager},
                            {"operation", "Apply"},
                            {"apiVersion", ri.group_version()},
                            {"time", rfc3339(now_s())},
                            {"fieldsType", "FieldsV1"},
                            {"fieldsV1", fields_v1(paths)}};
    };
    object_ptr const cur = st_.lookup_ptr(ri, ri.namespaced ? rt.ns : "", rt.name);
    if (!cur) {
        if (!rt.sub.empty())
            throw not_found(ri, rt.name);
        if (str_of(b, "kind").empty() || str_of(b, "apiVersion").empty())
            throw bad_request("apply patches must specify kind and apiVersion");
        std::string const body_name = str_of(cmeta(b), "name");
        if (!body_name.empty() && body_name != rt.name)
            throw bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" +
                              rt.name + ")");
        meta(b)["name"] = rt.name;
        json::array const managed{managed_entry(mine)};
        return create(std::move(b), q, rt, dry, &managed);
    }
    json::object const& old = *cur;  // the stored version, unchanged by the write below
    check_kind(b, ri);
    std::string const want_rv = str_of(cmeta(b), "resourceVersion");
    if (!want_rv.empty() && want_rv != str_of(cmeta(old), "resourceVersion"))
        throw conflict(ri, rt.name);
    // Conflicts: a leaf owned by another Apply manager whose value would change.
    json::array managed;
    if (auto const* mf = cmeta(old).if_contains("managedFields"); mf && mf->is_array())
        managed = mf->as_array();
    std::vector<cause> conflicts;
    std::set<std::string> previously_mine;
    std::optional<json::object> my_entry;
    for (auto& ev : managed) {
        if (!ev.is_object())
            continue;
        auto& e = ev.as_object();
        std::set<std::string> theirs;
        if (auto const* f = obj_of(e, "fieldsV1"))
            fields_v1_paths(*f, "", theirs);
        if (str_of(e, "manager") == manager) {
            previously_mine = theirs;
            my_entry = e;
            continue;
        }
        std::set<std::string> remaining;
        for (auto const& p : theirs) {
            if (mine.count(p)) {
                json::value const* a = object_value_at_path(old, p);
                json::value const* c = object_value_at_path(b, p);
                bool const differs = !a || !c || *a != *c;
                if (differs && !force)
                    conflicts.push_back({"FieldManagerConflict",
                                         "conflict with " + quote_json(str_of(e, "manager")) + " using " +
                                             str_of(e, "apiVersion"),
                                         dotted(p)});
                if (differs)
                    continue;  // forced: ownership moves to us
            }
            remaining.insert(p);
        }
        e["fieldsV1"] = fields_v1(remaining);
    }
    if (!conflicts.empty()) {
        std::string msg = "Apply failed with " + std::to_string(conflicts.size()) + " conflict" +
                          (conflicts.size() > 1 ? "s" : "") + ": ";
        json::array cs;
        for (std::size_t i = 0; i < conflicts.size(); ++i) {
            msg += (i ? "; " : "") + conflicts[i].message + ": " + conflicts[i].field;
            cs.push_back(json::object{{"reason", conflicts[i].reason},
                                      {"message", conflicts[i].message},
                                      {"field", conflicts[i].field}});
        }
        throw make_error(409, "Conflict", msg, json::object{{"causes", cs}});
    }
    // Merge, and drop fields this manager applied before but no longer does
    // (unless another manager owns them).
    json::value doc = api_state::served(ri, old);
    json::object patch_body = b;
    meta(patch_body).erase("resourceVersion");
    merge_patch(doc, patch_body);
    for (auto const& p : previously_mine) {
        if (mine.count(p))
            continue;
        bool other = false;
        for (auto const& ev : managed)
            if (ev.is_object() && str_of(ev.as_object(), "manager") != manager)
                if (auto const* f = obj_of(ev.as_object(), "fieldsV1")) {
                    std::set<std::string> t;
                    fields_v1_paths(*f, "", t);
                    other = other || t.count(p);
                }
        if (other)
            continue;
        auto parts = split(std::string_view(p).substr(1), sep);
        json::value* parent = &doc;
        for (std::size_t i = 0; i + 1 < parts.size() && parent; ++i)
            parent = parent->is_object() ? parent->as_object().if_contains(parts[i]) : nullptr;
        if (parent && parent->is_object())
            parent->as_object().erase(parts.back());
    }
    erase_values(managed, [&](json::value const& e) {
        if (!e.is_object())
            return true;
        auto const* f = obj_of(e.as_object(), "fieldsV1");
        return str_of(e.as_object(), "manager") == manager || !f || f->empty();
    });
    // Unchanged ownership keeps the old entry (and its time), so a repeated
    // identical apply is a no-op that keeps the resourceVersion.
    managed.push_back(my_entry && previously_mine == mine ? *my_entry : managed_entry(mine));
    json::object o = std::move(doc.as_object());
    meta(o)["managedFields"] = std::move(managed);
    meta(o)["resourceVersion"] = str_of(cmeta(old), "resourceVersion");
    return commit(ri, rt, std::move(o), &old, dry, rt.sub == "status");
}

}  // namespace esx::mocks::kube::detail
