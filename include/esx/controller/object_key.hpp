// esx::controller: the key the scheduler and the work queue track an object by.
//
// One string, `namespace/name` (or `name` for a cluster-scoped object), as client-go's
// `MetaNamespaceKeyFunc` writes it: the controller keeps one per queued object, so the key is
// the whole per-object identity and nothing else (the object itself lives in the reflector
// cache). Short keys fit the string's inline buffer and cost no allocation.
#ifndef ESX_CONTROLLER_OBJECT_KEY_HPP
#define ESX_CONTROLLER_OBJECT_KEY_HPP

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace esx::controller {

class object_key {
public:
    object_key() = default;
    /// `namespace_` empty: a cluster-scoped object (ClusterSecretStore, ClusterExternalSecret).
    object_key(std::string_view namespace_, std::string_view name) {
        text_.reserve(namespace_.size() + name.size() + (namespace_.empty() ? 0 : 1));
        if (!namespace_.empty()) text_.append(namespace_).push_back('/');
        text_.append(name);
    }

    std::string_view namespace_() const noexcept {
        auto const slash = text_.find('/');
        return slash == std::string::npos ? std::string_view() : std::string_view(text_).substr(0, slash);
    }
    std::string_view name() const noexcept {
        auto const slash = text_.find('/');
        return slash == std::string::npos ? std::string_view(text_) : std::string_view(text_).substr(slash + 1);
    }
    /// `namespace/name`, the form log lines and metrics show.
    std::string const& str() const noexcept { return text_; }

    friend bool operator==(object_key const&, object_key const&) = default;
    friend std::strong_ordering operator<=>(object_key const& a, object_key const& b) noexcept {
        return a.text_.compare(b.text_) <=> 0;
    }
    friend std::ostream& operator<<(std::ostream& os, object_key const& k) { return os << k.text_; }

private:
    std::string text_;
};

/// FNV-1a of the key text: the same on every platform and run, so jitter derived from it is
/// reproducible (std::hash is not specified).
constexpr std::uint64_t stable_hash(std::string_view text) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

/// A 64-bit digest of a key's text: the key of the maps that only compare keys and never read
/// one back (the triggers' targets, the created-by index). A copy of a key longer than the
/// string's inline buffer (15 characters in libstdc++) costs a heap block besides its map
/// node; a digest costs nothing beyond the node. Those maps stay exact when two keys share a
/// digest: each keeps the key itself on one side, or checks what it finds against the cache.
struct object_key_digest {
    std::uint64_t operator()(object_key const& k) const noexcept { return std::hash<std::string_view>{}(k.str()); }
};

} // namespace esx::controller

template <>
struct std::hash<esx::controller::object_key> {
    std::size_t operator()(esx::controller::object_key const& k) const noexcept {
        return std::hash<std::string>()(k.str());
    }
};

#endif
