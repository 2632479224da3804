// esx::transform::templating::functions: ESO's `toYaml` and `fromYaml`.
//
// ESO goes through JSON both ways (sigs.k8s.io/yaml): `toYaml` is `json.Marshal` then
// go-yaml v2's emitter (keys sorted with go-yaml's natural order, strings quoted only where
// YAML 1.1 would read them as something else, multi-line strings as `|` blocks, long plain
// lines folded at 80 columns, no trailing newline); `fromYaml` reads YAML 1.1 as go-yaml v2
// does, then `json.Unmarshal`s it into `map[string]interface {}`, so every number comes back a
// float64.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_YAML_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_YAML_HPP

#include <esx/transform/template/value.hpp>

#include <string_view>

namespace esx::transform::templating::functions {

/** `toYaml V`: V as go-yaml v2 writes the JSON form of V, without the final newline; the
    empty string when V has no JSON form (NaN, an infinity), as ESO. */
ESX_DECL text to_yaml(value const& v);

/** `fromYaml S`: the first YAML document of S as a `map[string]interface {}`; an empty or
    null document is an empty map. On failure a map whose only key `Error` holds the error text
    (ESO's convention), e.g. `error unmarshaling JSON: while decoding JSON: json: cannot
    unmarshal array into Go value of type map[string]interface {}`. YAML syntax errors carry
    yaml-cpp's wording (`error converting YAML to JSON: yaml: line 2, column 3: ...`), not
    go-yaml's. */
ESX_DECL value from_yaml(std::string_view yaml);

} // namespace esx::transform::templating::functions

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/yaml.ipp>
#endif

#endif
