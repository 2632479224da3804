// esx::spec: the regular expressions of ESO manifests (`namespaceRegexes`, `find.name.regexp`,
// `rewrite[].regexp.source`), which ESO compiles with Go's RE2 `regexp` package.
//
// esx compiles them with RE2 itself (see <esx/regex.hpp>): the same syntax, Go's error texts,
// and matching in linear time, so a pattern written by a namespace user cannot stall a sync.
#ifndef ESX_SPEC_REGEX_HPP
#define ESX_SPEC_REGEX_HPP

#include <esx/regex.hpp>

#include <string_view>

namespace esx::spec {

/// Compiles `pattern` (Go RE2 syntax) or says why not in Go's words
/// (`error parsing regexp: invalid or unsupported Perl syntax: `(?=``).
inline result<esx::regex, failure> compile_regex(std::string_view pattern) { return esx::regex::compile(pattern); }

} // namespace esx::spec

#endif
