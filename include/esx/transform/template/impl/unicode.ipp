// esx::transform::templating::detail: Unicode classes (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_UNICODE_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_UNICODE_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/unicode.hpp>

#include <re2/re2.h>

#include <string>

namespace esx::transform::templating::detail {

ESX_DECL bool is_alphanumeric(char32_t r) {
    if (r < 0x80) return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
    if (r > 0x10FFFF) return false;  // end of input
    // RE2 and Go share the Unicode category tables (both generated from the UCD).
    static RE2 const letter_or_digit("[\\p{L}\\p{Nd}]");
    std::string encoded;
    transform::detail::append_rune(encoded, r);
    return RE2::FullMatch(encoded, letter_or_digit);
}

} // namespace esx::transform::templating::detail

#endif
