// esx::transform::detail: Go standard library behaviour (out of line).
#ifndef ESX_TRANSFORM_IMPL_GO_IPP
#define ESX_TRANSFORM_IMPL_GO_IPP

#include <esx/transform/detail/go.hpp>

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace esx::transform::detail {

ESX_DECL decoded_rune decode_rune(std::string_view s, std::size_t i) noexcept {
    auto const n = s.size() - i;
    auto const b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return {b0, 1};
    auto cont = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    // Go's accept ranges: the second byte's range depends on the first (no overlongs, no surrogates).
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (n < 2 || (cont(1) & 0xC0) != 0x80) return {rune_error, 1};
        return {static_cast<char32_t>(((b0 & 0x1F) << 6) | (cont(1) & 0x3F)), 2};
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        unsigned lo = 0x80, hi = 0xBF;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
        if (n < 2 || cont(1) < lo || cont(1) > hi) return {rune_error, 1};
        if (n < 3 || (cont(2) & 0xC0) != 0x80) return {rune_error, 1};
        return {static_cast<char32_t>(((b0 & 0x0F) << 12) | ((cont(1) & 0x3F) << 6) | (cont(2) & 0x3F)), 3};
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        unsigned lo = 0x80, hi = 0xBF;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
        if (n < 2 || cont(1) < lo || cont(1) > hi) return {rune_error, 1};
        if (n < 3 || (cont(2) & 0xC0) != 0x80) return {rune_error, 1};
        if (n < 4 || (cont(3) & 0xC0) != 0x80) return {rune_error, 1};
        return {static_cast<char32_t>(((b0 & 0x07) << 18) | ((cont(1) & 0x3F) << 12) | ((cont(2) & 0x3F) << 6) |
                                      (cont(3) & 0x3F)),
                4};
    }
    return {rune_error, 1};
}

namespace impl {
template <class String>
void append_rune_to(String& out, char32_t r) {
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = rune_error;
    if (r < 0x80) {
        out.push_back(static_cast<char>(r));
    } else if (r < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (r >> 6)));
        out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
    } else if (r < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (r >> 12)));
        out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (r >> 18)));
        out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
    }
}
} // namespace impl

ESX_DECL void append_rune(std::string& out, char32_t r) { impl::append_rune_to(out, r); }
ESX_DECL void append_rune(scratch& out, char32_t r) { impl::append_rune_to(out, r); }

ESX_DECL bool is_letter_or_number(char32_t r) {
    if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
    // RE2 and Go share the Unicode category tables (both generated from the UCD).
    static RE2 const letter_or_number("[\\p{L}\\p{N}]");
    std::string encoded;
    append_rune(encoded, r);
    return RE2::FullMatch(encoded, letter_or_number);
}

ESX_DECL bool is_print(char32_t r) {
    if (r < 0x80) return r >= 0x20 && r < 0x7F;
    static RE2 const printable("[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}]");
    std::string encoded;
    append_rune(encoded, r);
    return RE2::FullMatch(encoded, printable);
}

ESX_DECL std::string go_quote(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        auto const [r, w] = decode_rune(s, i);
        if (r == rune_error && w == 1) {
            auto const b = static_cast<unsigned char>(s[i]);
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0xF];
            i += 1;
            continue;
        }
        i += w;
        if (r == '"' || r == '\\') {
            out += '\\';
            out += static_cast<char>(r);
        } else if (is_print(r)) {
            append_rune(out, r);
        } else {
            switch (r) {
            case '\a': out += "\\a"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\v': out += "\\v"; break;
            default:
                if (r < 0x20 || r == 0x7F) {
                    out += "\\x";
                    out += hex[r >> 4];
                    out += hex[r & 0xF];
                } else {
                    int const digits = r > 0xFFFF ? 8 : 4;
                    out += digits == 8 ? "\\U" : "\\u";
                    for (int k = digits - 1; k >= 0; --k) out += hex[(r >> (4 * k)) & 0xF];
                }
            }
        }
    }
    return out + "\"";
}

ESX_DECL void append_json_string(scratch& out, std::string_view s, bool escape_html) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
                    out.append("\\u00");
                    out.push_back(hex[c >> 4]);
                    out.push_back(hex[c & 0xF]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
            }
            ++i;
            continue;
        }
        auto const [r, w] = decode_rune(s, i);
        if (r == rune_error && w == 1) out.append("\\ufffd");
        else if (r == 0x2028) out.append("\\u2028");
        else if (r == 0x2029) out.append("\\u2029");
        else out.append(s.substr(i, w));
        i += w;
    }
    out.push_back('"');
}

ESX_DECL std::string format_float_f(double f) {
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
    // Shortest round-trip digits (as Go's 'f', -1), laid out without an exponent. std::to_chars
    // in fixed form would print the exact binary value of large numbers (1e23 as 99999999999999991611392).
    char buf[64];
    auto const r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
    std::string out;
    if (sci.front() == '-') {
        out.push_back('-');
        sci.remove_prefix(1);
    }
    auto const e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.') digits.push_back(c);
    int exponent = 0;
    std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
    if (digits == "0") return out + "0";
    int const point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-point), '0');
        out += digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
        out += digits;
        out.append(static_cast<std::size_t>(point) - digits.size(), '0');
    } else {
        out += digits.substr(0, static_cast<std::size_t>(point));
        out += '.';
        out += digits.substr(static_cast<std::size_t>(point));
    }
    return out;
}

ESX_DECL std::string format_json_float(double f) {
    double const a = std::fabs(f);
    if (a == 0 || (a >= 1e-6 && a < 1e21)) return format_float_f(f);
    char buf[64];
    auto const r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string out(buf, r.ptr);
    auto const n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
    return out;
}

ESX_DECL double parse_float(std::string_view s) noexcept {
    if (s.empty()) return 0;
    std::string_view body = s;
    bool negative = false;
    if (body.front() == '+' || body.front() == '-') {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    auto iequals = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if ((a[i] | 0x20) != b[i]) return false;
        return true;
    };
    if (iequals(body, "inf") || iequals(body, "infinity"))
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    if (iequals(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
    // `_` between digits is accepted (strconv's underscoreOK), then ignored.
    std::string cleaned;
    if (body.find('_') != std::string_view::npos) {
        char saw = '^';
        std::size_t k = 0;
        bool hex = body.size() >= 2 && body[0] == '0' && (body[1] | 0x20) == 'x';
        if (body.size() >= 2 && body[0] == '0' && ((body[1] | 0x20) == 'x' || (body[1] | 0x20) == 'b' || (body[1] | 0x20) == 'o'))
            k = 2, saw = '0';
        for (; k < body.size(); ++k) {
            char const c = body[k];
            if ((c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
                saw = '0';
            } else if (c == '_') {
                if (saw != '0') return 0;
                saw = '_';
            } else {
                if (saw == '_') return 0;
                saw = '!';
            }
        }
        if (saw == '_') return 0;
        for (char c : body)
            if (c != '_') cleaned.push_back(c);
        body = cleaned;
    }
    // Hexadecimal: 0x mantissa with a mandatory p exponent.
    if (body.size() > 2 && body[0] == '0' && (body[1] | 0x20) == 'x') {
        std::string_view hexpart = body.substr(2);
        auto const p = hexpart.find_first_of("pP");
        if (p == std::string_view::npos) return 0;
        double v = 0;
        auto const r = std::from_chars(hexpart.data(), hexpart.data() + hexpart.size(), v, std::chars_format::hex);
        if (r.ptr != hexpart.data() + hexpart.size() && r.ec != std::errc::result_out_of_range) return 0;
        if (r.ec == std::errc::result_out_of_range) v = hexpart.substr(p + 1).starts_with('-') ? 0.0 : HUGE_VAL;
        return negative ? -v : v;
    }
    // Go's decimal syntax: digits [. digits] [e [sign] digits], at least one mantissa digit.
    std::size_t i = 0, mantissa = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++mantissa;
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++mantissa;
    }
    if (mantissa == 0) return 0;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
        std::size_t digits = 0;
        while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++digits;
        if (digits == 0) return 0;
    }
    if (i != body.size()) return 0;
    double v = 0;
    auto const r = std::from_chars(body.data(), body.data() + body.size(), v);
    if (r.ec == std::errc::result_out_of_range) {
        // Overflow is ±Inf in Go, underflow 0; from_chars leaves `v` alone, so tell them apart.
        auto const e = body.find_first_of("eE");
        bool const tiny = e != std::string_view::npos && body.substr(e + 1).starts_with('-');
        v = tiny ? 0.0 : std::numeric_limits<double>::infinity();
    }
    return negative ? -v : v;
}

ESX_DECL std::string quote_char(unsigned char c) {
    if (c == '\'') return "'\\''";
    if (c == '"') return "'\"'";
    // strconv.Quote(string(rune(c))) without its double quotes: the byte is read as a Latin-1 rune.
    static constexpr char hex[] = "0123456789abcdef";
    std::string s = "'";
    switch (c) {
    case '\a': s += "\\a"; break;
    case '\b': s += "\\b"; break;
    case '\f': s += "\\f"; break;
    case '\n': s += "\\n"; break;
    case '\r': s += "\\r"; break;
    case '\t': s += "\\t"; break;
    case '\v': s += "\\v"; break;
    case '\\': s += "\\\\"; break;
    default:
        if (c < 0x20 || c == 0x7F) {
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 0xF];
        } else if (c >= 0x80 && !is_print(c)) {  // C1 controls, NBSP, soft hyphen
            s += "\\u00";
            s += hex[c >> 4];
            s += hex[c & 0xF];
        } else {
            append_rune(s, c);
        }
    }
    return s + "'";
}

} // namespace esx::transform::detail

#endif
