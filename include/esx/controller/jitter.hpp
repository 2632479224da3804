// esx::controller: spreading periodic refreshes so they do not all fall due together.
//
// A controller that starts with 10,000 ExternalSecrets syncs them all within seconds; with a
// one-hour interval they would all be due again in the same second an hour later, and every
// hour after. Each refresh is therefore pulled earlier by an offset that depends on the key
// and a seed: deterministic (the same seed and key give the same offset, so tests and runs are
// reproducible) and spread evenly over [0, min(delay * fraction, max)]. Pulling earlier, never
// later, keeps ESO's promise that a Secret is never older than `refreshInterval`.
#ifndef ESX_CONTROLLER_JITTER_HPP
#define ESX_CONTROLLER_JITTER_HPP

#include <esx/controller/object_key.hpp>

#include <chrono>
#include <cstdint>

namespace esx::controller {

struct refresh_jitter {
    std::uint64_t seed = 0x6573782d6a697474ull;                ///< change it to get another spread
    double fraction = 0.1;                                      ///< at most this share of the delay
    std::chrono::nanoseconds max = std::chrono::minutes(5);     ///< and never more than this

    /// The offset to subtract from a refresh due in `delay`: in [0, min(delay * fraction, max)].
    std::chrono::nanoseconds offset(object_key const& key, std::chrono::nanoseconds delay) const noexcept {
        if (delay.count() <= 0 || fraction <= 0) return std::chrono::nanoseconds(0);
        auto span = static_cast<double>(delay.count()) * (fraction < 1 ? fraction : 1.0);
        if (span > static_cast<double>(max.count())) span = static_cast<double>(max.count());
        auto const limit = static_cast<std::uint64_t>(span);
        if (limit == 0) return std::chrono::nanoseconds(0);
        return std::chrono::nanoseconds(static_cast<std::int64_t>(mix(seed ^ stable_hash(key.str())) % (limit + 1)));
    }

private:
    /// splitmix64's finaliser: neighbouring keys land far apart.
    static constexpr std::uint64_t mix(std::uint64_t z) noexcept {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

} // namespace esx::controller

#endif
