// esx::transform: ESO's bookkeeping hashes, so a Secret esx writes carries the same
// annotations and labels as one ESO wrote (moving from ESO to esx rewrites nothing).
#ifndef ESX_TRANSFORM_HASH_HPP
#define ESX_TRANSFORM_HASH_HPP

#include <esx/transform/secret_map.hpp>

#include <map>
#include <string>
#include <string_view>

namespace esx::transform {

/// `reconcile.external-secrets.io/data-hash`: ESO's `esutils.ObjectHash(secret.Data)`, the hex
/// SHA3-224 of Go's `%+v` of the `map[string][]byte`: `map[a:[104 105] b:[]]` (keys sorted,
/// bytes in decimal). Hash the Secret's whole final `data` (after merging with an existing
/// Secret, as ESO does). The hash is of the values: it is safe to show, not to reverse.
ESX_DECL std::string data_hash(secret_map const& data);

/// `reconcile.external-secrets.io/created-by` label: ObjectHash(`<namespace>/<name>`), the hex
/// SHA3-224 of that text (56 characters, a valid label value).
ESX_DECL std::string created_by_label(std::string_view namespace_, std::string_view name);

/// The hash in ESO's `status.syncedResourceVersion` (`<metadata.generation>-<hash>`, see
/// `util.GetResourceVersion`): ObjectHash of `{annotations:map[k:v ...] labels:map[k:v ...]}`.
ESX_DECL std::string metadata_hash(std::map<std::string, std::string> const& labels,
                                   std::map<std::string, std::string> const& annotations);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/hash.ipp>
#endif

#endif
