// esx::kube: one event of a watch, and how a line of the watch stream becomes one.
//
// Apart from the watcher (watch.hpp) so that decoding an event, the part a hostile or broken
// API server controls, is a plain function tests/fuzz/kube_watch.cpp can call.
#ifndef ESX_KUBE_WATCH_EVENT_HPP
#define ESX_KUBE_WATCH_EVENT_HPP

#include <esx/error.hpp>
#include <esx/failure.hpp>
#include <esx/kube/status.hpp>
#include <esx/transport/wiped.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace esx::kube {

enum class event_type {
    added,
    modified,
    deleted,
    bookmark,     ///< only `resource_version` is meaningful; `object` is empty
    relist_begin, ///< a (re)list follows as `added` events: forget what was known
    relist_end,   ///< the list is complete; watching resumes from `resource_version`
};

/// One event. `resource_version` is the object's (or the bookmark's or list's) version.
template <class T>
struct watch_event {
    event_type type = event_type::added;
    T object{};
    std::string resource_version;
};

namespace detail {

/// A watched or listed object as `T` (a JSON object is taken as it is).
template <class T>
result<T, failure> convert_watch_object(boost::json::value&& v) {
    if constexpr (std::is_same_v<T, boost::json::object>) {
        if (!v.is_object()) return failure(ESX_ERROR(error::malformed_response), "watch event object is not an object");
        // Copied out of the parse arena, which a move would keep alive (a whole list page's,
        // for a listed object) as long as a reflector keeps the object; into storage that
        // still wipes each block it frees, as it may be a Secret with its data.
        return boost::json::object(v.as_object(), transport::detail::wiping_json_storage());
    } else {
        auto r = boost::json::try_value_to<T>(v);
        if (!r) return failure(r.error(), "watch event object does not convert to the requested type");
        return std::move(*r);
    }
}

/// `metadata.resourceVersion`, or empty.
inline std::string resource_version_of(boost::json::value const& obj) {
    auto const* meta = obj.is_object() ? obj.as_object().if_contains("metadata") : nullptr;
    auto const* rv = meta && meta->is_object() ? meta->as_object().if_contains("resourceVersion") : nullptr;
    return rv && rv->is_string() ? std::string(rv->as_string()) : std::string();
}

/** One line of a watch stream (`{"type": ..., "object": ...}`) as an event. nullopt: a
    BOOKMARK the caller did not ask for (`bookmarks` false). `version` becomes the event's
    resourceVersion when it has one (bookmarks included). An ERROR event is its Status as a
    failure (`make_http_error(code)`, so 410 Expired is recognisable). */
template <class T>
result<std::optional<watch_event<T>>, failure> decode_watch_event(std::string_view line, bool bookmarks,
                                                                  std::string& version) {
    boost::system::error_code ec;
    auto doc = transport::parse_wiped(line, ec); // a Secret's event holds its data; nesting is bounded
    if (ec) return failure(ESX_ERROR(error::malformed_response), "watch event " + transport::describe_json_error(ec));
    if (!doc.is_object()) return failure(ESX_ERROR(error::malformed_response), "watch event is not a JSON object");
    auto& o = doc.as_object();
    auto const* type = o.if_contains("type");
    auto* obj = o.if_contains("object");
    if (!type || !type->is_string() || !obj)
        return failure(ESX_ERROR(error::malformed_response), "watch event needs type and object");
    std::string_view const t = type->as_string();
    if (t == "ERROR") {
        unsigned code = 500;
        if (auto const* c = obj->is_object() ? obj->as_object().if_contains("code") : nullptr; c && c->is_int64())
            code = static_cast<unsigned>(c->as_int64());
        return status_failure(code, boost::json::serialize(*obj));
    }
    watch_event<T> e;
    e.resource_version = resource_version_of(*obj);
    if (t == "BOOKMARK") {
        if (!e.resource_version.empty()) version = e.resource_version;
        if (!bookmarks) return std::optional<watch_event<T>>();
        e.type = event_type::bookmark;
        return std::optional<watch_event<T>>(std::move(e));
    }
    if (t == "ADDED") e.type = event_type::added;
    else if (t == "MODIFIED") e.type = event_type::modified;
    else if (t == "DELETED") e.type = event_type::deleted;
    else
        return failure(ESX_ERROR(error::malformed_response),
                       "unknown watch event type `" + std::string(t.substr(0, 32)) + "`");
    auto converted = convert_watch_object<T>(std::move(*obj));
    if (!converted) return converted.error();
    if (!e.resource_version.empty()) version = e.resource_version;
    // Constructed, not assigned: a JSON object moved into a default-constructed one is copied
    // into that one's (plain) storage, leaving an unwiped copy of a Secret's data behind.
    return std::optional<watch_event<T>>(watch_event<T>{e.type, std::move(*converted), std::move(e.resource_version)});
}

} // namespace detail
} // namespace esx::kube

#endif
