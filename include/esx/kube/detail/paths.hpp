// esx::kube::detail: REST paths and query strings.
#ifndef ESX_KUBE_DETAIL_PATHS_HPP
#define ESX_KUBE_DETAIL_PATHS_HPP

#include <esx/failure.hpp>
#include <esx/kube/detail/text.hpp>
#include <esx/kube/resource.hpp>

#include <string>
#include <string_view>

namespace esx::kube::detail {

/// A name or namespace that can go into a path: 1-253 characters, no `/`, `%`, `?`, `#`,
/// whitespace or control characters, not `.` or `..` (the API server refuses those too).
inline result<void, failure> check_path_segment(std::string_view value, std::string_view field) {
    auto bad = [&](std::string const& why) {
        return failure(make_error_code(error::invalid_option), std::string(field) + ": " + why);
    };
    if (value.empty()) return bad("must not be empty");
    if (value.size() > 253) return bad("longer than 253 characters");
    if (value == "." || value == "..") return bad("must not be `.` or `..`");
    for (unsigned char c : value)
        if (c == '/' || c == '%' || c == '?' || c == '#' || c <= ' ' || c == 0x7f)
            return bad("must not contain `/`, `%`, `?`, `#`, spaces or control characters");
    return {};
}

/// `/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]` or `/apis/G/V/...`. `ns` empty on a
/// namespaced resource means all namespaces (lists and watches only).
inline result<std::string, failure> path_for(resource const& r, std::string_view ns, std::string_view name = {},
                                             std::string_view subresource = {}) {
    if (r.plural.empty() || r.version.empty())
        return failure(make_error_code(error::invalid_option), "resource: plural and version are required");
    std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
    if (r.namespaced && !ns.empty()) {
        if (auto ok = check_path_segment(ns, "namespace"); !ok) return ok.error();
        p += "/namespaces/";
        p += ns;
    }
    p += "/";
    p += r.plural;
    if (!name.empty()) {
        if (auto ok = check_path_segment(name, "name"); !ok) return ok.error();
        p += "/";
        p += name;
        if (!subresource.empty()) {
            p += "/";
            p += subresource;
        }
    }
    return p;
}

/// The path of one object: like `path_for`, but the name is required.
inline result<std::string, failure> object_path_for(resource const& r, std::string_view ns, std::string_view name,
                                                    std::string_view subresource = {}) {
    if (auto ok = check_path_segment(name, "name"); !ok) return ok.error();
    return path_for(r, ns, name, subresource);
}

/// Appends `key=value` to a query string being built (`?` first, then `&`).
inline void add_query(std::string& target, std::string_view key, std::string_view value) {
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += key;
    target += '=';
    target += query_escape(value);
}

} // namespace esx::kube::detail

#endif
