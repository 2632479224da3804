// esx::sink: what one sync of one ExternalSecret asks a sink to make true.
//
// The pipeline computes a `target` (the Secret's name, type, data and metadata after every
// transform and check) and hands it to the sink by value; the sink makes the world match it
// under ESO's creation and deletion policies and reports an `outcome`. A target never leaves
// the pipeline half-built: if any entry failed, no sink is called.
#ifndef ESX_SINK_TARGET_HPP
#define ESX_SINK_TARGET_HPP

#include <esx/secret.hpp>
#include <esx/spec/external_secret.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace esx::sink {

/// The ExternalSecret that owns a target Secret (`metadata.ownerReferences[]` with
/// `controller: true`, `blockOwnerDeletion: true`, as ESO writes it).
struct owner_reference {
    std::string api_version = "external-secrets.io/v1";
    std::string kind = "ExternalSecret";
    std::string name, uid;
    friend bool operator==(owner_reference const&, owner_reference const&) = default;
};

/// The Secret one ExternalSecret produces.
struct target {
    std::string namespace_;  ///< the ExternalSecret's namespace (targets never leave it)
    std::string name;        ///< `spec.target.name`, or the ExternalSecret's name
    std::string external_secret_name;  ///< for the field manager, the `created-by` label and messages
    /// Set by the pipeline when the ExternalSecret exists in the cluster (it has a UID) and
    /// `creationPolicy` is Owner; unset for a manifest read from a file (the garbage
    /// collector would delete a Secret owned by a UID that does not exist).
    std::optional<owner_reference> owner;
    std::string type;  ///< Secret `type`; empty: `Opaque` on create, the existing type on merge
    std::map<std::string, secret_bytes> data;                ///< final keys and values
    std::map<std::string, std::string> labels, annotations;  ///< to set (ESO: the ES's own, or the template's)
    /// `template.metadata.finalizers`: added to the Secret's finalizers when missing, never removed (ESO's AddFinalizer).
    std::vector<std::string> finalizers;
    bool immutable = false;                                  ///< `spec.target.immutable`
    spec::creation_policy creation = spec::creation_policy::owner;
    spec::deletion_policy deletion = spec::deletion_policy::retain;
};

/// A digest of everything in a target but its `data` (names, owner, type, labels, annotations,
/// finalizers, immutability, policies): `outcome::fingerprint`, `target_knowledge::unchanged_since`.
using target_fingerprint = std::array<std::uint8_t, 16>;

/// What the caller already knows of a target before the sink looks (a controller's cache of the
/// Secrets it manages). Default: nothing; the sink reads what it needs. Sinks that do not read
/// before writing ignore it.
struct target_knowledge {
    /// The caller's complete view of the Secrets it manages holds none under this name. For
    /// creationPolicy Owner and Orphan the Kubernetes sink then creates without reading first;
    /// if the Secret exists after all (409 AlreadyExists: one without the managed label, or one
    /// made since), it falls back to reading it and writing as usual.
    bool absent = false;
    /// A Secret this ExternalSecret created under another name, as the caller's view holds it.
    struct orphan {
        std::string name;
        std::string resource_version;  ///< deleted only if still at this version (a stale view deletes nothing)
    };
    /// The other Secrets this ExternalSecret created (label `created-by`), as the caller's view
    /// holds them (ESO's `deleteOrphanedSecrets` reads its informer cache too); unset: the
    /// Kubernetes sink lists them.
    std::optional<std::vector<orphan>> orphans;
    /// The target as the caller's view holds it now is exactly as the sink left it for a target
    /// with this fingerprint: the caller kept `outcome::fingerprint` and `outcome::version` of
    /// that apply, and its view still holds that version (nobody wrote the Secret since).
    /// `data_hash` is the `data-hash` of the Secret's data now (the caller's view hashes it).
    /// When the target has the same fingerprint and its data that hash, nothing can have
    /// changed: the Kubernetes sink answers `unchanged` without reading (ESO answers a refresh
    /// from its informer cache the same way). Otherwise it reads and compares as usual.
    struct as_left {
        target_fingerprint fingerprint{};
        std::string version;    ///< the version the caller's view holds (the `outcome::version` kept)
        std::string data_hash;
    };
    std::optional<as_left> unchanged_since;
};

/// How a sink is asked to act. Passed by value and without a default, so that no call site
/// builds a temporary with a default argument around a coroutine (g++ 12).
struct apply_options {
    bool dry_run = false;  ///< compute and report what would change; write nothing
    target_knowledge known;  ///< what the caller knows of the target already (a controller sets it per target)
};

/// What a sink did (or, in a dry run, would do).
enum class action {
    created,    ///< the target did not exist and was written
    updated,    ///< the target existed and its content changed
    unchanged,  ///< the target already held this content (same `data-hash`): nothing written
    deleted,    ///< removed (`deletionPolicy: Delete` with no data left)
    retained,   ///< provider had no data; the target was kept (`deletionPolicy: Retain`)
    skipped,    ///< nothing to write by policy (`creationPolicy: None`, or Merge with no target)
};

constexpr std::string_view to_string(action a) noexcept {
    switch (a) {
    case action::created: return "created";
    case action::updated: return "updated";
    case action::unchanged: return "unchanged";
    case action::deleted: return "deleted";
    case action::retained: return "retained";
    case action::skipped: return "skipped";
    }
    return "";
}

inline std::ostream& operator<<(std::ostream& os, action a) { return os << to_string(a); }

struct outcome {
    sink::action action = sink::action::unchanged;
    std::string location;           ///< `Secret default/db`, `/run/secrets/db`, `stdout`
    std::string data_hash;          ///< ESO's `reconcile.external-secrets.io/data-hash` of what is (would be) there
    std::vector<std::string> keys;  ///< the keys of the written data, sorted; never values
    std::vector<std::string> removed_keys;  ///< keys this ExternalSecret wrote before and no longer produces
    std::string note;               ///< e.g. "no ownerReference: the ExternalSecret is not in the cluster"
    /// The target's version as the sink left it (a Kubernetes Secret's `resourceVersion`, written
    /// or read); empty when the sink has none or wrote nothing it could name.
    std::string version;
    /// `fingerprint_of` the target applied, when `version` is set (see `target_knowledge::unchanged_since`).
    target_fingerprint fingerprint{};
};

inline std::ostream& operator<<(std::ostream& os, outcome const& o) {
    os << to_string(o.action) << ' ' << o.location;
    if (!o.note.empty()) os << " (" << o.note << ')';
    return os;
}

} // namespace esx::sink

#endif
