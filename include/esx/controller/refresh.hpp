// esx::controller: when an ExternalSecret syncs again (ESO 2.9's `shouldRefresh` and
// `getRequeueResult`, `pkg/controllers/externalsecret/externalsecret_controller.go`).
//
// ESO records the last successful sync in `status.refreshTime` and
// `status.syncedResourceVersion` (`<generation>-<hash of labels and annotations>`). A sync is
// due when:
// - `refreshPolicy: Periodic` (or unset): never synced; the spec, a label or an annotation
//   changed (this is how the `force-sync` annotation works); `refreshTime` is in the future; or
//   `refreshTime + refreshInterval` has passed and `syncWindows` allow it. With
//   `refreshInterval: 0` (or less) nothing but the first sync counts: not spec changes, not
//   force-sync (ESO's rule since v0.11, #4167).
// - `OnChange`: never synced, or the spec, labels or annotations changed; the interval is not used.
// - `CreatedOnce`: never synced.
//
// One deliberate difference: ESO also requeues OnChange and CreatedOnce objects every interval,
// only to find nothing to do unless the target Secret was deleted or edited. esx watches the
// Secrets it manages, so those objects wait for a change instead of waking every hour.
#ifndef ESX_CONTROLLER_REFRESH_HPP
#define ESX_CONTROLLER_REFRESH_HPP

#include <esx/config.hpp>
#include <esx/spec/external_secret.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace esx::controller {

/// The annotation `kubectl annotate es NAME force-sync=$(date +%s) --overwrite` sets (ESO's
/// documented idiom), and the one a ClusterExternalSecret mirrors to its ExternalSecrets.
inline constexpr std::string_view force_sync_annotation = "force-sync";
inline constexpr std::string_view force_sync_annotation_eso = "external-secrets.io/force-sync";

/// How long a periodic refresh held back by `syncWindows` waits before asking again (cron's
/// resolution is a minute).
inline constexpr std::chrono::minutes sync_window_recheck{1};

/// What `status` says about the last successful sync.
struct sync_status {
    std::string synced_resource_version;                               ///< `syncedResourceVersion`; empty: never
    std::optional<std::chrono::system_clock::time_point> refresh_time; ///< `refreshTime`; unset: never
};

/// ESO's `GetResourceVersion`: `<metadata.generation>-<sha3-224 of labels and annotations>`.
/// It changes with the spec (generation), any label and any annotation, so comparing it with
/// `status.syncedResourceVersion` tells whether the object changed since its last sync.
ESX_DECL std::string resource_version(spec::object_meta const& meta);

/// Whether the `force-sync` annotation (either spelling) differs between two versions of an
/// object's annotations. A sync follows from the changed resource version anyway; this tells
/// the controller to say so in its log.
ESX_DECL bool force_sync_changed(std::map<std::string, std::string> const& before,
                                 std::map<std::string, std::string> const& after);

/// ESO's `shouldRefresh`: whether a reconcile of an ExternalSecret must read the provider and
/// write the target (true), or may stop at checking the target Secret (false).
/// @param current_version `resource_version(es.metadata)` of the object being reconciled.
/// @param now wall time (`refreshTime` is wall time).
ESX_DECL bool should_refresh(spec::external_secret_spec const& spec, sync_status const& status,
                             std::string_view current_version, std::chrono::system_clock::time_point now);

/// When the next periodic refresh is due, counted from `now`, after a reconcile that synced or
/// found nothing to do (ESO's `getRequeueResult`): `refreshInterval - (now - refreshTime)`,
/// zero if that is past or `refreshTime` is in the future. Nothing (wait for a change) with
/// `refreshInterval <= 0`, with `OnChange` and with `CreatedOnce`. A refresh that is due but
/// held back by `syncWindows` asks again after `sync_window_recheck`.
ESX_DECL std::optional<std::chrono::nanoseconds> refresh_after(spec::external_secret_spec const& spec,
                                                               sync_status const& status,
                                                               std::chrono::system_clock::time_point now);

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/refresh.ipp>
#endif

#endif
