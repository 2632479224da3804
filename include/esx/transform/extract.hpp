// esx::transform::extract_json_object: `dataFrom[].extract` (the provider's GetSecretMap).
#ifndef ESX_TRANSFORM_EXTRACT_HPP
#define ESX_TRANSFORM_EXTRACT_HPP

#include <esx/transform/error.hpp>
#include <esx/transform/secret_map.hpp>

namespace esx::transform {

/** ESO's GetSecretMap: the value parsed as Go parses it into `map[string]json.RawMessage`;
    each member becomes one key. A JSON string becomes its unquoted text (escapes decoded,
    invalid UTF-8 as U+FFFD); `null` becomes an empty value; numbers, booleans, objects and
    arrays keep their source text byte for byte (`{"b": 1}` with its spaces, `1.0`, `1e3`):
    ESO stores the json.RawMessage, it does not re-marshal. A top-level `null` is an empty
    map; duplicate members: the last wins.

    @par Errors `transform::error::not_a_json_object`, ESO's text with Go's reason:
    `error unmarshalling json data: json: cannot unmarshal array into Go value of type
    map[string]json.RawMessage`, `error unmarshalling json data: invalid character 'x' looking
    for beginning of value`, `error unmarshalling json data: unexpected end of JSON input`. */
ESX_DECL result<secret_map, failure> extract_json_object(secret_bytes const& value);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/extract.ipp>
#endif

#endif
