// esx::object: failures of turning a Key Vault bundle or a remote reference into bytes.
#ifndef ESX_OBJECT_ERROR_HPP
#define ESX_OBJECT_ERROR_HPP

#include <esx/failure.hpp>

namespace esx::object {

/// Failures the object policies detect. None carries object content, so codes are safe to log.
enum class error {
    malformed_bundle = 1,     ///< the Key Vault bundle lacks the member this kind reads, or it has the wrong type
    unknown_object_type,      ///< a reference `type/name` names a type Key Vault does not have (`foo/bar`)
    object_type_not_compiled, ///< a reference names a type the program's kind set leaves out
    invalid_reference,        ///< a reference is empty or its name part is empty
    unsupported_key,          ///< a JWK key type or curve esx cannot convert (`oct`, `P-256K`)
    pem_conversion_failed,    ///< OpenSSL refused the key or certificate material
};

ESX_DECL boost::system::error_category const& error_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), object::error_category()}; }

/// `f == object::error::unknown_object_type`
inline bool operator==(failure const& f, error e) noexcept { return f.code == make_error_code(e); }

} // namespace esx::object

template <>
struct boost::system::is_error_code_enum<esx::object::error> : std::true_type {};

#if ESX_HEADER_ONLY
#  include <esx/object/impl/error.ipp>
#endif

#endif
