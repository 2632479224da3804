// esx::transform: `remoteRef.property` (out of line).
#ifndef ESX_TRANSFORM_IMPL_PROPERTY_IPP
#define ESX_TRANSFORM_IMPL_PROPERTY_IPP

#include <esx/transform/property.hpp>
#include <esx/transform/detail/gjson.hpp>

namespace esx::transform {
namespace detail {

inline failure property_not_found(std::string_view path, std::string_view key) {
    return failure{make_error_code(error::property_not_found),
                   "property " + std::string(path) + " does not exist in key " + std::string(key)};
}

inline failure property_unsupported(std::string_view path) {
    return failure{make_error_code(error::unsupported),
                   "property " + std::string(path) +
                       ": gjson modifiers (@...), static values (!...), multipaths ([...], {...}) and JSON Lines "
                       "(..) are not supported by esx"};
}

} // namespace detail

ESX_DECL result<secret_bytes, failure> get_property(std::string_view json, std::string_view path,
                                                    std::string_view key) {
    // ESO's getProperty: the whole value for an empty path; gjson; then, for a dotted path that
    // found nothing, the same path with every '.' escaped (a member named "foo.json").
    if (path.empty()) return secret_bytes(json);
    auto first = detail::gjson(json, path);
    if (first.unsupported) return detail::property_unsupported(path);
    if (first.value.exists()) return first.value.string().to_secret();
    if (path.find('.') == std::string_view::npos) return detail::property_not_found(path, key);
    std::string escaped;
    escaped.reserve(path.size() + 8);
    for (char c : path) {
        if (c == '.') escaped.push_back('\\');
        escaped.push_back(c);
    }
    auto second = detail::gjson(json, escaped);
    if (second.unsupported) return detail::property_unsupported(path);
    if (second.value.exists()) return second.value.string().to_secret();
    return detail::property_not_found(path, key);
}

} // namespace esx::transform

#endif
