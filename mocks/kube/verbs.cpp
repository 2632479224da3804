// esx mocks/kube: the verbs: get, list (selectors, limit/continue, Tables), create
// (generateName, uid, creationTimestamp), update (optimistic concurrency), delete
// (preconditions, propagation policy), deletecollection, and the write path they share.
#include "handler.hpp"

#include "text.hpp"
#include "yaml_json.hpp"

#include <boost/json/parse.hpp>

#include <cstdlib>

namespace esx::mocks::kube::detail {

namespace {

// Whether two versions of an object differ only in what does not move metadata.generation
// (metadata, status, apiVersion, kind), compared in place rather than on stripped copies.
bool equal_but_metadata_and_status(json::object const& a, json::object const& b) {
    auto const ignored = [](std::string_view k) {
        return k == "metadata" || k == "status" || k == "apiVersion" || k == "kind";
    };
    std::size_t kept = 0;
    for (auto const& [k, v] : a) {
        if (ignored(k))
            continue;
        ++kept;
        auto const* w = b.if_contains(k);
        if (!w || *w != v)
            return false;
    }
    for (auto const& [k, v] : b)
        if (!ignored(k))
            --kept;
    return kept == 0;
}

// Where a route's collection starts among the storage keys ("<storage>/<namespace>/<name>").
std::string collection_prefix(route const& rt) {
    return rt.ri->storage() + "/" + (rt.ns_in_path ? rt.ns + "/" : "");
}

}  // namespace

http_reply api_handler::get(api_request const& req, route const& rt) {
    json::object const* o = st_.lookup(*rt.ri, rt.ns, rt.name);
    if (!o)
        throw not_found(*rt.ri, rt.name);
    if (wants_table(req) && rt.sub.empty())
        return table_reply(st_.table_for(*rt.ri, {api_state::served(*rt.ri, *o)}, true));
    return ok_text(api_state::served_text(*rt.ri, *o));
}

std::vector<json::object const*> api_handler::select(query_params const& q, route const& rt) {
    auto labels = parse_label_selector(q.get("labelSelector"));
    auto fields = parse_field_selector(q.get("fieldSelector"), *rt.ri);
    std::string const prefix = collection_prefix(rt);
    std::vector<json::object const*> out;
    for (auto it = st_.objects.lower_bound(prefix); it != st_.objects.end() && it->first.starts_with(prefix); ++it) {
        if (labels_match(labels, *it->second) && fields_match(fields, *it->second))
            out.push_back(it->second.get());
    }
    return out;
}

http_reply api_handler::list(api_request const& req, query_params const& q, route const& rt) {
    resource_info const& ri = *rt.ri;
    std::string list_rv = std::to_string(st_.rv);
    // continue token: "<rv>/<namespace>/<name>" base64url; the key sorts after the last item sent
    std::string start_after;
    if (q.has("continue") && !q.get("continue").empty()) {
        std::string tok = q.get("continue");
        for (auto& c : tok) {
            if (c == '-') c = '+';
            if (c == '_') c = '/';
        }
        while (tok.size() % 4)
            tok += '=';
        auto decoded = base64_decode_std(tok);
        std::size_t slash = decoded ? decoded->find('/') : std::string::npos;
        if (!decoded || slash == std::string::npos)
            throw bad_request("continue key is not valid: illegal base64 data");
        std::uint64_t const tok_rv = std::strtoull(decoded->substr(0, slash).c_str(), nullptr, 10);
        if (tok_rv < st_.compacted_rv)
            throw make_error(410, "Expired",
                             "The provided continue parameter is too old to display a consistent list result. You "
                             "can start a new list without the continue parameter.");
        list_rv = decoded->substr(0, slash);
        start_after = decoded->substr(slash + 1);
    }
    std::size_t limit = 0;
    if (q.has("limit"))
        limit = static_cast<std::size_t>(std::strtoull(q.get("limit").c_str(), nullptr, 10));
    auto const labels = parse_label_selector(q.get("labelSelector"));
    auto const fields = parse_field_selector(q.get("fieldSelector"), ri);
    bool const filtered = !labels.empty() || !fields.empty();

    // Storage keys are "<storage>/<namespace>/<name>", so a page starts right after the token's
    // key: each page reads its own objects, not the whole collection again.
    std::string const prefix = collection_prefix(rt);
    auto it = st_.objects.lower_bound(prefix);
    if (!start_after.empty()) {
        std::string const seek = ri.storage() + "/" + start_after;
        if (seek >= prefix)
            it = st_.objects.upper_bound(seek);
    }
    std::vector<json::object> page;
    bool more = false;
    std::size_t remaining = 0;
    for (; it != st_.objects.end() && it->first.starts_with(prefix); ++it) {
        json::object const& o = *it->second;
        if (!labels_match(labels, o) || !fields_match(fields, o))
            continue;
        if (limit && page.size() == limit) {
            more = true;
            break;
        }
        page.push_back(api_state::served(ri, o));
    }
    // Like kube-apiserver: remainingItemCount only for a list without selectors (with them, the
    // count is unknown without reading every object, and the field is left out).
    if (more && !filtered)
        for (; it != st_.objects.end() && it->first.starts_with(prefix); ++it)
            ++remaining;
    json::object md{{"resourceVersion", list_rv}};
    if (more) {
        json::object const& last = page.back();
        std::string const key = str_of(cmeta(last), "namespace") + "/" + str_of(cmeta(last), "name");
        md["continue"] = base64_encode(list_rv + "/" + key, true);
        if (!filtered)
            md["remainingItemCount"] = remaining;
    }
    if (wants_table(req)) {
        json::object t = st_.table_for(ri, page, true);
        t["metadata"] = md;
        return table_reply(std::move(t));
    }
    json::array arr;
    for (auto& o : page)
        arr.push_back(std::move(o));
    return ok_json(json::object{{"kind", ri.kind + "List"}, {"apiVersion", ri.group_version()}, {"metadata", md},
                                {"items", std::move(arr)}});
}

http_reply api_handler::create(json::object o, query_params const&, route const& rt, bool dry,
                               json::array const* managed) {
    resource_info const& ri = *rt.ri;
    check_kind(o, ri);
    json::object& m = meta(o);
    if (ri.namespaced) {
        std::string const body_ns = str_of(m, "namespace");
        if (!body_ns.empty() && body_ns != rt.ns)
            throw bad_request("the namespace of the provided object does not match the namespace sent on the request");
        m["namespace"] = rt.ns;
    } else {
        m.erase("namespace");
    }
    if (str_of(m, "name").empty() && !str_of(m, "generateName").empty()) {
        std::string name;
        do
            name = str_of(m, "generateName") + name_suffix();
        while (st_.lookup(ri, rt.ns, name));
        m["name"] = name;
    }
    std::string const name = str_of(m, "name");
    require_namespace(ri, rt.ns);
    for (char const* f : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"})
        m.erase(f);
    if (managed)
        m["managedFields"] = *managed;
    m["uid"] = uuid();
    m["creationTimestamp"] = rfc3339(now_s());
    if (ri.generation)
        m["generation"] = 1;
    if (ri.status_sub && ri.custom)
        o.erase("status");
    if (ri.group.empty() && ri.plural == "namespaces") {
        o["spec"] = json::object{{"finalizers", json::array{"kubernetes"}}};
        o["status"] = json::object{{"phase", "Active"}};
        ensure_obj(meta(o), "labels")["kubernetes.io/metadata.name"] = name;  // o changed: m may dangle
    }
    return commit(ri, rt, std::move(o), nullptr, dry, false);
}

object_ptr api_handler::live(route const& rt) {
    object_ptr cur = st_.lookup_ptr(*rt.ri, rt.ri->namespaced ? rt.ns : "", rt.name);
    if (!cur)
        throw not_found(*rt.ri, rt.name);
    return cur;
}

void api_handler::check_rv(route const& rt, json::object const& body, json::object const& current) {
    std::string const want = str_of(cmeta(body), "resourceVersion");
    if (!want.empty() && want != str_of(cmeta(current), "resourceVersion"))
        throw conflict(*rt.ri, rt.name);
}

http_reply api_handler::replace(json::object o, query_params const&, route const& rt, bool dry) {
    resource_info const& ri = *rt.ri;
    check_kind(o, ri);
    object_ptr const old_ptr = live(rt);  // the stored version, unchanged by the write below
    json::object const& old = *old_ptr;
    std::string const body_name = str_of(cmeta(o), "name");
    if (body_name != rt.name)
        throw bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" + rt.name + ")");
    if (ri.namespaced) {
        std::string const body_ns = str_of(cmeta(o), "namespace");
        if (!body_ns.empty() && body_ns != rt.ns)
            throw bad_request("the namespace of the provided object does not match the namespace sent on the request");
    }
    check_rv(rt, o, old);
    meta(o).erase("managedFields");
    if (auto const* mf = cmeta(old).if_contains("managedFields"))
        meta(o)["managedFields"] = *mf;
    return commit(ri, rt, std::move(o), &old, dry, rt.sub == "status");
}

http_reply api_handler::remove(api_request const& req, query_params const& q, route const& rt, bool dry) {
    resource_info const& ri = *rt.ri;
    if (!rt.sub.empty())
        throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    object_ptr const old_ptr = live(rt);
    json::object const& old = *old_ptr;
    std::string policy = q.get("propagationPolicy");
    if (!req.body.empty()) {
        boost::system::error_code ec;
        json::value opts = json::parse(req.body, ec);
        if (ec || !opts.is_object())
            throw bad_request("DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: invalid JSON");
        auto const& o = opts.as_object();
        if (!str_of(o, "propagationPolicy").empty())
            policy = str_of(o, "propagationPolicy");
        if (auto const* pre = obj_of(o, "preconditions")) {
            std::string const uid = str_of(*pre, "uid"), rv = str_of(*pre, "resourceVersion");
            if (!uid.empty() && uid != str_of(cmeta(old), "uid"))
                throw conflict(ri, rt.name,
                               "Precondition failed: UID in precondition: " + uid +
                                   ", UID in object meta: " + str_of(cmeta(old), "uid"));
            if (!rv.empty() && rv != str_of(cmeta(old), "resourceVersion"))
                throw conflict(ri, rt.name,
                               "Precondition failed: ResourceVersion in precondition: " + rv +
                                   ", ResourceVersion in object meta: " + str_of(cmeta(old), "resourceVersion"));
        }
        if (auto const* dr = o.if_contains("dryRun"); dr && dr->is_array() && !dr->as_array().empty())
            dry = true;
    }
    if (policy.empty())
        policy = "Background";
    if (policy != "Background" && policy != "Foreground" && policy != "Orphan")
        throw invalid(ri, rt.name, {{"FieldValueNotSupported",
                                     "Unsupported value: " + quote_json(policy) +
                                         ": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                                     "propagationPolicy"}});
    json::object details = name_details(ri, rt.name);
    details["uid"] = str_of(cmeta(old), "uid");
    json::object success{{"kind", "Status"},     {"apiVersion", "v1"},  {"metadata", json::object()},
                         {"status", "Success"}, {"details", details}};
    if (dry)
        return ok_json(success);
    auto remaining = st_.delete_object(ri, ri.namespaced ? rt.ns : "", rt.name, policy);
    if (remaining)
        return ok_json(api_state::served(ri, *remaining));
    return ok_json(success);
}

http_reply api_handler::delete_collection(api_request const& req, query_params const& q, route const& rt, bool dry) {
    resource_info const& ri = *rt.ri;
    std::vector<std::pair<std::string, std::string>> doomed;
    for (auto const* o : select(q, rt))
        doomed.emplace_back(str_of(cmeta(*o), "namespace"), str_of(cmeta(*o), "name"));
    json::array items;
    for (auto const& [ns, name] : doomed) {
        if (json::object const* o = st_.lookup(ri, ns, name))
            items.push_back(api_state::served(ri, *o));
        if (!dry)
            st_.delete_object(ri, ns, name, "Background");
    }
    (void)req;
    return ok_json(json::object{{"kind", ri.kind + "List"},
                                {"apiVersion", ri.group_version()},
                                {"metadata", json::object{{"resourceVersion", std::to_string(st_.rv)}}},
                                {"items", items}});
}

json::object api_handler::parse_body(api_request const& req, resource_info const& ri, std::string const& name) {
    std::string ct = lower(req.content_type);
    ct = trim(ct.substr(0, ct.find(';')));
    if (!(ct.empty() || ct == "application/json" || ct == "application/yaml" || ct == "*/*"))
        throw make_error(415, "UnsupportedMediaType",
                         "the body of the request was in an unknown format - accepted media types include: "
                         "application/json, application/yaml");
    if (ct == "application/yaml") {
        json::value v;
        try {
            v = yaml_to_json(req.body);
        } catch (std::runtime_error const& e) {
            throw bad_request(std::string("error converting YAML to JSON: ") + e.what());
        }
        if (!v.is_object())
            throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " + ri.kind +
                              ": the body is not an object");
        return std::move(v.as_object());
    }
    return parse_json_object(req.body, ri, name);
}

json::object api_handler::parse_json_object(std::string const& body, resource_info const& ri, std::string const&) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object())
        throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " + ri.kind +
                          ": " + (ec ? "invalid JSON: " + ec.message() : "the body is not a JSON object") +
                          "");
    return std::move(v.as_object());
}

void api_handler::check_kind(json::object const& o, resource_info const& ri) {
    std::string const kind = str_of(o, "kind"), api = str_of(o, "apiVersion");
    if (!kind.empty() && kind != ri.kind)
        throw bad_request("the API version in the data (" + api + ") does not match the expected API version (" +
                          ri.group_version() + ")");
    if (!api.empty() && api != ri.group_version()) {
        // Another served version of the same group is fine (no conversion is done).
        std::string const g = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
        if (g != ri.group)
            throw bad_request("the API version in the data (" + api + ") does not match the expected API version (" +
                              ri.group_version() + ")");
    }
}

void api_handler::require_namespace(resource_info const& ri, std::string const& ns) {
    if (!ri.namespaced)
        return;
    auto const* nsri = st_.find("", "v1", "namespaces");
    if (!st_.lookup(*nsri, "", ns))
        throw not_found(*nsri, ns);
}

// Everything create and replace share after the body is final.
http_reply api_handler::commit(resource_info const& ri, route const& rt, json::object o, json::object const* old,
                               bool dry, bool status_write, unsigned created_code) {
    if (ri.new_events())
        o = convert_event(std::move(o), true);
    std::string const name = str_of(cmeta(o), "name");
    // Custom resources are pruned and defaulted before anything compares them (generation,
    // no-op updates); what their schema finds wrong is reported with the other causes.
    std::vector<cause> schema_causes;
    if (ri.custom)
        validate_schema(ri, o, schema_causes);
    if (old) {
        // Server-owned metadata survives any update.
        json::object& m = meta(o);
        json::object const& om = cmeta(*old);
        for (char const* f : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
            if (auto const* v = om.if_contains(f))
                m[f] = *v;
            else
                m.erase(f);
        }
        if (ri.namespaced)
            m["namespace"] = rt.ns;
        if (status_write) {
            // Only status changes; everything else is the live object (metadata may change on /status in
            // a real server only in limited ways; this mock keeps it).
            // With a status, built key by key rather than copied whole, so the old status is not
            // copied only to be replaced: keys keep the live object's order, a new status goes
            // last (as merged["status"] would). Without, json::object::erase's reordering stays.
            json::value* s = o.if_contains("status");
            json::object merged;
            if (s) {
                merged.reserve(old->size() + 1);
                for (auto const& [k, v] : *old) {
                    if (k != "status")
                        merged.emplace(k, v);
                    else
                        merged.emplace(k, std::move(*s));  // `o` is replaced below
                }
                if (!merged.contains("status"))
                    merged.emplace("status", std::move(*s));
            } else {
                merged = *old;
                merged.erase("status");
            }
            json::object& mm = meta(merged);
            mm["resourceVersion"] = str_of(cmeta(*old), "resourceVersion");
            o = std::move(merged);
        } else if (ri.status_sub && ri.plural != "customresourcedefinitions") {
            if (auto const* s = old->if_contains("status"))
                o["status"] = *s;
            else
                o.erase("status");
        }
        if (ri.generation && !status_write) {
            if (!equal_but_metadata_and_status(o, *old)) {
                std::int64_t g = 1;
                if (auto const* gv = om.if_contains("generation"); gv && gv->is_int64())
                    g = gv->as_int64();
                meta(o)["generation"] = g + 1;
            }
        }
    }
    validate(ri, o, old, schema_causes);
    if (!old && st_.lookup(ri, ri.namespaced ? rt.ns : "", name))
        throw already_exists(ri, name);
    if (ri.plural == "customresourcedefinitions")
        crd_status(o);
    o["apiVersion"] = ri.group_version();
    o["kind"] = ri.kind;
    if (!update_manager_.empty())
        record_update(o, old);
    if (old && !status_write && o == *old) {
        // No-op update: real servers skip the write and keep the resourceVersion.
        return ok_json(api_state::served(ri, o));
    }
    std::string const ns = ri.namespaced ? rt.ns : "";
    if (dry) {
        if (!old)
            meta(o)["resourceVersion"] = "";
        return ok_json(api_state::served(ri, o), old ? 200 : created_code);
    }
    // Removing the last finalizer of an object being deleted completes the deletion.
    if (old && cmeta(o).contains("deletionTimestamp")) {
        auto const* f = cmeta(o).if_contains("finalizers");
        if (!f || !f->is_array() || f->as_array().empty()) {
            st_.put_object(ri, ns, name, o, false);
            st_.erase_object(ri, ns, name);
            return ok_json(api_state::served(ri, o));
        }
    }
    bool const crd = ri.plural == "customresourcedefinitions";
    // Decided on `o` before it moves into the store (the stored object differs only in its
    // resourceVersion): whether the store's text is what the client is served, and whether a
    // new object may be orphaned (it has owners to look for).
    bool const as_stored = api_state::served_as_stored(ri, o);
    bool const has_owners = [&] {
        auto const* refs = cmeta(o).if_contains("ownerReferences");
        return refs && refs->is_array() && !refs->as_array().empty();
    }();
    std::string text = crd ? st_.put_object(ri, ns, name, o, old == nullptr)
                           : st_.put_object(ri, ns, name, std::move(o), old == nullptr);
    if (crd) {
        st_.register_crd(o);
        text = api_state::served_text(ri, *st_.lookup(ri, ns, name));
    } else if (!as_stored) {
        text = api_state::served_text(ri, *st_.lookup(ri, ns, name));
    }
    if (!old && has_owners)
        collect_if_orphaned(ri, ns, name);
    return ok_text(std::move(text), old ? 200 : created_code);
}

}  // namespace esx::mocks::kube::detail
