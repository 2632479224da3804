// esx::transform::templating::detail::sprintf: Go's fmt.Sprintf over template values.
//
// The verbs templates use (%v %s %q %d %x %X %o %O %b %c %U %e %E %f %F %g %G %t %T %%)
// with flags (+ - # space 0), width and precision (also `*`) and argument indexes
// (`%[2]s`), and Go's in-band error forms: `%!d(string=x)`, `%!s(MISSING)`,
// `%!(EXTRA int=1)`, `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`, `%!d(BADINDEX)`.
// These go to the rendered output, like Go's: never into an error message.
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_PRINTF_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_PRINTF_HPP

#include <esx/transform/template/value.hpp>

#include <span>
#include <string_view>

namespace esx::transform::templating::detail {

/// Stops early once the output passes `max_bytes` (the caller then refuses the result).
ESX_DECL text sprintf(std::string_view format, std::span<value const> args, std::size_t max_bytes);

/// strconv.FormatFloat(f, verb, prec, 64) for verb e, E, f, F, g, G (prec -1: shortest).
ESX_DECL std::string format_float(double f, char verb, int prec);

} // namespace esx::transform::templating::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/printf.ipp>
#endif

#endif
