// esx::transform::get_property: ESO's `remoteRef.property`, a tidwall/gjson path into a JSON value.
#ifndef ESX_TRANSFORM_PROPERTY_HPP
#define ESX_TRANSFORM_PROPERTY_HPP

#include <esx/transform/error.hpp>
#include <esx/secret.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::transform {

/** The value at `path` in `json`, as gjson's `Result.String()` gives it (what ESO writes):
    a string unquoted and JSON-unescaped; an object or array as its raw text exactly as in
    the source (whitespace kept); `true`/`false`; `null` as the empty string.

    Path syntax (gjson v1.18): `a.b.c`; `a.1.b` (array index); `a.#` (array length);
    `a.#.b` (array of each element's `b`); `*` and `?` wildcards in a key; `\.`, `\*`, `\?`
    escapes; queries `a.#(b=="x")` and `a.#(b>1)#`; pipes `a|b`. Modifiers (`@reverse`),
    static values (`!true`), multipaths (`[a,b]`, `{a,b}`) and JSON Lines (`..`) are refused.
    When nothing is found and `path` contains `.`, ESO retries with every `.` escaped, so
    `foo.json` finds the member named `foo.json`.

    Number results follow gjson's `String()`: an integer literal is kept as written (big
    integers too), any other number is re-rendered from its float64 (`1.0` -> `1`, `1e3` ->
    `1000`, `2.50` -> `2.5`), which is what ESO writes.

    @par Errors `transform::error::property_not_found` (condition `invalid_input`: in ESO a
    missing property fails the sync, it is not a NoSecretError):
    `property <path> does not exist in key <key>`; `transform::error::unsupported` for a
    modifier, static value, multipath or JSON Lines path. */
ESX_DECL result<secret_bytes, failure> get_property(std::string_view json, std::string_view path,
                                                    std::string_view key);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/property.ipp>
#endif

#endif
