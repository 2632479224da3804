// esx::testing::fake_clock: time that moves only when told to.
#ifndef ESX_TESTING_FAKE_CLOCK_HPP
#define ESX_TESTING_FAKE_CLOCK_HPP

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace esx::testing {

/** A `waiting_clock` for tests: `sleep_for` records the wait, moves time forward and
    returns at once, so code that backs off runs instantly and the waits can be asserted.
    Copies share one timeline. */
class fake_clock {
public:
    /// Starts at the given wall time (default 2026-01-01T00:00:00Z).
    explicit fake_clock(std::chrono::system_clock::time_point utc = std::chrono::system_clock::from_time_t(1767225600))
        : state_(std::make_shared<state>()) {
        state_->utc = utc;
    }

    std::chrono::steady_clock::time_point now() const { return state_->steady; }
    std::chrono::system_clock::time_point utc_now() const { return state_->utc; }

    void advance(std::chrono::milliseconds d) {
        state_->steady += d;
        state_->utc += d;
    }

    boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
        state_->sleeps.push_back(d);
        advance(d);
        co_return;
    }

    /// Every wait asked for, in order.
    std::vector<std::chrono::milliseconds> const& sleeps() const noexcept { return state_->sleeps; }

private:
    struct state {
        std::chrono::steady_clock::time_point steady{};
        std::chrono::system_clock::time_point utc{};
        std::vector<std::chrono::milliseconds> sleeps;
    };
    std::shared_ptr<state> state_;
};

} // namespace esx::testing

#endif
