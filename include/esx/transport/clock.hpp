// esx::transport: the clock the retry decorator waits on.
//
// Retrying means waiting. Tests must never wait for real, so the clock is a parameter:
// `steady_clock` here waits on an Asio timer; `esx::testing::fake_clock` records the wait
// and returns at once.
#ifndef ESX_TRANSPORT_CLOCK_HPP
#define ESX_TRANSPORT_CLOCK_HPP

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <concepts>

namespace esx::transport {

/// What `retry` needs of a clock: monotonic time, wall time (for HTTP-date `Retry-After`)
/// and a coroutine wait.
template <class C>
concept waiting_clock = requires(C& c, std::chrono::milliseconds d) {
    { c.now() } -> std::same_as<std::chrono::steady_clock::time_point>;
    { c.utc_now() } -> std::same_as<std::chrono::system_clock::time_point>;
    { c.sleep_for(d) } -> std::same_as<boost::asio::awaitable<void>>;
};

/// The real clock.
struct steady_clock {
    std::chrono::steady_clock::time_point now() const { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point utc_now() const { return std::chrono::system_clock::now(); }
    boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) const {
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
};

} // namespace esx::transport

#endif
