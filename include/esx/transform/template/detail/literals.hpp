// esx::transform::templating::detail: Go's literal syntax, as the template parser reads it.
//
// `strconv.Unquote` for "..." and `...` strings, `strconv.UnquoteChar` for 'x', and the
// number rules of text/template/parse's NumberNode (ParseUint/ParseInt with base 0, then
// ParseFloat): `0x1F`, `0o17`, `0b101`, `017`, `1_000`, `1e3`, `0x1p-2`, `.5`.
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_LITERALS_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_LITERALS_HPP

#include <esx/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace esx::transform::templating::detail {

/// `strconv.Unquote` of a double-quoted or back-quoted literal; nothing on a syntax error.
ESX_DECL std::optional<std::string> unquote(std::string_view literal);

/// `strconv.UnquoteChar(s, quote)`: the first (possibly escaped) character of `s` and what
/// follows it; nothing on a syntax error.
struct unquoted_char {
    char32_t value;
    bool multibyte;       ///< a rune to encode as UTF-8 (false: a single byte)
    std::string_view tail;
};
ESX_DECL std::optional<unquoted_char> unquote_char(std::string_view s, char quote);

/// `strconv.ParseInt(s, 0, 64)` and `strconv.ParseUint(s, 0, 64)`.
ESX_DECL std::optional<std::int64_t> parse_go_int(std::string_view s);
ESX_DECL std::optional<std::uint64_t> parse_go_uint(std::string_view s);
/// `strconv.ParseFloat(s, 64)`; nothing on a syntax error or overflow.
ESX_DECL std::optional<double> parse_go_float(std::string_view s);

} // namespace esx::transform::templating::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/literals.ipp>
#endif

#endif
