// esx::transform: failures of turning fetched values into Secret keys and values.
#ifndef ESX_TRANSFORM_ERROR_HPP
#define ESX_TRANSFORM_ERROR_HPP

#include <esx/failure.hpp>

#include <ostream>

namespace esx::transform {

/// Failures the transforms detect. Messages name keys, paths and fields, never values.
enum class error {
    property_not_found = 1, ///< `remoteRef.property` or a tag names nothing (condition `invalid_input`, not `not_found`: ESO fails the sync, it does not apply deletionPolicy)
    decoding_failed,        ///< `decodingStrategy` could not decode the value
    invalid_keys,           ///< Secret keys Kubernetes would refuse
    null_byte,              ///< `nullBytePolicy: Fail` and a value holds a NUL byte
    not_a_json_object,      ///< `dataFrom.extract` of a value that is not a JSON object
    invalid_regexp,         ///< a `find.name.regexp` or `rewrite[].regexp.source` RE2 refuses
    unsupported,            ///< a feature esx does not implement yet (`rewrite[].transform`)
    merge_conflict,         ///< `rewrite[].merge` with `conflictPolicy: Error` met a key twice
    malformed_bundle,       ///< a Key Vault bundle lacks what the transform reads
};

ESX_DECL boost::system::error_category const& error_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), transform::error_category()}; }

/// `f == transform::error::property_not_found`
inline bool operator==(failure const& f, error e) noexcept { return f.code == make_error_code(e); }

/// Prints the category's message (test diagnostics, logs).
inline std::ostream& operator<<(std::ostream& os, error e) { return os << make_error_code(e).message(); }

} // namespace esx::transform

template <>
struct boost::system::is_error_code_enum<esx::transform::error> : std::true_type {};

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/error.ipp>
#endif

#endif
