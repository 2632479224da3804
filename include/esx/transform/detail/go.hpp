// esx::transform::detail: the few pieces of Go's standard library whose exact output ESO's
// bytes depend on — UTF-8 decoding (`unicode/utf8`), `encoding/json` string escaping and float
// formatting, `strconv.FormatFloat(f, 'f', -1, 64)`, `strconv.ParseFloat`, and `%c`/quoteChar.
//
// Intermediate copies of secret values live in `scratch`, a string whose memory is wiped when
// it is freed or reallocated (short strings stored inline are wiped by the destructor).
#ifndef ESX_TRANSFORM_DETAIL_GO_HPP
#define ESX_TRANSFORM_DETAIL_GO_HPP

#include <esx/config.hpp>
#include <esx/secret.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace esx::transform::detail {

/// A string for secret bytes in transit: heap blocks are wiped on free and reallocation, the
/// inline buffer on destruction.
class scratch : public std::basic_string<char, std::char_traits<char>, esx::detail::wiping_allocator<char>> {
    using base = std::basic_string<char, std::char_traits<char>, esx::detail::wiping_allocator<char>>;

public:
    using base::base;
    scratch() = default;
    scratch(base&& b) noexcept : base(std::move(b)) {}  // NOLINT: results of base operations
    explicit scratch(std::string_view s) : base(s.data(), s.size()) {}
    scratch(scratch const&) = default;
    scratch(scratch&&) noexcept = default;
    scratch& operator=(scratch const&) = default;
    scratch& operator=(scratch&&) noexcept = default;
    ~scratch() { esx::detail::secure_wipe(data(), capacity()); }

    std::string_view view() const noexcept { return {data(), size()}; }
    secret_bytes to_secret() const { return secret_bytes(view()); }
};

inline constexpr char32_t rune_error = 0xFFFD;

/// Go's `utf8.DecodeRuneInString`: the rune at `s[i]` and its width; an invalid or
/// incomplete sequence (overlong, surrogate, > U+10FFFF) is `rune_error` of width 1.
struct decoded_rune {
    char32_t rune;
    std::size_t width;
};
ESX_DECL decoded_rune decode_rune(std::string_view s, std::size_t i) noexcept;

/// Go's `utf8.EncodeRune` (invalid runes and surrogates become U+FFFD).
ESX_DECL void append_rune(std::string& out, char32_t r);
ESX_DECL void append_rune(scratch& out, char32_t r);

/// Go's `unicode.IsLetter(r) || unicode.IsNumber(r)` (categories L and N), via RE2's tables.
ESX_DECL bool is_letter_or_number(char32_t r);

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: `"` `\` as `\"` `\\`,
/// `\b \f \n \r \t`, other controls as `\u00XX`, invalid UTF-8 as `\ufffd`, U+2028/U+2029
/// escaped, and, when `escape_html`, `<` `>` `&` as `\u003c` `\u003e` `\u0026`.
ESX_DECL void append_json_string(scratch& out, std::string_view s, bool escape_html);

/// `strconv.FormatFloat(f, 'f', -1, 64)` (shortest round-trip digits, no exponent; `+Inf`, `NaN`).
ESX_DECL std::string format_float_f(double f);

/// How `encoding/json` writes a float64: `'f'` format, or `'e'` below 1e-6 / from 1e21, with
/// `e-07` shortened to `e-7`.
ESX_DECL std::string format_json_float(double f);

/// `strconv.ParseFloat(s, 64)`'s value, ignoring its error as gjson does: 0 when `s` is not a
/// Go float literal, ±Inf on overflow (decimal, `0x1p4` hexadecimal, `1_000`, `inf`, `NaN`).
ESX_DECL double parse_float(std::string_view s) noexcept;

/// Go's `unicode.IsPrint(r)` (categories L, M, N, P, S and the ASCII space), via RE2's tables.
ESX_DECL bool is_print(char32_t r);

/// Go's `strconv.Quote(s)` (what `%q` prints): printable runes as is, `\a \b \f \n \r \t \v`,
/// other bytes as `\xNN`, other runes as `\uNNNN` / `\UNNNNNNNN`.
ESX_DECL std::string go_quote(std::string_view s);

/// `encoding/json`'s quoteChar for syntax errors: `'x'`, `'\''`, `'"'`, `'\n'`, `'\x01'`.
ESX_DECL std::string quote_char(unsigned char c);

} // namespace esx::transform::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/go.ipp>
#endif

#endif
