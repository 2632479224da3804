// esx::spec: Go durations (`1h`, `15m30s`, `1.5h`, `300ms`, `0`), as ESO's manifests write them.
//
// `parse_duration` accepts exactly what Go's `time.ParseDuration` accepts and gives Go's error
// texts (`time: invalid duration "x"`), so a message matches what ESO's webhook would say.
// `format_duration` writes what Go's `Duration.String` writes (`1h0m0s`), which is what the API
// server shows back for `refreshInterval`.
#ifndef ESX_SPEC_DURATION_HPP
#define ESX_SPEC_DURATION_HPP

#include <esx/failure.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace esx::spec {

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?unit)+` or `0`; units ns, us, µs, ms, s, m, h.
inline result<std::chrono::nanoseconds, failure> parse_duration(std::string_view text) {
    auto quote = [](std::string_view s) { return "\"" + std::string(s) + "\""; };
    auto invalid = [&](std::string message) { return failure{make_error_code(error::invalid_option), std::move(message)}; };
    auto bad = [&] { return invalid("time: invalid duration " + quote(text)); };
    constexpr std::uint64_t limit = std::uint64_t(1) << 63;

    std::string_view s = text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds(0);
    if (s.empty()) return bad();

    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    std::uint64_t total = 0;
    while (!s.empty()) {
        if (!(s[0] == '.' || digit(s[0]))) return bad();
        // Whole part; an overflow is an error, as in Go.
        std::uint64_t whole = 0;
        std::size_t i = 0;
        for (; i < s.size() && digit(s[i]); ++i) {
            if (whole > (limit - 1) / 10) return bad();
            whole = whole * 10 + std::uint64_t(s[i] - '0');
            if (whole > limit) return bad();
        }
        bool had_whole = i > 0;
        s.remove_prefix(i);
        // Fraction: digits past what fits are read and dropped, as in Go.
        std::uint64_t fraction = 0;
        double scale = 1;
        bool had_fraction = false;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            bool overflow = false;
            std::size_t j = 0;
            for (; j < s.size() && digit(s[j]); ++j) {
                if (overflow) continue;
                if (fraction > (limit - 1) / 10) { overflow = true; continue; }
                std::uint64_t next = fraction * 10 + std::uint64_t(s[j] - '0');
                if (next > limit) { overflow = true; continue; }
                fraction = next;
                scale *= 10;
            }
            had_fraction = j > 0;
            s.remove_prefix(j);
        }
        if (!had_whole && !had_fraction) return bad();

        std::size_t u = 0;
        while (u < s.size() && s[u] != '.' && !digit(s[u])) ++u;
        if (u == 0) return invalid("time: missing unit in duration " + quote(text));
        std::string_view unit_text = s.substr(0, u);
        s.remove_prefix(u);
        std::uint64_t unit = 0;
        if (unit_text == "ns") unit = 1;
        else if (unit_text == "us" || unit_text == "\xC2\xB5s" || unit_text == "\xCE\xBCs") unit = 1'000;
        else if (unit_text == "ms") unit = 1'000'000;
        else if (unit_text == "s") unit = 1'000'000'000;
        else if (unit_text == "m") unit = 60'000'000'000;
        else if (unit_text == "h") unit = 3'600'000'000'000;
        else return invalid("time: unknown unit " + quote(unit_text) + " in duration " + quote(text));

        if (whole > limit / unit) return bad();
        whole *= unit;
        if (fraction > 0) {
            whole += std::uint64_t(double(fraction) * (double(unit) / scale));
            if (whole > limit) return bad();
        }
        total += whole;
        if (total > limit) return bad();
    }
    if (negative) return std::chrono::nanoseconds(static_cast<std::int64_t>(0 - total));
    if (total > limit - 1) return bad();
    return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

/// Go's `Duration.String`: `0s`, `300ms`, `1.5s`, `1m30s`, `1h0m0s`.
inline std::string format_duration(std::chrono::nanoseconds d) {
    std::int64_t ns = d.count();
    if (ns == 0) return "0s";
    bool negative = ns < 0;
    std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);

    // `v` as an integer part and `precision` fraction digits, trailing zeros dropped.
    auto with_fraction = [](std::uint64_t v, int precision) {
        std::string fraction;
        bool any = false;
        for (int i = 0; i < precision; ++i) {
            char digit = char('0' + v % 10);
            any = any || digit != '0';
            if (any) fraction.insert(fraction.begin(), digit);
            v /= 10;
        }
        std::string out = std::to_string(v);
        if (!fraction.empty()) out += "." + fraction;
        return out;
    };

    std::string out;
    if (u < 1'000'000'000) {
        if (u < 1'000) out = std::to_string(u) + "ns";
        else if (u < 1'000'000) out = with_fraction(u, 3) + "\xC2\xB5s";
        else out = with_fraction(u, 6) + "ms";
    } else {
        std::uint64_t seconds = u / 1'000'000'000;
        std::string s = with_fraction(u, 9);
        s = std::to_string(seconds % 60) + s.substr(std::to_string(seconds).size()) + "s";
        std::uint64_t minutes = seconds / 60;
        if (minutes > 0) {
            s = std::to_string(minutes % 60) + "m" + s;
            std::uint64_t hours = minutes / 60;
            if (hours > 0) s = std::to_string(hours) + "h" + s;
        }
        out = std::move(s);
    }
    return negative ? "-" + out : out;
}

} // namespace esx::spec

#endif
