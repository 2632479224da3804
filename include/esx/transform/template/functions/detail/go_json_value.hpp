// esx::transform::templating::functions::detail: template values through Go's encoding/json
// (`json.Marshal`, `json.MarshalIndent`, `json.Unmarshal` into `interface{}`), what Sprig's
// `toJson`, `toPrettyJson`, `fromJson` and ESO's `toYaml` (JSON first) produce.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_GO_JSON_VALUE_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_GO_JSON_VALUE_HPP

#include <esx/transform/template/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::transform::templating::functions::detail {

struct json_marshal_options {
    bool escape_html = true;   ///< `json.Marshal` escapes `<` `>` `&`
    std::string_view indent;   ///< non-empty: `json.MarshalIndent(v, "", indent)`
};

/** `json.Marshal(v)`: maps with sorted keys, `[]byte` as base64, a time as RFC 3339 with
    nanoseconds, floats as Go writes them. Returns false (Go's error text in `error`) for NaN
    or an infinity (`json: unsupported value: NaN`) and a year outside 0..9999. */
ESX_DECL bool marshal_json(value const& v, text& out, json_marshal_options const& options, std::string& error);

/** `json.Unmarshal(text, &v)` with `v interface{}`: objects become `map[string]interface {}`,
    arrays `[]interface {}`, numbers `float64`. Nothing on a syntax error or a number out of
    float64 range (Go's result is then nil). */
ESX_DECL std::optional<value> unmarshal_json(std::string_view json);

/// RFC 3339 with nanoseconds (`time.RFC3339Nano`), how `json.Marshal` writes a time.
ESX_DECL std::string rfc3339_nano(time_value const& t);

} // namespace esx::transform::templating::functions::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/go_json_value.ipp>
#endif

#endif
