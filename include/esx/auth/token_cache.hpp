// esx::auth::token_cache: one token per identity and scope, shared by every pipeline that
// uses the identity, refreshed ahead of expiry with at most one request in flight.
#ifndef ESX_AUTH_TOKEN_CACHE_HPP
#define ESX_AUTH_TOKEN_CACHE_HPP

#include <esx/auth/access_token.hpp>
#include <esx/failure.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace esx::auth {

/** What identifies a cached token. `authority` is the Entra ID host (or the IMDS endpoint).

    `credential` tells apart callers that name the same client but prove it differently (a
    salted hash of the client secret, the certificate, the service account whose token is
    exchanged): without it, a store in one namespace that names another namespace's client id
    with a wrong secret would be handed the token the right secret obtained. */
struct cache_key {
    std::string authority;
    std::string tenant;
    std::string client;
    std::string scope;
    std::string credential;
    friend auto operator<=>(cache_key const&, cache_key const&) = default;
};

struct cache_options {
    /// A token is refreshed this long before it expires...
    std::chrono::seconds refresh_ahead{300};
    /// ...except a token that lives at least this long, which is refreshed at half its
    /// lifetime (the Azure SDK's proactive renewal), and a short token, refreshed at half its
    /// lifetime when that comes before `refresh_ahead`.
    std::chrono::seconds long_lived{2 * 3600};
    /// After failed requests the next one waits `backoff_base * 2^(failures-1)`, at most
    /// `backoff_max`. Meanwhile callers get the last failure (or the still-valid token).
    std::chrono::milliseconds backoff_base{1000};
    std::chrono::milliseconds backoff_max{30'000};
};

/// When a token obtained at `obtained` and expiring at `expires` should be refreshed.
inline std::chrono::system_clock::time_point refresh_time(std::chrono::system_clock::time_point obtained,
                                                          std::chrono::system_clock::time_point expires,
                                                          cache_options const& o = {}) {
    auto const lifetime = expires - obtained;
    if (lifetime <= lifetime.zero()) return expires;
    auto const half = lifetime / 2;
    if (lifetime >= o.long_lived) return expires - half;
    return expires - std::min<std::chrono::system_clock::duration>(o.refresh_ahead, half);
}

/** A token cache keyed by (authority, tenant, client, scope).

    @par Semantics
    - A token is handed out only before its `expires_on` (by the cache's clock).
    - Until its refresh time (see `refresh_time`) it is handed out without a request. Past it,
      the first caller fetches a new one; callers that arrive meanwhile get the current token
      while it is still valid, or wait for the fetch (an Asio timer used as a condition: no
      polling) when there is none.
    - However many callers wait, one request is in flight per key.
    - After a failure the key backs off (`cache_options`): callers get the last failure at
      once instead of another request, or the still-valid token if there is one.

    Use it from one executor (one io_context thread or a strand), as the transports.
    @tparam Clock a `transport::waiting_clock`; `esx::testing::fake_clock` in tests. */
template <class Clock = transport::steady_clock>
class token_cache {
public:
    token_cache() : token_cache(Clock()) {}
    explicit token_cache(Clock clock, cache_options o = {}) : clock_(std::move(clock)), options_(o) {}

    /** The token for `key`, calling `fetch()` (`awaitable<result<access_token, failure>>`)
        when a new one is needed. `fetch` runs at most once per call and only while no other
        fetch of the same key is running. */
    template <class Fetch>
    boost::asio::awaitable<result<access_token, failure>> get(cache_key const& key, Fetch fetch) {
        for (;;) {
            entry& e = entries_[key];
            auto const now = clock_.utc_now();
            bool const usable = e.token && now < e.token->expires_on;
            if (usable && now < e.refresh_at) co_return *e.token;
            if (e.in_flight) {
                if (usable) co_return *e.token;
                auto done = e.done; // keep the timer alive while waiting on it
                boost::system::error_code ec;
                co_await done->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
                continue; // woken by the fetch's end: look again
            }
            if (now < e.retry_at) {
                if (usable) co_return *e.token;
                co_return e.last_failure.value_or(failure{make_error_code(error::unexpected_exception)});
            }
            co_return co_await fetch_once(e, fetch);
        }
    }

    /// Forgets the token of `key` (a service refused it); the next `get` fetches.
    void invalidate(cache_key const& key) {
        if (auto it = entries_.find(key); it != entries_.end()) it->second.token.reset();
    }

    /** Drops every entry of the identity `who` names (its authority, tenant, client and
        credential; any scope) that has no fetch in flight, and returns how many: a deleted
        store's tokens do not stay in a long-running process. An entry with a fetch in flight
        is kept (its fetch holds it); the next `forget` or an expiry makes it useless anyway. */
    std::size_t forget(cache_key const& who) {
        std::size_t n = 0;
        for (auto it = entries_.begin(); it != entries_.end();) {
            auto const& k = it->first;
            bool const same = k.authority == who.authority && k.tenant == who.tenant && k.client == who.client &&
                              k.credential == who.credential;
            if (same && !it->second.in_flight) {
                it = entries_.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
        return n;
    }

    /// How many (identity, scope) entries the cache holds.
    std::size_t size() const noexcept { return entries_.size(); }

    /// How many fetches this cache has started (for tests and metrics).
    std::size_t fetches() const noexcept { return fetches_; }
    Clock& clock() noexcept { return clock_; }
    cache_options const& options() const noexcept { return options_; }

private:
    struct entry {
        std::optional<access_token> token;
        std::chrono::system_clock::time_point refresh_at{};
        bool in_flight = false;
        std::shared_ptr<boost::asio::steady_timer> done; // cancelled when the fetch ends
        std::optional<failure> last_failure;
        std::chrono::system_clock::time_point retry_at{};
        unsigned failures = 0;
    };

    // Ends the fetch even if the coroutine is destroyed mid-way, so waiters never hang. The entry
    // drops the timer (each waiter holds its own reference): a cache shared beyond one io_context's
    // life keeps no I/O object of it (ASan: a timer destroyed after its io_context's services).
    struct in_flight_guard {
        entry& e;
        ~in_flight_guard() {
            e.in_flight = false;
            if (e.done) e.done->cancel();
            e.done.reset();
        }
    };

    std::chrono::milliseconds backoff(unsigned failures) const {
        auto const shift = std::min(failures > 0 ? failures - 1 : 0u, 20u);
        return std::min<std::chrono::milliseconds>(options_.backoff_base * (1LL << shift), options_.backoff_max);
    }

    template <class Fetch>
    boost::asio::awaitable<result<access_token, failure>> fetch_once(entry& e, Fetch& fetch) {
        e.in_flight = true;
        e.done = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                             boost::asio::steady_timer::time_point::max());
        ++fetches_;
        result<access_token, failure> r = failure{};
        {
            in_flight_guard guard{e};
            try {
                r = co_await fetch();
            } catch (...) {
                r = failure{ESX_ERROR(error::unexpected_exception), "the token request threw an exception"};
            }
            auto const now = clock_.utc_now();
            if (r) {
                e.token = *r;
                e.refresh_at = refresh_time(now, r->expires_on, options_);
                e.failures = 0;
                e.last_failure.reset();
                e.retry_at = {};
            } else {
                ++e.failures;
                e.last_failure = r.error();
                e.retry_at = now + backoff(e.failures);
            }
        }
        if (!r && e.token && clock_.utc_now() < e.token->expires_on) co_return *e.token;
        co_return r;
    }

    Clock clock_;
    cache_options options_;
    std::map<cache_key, entry> entries_;
    std::size_t fetches_ = 0;
};

} // namespace esx::auth

#endif
