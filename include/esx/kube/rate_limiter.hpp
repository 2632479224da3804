// esx::kube::rate_limiter: the client-side request budget (client-go's QPS and burst).
//
// Without one a controller that starts with thousands of objects floods the API server; ESO
// users tune it with `--client-qps`/`--client-burst`. A token bucket: `burst` requests may go
// at once, then `qps` per second. Waiting goes through the clock, so tests use
// `esx::testing::fake_clock` and never sleep.
#ifndef ESX_KUBE_RATE_LIMITER_HPP
#define ESX_KUBE_RATE_LIMITER_HPP

#include <esx/transport/clock.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace esx::kube {

template <transport::waiting_clock Clock = transport::steady_clock>
class rate_limiter {
public:
    /// `qps <= 0` turns limiting off. A `burst` of 0 counts as 1.
    explicit rate_limiter(double qps = 50, std::size_t burst = 100, Clock clock = Clock())
        : qps_(qps), burst_(static_cast<double>(std::max<std::size_t>(burst, 1))), tokens_(burst_),
          last_(clock.now()), clock_(std::move(clock)) {}

    /// Takes one token and says how long the caller must wait before using it (zero when one
    /// was available). Reservations queue up: each later caller waits longer, in order.
    std::chrono::milliseconds reserve() {
        if (qps_ <= 0) return std::chrono::milliseconds(0);
        auto const now = clock_.now();
        if (now > last_) {
            tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * qps_);
            last_ = now;
        }
        tokens_ -= 1;
        if (tokens_ >= 0) return std::chrono::milliseconds(0);
        auto const wait = std::chrono::duration<double>(-tokens_ / qps_);
        return std::chrono::ceil<std::chrono::milliseconds>(wait);
    }

    /// Waits (on the clock) until a request may be sent.
    boost::asio::awaitable<void> acquire() {
        auto const wait = reserve();
        if (wait.count() > 0) {
            ++throttled_;
            co_await clock_.sleep_for(wait);
        }
    }

    /// How many requests had to wait (a metric; client-go logs "Waited for ... due to
    /// client-side throttling").
    std::size_t throttled() const noexcept { return throttled_; }
    Clock& clock() noexcept { return clock_; }

private:
    double qps_;
    double burst_;
    double tokens_;
    std::chrono::steady_clock::time_point last_;
    Clock clock_;
    std::size_t throttled_ = 0;
};

} // namespace esx::kube

#endif
