// esx::transform::templating::detail: Go literal syntax (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_LITERALS_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_LITERALS_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/literals.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace esx::transform::templating::detail {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto const d = transform::detail::decode_rune(s, i);
        if (d.rune == transform::detail::rune_error && d.width == 1) return false;
        i += d.width;
    }
    return true;
}

/// strconv's underscoreOK: underscores only between digits (a base prefix counts as one).
bool underscores_ok(std::string_view s) noexcept {
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
        char const c = s[i];
        if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0') return false;
            saw = '_';
            continue;
        }
        if (saw == '_') return false;
        saw = '!';
    }
    return saw != '_';
}

/// ParseUint's digits after sign handling, base 0.
std::optional<std::uint64_t> parse_unsigned_base0(std::string_view s) {
    if (s.empty()) return std::nullopt;
    auto const original = s;
    unsigned base = 10;
    if (s[0] == '0') {
        if (s.size() >= 3 && lower(s[1]) == 'b') {
            base = 2;
            s.remove_prefix(2);
        } else if (s.size() >= 3 && lower(s[1]) == 'o') {
            base = 8;
            s.remove_prefix(2);
        } else if (s.size() >= 3 && lower(s[1]) == 'x') {
            base = 16;
            s.remove_prefix(2);
        } else {
            base = 8;
            s.remove_prefix(1);
        }
    }
    bool underscores = false;
    std::uint64_t n = 0;
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    for (char c : s) {
        unsigned d;
        if (c == '_') {
            underscores = true;
            continue;
        }
        auto const h = hex_value(c);
        if (h < 0) return std::nullopt;
        d = static_cast<unsigned>(h);
        if (d >= base) return std::nullopt;
        if (n > (max - d) / base) return std::nullopt;  // overflow
        n = n * base + d;
    }
    if (underscores && !underscores_ok(original)) return std::nullopt;
    return n;
}

} // namespace

ESX_DECL std::optional<unquoted_char> unquote_char(std::string_view s, char quote) {
    if (s.empty()) return std::nullopt;
    auto const c = static_cast<unsigned char>(s[0]);
    if (c == static_cast<unsigned char>(quote) && (quote == '\'' || quote == '"')) return std::nullopt;
    if (c >= 0x80) {
        auto const d = transform::detail::decode_rune(s, 0);
        return unquoted_char{d.rune, true, s.substr(d.width)};
    }
    if (c != '\\') return unquoted_char{c, false, s.substr(1)};
    if (s.size() <= 1) return std::nullopt;
    char const e = s[1];
    s.remove_prefix(2);
    char32_t value = 0;
    bool multibyte = false;
    switch (e) {
    case 'a': value = '\a'; break;
    case 'b': value = '\b'; break;
    case 'f': value = '\f'; break;
    case 'n': value = '\n'; break;
    case 'r': value = '\r'; break;
    case 't': value = '\t'; break;
    case 'v': value = '\v'; break;
    case 'x':
    case 'u':
    case 'U': {
        std::size_t const n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (s.size() < n) return std::nullopt;
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < n; ++j) {
            auto const h = hex_value(s[j]);
            if (h < 0) return std::nullopt;
            v = (v << 4) | static_cast<std::uint32_t>(h);
        }
        s.remove_prefix(n);
        if (e == 'x') {
            value = v;  // a single byte, possibly not UTF-8
            break;
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return std::nullopt;
        value = v;
        multibyte = true;
        break;
    }
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        std::uint32_t v = static_cast<std::uint32_t>(e - '0');
        if (s.size() < 2) return std::nullopt;
        for (std::size_t j = 0; j < 2; ++j) {
            int const x = s[j] - '0';
            if (x < 0 || x > 7) return std::nullopt;
            v = (v << 3) | static_cast<std::uint32_t>(x);
        }
        s.remove_prefix(2);
        if (v > 255) return std::nullopt;
        value = v;
        break;
    }
    case '\\': value = '\\'; break;
    case '\'':
    case '"':
        if (e != quote) return std::nullopt;
        value = static_cast<char32_t>(e);
        break;
    default: return std::nullopt;
    }
    return unquoted_char{value, multibyte, s};
}

ESX_DECL std::optional<std::string> unquote(std::string_view in) {
    if (in.size() < 2) return std::nullopt;
    char const quote = in[0];
    auto const close = in.find(quote, 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::size_t const end = close + 1;  // after the terminating quote (may be wrong if escapes are present)
    if (quote == '`') {
        if (end != in.size()) return std::nullopt;
        std::string out;
        for (std::size_t i = 1; i + 1 < end; ++i)
            if (in[i] != '\r') out.push_back(in[i]);  // raw strings drop carriage returns
        return out;
    }
    if (quote != '"' && quote != '\'') return std::nullopt;
    auto const body = in.substr(0, end);
    if (body.find('\\') == std::string_view::npos && body.find('\n') == std::string_view::npos) {
        bool valid = false;
        auto const inner = in.substr(1, end - 2);
        if (quote == '"') {
            valid = valid_utf8(inner);
        } else if (!inner.empty()) {
            auto const d = transform::detail::decode_rune(inner, 0);
            valid = d.width == inner.size() && !(d.rune == transform::detail::rune_error && d.width == 1);
        }
        if (valid) {
            if (end != in.size()) return std::nullopt;
            return std::string(inner);
        }
    }
    std::string buf;
    auto rest = in.substr(1);
    while (!rest.empty() && rest[0] != quote) {
        if (rest[0] == '\n') return std::nullopt;
        auto const c = unquote_char(rest, quote);
        if (!c) return std::nullopt;
        rest = c->tail;
        if (c->value < 0x80 || !c->multibyte)
            buf.push_back(static_cast<char>(c->value));
        else
            transform::detail::append_rune(buf, c->value);
        if (quote == '\'') break;
    }
    if (rest.empty() || rest[0] != quote) return std::nullopt;
    rest.remove_prefix(1);
    if (!rest.empty()) return std::nullopt;
    return buf;
}

ESX_DECL std::optional<std::uint64_t> parse_go_uint(std::string_view s) { return parse_unsigned_base0(s); }

ESX_DECL std::optional<std::int64_t> parse_go_int(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool negative = false;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    auto const u = parse_unsigned_base0(s);
    if (!u) return std::nullopt;
    constexpr std::uint64_t cutoff = std::uint64_t{1} << 63;
    if (!negative && *u >= cutoff) return std::nullopt;
    if (negative && *u > cutoff) return std::nullopt;
    if (negative) return *u == cutoff ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(*u);
    return static_cast<std::int64_t>(*u);
}

ESX_DECL std::optional<double> parse_go_float(std::string_view s) {
    if (s.empty()) return std::nullopt;
    auto const original = s;
    std::string clean;
    std::size_t i = 0;
    if (s[0] == '+' || s[0] == '-') clean.push_back(s[i++]);
    bool hex = false;
    if (s.size() >= i + 2 && s[i] == '0' && lower(s[i + 1]) == 'x') {
        hex = true;
        clean += "0x";
        i += 2;
    }
    bool underscores = false, digits = false, exponent = false, point = false;
    for (; i < s.size(); ++i) {
        char const c = s[i];
        if (c == '_') {
            underscores = true;
            continue;
        }
        if ((c >= '0' && c <= '9') || (hex && !exponent && hex_value(c) >= 0)) {
            digits = true;
        } else if (c == '.' && !point && !exponent) {
            point = true;
        } else if (!exponent && digits && ((hex && lower(c) == 'p') || (!hex && lower(c) == 'e'))) {
            exponent = true;
            clean.push_back(c);
            if (i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-')) clean.push_back(s[++i]);
            if (i + 1 >= s.size()) return std::nullopt;  // exponent without digits
            continue;
        } else {
            return std::nullopt;
        }
        clean.push_back(c);
    }
    if (!digits) return std::nullopt;
    if (hex && !exponent) return std::nullopt;  // Go: hexadecimal mantissa requires a 'p' exponent
    if (underscores && !underscores_ok(original)) return std::nullopt;
    errno = 0;
    char* stop = nullptr;
    double const f = std::strtod(clean.c_str(), &stop);
    if (stop != clean.c_str() + clean.size()) return std::nullopt;
    if (errno == ERANGE && std::isinf(f)) return std::nullopt;  // overflow (underflow is a value)
    return f;
}

} // namespace esx::transform::templating::detail

#endif
