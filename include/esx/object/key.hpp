// esx::object::key: a Key Vault key becomes its public JWK as JSON text.
#ifndef ESX_OBJECT_KEY_HPP
#define ESX_OBJECT_KEY_HPP

#include <esx/object/concept.hpp>
#include <esx/secret.hpp>

namespace esx::object {

/** `key/name`: `GET /keys/{name}[/{version}]`, the bundle's `key` as compact JSON in the
    member order ESO's default (legacy) path writes: `kid, kty, key_ops, n, e` for RSA and
    `kid, kty, key_ops, crv, x, y` for EC (Go's v7.0 `JSONWebKey` struct order; members
    absent from the bundle are left out). Key Vault returns public members only.
    For PEM, see `object::jwk_to_pem` in <esx/object/pem.hpp>. */
struct key {
    using policy_kind = tag;
    using value_type = secret_bytes;
    static constexpr std::string_view prefix = "key/";
    static constexpr std::string_view collection = "keys";
    static constexpr std::string_view name = "key";

    /// @par Errors `object::error::malformed_bundle` when `key` is missing or not an object.
    static result<secret_bytes, failure> decode(boost::json::object const& bundle);
};

static_assert(detail::diagnose<key>());

} // namespace esx::object

#if ESX_HEADER_ONLY
#  include <esx/object/impl/decode.ipp>
#endif

#endif
