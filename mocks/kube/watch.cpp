// esx mocks/kube: watches: a stream opened from a resourceVersion (replayed from the
// retained history) or from now (synthetic ADDED events), each change fanned out to the
// watches whose namespace and selectors it passes (MODIFIED turning into ADDED or DELETED
// when an object enters or leaves a selector), and BOOKMARK events.
#include "handler.hpp"
#include "state.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>

namespace esx::mocks::kube::detail {

namespace {

// An event line around an object already serialised, in the key order json::serialize writes.
std::string event_envelope(std::string const& type, std::string const& object_text) {
    return "{\"type\":\"" + type + "\",\"object\":" + object_text + "}\n";
}

} // namespace

std::string api_state::event_line(watch_state const& w, std::string const& type, json::object const& obj) const {
    if (!w.table && served_as_stored(w.ri, obj))
        return event_envelope(type, json::serialize(obj));
    json::object o = served(w.ri, obj);
    json::value payload = w.table ? json::value(table_for(w.ri, {o}, true)) : json::value(std::move(o));
    return json::serialize(json::object{{"type", type}, {"object", std::move(payload)}}) + "\n";
}

std::optional<std::string> api_state::visible_type(watch_state const& w, event_record const& e) const {
    if (e.storage != w.ri.storage())
        return std::nullopt;
    if (!w.ns.empty() && e.ns != w.ns)
        return std::nullopt;
    auto matches = [&](json::object const& o) { return labels_match(w.labels, o) && fields_match(w.fields, o); };
    bool const now = matches(*e.obj);
    if (e.type == "MODIFIED") {
        bool const before = e.old_obj && matches(*e.old_obj);
        if (now && before)
            return std::string("MODIFIED");
        if (now)
            return std::string("ADDED");
        if (before)
            return std::string("DELETED");
        return std::nullopt;
    }
    if (!now)
        return std::nullopt;
    return e.type;
}

void api_state::notify(event_record const& e, std::string const& text) {
    std::erase_if(watches, [](auto const& w) { return w->sink.expired(); });
    for (auto const& w : watches) {
        auto type = visible_type(*w, e);
        if (!type)
            continue;
        auto s = w->sink.lock();
        if (!s)
            continue;
        // A watch of the version the object was written in gets the text already made, in
        // the envelope json::serialize would write; others (another version, Tables) convert.
        if (!w->table && served_as_stored(w->ri, *e.obj))
            s->send_chunk(event_envelope(*type, text));
        else
            s->send_chunk(event_line(*w, *type, *e.obj));
    }
}

std::string api_state::bookmark_line(watch_state const& w) const {
    return json::serialize(json::object{
               {"type", "BOOKMARK"},
               {"object", json::object{{"kind", w.ri.kind},
                                       {"apiVersion", w.ri.group_version()},
                                       {"metadata", json::object{{"resourceVersion", std::to_string(rv)}}}}}}) +
           "\n";
}

void api_state::send_bookmarks() {
    std::erase_if(watches, [](auto const& w) { return w->sink.expired(); });
    for (auto const& w : watches)
        if (w->bookmarks)
            if (auto s = w->sink.lock())
                s->send_chunk(bookmark_line(*w));
}

std::size_t api_state::live_watches() {
    std::erase_if(watches, [](auto const& w) { return w->sink.expired(); });
    return watches.size();
}

std::size_t api_state::drop_watches() {
    std::size_t n = 0;
    for (auto const& w : watches)
        if (auto s = w->sink.lock()) {
            s->abort_stream();
            ++n;
        }
    watches.clear();
    return n;
}

http_reply api_handler::start_watch(api_request const& req, query_params const& q, route const& rt) {
    if (parse_bool(q.get("sendInitialEvents")))
        throw make_error(422, "Invalid", "sendInitialEvents is not supported by this server (use list+watch)");
    auto w = std::make_shared<watch_state>();
    w->ri = *rt.ri;
    w->ns = rt.ns_in_path ? rt.ns : "";
    w->labels = parse_label_selector(q.get("labelSelector"));
    w->fields = parse_field_selector(q.get("fieldSelector"), *rt.ri);
    w->bookmarks = parse_bool(q.get("allowWatchBookmarks"));
    w->table = wants_table(req);
    http_reply r;
    r.watch = w;
    if (w->table)
        r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
    std::string const rv = q.get("resourceVersion");
    if (rv.empty() || rv == "0") {
        for (auto const* o : select(q, rt))
            r.initial_chunks.push_back(st_.event_line(*w, "ADDED", *o));
    } else {
        char* end = nullptr;
        std::uint64_t const from = std::strtoull(rv.c_str(), &end, 10);
        if (!end || *end != '\0')
            throw bad_request("invalid resource version: " + rv);
        if (from < st_.compacted_rv) {
            // As kube-apiserver: the watch is answered (200) and its only event is an ERROR
            // carrying a 410 Expired Status; HTTP 410 is for an expired list `continue` alone.
            api_error const gone = make_error(
                410, "Expired", "too old resource version: " + rv + " (" + std::to_string(st_.compacted_rv + 1) + ")");
            r.initial_chunks.push_back(json::serialize(json::object{{"type", "ERROR"}, {"object", gone.status}}) + "\n");
            r.end_after_initial = true;
            return r;  // not registered: the stream ends here
        }
        for (auto const& e : st_.history) {
            if (e.rv <= from)
                continue;
            if (auto type = st_.visible_type(*w, e))
                r.initial_chunks.push_back(st_.event_line(*w, *type, *e.obj));
        }
    }
    if (w->bookmarks)
        r.initial_chunks.push_back(st_.bookmark_line(*w));
    std::int64_t timeout = 1800;
    if (q.has("timeoutSeconds"))
        timeout = std::clamp<std::int64_t>(std::atoll(q.get("timeoutSeconds").c_str()), 0, 24 * 3600);
    r.watch_timeout = std::chrono::seconds(timeout);
    st_.watches.push_back(w);
    return r;
}

}  // namespace esx::mocks::kube::detail
