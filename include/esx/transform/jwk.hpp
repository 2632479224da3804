// esx::transform::jwk_json: a Key Vault key as the JWK JSON ESO writes, in the member order of
// the SDK path the store selects (`useAzureSDK`).
#ifndef ESX_TRANSFORM_JWK_HPP
#define ESX_TRANSFORM_JWK_HPP

#include <esx/transform/error.hpp>
#include <esx/secret.hpp>

#include <boost/json/object.hpp>

#include <algorithm>

namespace esx::transform {

/** The bundle's `key` as ESO marshals it (`json.Marshal(resp.Key)`), Go escaping included.

    `use_azure_sdk == false` (legacy autorest v7.0 struct): members in struct order
    `kid, kty, key_ops, n, e, d, dp, dq, qi, p, q, k, key_hsm, crv, x, y`, strings as Key Vault
    sent them; the same order `object::key::decode` writes.

    `use_azure_sdk == true` (azkeys): members sorted by name (`crv, d, dp, dq, e, k, key_hsm,
    key_ops, kid, kty, n, p, q, qi, x, y`: the generated MarshalJSON fills a map), byte
    members decoded and re-encoded as base64url without padding (an empty one is left out).

    @par Errors `transform::error::malformed_bundle` when `key` is missing or not an object, a
    member has the wrong JSON type, or (new SDK) a byte member is not unpadded base64url. */
ESX_DECL result<secret_bytes, failure> jwk_json(boost::json::object const& key_bundle, bool use_azure_sdk);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/jwk.ipp>
#endif

#endif
