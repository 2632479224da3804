// esx::read_cache: Key Vault reads keyed by who read what, shared by every ExternalSecret.
//
// A thousand ExternalSecrets naming the same hundred objects cost a hundred reads, not a
// thousand: identical reads coalesce onto one request in flight, and a finished read serves
// later ones. The identity that read is part of every key, so a value read with one identity's
// permissions never answers a store whose identity might lack them.
#ifndef ESX_PIPELINE_READ_CACHE_HPP
#define ESX_PIPELINE_READ_CACHE_HPP

#include <esx/failure.hpp>
#include <esx/pipeline/detail/flight.hpp>
#include <esx/secret.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <compare>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace esx {

/// One distinct Key Vault read.
struct read_key {
    std::string identity;    ///< the auth policy and its credential's fingerprint (see `pipeline` docs)
    std::string vault;       ///< the vault's origin, `https://name.vault.azure.net`
    std::string collection;  ///< `secrets`, `keys`, `certificates`
    std::string name;        ///< lower case: Key Vault names are case-insensitive
    std::string version;     ///< empty: the latest
    friend auto operator<=>(read_key const&, read_key const&) = default;
};

/** One object as Key Vault returned it: the bundle without its secret `value` (ids, tags,
    attributes, a key's JWK, a certificate's `cer`), and the `value` itself, if the bundle had
    one, as wiped `secret_bytes`. */
struct fetched_object {
    boost::json::object bundle;
    secret_bytes value;
    bool has_value = false;
};

struct read_cache_options {
    /// How long a finished read serves later ones. A controller uses seconds (values change in
    /// Key Vault); one run of the CLI uses the run's length (`max()`).
    std::chrono::milliseconds ttl{std::chrono::seconds(10)};
    /// At most this many objects are kept; the oldest go first.
    std::size_t max_entries = 4096;
    /// Keep failed reads (a 404, a 403) for the TTL too. A run keeps them, so an object missing
    /// for a thousand ExternalSecrets costs one read; a controller's shared cache does not.
    bool keep_failures = false;

    /// What one run uses: everything, for the whole run.
    static read_cache_options for_one_run() {
        return {std::chrono::milliseconds::max(), static_cast<std::size_t>(-1), true};
    }
};

/** A cache of Key Vault reads with coalescing of identical reads in flight.

    @par Semantics
    - `get(key, fetch)` answers a stored read younger than `ttl`, else waits for the identical
      read in flight, else calls `fetch()` (an `awaitable<result<shared_ptr<fetched_object
      const>, failure>>`), stores its answer (a failure only with `keep_failures`) and hands it
      to every waiter.
    - At most `max_entries` answers are kept; the oldest are dropped first.
    - Values live in `secret_bytes` (wiped when the last user drops them); nothing here is
      ever printed.

    Use it from one executor, as the clients. @tparam Clock `now()` for the TTL
    (`esx::testing::fake_clock` in tests). */
template <class Clock = transport::steady_clock>
class read_cache {
public:
    using object_ptr = std::shared_ptr<fetched_object const>;
    using read_result = result<object_ptr, failure>;

    read_cache() : read_cache(read_cache_options{}) {}
    explicit read_cache(read_cache_options o, Clock clock = Clock()) : options_(o), clock_(std::move(clock)) {}

    template <class Fetch>
    boost::asio::awaitable<read_result> get(read_key key, Fetch fetch) {
        if (auto it = entries_.find(key); it != entries_.end()) {
            auto f = it->second.answer;
            if (!f->finished()) {
                ++coalesced_;
                co_await f->wait();
                co_return f->value();
            }
            if (fresh(it->second)) {
                ++hits_;
                co_return f->value();
            }
            erase(it);
        }
        make_room();
        auto f = std::make_shared<detail::flight<read_result>>(co_await boost::asio::this_coro::executor);
        order_.push_back(key);
        entries_.emplace(key, entry{f, {}, std::prev(order_.end())});
        ++fetches_;
        read_result r = failure{};
        {
            detail::flight_guard<read_result> guard{*f, failure{make_error_code(error::unexpected_exception),
                                                                "the Key Vault read was abandoned"}};
            try {
                r = co_await fetch();
            } catch (...) {
                r = failure{make_error_code(error::unexpected_exception), "the Key Vault read threw an exception"};
            }
            if (auto it = entries_.find(key); it != entries_.end() && it->second.answer == f) {
                if (r || options_.keep_failures) it->second.stored = clock_.now();
                else erase(it);
            }
            f->finish(r);
        }
        co_return r;
    }

    /// Reads answered from the cache (after a finished read) and reads that waited for an
    /// identical one in flight.
    std::size_t hits() const noexcept { return hits_; }
    std::size_t coalesced() const noexcept { return coalesced_; }
    /// Reads that went to Key Vault.
    std::size_t fetches() const noexcept { return fetches_; }
    std::size_t size() const noexcept { return entries_.size(); }
    void clear() {
        entries_.clear();
        order_.clear();
    }
    read_cache_options const& options() const noexcept { return options_; }

private:
    struct entry {
        std::shared_ptr<detail::flight<read_result>> answer;
        std::chrono::steady_clock::time_point stored{};
        std::list<read_key>::iterator place;
    };

    bool fresh(entry const& e) const {
        if (options_.ttl == std::chrono::milliseconds::max()) return true;
        return clock_.now() - e.stored < options_.ttl;
    }

    void erase(typename std::map<read_key, entry>::iterator it) {
        order_.erase(it->second.place);
        entries_.erase(it);
    }

    void make_room() {
        while (!order_.empty() && entries_.size() >= options_.max_entries) {
            auto it = entries_.find(order_.front());
            if (it == entries_.end()) order_.pop_front(); // cannot happen; keeps the loop finite
            else erase(it);
        }
    }

    read_cache_options options_;
    Clock clock_;
    std::map<read_key, entry> entries_;
    std::list<read_key> order_;
    std::size_t hits_ = 0, coalesced_ = 0, fetches_ = 0;
};

} // namespace esx

#endif
