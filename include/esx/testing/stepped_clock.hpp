// esx::testing::stepped_clock: time that moves only when the test says, with waits that wait.
#ifndef ESX_TESTING_STEPPED_CLOCK_HPP
#define ESX_TESTING_STEPPED_CLOCK_HPP

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace esx::testing {

/** A `waiting_clock` whose `sleep_for` suspends until the test advances time past its end.

    `fake_clock` returns from every wait at once, which suits one loop on one timeline. Where
    several loops share time (two leader electors, a grace period raced against a drain), each
    wait must last until the test moves time on: `advance(d)` moves both clocks and wakes the
    waits that are due, and `sleepers()` says how many are still waiting, so a test can run
    its io_context until every loop is asleep again instead of sleeping for real.
    A wait can be cancelled (e.g. the loser of an `||`). Copies share one timeline. Use it from
    one thread.
*/
class stepped_clock {
public:
    explicit stepped_clock(std::chrono::system_clock::time_point utc = std::chrono::system_clock::from_time_t(1767225600))
        : state_(std::make_shared<state>()) {
        state_->utc = utc;
    }

    std::chrono::steady_clock::time_point now() const { return state_->steady; }
    std::chrono::system_clock::time_point utc_now() const { return state_->utc; }

    boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
        if (d.count() <= 0) co_return;
        auto executor = co_await boost::asio::this_coro::executor;
        auto timer = std::make_shared<boost::asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
        auto s = state_;
        s->waits.push_back({s->steady + d, timer});
        co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        std::erase_if(s->waits, [&](wait const& w) { return w.timer.lock() == timer; });
    }

    /// Moves time on by `d` and wakes every wait that ends by then.
    void advance(std::chrono::milliseconds d) {
        state_->steady += d;
        state_->utc += d;
        auto& waits = state_->waits;
        for (auto it = waits.begin(); it != waits.end();) {
            auto t = it->timer.lock();
            if (!t) {
                it = waits.erase(it);
            } else if (it->until <= state_->steady) {
                t->cancel();
                it = waits.erase(it);
            } else {
                ++it;
            }
        }
    }

    /// Waits begun and not yet due (nor cancelled).
    std::size_t sleepers() const {
        return static_cast<std::size_t>(
            std::count_if(state_->waits.begin(), state_->waits.end(), [](wait const& w) { return !w.timer.expired(); }));
    }

    /// When the earliest pending wait ends.
    std::optional<std::chrono::steady_clock::time_point> next_wakeup() const {
        std::optional<std::chrono::steady_clock::time_point> out;
        for (auto const& w : state_->waits)
            if (!w.timer.expired() && (!out || w.until < *out)) out = w.until;
        return out;
    }

private:
    struct wait {
        std::chrono::steady_clock::time_point until;
        std::weak_ptr<boost::asio::steady_timer> timer; // owned by the waiting coroutine's frame
    };
    struct state {
        std::chrono::steady_clock::time_point steady{};
        std::chrono::system_clock::time_point utc{};
        std::vector<wait> waits;
    };
    std::shared_ptr<state> state_;
};

} // namespace esx::testing

#endif
