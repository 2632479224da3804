// esx::spec: an ExternalSecret's `syncWindows`, evaluated as ESO 2.9 evaluates them.
//
// ESO parses each window's schedule with robfig/cron v3's five-field parser (minute, hour, day of
// month, month, day of week; `*`, `?`, lists, ranges, steps, month and weekday names; the
// descriptors `@yearly` .. `@hourly` and `@every DURATION`), in UTC. A window is active at `t` if
// the first firing after `t - duration - 1s` is not after `t` and `t` is not after that firing
// plus `duration`. `deny`: no periodic refresh while any window is active; `allow`: periodic
// refreshes only while one is. A window whose schedule does not parse is skipped (esx's validation
// refuses it instead). Only periodic refreshes are held back: a first sync or a spec change is not.
#ifndef ESX_SPEC_SYNC_WINDOWS_HPP
#define ESX_SPEC_SYNC_WINDOWS_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/spec/external_secret.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace esx::spec {

/// A parsed schedule: bit sets per field (robfig's representation), or a constant delay.
struct cron_schedule {
    std::uint64_t minute = 0, hour = 0, day_of_month = 0, month = 0, day_of_week = 0;
    bool dom_star = false, dow_star = false;     ///< the field was `*` or `?` (day matching rule)
    std::optional<std::chrono::seconds> every;   ///< `@every`: rounded as robfig rounds it
    friend bool operator==(cron_schedule const&, cron_schedule const&) = default;
};

/// The CRD's pattern: a descriptor, `@every X...`, or five space-separated fields.
ESX_DECL bool matches_schedule_pattern(std::string_view schedule) noexcept;

/// robfig/cron's standard parser; the failure carries its message (`end of range (60) above
/// maximum (59): 0-60`).
ESX_DECL result<cron_schedule, failure> parse_schedule(std::string_view schedule);

/// The first firing strictly after `t`, to the second; nothing if none within five years.
ESX_DECL std::optional<std::chrono::sys_seconds> next_firing(cron_schedule const& s, std::chrono::sys_time<std::chrono::nanoseconds> t);

/// Whether a periodic refresh may run at `at` (no windows: yes).
ESX_DECL bool is_periodic_refresh_allowed(boxed<sync_windows> const& windows,
                                          std::chrono::system_clock::time_point at);

} // namespace esx::spec

#if ESX_HEADER_ONLY
#  include <esx/spec/impl/sync_windows.ipp>
#endif

#endif
