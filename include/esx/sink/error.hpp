// esx::sink: failures of making a target true (a Secret, a directory, a stream).
#ifndef ESX_SINK_ERROR_HPP
#define ESX_SINK_ERROR_HPP

#include <esx/failure.hpp>

namespace esx::sink {

/// Failures the sinks detect themselves. Messages name the target, keys and paths, never
/// values. Failures the Kubernetes API reports keep the server's code (`condition::conflict`,
/// `condition::forbidden`, ...) with the sink's words in front.
enum class error {
    owned_by_another_external_secret = 1, ///< ESO: "target is owned by another ExternalSecret"
    cannot_take_ownership,                ///< ESO: "failed to take ownership of target secret" (another controller)
    target_immutable,                     ///< ESO: "could not update secret, target is immutable"
    type_immutable,                       ///< the existing Secret has another `type` (Kubernetes never changes it)
    delete_not_allowed,                   ///< deletionPolicy Delete without creationPolicy Owner, or a Secret not ours
    conflict_retries_exhausted,           ///< the Secret kept changing under every conditional write
    unsafe_path,                          ///< a path would leave the sink's directory (symlink, `..`, `/`)
    foreign_entry,                        ///< a directory entry the files sink did not make is in the way
    invalid_key,                          ///< a key the sink cannot represent (dotenv name, file name)
    key_collision,                        ///< two keys map to one name (dotenv), or two targets print one variable
    nul_in_value,                         ///< a value with a NUL byte where the format cannot carry it (dotenv)
    io_failed,                            ///< a file system call failed (the message names the call and path)
};

ESX_DECL boost::system::error_category const& error_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), sink::error_category()}; }

/// `f == sink::error::target_immutable`
inline bool operator==(failure const& f, error e) noexcept { return f.code == make_error_code(e); }

} // namespace esx::sink

template <>
struct boost::system::is_error_code_enum<esx::sink::error> : std::true_type {};

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/error.ipp>
#endif

#endif
