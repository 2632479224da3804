// esx::transform::templating: failures of parsing and rendering a template.
#ifndef ESX_TRANSFORM_TEMPLATE_ERROR_HPP
#define ESX_TRANSFORM_TEMPLATE_ERROR_HPP

#include <esx/failure.hpp>

namespace esx::transform::templating {

/// Every one is condition `invalid_input`: the template or its data is wrong, retrying will
/// not help. Messages follow Go's text/template (`template: <key>:<line>:<col>: ...`) and
/// name keys, functions and arguments, never values.
enum class error {
    parse_failed = 1,     ///< the template text is not a valid template
    execution_failed,     ///< rendering failed (missing key, wrong type, bad index, ...)
    function_failed,      ///< a function returned an error (`error calling b64dec: ...`)
    limit_exceeded,       ///< a bound was hit: output size, depth, range iterations, string size
    unsupported,          ///< engineVersion v1, a feature esx refuses
    invalid_target,       ///< the rendered result cannot be applied (bad YAML map, privileged type)
};

ESX_DECL boost::system::error_category const& error_category() noexcept;

inline error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), templating::error_category()};
}

/// `f == templating::error::limit_exceeded`
inline bool operator==(failure const& f, error e) noexcept { return f.code == make_error_code(e); }

} // namespace esx::transform::templating

template <>
struct boost::system::is_error_code_enum<esx::transform::templating::error> : std::true_type {};

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/error.ipp>
#endif

#endif
