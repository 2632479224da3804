// esx::transform::apply_rewrites: `dataFrom[].rewrite[]`, applied in order to the keys one
// dataFrom entry produced.
#ifndef ESX_TRANSFORM_REWRITE_HPP
#define ESX_TRANSFORM_REWRITE_HPP

#include <esx/transform/error.hpp>
#include <esx/transform/secret_map.hpp>
#include <esx/spec/external_secret.hpp>

#include <vector>

namespace esx::transform {

/** ESO's RewriteMap: each rewrite in order, on the keys one dataFrom entry produced.

    - `regexp`: every match of `source` in each key replaced by `target` (Go's
      `ReplaceAllString`: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown group expands to
      nothing). Two keys rewritten to one name: the value of the key that sorts last wins
      (ESO's outcome depends on Go's map order).
    - `merge` (ESO 2.9): each value parsed as a JSON object, in the order "other keys sorted,
      then `priority` in its order"; members merged, a later one replacing an earlier one and
      counting as a conflict (`conflictPolicy: Error` refuses them: `merge failed with
      conflicts: a, b`). A key of `priority` missing from the input is an error unless
      `priorityPolicy: IgnoreNotFound`. `strategy: Extract` (default) returns only the merged
      members, strings unquoted, objects/arrays re-marshalled by Go (sorted keys, `<` as
      `\u003c`), numbers through float64 (`1.0` -> `1`), booleans, `null` -> empty;
      `strategy: JSON` keeps the input and adds key `into` holding the merged object (Go
      encoding without HTML escaping).
    - `transform` needs templates and is refused.

    @par Errors messages start at `rewrite[j]`; the caller prefixes `spec.dataFrom[i].`:
    `transform::error::invalid_regexp` (`rewrite[0].regexp.source: regexp failed with failed to
    compile: error parsing regexp: missing closing ): `(a``), `transform::error::merge_conflict`
    (`rewrite[1].merge: merge failed with conflicts: user`), `transform::error::unsupported`
    (`rewrite[2].transform: templates are not supported yet`). */
ESX_DECL result<secret_map, failure> apply_rewrites(std::vector<spec::rewrite> const& rewrites, secret_map data);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/rewrite.ipp>
#endif

#endif
