// esx::object::secret: a Key Vault secret becomes its value, byte for byte.
#ifndef ESX_OBJECT_SECRET_HPP
#define ESX_OBJECT_SECRET_HPP

#include <esx/object/concept.hpp>
#include <esx/secret.hpp>

namespace esx::object {

/** `secret/name` or a bare `name`: `GET /secrets/{name}[/{version}]`, the bundle's `value`
    verbatim (as ESO: a certificate-backed secret yields its base64 PKCS#12 or PEM text; the
    `contentType` is not looked at). */
struct secret {
    using policy_kind = tag;
    using value_type = secret_bytes;
    static constexpr std::string_view prefix = "secret/";
    static constexpr std::string_view collection = "secrets";
    static constexpr std::string_view name = "secret";

    /// @par Errors `object::error::malformed_bundle` when `value` is missing or not a string.
    static result<secret_bytes, failure> decode(boost::json::object const& bundle);
};

static_assert(detail::diagnose<secret>());

} // namespace esx::object

#if ESX_HEADER_ONLY
#  include <esx/object/impl/decode.ipp>
#endif

#endif
