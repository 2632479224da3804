// esx::transform::templating::functions: toYaml (go-yaml v2's emitter) and fromYaml (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_YAML_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_YAML_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/printf.hpp>
#include <esx/transform/template/functions/detail/go_json_value.hpp>
#include <esx/transform/template/functions/detail/go_time.hpp>
#include <esx/transform/template/functions/yaml.hpp>
#include <esx/yaml.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace esx::transform::templating::functions {
namespace detail {
namespace yaml_emit {

enum class style { plain, single_quoted, double_quoted, literal };

/// One node of the document go-yaml emits (after the JSON round trip: string keys only).
struct node {
    struct entry;  // not std::pair<node, node>: clang 14 wants a pair's members complete here
    enum class type { scalar, sequence, mapping } t = type::scalar;
    text scalar;
    style requested = style::plain;
    std::vector<node> items;
    std::vector<entry> entries;
};
struct node::entry {
    node key, value;
};

// go-yaml's byte classes (yamlprivateh.go); reads past the end see NUL.
inline unsigned char at(std::string_view b, std::size_t i) {
    return i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
}
inline std::size_t width(unsigned char c) {
    return (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}
inline bool is_printable(std::string_view b, std::size_t i) {
    auto const c = at(b, i), c1 = at(b, i + 1), c2 = at(b, i + 2);
    return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && c1 >= 0xA0) || (c > 0xC2 && c < 0xED) ||
           (c == 0xED && c1 < 0xA0) || c == 0xEE ||
           (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}
inline bool is_space(std::string_view b, std::size_t i) { return at(b, i) == ' '; }
inline bool is_blank(std::string_view b, std::size_t i) { return at(b, i) == ' ' || at(b, i) == '\t'; }
inline bool is_break(std::string_view b, std::size_t i) {
    auto const c = at(b, i), c1 = at(b, i + 1), c2 = at(b, i + 2);
    return c == '\r' || c == '\n' || (c == 0xC2 && c1 == 0x85) || (c == 0xE2 && c1 == 0x80 && (c2 == 0xA8 || c2 == 0xA9));
}
inline bool is_blankz(std::string_view b, std::size_t i) { return is_blank(b, i) || is_break(b, i) || at(b, i) == 0; }
inline bool is_bom(std::string_view b, std::size_t) { return at(b, 0) == 0xEF && at(b, 1) == 0xBB && at(b, 2) == 0xBF; }

struct analysis {
    bool multiline = false, flow_plain_allowed = false, block_plain_allowed = true, single_quoted_allowed = true,
         block_allowed = false;
};

/// go-yaml's yaml_emitter_analyze_scalar (unicode output on).
inline analysis analyze(std::string_view value) {
    analysis a;
    if (value.empty()) return a;
    bool block_indicators = false, flow_indicators = false, line_breaks = false, special_characters = false;
    bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
    bool break_space = false, space_break = false, previous_space = false, previous_break = false;
    if (value.size() >= 3 && (value.starts_with("---") || value.starts_with("..."))) block_indicators = flow_indicators = true;
    bool preceded_by_whitespace = true;
    for (std::size_t i = 0, w = 0; i < value.size(); i += w) {
        w = width(at(value, i));
        bool const followed_by_whitespace = i + w >= value.size() || is_blank(value, i + w);
        char const c = value[i];
        if (i == 0) {
            switch (c) {
            case '#': case ',': case '[': case ']': case '{': case '}': case '&': case '*': case '!': case '|':
            case '>': case '\'': case '"': case '%': case '@': case '`':
                flow_indicators = block_indicators = true;
                break;
            case '?': case ':':
                flow_indicators = true;
                if (followed_by_whitespace) block_indicators = true;
                break;
            case '-':
                if (followed_by_whitespace) flow_indicators = block_indicators = true;
                break;
            default: break;
            }
        } else {
            switch (c) {
            case ',': case '?': case '[': case ']': case '{': case '}': flow_indicators = true; break;
            case ':':
                flow_indicators = true;
                if (followed_by_whitespace) block_indicators = true;
                break;
            case '#':
                if (preceded_by_whitespace) flow_indicators = block_indicators = true;
                break;
            default: break;
            }
        }
        if (!is_printable(value, i)) special_characters = true;
        if (is_space(value, i)) {
            if (i == 0) leading_space = true;
            if (i + w == value.size()) trailing_space = true;
            if (previous_break) break_space = true;
            previous_space = true;
            previous_break = false;
        } else if (is_break(value, i)) {
            line_breaks = true;
            if (i == 0) leading_break = true;
            if (i + w == value.size()) trailing_break = true;
            if (previous_space) space_break = true;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = previous_break = false;
        }
        preceded_by_whitespace = is_blankz(value, i);
    }
    a.multiline = line_breaks;
    a.flow_plain_allowed = a.block_plain_allowed = a.single_quoted_allowed = a.block_allowed = true;
    if (leading_space || leading_break || trailing_space || trailing_break) a.flow_plain_allowed = a.block_plain_allowed = false;
    if (trailing_space) a.block_allowed = false;
    if (break_space) a.flow_plain_allowed = a.block_plain_allowed = a.single_quoted_allowed = false;
    if (space_break || special_characters)
        a.flow_plain_allowed = a.block_plain_allowed = a.single_quoted_allowed = a.block_allowed = false;
    if (line_breaks) a.flow_plain_allowed = a.block_plain_allowed = false;
    if (flow_indicators) a.flow_plain_allowed = false;
    if (block_indicators) a.block_plain_allowed = false;
    return a;
}

/// go-yaml v2's emitter for block documents (best_indent 2, best_width 80, unicode).
class emitter {
public:
    text out;

    void document(node const& root) {
        emit(root, true, false, false, false);
        write_indent();  // document end
    }

private:
    static constexpr int best_indent = 2;
    static constexpr int best_width = 80;
    int column_ = 0;
    int indent_ = -1;
    std::vector<int> indents_;
    bool whitespace_ = true, indention_ = true;
    int flow_level_ = 0;
    bool mapping_context_ = false, simple_key_context_ = false;

    void put(char c) {
        out.push_back(c);
        ++column_;
    }
    void put_break() {
        out.push_back('\n');
        column_ = 0;
    }
    void write(std::string_view s, std::size_t& i) {
        std::size_t const w = std::min(width(at(s, i)), s.size() - i);
        out.append(s.substr(i, w));
        ++column_;
        i += w;
    }
    void write_all(std::string_view s) {
        for (std::size_t i = 0; i < s.size();) write(s, i);
    }
    void write_break(std::string_view s, std::size_t& i) {
        if (s[i] == '\n') {
            put_break();
            ++i;
        } else {
            write(s, i);
            column_ = 0;
        }
    }
    void increase_indent(bool flow, bool indentless) {
        indents_.push_back(indent_);
        if (indent_ < 0) indent_ = flow ? best_indent : 0;
        else if (!indentless) indent_ += best_indent;
    }
    void pop_indent() {
        indent_ = indents_.back();
        indents_.pop_back();
    }
    void write_indent() {
        int const indent = std::max(indent_, 0);
        if (!indention_ || column_ > indent || (column_ == indent && !whitespace_)) put_break();
        while (column_ < indent) put(' ');
        whitespace_ = indention_ = true;
    }
    void write_indicator(std::string_view indicator, bool need_whitespace, bool is_whitespace, bool is_indention) {
        if (need_whitespace && !whitespace_) put(' ');
        write_all(indicator);
        whitespace_ = is_whitespace;
        indention_ = indention_ && is_indention;
    }

    void emit(node const& n, bool /*root*/, bool /*sequence*/, bool mapping, bool simple_key) {
        mapping_context_ = mapping;
        simple_key_context_ = simple_key;
        switch (n.t) {
        case node::type::scalar: scalar(n); break;
        case node::type::sequence:
            if (flow_level_ > 0 || n.items.empty()) flow_empty("[", "]");
            else block_sequence(n);
            break;
        case node::type::mapping:
            if (flow_level_ > 0 || n.entries.empty()) flow_empty("{", "}");
            else block_mapping(n);
            break;
        }
    }

    void flow_empty(std::string_view open, std::string_view close) {
        write_indicator(open, true, true, false);
        increase_indent(true, false);
        pop_indent();
        write_indicator(close, false, false, false);
    }

    void block_sequence(node const& n) {
        increase_indent(false, mapping_context_ && !indention_);
        for (auto const& item : n.items) {
            write_indent();
            write_indicator("-", true, false, true);
            emit(item, false, true, false, false);
        }
        pop_indent();
    }

    static bool simple_key(node const& key) {
        return key.t == node::type::scalar && !analyze(key.scalar.view()).multiline && key.scalar.size() <= 128;
    }

    void block_mapping(node const& n) {
        increase_indent(false, false);
        for (auto const& [k, v] : n.entries) {
            write_indent();
            if (simple_key(k)) {
                emit(k, false, false, true, true);
                write_indicator(":", false, false, false);
            } else {
                write_indicator("?", true, false, true);
                emit(k, false, false, true, false);
                write_indent();
                write_indicator(":", true, false, true);
            }
            emit(v, false, false, true, false);
        }
        pop_indent();
    }

    void scalar(node const& n) {
        std::string_view const v = n.scalar.view();
        analysis const a = analyze(v);
        style s = n.requested;
        if (simple_key_context_ && a.multiline) s = style::double_quoted;
        if (s == style::plain) {
            if ((flow_level_ > 0 && !a.flow_plain_allowed) || (flow_level_ == 0 && !a.block_plain_allowed))
                s = style::single_quoted;
            if (v.empty() && (flow_level_ > 0 || simple_key_context_)) s = style::single_quoted;
        }
        if (s == style::single_quoted && !a.single_quoted_allowed) s = style::double_quoted;
        if (s == style::literal && (!a.block_allowed || flow_level_ > 0 || simple_key_context_)) s = style::double_quoted;
        increase_indent(true, false);
        bool const allow_breaks = !simple_key_context_;
        switch (s) {
        case style::plain: plain(v, allow_breaks); break;
        case style::single_quoted: single_quoted(v, allow_breaks); break;
        case style::double_quoted: double_quoted(v, allow_breaks); break;
        case style::literal: literal(v); break;
        }
        pop_indent();
    }

    void plain(std::string_view v, bool allow_breaks) {
        if (!whitespace_) put(' ');
        bool spaces = false, breaks = false;
        for (std::size_t i = 0; i < v.size();) {
            if (is_space(v, i)) {
                if (allow_breaks && !spaces && column_ > best_width && !is_space(v, i + 1)) {
                    write_indent();
                    ++i;
                } else {
                    write(v, i);
                }
                spaces = true;
            } else if (is_break(v, i)) {
                if (!breaks && v[i] == '\n') put_break();
                write_break(v, i);
                indention_ = true;
                breaks = true;
            } else {
                if (breaks) write_indent();
                write(v, i);
                indention_ = false;
                spaces = breaks = false;
            }
        }
        whitespace_ = indention_ = false;
    }

    void single_quoted(std::string_view v, bool allow_breaks) {
        write_indicator("'", true, false, false);
        bool spaces = false, breaks = false;
        for (std::size_t i = 0; i < v.size();) {
            if (is_space(v, i)) {
                if (allow_breaks && !spaces && column_ > best_width && i > 0 && i < v.size() - 1 && !is_space(v, i + 1)) {
                    write_indent();
                    ++i;
                } else {
                    write(v, i);
                }
                spaces = true;
            } else if (is_break(v, i)) {
                if (!breaks && v[i] == '\n') put_break();
                write_break(v, i);
                indention_ = true;
                breaks = true;
            } else {
                if (breaks) write_indent();
                if (v[i] == '\'') put('\'');
                write(v, i);
                indention_ = false;
                spaces = breaks = false;
            }
        }
        write_indicator("'", false, false, false);
        whitespace_ = indention_ = false;
    }

    void double_quoted(std::string_view v, bool allow_breaks) {
        static constexpr char hex[] = "0123456789ABCDEF";
        bool spaces = false;
        write_indicator("\"", true, false, false);
        for (std::size_t i = 0; i < v.size();) {
            if (!is_printable(v, i) || is_bom(v, i) || is_break(v, i) || v[i] == '"' || v[i] == '\\') {
                auto const octet = at(v, i);
                std::size_t w = width(octet);
                char32_t r = w == 1 ? octet & 0x7F : w == 2 ? octet & 0x1F : w == 3 ? octet & 0x0F : octet & 0x07;
                for (std::size_t k = 1; k < w; ++k) r = (r << 6) + (at(v, i + k) & 0x3F);
                i += w;
                put('\\');
                switch (r) {
                case 0x00: put('0'); break;
                case 0x07: put('a'); break;
                case 0x08: put('b'); break;
                case 0x09: put('t'); break;
                case 0x0A: put('n'); break;
                case 0x0B: put('v'); break;
                case 0x0C: put('f'); break;
                case 0x0D: put('r'); break;
                case 0x1B: put('e'); break;
                case 0x22: put('"'); break;
                case 0x5C: put('\\'); break;
                case 0x85: put('N'); break;
                case 0xA0: put('_'); break;
                case 0x2028: put('L'); break;
                case 0x2029: put('P'); break;
                default: {
                    int digits;
                    if (r <= 0xFF) put('x'), digits = 2;
                    else if (r <= 0xFFFF) put('u'), digits = 4;
                    else put('U'), digits = 8;
                    for (int k = (digits - 1) * 4; k >= 0; k -= 4) put(hex[(r >> k) & 0x0F]);
                }
                }
                spaces = false;
            } else if (is_space(v, i)) {
                if (allow_breaks && !spaces && column_ > best_width && i > 0 && i < v.size() - 1) {
                    write_indent();
                    if (is_space(v, i + 1)) put('\\');
                    ++i;
                } else {
                    write(v, i);
                }
                spaces = true;
            } else {
                write(v, i);
                spaces = false;
            }
        }
        write_indicator("\"", false, false, false);
        whitespace_ = indention_ = false;
    }

    void literal(std::string_view v) {
        write_indicator("|", true, false, false);
        if (is_space(v, 0) || is_break(v, 0)) write_indicator(std::string(1, char('0' + best_indent)), false, false, false);
        // Chomping: `-` without a final break, none with one, `+` with more (or only a break).
        char chomp = 0;
        std::size_t i = v.size() - 1;
        while (i > 0 && (at(v, i) & 0xC0) == 0x80) --i;
        if (!is_break(v, i)) {
            chomp = '-';
        } else if (i == 0) {
            chomp = '+';
        } else {
            --i;
            while (i > 0 && (at(v, i) & 0xC0) == 0x80) --i;
            if (is_break(v, i)) chomp = '+';
        }
        if (chomp) write_indicator(std::string(1, chomp), false, false, false);
        put_break();
        indention_ = whitespace_ = true;
        bool breaks = true;
        for (std::size_t k = 0; k < v.size();) {
            if (is_break(v, k)) {
                write_break(v, k);
                indention_ = true;
                breaks = true;
            } else {
                if (breaks) write_indent();
                write(v, k);
                indention_ = false;
                breaks = false;
            }
        }
    }
};

// --- go-yaml v2's resolve: would this plain text read back as something other than a string? ---

inline bool go_parse_int(std::string_view s, bool unsigned_only) {
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        if (unsigned_only) return false;
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() >= 2 && s[0] == '0') {
        char const p = static_cast<char>(s[1] | 0x20);
        if (p == 'x') base = 16, s.remove_prefix(2);
        else if (p == 'o') base = 8, s.remove_prefix(2);
        else if (p == 'b') base = 2, s.remove_prefix(2);
        else base = 8, s.remove_prefix(1);
    }
    if (s.empty()) return false;
    std::uint64_t u = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), u, base);
    if (ec != std::errc() || end != s.data() + s.size()) return false;
    if (unsigned_only) return true;
    return negative ? u <= std::uint64_t(1) << 63 : u <= std::uint64_t(INT64_MAX);
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
inline bool yaml_style_float(std::string_view s) {
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t const start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i > start;
    };
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits()) return false;
    } else {
        if (!digits()) return false;
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        if (!digits()) return false;
    }
    return i == s.size();
}

/// `strconv.ParseFloat(s, 64)` succeeds (decimal, hex floats, inf/nan words; no range error).
inline bool go_parse_float(std::string_view s) {
    std::string_view t = s;
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.remove_prefix(1);
    std::string lower;
    for (char c : t) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    if (lower == "inf" || lower == "infinity" || lower == "nan") return true;
    if (yaml_style_float(s)) {
        double const f = transform::detail::parse_float(s);
        return !std::isinf(f);
    }
    return false;  // hex floats and underscores: too rare in keys and values to matter here
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
inline bool base60_float(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) ++i;
    int groups = 0;
    while (i < s.size() && s[i] == ':') {
        ++i;
        std::size_t const start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 2) ++i;
        if (i == start || (i - start == 2 && s[start] > '5')) return false;
        ++groups;
    }
    if (!groups) return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) ++i;
    }
    return i == s.size();
}

inline bool is_timestamp(std::string_view s) {
    if (s.size() < 5) return false;
    for (int i = 0; i < 4; ++i)
        if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9') return false;
    if (s[4] != '-') return false;
    for (auto layout : {"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999",
                        "2006-1-2"})
        if (go_time_parse(layout, s)) return true;
    return false;
}

/// go-yaml v2's `resolve("", s)` returns the `!!str` tag.
inline bool resolves_to_string(std::string_view s) {
    static constexpr std::string_view special[] = {
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO",
        "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"};
    char const first = s.empty() ? 'N' : s[0];
    bool const hinted = first == '+' || first == '-' || (first >= '0' && first <= '9') || first == '.' || s.empty() ||
                        std::string_view("yYnNtTfFoO~").find(first) != std::string_view::npos;
    if (!hinted) return true;
    if (std::find(std::begin(special), std::end(special), s) != std::end(special)) return false;
    if (first == '.') return !go_parse_float(s);
    if (first == '+' || first == '-' || (first >= '0' && first <= '9')) {
        if (is_timestamp(s)) return false;
        std::string plain;
        for (char c : s)
            if (c != '_') plain.push_back(c);
        if (go_parse_int(plain, false) || go_parse_int(plain, true)) return false;
        if (yaml_style_float(plain) && go_parse_float(plain)) return false;
        if (plain.starts_with("0b") || plain.starts_with("-0b")) {
            std::string_view digits = std::string_view(plain).substr(plain[0] == '-' ? 3 : 2);
            std::uint64_t u;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, 2);
            if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size()) return false;
        }
    }
    return true;
}

/// A string after the JSON round trip: `json.Marshal` turns invalid UTF-8 into U+FFFD and
/// leaves U+0085 (NEL) unescaped, which go-yaml then reads inside the double-quoted JSON
/// string as a line break and folds (blanks around it dropped; one break is a space, n
/// breaks n-1 newlines).
inline text after_json_round_trip(std::string_view s) {
    text out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto const d = transform::detail::decode_rune(s, i);
        if (d.rune == 0x85) {
            while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
            std::size_t breaks = 0;
            while (i < s.size()) {
                auto const e = transform::detail::decode_rune(s, i);
                if (e.rune == 0x85) ++breaks;
                else if (e.rune != ' ' && e.rune != '\t') break;
                i += e.width;
            }
            if (breaks == 1) out.push_back(' ');
            else out.append(breaks - 1, '\n');
            continue;
        }
        if (d.rune == transform::detail::rune_error && d.width == 1) transform::detail::append_rune(out, d.rune);
        else out.append(s.substr(i, d.width));
        i += d.width;
    }
    return out;
}

/// go-yaml v2's encoder.stringv: the style asked of the emitter for a string.
inline node string_node(std::string_view raw) {
    node n;
    n.scalar = after_json_round_trip(raw);
    std::string_view const s = n.scalar.view();
    bool const can_use_plain = resolves_to_string(s) && !base60_float(s);
    n.requested = s.find('\n') != std::string_view::npos ? style::literal
                  : can_use_plain                         ? style::plain
                                                          : style::double_quoted;
    return n;
}

inline node plain_node(std::string s) {
    node n;
    n.scalar = text(s);
    return n;
}

/// A JSON number as go-yaml reads it back (int when the text is an integer that fits) and
/// writes it (`strconv.FormatFloat(f, 'g', -1, 64)` otherwise).
inline node number_node(double f) {
    std::string const json = transform::detail::format_json_float(f);
    if (json.find_first_of(".eE") == std::string::npos) {
        std::int64_t i;
        auto [end, ec] = std::from_chars(json.data(), json.data() + json.size(), i);
        if (ec == std::errc() && end == json.data() + json.size()) return plain_node(std::to_string(i));
        std::uint64_t u;
        auto [end2, ec2] = std::from_chars(json.data(), json.data() + json.size(), u);
        if (ec2 == std::errc() && end2 == json.data() + json.size()) return plain_node(std::to_string(u));
    }
    return plain_node(templating::detail::format_float(f, 'g', -1));
}

/// go-yaml v2's keyList.Less for string keys: letters before digits, digit runs by value.
inline bool key_less(std::string_view a, std::string_view b) {
    auto runes = [](std::string_view s) {
        std::vector<char32_t> r;
        for (std::size_t i = 0; i < s.size();) {
            auto d = transform::detail::decode_rune(s, i);
            r.push_back(d.rune);
            i += d.width;
        }
        return r;
    };
    auto const ar = runes(a), br = runes(b);
    auto letter = [](char32_t r) {
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= 0x80 && transform::detail::is_letter_or_number(r));
    };
    auto digit = [](char32_t r) { return r >= '0' && r <= '9'; };
    for (std::size_t i = 0; i < ar.size() && i < br.size(); ++i) {
        if (ar[i] == br[i]) continue;
        bool const al = letter(ar[i]), bl = letter(br[i]);
        if (al && bl) return ar[i] < br[i];
        if (al || bl) return bl;
        std::int64_t an = 0, bn = 0;
        if (ar[i] == '0' || br[i] == '0') {
            for (std::size_t j = i; j-- > 0 && digit(ar[j]);)
                if (ar[j] != '0') {
                    an = bn = 1;
                    break;
                }
        }
        std::size_t ai = i, bi = i;
        for (; ai < ar.size() && digit(ar[ai]); ++ai) an = an * 10 + (ar[ai] - '0');
        for (; bi < br.size() && digit(br[bi]); ++bi) bn = bn * 10 + (br[bi] - '0');
        if (an != bn) return an < bn;
        if (ai != bi) return ai < bi;
        return ar[i] < br[i];
    }
    return ar.size() < br.size();
}

inline node build(value const& v) {
    switch (v.kind()) {
    case kind::nil: return plain_node("null");
    case kind::boolean: return plain_node(v.as_bool() ? "true" : "false");
    case kind::integer:
    case kind::int64: return plain_node(std::to_string(v.as_int()));
    case kind::float64: return number_node(v.as_float());
    case kind::string: return string_node(v.as_string());
    case kind::bytes:
    case kind::time: {
        // Their JSON form is a string: base64, RFC 3339.
        text json;
        std::string ignored;
        marshal_json(v, json, {}, ignored);
        auto parsed = unmarshal_json(json.view());
        return string_node(parsed ? parsed->as_string() : std::string_view());
    }
    case kind::list:
    case kind::string_list: {
        node n;
        n.t = node::type::sequence;
        for (std::size_t i = 0; i < v.size(); ++i) n.items.push_back(build(v.element(i)));
        return n;
    }
    case kind::dict:
    case kind::string_map: {
        node n;
        n.t = node::type::mapping;
        auto add = [&](std::string_view k, value const& e) { n.entries.push_back(node::entry{string_node(k), build(e)}); };
        if (v.kind() == kind::dict)
            for (auto const& [k, e] : v.as_dict()) add(k, e);
        else
            for (auto const& [k, e] : v.as_string_map()) add(k, value::string(e.view()));
        std::stable_sort(n.entries.begin(), n.entries.end(),
                         [](auto const& x, auto const& y) { return key_less(x.key.scalar.view(), y.key.scalar.view()); });
        return n;
    }
    }
    return plain_node("null");
}

inline value from_json(boost::json::value const& j) {
    switch (j.kind()) {
    case boost::json::kind::null: return value::nil();
    case boost::json::kind::bool_: return value::boolean(j.get_bool());
    case boost::json::kind::int64: return value::float64(static_cast<double>(j.get_int64()));
    case boost::json::kind::uint64: return value::float64(static_cast<double>(j.get_uint64()));
    case boost::json::kind::double_: return value::float64(j.get_double());
    case boost::json::kind::string: return value::string(std::string_view(j.get_string()));
    case boost::json::kind::array: {
        list_type items;
        for (auto const& e : j.get_array()) items.push_back(from_json(e));
        return value::list(std::move(items));
    }
    case boost::json::kind::object: {
        dict_type entries;
        for (auto const& kv : j.get_object()) entries.insert_or_assign(std::string(kv.key()), from_json(kv.value()));
        return value::dict(std::move(entries));
    }
    }
    return value::nil();
}

inline value error_map(std::string message) {
    dict_type m;
    m.emplace("Error", value::string(message));
    return value::dict(std::move(m));
}

} // namespace yaml_emit
} // namespace detail

ESX_DECL text to_yaml(value const& v) {
    text json;
    std::string error;
    if (!detail::marshal_json(v, json, {}, error)) return {};  // ESO: a marshal error is ""
    detail::yaml_emit::emitter e;
    e.document(detail::yaml_emit::build(v));
    text out = std::move(e.out);
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

ESX_DECL value from_yaml(std::string_view yaml) {
    auto docs = esx::yaml_documents(yaml);
    if (!docs) return detail::yaml_emit::error_map("error converting YAML to JSON: " + docs.error().what());
    if (docs->empty() || docs->front().is_null()) return value::dict();
    auto const& doc = docs->front();
    if (!doc.is_object()) {
        std::string_view const kind = doc.is_array() ? "array" : doc.is_string() ? "string" : doc.is_bool() ? "bool" : "number";
        return detail::yaml_emit::error_map("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal " +
                                            std::string(kind) + " into Go value of type map[string]interface {}");
    }
    return detail::yaml_emit::from_json(doc);
}

} // namespace esx::transform::templating::functions

#endif
