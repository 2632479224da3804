// esx::controller::targets_as_left: how the Secret sink last left each target Secret, so that a
// refresh with nothing changed reads nothing from the API server.
//
// ESO answers a refresh from its informer cache of whole Secrets. esx caches managed Secrets
// without their values (<managed_secret.hpp>: metadata, the data's hash), so the sink could not
// tell an unchanged target from its cache alone and read the Secret (10,000 GETs per refresh
// cycle of 10,000 ExternalSecrets). This remembers, per target, the fingerprint of the target
// the sink last applied and the `resourceVersion` it left the Secret at. When the cache still
// holds that version, nobody has written the Secret since, and a target with the same
// fingerprint and the same data hash would change nothing (`sink::target_knowledge::unchanged_since`).
//
// Small on purpose (one entry per managed Secret): 32 bytes of entry, keyed by the hash of the
// Secret's `object_key` rather than the key itself. A hash collision is harmless: the fingerprint names the Secret, so a
// borrowed entry never matches and the sink reads as before; so is a stale entry (its version
// is not the cache's). Entries go when their Secret leaves the cache, and all of them on a relist.
#ifndef ESX_CONTROLLER_TARGETS_AS_LEFT_HPP
#define ESX_CONTROLLER_TARGETS_AS_LEFT_HPP

#include <esx/controller/object_key.hpp>
#include <esx/sink/target.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace esx::controller {

class targets_as_left {
public:
    /// The sink left Secret `secret` at `version` for a target with `fingerprint`.
    void remember(object_key const& secret, sink::target_fingerprint const& fingerprint, std::string_view version) {
        if (version.empty()) return;
        entries_[key_of(secret)] = entry{fingerprint, version_hash(version)};
    }

    /// The fingerprint of the target last applied to `secret`, if the Secret is still at the
    /// version it was left at (`cached_version`: what the managed-Secret cache holds now).
    std::optional<sink::target_fingerprint> unchanged_since(object_key const& secret,
                                                            std::string_view cached_version) const {
        auto const it = entries_.find(key_of(secret));
        if (it == entries_.end() || cached_version.empty() || it->second.version != version_hash(cached_version))
            return std::nullopt;
        return it->second.fingerprint;
    }

    void forget(object_key const& secret) { entries_.erase(key_of(secret)); }
    void clear() noexcept { entries_.clear(); }
    std::size_t size() const noexcept { return entries_.size(); }

private:
    struct entry {
        sink::target_fingerprint fingerprint{};
        std::uint64_t version = 0;  ///< hash of the `resourceVersion` (opaque text to a client)
    };

    static std::uint64_t version_hash(std::string_view v) noexcept { return std::hash<std::string_view>{}(v); }
    static std::uint64_t key_of(object_key const& secret) noexcept { return std::hash<object_key>{}(secret); }

    std::unordered_map<std::uint64_t, entry> entries_;
};

} // namespace esx::controller

#endif
