// esx::transform::templating::functions: the Sprig v3 functions ESO vendors, with Sprig's own
// semantics, what they do with a wrong type included (Go panics inside a function become
// `error calling <fn>: <panic text>`, as text/template reports them).
//
// ESO removed `env`, `expandenv` and `getHostByName`; esx never registers those or anything
// else that reads files, the network, the cluster or the process environment, so a template
// naming them fails to parse with Go's `function "env" not defined`. Random generators
// (`randAlphaNum`, `genPrivateKey`, ...) and `now` read only the injected clock or nothing.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_SPRIG_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_SPRIG_HPP

#include <esx/transform/template/function.hpp>

namespace esx::transform::templating::functions {

/** Adds Sprig's string, encoding and hash functions: `upper lower title untitle trim trimAll
    trimall trimPrefix trimSuffix replace split splitList splitn join contains hasPrefix
    hasSuffix quote squote cat indent nindent repeat substr trunc nospace plural toString
    toStrings b64enc b64dec b32enc b32dec hexdec sha1sum sha256sum sha512sum adler32sum`. */
ESX_DECL void add_sprig_strings(function_table& table);

/** Adds Sprig's list and dict functions: `list tuple dict get set unset hasKey keys values
    pick omit merge mergeOverwrite pluck dig first last rest initial append push prepend uniq
    without has compact reverse concat sortAlpha slice until untilStep chunk`, and the `must`
    forms (`mustFirst`, `mustMerge`, `mustSlice`, ...). */
ESX_DECL void add_sprig_collections(function_table& table);

/** Adds the rest: `default empty coalesce all any ternary toJson toPrettyJson toRawJson
    fromJson mustToJson mustToPrettyJson mustToRawJson mustFromJson int int64 float64 atoi add
    add1 sub mul div mod max min biggest regexMatch mustRegexMatch regexFind mustRegexFind
    regexFindAll regexReplaceAll mustRegexReplaceAll regexReplaceAllLiteral regexSplit
    regexQuoteMeta now date toDate mustToDate unixEpoch htmlDate dateModify kindOf kindIs
    typeOf typeIs deepEqual fail`. */
ESX_DECL void add_sprig_misc(function_table& table);

/// All of the above.
inline void add_sprig_functions(function_table& table) {
    add_sprig_strings(table);
    add_sprig_collections(table);
    add_sprig_misc(table);
}

} // namespace esx::transform::templating::functions

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/sprig_strings.ipp>
#  include <esx/transform/template/functions/impl/sprig_collections.ipp>
#  include <esx/transform/template/functions/impl/sprig_misc.ipp>
#endif

#endif
