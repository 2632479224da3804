// esx::transform::templating::functions::detail: Go/Sprig helpers (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_SUPPORT_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_SUPPORT_IPP

#include <esx/transform/template/functions/detail/sprig_support.hpp>

#include <charconv>
#include <climits>
#include <cmath>
#include <cwctype>
#include <locale.h>

namespace esx::transform::templating::functions::detail {
namespace support_impl {

using transform::detail::decode_rune;
using transform::detail::rune_error;

inline char lower(char c) { return static_cast<char>(c | 0x20); }

/// Go's underscoreOK for base-0 integer literals.
inline bool underscore_ok(std::string_view s) {
    char saw = '^';
    std::size_t i = 0;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    bool hex = false;
    if (s.size() >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = lower(s[1]) == 'x';
    }
    for (; i < s.size(); ++i) {
        if ((s[i] >= '0' && s[i] <= '9') || (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
            saw = '0';
            continue;
        }
        if (s[i] == '_') {
            if (saw != '0') return false;
            saw = '_';
            continue;
        }
        if (saw == '_') return false;
        saw = '!';
    }
    return saw != '_';
}

enum class parse_status { ok, syntax, range };

/// `strconv.ParseInt(s, base, 64)` (base 0: Go literal prefixes and underscores); on a range
/// error `out` is the clamped limit, as Go returns it.
inline parse_status parse_int(std::string_view s, int base, std::int64_t& out) {
    out = 0;
    std::string_view const s0 = s;
    if (s.empty()) return parse_status::syntax;
    bool negative = false;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    bool base0 = base == 0;
    if (base0) {
        base = 10;
        if (!s.empty() && s[0] == '0') {
            if (s.size() >= 3 && lower(s[1]) == 'b') base = 2, s.remove_prefix(2);
            else if (s.size() >= 3 && lower(s[1]) == 'o') base = 8, s.remove_prefix(2);
            else if (s.size() >= 3 && lower(s[1]) == 'x') base = 16, s.remove_prefix(2);
            else base = 8, s.remove_prefix(1);
            if (s.empty() && base == 8) return parse_status::ok;  // "0"
        }
    }
    std::string digits;
    for (char c : s) {
        if (c == '_' && base0) continue;
        digits.push_back(c);
    }
    if (s.find('_') != std::string_view::npos && (!base0 || !underscore_ok(s0))) return parse_status::syntax;
    if (digits.empty()) return parse_status::syntax;
    std::uint64_t u = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (end != digits.data() + digits.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return parse_status::syntax;
    std::uint64_t const cutoff = negative ? std::uint64_t(1) << 63 : std::uint64_t(INT64_MAX);
    if (ec == std::errc::result_out_of_range || u > cutoff) {
        out = negative ? INT64_MIN : INT64_MAX;
        return parse_status::range;
    }
    out = negative ? static_cast<std::int64_t>(0 - u) : static_cast<std::int64_t>(u);
    return parse_status::ok;
}

/// `strconv.ParseFloat(s, 64)`: decimal and special words (hex floats need their `p` exponent).
inline parse_status parse_float(std::string_view s, double& out) {
    out = 0;
    std::string_view t = s;
    bool negative = false;
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
        negative = t[0] == '-';
        t.remove_prefix(1);
    }
    std::string low;
    for (char c : t) low.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    if (low == "inf" || low == "infinity") {
        out = negative ? -HUGE_VAL : HUGE_VAL;
        return parse_status::ok;
    }
    if (low == "nan") {
        out = std::nan("");
        return parse_status::ok;
    }
    if (t.empty() || low.find_first_not_of("0123456789.e+-xp_abcdef") != std::string::npos || low.find('_') != std::string::npos)
        return parse_status::syntax;
    if (low.starts_with("0x")) {
        if (low.find('p') == std::string::npos) return parse_status::syntax;
        std::string const copy(t);
        char* end = nullptr;
        double const f = std::strtod(copy.c_str(), &end);
        if (end != copy.c_str() + copy.size()) return parse_status::syntax;
        out = negative ? -f : f;
        return std::isinf(f) ? parse_status::range : parse_status::ok;
    }
    // Decimal: digits with an optional point and exponent, at least one digit.
    std::size_t i = 0, digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
    if (i < t.size() && t[i] == '.') {
        ++i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
    }
    if (!digits) return parse_status::syntax;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
        std::size_t const start = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        if (i == start) return parse_status::syntax;
    }
    if (i != t.size()) return parse_status::syntax;
    double f = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), f, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
        // Overflow is Go's range error (±Inf); underflow is 0 without error.
        bool const tiny = t.find_first_of("eE") != std::string_view::npos &&
                          t.substr(t.find_first_of("eE") + 1).starts_with('-');
        if (tiny) {
            out = negative ? -0.0 : 0.0;
            return parse_status::ok;
        }
        out = negative ? -HUGE_VAL : HUGE_VAL;
        return parse_status::range;
    }
    out = negative ? -f : f;
    return parse_status::ok;
}

/// cast's trimDecimal: `^([-+]?\d*)(\.\d*)?$` keeps the integer part of a decimal string.
inline std::string trim_decimal(std::string_view s) {
    if (s.find('.') == std::string_view::npos) return std::string(s);
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    std::size_t const int_end = i;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    }
    if (i != s.size()) return std::string(s);
    std::string out(s.substr(0, int_end));
    if (out == "-" || out == "+") out += "0";
    else if (out.empty()) out = "0";
    return out;
}

inline std::int64_t float_to_int64(double f) {
    // Go's float-to-int conversion of NaN or an out-of-range value on amd64.
    if (std::isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0) return INT64_MIN;
    return static_cast<std::int64_t>(f);
}

inline locale_t utf8_locale() {
    static locale_t const l = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t(0));
    return l;
}

inline bool rune_in(std::string_view set, char32_t r) {
    for (std::size_t i = 0; i < set.size();) {
        auto d = decode_rune(set, i);
        if (d.rune == r) return true;
        i += d.width;
    }
    return false;
}

} // namespace support_impl

ESX_DECL text strval(value const& v) {
    if (v.is_stringish()) return text(v.as_string());
    return sprint(v);
}

ESX_DECL std::int64_t cast_int64(value const& v) {
    switch (v.kind()) {
    case kind::nil: return 0;
    case kind::boolean: return v.as_bool() ? 1 : 0;
    case kind::integer:
    case kind::int64: return v.as_int();
    case kind::float64: return support_impl::float_to_int64(v.as_float());
    case kind::string: {
        if (v.as_string().empty()) return 0;
        std::int64_t out = 0;
        return support_impl::parse_int(support_impl::trim_decimal(v.as_string()), 0, out) == support_impl::parse_status::ok
                   ? out
                   : 0;
    }
    default: return 0;
    }
}

ESX_DECL double cast_float64(value const& v) {
    switch (v.kind()) {
    case kind::nil: return 0;
    case kind::boolean: return v.as_bool() ? 1 : 0;
    case kind::integer:
    case kind::int64: return static_cast<double>(v.as_int());
    case kind::float64: return v.as_float();
    case kind::string: {
        double out = 0;
        return support_impl::parse_float(v.as_string(), out) == support_impl::parse_status::ok ? out : 0;
    }
    default: return 0;
    }
}

ESX_DECL std::int64_t go_atoi(std::string_view s) {
    if (!s.empty() && s.size() < 19) {
        std::string_view t = s;
        if (t[0] == '-' || t[0] == '+') {
            t.remove_prefix(1);
            if (t.empty()) return 0;
        }
        std::int64_t n = 0;
        for (char c : t) {
            if (c < '0' || c > '9') return 0;
            n = n * 10 + (c - '0');
        }
        return s[0] == '-' ? -n : n;
    }
    std::int64_t out = 0;
    support_impl::parse_int(s, 10, out);  // syntax error: 0; range error: the clamped limit
    return out;
}

ESX_DECL bool deep_equal(value const& a, value const& b) {
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
    case kind::nil: return true;
    case kind::boolean: return a.as_bool() == b.as_bool();
    case kind::integer:
    case kind::int64: return a.as_int() == b.as_int();
    case kind::float64: return a.as_float() == b.as_float();
    case kind::string:
    case kind::bytes: return a.as_string() == b.as_string();
    case kind::time: return a.as_time() == b.as_time();
    case kind::list:
    case kind::string_list:
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!deep_equal(a.element(i), b.element(i))) return false;
        return true;
    case kind::dict: {
        auto const &x = a.as_dict(), &y = b.as_dict();
        if (x.size() != y.size()) return false;
        for (auto const& [k, v] : x) {
            auto it = y.find(k);
            if (it == y.end() || !deep_equal(v, it->second)) return false;
        }
        return true;
    }
    case kind::string_map: {
        auto const &x = a.as_string_map(), &y = b.as_string_map();
        if (x.size() != y.size()) return false;
        for (auto const& [k, v] : x) {
            auto it = y.find(k);
            if (it == y.end() || it->second.view() != v.view()) return false;
        }
        return true;
    }
    }
    return false;
}

ESX_DECL char32_t to_upper(char32_t r) {
    if (r < 0x80) return r >= 'a' && r <= 'z' ? r - 32 : r;
    if (auto l = support_impl::utf8_locale()) return static_cast<char32_t>(towupper_l(static_cast<wint_t>(r), l));
    return r;
}

ESX_DECL char32_t to_lower(char32_t r) {
    if (r < 0x80) return r >= 'A' && r <= 'Z' ? r + 32 : r;
    if (auto l = support_impl::utf8_locale()) return static_cast<char32_t>(towlower_l(static_cast<wint_t>(r), l));
    return r;
}

ESX_DECL bool is_unicode_space(char32_t r) noexcept {
    switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return true;
    default: return r >= 0x2000 && r <= 0x200A;
    }
}

ESX_DECL text map_runes(std::string_view s, char32_t (*f)(char32_t)) {
    text out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto d = support_impl::decode_rune(s, i);
        if (d.rune < 0x80 && d.width == 1 && s[i] == static_cast<char>(d.rune)) out.push_back(static_cast<char>(f(d.rune)));
        else transform::detail::append_rune(out, d.rune == support_impl::rune_error ? d.rune : f(d.rune));
        i += d.width;
    }
    return out;
}

ESX_DECL text go_title(std::string_view s) {
    auto separator = [](char32_t r) {
        if (r <= 0x7F) return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_');
        if (transform::detail::is_letter_or_number(r)) return false;
        return is_unicode_space(r);
    };
    text out;
    out.reserve(s.size());
    char32_t prev = ' ';
    for (std::size_t i = 0; i < s.size();) {
        auto d = support_impl::decode_rune(s, i);
        char32_t r = d.rune;
        if (separator(prev) && r != support_impl::rune_error) r = to_upper(r);
        prev = d.rune;
        if (r < 0x80 && d.width == 1) out.push_back(static_cast<char>(r));
        else transform::detail::append_rune(out, r);
        i += d.width;
    }
    return out;
}

ESX_DECL std::string_view trim_space(std::string_view s) {
    while (!s.empty()) {
        auto d = support_impl::decode_rune(s, 0);
        if (d.rune == support_impl::rune_error || !is_unicode_space(d.rune)) break;
        s.remove_prefix(d.width);
    }
    while (!s.empty()) {
        // Step back over one UTF-8 sequence.
        std::size_t start = s.size() - 1;
        while (start > 0 && s.size() - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        auto d = support_impl::decode_rune(s, start);
        if (start + d.width != s.size()) {
            start = s.size() - 1;
            d = support_impl::decode_rune(s, start);
        }
        if (d.rune == support_impl::rune_error || !is_unicode_space(d.rune)) break;
        s.remove_suffix(s.size() - start);
    }
    return s;
}

ESX_DECL std::string_view trim_cutset(std::string_view s, std::string_view cutset) {
    if (s.empty() || cutset.empty()) return s;
    while (!s.empty()) {
        auto d = support_impl::decode_rune(s, 0);
        if (!support_impl::rune_in(cutset, d.rune)) break;
        s.remove_prefix(d.width);
    }
    while (!s.empty()) {
        std::size_t start = s.size() - 1;
        while (start > 0 && s.size() - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        auto d = support_impl::decode_rune(s, start);
        if (start + d.width != s.size()) {
            start = s.size() - 1;
            d = support_impl::decode_rune(s, start);
        }
        if (!support_impl::rune_in(cutset, d.rune)) break;
        s.remove_suffix(s.size() - start);
    }
    return s;
}

ESX_DECL std::vector<std::string_view> go_split(std::string_view s, std::string_view sep, long n) {
    std::vector<std::string_view> out;
    if (n == 0) return out;
    if (sep.empty()) {
        for (std::size_t i = 0; i < s.size();) {
            if (n > 0 && static_cast<long>(out.size()) == n - 1) {
                out.push_back(s.substr(i));
                return out;
            }
            auto d = support_impl::decode_rune(s, i);
            out.push_back(s.substr(i, d.width));
            i += d.width;
        }
        return out;
    }
    std::size_t start = 0;
    while (n < 0 || static_cast<long>(out.size()) < n - 1) {
        auto at = s.find(sep, start);
        if (at == std::string_view::npos) break;
        out.push_back(s.substr(start, at - start));
        start = at + sep.size();
    }
    out.push_back(s.substr(start));
    return out;
}

ESX_DECL bool go_replace_all(std::string_view s, std::string_view old, std::string_view with, std::size_t limit,
                             text& out) {
    out.clear();
    if (old == with) {
        out.assign(s.data(), s.size());
        return s.size() <= limit;
    }
    if (old.empty()) {
        // `new` before every rune and at the end.
        for (std::size_t i = 0; i < s.size();) {
            auto d = support_impl::decode_rune(s, i);
            out.append(with);
            out.append(s.substr(i, d.width));
            i += d.width;
            if (out.size() > limit) return false;
        }
        out.append(with);
        return out.size() <= limit;
    }
    std::size_t start = 0;
    for (;;) {
        auto at = s.find(old, start);
        if (at == std::string_view::npos) break;
        out.append(s.substr(start, at - start));
        out.append(with);
        start = at + old.size();
        if (out.size() > limit) return false;
    }
    out.append(s.substr(start));
    return out.size() <= limit;
}

} // namespace esx::transform::templating::functions::detail

#endif
