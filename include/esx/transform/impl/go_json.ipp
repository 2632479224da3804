// esx::transform::detail: Go `encoding/json` reading and writing (out of line).
#ifndef ESX_TRANSFORM_IMPL_GO_JSON_IPP
#define ESX_TRANSFORM_IMPL_GO_JSON_IPP

#include <esx/transform/detail/go_json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace esx::transform::detail {
namespace impl {

/// A single-pass reader that fails where Go's `encoding/json` scanner fails, with its words.
class go_json_reader {
public:
    go_json_reader(std::string_view text, bool redact) : s_(text), redact_(redact) {}

    bool document(json_node& out, std::string& error) {
        if (!value(out, 0)) return fail_out(error);
        skip_space();
        if (i_ < s_.size()) {
            error = "invalid character " + shown(byte()) + " after top-level value";
            return false;
        }
        return true;
    }

private:
    static constexpr int max_depth = 10000;  // Go's maxNestingDepth

    bool fail_out(std::string& error) {
        error = std::move(error_);
        return false;
    }
    unsigned char byte() const { return static_cast<unsigned char>(s_[i_]); }
    bool at_end() const { return i_ >= s_.size(); }
    void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
    }
    /// Go's quoteChar of the offending byte. The text being parsed is a secret value, so unless
    /// asked otherwise only structural bytes (JSON punctuation, whitespace) are shown; any other
    /// byte, which could be a character of the secret, reads `<redacted>`.
    std::string shown(unsigned char c) const {
        static constexpr std::string_view structural = "{}[],:\" \t\r\n";
        if (!redact_ || structural.find(static_cast<char>(c)) != std::string_view::npos) return quote_char(c);
        return "<redacted>";
    }
    /// Go's scanner at end of input feeds a space: number and literal states fail on it.
    bool fail(std::string_view context) {
        error_ = "invalid character " + shown(at_end() ? ' ' : byte()) + " " + std::string(context);
        return false;
    }
    bool fail_eof() {
        error_ = "unexpected end of JSON input";
        return false;
    }

    bool value(json_node& out, int depth) {
        skip_space();
        if (at_end()) return fail_eof();
        std::size_t const start = i_;
        bool ok = false;
        switch (s_[i_]) {
        case '{': ok = object(out, depth + 1); break;
        case '[': ok = array(out, depth + 1); break;
        case '"':
            out.type = json_node::kind::string;
            ok = string(out.text);
            break;
        case 't': ok = literal(out, "true", json_node::kind::boolean); break;
        case 'f': ok = literal(out, "false", json_node::kind::boolean); break;
        case 'n': ok = literal(out, "null", json_node::kind::null); break;
        default:
            if (s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')) ok = number(out);
            else return fail("looking for beginning of value");
        }
        if (ok) out.raw = s_.substr(start, i_ - start);
        return ok;
    }

    bool object(json_node& out, int depth) {
        if (depth > max_depth) {
            error_ = "exceeded max depth";
            return false;
        }
        out.type = json_node::kind::object;
        ++i_;
        skip_space();
        if (at_end()) return fail_eof();
        if (s_[i_] == '}') {
            ++i_;
            return true;
        }
        for (;;) {
            skip_space();
            if (at_end()) return fail_eof();
            if (s_[i_] != '"') return fail("looking for beginning of object key string");
            scratch key;
            if (!string(key)) return false;
            skip_space();
            if (at_end()) return fail_eof();
            if (s_[i_] != ':') return fail("after object key");
            ++i_;
            json_node member;
            if (!value(member, depth)) return false;
            out.members.push_back(json_member{std::move(key), std::move(member)});
            skip_space();
            if (at_end()) return fail_eof();
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            if (s_[i_] == '}') {
                ++i_;
                return true;
            }
            return fail("after object key:value pair");
        }
    }

    bool array(json_node& out, int depth) {
        if (depth > max_depth) {
            error_ = "exceeded max depth";
            return false;
        }
        out.type = json_node::kind::array;
        ++i_;
        skip_space();
        if (at_end()) return fail_eof();
        if (s_[i_] == ']') {
            ++i_;
            return true;
        }
        for (;;) {
            json_node item;
            if (!value(item, depth)) return false;
            out.items.push_back(std::move(item));
            skip_space();
            if (at_end()) return fail_eof();
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            if (s_[i_] == ']') {
                ++i_;
                return true;
            }
            return fail("after array element");
        }
    }

    static int hex_value(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /// Reads four hex digits at i_ (already validated by the scan) as a UTF-16 unit.
    char32_t u4(std::size_t at) const {
        char32_t r = 0;
        for (std::size_t k = 0; k < 4; ++k) r = r * 16 + static_cast<char32_t>(hex_value(s_[at + k]));
        return r;
    }

    bool string(scratch& out) {
        ++i_;  // the opening quote
        // First the scan (Go validates before it decodes), then the decode.
        std::size_t const begin = i_;
        for (;;) {
            if (at_end()) return fail_eof();
            auto const c = byte();
            if (c == '"') break;
            if (c < 0x20) return fail("in string literal");
            if (c == '\\') {
                ++i_;
                // At the end of input Go's scanner feeds a space, which these states refuse.
                if (at_end()) return fail("in string escape code");
                switch (s_[i_]) {
                case 'b': case 'f': case 'n': case 'r': case 't': case '\\': case '/': case '"': ++i_; break;
                case 'u':
                    ++i_;
                    for (int k = 0; k < 4; ++k, ++i_) {
                        if (at_end() || hex_value(s_[i_]) < 0) return fail("in \\u hexadecimal character escape");
                    }
                    break;
                default: return fail("in string escape code");
                }
                continue;
            }
            ++i_;
        }
        std::string_view const body = s_.substr(begin, i_ - begin);
        ++i_;  // the closing quote
        out.clear();
        out.reserve(body.size());
        for (std::size_t k = 0; k < body.size();) {
            auto const c = static_cast<unsigned char>(body[k]);
            if (c == '\\') {
                char const e = body[k + 1];
                switch (e) {
                case 'b': out.push_back('\b'); k += 2; continue;
                case 'f': out.push_back('\f'); k += 2; continue;
                case 'n': out.push_back('\n'); k += 2; continue;
                case 'r': out.push_back('\r'); k += 2; continue;
                case 't': out.push_back('\t'); k += 2; continue;
                case 'u': {
                    char32_t r = 0;
                    for (std::size_t h = 0; h < 4; ++h) r = r * 16 + static_cast<char32_t>(hex_value(body[k + 2 + h]));
                    k += 6;
                    if (r >= 0xD800 && r < 0xE000) {
                        // A high surrogate followed by a low one is one rune; anything else is U+FFFD.
                        if (r < 0xDC00 && k + 6 <= body.size() && body[k] == '\\' && body[k + 1] == 'u') {
                            char32_t r2 = 0;
                            bool hex = true;
                            for (std::size_t h = 0; h < 4; ++h) {
                                int const v = hex_value(body[k + 2 + h]);
                                if (v < 0) hex = false;
                                r2 = r2 * 16 + static_cast<char32_t>(v < 0 ? 0 : v);
                            }
                            if (hex && r2 >= 0xDC00 && r2 < 0xE000) {
                                append_rune(out, 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00));
                                k += 6;
                                continue;
                            }
                        }
                        r = rune_error;
                    }
                    append_rune(out, r);
                    continue;
                }
                default: out.push_back(e); k += 2; continue;  // \\ \/ \"
                }
            }
            if (c < 0x80) {
                out.push_back(static_cast<char>(c));
                ++k;
                continue;
            }
            auto const [r, w] = decode_rune(body, k);
            if (r == rune_error && w == 1) append_rune(out, rune_error);
            else out.append(body.substr(k, w));
            k += w;
        }
        return true;
    }

    bool literal(json_node& out, std::string_view word, json_node::kind k) {
        ++i_;
        for (std::size_t n = 1; n < word.size(); ++n, ++i_) {
            if (at_end() || s_[i_] != word[n])
                return fail("in literal " + std::string(word) + " (expecting '" + std::string(1, word[n]) + "')");
        }
        out.type = k;
        if (k == json_node::kind::boolean) out.text = scratch(word);
        return true;
    }

    bool digit() const { return !at_end() && s_[i_] >= '0' && s_[i_] <= '9'; }

    bool number(json_node& out) {
        std::size_t const start = i_;
        if (s_[i_] == '-') {
            ++i_;
            if (!digit()) return fail("in numeric literal");
        }
        if (s_[i_] == '0') ++i_;
        else while (digit()) ++i_;
        if (!at_end() && s_[i_] == '.') {
            ++i_;
            if (!digit()) return fail("after decimal point in numeric literal");
            while (digit()) ++i_;
        }
        if (!at_end() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (!at_end() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (!digit()) return fail("in exponent of numeric literal");
            while (digit()) ++i_;
        }
        out.type = json_node::kind::number;
        out.text = scratch(s_.substr(start, i_ - start));
        return true;
    }

    std::string_view s_;
    bool redact_;
    std::size_t i_ = 0;
    std::string error_;
};

} // namespace impl

ESX_DECL std::string_view go_kind_name(json_node::kind k) noexcept {
    switch (k) {
    case json_node::kind::object: return "object";
    case json_node::kind::array: return "array";
    case json_node::kind::string: return "string";
    case json_node::kind::number: return "number";
    case json_node::kind::boolean: return "bool";
    case json_node::kind::null: return "null";
    }
    return "value";
}

ESX_DECL bool parse_json(std::string_view text, json_node& out, std::string& error, bool redact) {
    impl::go_json_reader reader(text, redact);
    return reader.document(out, error);
}

ESX_DECL bool parse_json_object(std::string_view text, json_node& out, std::string& error,
                                std::string_view go_type, bool redact) {
    if (!parse_json(text, out, error, redact)) return false;
    if (out.type == json_node::kind::object || out.type == json_node::kind::null) return true;
    error = "json: cannot unmarshal " + std::string(go_kind_name(out.type)) + " into Go value of type " +
            std::string(go_type);
    return false;
}

ESX_DECL bool marshal_any(json_node const& v, scratch& out, bool escape_html) {
    switch (v.type) {
    case json_node::kind::null: out.append("null"); return true;
    case json_node::kind::boolean: out.append(v.text.view()); return true;
    case json_node::kind::string: append_json_string(out, v.text.view(), escape_html); return true;
    case json_node::kind::number: {
        double d = 0;
        auto const r = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (r.ec == std::errc::result_out_of_range) {
            auto const e = v.text.view().find_first_of("eE");
            if (e == std::string_view::npos || v.text.view()[e + 1] != '-') return false;  // Go: overflow is an error
            d = v.text.view().front() == '-' ? -0.0 : 0.0;
        }
        out.append(format_json_float(d));
        return true;
    }
    case json_node::kind::array: {
        out.push_back('[');
        for (std::size_t k = 0; k < v.items.size(); ++k) {
            if (k) out.push_back(',');
            if (!marshal_any(v.items[k], out, escape_html)) return false;
        }
        out.push_back(']');
        return true;
    }
    case json_node::kind::object: {
        // Go decodes into a map (the last duplicate wins) and writes it with sorted keys.
        std::map<std::string_view, json_node const*> sorted;
        for (auto const& [k, m] : v.members) sorted[k.view()] = &m;
        out.push_back('{');
        bool first = true;
        for (auto const& [k, m] : sorted) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, k, escape_html);
            out.push_back(':');
            if (!marshal_any(*m, out, escape_html)) return false;
        }
        out.push_back('}');
        return true;
    }
    }
    return false;
}

} // namespace esx::transform::detail

#endif
