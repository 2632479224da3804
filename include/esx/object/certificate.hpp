// esx::object::certificate: a Key Vault certificate becomes its DER bytes.
#ifndef ESX_OBJECT_CERTIFICATE_HPP
#define ESX_OBJECT_CERTIFICATE_HPP

#include <esx/object/concept.hpp>
#include <esx/secret.hpp>

namespace esx::object {

/** `cert/name`: `GET /certificates/{name}[/{version}]`, the bundle's `cer` decoded from
    base64: the raw DER X.509 certificate (no key, no chain), as ESO returns it. For PEM, see
    `object::der_certificate_to_pem` in <esx/object/pem.hpp>. */
struct certificate {
    using policy_kind = tag;
    using value_type = secret_bytes;
    static constexpr std::string_view prefix = "cert/";
    static constexpr std::string_view collection = "certificates";
    static constexpr std::string_view name = "cert";

    /// @par Errors `object::error::malformed_bundle` when `cer` is missing or not base64.
    static result<secret_bytes, failure> decode(boost::json::object const& bundle);
};

static_assert(detail::diagnose<certificate>());

} // namespace esx::object

#if ESX_HEADER_ONLY
#  include <esx/object/impl/decode.ipp>
#endif

#endif
