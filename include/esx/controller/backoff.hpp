// esx::controller: per-key retry delays after a failed sync.
//
// ESO's item limiter (`BuildRateLimiter`, client-go's `ItemExponentialFailureRateLimiter`):
// the n-th failure in a row waits `base * 2^(n-1)`, 1 s, 2 s, 4 s, ... up to 7 min; a success
// resets the count. The count is all the per-key state, so it is kept in 16 bits.
#ifndef ESX_CONTROLLER_BACKOFF_HPP
#define ESX_CONTROLLER_BACKOFF_HPP

#include <chrono>
#include <cstdint>

namespace esx::controller {

struct exponential_backoff {
    std::chrono::nanoseconds base = std::chrono::seconds(1);
    std::chrono::nanoseconds cap = std::chrono::minutes(7);

    /// The wait after the `failures`-th failure in a row (`failures >= 1`; 0 gives no wait).
    constexpr std::chrono::nanoseconds delay(std::uint32_t failures) const noexcept {
        if (failures == 0 || base.count() <= 0) return std::chrono::nanoseconds(0);
        auto d = base;
        for (std::uint32_t i = 1; i < failures && d < cap; ++i) d *= 2;  // stops at the cap: no overflow
        return d < cap ? d : cap;
    }
};

} // namespace esx::controller

#endif
