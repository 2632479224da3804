// esx::transform: `dataFrom[].extract` (out of line).
#ifndef ESX_TRANSFORM_IMPL_EXTRACT_IPP
#define ESX_TRANSFORM_IMPL_EXTRACT_IPP

#include <esx/transform/extract.hpp>
#include <esx/transform/detail/go_json.hpp>

namespace esx::transform {
namespace detail {

/// ESO's getSecretMapMap over a parsed object: strings unquoted, `null` as "" (Go unmarshals
/// null into a string without error), anything else as its source text (json.RawMessage).
inline secret_map flatten_object(json_node const& object) {
    secret_map out;
    for (auto const& [key, member] : object.members) {
        secret_bytes value;
        if (member.type == json_node::kind::string) value = member.text.to_secret();
        else if (member.type != json_node::kind::null) value = secret_bytes(member.raw);
        out.insert_or_assign(std::string(key.view()), std::move(value));  // Go: the last duplicate wins
    }
    return out;
}

} // namespace detail

ESX_DECL result<secret_map, failure> extract_json_object(secret_bytes const& value) {
    detail::json_node root;
    std::string why;
    if (!detail::parse_json_object(value.reveal(), root, why, "map[string]json.RawMessage"))
        return failure{make_error_code(error::not_a_json_object), "error unmarshalling json data: " + why};
    return detail::flatten_object(root);
}

} // namespace esx::transform

#endif
