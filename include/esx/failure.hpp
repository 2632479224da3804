// esx::failure: an error code plus the words a user needs to act on it.
//
// `esx::result<T>` carries a bare `error_code`, enough for the transport. Layers that talk to
// people — manifests, the Kubernetes API, Key Vault, Entra ID — return
// `esx::result<T, esx::failure>`: the same code (so `f == esx::condition::not_found` still
// works) plus a message naming the field or the service's reason, and, where the source
// gives them, one cause per field. A failure never holds a secret value: messages are built
// from names, paths and service error texts only.
#ifndef ESX_FAILURE_HPP
#define ESX_FAILURE_HPP

#include <esx/error.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace esx {

/// One field-level cause: a Kubernetes Status cause, or one problem of a manifest.
struct failure_cause {
    std::string field;   ///< JSON path, e.g. `spec.data[2].remoteRef.key`; empty if none
    std::string reason;  ///< machine-readable reason, e.g. `FieldValueRequired`; may be empty
    std::string message; ///< human-readable, e.g. `must not be empty`

    friend bool operator==(failure_cause const&, failure_cause const&) = default;
};

struct failure {
    error_code code;                  ///< what went wrong; compare with `esx::condition`
    std::string message;              ///< why, for people; empty means `code.message()`
    std::string reason;               ///< the service's own word: `NotFound`, `SecretNotFound`, `invalid_client`
    std::vector<failure_cause> causes;///< per-field details, in the order found

    failure() = default;
    failure(error_code c) : code(c) {}  // NOLINT: a bare code is a failure with no more words
    failure(error_code c, std::string m) : code(c), message(std::move(m)) {}
    failure(error_code c, std::string m, std::string r)
        : code(c), message(std::move(m)), reason(std::move(r)) {}

    /// The message a log line or a status condition shows.
    std::string what() const { return message.empty() ? code.message() : message; }

    friend bool operator==(failure const& f, condition c) noexcept { return f.code == c; }
    friend bool operator==(failure const& f, error e) noexcept { return f.code == make_error_code(e); }
    friend std::ostream& operator<<(std::ostream& os, failure const& f) { return os << f.what(); }
};

/// What `result<T, failure>::value()` throws on an error.
class failure_exception : public boost::system::system_error {
public:
    explicit failure_exception(failure f)
        : boost::system::system_error(f.code, f.what()), failure_(std::move(f)) {}
    failure const& details() const noexcept { return failure_; }

private:
    failure failure_;
};

/// Found by `boost::system::result` through ADL.
[[noreturn]] inline void throw_exception_from_error(failure const& f, boost::source_location const& loc) {
    boost::throw_exception(failure_exception(f), loc);
}

} // namespace esx

#endif
