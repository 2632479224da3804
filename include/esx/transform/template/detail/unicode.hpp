// esx::transform::templating::detail: the Unicode classes Go's template lexer uses.
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_UNICODE_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_UNICODE_HPP

#include <esx/config.hpp>

namespace esx::transform::templating::detail {

/// Go's `r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)` (categories L and Nd).
ESX_DECL bool is_alphanumeric(char32_t r);

} // namespace esx::transform::templating::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/unicode.ipp>
#endif

#endif
