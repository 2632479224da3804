// esx::transport::retry: a decorator that retries transient failures.
#ifndef ESX_TRANSPORT_RETRY_HPP
#define ESX_TRANSPORT_RETRY_HPP

#include <esx/log.hpp>
#include <esx/transport/clock.hpp>
#include <esx/transport/concept.hpp>
#include <esx/transport/detail/retry_after.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

namespace esx::transport {

struct retry_options {
    unsigned max_attempts = 4;                        ///< first try plus three retries (Azure SDKs)
    std::chrono::milliseconds base_delay{800};        ///< delay before the first retry
    std::chrono::milliseconds max_delay{60'000};      ///< cap of one computed delay
    std::chrono::milliseconds max_total{120'000};     ///< no retry starts past this since the first try
    double jitter_min = 0.8;                          ///< computed delays are scaled by a factor
    double jitter_max = 1.3;                          ///<   drawn from [jitter_min, jitter_max]
    unsigned seed = std::random_device{}();
    log::logger logger = log::default_logger();
};

/** Retries a request when a retry can help and is safe.

    A request is retried when it is idempotent (`request::is_idempotent`) and either the
    response status matches `condition::retryable` (408, 429, 500, 502, 503, 504) or the
    transport failed with a code matching `condition::retryable` (connection reset or
    refused, dropped mid-response, timeouts). The wait is what the server asked for
    (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After` in seconds or as an HTTP-date),
    otherwise `base_delay * 2^(n-1)` with jitter, capped at `max_delay`. A retry whose wait
    would end past `max_total` is not made: the last response or error is returned.

    @tparam Transport the wrapped transport policy
    @tparam Clock a `waiting_clock`; `esx::testing::fake_clock` in tests
*/
template <class Transport, class Clock = steady_clock>
class retry {
    static_assert(detail::diagnose<Transport>());
    static_assert(waiting_clock<Clock>, "esx::transport::retry: Clock needs now(), utc_now() and "
                                        "awaitable<void> sleep_for(milliseconds) (see esx/transport/clock.hpp)");

public:
    using policy_kind = tag;

    explicit retry(Transport next, retry_options o = {}, Clock clock = {})
        : next_(std::move(next)), options_(std::move(o)), clock_(std::move(clock)), rng_(options_.seed) {}

    /// Builds the wrapped transport in place from an executor and its arguments, so
    /// `blocking<retry<https>>` and `retry<https>(ex, opts)` work.
    template <class Executor, class... Args>
        requires std::constructible_from<Transport, Executor, Args...>
    explicit retry(Executor ex, Args&&... args) : retry(Transport(std::move(ex), std::forward<Args>(args)...)) {}

    boost::asio::awaitable<result<response>> send(request req) {
        auto const started = clock_.now();
        bool const may_retry = req.is_idempotent();
        for (unsigned attempt = 1;; ++attempt) {
            bool const last = !may_retry || attempt >= options_.max_attempts;
            // Kept out of a conditional expression: g++ 12 mishandles temporaries of a
            // ?: inside co_await.
            result<response> r = error_code{};
            if (last) r = co_await next_.send(std::move(req));
            else r = co_await next_.send(req);
            std::optional<std::chrono::milliseconds> asked;
            if (r) {
                if (last || make_http_error(r->result_int()) != condition::retryable) co_return r;
                asked = detail::server_retry_delay(r->base(), clock_.utc_now());
            } else if (last || r.error() != condition::retryable) {
                co_return r;
            }
            auto const wait = asked ? *asked : backoff(attempt);
            if (clock_.now() - started + wait > options_.max_total) co_return r;
            if (options_.logger.enabled(log::level::debug)) {
                auto const what = r ? make_http_error(r->result_int()) : r.error();
                options_.logger.debug("retrying request", {{"component", "esx.transport.retry"},
                                                           {"attempt", attempt},
                                                           {"wait_ms", wait.count()},
                                                           {"server_asked", asked.has_value()},
                                                           {"cause", what}});
            }
            co_await clock_.sleep_for(wait);
        }
    }

    Transport& next_layer() noexcept { return next_; }
    Transport const& next_layer() const noexcept { return next_; }
    Clock& clock() noexcept { return clock_; }

    /// The delay before retry number `attempt` (1-based) when the server asked for none.
    std::chrono::milliseconds backoff(unsigned attempt) {
        using namespace std::chrono;
        double const exp = static_cast<double>(options_.base_delay.count()) *
                           static_cast<double>(1ull << std::min(attempt - 1, 30u));
        double const jitter = std::uniform_real_distribution<double>(options_.jitter_min, options_.jitter_max)(rng_);
        double const capped = std::min(exp * jitter, static_cast<double>(options_.max_delay.count()));
        return milliseconds(static_cast<milliseconds::rep>(capped));
    }

private:
    Transport next_;
    retry_options options_;
    Clock clock_;
    std::minstd_rand rng_;
};

} // namespace esx::transport

#endif
