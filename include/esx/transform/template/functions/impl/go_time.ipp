// esx::transform::templating::functions::detail: Go time layouts (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_GO_TIME_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_GO_TIME_IPP

#include <esx/transform/template/functions/detail/go_time.hpp>

#include <chrono>
#include <cstdint>

namespace esx::transform::templating::functions::detail {
namespace go_time_impl {

// Go's std chunk codes (the values only need to be distinct).
enum std_code : int {
    none = 0,
    long_month, month, num_month, zero_month, long_week_day, week_day, day, under_day, zero_day,
    under_year_day, zero_year_day, hour, hour12, zero_hour12, minute, zero_minute, second, zero_second,
    long_year, year, pm_upper, pm_lower, tz,
    iso8601_tz, iso8601_seconds_tz, iso8601_short_tz, iso8601_colon_tz, iso8601_colon_seconds_tz,
    num_tz, num_seconds_tz, num_short_tz, num_colon_tz, num_colon_seconds_tz,
    frac_second0, frac_second9,
};

struct chunk {
    std::string_view prefix;
    std_code code = none;
    std::string_view suffix;
    int frac_digits = 0;  ///< for frac_second*: the number of 0s or 9s
    char frac_separator = '.';
};

constexpr std::string_view long_months[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
constexpr std::string_view long_days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

inline bool starts_with_lower(std::string_view s) { return !s.empty() && s[0] >= 'a' && s[0] <= 'z'; }
inline bool is_digit(std::string_view s, std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

/// Go's nextStdChunk.
inline chunk next_chunk(std::string_view layout) {
    auto at = [&](std::size_t i, std::string_view what) { return layout.substr(i).starts_with(what); };
    for (std::size_t i = 0; i < layout.size(); ++i) {
        auto make = [&](std_code c, std::size_t len) { return chunk{layout.substr(0, i), c, layout.substr(i + len)}; };
        switch (layout[i]) {
        case 'J':
            if (at(i, "Jan")) {
                if (at(i, "January")) return make(long_month, 7);
                if (!starts_with_lower(layout.substr(i + 3))) return make(month, 3);
            }
            break;
        case 'M':
            if (at(i, "Mon")) {
                if (at(i, "Monday")) return make(long_week_day, 6);
                if (!starts_with_lower(layout.substr(i + 3))) return make(week_day, 3);
            }
            if (at(i, "MST")) return make(tz, 3);
            break;
        case '0':
            if (i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
                static constexpr std_code zeros[] = {zero_month, zero_day, zero_hour12, zero_minute, zero_second, year};
                return make(zeros[layout[i + 1] - '1'], 2);
            }
            if (at(i, "002")) return make(zero_year_day, 3);
            break;
        case '1':
            if (at(i, "15")) return make(hour, 2);
            return make(num_month, 1);
        case '2':
            if (at(i, "2006")) return make(long_year, 4);
            return make(day, 1);
        case '_':
            if (at(i, "_2")) {
                if (at(i, "_2006")) return chunk{layout.substr(0, i + 1), long_year, layout.substr(i + 5)};
                return make(under_day, 2);
            }
            if (at(i, "__2")) return make(under_year_day, 3);
            break;
        case '3': return make(hour12, 1);
        case '4': return make(minute, 1);
        case '5': return make(second, 1);
        case 'P':
            if (at(i, "PM")) return make(pm_upper, 2);
            break;
        case 'p':
            if (at(i, "pm")) return make(pm_lower, 2);
            break;
        case '-':
            if (at(i, "-070000")) return make(num_seconds_tz, 7);
            if (at(i, "-07:00:00")) return make(num_colon_seconds_tz, 9);
            if (at(i, "-0700")) return make(num_tz, 5);
            if (at(i, "-07:00")) return make(num_colon_tz, 6);
            if (at(i, "-07")) return make(num_short_tz, 3);
            break;
        case 'Z':
            if (at(i, "Z070000")) return make(iso8601_seconds_tz, 7);
            if (at(i, "Z07:00:00")) return make(iso8601_colon_seconds_tz, 9);
            if (at(i, "Z0700")) return make(iso8601_tz, 5);
            if (at(i, "Z07:00")) return make(iso8601_colon_tz, 6);
            if (at(i, "Z07")) return make(iso8601_short_tz, 3);
            break;
        case '.':
        case ',':
            if (i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
                char const ch = layout[i + 1];
                std::size_t j = i + 1;
                while (j < layout.size() && layout[j] == ch) ++j;
                if (!is_digit(layout, j)) {
                    chunk c{layout.substr(0, i), ch == '0' ? frac_second0 : frac_second9, layout.substr(j)};
                    c.frac_digits = static_cast<int>(j - (i + 1));
                    c.frac_separator = layout[i];
                    return c;
                }
            }
            break;
        default: break;
        }
    }
    return chunk{layout, none, {}};
}

struct civil {
    std::int64_t year;
    int month, day, hour, minute, second, weekday, yearday;
};

inline civil to_civil(time_value const& t) {
    using namespace std::chrono;
    std::int64_t const local = t.seconds + t.offset;
    std::int64_t const days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    std::int64_t const secs = local - days * 86400;
    sys_days const sd{std::chrono::days{days}};
    year_month_day const ymd{sd};
    year_month_day const jan1{ymd.year() / January / 1};
    civil c;
    c.year = static_cast<int>(ymd.year());
    c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    c.hour = static_cast<int>(secs / 3600);
    c.minute = static_cast<int>(secs / 60 % 60);
    c.second = static_cast<int>(secs % 60);
    c.weekday = static_cast<int>(weekday{sd}.c_encoding());
    c.yearday = static_cast<int>((sd - sys_days{jan1}).count()) + 1;
    return c;
}

inline void append_int(std::string& out, std::int64_t v, int width, char pad = '0') {
    if (v < 0) {
        out.push_back('-');
        v = -v;
    }
    std::string digits = std::to_string(v);
    for (auto n = static_cast<int>(digits.size()); n < width; ++n) out.push_back(pad);
    out += digits;
}

inline std::int64_t days_from_civil(std::int64_t y, int m, int d) {
    namespace c = std::chrono;
    return c::sys_days{c::year{static_cast<int>(y)} / c::month{static_cast<unsigned>(m)} / c::day{static_cast<unsigned>(d)}}
        .time_since_epoch()
        .count();
}

inline int days_in(int m, std::int64_t y) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

/// Go's getnum: one or two digits (exactly two when `fixed`).
inline bool getnum(std::string_view& s, bool fixed, int& out) {
    if (!is_digit(s, 0)) return false;
    if (!is_digit(s, 1)) {
        if (fixed) return false;
        out = s[0] - '0';
        s.remove_prefix(1);
        return true;
    }
    out = (s[0] - '0') * 10 + (s[1] - '0');
    s.remove_prefix(2);
    return true;
}

inline bool getnum3(std::string_view& s, bool fixed, int& out) {
    int n = 0, i = 0;
    for (; i < 3 && is_digit(s, static_cast<std::size_t>(i)); ++i) n = n * 10 + (s[static_cast<std::size_t>(i)] - '0');
    if (i == 0 || (fixed && i != 3)) return false;
    out = n;
    s.remove_prefix(static_cast<std::size_t>(i));
    return true;
}

inline bool lookup(std::string_view const* names, int count, std::size_t len, std::string_view& s, int& out) {
    for (int i = 0; i < count; ++i) {
        std::string_view name = names[i];
        if (len) name = name.substr(0, len);
        if (s.size() < name.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < name.size() && same; ++k) {
            char a = s[k], b = name[k];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
            same = a == b;
        }
        if (same) {
            out = i;
            s.remove_prefix(name.size());
            return true;
        }
    }
    return false;
}

/// Go's parseNanoseconds: `value[0]` is the separator, then `n - 1` digits.
inline bool parse_nanoseconds(std::string_view value, std::size_t n, int& ns) {
    if (value.empty() || (value[0] != '.' && value[0] != ',')) return false;
    if (n > 10) n = 10;  // digits past nanoseconds are ignored by Go too
    ns = 0;
    for (std::size_t i = 1; i < n; ++i) {
        if (!is_digit(value, i)) return false;
        ns = ns * 10 + (value[i] - '0');
    }
    for (std::size_t i = n; i < 10; ++i) ns *= 10;
    return true;
}

/// Go's parseTimeZone: the length of a zone abbreviation at the start of `v`, or 0.
inline std::size_t time_zone_length(std::string_view v) {
    if (v.size() < 3) return 0;
    if (v.starts_with("ChST") || v.starts_with("MeST")) return 4;
    if (v.starts_with("GMT")) {
        std::size_t n = 3;
        if (n < v.size() && (v[n] == '+' || v[n] == '-')) {
            std::size_t k = n + 1;
            while (k < v.size() && is_digit(v, k)) ++k;
            if (k > n + 1) n = k;
        }
        return n;
    }
    if (v[0] == '+' || v[0] == '-') {
        std::size_t k = 1;
        while (k < v.size() && is_digit(v, k)) ++k;
        return k > 1 ? k : 0;
    }
    std::size_t upper = 0;
    while (upper < 6 && upper < v.size() && v[upper] >= 'A' && v[upper] <= 'Z') ++upper;
    switch (upper) {
    case 3: return 3;
    case 4: return v[3] == 'T' || v.starts_with("WITA") ? 4 : 0;
    case 5: return v[4] == 'T' ? 5 : 0;
    default: return 0;
    }
}

} // namespace go_time_impl

ESX_DECL time_value go_zero_time() noexcept {
    time_value t;
    t.seconds = -62135596800;  // 0001-01-01T00:00:00Z
    return t;
}

ESX_DECL std::string go_time_format(time_value const& t, std::string_view layout) {
    using namespace go_time_impl;
    civil const c = to_civil(t);
    std::string out;
    while (!layout.empty()) {
        chunk const ch = next_chunk(layout);
        out.append(ch.prefix);
        if (ch.code == none) break;
        layout = ch.suffix;
        switch (ch.code) {
        case year: append_int(out, (c.year % 100 + 100) % 100, 2); break;
        case long_year: append_int(out, c.year, 4); break;
        case month: out.append(long_months[c.month - 1].substr(0, 3)); break;
        case long_month: out.append(long_months[c.month - 1]); break;
        case num_month: append_int(out, c.month, 0); break;
        case zero_month: append_int(out, c.month, 2); break;
        case week_day: out.append(long_days[c.weekday].substr(0, 3)); break;
        case long_week_day: out.append(long_days[c.weekday]); break;
        case day: append_int(out, c.day, 0); break;
        case under_day: append_int(out, c.day, 2, ' '); break;
        case zero_day: append_int(out, c.day, 2); break;
        case under_year_day: append_int(out, c.yearday, 3, ' '); break;
        case zero_year_day: append_int(out, c.yearday, 3); break;
        case hour: append_int(out, c.hour, 2); break;
        case hour12: append_int(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 0); break;
        case zero_hour12: append_int(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2); break;
        case minute: append_int(out, c.minute, 0); break;
        case zero_minute: append_int(out, c.minute, 2); break;
        case second: append_int(out, c.second, 0); break;
        case zero_second: append_int(out, c.second, 2); break;
        case pm_upper: out.append(c.hour >= 12 ? "PM" : "AM"); break;
        case pm_lower: out.append(c.hour >= 12 ? "pm" : "am"); break;
        case iso8601_tz: case iso8601_colon_tz: case iso8601_seconds_tz: case iso8601_short_tz:
        case iso8601_colon_seconds_tz: case num_tz: case num_colon_tz: case num_seconds_tz: case num_short_tz:
        case num_colon_seconds_tz: {
            bool const iso = ch.code == iso8601_tz || ch.code == iso8601_colon_tz || ch.code == iso8601_seconds_tz ||
                             ch.code == iso8601_short_tz || ch.code == iso8601_colon_seconds_tz;
            if (t.offset == 0 && iso) {
                out.push_back('Z');
                break;
            }
            int zone = t.offset / 60;
            int abs_offset = t.offset;
            if (zone < 0) {
                out.push_back('-');
                zone = -zone;
                abs_offset = -abs_offset;
            } else {
                out.push_back('+');
            }
            append_int(out, zone / 60, 2);
            if (ch.code == iso8601_colon_tz || ch.code == num_colon_tz || ch.code == iso8601_colon_seconds_tz ||
                ch.code == num_colon_seconds_tz)
                out.push_back(':');
            if (ch.code != num_short_tz && ch.code != iso8601_short_tz) append_int(out, zone % 60, 2);
            if (ch.code == iso8601_seconds_tz || ch.code == num_seconds_tz || ch.code == num_colon_seconds_tz ||
                ch.code == iso8601_colon_seconds_tz) {
                if (ch.code == num_colon_seconds_tz || ch.code == iso8601_colon_seconds_tz) out.push_back(':');
                append_int(out, abs_offset % 60, 2);
            }
            break;
        }
        case tz:
            if (!t.zone.empty()) {
                out.append(t.zone);
            } else {
                int zone = t.offset / 60;
                out.push_back(zone < 0 ? '-' : '+');
                if (zone < 0) zone = -zone;
                append_int(out, zone / 60, 2);
                append_int(out, zone % 60, 2);
            }
            break;
        case frac_second0:
        case frac_second9: {
            std::string digits = std::to_string(1'000'000'000 + t.nanoseconds).substr(1);
            if (ch.code == frac_second0) {
                digits.resize(static_cast<std::size_t>(std::min(ch.frac_digits, 9)));
            } else {
                digits.resize(static_cast<std::size_t>(std::min(ch.frac_digits, 9)));
                while (!digits.empty() && digits.back() == '0') digits.pop_back();
                if (digits.empty()) break;
            }
            out.push_back(ch.frac_separator);
            out += digits;
            break;
        }
        default: break;
        }
    }
    return out;
}

ESX_DECL std::optional<time_value> go_time_parse(std::string_view layout, std::string_view value) {
    using namespace go_time_impl;
    std::int64_t year_v = 0;
    int month_v = -1, day_v = -1, yday = -1, hour_v = 0, min_v = 0, sec_v = 0, nsec = 0;
    bool am = false, pm = false, utc_zone = false, have_offset = false;
    int zone_offset = 0;
    std::string zone_name;
    for (;;) {
        chunk const ch = next_chunk(layout);
        // skip: the literal prefix must match (runs of spaces match any non-empty run).
        std::string_view prefix = ch.prefix;
        while (!prefix.empty()) {
            if (prefix[0] == ' ') {
                if (!value.empty() && value[0] != ' ') return std::nullopt;
                while (!prefix.empty() && prefix[0] == ' ') prefix.remove_prefix(1);
                while (!value.empty() && value[0] == ' ') value.remove_prefix(1);
                continue;
            }
            if (value.empty() || value[0] != prefix[0]) return std::nullopt;
            prefix.remove_prefix(1);
            value.remove_prefix(1);
        }
        if (ch.code == none) {
            if (!value.empty()) return std::nullopt;
            break;
        }
        layout = ch.suffix;
        bool ok = true;
        switch (ch.code) {
        case year:
            if (value.size() < 2 || !is_digit(value, 0) || !is_digit(value, 1)) return std::nullopt;
            year_v = (value[0] - '0') * 10 + (value[1] - '0');
            year_v += year_v >= 69 ? 1900 : 2000;
            value.remove_prefix(2);
            break;
        case long_year:
            if (value.size() < 4 || !is_digit(value, 0)) return std::nullopt;
            year_v = 0;
            for (int i = 0; i < 4; ++i) {
                if (!is_digit(value, static_cast<std::size_t>(i))) return std::nullopt;
                year_v = year_v * 10 + (value[static_cast<std::size_t>(i)] - '0');
            }
            value.remove_prefix(4);
            break;
        case month: ok = lookup(long_months, 12, 3, value, month_v); ++month_v; break;
        case long_month: ok = lookup(long_months, 12, 0, value, month_v); ++month_v; break;
        case num_month:
        case zero_month:
            ok = getnum(value, ch.code == zero_month, month_v) && month_v >= 1 && month_v <= 12;
            break;
        case week_day: { int ignored; ok = lookup(long_days, 7, 3, value, ignored); break; }
        case long_week_day: { int ignored; ok = lookup(long_days, 7, 0, value, ignored); break; }
        case day:
        case under_day:
        case zero_day:
            if (ch.code == under_day && !value.empty() && value[0] == ' ') value.remove_prefix(1);
            ok = getnum(value, ch.code == zero_day, day_v);
            break;
        case under_year_day:
        case zero_year_day:
            for (int i = 0; i < 2; ++i)
                if (ch.code == under_year_day && !value.empty() && value[0] == ' ') value.remove_prefix(1);
            ok = getnum3(value, ch.code == zero_year_day, yday);
            break;
        case hour: ok = getnum(value, false, hour_v) && hour_v < 24; break;
        case hour12:
        case zero_hour12: ok = getnum(value, ch.code == zero_hour12, hour_v) && hour_v <= 12; break;
        case minute:
        case zero_minute: ok = getnum(value, ch.code == zero_minute, min_v) && min_v < 60; break;
        case second:
        case zero_second: {
            ok = getnum(value, ch.code == zero_second, sec_v) && sec_v < 60;
            if (!ok) break;
            // A fractional second in the value but not in the layout is accepted.
            if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && is_digit(value, 1)) {
                auto const next = next_chunk(layout).code;
                if (next == frac_second0 || next == frac_second9) break;
                std::size_t n = 2;
                while (n < value.size() && is_digit(value, n)) ++n;
                ok = parse_nanoseconds(value, n, nsec);
                value.remove_prefix(n);
            }
            break;
        }
        case pm_upper:
        case pm_lower: {
            if (value.size() < 2) return std::nullopt;
            auto p = value.substr(0, 2);
            value.remove_prefix(2);
            if (p == (ch.code == pm_upper ? "PM" : "pm")) pm = true;
            else if (p == (ch.code == pm_upper ? "AM" : "am")) am = true;
            else ok = false;
            break;
        }
        case iso8601_tz: case iso8601_short_tz: case iso8601_colon_tz: case iso8601_seconds_tz:
        case iso8601_colon_seconds_tz: case num_tz: case num_short_tz: case num_colon_tz: case num_seconds_tz:
        case num_colon_seconds_tz: {
            bool const iso = ch.code == iso8601_tz || ch.code == iso8601_colon_tz || ch.code == iso8601_seconds_tz ||
                             ch.code == iso8601_short_tz || ch.code == iso8601_colon_seconds_tz;
            if (iso && !value.empty() && value[0] == 'Z') {
                value.remove_prefix(1);
                utc_zone = true;
                break;
            }
            std::string_view sign, hh, mm = "00", ss = "00";
            auto need = [&](std::size_t n) { return value.size() >= n; };
            if (ch.code == iso8601_colon_tz || ch.code == num_colon_tz) {
                if (!need(6) || value[3] != ':') return std::nullopt;
                sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(4, 2);
                value.remove_prefix(6);
            } else if (ch.code == num_short_tz || ch.code == iso8601_short_tz) {
                if (!need(3)) return std::nullopt;
                sign = value.substr(0, 1), hh = value.substr(1, 2);
                value.remove_prefix(3);
            } else if (ch.code == iso8601_colon_seconds_tz || ch.code == num_colon_seconds_tz) {
                if (!need(9) || value[3] != ':' || value[6] != ':') return std::nullopt;
                sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(4, 2), ss = value.substr(7, 2);
                value.remove_prefix(9);
            } else if (ch.code == iso8601_seconds_tz || ch.code == num_seconds_tz) {
                if (!need(7)) return std::nullopt;
                sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(3, 2), ss = value.substr(5, 2);
                value.remove_prefix(7);
            } else {
                if (!need(5)) return std::nullopt;
                sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(3, 2);
                value.remove_prefix(5);
            }
            int h = 0, m = 0, s = 0;
            if (!getnum(hh, true, h) || !getnum(mm, true, m) || !getnum(ss, true, s)) return std::nullopt;
            if (h > 24 || m > 60 || s > 60) return std::nullopt;
            zone_offset = (h * 60 + m) * 60 + s;
            if (sign == "-") zone_offset = -zone_offset;
            else if (sign != "+") return std::nullopt;
            have_offset = true;
            break;
        }
        case tz: {
            if (value.starts_with("UTC")) {
                value.remove_prefix(3);
                utc_zone = true;
                break;
            }
            auto n = time_zone_length(value);
            if (!n) return std::nullopt;
            zone_name = std::string(value.substr(0, n));
            value.remove_prefix(n);
            break;
        }
        case frac_second0: {
            std::size_t const ndigit = 1 + static_cast<std::size_t>(ch.frac_digits);
            if (value.size() < ndigit) return std::nullopt;
            ok = parse_nanoseconds(value, ndigit, nsec);
            value.remove_prefix(ndigit);
            break;
        }
        case frac_second9: {
            if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || !is_digit(value, 1)) break;
            std::size_t i = 0;
            while (i + 1 < value.size() && is_digit(value, i + 1)) ++i;
            ok = parse_nanoseconds(value, 1 + i, nsec);
            value.remove_prefix(1 + i);
            break;
        }
        default: break;
        }
        if (!ok) return std::nullopt;
    }
    if (pm && hour_v < 12) hour_v += 12;
    else if (am && hour_v == 12) hour_v = 0;
    if (yday >= 0) {
        bool const leap = (year_v % 4 == 0 && year_v % 100 != 0) || year_v % 400 == 0;
        if (yday < 1 || yday > (leap ? 366 : 365)) return std::nullopt;
        int m = 1, d = yday;
        while (d > days_in(m, year_v)) d -= days_in(m++, year_v);
        if ((month_v >= 0 && month_v != m) || (day_v >= 0 && day_v != d)) return std::nullopt;
        month_v = m, day_v = d;
    } else {
        if (month_v < 0) month_v = 1;
        if (day_v < 0) day_v = 1;
    }
    if (day_v < 1 || day_v > days_in(month_v, year_v)) return std::nullopt;
    time_value t;
    t.seconds = days_from_civil(year_v, month_v, day_v) * 86400 + hour_v * 3600 + min_v * 60 + sec_v;
    t.nanoseconds = nsec;
    if (utc_zone) return t;
    if (have_offset) {
        t.seconds -= zone_offset;
        if (zone_offset == 0 && (zone_name.empty() || zone_name == "UTC")) return t;  // Local (UTC) has that offset
        t.offset = zone_offset;
        t.zone = zone_name;
        return t;
    }
    if (!zone_name.empty()) {
        int offset = 0;
        if (zone_name.size() > 3 && zone_name.starts_with("GMT")) offset = std::stoi(zone_name.substr(3)) * 3600;
        // Go keeps the wall clock as if UTC and only labels it with the unknown zone.
        t.offset = offset;
        t.zone = zone_name;
        return t;
    }
    return t;
}

} // namespace esx::transform::templating::functions::detail

#endif
