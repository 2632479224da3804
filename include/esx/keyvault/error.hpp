// esx::keyvault: what can go wrong talking to a vault, and how callers tell the cases apart.
//
// Key Vault error bodies `{"error":{"code","message","innererror":{"code"}}}` become an
// `esx::failure` whose code is the HTTP status (`esx::make_http_error`), whose `reason` is the
// innermost service code (`SecretNotFound`, `SecretDisabled`, `AccessDenied`,
// `ForbiddenByRbac`, `Throttled`) and whose message names the operation and the service's
// words. Deletion policies depend on telling "the object is gone" from "we may not read
// it" and "it is switched off": `classify` does that.
#ifndef ESX_KEYVAULT_ERROR_HPP
#define ESX_KEYVAULT_ERROR_HPP

#include <esx/failure.hpp>

#include <string_view>

namespace esx::keyvault {

/// Failures the Key Vault client detects itself (the vault's own errors are HTTP codes).
enum class error {
    vault_url_refused = 1,  ///< the vault URL is not `https://<name>.<cloud vault suffix>[:port][/]`
    challenge_refused,      ///< the 401 challenge names a resource that is not this vault's cloud
    challenge_malformed,    ///< a 401 came without a usable `WWW-Authenticate: Bearer ...` challenge
    next_link_refused,      ///< a paging `nextLink` points away from the vault (another host, not https)
    malformed_response,     ///< a 2xx body is not the JSON Key Vault sends
    invalid_name,           ///< an object name or version Key Vault cannot have (`[0-9a-zA-Z-]{1,127}`)
    too_many_pages,         ///< a listing went on past the configured page limit
};

ESX_DECL boost::system::error_category const& error_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), keyvault::error_category()}; }

/// `f == keyvault::error::challenge_refused`
inline bool operator==(failure const& f, error e) noexcept { return f.code == make_error_code(e); }

/// What a Key Vault failure means for the caller.
enum class problem {
    none,          ///< not a Key Vault answer (a transport failure, a refused URL, ...)
    not_found,     ///< 404: the object (or version) does not exist, or is soft-deleted
    disabled,      ///< 403 with an inner `...Disabled` code: the object exists but is switched off
    forbidden,     ///< 403 otherwise: the identity lacks permission (access policy or RBAC)
    unauthorized,  ///< 401 after a token was sent: the token was refused
    throttled,     ///< 429 (after the transport's retries gave up)
    conflict,      ///< 409: e.g. the name is soft-deleted and must be recovered or purged first
    bad_request,   ///< 400: Key Vault refused the request (`BadParameter`)
    service_error, ///< 5xx or any other status
};

/// Sorts a failure from this client; `problem::none` for codes that are not HTTP statuses.
ESX_DECL problem classify(failure const& f) noexcept;

inline bool is_not_found(failure const& f) noexcept { return classify(f) == problem::not_found; }
inline bool is_disabled(failure const& f) noexcept { return classify(f) == problem::disabled; }
inline bool is_forbidden(failure const& f) noexcept { return classify(f) == problem::forbidden; }

/// `"not_found"`, `"disabled"`, ... for logs and tests.
ESX_DECL std::string_view to_string(problem p) noexcept;

} // namespace esx::keyvault

template <>
struct boost::system::is_error_code_enum<esx::keyvault::error> : std::true_type {};

#if ESX_HEADER_ONLY
#  include <esx/keyvault/impl/error.ipp>
#endif

#endif
