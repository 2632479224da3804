// esx::controller: an ExternalSecret's `status` as ESO writes it (eso-behaviour.md § 4.8,
// `markAsDone` / `markAsFailed` / `SetExternalSecretCondition` in ESO 2.9).
//
// - `Ready` is the one condition: `True` with reason `SecretSynced`, `SecretDeleted` or
//   `SecretMissing`, or `False` with `SecretSyncedError`, each with ESO's message.
// - `lastTransitionTime` moves only when the condition's `status` flips.
// - A success sets `refreshTime` (the start of the reconcile, to the second as `metav1.Time`
//   stores it) and `syncedResourceVersion` (`<generation>-<hash of labels and annotations>`); a
//   failure leaves both as they were, so the next reconcile tries again.
// - `binding.name` names the target Secret once it was created or updated.
//
// One deliberate addition: after a failure, ESO's message is followed by `: ` and esx's detail,
// the failing entry and the cause (`could not get secret data from provider: spec.data[1]
// (key: db-password): ... SecretNotFound ...`). ESO's text stays the prefix, so tools that look
// for it still find it; ESO users ask for the detail (#6832), which ESO only puts in an event.
// Failure texts never carry values (see <esx/failure.hpp>).
//
// A status is written (one merge PATCH of `/status`) only when it differs from the one the
// cache holds, so a reconcile that changes nothing writes nothing.
#ifndef ESX_CONTROLLER_STATUS_HPP
#define ESX_CONTROLLER_STATUS_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/spec/external_secret.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace esx::controller {

/// ESO's condition reasons and messages for Secret targets (`externalsecret_controller.go`).
namespace ready_reasons {
inline constexpr std::string_view synced = "SecretSynced";
inline constexpr std::string_view synced_error = "SecretSyncedError";
inline constexpr std::string_view deleted = "SecretDeleted";
inline constexpr std::string_view missing = "SecretMissing";
} // namespace ready_reasons

namespace ready_messages {
inline constexpr std::string_view synced = "secret synced";
inline constexpr std::string_view synced_retain = "secret retained due to DeletionPolicy=Retain";
inline constexpr std::string_view deleted = "secret deleted due to DeletionPolicy=Delete";
inline constexpr std::string_view missing = "secret will not be created due to CreationPolicy=Merge";
inline constexpr std::string_view error_get_secret_data = "could not get secret data from provider";
inline constexpr std::string_view error_delete_secret = "could not delete secret";
inline constexpr std::string_view error_delete_orphaned = "could not delete orphaned secrets";
inline constexpr std::string_view error_update_secret = "could not update secret";
inline constexpr std::string_view error_update_immutable = "could not update secret, target is immutable";
inline constexpr std::string_view error_become_owner = "failed to take ownership of target secret";
inline constexpr std::string_view error_is_owned = "target is owned by another ExternalSecret";
} // namespace ready_messages

/// ESO's event messages (Normal events about the target Secret).
namespace event_messages {
inline constexpr std::string_view created = "secret created";
inline constexpr std::string_view updated = "secret updated";
inline constexpr std::string_view deleted = "secret deleted due to DeletionPolicy=Delete";
} // namespace event_messages

/// ESO's `MissingProviderSecret` text for an entry skipped by `deletionPolicy` Delete or Merge:
/// `secret does not exist at provider using spec.dataFrom[0]`, and for `data[1]` ESO's own
/// wording, which says dataFrom too: `... using spec.dataFrom[1] (key=db-password)`.
ESX_DECL std::string missing_provider_secret_message(skipped_entry const& e);

/// How a failed sync reads in ESO's terms.
struct failure_verdict {
    std::string_view message;  ///< ESO's condition message (one of `ready_messages`)
    bool permanent = false;    ///< only a change can fix it: not retried (ESO returns no error)
    bool conflict = false;     ///< a concurrent write won: retried, status left alone (ESO requeues)
};

/** Which of ESO's messages a failed sync gets, and whether retrying can help:
    - the sink's ownership, immutability and deletion refusals -> their ESO message, permanent;
    - the API server's answers to the sink's reads and writes -> `could not update secret`
      (`could not delete ...` for deletions and orphans); a 409 that outlived the sink's own
      retries is a conflict;
    - everything before the sink (stores, credentials, Key Vault, transforms, target checks)
      -> `could not get secret data from provider`;
    - invalid input (a bad spec, a store this namespace may not use, a 400/422) is permanent;
      the rest (network, 429, 5xx, 401/403/404 that a change elsewhere may fix) is retried. */
ESX_DECL failure_verdict judge_failure(failure const& f);

/// The condition ESO writes, with `lastTransitionTime` kept from `before` when `status` holds.
ESX_DECL spec::status_condition ready_condition(spec::external_secret_status const& before, bool ready,
                                                std::string_view reason, std::string message,
                                                std::chrono::system_clock::time_point now);

/// `message` followed by `: detail` (one line, at most 1,024 bytes in all).
ESX_DECL std::string with_detail(std::string_view message, std::string_view detail);

/// The status after a successful sync started at `started`.
ESX_DECL spec::external_secret_status succeeded(spec::external_secret const& es, std::string_view reason,
                                                std::string_view message, std::string binding,
                                                std::chrono::system_clock::time_point started);
/// The same with `resource_version(es.metadata)` given: a reconcile has it already, and it
/// costs a SHA3 of the labels and annotations.
ESX_DECL spec::external_secret_status succeeded(spec::external_secret const& es, std::string synced_version,
                                                std::string_view reason, std::string_view message,
                                                std::string binding, std::chrono::system_clock::time_point started);

/// The status after a failed sync: `Ready=False/SecretSyncedError`, the rest unchanged.
ESX_DECL spec::external_secret_status failed(spec::external_secret const& es, std::string_view message,
                                             std::string_view detail, std::chrono::system_clock::time_point now);

/// Whether writing `next` over `current` changes anything (times compared to the second).
ESX_DECL bool status_differs(spec::external_secret_status const& current, spec::external_secret_status const& next);

/// The merge patch of `/status` that makes the server's status `s`.
ESX_DECL boost::json::object status_patch(spec::external_secret_status const& s);

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/status.ipp>
#endif

#endif
