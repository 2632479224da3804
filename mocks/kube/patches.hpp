// esx mocks/kube: the patch formats of PATCH requests, applied to the object as served:
// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.
#ifndef ESX_MOCKS_KUBE_PATCHES_HPP
#define ESX_MOCKS_KUBE_PATCHES_HPP

#include <boost/json/value.hpp>

#include <string>

namespace esx::mocks::kube::detail {

namespace json = boost::json;

// RFC 7386.
void merge_patch(json::value& target, json::value const& patch);

// Strategic merge patch, reduced to what built-in objects in this mock need:
// merge-patch semantics, plus the ObjectMeta lists that merge by key
// (ownerReferences by uid, finalizers as a set) and `$patch: delete|replace`.
// `path` is the JSON pointer of `target` ("" at the top).
void strategic_merge(json::value& target, json::value const& patch, std::string const& path);

// RFC 6902; throws api_error (400 for a malformed patch, 422 for a failing operation).
void json_patch(json::value& doc, json::value const& patch);

}  // namespace esx::mocks::kube::detail

#endif
