// esx::transform::templating::functions::detail: the Go and Sprig helpers every Sprig function
// leans on: `strval`, spf13/cast's number conversions, `reflect.DeepEqual`, Go's panic texts,
// and the `strings` package's rune-wise operations.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_SPRIG_SUPPORT_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_SPRIG_SUPPORT_HPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/error.hpp>
#include <esx/transform/template/function.hpp>
#include <esx/transform/template/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace esx::transform::templating::functions::detail {

/// A recovered Go panic or a returned Go error: text/template reports both as
/// `error calling <fn>: <text>`.
inline failure go_failure(std::string text) {
    return failure(make_error_code(error::function_failed), std::move(text));
}

inline constexpr std::string_view nil_dereference = "runtime error: invalid memory address or nil pointer dereference";

/// A string result, refused when it would pass the render's string bound.
inline result<value, failure> bounded(call_context const& ctx, text s) {
    if (s.size() > ctx.max_string_bytes) return output_limit_failure(ctx.max_string_bytes);
    return value::string(std::move(s));
}

/// Sprig's strval: strings and []byte as their bytes, a time via String(), else `%v`.
ESX_DECL text strval(value const& v);

/// spf13/cast's ToInt64 (errors become 0): ints, floats truncated, bools 1/0, nil 0, strings
/// parsed with base prefixes and a zero decimal part dropped (`"12.0"`, `"0x1F"`, `"1_000"`).
ESX_DECL std::int64_t cast_int64(value const& v);

/// spf13/cast's ToFloat64 (errors become 0).
ESX_DECL double cast_float64(value const& v);

/// Go's `strconv.Atoi` as Sprig's `atoi` uses it: the error dropped, so a syntax error is 0
/// and an out-of-range number the clamped limit.
ESX_DECL std::int64_t go_atoi(std::string_view s);

/// `reflect.DeepEqual` on template values (types must match: `1` and `int64 1` differ).
ESX_DECL bool deep_equal(value const& a, value const& b);

/// Go's `unicode.ToUpper` / `ToLower` / `ToTitle` of one rune.
ESX_DECL char32_t to_upper(char32_t r);
ESX_DECL char32_t to_lower(char32_t r);

/// `unicode.IsSpace`.
ESX_DECL bool is_unicode_space(char32_t r) noexcept;

/// `strings.Map(f, s)`: invalid UTF-8 bytes become U+FFFD.
ESX_DECL text map_runes(std::string_view s, char32_t (*f)(char32_t));

/// `strings.Title`.
ESX_DECL text go_title(std::string_view s);

/// `strings.TrimSpace` and `strings.Trim(s, cutset)`.
ESX_DECL std::string_view trim_space(std::string_view s);
ESX_DECL std::string_view trim_cutset(std::string_view s, std::string_view cutset);

/// `strings.Split(s, sep)` (an empty separator splits into UTF-8 sequences).
ESX_DECL std::vector<std::string_view> go_split(std::string_view s, std::string_view sep, long n = -1);

/// `strings.Replace(s, old, new, -1)`; false when the result would pass `limit`.
ESX_DECL bool go_replace_all(std::string_view s, std::string_view old, std::string_view with, std::size_t limit, text& out);

} // namespace esx::transform::templating::functions::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/sprig_support.ipp>
#endif

#endif
