// esx::transform::detail: JSON read and written as Go's `encoding/json` does, where ESO's
// output bytes or error texts depend on it (`json.Unmarshal` into `map[string]json.RawMessage`,
// `map[string]string`, `map[string]any`; `json.Marshal` of maps).
#ifndef ESX_TRANSFORM_DETAIL_GO_JSON_HPP
#define ESX_TRANSFORM_DETAIL_GO_JSON_HPP

#include <esx/transform/detail/go.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::transform::detail {

/// One parsed JSON value. `raw` is its source text (no surrounding whitespace), what Go keeps
/// in a `json.RawMessage`. Strings are decoded as Go decodes them (invalid UTF-8 and lone
/// surrogates become U+FFFD). Members keep source order and duplicates (Go: the last wins).
struct json_member;

struct json_node {
    enum class kind { null, boolean, number, string, array, object };
    kind type = kind::null;
    std::string_view raw;
    scratch text;  ///< string: decoded; number: as written; boolean: `true`/`false`
    std::vector<json_member> members;  ///< a named struct, not std::pair: clang needs pair's types complete here
    std::vector<json_node> items;
};

/// One member of a JSON object: its decoded name and its value (bound as `auto& [name, value]`).
struct json_member {
    scratch first;
    json_node second;
};

/// Go's name for a kind in `UnmarshalTypeError` (`object`, `array`, `string`, `number`, `bool`).
ESX_DECL std::string_view go_kind_name(json_node::kind k) noexcept;

/// Parses one JSON text. On a syntax error, returns false and sets `error` to Go's
/// `SyntaxError` text (`invalid character '}' looking for beginning of value`,
/// `unexpected end of JSON input`). With `redact` (the default: the text is a secret), the
/// offending byte is shown only when it is JSON punctuation or whitespace, else `<redacted>`
/// (`invalid character <redacted> looking for beginning of value` where Go shows `'c'`).
ESX_DECL bool parse_json(std::string_view text, json_node& out, std::string& error, bool redact = true);

/// `json.Unmarshal(text, &map[string]T)`: the top-level must be an object or `null`; the error
/// (syntax, or `json: cannot unmarshal array into Go value of type <go_type>`) is Go's text.
ESX_DECL bool parse_json_object(std::string_view text, json_node& out, std::string& error,
                                std::string_view go_type, bool redact = true);

/// A `map[string]any` value marshalled by `json.Marshal` (sorted keys; numbers through float64).
/// Returns false when a number does not fit a float64 (Go refuses to unmarshal it).
ESX_DECL bool marshal_any(json_node const& v, scratch& out, bool escape_html);

} // namespace esx::transform::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/go_json.ipp>
#endif

#endif
