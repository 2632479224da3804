// esx::controller::managed_secret: what the controller keeps of a Secret it manages.
//
// The controller watches the Secrets carrying ESO's label `reconcile.external-secrets.io/managed=true`
// to notice when one is deleted or edited by someone else (ESO's `isSecretValid`: the Secret
// exists and its `data-hash` annotation is the hash of its data). For that it needs neither the
// values nor most of the metadata: only the identity, the owner, the two hashes and the
// `created-by` label. The values are decoded only to be hashed, in wiped memory, and dropped;
// a cached entry is some 200 bytes whatever the Secret holds (ESO's metadata informer kept
// about 1 KB per Secret, its full cache the whole data).
#ifndef ESX_CONTROLLER_MANAGED_SECRET_HPP
#define ESX_CONTROLLER_MANAGED_SECRET_HPP

#include <esx/config.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/failure.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace esx::controller {

/// The label every Secret ESO (and esx) writes carries, and the selector that watches them.
inline constexpr std::string_view managed_label = "reconcile.external-secrets.io/managed";
inline constexpr std::string_view managed_label_selector = "reconcile.external-secrets.io/managed=true";

/// A SHA3-224 digest (ESO's `ObjectHash`), 28 bytes instead of 56 hex characters.
using object_digest = std::array<std::uint8_t, 28>;

/// The digest written as ESO writes it (lower-case hex).
ESX_DECL std::string to_hex(object_digest const& d);
/// A 56-character hex digest; nothing for anything else.
ESX_DECL std::optional<object_digest> digest_from_hex(std::string_view hex) noexcept;

struct managed_secret {
    std::string namespace_, name;
    std::string resource_version;
    /// The controller `ownerReference` of kind ExternalSecret (creationPolicy Owner); empty if none.
    std::string owner_name, owner_uid;
    /// ESO's data hash of the Secret's `data` as it is now (computed here, from the values).
    object_digest data_hash{};
    /// The `reconcile.external-secrets.io/data-hash` annotation: the hash of what was written.
    std::optional<object_digest> annotated_hash;
    /// The `reconcile.external-secrets.io/created-by` label: ObjectHash of `<ns>/<es name>`.
    std::optional<object_digest> created_by;
    bool deleting = false;  ///< `metadata.deletionTimestamp` is set

    object_key key() const { return object_key(namespace_, name); }

    /// ESO's `isSecretValid` for a Secret that exists with the managed label: its data is what
    /// the controller last wrote (nobody edited it since).
    bool intact() const noexcept { return annotated_hash && *annotated_hash == data_hash; }

    friend bool operator==(managed_secret const&, managed_secret const&) = default;
};

/** Reads a Secret (a watch event's or a list item's object). `data` is base64-decoded into
    wiped memory, hashed and dropped; the values are never kept or copied elsewhere.
    Fails (`error::malformed_response`, naming the field, never a value) on a Secret without a
    name or with `data` that is not base64 strings. */
ESX_DECL result<managed_secret, failure> read_managed_secret(boost::json::value const& secret);

/// `boost::json::try_value_to<managed_secret>`, which `kube::basic_watcher` uses.
inline boost::json::result<managed_secret> tag_invoke(boost::json::try_value_to_tag<managed_secret>,
                                                      boost::json::value const& jv) {
    auto r = read_managed_secret(jv);
    if (!r) return r.error().code;
    return std::move(*r);
}

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/managed_secret.ipp>
#endif

#endif
