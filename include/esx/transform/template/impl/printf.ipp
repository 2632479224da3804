// esx::transform::templating::detail::sprintf (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_PRINTF_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_PRINTF_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/printf.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace esx::transform::templating::detail {

namespace {

/// A decimal digit string and the position of the decimal point (Go's decimalSlice).
struct decimal_digits {
    std::string digits;  ///< no leading zeros; empty for zero
    int dp = 0;          ///< the value is 0.digits × 10^dp
    bool negative = false;
};

decimal_digits shortest_digits(double f) {
    decimal_digits d;
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    if (s.front() == '-') {
        d.negative = true;
        s.remove_prefix(1);
    }
    auto const e = s.find('e');
    for (char c : s.substr(0, e))
        if (c != '.') d.digits.push_back(c);
    int const exp = std::atoi(std::string(s.substr(e + 1)).c_str());
    while (!d.digits.empty() && d.digits.back() == '0') d.digits.pop_back();
    d.dp = d.digits.empty() ? 0 : exp + 1;
    return d;
}

/// `f` rounded to `n` significant digits (n >= 1), trailing zeros removed. A double has at
/// most 767 significant decimal digits, so more than 800 add only zeros.
decimal_digits rounded_digits(double f, int n) {
    n = std::min(n, 800);
    decimal_digits d;
    std::string buf(static_cast<std::size_t>(n) + 32, '\0');
    int const len = std::snprintf(buf.data(), buf.size(), "%.*e", n - 1, f);
    std::string_view s(buf.data(), static_cast<std::size_t>(len));
    if (s.front() == '-') {
        d.negative = true;
        s.remove_prefix(1);
    }
    auto const e = s.find('e');
    for (char c : s.substr(0, e))
        if (c != '.') d.digits.push_back(c);
    int const exp = std::atoi(std::string(s.substr(e + 1)).c_str());
    while (!d.digits.empty() && d.digits.back() == '0') d.digits.pop_back();
    d.dp = d.digits.empty() ? 0 : exp + 1;
    return d;
}

void format_e(std::string& out, decimal_digits const& d, int prec, char e) {
    out.push_back(d.digits.empty() ? '0' : d.digits[0]);
    if (prec > 0) {
        out.push_back('.');
        for (int i = 1; i <= prec; ++i)
            out.push_back(static_cast<std::size_t>(i) < d.digits.size() ? d.digits[static_cast<std::size_t>(i)] : '0');
    }
    out.push_back(e);
    int exp = d.digits.empty() ? 0 : d.dp - 1;
    out.push_back(exp < 0 ? '-' : '+');
    if (exp < 0) exp = -exp;
    if (exp < 10) out.push_back('0');
    out += std::to_string(exp);
}

void format_f(std::string& out, decimal_digits const& d, int prec) {
    if (d.dp > 0) {
        for (int i = 0; i < d.dp; ++i)
            out.push_back(static_cast<std::size_t>(i) < d.digits.size() ? d.digits[static_cast<std::size_t>(i)] : '0');
    } else {
        out.push_back('0');
    }
    if (prec > 0) {
        out.push_back('.');
        for (int i = 1; i <= prec; ++i) {
            int const j = d.dp + i - 1;
            out.push_back(j >= 0 && static_cast<std::size_t>(j) < d.digits.size() ? d.digits[static_cast<std::size_t>(j)] : '0');
        }
    }
}

} // namespace

ESX_DECL std::string format_float(double f, char verb, int prec) {
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
    std::string out;
    char const lower = static_cast<char>(verb | 0x20);
    bool const upper = verb == 'E' || verb == 'G';
    if (lower == 'f' && prec >= 0) {
        // A double's exact decimal expansion ends within 1074 fractional digits: print that
        // many at most and pad with zeros (keeps a huge precision linear and cheap).
        int const exact = std::min(prec, 1100);
        std::string buf(static_cast<std::size_t>(exact) + 400, '\0');
        int const len = std::snprintf(buf.data(), buf.size(), "%.*f", exact, f);
        buf.resize(static_cast<std::size_t>(len));
        buf.append(static_cast<std::size_t>(prec - exact), '0');
        return buf;
    }
    decimal_digits d;
    bool const shortest = prec < 0;
    if (shortest) {
        d = shortest_digits(f);
    } else if (lower == 'e') {
        d = rounded_digits(f, prec + 1);
    } else {
        if (prec == 0) prec = 1;
        d = rounded_digits(f, prec);
    }
    if (d.negative) out.push_back('-');
    int const nd = static_cast<int>(d.digits.size());
    switch (lower) {
    case 'e': format_e(out, d, shortest ? std::max(nd - 1, 0) : prec, upper ? 'E' : 'e'); break;
    case 'f': format_f(out, d, std::max(nd - d.dp, 0)); break;
    default: {  // g
        int eprec = shortest ? 6 : prec;
        if (!shortest && eprec > nd && nd >= d.dp) eprec = nd;
        int const exp = d.dp - 1;
        int p = shortest ? nd : prec;
        if (!d.digits.empty() && (exp < -4 || exp >= eprec)) {
            if (p > nd) p = nd;
            format_e(out, d, std::max(p - 1, 0), upper ? 'E' : 'e');
        } else {
            if (p > d.dp) p = nd;
            format_f(out, d, std::max(p - d.dp, 0));
        }
    }
    }
    return out;
}

namespace {

struct format_spec {
    bool plus = false, minus = false, sharp = false, space = false, zero = false;
    int width = -1;
    int prec = -1;
    char verb = 'v';
};

std::size_t rune_count(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++n) i += transform::detail::decode_rune(s, i).width;
    return n;
}

/// Pads to the width: spaces on the left, on the right with '-', or zeros (after a sign) with '0'.
void pad(text& out, std::string_view s, format_spec const& sp, bool numeric) {
    auto const n = rune_count(s);
    if (sp.width < 0 || n >= static_cast<std::size_t>(sp.width)) {
        out.append(s);
        return;
    }
    std::size_t const fill = static_cast<std::size_t>(sp.width) - n;
    if (sp.minus) {
        out.append(s);
        out.append(fill, ' ');
    } else if (sp.zero) {
        std::size_t sign = 0;
        if (numeric && !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) sign = 1;
        out.append(s.substr(0, sign));
        out.append(fill, '0');
        out.append(s.substr(sign));
    } else {
        out.append(fill, ' ');
        out.append(s);
    }
}

std::string integer_digits(std::uint64_t u, int base, bool upper) {
    if (u == 0) return "0";
    char const* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string s;
    while (u) {
        s.insert(s.begin(), digits[u % static_cast<unsigned>(base)]);
        u /= static_cast<unsigned>(base);
    }
    return s;
}

void format_integer(text& out, std::int64_t v, format_spec sp) {
    bool const negative = v < 0;
    std::uint64_t const u = negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    int base = 10;
    switch (sp.verb) {
    case 'b': base = 2; break;
    case 'o':
    case 'O': base = 8; break;
    case 'x':
    case 'X': base = 16; break;
    default: break;
    }
    std::string digits = integer_digits(u, base, sp.verb == 'X');
    if (sp.prec >= 0) {
        if (sp.prec == 0 && u == 0) digits.clear();
        if (digits.size() < static_cast<std::size_t>(sp.prec))
            digits.insert(0, static_cast<std::size_t>(sp.prec) - digits.size(), '0');
        sp.zero = false;  // precision overrides zero padding
    }
    std::string prefix;
    if (sp.verb == 'O') prefix = "0o";
    if (sp.sharp) {
        if (sp.verb == 'b') prefix = "0b";
        if (sp.verb == 'o' && (digits.empty() || digits[0] != '0')) prefix = "0";
        if (sp.verb == 'x') prefix = "0x";
        if (sp.verb == 'X') prefix = "0X";
    }
    std::string s;
    if (negative)
        s = "-";
    else if (sp.plus)
        s = "+";
    else if (sp.space)
        s = " ";
    if (sp.zero && !sp.minus && sp.width > 0) {
        // Zero padding goes between the sign/prefix and the digits.
        auto const used = s.size() + prefix.size() + digits.size();
        if (used < static_cast<std::size_t>(sp.width)) digits.insert(0, static_cast<std::size_t>(sp.width) - used, '0');
    }
    s += prefix;
    s += digits;
    format_spec plain = sp;
    plain.zero = false;
    pad(out, s, plain, true);
}

void format_string(text& out, std::string_view s, format_spec const& sp);

void append_hex(std::string& out, std::string_view s, format_spec const& sp) {
    char const* digits = sp.verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    std::size_t n = s.size();
    if (sp.prec >= 0 && static_cast<std::size_t>(sp.prec) < n) n = static_cast<std::size_t>(sp.prec);
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0 && sp.space) out.push_back(' ');
        if (sp.sharp && (i == 0 || sp.space)) out += sp.verb == 'X' ? "0X" : "0x";
        auto const c = static_cast<unsigned char>(s[i]);
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xF]);
    }
}

bool can_backquote(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto const d = transform::detail::decode_rune(s, i);
        if (d.rune == transform::detail::rune_error && d.width == 1) return false;
        if (d.rune == '`' || d.rune == 0xFEFF) return false;
        if (d.rune < ' ' && d.rune != '\t') return false;
        if (d.rune == 0x7F) return false;
        i += d.width;
    }
    return true;
}

std::string quote_ascii(std::string_view s) {
    // strconv.QuoteToASCII: like Quote, with every non-ASCII rune escaped.
    std::string q = transform::detail::go_quote(s);
    std::string out;
    for (std::size_t i = 0; i < q.size();) {
        auto const d = transform::detail::decode_rune(q, i);
        if (d.rune < 0x80) {
            out.push_back(q[i]);
        } else {
            char buf[16];
            if (d.rune <= 0xFFFF)
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(d.rune));
            else
                std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(d.rune));
            out += buf;
        }
        i += d.width;
    }
    return out;
}

void format_string(text& out, std::string_view s, format_spec const& sp) {
    switch (sp.verb) {
    case 'v':
    case 's': {
        if (sp.prec >= 0) {
            std::size_t i = 0;
            for (int n = 0; n < sp.prec && i < s.size(); ++n) i += transform::detail::decode_rune(s, i).width;
            s = s.substr(0, i);
        }
        pad(out, s, sp, false);
        return;
    }
    case 'q': {
        if (sp.prec >= 0) {
            std::size_t i = 0;
            for (int n = 0; n < sp.prec && i < s.size(); ++n) i += transform::detail::decode_rune(s, i).width;
            s = s.substr(0, i);
        }
        std::string q;
        if (sp.sharp && can_backquote(s))
            q = "`" + std::string(s) + "`";
        else if (sp.plus)
            q = quote_ascii(s);
        else
            q = transform::detail::go_quote(s);
        pad(out, q, sp, false);
        return;
    }
    default: {  // x, X
        std::string h;
        append_hex(h, s, sp);
        pad(out, h, sp, false);
        return;
    }
    }
}

void format_value(text& out, value const& v, format_spec sp, int depth);

void bad_verb(text& out, value const& v, char verb) {
    out.append("%!");
    out.push_back(verb);
    out.push_back('(');
    if (v.is_nil()) {
        out.append("<nil>");
    } else {
        out.append(go_type_name(v.kind()));
        out.push_back('=');
        format_spec plain;
        format_value(out, v, plain, 0);
    }
    out.push_back(')');
}

void format_value(text& out, value const& v, format_spec sp, int depth) {
    char const verb = sp.verb;
    switch (v.kind()) {
    case kind::nil:
        if (verb == 'v') {
            pad(out, "<nil>", sp, false);
            return;
        }
        if (verb == 'T') {
            pad(out, "<nil>", sp, false);
            return;
        }
        bad_verb(out, v, verb);
        return;
    case kind::boolean:
        if (verb == 'v' || verb == 't') {
            pad(out, v.as_bool() ? "true" : "false", sp, false);
            return;
        }
        bad_verb(out, v, verb);
        return;
    case kind::integer:
    case kind::int64: {
        auto const i = v.as_int();
        switch (verb) {
        case 'v':
        case 'd':
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X': {
            format_spec s = sp;
            if (verb == 'v') s.verb = 'd';
            if (verb == 'v' && sp.sharp) s.sharp = false;
            format_integer(out, i, s);
            return;
        }
        case 'c': {
            std::string r;
            transform::detail::append_rune(r, static_cast<char32_t>(i < 0 || i > 0x10FFFF ? 0xFFFD : i));
            pad(out, r, sp, false);
            return;
        }
        case 'q': {
            std::string r;
            transform::detail::append_rune(r, static_cast<char32_t>(i < 0 || i > 0x10FFFF ? 0xFFFD : i));
            // strconv.QuoteRune: like Quote with single quotes
            std::string q = transform::detail::go_quote(r);
            q = q.substr(1, q.size() - 2);
            if (q == "\\\"") q = "\"";
            if (q == "'") q = "\\'";
            pad(out, "'" + q + "'", sp, false);
            return;
        }
        case 'U': {
            char buf[32];
            std::snprintf(buf, sizeof buf, "U+%04llX", static_cast<unsigned long long>(i));
            std::string s = buf;
            if (sp.sharp && i >= 0 && i <= 0x10FFFF && transform::detail::is_print(static_cast<char32_t>(i))) {
                s += " '";
                transform::detail::append_rune(s, static_cast<char32_t>(i));
                s += "'";
            }
            pad(out, s, sp, false);
            return;
        }
        default: bad_verb(out, v, verb); return;
        }
    }
    case kind::float64: {
        auto const f = v.as_float();
        std::string s;
        switch (verb) {
        case 'v': s = format_float(f, 'g', sp.prec); break;
        case 'e':
        case 'E':
        case 'f':
        case 'F':
            s = format_float(f, verb == 'F' ? 'f' : verb, sp.prec < 0 ? 6 : sp.prec);
            break;
        case 'g':
        case 'G': s = format_float(f, verb, sp.prec); break;
        default: bad_verb(out, v, verb); return;
        }
        if (sp.plus && !s.empty() && s[0] != '-' && s[0] != '+') s.insert(s.begin(), '+');
        else if (sp.space && !s.empty() && s[0] != '-' && s[0] != '+') s.insert(s.begin(), ' ');
        if (!sp.plus && s == "+Inf") s = "+Inf";
        pad(out, s, sp, std::isfinite(f));
        return;
    }
    case kind::string:
        if (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
            format_string(out, v.as_string(), sp);
            return;
        }
        bad_verb(out, v, verb);
        return;
    case kind::time: {
        // time.Time is a fmt.Stringer: %v %s %q %x %X format its String().
        if (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
            auto const s = sprint(v);
            format_string(out, s.view(), sp);
            return;
        }
        bad_verb(out, v, verb);
        return;
    }
    case kind::bytes:
        if (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
            format_string(out, v.as_string(), sp);
            return;
        }
        [[fallthrough]];
    case kind::list:
    case kind::string_list: {
        // fmt applies the verb to each element: [e1 e2].
        text inner;
        inner.push_back('[');
        auto const n = v.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (i) inner.push_back(' ');
            format_spec e = sp;
            e.width = sp.width;
            format_value(inner, v.element(i), e, depth + 1);
        }
        inner.push_back(']');
        out.append(inner.view());
        return;
    }
    case kind::dict:
    case kind::string_map: {
        text inner;
        inner.append("map[");
        bool first = true;
        auto entry = [&](std::string_view k, value const& e) {
            if (!first) inner.push_back(' ');
            first = false;
            format_value(inner, value::string(k), sp, depth + 1);
            inner.push_back(':');
            format_value(inner, e, sp, depth + 1);
        };
        if (v.kind() == kind::dict)
            for (auto const& [k, e] : v.as_dict()) entry(k, e);
        else
            for (auto const& [k, e] : v.as_string_map()) entry(k, value::string(e));
        inner.push_back(']');
        out.append(inner.view());
        return;
    }
    }
}

} // namespace

ESX_DECL text sprintf(std::string_view format, std::span<value const> args, std::size_t max_bytes) {
    text out;
    std::size_t arg = 0;
    bool reordered = false;
    std::size_t const n = format.size();
    std::size_t i = 0;
    // Go's parsenum: digits while the number so far is at most 1e6 (so up to 8 digits);
    // past that it is an overflow that swallows the rest of the format.
    auto parse_number = [&](std::size_t& at, int& value_out) {
        if (at >= n || format[at] < '0' || format[at] > '9') return false;
        long long v = 0;
        while (at < n && format[at] >= '0' && format[at] <= '9') {
            if (v > 1000000) {
                at = n;
                return false;
            }
            v = v * 10 + (format[at] - '0');
            ++at;
        }
        value_out = static_cast<int>(v);
        return true;
    };
    // "[n]" argument index; returns false on a malformed index.
    auto arg_index = [&](std::size_t& at, bool& good) {
        good = true;
        if (at >= n || format[at] != '[') return;
        reordered = true;
        auto const close = format.find(']', at);
        if (close == std::string_view::npos) {
            good = false;
            at = n;
            return;
        }
        int idx = 0;
        std::size_t p = at + 1;
        if (!parse_number(p, idx) || p != close || idx < 1 || static_cast<std::size_t>(idx) > args.size()) {
            good = false;
            at = close + 1;
            return;
        }
        arg = static_cast<std::size_t>(idx - 1);
        at = close + 1;
    };
    while (i < n) {
        if (out.size() > max_bytes) return out;  // the caller refuses it; stop building
        auto const pct = format.find('%', i);
        if (pct == std::string_view::npos) {
            out.append(format.substr(i));
            break;
        }
        out.append(format.substr(i, pct - i));
        i = pct + 1;
        format_spec sp;
        // flags
        for (; i < n; ++i) {
            char const c = format[i];
            if (c == '#') sp.sharp = true;
            else if (c == '0') sp.zero = !sp.minus;
            else if (c == '+') sp.plus = true;
            else if (c == '-') {
                sp.minus = true;
                sp.zero = false;
            } else if (c == ' ') sp.space = true;
            else break;
        }
        bool good_index = true;
        arg_index(i, good_index);
        bool bad_width = false, bad_prec = false;
        if (i < n && format[i] == '*') {
            ++i;
            if (arg < args.size() && args[arg].is_integral() && args[arg].as_int() <= 1000000 &&
                args[arg].as_int() >= -1000000) {
                auto w = args[arg].as_int();
                if (w < 0) {
                    sp.minus = true;
                    sp.zero = false;
                    w = -w;
                }
                sp.width = static_cast<int>(w);
            } else {
                bad_width = true;
            }
            ++arg;
        } else {
            int w = 0;
            if (parse_number(i, w)) sp.width = w;
        }
        if (i < n && format[i] == '.') {
            ++i;
            bool g = true;
            arg_index(i, g);
            good_index = good_index && g;
            if (i < n && format[i] == '*') {
                ++i;
                if (arg < args.size() && args[arg].is_integral() && args[arg].as_int() <= 1000000) {
                    auto p = args[arg].as_int();
                    sp.prec = p < 0 ? -1 : static_cast<int>(p);
                    if (p < 0) bad_prec = true;
                } else {
                    bad_prec = true;
                }
                ++arg;
            } else {
                int p = 0;
                sp.prec = parse_number(i, p) ? p : 0;
            }
        }
        if (good_index) arg_index(i, good_index);
        if (bad_width) out.append("%!(BADWIDTH)");
        if (bad_prec) out.append("%!(BADPREC)");
        if (i >= n) {
            out.append("%!(NOVERB)");
            break;
        }
        auto const verb_rune = transform::detail::decode_rune(format, i);
        i += verb_rune.width;
        if (verb_rune.rune == '%') {
            out.push_back('%');
            continue;
        }
        std::string verb_text;
        transform::detail::append_rune(verb_text, verb_rune.rune);
        if (!good_index) {
            out.append("%!" + verb_text + "(BADINDEX)");
            continue;
        }
        if (arg >= args.size()) {
            out.append("%!" + verb_text + "(MISSING)");
            continue;
        }
        auto const& a = args[arg++];
        if (verb_rune.rune >= 0x80) {
            out.append("%!" + verb_text + "(");
            if (a.is_nil()) {
                out.append("<nil>");
            } else {
                out.append(go_type_name(a.kind()));
                out.push_back('=');
                append_sprint(out, a);
            }
            out.push_back(')');
            continue;
        }
        sp.verb = static_cast<char>(verb_rune.rune);
        if ((sp.width > 0 && static_cast<std::size_t>(sp.width) > max_bytes) ||
            (sp.prec > 0 && static_cast<std::size_t>(sp.prec) > max_bytes && sp.verb != 's' && sp.verb != 'q' && sp.verb != 'v')) {
            // The result cannot fit: say so by length, without building megabytes of padding.
            if (out.size() <= max_bytes) out.append(max_bytes + 1 - out.size(), ' ');
            return out;
        }
        if (sp.verb == 'T') {
            pad(out, go_type_name(a.kind()), sp, false);
            continue;
        }
        if (sp.verb == 'v' && sp.plus) sp.plus = false;  // %+v: only structs differ
        format_value(out, a, sp, 0);
    }
    if (!reordered && arg < args.size()) {
        out.append("%!(EXTRA ");
        for (std::size_t k = arg; k < args.size(); ++k) {
            if (k > arg) out.append(", ");
            if (args[k].is_nil()) {
                out.append("<nil>");
            } else {
                out.append(go_type_name(args[k].kind()));
                out.push_back('=');
                append_sprint(out, args[k]);
            }
        }
        out.push_back(')');
    }
    return out;
}

} // namespace esx::transform::templating::detail

#endif
