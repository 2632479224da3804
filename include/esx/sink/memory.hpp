// esx::sink::memory: targets kept in a map, with the laws of `kubernetes_secret` (tests,
// examples, dry runs of a whole program).
#ifndef ESX_SINK_MEMORY_HPP
#define ESX_SINK_MEMORY_HPP

#include <esx/sink/concept.hpp>
#include <esx/sink/detail/secret_model.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace esx::sink {

/// A Secret as the memory sink stores it.
using stored_secret = detail::secret_model;

/** Keeps one `stored_secret` per (namespace, name) and applies ESO's rules to it exactly as
    `kubernetes_secret` does (the same `detail::plan_write`): creation and deletion policies,
    ownership, managed label and data-hash, removal of the keys an ExternalSecret wrote before,
    `immutable`, no write when unchanged, dry runs. The keys an ExternalSecret "wrote" are the
    ones of its last applied target (the API server's `managedFields` counts only the fields a
    write changed; the difference shows only when two writers set the same value).

    Thread-safe; `apply`/`remove` complete without suspending.
*/
class memory {
public:
    using policy_kind = tag;

    boost::asio::awaitable<result<outcome, failure>> apply(target t, apply_options o);
    boost::asio::awaitable<result<outcome, failure>> remove(target t, apply_options o);

    /// The same, without a coroutine.
    result<outcome, failure> apply_now(target const& t, apply_options o);
    result<outcome, failure> remove_now(target const& t, apply_options o);

    /// A copy of Secret `ns/name`, if there is one.
    std::optional<stored_secret> find(std::string_view ns, std::string_view name) const;
    /// Stores `s` as if another writer had made it (a pre-existing target).
    void put(stored_secret s);
    /// Creates, updates and deletes done so far (not counting `put`).
    std::size_t writes() const;
    std::size_t size() const;

private:
    struct entry {
        stored_secret secret;
        std::map<std::string, detail::managed_keys> managers;  // by ExternalSecret name
    };
    using key = std::pair<std::string, std::string>;

    mutable std::mutex mutex_;
    std::map<key, entry> secrets_;
    std::size_t writes_ = 0;
};

static_assert(detail::diagnose<memory>());

} // namespace esx::sink

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/memory.ipp>
#endif

#endif
