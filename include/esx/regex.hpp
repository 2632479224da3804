// esx::regex: the regular expressions users write in ESO manifests (`find.name.regexp`,
// `rewrite[].regexp`, `namespaceRegexes`), with Go's `regexp` semantics.
//
// ESO compiles them with Go's RE2 engine. esx uses RE2 itself (Debian's libre2): the same
// syntax, leftmost-first matching like Go, and matching in time linear in the input, so a
// namespace user's `(a+)+$` cannot stall a controller that syncs every namespace. Errors are
// Go's texts (`error parsing regexp: missing closing ): `(a``), so a manifest refused by esx
// reads as ESO would refuse it. Users of this header link `re2` (`pkg-config re2`).
#ifndef ESX_REGEX_HPP
#define ESX_REGEX_HPP

#include <esx/failure.hpp>

#include <re2/re2.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace esx {

class regex {
public:
    /// Compiles `pattern` (Go RE2 syntax). The failure's message is Go's `regexp.Compile` text.
    static result<regex, failure> compile(std::string_view pattern) {
        RE2::Options o;
        o.set_log_errors(false);
        o.set_encoding(RE2::Options::EncodingUTF8);
        o.set_longest_match(false);  // leftmost-first, as Go
        o.set_max_mem(8 << 20);      // bounds compilation of huge repetitions
        auto re = std::make_shared<RE2 const>(re2::StringPiece(pattern.data(), pattern.size()), o);
        if (!re->ok()) {
            std::string text = "error parsing regexp: " + std::string(go_code(re->error_code())) + ": `" +
                               (re->error_arg().empty() ? std::string(pattern) : re->error_arg()) + "`";
            return failure{make_error_code(error::invalid_option), std::move(text)};
        }
        return regex(std::move(re));
    }

    std::string const& pattern() const noexcept { return re_->pattern(); }
    /// Number of capturing groups.
    int groups() const noexcept { return re_->NumberOfCapturingGroups(); }

    /// Go's `MatchString`: a match anywhere in `text` (unanchored).
    bool search(std::string_view text) const {
        return re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED, nullptr, 0);
    }

    /// Go's `ReplaceAllString`: every non-overlapping match replaced by `replacement` after
    /// `$1`, `${1}`, `$name`, `${name}` and `$$` expansion (Go's `Regexp.Expand` rules: a name
    /// is the longest run of letters, digits and `_`; an unknown group expands to nothing; a
    /// `$` not followed by a valid reference is copied as is).
    std::string replace_all(std::string_view text, std::string_view replacement) const {
        int const n = groups() + 1;
        std::vector<re2::StringPiece> m(static_cast<std::size_t>(n));
        std::string out;
        std::size_t search_pos = 0, last_end = 0;
        re2::StringPiece const whole(text.data(), text.size());
        while (search_pos <= text.size()) {
            if (!re_->Match(whole, search_pos, text.size(), RE2::UNANCHORED, m.data(), n)) break;
            std::size_t const a0 = static_cast<std::size_t>(m[0].data() - text.data());
            std::size_t const a1 = a0 + m[0].size();
            out.append(text.substr(last_end, a0 - last_end));
            // No replacement for an empty match right after the previous match (Go's rule).
            if (a1 > last_end || a0 == 0) expand(out, replacement, m);
            last_end = a1;
            std::size_t width = search_pos < text.size() ? utf8_width(text, search_pos) : 1;
            if (search_pos + width > a1) search_pos += width;
            else if (search_pos + 1 > a1) ++search_pos;
            else search_pos = a1;
        }
        out.append(text.substr(last_end));
        return out;
    }

private:
    explicit regex(std::shared_ptr<RE2 const> re) : re_(std::move(re)) {}

    static std::size_t utf8_width(std::string_view s, std::size_t i) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        return i + w <= s.size() ? w : 1;
    }

    static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    void expand(std::string& out, std::string_view tmpl, std::vector<re2::StringPiece> const& m) const {
        while (!tmpl.empty()) {
            auto dollar = tmpl.find('$');
            if (dollar == std::string_view::npos) {
                out.append(tmpl);
                return;
            }
            out.append(tmpl.substr(0, dollar));
            tmpl.remove_prefix(dollar);
            if (tmpl.size() > 1 && tmpl[1] == '$') {
                out.push_back('$');
                tmpl.remove_prefix(2);
                continue;
            }
            std::string_view name, rest;
            if (!extract(tmpl, name, rest)) {
                out.push_back('$');  // malformed: the `$` is kept
                tmpl.remove_prefix(1);
                continue;
            }
            tmpl = rest;
            int index = -1;
            bool numeric = name.find_first_not_of("0123456789") == std::string_view::npos;
            if (numeric) {
                index = 0;
                for (char c : name) {
                    index = index * 10 + (c - '0');
                    if (index > 100000) break;
                }
            } else {
                auto const& names = re_->NamedCapturingGroups();
                if (auto it = names.find(std::string(name)); it != names.end()) index = it->second;
            }
            if (index >= 0 && static_cast<std::size_t>(index) < m.size() && m[static_cast<std::size_t>(index)].data())
                out.append(m[static_cast<std::size_t>(index)].data(), m[static_cast<std::size_t>(index)].size());
        }
    }

    /// Go's `extract`: `$name` or `${name}` at the start of `t`.
    static bool extract(std::string_view t, std::string_view& name, std::string_view& rest) {
        if (t.size() < 2 || t[0] != '$') return false;
        bool brace = t[1] == '{';
        std::size_t i = brace ? 2 : 1;
        std::size_t start = i;
        while (i < t.size() && name_char(t[i])) ++i;
        if (i == start) return false;
        name = t.substr(start, i - start);
        if (brace) {
            if (i >= t.size() || t[i] != '}') return false;
            ++i;
        }
        rest = t.substr(i);
        return true;
    }

    static std::string_view go_code(RE2::ErrorCode c) {
        switch (c) {
        case RE2::ErrorBadEscape: return "invalid escape sequence";
        case RE2::ErrorBadCharClass: return "invalid character class";
        case RE2::ErrorBadCharRange: return "invalid character class range";
        case RE2::ErrorMissingBracket: return "missing closing ]";
        case RE2::ErrorMissingParen: return "missing closing )";
        case RE2::ErrorUnexpectedParen: return "unexpected )";
        case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
        case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
        case RE2::ErrorRepeatSize: return "invalid repeat count";
        case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
        case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
        case RE2::ErrorBadUTF8: return "invalid UTF-8";
        case RE2::ErrorBadNamedCapture: return "invalid named capture";
        case RE2::ErrorPatternTooLarge: return "expression too large";
        default: return "invalid regular expression";
        }
    }

    std::shared_ptr<RE2 const> re_;
};

} // namespace esx

#endif
