// esx::transform: Secret key names (ESO's `conversionStrategy`, key validation, `nullBytePolicy`).
#ifndef ESX_TRANSFORM_KEYS_HPP
#define ESX_TRANSFORM_KEYS_HPP

#include <esx/transform/error.hpp>
#include <esx/transform/secret_map.hpp>
#include <esx/spec/external_secret.hpp>

#include <string>
#include <string_view>

namespace esx::transform {

/** ESO's `conversionStrategy`, rune by rune (an invalid UTF-8 byte is one U+FFFD rune): Unicode
    letters and numbers, `-`, `.` and `_` stay (as Go's `unicode.IsLetter`/`IsNumber`: `é`
    stays, and Kubernetes then refuses it); any other rune becomes `_` (`Default`) or
    `_U%04x_` (`Unicode`: `/` -> `_U002f_`). */
ESX_DECL std::string convert_key(spec::conversion_strategy strategy, std::string_view key);

/** `convert_key` on every key, as ESO's ConvertKeys: two keys that convert to the same name
    are an error, `error applying conversion strategy Default to keys: secret name collision
    during conversion: a_b` (`transform::error::invalid_keys`). */
ESX_DECL result<secret_map, failure> convert_keys_checked(spec::conversion_strategy strategy, secret_map data);

/// `convert_key` on every key; on a collision the key that sorts first keeps the name (prefer
/// `convert_keys_checked`, which refuses collisions as ESO does).
ESX_DECL secret_map convert_keys(spec::conversion_strategy strategy, secret_map data);

/// ESO's ValidateKeys drops empty keys (a key that did not exist upstream) before it checks.
ESX_DECL void drop_empty_keys(secret_map& data);

/** Keys Kubernetes accepts: each non-empty key at most 253 characters of `[-._a-zA-Z0-9]`
    (empty keys are skipped: see `drop_empty_keys`). Stricter than ESO, which lets Unicode
    letters through for the API server to refuse. The first bad key in key order is named.

    @par Errors `transform::error::invalid_keys`, ESO's words:
    `invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): key has invalid
    character /, only alphanumeric, '-', '.' and '_' are allowed: a/b`, or `... key has length 300
    but max is 253: (following is truncated): aaaa...`. */
ESX_DECL result<void, failure> validate_keys(secret_map const& data);

/** `nullBytePolicy: Fail` refuses a value holding a NUL byte (the first such key in key
    order); `Ignore` accepts everything.

    @par Errors `transform::error::null_byte`, naming the key, never the value: `fetched secret
    value for key "tls.key" contains null bytes; use a text-safe format such as PEM/base64 or
    leave nullBytePolicy unset for intentional binary data`. */
ESX_DECL result<void, failure> check_null_bytes(spec::null_byte_policy policy, secret_map const& data);

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/keys.ipp>
#endif

#endif
