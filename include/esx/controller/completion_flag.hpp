// esx::controller::completion_flag: "this has happened", awaitable by any number of coroutines.
//
// The shutdown sequence waits for things that other coroutines finish (the worker pool's
// `run` returning, the leader elector releasing its lease), and races those waits against the
// grace period. A flag is one steady timer that never expires on its own: `set()` cancels it,
// which wakes every waiter. `wait()` honours cancellation (it returns when the waiting
// coroutine is cancelled, e.g. by the `||` of a grace period), so it can be raced safely.
// Like the queue and the caches, a flag belongs to one executor: it is not locked.
#ifndef ESX_CONTROLLER_COMPLETION_FLAG_HPP
#define ESX_CONTROLLER_COMPLETION_FLAG_HPP

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <utility>

namespace esx::controller {

class completion_flag {
public:
    explicit completion_flag(boost::asio::any_io_executor executor)
        : timer_(std::move(executor), std::chrono::steady_clock::time_point::max()) {}

    completion_flag(completion_flag const&) = delete;
    completion_flag& operator=(completion_flag const&) = delete;

    /// Marks it done and wakes every waiter. Idempotent.
    void set() {
        set_ = true;
        timer_.cancel();
    }

    /// Makes it wait again (for a sequence that can run more than once).
    void reset() noexcept { set_ = false; }

    bool is_set() const noexcept { return set_; }

    /// Returns once `set()` has been called, or when the waiting coroutine is cancelled.
    boost::asio::awaitable<void> wait() {
        while (!set_) {
            auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            (void)ec;
            if (set_) break;
            auto const state = co_await boost::asio::this_coro::cancellation_state;
            if (state.cancelled() != boost::asio::cancellation_type::none) co_return;
        }
    }

private:
    boost::asio::steady_timer timer_;
    bool set_ = false;
};

} // namespace esx::controller

#endif
