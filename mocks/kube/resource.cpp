// esx mocks/kube: version ordering and the two shapes of Events (see resource.hpp).
#include "resource.hpp"

#include <cstdio>
#include <tuple>

namespace esx::mocks::kube::detail {

bool version_before(std::string const& a, std::string const& b) {
    auto key = [](std::string const& v) {
        int major = 0, minor = 0, level = 0;  // level: 3 GA, 2 beta, 1 alpha, 0 other
        char kind[8] = {0};
        if (std::sscanf(v.c_str(), "v%d%7[a-z]%d", &major, kind, &minor) >= 1) {
            std::string const k = kind;
            level = k.empty() ? 3 : k == "beta" ? 2 : k == "alpha" ? 1 : 0;
            if (level == 3 && v != "v" + std::to_string(major))
                level = 0;
        }
        return std::tuple(level, major, minor);
    };
    auto const ka = key(a), kb = key(b);
    if (ka != kb)
        return ka > kb;
    return a < b;
}

json::object convert_event(json::object o, bool to_core) {
    static std::pair<char const*, char const*> const names[] = {
        {"involvedObject", "regarding"},      {"message", "note"},
        {"reportingComponent", "reportingController"}, {"source", "deprecatedSource"},
        {"firstTimestamp", "deprecatedFirstTimestamp"}, {"lastTimestamp", "deprecatedLastTimestamp"},
        {"count", "deprecatedCount"}};
    json::object out;
    for (auto const& [k, v] : o) {
        std::string key(k);
        for (auto const& [core, next] : names) {
            if (to_core && key == next) {
                key = core;
                break;
            }
            if (!to_core && key == core) {
                key = next;
                break;
            }
        }
        out[key] = v;
    }
    if (to_core && !out.contains("involvedObject"))
        out["involvedObject"] = json::object{};  // a struct, never absent, in core/v1
    return out;
}

}  // namespace esx::mocks::kube::detail
