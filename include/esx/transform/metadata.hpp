// esx::transform: `metadataPolicy: Fetch`, the tags (and, on ESO's legacy path, attributes) of a
// Key Vault object instead of its value.
#ifndef ESX_TRANSFORM_METADATA_HPP
#define ESX_TRANSFORM_METADATA_HPP

#include <esx/transform/error.hpp>
#include <esx/transform/secret_map.hpp>

#include <boost/json/object.hpp>

#include <string_view>

namespace esx::transform {

/** `data[]` with `metadataPolicy: Fetch` (ESO's getSecretTag over getSecretAllMetadata). The
    map is the bundle's string tags plus, on the legacy path (`use_azure_sdk == false`),
    `attribute.expires|created|updated|notBefore` from `attributes.exp|created|updated|nbf`
    as RFC 3339 UTC (`2024-01-02T03:04:05Z`; those present). The new-SDK path has tags only.
    `property` empty: the whole map as JSON (sorted keys, Go's escaping: `<` as `\u003c`);
    a tag name: its value; `tag.sub.path`: the gjson path `sub.path` into that tag's value.

    @par Errors `transform::error::property_not_found`: `tag <property> does not exist`, or for
    a sub-path `property <sub.path> does not exist in key <property>` (ESO's words). */
ESX_DECL result<secret_bytes, failure> fetch_metadata(boost::json::object const& bundle, bool use_azure_sdk,
                                                      std::string_view property);

/** `dataFrom[].extract` with `metadataPolicy: Fetch` (ESO's GetSecretMap). `key` is
    `remoteRef.key` as written (`name` or `secret/name`); `name` is its object name. The
    entries are `<name>_<tag>` (a tag holding a JSON object of strings becomes one entry per
    member, `<name>_<tag>_<member>`) plus, on the legacy path, `<name>_attribute.expires` etc.
    With a `property`, the result is the single key `<key>_<property>` looked up in those
    entries (ESO swallows that lookup's error: an empty value), after `fetch_metadata(bundle,
    use_azure_sdk, property)` succeeded as ESO's preceding GetSecret must.

    @par Errors those of `fetch_metadata`; `cert/` and `key/` references: ESO's `cannot get use
    dataFrom to get certificate secret` / `... key secret` (`transform::error::unsupported`). */
ESX_DECL result<secret_map, failure> fetch_metadata_map(boost::json::object const& bundle, bool use_azure_sdk,
                                                        std::string_view key, std::string_view property);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/metadata.ipp>
#endif

#endif
