// esx::controller::created_by_index: which managed Secrets an ExternalSecret created under
// another name (ESO's `deleteOrphanedSecrets`), answered from the managed-Secret cache instead
// of a LIST per sync.
//
// A Secret carries `created-by: ObjectHash(<ns>/<es name>)`. Most are named after the
// ExternalSecret that made them (no `target.name`): such a Secret is found by a direct cache
// lookup of `<ns>/<es name>`. Only the others (made for a `target.name`, or renamed since) are
// indexed here, by digest, so the index stays empty in the common case and a query costs a
// lookup, never a scan of the cache.
//
// Where every ExternalSecret names its target (bench-controller: 10,000 of them) every managed
// Secret is indexed, so an entry is kept small: the first 8 bytes of the digest, not all 28.
// A query checks the full digest against the cached Secret, so a shared prefix finds nothing
// extra. The way back (Secret -> its entry, to drop it when the Secret changes) is keyed by a
// digest of the Secret's key rather than a copy of it (a heap block of its own for keys over
// 15 characters): 144 bytes a Secret in all, down from 208 (unit test
// `memory_per_secret_of_the_created_by_index_is_small`). `forget` finds the entry whose
// Secret is exactly the key, so two keys sharing a digest do not drop each other's entries.
#ifndef ESX_CONTROLLER_CREATED_BY_INDEX_HPP
#define ESX_CONTROLLER_CREATED_BY_INDEX_HPP

#include <esx/controller/managed_secret.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/transform/hash.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace esx::controller {

/// @tparam Digest `object_key_digest` (tests give one under which keys collide)
template <class Digest = object_key_digest>
class basic_created_by_index {
public:
    /// The managed Secret `key` is now `now` (null: gone). Call after every change of the cache.
    void update(object_key const& key, managed_secret const* now) {
        forget(key);
        if (!now || !now->created_by) return;
        if (digest_of(key.namespace_(), key.name()) == *now->created_by) return;  // found by name
        auto const prefix = prefix_of(*now->created_by);
        by_key_.emplace(digest_(key), prefix);
        by_digest_.emplace(prefix, key);
    }

    /// After a relist (the cache may have lost entries without a change per key).
    void rebuild(object_cache<managed_secret> const& cache) {
        by_key_.clear();
        by_digest_.clear();
        cache.for_each([this](object_key const& key, managed_secret const& s) { update(key, &s); });
    }

    /// The Secrets of namespace `ns` created by ExternalSecret `es_name` other than `target`.
    std::vector<std::string> orphans(object_cache<managed_secret> const& cache, std::string_view ns,
                                     std::string_view es_name, std::string_view target) const {
        std::vector<std::string> out;
        auto const digest = digest_of(ns, es_name);
        if (es_name != target) {
            auto const same_name = cache.find(object_key(ns, es_name));
            if (same_name && same_name->created_by == digest) out.emplace_back(es_name);
        }
        auto const [from, to] = by_digest_.equal_range(prefix_of(digest));
        for (auto it = from; it != to; ++it) {
            if (it->second.namespace_() != ns || it->second.name() == target) continue;
            auto const secret = cache.find(it->second);  // the whole digest, not only its prefix
            if (secret && secret->created_by == digest) out.emplace_back(it->second.name());
        }
        return out;
    }

    std::size_t size() const noexcept { return by_key_.size(); }
    /// Entries of the way from a created-by digest to the Secrets (always `size()`; tests).
    std::size_t reverse_size() const noexcept { return by_digest_.size(); }

private:
    static object_digest digest_of(std::string_view ns, std::string_view name) {
        auto d = digest_from_hex(transform::created_by_label(ns, name));
        return d ? *d : object_digest{};
    }

    static std::uint64_t prefix_of(object_digest const& d) noexcept {
        std::uint64_t p = 0;
        std::memcpy(&p, d.data(), sizeof p);
        return p;
    }

    void forget(object_key const& key) {
        auto const [from, to] = by_key_.equal_range(digest_(key));
        for (auto k = from; k != to; ++k) {
            auto const [d_from, d_to] = by_digest_.equal_range(k->second);
            for (auto d = d_from; d != d_to; ++d)
                if (d->second == key) {  // this entry is the key's, not one sharing its digest
                    by_digest_.erase(d);
                    by_key_.erase(k);
                    return;
                }
        }
    }

    [[no_unique_address]] Digest digest_;
    std::unordered_multimap<std::uint64_t, std::uint64_t> by_key_;  ///< Secret's key digest -> its created-by prefix
    std::unordered_multimap<std::uint64_t, object_key> by_digest_;  ///< created-by prefix -> Secrets
};

using created_by_index = basic_created_by_index<>;

} // namespace esx::controller

#endif
