// esx::sink::detail: the parts of a Kubernetes Secret a sink reads and writes, and ESO's rules
// for turning an existing Secret plus a `target` into the Secret to write.
//
// One pure function (`plan_write`) holds ESO's mutation (`externalsecret_controller.go`:
// `mutationFunc`, `ApplyTemplate` without a template, `applyOwnership`, `updateSecret`'s
// immutable check), so `kubernetes_secret` (over the API) and `memory` (in a map) obey the
// same laws and are tested once.
#ifndef ESX_SINK_DETAIL_SECRET_MODEL_HPP
#define ESX_SINK_DETAIL_SECRET_MODEL_HPP

#include <esx/failure.hpp>
#include <esx/sink/error.hpp>
#include <esx/sink/target.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace esx::sink::detail {

inline constexpr std::string_view managed_label = "reconcile.external-secrets.io/managed";
inline constexpr std::string_view created_by_label = "reconcile.external-secrets.io/created-by";
inline constexpr std::string_view data_hash_annotation = "reconcile.external-secrets.io/data-hash";
inline constexpr std::string_view external_secrets_group = "external-secrets.io";

/// One `metadata.ownerReferences[]` entry. The optional flags round-trip as the server sent them.
struct owner_ref {
    std::string api_version, kind, name, uid;
    std::optional<bool> controller, block_owner_deletion;
    friend bool operator==(owner_ref const&, owner_ref const&) = default;
};

/// A Secret as far as ESO's rules look at it.
struct secret_model {
    std::string namespace_, name;
    std::string type;  ///< empty only before the first write (the API server defaults `Opaque`)
    std::map<std::string, secret_bytes> data;
    std::map<std::string, std::string> labels, annotations;
    std::vector<owner_ref> owner_references;
    std::vector<std::string> finalizers;  ///< `metadata.finalizers`
    bool immutable = false;
    bool deleting = false;  ///< `metadata.deletionTimestamp` is set: no finalizer is added (ESO, and the API server refuses)

    friend bool operator==(secret_model const&, secret_model const&) = default;
};

/// The keys one ExternalSecret wrote before (ESO reads them from `managedFields` under its
/// field manager): removed first, so keys it no longer produces disappear.
struct managed_keys {
    std::set<std::string> data, labels, annotations;
};

/// ESO's field manager for an ExternalSecret: `externalsecrets.external-secrets.io/<name>`,
/// or `externalsecrets.external-secrets.io/sha3/<hex sha3-224 of name>` when that is longer
/// than 63 characters (`fqdnFor` in ESO's `util.go`).
ESX_DECL std::string field_manager(std::string_view external_secret_name);

/// `Secret team-a/db`, for messages and outcomes.
ESX_DECL std::string describe(target const& t);

/// What a write would do, computed before anything is written.
struct write_plan {
    sink::action action = sink::action::unchanged;  ///< created, updated, unchanged or skipped
    secret_model secret;                             ///< the Secret after the write (unset for skipped)
    std::vector<std::string> removed_keys;           ///< data keys the write drops
    std::string note;
};

/** ESO's mutation of `existing` (null: no Secret yet) for `t`.

    - creationPolicy None: `skipped`; Merge without a Secret: `skipped` ("secret will not be
      created due to CreationPolicy=Merge").
    - Keys in `mine` are removed first (data, labels, annotations), then `t.labels` and
      `t.annotations` are merged in; data is cleared unless the policy is Merge or
      CreateOrMerge, then `t.data` is inserted; `t.type`, when set, becomes the type.
    - `t.immutable` sets `immutable`; an existing Secret's data is then kept as it is (ESO does
      not re-apply data to an existing target of an immutable ExternalSecret).
    - Ownership: another ExternalSecret as controller -> `error::owned_by_another_external_secret`;
      Owner with `t.owner` set -> our controller reference (replacing one of the same
      ExternalSecret, as `SetControllerReference` does), another controller ->
      `error::cannot_take_ownership`; other policies drop our controller reference; the
      `created-by` label for Owner only.
    - The `managed` label and the `data-hash` annotation of the final data.
    - Unchanged content -> `unchanged`. An existing immutable Secret whose data or type would
      change -> `error::target_immutable`; another type -> `error::type_immutable`. (ESO writes
      the metadata of an immutable Secret before failing; esx writes nothing on a failure.)
*/
ESX_DECL result<write_plan, failure> plan_write(secret_model const* existing, managed_keys const& mine, target const& t);

/// The controller reference of `s`, if any.
ESX_DECL owner_ref const* controller_of(secret_model const& s);

/** Whether `s` belongs to the ExternalSecret of `t`, for `deletionPolicy: Delete`: its
    controller reference names that ExternalSecret (and its UID, when `t.owner` gives one), or,
    with no controller at all, it carries that ExternalSecret's `created-by` label (a Secret the
    CLI wrote for a manifest that is not in the cluster). */
ESX_DECL bool belongs_to(secret_model const& s, target const& t);

/// The `outcome` a plan reports (keys and hash of the Secret after the write; of the target
/// when skipped).
ESX_DECL outcome outcome_of(write_plan const& plan, target const& t);

/// The `target_fingerprint` of `t`: SHA3-256, first 16 bytes, of its fields but `data`, each
/// length-prefixed (no value is read, so nothing secret is hashed or copied).
ESX_DECL target_fingerprint fingerprint_of(target const& t);

/// `deletionPolicy: Delete` needs creationPolicy Owner (ESO: "unable to delete secret X:
/// creationPolicy=Y is not Owner").
ESX_DECL result<void, failure> check_delete_allowed(target const& t);

/// The refusal to delete a Secret that does not `belongs_to` the ExternalSecret.
ESX_DECL failure not_ours(target const& t);

constexpr std::string_view creation_policy_name(spec::creation_policy p) noexcept {
    switch (p) {
    case spec::creation_policy::owner: return "Owner";
    case spec::creation_policy::orphan: return "Orphan";
    case spec::creation_policy::merge: return "Merge";
    case spec::creation_policy::none: return "None";
    case spec::creation_policy::create_or_merge: return "CreateOrMerge";
    }
    return "";
}

/// The keys of a map, sorted (maps are sorted already).
template <class Map>
std::vector<std::string> keys_of(Map const& m) {
    std::vector<std::string> out;
    out.reserve(m.size());
    for (auto const& [k, v] : m) out.push_back(k);
    return out;
}

} // namespace esx::sink::detail

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/secret_model.ipp>
#endif

#endif
