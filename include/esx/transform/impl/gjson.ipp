// esx::transform::detail: a port of tidwall/gjson v1.18.0 `Get` (out of line). The structure
// follows gjson's functions one for one (parseObjectPath, parseObject, parseArray, ...) so the
// behaviour, quirks included, can be checked against the Go source line by line.
#ifndef ESX_TRANSFORM_IMPL_GJSON_IPP
#define ESX_TRANSFORM_IMPL_GJSON_IPP

#include <esx/transform/detail/gjson.hpp>

#include <string>
#include <vector>

namespace esx::transform::detail {
namespace gj {

using kind = gjson_result::kind;
using sv = std::string_view;

inline bool is_modifier(sv name) {
    static constexpr sv names[] = {"pretty", "ugly",  "reverse", "this",   "flatten", "join", "valid",
                                   "keys",   "values", "tostr",  "fromstr", "group",  "dig"};
    for (auto n : names)
        if (n == name) return true;
    return false;
}

// ---- tidwall/match MatchLimit ----------------------------------------------------------------

enum class match_result { no_match, match, stop };

inline decoded_rune last_rune(sv s) {
    // utf8.DecodeLastRuneInString
    if (s.empty()) return {rune_error, 0};
    std::size_t start = s.size() - 1;
    if (static_cast<unsigned char>(s[start]) < 0x80) return {static_cast<unsigned char>(s[start]), 1};
    std::size_t const lim = s.size() >= 4 ? s.size() - 4 : 0;
    while (start > lim && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    auto const r = decode_rune(s, start);
    if (start + r.width != s.size()) return {rune_error, 1};
    return r;
}

inline bool match_trim_suffix(sv& str, sv& pat) {
    bool matched = true;
    while (!str.empty() && pat.size() > 1) {
        auto [pc, ps] = last_rune(pat);
        bool esc = false;
        for (std::size_t i = 0;; ++i) {
            if (pat[pat.size() - ps - i - 1] != '\\') {
                if (i & 1) {
                    esc = true;
                    ++ps;
                }
                break;
            }
        }
        if (pc == '*' && !esc) {
            matched = true;
            break;
        }
        auto const [sc, ss] = last_rune(str);
        if (!((pc == '?' && !esc) || pc == sc)) {
            matched = false;
            break;
        }
        str.remove_suffix(ss);
        pat.remove_suffix(ps);
    }
    return matched;
}

inline match_result match(sv str, sv pat, std::size_t slen, std::size_t& counter, std::size_t maxcomp) {
    if (counter > slen * maxcomp) return match_result::stop;
    ++counter;
    while (!pat.empty()) {
        bool wild = false;
        char32_t pc = static_cast<unsigned char>(pat[0]);
        std::size_t ps = 1;
        if (pc > 0x7F) std::tie(pc, ps) = std::pair(decode_rune(pat, 0).rune, decode_rune(pat, 0).width);
        char32_t sc = 0;
        std::size_t ss = 0;
        if (!str.empty()) {
            sc = static_cast<unsigned char>(str[0]);
            ss = 1;
            if (sc > 0x7F) {
                auto const d = decode_rune(str, 0);
                sc = d.rune;
                ss = d.width;
            }
        }
        switch (pc) {
        case '?':
            if (ss == 0) return match_result::no_match;
            break;
        case '*': {
            while (pat.size() > 1 && pat[1] == '*') pat.remove_prefix(1);
            if (pat.size() == 1) return match_result::match;
            if (!match_trim_suffix(str, pat)) return match_result::no_match;
            if (pat.size() == 1) return match_result::match;
            auto const r = match(str, pat.substr(1), slen, counter, maxcomp);
            if (r != match_result::no_match) return r;
            if (str.empty()) return match_result::no_match;
            wild = true;
            break;
        }
        default:
            if (ss == 0) return match_result::no_match;
            if (pc == '\\') {
                pat.remove_prefix(ps);
                if (pat.empty()) return match_result::no_match;
                auto const d = decode_rune(pat, 0);
                pc = d.rune;
                ps = d.width;
            }
            if (sc != pc) return match_result::no_match;
        }
        str.remove_prefix(ss);
        if (!wild) pat.remove_prefix(ps);
    }
    return str.empty() ? match_result::match : match_result::no_match;
}

inline bool match_limit(sv str, sv pattern) {
    if (pattern == "*") return true;
    std::size_t counter = 0;
    return match(str, pattern, str.size(), counter, 10000) == match_result::match;
}

// ---- scanning helpers ------------------------------------------------------------------------

inline bool is_surrogate(char32_t r) { return r >= 0xD800 && r < 0xE000; }

inline char32_t runeit(sv s) {
    // strconv.ParseUint(json[:4], 16, 64) ignoring errors: 0 on bad hex.
    char32_t n = 0;
    for (std::size_t k = 0; k < 4 && k < s.size(); ++k) {
        char const c = s[k];
        int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (v < 0) return 0;
        n = n * 16 + static_cast<char32_t>(v);
    }
    return n;
}

inline scratch unescape(sv json) {
    scratch str;
    str.reserve(json.size());
    for (std::size_t i = 0; i < json.size(); ++i) {
        char const c = json[i];
        if (static_cast<unsigned char>(c) < ' ') return str;
        if (c != '\\') {
            str.push_back(c);
            continue;
        }
        ++i;
        if (i >= json.size()) return str;
        switch (json[i]) {
        default: return str;
        case '\\': str.push_back('\\'); break;
        case '/': str.push_back('/'); break;
        case 'b': str.push_back('\b'); break;
        case 'f': str.push_back('\f'); break;
        case 'n': str.push_back('\n'); break;
        case 'r': str.push_back('\r'); break;
        case 't': str.push_back('\t'); break;
        case '"': str.push_back('"'); break;
        case 'u': {
            if (i + 5 > json.size()) return str;
            char32_t r = runeit(json.substr(i + 1));
            i += 5;
            if (is_surrogate(r)) {
                if (json.size() - i >= 6 && json[i] == '\\' && json[i + 1] == 'u') {
                    char32_t const r2 = runeit(json.substr(i + 2));
                    // utf16.DecodeRune
                    if (r >= 0xD800 && r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000)
                        r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                    else
                        r = rune_error;
                    i += 6;
                }
            }
            append_rune(str, r);
            --i;
            break;
        }
        }
    }
    return str;
}

/// parseString: `i` is just past the opening quote. Returns the new index, the raw string
/// (with quotes), whether it has escapes, and whether it was terminated.
struct string_scan {
    std::size_t i;
    sv raw;
    bool esc, ok;
};
inline string_scan parse_string(sv json, std::size_t i) {
    std::size_t const s = i;
    for (; i < json.size(); ++i) {
        if (json[i] > '\\') continue;
        if (json[i] == '"') return {i + 1, json.substr(s - 1, i + 1 - (s - 1)), false, true};
        if (json[i] == '\\') {
            ++i;
            for (; i < json.size(); ++i) {
                if (json[i] > '\\') continue;
                if (json[i] == '"') {
                    if (json[i - 1] == '\\') {
                        std::size_t n = 0;
                        for (std::size_t j = i - 2; j > 0; --j) {
                            if (json[j] != '\\') break;
                            ++n;
                        }
                        if (n % 2 == 0) continue;
                    }
                    return {i + 1, json.substr(s - 1, i + 1 - (s - 1)), true, true};
                }
            }
            break;
        }
    }
    return {i, json.substr(s - 1), false, false};
}

inline std::pair<std::size_t, sv> parse_number(sv json, std::size_t i) {
    std::size_t const s = i;
    ++i;
    for (; i < json.size(); ++i)
        if (json[i] <= ' ' || json[i] == ',' || json[i] == ']' || json[i] == '}') return {i, json.substr(s, i - s)};
    return {i, json.substr(s)};
}

inline std::pair<std::size_t, sv> parse_literal(sv json, std::size_t i) {
    std::size_t const s = i;
    ++i;
    for (; i < json.size(); ++i)
        if (json[i] < 'a' || json[i] > 'z') return {i, json.substr(s, i - s)};
    return {i, json.substr(s)};
}

/// parseSquash: `json[i]` is `[`, `{` or `(`; skips the balanced value, strings included.
inline std::pair<std::size_t, sv> parse_squash(sv json, std::size_t i) {
    std::size_t const s = i;
    ++i;
    int depth = 1;
    while (i < json.size()) {
        char const c = json[i];
        if (c == '"') {
            ++i;
            std::size_t const s2 = i;
            for (;;) {
                // strchkstd: find the next unescaped quote.
                while (i < json.size() && json[i] != '"') ++i;
                if (i >= json.size()) break;
                if (json[i - 1] == '\\') {
                    std::size_t n = 0;
                    for (std::size_t j = i - 2; j + 1 > s2; --j) {
                        if (json[j] != '\\') break;
                        ++n;
                        if (j == 0) break;
                    }
                    if (n % 2 == 0) {
                        ++i;
                        continue;
                    }
                }
                break;
            }
        } else if (c == '{' || c == '[' || c == '(') {
            ++depth;
        } else if (c == '}' || c == ']' || c == ')') {
            --depth;
            if (depth == 0) {
                ++i;
                return {i, json.substr(s, i - s)};
            }
        }
        ++i;
    }
    return {i, json.substr(s)};
}

/// squash: like parse_squash, for a value starting at json[0] (`[`, `{`, `(` or `"`).
inline sv squash(sv json) {
    std::size_t i = 0;
    int depth = 0;
    if (json[0] != '"') i = 1, depth = 1;
    for (; i < json.size(); ++i) {
        if (json[i] >= '"' && json[i] <= '}') {
            switch (json[i]) {
            case '"': {
                ++i;
                std::size_t const s2 = i;
                for (; i < json.size(); ++i) {
                    if (json[i] > '\\') continue;
                    if (json[i] == '"') {
                        if (json[i - 1] == '\\') {
                            std::size_t n = 0;
                            for (std::size_t j = i - 2; j + 1 > s2; --j) {
                                if (json[j] != '\\') break;
                                ++n;
                                if (j == 0) break;
                            }
                            if (n % 2 == 0) continue;
                        }
                        break;
                    }
                }
                if (depth == 0) {
                    if (i >= json.size()) return json;
                    return json.substr(0, i + 1);
                }
                break;
            }
            case '{': case '[': case '(': ++depth; break;
            case '}': case ']': case ')':
                --depth;
                if (depth == 0) return json.substr(0, i + 1);
                break;
            }
        }
    }
    return json;
}

inline sv trim(sv s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
    return s;
}

/// isDotPiperChar: after a `.`, does a modifier or a multipath start?
inline bool is_dot_piper_char(sv s) {
    char const c = s[0];
    if (c == '@') {
        std::size_t i = 1;
        for (; i < s.size(); ++i)
            if (s[i] == '.' || s[i] == '|' || s[i] == ':') break;
        return is_modifier(s.substr(1, i - 1));
    }
    return c == '[' || c == '{';
}

struct object_path {
    scratch part;
    sv path, pipe;
    bool piped = false, wild = false, more = false;
};

inline object_path parse_object_path(sv path) {
    object_path r;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '|') {
            r.part = scratch(path.substr(0, i));
            r.pipe = path.substr(i + 1);
            r.piped = true;
            return r;
        }
        if (path[i] == '.') {
            r.part = scratch(path.substr(0, i));
            if (i < path.size() - 1 && is_dot_piper_char(path.substr(i + 1))) {
                r.pipe = path.substr(i + 1);
                r.piped = true;
            } else {
                r.path = path.substr(i + 1);
                r.more = true;
            }
            return r;
        }
        if (path[i] == '*' || path[i] == '?') {
            r.wild = true;
            continue;
        }
        if (path[i] == '\\') {
            scratch epart(path.substr(0, i));
            ++i;
            if (i < path.size()) {
                epart.push_back(path[i]);
                ++i;
                for (; i < path.size(); ++i) {
                    if (path[i] == '\\') {
                        ++i;
                        if (i < path.size()) epart.push_back(path[i]);
                        continue;
                    } else if (path[i] == '.') {
                        r.part = std::move(epart);
                        if (i < path.size() - 1 && is_dot_piper_char(path.substr(i + 1))) {
                            r.pipe = path.substr(i + 1);
                            r.piped = true;
                        } else {
                            r.path = path.substr(i + 1);
                            r.more = true;
                        }
                        return r;
                    } else if (path[i] == '|') {
                        r.part = std::move(epart);
                        r.pipe = path.substr(i + 1);
                        r.piped = true;
                        return r;
                    } else if (path[i] == '*' || path[i] == '?') {
                        r.wild = true;
                    }
                    epart.push_back(path[i]);
                }
            }
            r.part = std::move(epart);
            return r;
        }
    }
    r.part = scratch(path);
    return r;
}

struct query_parts {
    sv path, op, value, remain;
    std::size_t i = 0;
    bool vesc = false, ok = false;
};

inline query_parts parse_query(sv query) {
    query_parts q;
    if (query.size() < 2 || query[0] != '#' || (query[1] != '(' && query[1] != '[')) return q;
    std::size_t i = 2, j = 0;
    int depth = 1;
    for (; i < query.size(); ++i) {
        if (depth == 1 && j == 0) {
            switch (query[i]) {
            case '!': case '=': case '<': case '>': case '%': j = i; continue;
            }
        }
        if (query[i] == '\\') {
            ++i;
        } else if (query[i] == '[' || query[i] == '(') {
            ++depth;
        } else if (query[i] == ']' || query[i] == ')') {
            --depth;
            if (depth == 0) break;
        } else if (query[i] == '"') {
            ++i;
            for (; i < query.size(); ++i) {
                if (query[i] == '\\') {
                    q.vesc = true;
                    ++i;
                } else if (query[i] == '"') {
                    break;
                }
            }
        }
    }
    if (depth > 0) {
        q.i = i;
        return q;
    }
    if (j > 0) {
        q.path = trim(query.substr(2, j - 2));
        sv value = trim(query.substr(j, i - j));
        q.remain = i + 1 <= query.size() ? query.substr(i + 1) : sv{};
        std::size_t opsz = 0;
        if (value.size() == 1) opsz = 1;
        else if (value[0] == '!' && value[1] == '=') opsz = 2;
        else if (value[0] == '!' && value[1] == '%') opsz = 2;
        else if (value[0] == '<' && value[1] == '=') opsz = 2;
        else if (value[0] == '>' && value[1] == '=') opsz = 2;
        else if (value[0] == '=' && value[1] == '=') value.remove_prefix(1), opsz = 1;
        else if (value[0] == '<' || value[0] == '>' || value[0] == '=' || value[0] == '%') opsz = 1;
        q.op = value.substr(0, opsz);
        q.value = trim(value.substr(opsz));
    } else {
        q.path = trim(query.substr(2, i - 2));
        q.remain = i + 1 <= query.size() ? query.substr(i + 1) : sv{};
    }
    q.i = i + 1;
    q.ok = true;
    return q;
}

struct array_path {
    sv part, path, pipe;
    bool piped = false, more = false, alogok = false, arrch = false;
    sv alogkey;
    struct {
        bool on = false, all = false;
        sv path, op;
        scratch value;
    } query;
};

inline array_path parse_array_path(sv path) {
    array_path r;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '|') {
            r.part = path.substr(0, i);
            r.pipe = path.substr(i + 1);
            r.piped = true;
            return r;
        }
        if (path[i] == '.') {
            r.part = path.substr(0, i);
            if (!r.arrch && i < path.size() - 1 && is_dot_piper_char(path.substr(i + 1))) {
                r.pipe = path.substr(i + 1);
                r.piped = true;
            } else {
                r.path = path.substr(i + 1);
                r.more = true;
            }
            return r;
        }
        if (path[i] == '#') {
            r.arrch = true;
            if (i == 0 && path.size() > 1) {
                if (path[1] == '.') {
                    r.alogok = true;
                    r.alogkey = path.substr(2);
                    r.path = path.substr(0, 1);
                } else if (path[1] == '[' || path[1] == '(') {
                    r.query.on = true;
                    auto q = parse_query(path.substr(i));
                    if (!q.ok) break;
                    sv value = q.value;
                    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                        value = value.substr(1, value.size() - 2);
                        r.query.value = q.vesc ? unescape(value) : scratch(value);
                    } else {
                        r.query.value = scratch(value);
                    }
                    r.query.path = q.path;
                    r.query.op = q.op;
                    i = q.i - 1;
                    if (i + 1 < path.size() && path[i + 1] == '#') r.query.all = true;
                }
            }
            continue;
        }
    }
    r.part = path;
    r.path = {};
    return r;
}

inline std::pair<bool, std::uint64_t> parse_uint(sv s) {
    if (s.empty()) return {false, 0};
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return {false, 0};
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return {true, n};
}

struct split_pipe {
    sv left, right;
    bool ok = false;
};

inline split_pipe split_possible_pipe(sv path) {
    if (path.find('|') == sv::npos) return {};
    if (!path.empty() && path[0] == '{') {
        sv squashed = squash(path.substr(1));
        if (squashed.size() < path.size() - 1) {
            squashed = path.substr(0, squashed.size() + 1);
            sv remain = path.substr(squashed.size());
            if (remain[0] == '|') return {squashed, remain.substr(1), true};
        }
        return {};
    }
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '\\') {
            ++i;
        } else if (path[i] == '.') {
            if (i == path.size() - 1) return {};
            if (path[i + 1] == '#') {
                i += 2;
                if (i == path.size()) return {};
                if (path[i] == '[' || path[i] == '(') {
                    char const start = path[i], end = start == '[' ? ']' : ')';
                    ++i;
                    int depth = 1;
                    for (; i < path.size(); ++i) {
                        if (path[i] == '\\') {
                            ++i;
                        } else if (path[i] == start) {
                            ++depth;
                        } else if (path[i] == end) {
                            if (--depth == 0) break;
                        } else if (path[i] == '"') {
                            ++i;
                            for (; i < path.size(); ++i) {
                                if (path[i] == '\\') ++i;
                                else if (path[i] == '"') break;
                            }
                        }
                    }
                }
            }
        } else if (path[i] == '|') {
            return {path.substr(0, i), path.substr(i + 1), true};
        }
    }
    return {};
}

// strconv.ParseBool(strings.ToLower(s))
inline int parse_bool(sv s) {  // 1 true, 0 false, -1 error
    std::string l(s);
    for (auto& c : l)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (l == "1" || l == "t" || l == "true") return 1;
    if (l == "0" || l == "f" || l == "false") return 0;
    return -1;
}

class engine {
public:
    bool unsupported = false;

    gjson_result get(sv json, sv path);

private:
    struct context {
        sv json;
        gjson_result value;
        scratch pipe;
        bool piped = false;
        bool calcd = false;
    };

    static void set_string(gjson_result& v, sv raw, bool esc) {
        v.str = esc ? unescape(raw.substr(1, raw.size() - 2)) : scratch(raw.substr(1, raw.size() - 2));
        v.raw = scratch(raw);
        v.type = kind::string;
    }

    bool falseish(gjson_result const& t) {
        switch (t.type) {
        case kind::null: case kind::false_: return true;
        case kind::string: return parse_bool(t.str.view()) == 0;
        case kind::number: return t.num == 0;
        default: return false;
        }
    }
    bool trueish(gjson_result const& t) {
        switch (t.type) {
        case kind::true_: return true;
        case kind::string: return parse_bool(t.str.view()) == 1;
        case kind::number: return t.num != 0;
        default: return false;
        }
    }

    bool query_matches(array_path const& rp, gjson_result value) {
        sv rpv = rp.query.value.view();
        if (!rpv.empty() && rpv[0] == '~') {
            rpv.remove_prefix(1);
            bool ish = false, ok = false;
            if (rpv == "*") ish = value.exists(), ok = true;
            else if (rpv == "null") ish = value.type == kind::null, ok = true;
            else if (rpv == "true") ish = trueish(value), ok = true;
            else if (rpv == "false") ish = falseish(value), ok = true;
            if (ok) {
                rpv = "true";
                value = gjson_result{};
                value.type = ish ? kind::true_ : kind::false_;
            } else {
                rpv = "";
                value = gjson_result{};
            }
        }
        if (!value.exists()) return false;
        sv const op = rp.query.op;
        if (op.empty()) return true;
        switch (value.type) {
        case kind::string: {
            sv const s = value.str.view();
            if (op == "=") return s == rpv;
            if (op == "!=") return s != rpv;
            if (op == "<") return s < rpv;
            if (op == "<=") return s <= rpv;
            if (op == ">") return s > rpv;
            if (op == ">=") return s >= rpv;
            if (op == "%") return match_limit(s, rpv);
            if (op == "!%") return !match_limit(s, rpv);
            break;
        }
        case kind::number: {
            double const n = parse_float(rpv);
            if (op == "=") return value.num == n;
            if (op == "!=") return value.num != n;
            if (op == "<") return value.num < n;
            if (op == "<=") return value.num <= n;
            if (op == ">") return value.num > n;
            if (op == ">=") return value.num >= n;
            break;
        }
        case kind::true_:
            if (op == "=") return rpv == "true";
            if (op == "!=") return rpv != "true";
            if (op == ">") return rpv == "false";
            if (op == ">=") return true;
            break;
        case kind::false_:
            if (op == "=") return rpv == "false";
            if (op == "!=") return rpv != "false";
            if (op == "<") return rpv == "true";
            if (op == "<=") return true;
            break;
        default: break;
        }
        return false;
    }

    std::pair<std::size_t, bool> parse_object(context& c, std::size_t i, sv path);
    std::pair<std::size_t, bool> parse_array(context& c, std::size_t i, sv path);
    /// parseAny with hit = true.
    bool parse_any(sv json, std::size_t i, gjson_result& res);
};

inline bool engine::parse_any(sv json, std::size_t i, gjson_result& res) {
    for (; i < json.size(); ++i) {
        if (json[i] == '{' || json[i] == '[') {
            auto [ni, val] = parse_squash(json, i);
            res.raw = scratch(val);
            res.type = kind::json;
            return true;
        }
        if (static_cast<unsigned char>(json[i]) <= ' ') continue;
        bool num = false;
        switch (json[i]) {
        case '"': {
            auto const s = parse_string(json, i + 1);
            if (!s.ok) return false;
            set_string(res, s.raw, s.esc);
            return true;
        }
        case 'n':
            if (i + 1 < json.size() && json[i + 1] != 'u') {
                num = true;
                break;
            }
            [[fallthrough]];
        case 't': case 'f': {
            char const vc = json[i];
            auto [ni, val] = parse_literal(json, i);
            res.raw = scratch(val);
            res.type = vc == 't' ? kind::true_ : vc == 'f' ? kind::false_ : kind::null;
            return true;
        }
        case '+': case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        case '8': case '9': case 'i': case 'I': case 'N':
            num = true;
            break;
        }
        if (num) {
            auto [ni, val] = parse_number(json, i);
            res.raw = scratch(val);
            res.type = kind::number;
            res.num = parse_float(val);
            return true;
        }
    }
    return false;
}

inline std::pair<std::size_t, bool> engine::parse_object(context& c, std::size_t i, sv path) {
    bool pmatch = false, kesc = false, ok = false, hit = false;
    sv key;
    auto rp = parse_object_path(path);
    if (!rp.more && rp.piped) {
        c.pipe = scratch(rp.pipe);
        c.piped = true;
    }
    sv const json = c.json;
    while (i < json.size()) {
        for (; i < json.size(); ++i) {
            if (json[i] == '"') {
                ++i;
                std::size_t const s = i;
                for (; i < json.size(); ++i) {
                    if (json[i] > '\\') continue;
                    if (json[i] == '"') {
                        key = json.substr(s, i - s), kesc = false, ok = true;
                        ++i;
                        goto key_done;
                    }
                    if (json[i] == '\\') {
                        ++i;
                        for (; i < json.size(); ++i) {
                            if (json[i] > '\\') continue;
                            if (json[i] == '"') {
                                if (json[i - 1] == '\\') {
                                    std::size_t n = 0;
                                    for (std::size_t j = i - 2; j > 0; --j) {
                                        if (json[j] != '\\') break;
                                        ++n;
                                    }
                                    if (n % 2 == 0) continue;
                                }
                                key = json.substr(s, i - s), kesc = true, ok = true;
                                ++i;
                                goto key_done;
                            }
                        }
                        break;
                    }
                }
                key = json.substr(s), kesc = false, ok = false;
            key_done:
                break;
            }
            if (json[i] == '}') return {i + 1, false};
        }
        if (!ok) return {i, false};
        if (rp.wild) {
            pmatch = kesc ? match_limit(unescape(key).view(), rp.part.view()) : match_limit(key, rp.part.view());
        } else {
            pmatch = kesc ? rp.part.view() == unescape(key).view() : rp.part.view() == key;
        }
        hit = pmatch && !rp.more;
        for (; i < json.size(); ++i) {
            bool num = false;
            switch (json[i]) {
            default: continue;
            case '"': {
                auto const s = parse_string(json, i + 1);
                i = s.i;
                if (!s.ok) return {i, false};
                if (hit) {
                    set_string(c.value, s.raw, s.esc);
                    return {i, true};
                }
                break;
            }
            case '{':
                if (pmatch && !hit) {
                    std::tie(i, hit) = parse_object(c, i + 1, rp.path);
                    if (hit) return {i, true};
                } else {
                    auto [ni, val] = parse_squash(json, i);
                    i = ni;
                    if (hit) {
                        c.value.raw = scratch(val);
                        c.value.type = kind::json;
                        return {i, true};
                    }
                }
                break;
            case '[':
                if (pmatch && !hit) {
                    std::tie(i, hit) = parse_array(c, i + 1, rp.path);
                    if (hit) return {i, true};
                } else {
                    auto [ni, val] = parse_squash(json, i);
                    i = ni;
                    if (hit) {
                        c.value.raw = scratch(val);
                        c.value.type = kind::json;
                        return {i, true};
                    }
                }
                break;
            case 'n':
                if (i + 1 < json.size() && json[i + 1] != 'u') {
                    num = true;
                    break;
                }
                [[fallthrough]];
            case 't': case 'f': {
                char const vc = json[i];
                auto [ni, val] = parse_literal(json, i);
                i = ni;
                if (hit) {
                    c.value.raw = scratch(val);
                    c.value.type = vc == 't' ? kind::true_ : vc == 'f' ? kind::false_ : kind::null;
                    return {i, true};
                }
                break;
            }
            case '+': case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
            case '8': case '9': case 'i': case 'I': case 'N':
                num = true;
                break;
            }
            if (num) {
                auto [ni, val] = parse_number(json, i);
                i = ni;
                if (hit) {
                    c.value.raw = scratch(val);
                    c.value.type = kind::number;
                    c.value.num = parse_float(val);
                    return {i, true};
                }
            }
            break;
        }
    }
    return {i, false};
}

inline std::pair<std::size_t, bool> engine::parse_array(context& c, std::size_t i, sv path) {
    bool pmatch = false, hit = false;
    std::size_t h = 0;
    std::vector<std::size_t> alog;
    long long partidx = -1;
    scratch multires;
    auto rp = parse_array_path(path);
    if (!rp.arrch) {
        auto [ok, n] = parse_uint(rp.part);
        partidx = ok ? static_cast<long long>(n) : -1;
    }
    if (!rp.more && rp.piped) {
        c.pipe = scratch(rp.pipe);
        c.piped = true;
    }
    sv const json = c.json;

    auto proc_query = [&](gjson_result const& qval) -> bool {
        if (rp.query.all && multires.empty()) multires.push_back('[');
        gjson_result res;
        if (qval.type == kind::json) {
            res = get(qval.raw.view(), rp.query.path);
        } else {
            if (!rp.query.path.empty()) return false;
            res = qval;
        }
        if (query_matches(rp, res)) {
            if (rp.more) {
                auto const sp = split_possible_pipe(rp.path);
                if (sp.ok) {
                    rp.path = sp.left;
                    c.pipe = scratch(sp.right);
                    c.piped = true;
                }
                res = get(qval.raw.view(), rp.path);
            } else {
                res = qval;
            }
            if (rp.query.all) {
                scratch raw = res.raw;
                if (raw.empty()) raw = res.string();
                if (!raw.empty()) {
                    if (multires.size() > 1) multires.push_back(',');
                    multires.append(raw);
                }
            } else {
                c.value = std::move(res);
                return true;
            }
        }
        return false;
    };

    while (i < json.size() + 1) {
        if (!rp.arrch) {
            pmatch = partidx == static_cast<long long>(h);
            hit = pmatch && !rp.more;
        }
        ++h;
        if (rp.alogok) alog.push_back(i);
        for (;; ++i) {
            char ch;
            if (i > json.size()) break;
            else if (i == json.size()) ch = ']';
            else ch = json[i];
            bool num = false;
            switch (ch) {
            default: continue;
            case '"': {
                auto const s = parse_string(json, i + 1);
                i = s.i;
                if (!s.ok) return {i, false};
                if (rp.query.on) {
                    gjson_result qval;
                    set_string(qval, s.raw, s.esc);
                    if (proc_query(qval)) return {i, true};
                } else if (hit) {
                    if (rp.alogok) break;
                    set_string(c.value, s.raw, s.esc);
                    return {i, true};
                }
                break;
            }
            case '{':
            case '[':
                if (pmatch && !hit) {
                    std::tie(i, hit) = ch == '{' ? parse_object(c, i + 1, rp.path) : parse_array(c, i + 1, rp.path);
                    if (hit) {
                        if (rp.alogok) break;
                        return {i, true};
                    }
                } else {
                    auto [ni, val] = parse_squash(json, i);
                    i = ni;
                    if (rp.query.on) {
                        gjson_result qval;
                        qval.raw = scratch(val);
                        qval.type = kind::json;
                        if (proc_query(qval)) return {i, true};
                    } else if (hit) {
                        if (rp.alogok) break;
                        c.value.raw = scratch(val);
                        c.value.type = kind::json;
                        return {i, true};
                    }
                }
                break;
            case 'n':
                if (i + 1 < json.size() && json[i + 1] != 'u') {
                    num = true;
                    break;
                }
                [[fallthrough]];
            case 't': case 'f': {
                char const vc = json[i];
                auto [ni, val] = parse_literal(json, i);
                i = ni;
                auto const t = vc == 't' ? kind::true_ : vc == 'f' ? kind::false_ : kind::null;
                if (rp.query.on) {
                    gjson_result qval;
                    qval.raw = scratch(val);
                    qval.type = t;
                    if (proc_query(qval)) return {i, true};
                } else if (hit) {
                    if (rp.alogok) break;
                    c.value.raw = scratch(val);
                    c.value.type = t;
                    return {i, true};
                }
                break;
            }
            case '+': case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
            case '8': case '9': case 'i': case 'I': case 'N':
                num = true;
                break;
            case ']':
                if (rp.arrch && rp.part == "#") {
                    if (rp.alogok) {
                        auto const sp = split_possible_pipe(rp.alogkey);
                        if (sp.ok) {
                            rp.alogkey = sp.left;
                            c.pipe = scratch(sp.right);
                            c.piped = true;
                        }
                        scratch jsons("[");
                        std::size_t k = 0;
                        for (std::size_t idx : alog) {
                            while (idx < json.size() &&
                                   (json[idx] == ' ' || json[idx] == '\t' || json[idx] == '\r' || json[idx] == '\n'))
                                ++idx;
                            if (idx < json.size() && json[idx] != ']') {
                                gjson_result any;
                                if (parse_any(json, idx, any)) {
                                    auto res = get(any.raw.view(), rp.alogkey);
                                    if (res.exists()) {
                                        if (k > 0) jsons.push_back(',');
                                        scratch raw = res.raw;
                                        if (raw.empty()) raw = res.string();
                                        jsons.append(raw);
                                        ++k;
                                    }
                                }
                            }
                        }
                        jsons.push_back(']');
                        c.value.type = kind::json;
                        c.value.raw = std::move(jsons);
                        return {i + 1, true};
                    }
                    c.value.type = kind::number;
                    c.value.num = static_cast<double>(h - 1);
                    c.value.raw = scratch(std::to_string(h - 1));
                    c.calcd = true;
                    return {i + 1, true};
                }
                if (!c.value.exists()) {
                    if (!multires.empty()) {
                        c.value = gjson_result{};
                        c.value.raw = multires;
                        c.value.raw.push_back(']');
                        c.value.type = kind::json;
                    } else if (rp.query.all) {
                        c.value = gjson_result{};
                        c.value.raw = scratch(sv("[]"));
                        c.value.type = kind::json;
                    }
                }
                return {i + 1, false};
            }
            if (num) {
                auto [ni, val] = parse_number(json, i);
                i = ni;
                if (rp.query.on) {
                    gjson_result qval;
                    qval.raw = scratch(val);
                    qval.type = kind::number;
                    qval.num = parse_float(val);
                    if (proc_query(qval)) return {i, true};
                } else if (hit) {
                    if (rp.alogok) break;
                    c.value.raw = scratch(val);
                    c.value.type = kind::number;
                    c.value.num = parse_float(val);
                    return {i, true};
                }
            }
            break;
        }
    }
    return {i, false};
}

inline gjson_result engine::get(sv json, sv path) {
    if (path.size() > 1) {
        if (path[0] == '@') {
            // execModifier: a known modifier name up to ':', '|' or '.'
            std::size_t i = 1;
            for (; i < path.size(); ++i)
                if (path[i] == ':' || path[i] == '|' || path[i] == '.') break;
            if (is_modifier(path.substr(1, i - 1))) {
                unsupported = true;
                return {};
            }
        } else if (path[0] == '!') {
            // execStatic
            sv name = path.substr(1);
            bool is_static = false;
            switch (name[0]) {
            case '{': case '[': case '"': case '+': case '-': case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9': is_static = true; break;
            default: {
                for (std::size_t i = 1; i < path.size(); ++i)
                    if (path[i] == '|' || path[i] == '.') {
                        name = path.substr(1, i - 1);
                        break;
                    }
                std::string l(name);
                for (auto& ch : l)
                    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
                is_static = l == "true" || l == "false" || l == "null" || l == "nan" || l == "inf";
            }
            }
            if (is_static) {
                unsupported = true;
                return {};
            }
        }
        if (path[0] == '[' || path[0] == '{') {
            // parseSubSelectors: a balanced selector list followed by nothing, '|' or '.'.
            int depth = 1;
            std::size_t i = 1;
            bool closed = false;
            for (; i < path.size(); ++i) {
                char const ch = path[i];
                if (ch == '\\') {
                    ++i;
                } else if (ch == '"') {
                    ++i;
                    for (; i < path.size(); ++i) {
                        if (path[i] == '\\') ++i;
                        else if (path[i] == '"') break;
                    }
                } else if (ch == '[' || ch == '(' || ch == '{') {
                    ++depth;
                } else if (ch == ']' || ch == ')' || ch == '}') {
                    if (--depth == 0) {
                        closed = true;
                        break;
                    }
                }
            }
            if (closed) {
                sv rest = path.substr(i + 1);
                if (rest.empty() || rest[0] == '|' || rest[0] == '.') {
                    unsupported = true;
                    return {};
                }
            }
        }
    }
    context c;
    c.json = json;
    if (path.size() >= 2 && path[0] == '.' && path[1] == '.') {
        unsupported = true;  // JSON Lines
        return {};
    }
    for (std::size_t i = 0; i < json.size(); ++i) {
        if (json[i] == '{') {
            parse_object(c, i + 1, path);
            break;
        }
        if (json[i] == '[') {
            parse_array(c, i + 1, path);
            break;
        }
    }
    if (c.piped) {
        scratch const raw = c.value.raw;
        scratch const pipe = c.pipe;
        return get(raw.view(), pipe.view());
    }
    return std::move(c.value);
}

} // namespace gj

ESX_DECL scratch gjson_result::string() const {
    switch (type) {
    case kind::false_: return scratch(std::string_view("false"));
    case kind::true_: return scratch(std::string_view("true"));
    case kind::string: return str;
    case kind::json: return raw;
    case kind::number: {
        if (raw.empty()) return scratch(format_float_f(num));
        std::size_t i = raw[0] == '-' ? 1 : 0;
        for (; i < raw.size(); ++i)
            if (raw[i] < '0' || raw[i] > '9') return scratch(format_float_f(num));
        return raw;
    }
    default: return {};
    }
}

ESX_DECL gjson_outcome gjson(std::string_view json, std::string_view path) {
    gj::engine e;
    gjson_outcome out;
    out.value = e.get(json, path);
    out.unsupported = e.unsupported;
    return out;
}

ESX_DECL bool wildcard_match(std::string_view str, std::string_view pattern) { return gj::match_limit(str, pattern); }

} // namespace esx::transform::detail

#endif
