// esx::spec: syncWindows schedules (see <esx/spec/sync_windows.hpp>).
#ifndef ESX_SPEC_IMPL_SYNC_WINDOWS_IPP
#define ESX_SPEC_IMPL_SYNC_WINDOWS_IPP

#include <esx/spec/duration.hpp>
#include <esx/spec/sync_windows.hpp>

#include <array>
#include <charconv>
#include <string>
#include <vector>

namespace esx::spec {
namespace detail::cron_impl {

namespace chr = std::chrono;

struct bounds {
    unsigned min, max;
    std::array<std::string_view, 12> const* names = nullptr;  ///< names[i] is min + i
};
inline constexpr std::array<std::string_view, 12> month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                              "jul", "aug", "sep", "oct", "nov", "dec"};
inline constexpr std::array<std::string_view, 12> weekday_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
inline constexpr bounds minutes{0, 59}, hours{0, 23}, days{1, 31}, months{1, 12, &month_names},
    weekdays{0, 6, &weekday_names};
inline constexpr std::uint64_t star_bit = std::uint64_t(1) << 63;

inline failure fail(std::string message) { return failure(make_error_code(error::invalid_option), std::move(message)); }

inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        std::size_t at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return out;
        start = at + 1;
    }
}

/// Go's strconv.Atoi, then robfig's refusal of negative numbers.
inline result<unsigned, failure> parse_int(std::string_view expr) {
    std::string_view digits = expr;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    long long n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        return fail("failed to parse int from " + std::string(expr) + ": strconv.Atoi: parsing \"" + std::string(expr) +
                    "\": " + (ec == std::errc::result_out_of_range ? "value out of range" : "invalid syntax"));
    if (negative && n != 0)
        return fail("negative number (-" + std::to_string(n) + ") not allowed: " + std::string(expr));
    if (n > 1'000'000) return fail("end of range (" + std::to_string(n) + ") above maximum: " + std::string(expr));
    return unsigned(n);
}

inline result<unsigned, failure> parse_int_or_name(std::string_view expr, bounds const& r) {
    if (r.names) {
        std::string lower(expr);
        for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
        for (std::size_t i = 0; i < r.names->size(); ++i)
            if (!(*r.names)[i].empty() && (*r.names)[i] == lower) return unsigned(r.min + i);
    }
    return parse_int(expr);
}

inline std::uint64_t bits(unsigned lo, unsigned hi, unsigned step) {
    std::uint64_t b = 0;
    for (unsigned i = lo; i <= hi; i += step) b |= std::uint64_t(1) << i;
    return b;
}

/// `number | number "-" number [ "/" number ]`, or `*`/`?` with an optional step.
inline result<std::uint64_t, failure> parse_range(std::string_view expr, bounds const& r) {
    auto range_and_step = split(expr, '/');
    auto low_and_high = split(range_and_step[0], '-');
    bool single = low_and_high.size() == 1;
    unsigned start = 0, end = 0, step = 1;
    std::uint64_t extra = 0;
    if (low_and_high[0] == "*" || low_and_high[0] == "?") {
        start = r.min;
        end = r.max;
        extra = star_bit;
    } else {
        auto s = parse_int_or_name(low_and_high[0], r);
        if (!s) return s.error();
        start = *s;
        if (low_and_high.size() == 1) {
            end = start;
        } else if (low_and_high.size() == 2) {
            auto e = parse_int_or_name(low_and_high[1], r);
            if (!e) return e.error();
            end = *e;
        } else {
            return fail("too many hyphens: " + std::string(expr));
        }
    }
    if (range_and_step.size() == 2) {
        auto st = parse_int(range_and_step[1]);
        if (!st) return st.error();
        step = *st;
        if (single) end = r.max;  // `N/step` means `N-max/step`
        if (step > 1) extra = 0;
    } else if (range_and_step.size() > 2) {
        return fail("too many slashes: " + std::string(expr));
    }
    auto n = [](unsigned x) { return std::to_string(x); };
    if (start < r.min) return fail("beginning of range (" + n(start) + ") below minimum (" + n(r.min) + "): " + std::string(expr));
    if (end > r.max) return fail("end of range (" + n(end) + ") above maximum (" + n(r.max) + "): " + std::string(expr));
    if (start > end) return fail("beginning of range (" + n(start) + ") beyond end of range (" + n(end) + "): " + std::string(expr));
    if (step == 0) return fail("step of range should be a positive number: " + std::string(expr));
    return bits(start, end, step) | extra;
}

/// A comma-separated list of ranges (empty items skipped, as Go's FieldsFunc does).
inline result<std::uint64_t, failure> parse_field(std::string_view field, bounds const& r) {
    std::uint64_t b = 0;
    for (auto item : split(field, ','))
        if (!item.empty()) {
            auto x = parse_range(item, r);
            if (!x) return x.error();
            b |= *x;
        }
    return b;
}

inline std::uint64_t all(bounds const& r) { return bits(r.min, r.max, 1) | star_bit; }

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

inline bool day_matches(cron_schedule const& s, chr::year_month_day const& ymd) {
    unsigned day = unsigned(ymd.day());
    unsigned weekday = chr::weekday(chr::sys_days(ymd)).c_encoding();
    bool dom = (std::uint64_t(1) << day) & s.day_of_month;
    bool dow = (std::uint64_t(1) << weekday) & s.day_of_week;
    if (s.dom_star || s.dow_star) return dom && dow;
    return dom || dow;
}

} // namespace detail::cron_impl

ESX_DECL bool matches_schedule_pattern(std::string_view s) noexcept {
    using detail::cron_impl::is_space;
    if (s.starts_with('@')) {
        for (std::string_view d : {"@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
            if (s == d) return true;
        return s.starts_with("@every ") && s.size() > 7 && !is_space(s[7]);
    }
    // `[^\s]+( [^\s]+){4}`: five fields, one space between each.
    int fields = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t start = i;
        while (i < s.size() && !is_space(s[i])) ++i;
        if (i == start) return false;
        ++fields;
        if (i == s.size()) return fields == 5;
        if (s[i] != ' ') return false;
        ++i;
    }
}

ESX_DECL result<cron_schedule, failure> parse_schedule(std::string_view spec) {
    using namespace detail::cron_impl;
    cron_schedule s;
    if (spec.empty()) return fail("empty spec string");
    if (spec.starts_with('@')) {
        auto set = [&](std::uint64_t minute, std::uint64_t hour, std::uint64_t dom, std::uint64_t month,
                       std::uint64_t dow) {
            s.minute = minute, s.hour = hour, s.day_of_month = dom, s.month = month, s.day_of_week = dow;
            s.dom_star = dom & star_bit, s.dow_star = dow & star_bit;
            return s;
        };
        std::uint64_t first_minute = 1, first_hour = 1, first_day = 2, first_month = 2, sunday = 1;
        if (spec == "@yearly" || spec == "@annually") return set(first_minute, first_hour, first_day, first_month, all(weekdays));
        if (spec == "@monthly") return set(first_minute, first_hour, first_day, all(months), all(weekdays));
        if (spec == "@weekly") return set(first_minute, first_hour, all(days), all(months), sunday);
        if (spec == "@daily" || spec == "@midnight") return set(first_minute, first_hour, all(days), all(months), all(weekdays));
        if (spec == "@hourly") return set(first_minute, all(hours), all(days), all(months), all(weekdays));
        if (spec.starts_with("@every ")) {
            auto d = parse_duration(spec.substr(7));
            if (!d) return fail("failed to parse duration " + std::string(spec) + ": " + d.error().message);
            auto every = std::max(*d, chr::nanoseconds(chr::seconds(1)));
            s.every = chr::duration_cast<chr::seconds>(every);  // sub-second part dropped, as robfig's Every
            return s;
        }
        return fail("unrecognized descriptor: " + std::string(spec));
    }
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < spec.size();) {
        while (i < spec.size() && is_space(spec[i])) ++i;
        std::size_t start = i;
        while (i < spec.size() && !is_space(spec[i])) ++i;
        if (i > start) fields.push_back(spec.substr(start, i - start));
    }
    if (fields.size() != 5)
        return fail("expected exactly 5 fields, found " + std::to_string(fields.size()) + ": " + std::string(spec));
    bounds const* order[5] = {&minutes, &hours, &days, &months, &weekdays};
    std::uint64_t* out[5] = {&s.minute, &s.hour, &s.day_of_month, &s.month, &s.day_of_week};
    for (int i = 0; i < 5; ++i) {
        auto b = parse_field(fields[i], *order[i]);
        if (!b) return b.error();
        *out[i] = *b;
    }
    s.dom_star = s.day_of_month & star_bit;
    s.dow_star = s.day_of_week & star_bit;
    return s;
}

ESX_DECL std::optional<std::chrono::sys_seconds> next_firing(cron_schedule const& s,
                                                             std::chrono::sys_time<std::chrono::nanoseconds> t) {
    using namespace std::chrono;
    using detail::cron_impl::day_matches;
    if (s.every) {
        // robfig's ConstantDelaySchedule: t + delay - t's nanoseconds.
        auto base = floor<seconds>(t);
        return base + *s.every;
    }
    // The upcoming second, then field by field as robfig's SpecSchedule.Next (UTC, no DST).
    sys_seconds at = floor<seconds>(t) + seconds(1);
    bool added = false;
    int year_limit = int(year_month_day(floor<days>(at)).year()) + 5;
    auto bit = [](std::uint64_t set, unsigned v) { return ((std::uint64_t(1) << v) & set) != 0; };
    while (true) {
    wrap:
        auto day = floor<days>(at);
        year_month_day ymd(day);
        if (int(ymd.year()) > year_limit) return std::nullopt;
        while (!bit(s.month, unsigned(ymd.month()))) {
            if (!added) {
                added = true;
                ymd = ymd.year() / ymd.month() / 1;
            }
            ymd += months(1);
            at = sys_days(ymd);
            if (ymd.month() == January) goto wrap;
        }
        while (!day_matches(s, ymd)) {
            if (!added) {
                added = true;
                at = sys_days(ymd);
            }
            at += days(1);
            ymd = year_month_day(floor<days>(at));
            if (ymd.day() == std::chrono::day(1)) goto wrap;
        }
        auto h = [&] { return unsigned(duration_cast<hours>(at - floor<days>(at)).count()); };
        while (!bit(s.hour, h())) {
            if (!added) {
                added = true;
                at = floor<hours>(at);
            }
            at += hours(1);
            if (h() == 0) goto wrap;
        }
        auto m = [&] { return unsigned(duration_cast<minutes>(at - floor<hours>(at)).count()); };
        while (!bit(s.minute, m())) {
            if (!added) {
                added = true;
                at = floor<minutes>(at);
            }
            at += minutes(1);
            if (m() == 0) goto wrap;
        }
        // The seconds field is 0 (the parser has no seconds).
        auto sec = [&] { return unsigned((at - floor<minutes>(at)).count()); };
        while (sec() != 0) {
            added = true;
            at += seconds(1);
            if (sec() == 0) goto wrap;
        }
        return at;
    }
}

ESX_DECL bool is_periodic_refresh_allowed(boxed<sync_windows> const& windows,
                                          std::chrono::system_clock::time_point at) {
    using namespace std::chrono;
    if (!windows || windows->windows.empty()) return true;
    auto now = time_point_cast<nanoseconds>(at);
    bool any_active = false;
    for (auto const& w : windows->windows) {
        auto s = parse_schedule(w.schedule);
        if (!s) continue;  // ESO skips a window it cannot parse
        auto prev = next_firing(*s, now - w.duration - seconds(1));
        if (prev && *prev <= now && now <= *prev + w.duration) {
            any_active = true;
            break;
        }
    }
    return windows->kind == sync_window_kind::deny ? !any_active : any_active;
}

} // namespace esx::spec

#endif
