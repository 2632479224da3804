// esx::transform::detail: tidwall/gjson v1.18.0 `Get` (the version ESO 2.9 links), ported for
// the subset of path syntax a `remoteRef.property` uses: keys, `\` escapes, `*`/`?` wildcards
// (tidwall/match with its complexity limit), array indices, `#` (count and projection),
// `#(...)`/`#(...)#` queries and `|` pipes. Modifiers (`@reverse`), static values (`!true`),
// multipaths (`[a,b]`, `{a,b}`) and JSON Lines (`..`) are recognised and refused.
//
// gjson reads malformed JSON without failing (it scans, it does not validate); so does this.
#ifndef ESX_TRANSFORM_DETAIL_GJSON_HPP
#define ESX_TRANSFORM_DETAIL_GJSON_HPP

#include <esx/transform/detail/go.hpp>

#include <string_view>

namespace esx::transform::detail {

struct gjson_result {
    enum class kind { null, false_, number, string, true_, json };
    kind type = kind::null;
    scratch raw;    ///< the raw JSON text of the value (computed for `#` results)
    scratch str;    ///< a string's decoded value
    double num = 0;

    /// gjson's `Exists()`.
    bool exists() const noexcept { return type != kind::null || !raw.empty(); }
    /// gjson's `String()`: what ESO writes for a property.
    scratch string() const;
};

struct gjson_outcome {
    gjson_result value;
    bool unsupported = false;  ///< the path used a modifier, static value, multipath or JSON Lines
};

/// gjson's `Get(json, path)`.
ESX_DECL gjson_outcome gjson(std::string_view json, std::string_view path);

/// tidwall/match `MatchLimit(str, pattern, 10000)`'s match result.
ESX_DECL bool wildcard_match(std::string_view str, std::string_view pattern);

} // namespace esx::transform::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/gjson.ipp>
#endif

#endif
