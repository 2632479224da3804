// esx::spec: the regular expressions of ESO manifests (`namespaceRegexes`, `find.name.regexp`,
// `rewrite[].regexp.source`), which ESO compiles with Go's RE2 `regexp` package.
//
// esx compiles them with std::regex (ECMAScript) after a stricter check, so that a pattern esx
// accepts is one ESO accepts too:
//   - refused, because RE2 refuses them: backreferences (`\1`), lookaround (`(?=`, `(?!`,
//     `(?<=`, `(?<!`), possessive/atomic groups (`(?>`);
//   - translated, because ECMAScript lacks them: leading flags `(?i)` `(?s)` `(?m)` `(?U)`-free
//     sets (as std::regex flags; `i` only; others refused), named groups `(?P<name>` and `(?<name>`;
//   - still different: Unicode classes (`\pL`, `\p{Greek}`) are refused; POSIX classes inside
//     brackets (`[[:alpha:]]`) work in both; std::regex backtracks where RE2 runs in linear
//     time, which matters only for patterns from untrusted authors (manifests are trusted here);
//     `\z` is accepted by RE2 only and refused here.
#ifndef ESX_SPEC_REGEX_HPP
#define ESX_SPEC_REGEX_HPP

#include <esx/failure.hpp>

#include <regex>
#include <string>
#include <string_view>

namespace esx::spec {

/// Compiles `pattern` (RE2 syntax) or says why not, in Go's words where Go has them
/// (`error parsing regexp: invalid or unsupported Perl syntax: `(?=``).
inline result<std::regex, failure> compile_regex(std::string_view pattern) {
    auto refuse = [](std::string why) {
        return failure{make_error_code(error::invalid_option), "error parsing regexp: " + std::move(why)};
    };
    std::string translated;
    translated.reserve(pattern.size());
    auto flags = std::regex::ECMAScript;
    std::size_t i = 0;
    // Leading flag group, e.g. `(?i)`.
    if (pattern.starts_with("(?") && pattern.size() > 3) {
        std::size_t close = pattern.find(')');
        std::string_view set = pattern.substr(2, close == std::string_view::npos ? 0 : close - 2);
        if (close != std::string_view::npos && !set.empty() &&
            set.find_first_not_of("imsU-") == std::string_view::npos) {
            if (set.find_first_not_of("i") != std::string_view::npos)
                return refuse("flags other than (?i) are not supported by esx: `" +
                              std::string(pattern.substr(0, close + 1)) + "`");
            flags |= std::regex::icase;
            i = close + 1;
        }
    }
    bool in_class = false;
    std::size_t class_start = 0;
    int depth = 0;
    bool operand = false;  // something a `*`, `+` or `?` may repeat precedes
    for (; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\') {
            if (i + 1 >= pattern.size()) return refuse("trailing backslash at end of expression: ``");
            char n = pattern[i + 1];
            if (n >= '1' && n <= '9') return refuse("invalid escape sequence: `\\" + std::string(1, n) + "`");
            if (n == 'p' || n == 'P') return refuse("Unicode classes are not supported by esx: `\\" + std::string(1, n) + "`");
            if (n == 'z') return refuse("`\\z` is not supported by esx; use `$`");
            translated += c;
            translated += n;
            ++i;
            operand = true;
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            translated += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            class_start = i;
            operand = true;
            translated += c;
            // `[]a]` and `[^]a]`: a leading `]` is a literal, as in RE2.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') { translated += '^'; ++i; }
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') { translated += "\\]"; ++i; }
            continue;
        }
        if (c == '(' && i + 1 < pattern.size() && pattern[i + 1] == '?') {
            std::string_view rest = pattern.substr(i);
            if (rest.starts_with("(?:")) { translated += "(?:"; i += 2; ++depth; operand = false; continue; }
            if (rest.starts_with("(?P<") || (rest.starts_with("(?<") && !rest.starts_with("(?<=") &&
                                             !rest.starts_with("(?<!"))) {
                std::size_t close = rest.find('>');
                if (close == std::string_view::npos) return refuse("invalid named capture: `" + std::string(rest) + "`");
                translated += '(';
                i += close;
                ++depth;
                operand = false;
                continue;
            }
            std::size_t len = rest.size() < 4 ? rest.size() : (rest[2] == '<' ? 4 : 3);
            return refuse("invalid or unsupported Perl syntax: `" + std::string(rest.substr(0, len)) + "`");
        }
        if (c == '(') { ++depth; operand = false; }
        else if (c == ')') {
            if (--depth < 0) return refuse("unexpected ): `" + std::string(pattern) + "`");
            operand = true;
        } else if (c == '|') operand = false;
        else if (c == '*' || c == '+' || c == '?') {
            if (!operand) return refuse("missing argument to repetition operator: `" + std::string(1, c) + "`");
        } else operand = true;
        translated += c;
    }
    if (in_class) return refuse("missing closing ]: `" + std::string(pattern.substr(class_start)) + "`");
    if (depth > 0) return refuse("missing closing ): `" + std::string(pattern) + "`");
    try {
        return std::regex(translated, flags);
    } catch (std::regex_error const& e) {
        return refuse(e.what());
    }
}

} // namespace esx::spec

#endif
