// esx::controller: ESO's refresh rules (see <esx/controller/refresh.hpp>).
#ifndef ESX_CONTROLLER_IMPL_REFRESH_IPP
#define ESX_CONTROLLER_IMPL_REFRESH_IPP

#include <esx/controller/refresh.hpp>
#include <esx/spec/sync_windows.hpp>
#include <esx/transform/hash.hpp>

namespace esx::controller {
namespace detail {

inline bool never_synced(sync_status const& s) noexcept {
    return s.synced_resource_version.empty() || !s.refresh_time;
}

inline std::optional<std::string_view> annotation(std::map<std::string, std::string> const& a, std::string_view key) {
    auto const it = a.find(std::string(key));
    if (it == a.end()) return std::nullopt;
    return std::string_view(it->second);
}

} // namespace detail

ESX_DECL std::string resource_version(spec::object_meta const& meta) {
    return std::to_string(meta.generation) + "-" + transform::metadata_hash(meta.labels, meta.annotations);
}

ESX_DECL bool force_sync_changed(std::map<std::string, std::string> const& before,
                                 std::map<std::string, std::string> const& after) {
    for (auto key : {force_sync_annotation, force_sync_annotation_eso})
        if (detail::annotation(before, key) != detail::annotation(after, key)) return true;
    return false;
}

ESX_DECL bool should_refresh(spec::external_secret_spec const& spec, sync_status const& status,
                             std::string_view current_version, std::chrono::system_clock::time_point now) {
    auto const policy = spec.refresh_policy.value_or(spec::refresh_policy::periodic);
    switch (policy) {
    case spec::refresh_policy::created_once:
        return detail::never_synced(status);
    case spec::refresh_policy::on_change:
        return detail::never_synced(status) || status.synced_resource_version != current_version;
    case spec::refresh_policy::periodic:
        break;
    }
    // ESO's order: interval <= 0 with any earlier sync stops everything, even a spec change.
    if (spec.refresh_interval.count() <= 0 && !status.synced_resource_version.empty()) return false;
    if (status.synced_resource_version != current_version) return true;
    if (!status.refresh_time) return true;
    if (*status.refresh_time > now) return true;
    if (!(*status.refresh_time + spec.refresh_interval < now)) return false;
    return spec::is_periodic_refresh_allowed(spec.sync_windows, now);
}

ESX_DECL std::optional<std::chrono::nanoseconds> refresh_after(spec::external_secret_spec const& spec,
                                                               sync_status const& status,
                                                               std::chrono::system_clock::time_point now) {
    auto const policy = spec.refresh_policy.value_or(spec::refresh_policy::periodic);
    if (policy != spec::refresh_policy::periodic) return std::nullopt;
    auto const interval = spec.refresh_interval;
    if (interval.count() <= 0) return std::nullopt;
    if (!status.refresh_time) return interval;
    auto const since = std::chrono::duration_cast<std::chrono::nanoseconds>(now - *status.refresh_time);
    if (since.count() < 0) return std::chrono::nanoseconds(0);
    if (since < interval) return interval - since;
    if (!spec::is_periodic_refresh_allowed(spec.sync_windows, now)) return sync_window_recheck;
    return std::chrono::nanoseconds(0);
}

} // namespace esx::controller

#endif
