// esx::regex: the regular expressions users write in ESO manifests (`find.name.regexp`,
// `rewrite[].regexp`, `namespaceRegexes`), with Go's `regexp` semantics.
//
// ESO compiles them with Go's RE2 engine. esx uses RE2 itself (Debian's libre2): the same
// syntax, leftmost-first matching like Go, and matching in time linear in the input (RE2
// guarantees O(program size x input length), no backtracking), so a namespace user's `(a+)+$`
// cannot stall a controller that syncs every namespace. Errors are Go's texts
// (`error parsing regexp: missing closing ): `(a``), so a manifest refused by esx reads as
// ESO would refuse it. Users of this header link `re2` (`pkg-config re2`).
//
// Where Debian's RE2 (2022-06) and Go 1.26 differ, esx follows Go: `(?<name>re)` is accepted
// (Go 1.22+; `(?<!a)` is then an invalid named capture, as in Go), `\C` (any byte) is refused, `$name` in a replacement takes Unicode letters and
// digits, and a name with a leading zero (`$01`) is a group name, not a number.
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
    /// Compiles `pattern` (Go RE2 syntax). The failure's message is Go's `regexp.Compile` text;
    /// its code is `esx::error::invalid_option` (condition `invalid_input`).
    static result<regex, failure> compile(std::string_view pattern) {
        std::string translated;
        bool renamed = false;
        if (auto refused = translate(pattern, translated, renamed); !refused.empty())
            return failure{make_error_code(error::invalid_option), "error parsing regexp: " + refused};
        RE2::Options o;
        o.set_log_errors(false);
        o.set_encoding(RE2::Options::EncodingUTF8);
        o.set_longest_match(false);  // leftmost-first, as Go
        o.set_max_mem(8 << 20);      // bounds compilation of huge repetitions
        auto re = std::make_shared<RE2 const>(re2::StringPiece(translated.data(), translated.size()), o);
        if (!re->ok()) {
            std::string arg = re->error_arg();
            // Go quotes the whole expression where RE2 quotes the translated one.
            if (arg == translated) arg = std::string(pattern);
            else if (renamed && arg.starts_with("(?P<")) arg.erase(2, 1);
            if (re->error_code() == RE2::ErrorTrailingBackslash) arg.clear();  // Go: "...expression: ``"
            return failure{make_error_code(error::invalid_option),
                           "error parsing regexp: " + std::string(go_code(re->error_code())) + ": `" + arg + "`"};
        }
        return regex(std::move(re), std::string(pattern));
    }

    /// The pattern as written.
    std::string const& pattern() const noexcept { return pattern_; }
    /// Number of capturing groups.
    int groups() const noexcept { return re_->NumberOfCapturingGroups(); }

    /// Size of the compiled forward program (RE2 instructions). RE2's matching costs at most
    /// O(program_size() x input length) steps, whatever the pattern and the input.
    int program_size() const noexcept { return re_->ProgramSize(); }
    /// Size of the reverse program RE2 builds to find where an unanchored match starts.
    int reverse_program_size() const noexcept { return re_->ReverseProgramSize(); }
    /// The engine underneath: a `regex` is always RE2, never a backtracking engine.
    RE2 const& re2() const noexcept { return *re_; }

    /// Go's `MatchString`: a match anywhere in `text` (unanchored). As in Go, each byte of
    /// invalid UTF-8 in `text` reads as U+FFFD (RE2 alone would match it with nothing).
    bool search(std::string_view text) const {
        utf8_view const v(text);
        auto const t = v.text();
        return re_->Match(re2::StringPiece(t.data(), t.size()), 0, t.size(), RE2::UNANCHORED, nullptr, 0);
    }

    /// The leftmost-first match in `text` starting the search at byte `pos` (the text before
    /// `pos` still counts for `^`, `\b` and the like, as Go's `doExecute` with a position).
    /// Sets `[begin, end)` and returns true when there is one.
    bool find(std::string_view text, std::size_t pos, std::size_t& begin, std::size_t& end) const {
        re2::StringPiece m;
        if (pos > text.size() ||
            !re_->Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, &m, 1))
            return false;
        begin = static_cast<std::size_t>(m.data() - text.data());
        end = begin + m.size();
        return true;
    }

    /// Go's `ReplaceAllString`: every non-overlapping match replaced by `replacement` after
    /// `$1`, `${1}`, `$name`, `${name}` and `$$` expansion (Go's `Regexp.Expand` rules: a name
    /// is the longest run of letters, digits and `_`, so `$1x` names group "1x"; an unknown or
    /// unmatched group expands to nothing; a `$` not followed by a valid reference is kept). An
    /// empty match right after a previous match is not replaced (Go's rule).
    std::string replace_all(std::string_view original, std::string_view replacement) const {
        utf8_view const v(original);
        std::string_view const text = v.text();
        int const n = groups() + 1;
        std::vector<re2::StringPiece> m(static_cast<std::size_t>(n));
        std::vector<std::string_view> spans(static_cast<std::size_t>(n));
        std::string out;
        std::size_t search_pos = 0, last_end = 0;
        re2::StringPiece const whole(text.data(), text.size());
        while (search_pos <= text.size()) {
            // RE2 sees the whole text as context, so `^` and `\b` behave as in Go's doExecute.
            if (!re_->Match(whole, search_pos, text.size(), RE2::UNANCHORED, m.data(), n)) break;
            std::size_t const a0 = static_cast<std::size_t>(m[0].data() - text.data());
            std::size_t const a1 = a0 + m[0].size();
            out.append(v.original(last_end, a0));
            if (a1 > last_end || a0 == 0) {
                for (std::size_t k = 0; k < m.size(); ++k) {
                    if (!m[k].data()) {
                        spans[k] = {};
                        continue;
                    }
                    auto const b = static_cast<std::size_t>(m[k].data() - text.data());
                    spans[k] = v.original(b, b + m[k].size());
                    if (spans[k].data() == nullptr) spans[k] = std::string_view("", 0);  // matched, empty
                }
                expand(out, replacement, spans);
            }
            last_end = a1;
            // Advance past this match; always advance at least one rune.
            std::size_t const width = search_pos < text.size() ? utf8_width(text, search_pos) : 0;
            if (search_pos + width > a1) search_pos += width;
            else if (search_pos + 1 > a1) ++search_pos;
            else search_pos = a1;
        }
        out.append(v.original(last_end, text.size()));
        return out;
    }

private:
    regex(std::shared_ptr<RE2 const> re, std::string pattern) : re_(std::move(re)), pattern_(std::move(pattern)) {}

    /// `text` as Go's regexp sees it: each invalid UTF-8 byte becomes U+FFFD for matching,
    /// while offsets map back to the original bytes (which the output copies).
    class utf8_view {
    public:
        explicit utf8_view(std::string_view s) : original_(s) {
            bool valid = true;
            for (std::size_t i = 0; i < s.size() && valid;) {
                std::size_t const w = utf8_width(s, i);
                valid = !(w == 1 && static_cast<unsigned char>(s[i]) >= 0x80);
                i += w;
            }
            if (valid) return;  // the usual case: no copy
            for (std::size_t k = 0; k < s.size();) {
                std::size_t const w = utf8_width(s, k);
                if (w == 1 && static_cast<unsigned char>(s[k]) >= 0x80) {
                    for (int j = 0; j < 3; ++j) to_original_.push_back(k);
                    sanitized_.append("\xEF\xBF\xBD");
                } else {
                    for (std::size_t j = 0; j < w; ++j) to_original_.push_back(k + j);
                    sanitized_.append(s.substr(k, w));
                }
                k += w;
            }
            to_original_.push_back(s.size());
            copied_ = true;
        }
        std::string_view text() const { return copied_ ? std::string_view(sanitized_) : original_; }
        /// The original bytes behind [begin, end) of text() (rune boundaries).
        std::string_view original(std::size_t begin, std::size_t end) const {
            if (!copied_) return original_.substr(begin, end - begin);
            auto const b = to_original_[begin], e = to_original_[end];
            return original_.substr(b, e - b);
        }

    private:
        std::string_view original_;
        std::string sanitized_;
        std::vector<std::size_t> to_original_;
        bool copied_ = false;
    };

    /// Go's syntax where RE2's differs. Returns Go's error text (without the prefix) for what
    /// Go refuses and RE2 accepts, else fills `out` with the pattern to give RE2.
    static std::string translate(std::string_view p, std::string& out, bool& renamed) {
        out.reserve(p.size() + 4);
        bool in_class = false;
        for (std::size_t i = 0; i < p.size(); ++i) {
            char const c = p[i];
            if (c == '\\' && i + 1 < p.size()) {
                if (p[i + 1] == 'Q') {  // \Q...\E: literal text, copied as is
                    auto const end = p.find("\\E", i + 2);
                    auto const stop = end == std::string_view::npos ? p.size() : end + 2;
                    out.append(p.substr(i, stop - i));
                    i = stop - 1;
                    continue;
                }
                if (p[i + 1] == 'C') return "invalid escape sequence: `\\C`";
                out.append(p.substr(i, 2));
                ++i;
                continue;
            }
            if (in_class) {
                if (c == '[' && p.substr(i).starts_with("[:")) {  // [:alpha:] inside a class
                    auto const end = p.find(":]", i + 2);
                    if (end != std::string_view::npos) {
                        out.append(p.substr(i, end + 2 - i));
                        i = end + 1;
                        continue;
                    }
                }
                if (c == ']') in_class = false;
                out.push_back(c);
                continue;
            }
            if (c == '[') {
                in_class = true;
                out.push_back(c);
                // A leading `]` (after an optional `^`) is a literal, as in Go.
                if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
                if (i + 1 < p.size() && p[i + 1] == ']') out.push_back(p[++i]);
                continue;
            }
            if (c == '(' && p.substr(i).starts_with("(?<")) {
                // Go 1.22's named group spelling; RE2 2022 knows only (?P<. Go reads every `(?<`
                // as a name, so lookbehind `(?<!a)` is an invalid named capture there too.
                out.append("(?P<");
                renamed = true;
                i += 2;
                continue;
            }
            out.push_back(c);
        }
        return {};
    }

    /// Go's utf8.DecodeRuneInString width: 1 for an invalid or truncated sequence.
    static std::size_t utf8_width(std::string_view s, std::size_t i) {
        auto const b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
        auto const c = b(0);
        std::size_t const n = s.size() - i;
        auto cont = [&](std::size_t k) { return k < n && (b(k) & 0xC0) == 0x80; };
        if (c < 0x80) return 1;
        if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 1;
        if (c >= 0xE0 && c <= 0xEF) {
            unsigned const lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            return n > 1 && b(1) >= lo && b(1) <= hi && cont(2) ? 3 : 1;
        }
        if (c >= 0xF0 && c <= 0xF4) {
            unsigned const lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            return n > 1 && b(1) >= lo && b(1) <= hi && cont(2) && cont(3) ? 4 : 1;
        }
        return 1;
    }

    /// Go's `extract` name test: `unicode.IsLetter || unicode.IsDigit || '_'`.
    static std::size_t name_length(std::string_view t) {
        static RE2 const name_rune("[\\p{L}\\p{Nd}_]");
        std::size_t i = 0;
        while (i < t.size()) {
            if (static_cast<unsigned char>(t[i]) < 0x80) {
                char const c = t[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
                    ++i;
                    continue;
                }
                break;
            }
            std::size_t const w = utf8_width(t, i);
            if (w == 1 || !RE2::FullMatch(re2::StringPiece(t.data() + i, w), name_rune)) break;
            i += w;
        }
        return i;
    }

    /// Go's `extract`: `name` or `{name}` at the start of `t` (the `$` already consumed).
    static bool extract(std::string_view t, std::string_view& name, long& num, std::string_view& rest) {
        if (t.empty()) return false;
        bool const brace = t[0] == '{';
        if (brace) t.remove_prefix(1);
        std::size_t i = name_length(t);
        if (i == 0) return false;
        name = t.substr(0, i);
        if (brace) {
            if (i >= t.size() || t[i] != '}') return false;
            ++i;
        }
        num = 0;
        for (char ch : name) {
            if (ch < '0' || ch > '9' || num >= 100000000) {
                num = -1;
                break;
            }
            num = num * 10 + (ch - '0');
        }
        if (name[0] == '0' && name.size() > 1) num = -1;  // no leading zeros
        rest = t.substr(i);
        return true;
    }

    /// Go's `expand`; `m[k]` is group k's text, `data() == nullptr` when it took no part.
    void expand(std::string& out, std::string_view tmpl, std::vector<std::string_view> const& m) const {
        while (!tmpl.empty()) {
            auto const dollar = tmpl.find('$');
            if (dollar == std::string_view::npos) break;
            out.append(tmpl.substr(0, dollar));
            tmpl.remove_prefix(dollar + 1);
            if (!tmpl.empty() && tmpl[0] == '$') {
                out.push_back('$');
                tmpl.remove_prefix(1);
                continue;
            }
            std::string_view name, rest;
            long num = -1;
            if (!extract(tmpl, name, num, rest)) {
                out.push_back('$');  // malformed: the `$` is kept
                continue;
            }
            tmpl = rest;
            if (num >= 0) {
                if (static_cast<std::size_t>(num) < m.size() && m[static_cast<std::size_t>(num)].data())
                    out.append(m[static_cast<std::size_t>(num)]);
                continue;
            }
            // The leftmost group of that name that took part in the match (Go allows repeats).
            for (auto const& [index, group] : re_->CapturingGroupNames()) {
                auto const k = static_cast<std::size_t>(index);
                if (group == name && k < m.size() && m[k].data()) {
                    out.append(m[k]);
                    break;
                }
            }
        }
        out.append(tmpl);
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
        default: return "regexp/syntax: internal error";
        }
    }

    std::shared_ptr<RE2 const> re_;
    std::string pattern_;
};

} // namespace esx

#endif
