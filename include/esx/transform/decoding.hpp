// esx::transform::decode: ESO's `decodingStrategy` (runtime/utils/decoding).
#ifndef ESX_TRANSFORM_DECODING_HPP
#define ESX_TRANSFORM_DECODING_HPP

#include <esx/transform/error.hpp>
#include <esx/transform/secret_map.hpp>
#include <esx/secret.hpp>
#include <esx/spec/external_secret.hpp>

namespace esx::transform {

/** `None`: the value as is. `Base64`: Go's `base64.StdEncoding` (padded, strict).
    `Base64URL`: `base64.URLEncoding` (padded). `Auto`: standard, then URL, else as is.

    @par Errors `transform::error::decoding_failed`:
    `error applying decoding strategy Base64 to data: illegal base64 data at input byte 4`. */
ESX_DECL result<secret_bytes, failure> decode(spec::decoding_strategy strategy, secret_bytes value);

/** `dataFrom[]` (`extract`, `find`): every value decoded; ESO's message names the key:
    `error applying decoding strategy Base64 to data: failure decoding key a: illegal base64 data at input byte 0`. */
ESX_DECL result<secret_map, failure> decode_map(spec::decoding_strategy strategy, secret_map data);

/// The strategy's name as ESO spells it (`None`, `Base64`, `Base64URL`, `Auto`).
ESX_DECL std::string_view to_string(spec::decoding_strategy strategy) noexcept;

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/decoding.ipp>
#endif

#endif
