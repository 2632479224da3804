// esx::keyvault: what Key Vault returns, as C++ values.
//
// Only members esx uses or exposes are kept: ids, names, versions, values, `contentType`,
// tags and attributes (ESO's `metadataPolicy: Fetch` reads tags and attributes).
#ifndef ESX_KEYVAULT_BUNDLES_HPP
#define ESX_KEYVAULT_BUNDLES_HPP

#include <esx/failure.hpp>
#include <esx/secret.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace esx::keyvault {

/// `attributes`: times are integer Unix seconds, as on the wire.
struct attributes {
    std::optional<bool> enabled;
    std::optional<std::int64_t> not_before; ///< `nbf`
    std::optional<std::int64_t> expires;    ///< `exp`
    std::optional<std::int64_t> created;
    std::optional<std::int64_t> updated;
    std::string recovery_level;             ///< `recoveryLevel`
    std::optional<std::int64_t> recoverable_days;
};

using tag_map = std::map<std::string, std::string>;

/// The parts of an object id `https://{vault}/{collection}/{name}[/{version}]`.
struct object_id {
    std::string id;
    std::string name;
    std::string version; ///< empty in list items
};

/// A secret as `GET /secrets/{name}[/{version}]` returns it.
struct secret_bundle : object_id {
    secret_bytes value;
    std::string content_type;
    tag_map tags;
    keyvault::attributes attributes;
    bool managed = false; ///< true for the secret behind a certificate
    std::string kid;      ///< the key behind a certificate-backed secret
};

/// A key: the public JWK as Key Vault sent it (use `object::key::decode` for ESO's JSON
/// and `object::jwk_to_pem` for PEM).
struct key_bundle : object_id {
    boost::json::object key;
    tag_map tags;
    keyvault::attributes attributes;
    bool managed = false;
};

/// A certificate: the DER bytes of `cer` (base64 on the wire).
struct certificate_bundle : object_id {
    std::string cer;        ///< DER
    std::string x5t;        ///< base64url SHA-1 thumbprint
    std::string kid, sid;   ///< the backing key and secret
    std::string content_type; ///< `policy.secret_props.contentType` when present
    tag_map tags;
    keyvault::attributes attributes;
};

/// One item of a listing (`GET /secrets`, `/secrets/{n}/versions`, keys, certificates). Items carry no value.
struct item : object_id {
    std::string content_type;
    tag_map tags;
    keyvault::attributes attributes;
    bool managed = false;
};

/// What `DELETE /secrets/{name}` returns.
struct deleted_secret : object_id {
    std::string recovery_id;
    std::optional<std::int64_t> deleted_date, scheduled_purge_date;
    keyvault::attributes attributes;
};

/// What `set_secret` may send besides the value, and what `update_secret` changes (unset
/// members are left alone).
struct secret_properties {
    std::optional<std::string> content_type;
    std::optional<tag_map> tags;
    std::optional<bool> enabled;
    std::optional<std::int64_t> not_before;
    std::optional<std::int64_t> expires;
};

namespace detail {
// Parsers of 2xx bodies. Errors: keyvault::error::malformed_response naming the member.
ESX_DECL result<secret_bundle, failure> parse_secret_bundle(boost::json::object const& o);
ESX_DECL result<key_bundle, failure> parse_key_bundle(boost::json::object const& o);
ESX_DECL result<certificate_bundle, failure> parse_certificate_bundle(boost::json::object const& o);
ESX_DECL result<item, failure> parse_item(boost::json::object const& o);
ESX_DECL result<deleted_secret, failure> parse_deleted_secret(boost::json::object const& o);
/// The JSON body of `set_secret` / `update_secret`; `value` is written only when given.
ESX_DECL std::string properties_body(secret_properties const& p, secret_bytes const* value);
/// A non-2xx answer as a failure: code = HTTP status, reason = innermost error code, message
/// = `what` + the service's code and message (bounded; Key Vault messages hold no values).
ESX_DECL failure error_from_response(unsigned status, std::string_view body, std::string_view what);
/// True for names Key Vault can have: `[0-9a-zA-Z-]{1,127}`.
ESX_DECL bool is_valid_name(std::string_view name) noexcept;
/// True for an empty version (latest) or `[0-9a-zA-Z]{1,64}`.
ESX_DECL bool is_valid_version(std::string_view version) noexcept;
} // namespace detail

} // namespace esx::keyvault

#if ESX_HEADER_ONLY
#  include <esx/keyvault/impl/bundles.ipp>
#endif

#endif
