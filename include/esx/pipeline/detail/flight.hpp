// esx::detail::flight: one asynchronous computation whose result several coroutines await.
//
// The pipeline coalesces identical work (a Key Vault read, a store's credentials, a listing
// page): the first coroutine that needs it starts it, the others wait for the same result.
// Waiting is an Asio timer used as a condition (cancelled when the result is set), as in
// `auth::token_cache`: no polling, and everything stays on one executor. The timer goes when the
// result is set: a finished flight kept in a cache (`read_cache`) holds no I/O object, so the
// cache may outlive the io_context it ran on (ASan found a timer destroyed after its service).
#ifndef ESX_PIPELINE_DETAIL_FLIGHT_HPP
#define ESX_PIPELINE_DETAIL_FLIGHT_HPP

#include <esx/failure.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <utility>

namespace esx::detail {

template <class T>
class flight {
public:
    explicit flight(boost::asio::any_io_executor ex) : done_(std::in_place, std::move(ex), boost::asio::steady_timer::time_point::max()) {}

    bool finished() const noexcept { return value_.has_value(); }
    T const& value() const { return *value_; }

    /// Sets the result and wakes every waiter. Later calls are ignored.
    void finish(T v) {
        if (value_) return;
        value_.emplace(std::move(v));
        done_->cancel(); // the waiters' completions are queued: the timer itself may go
        done_.reset();
    }

    /// Returns once `finish` was called.
    boost::asio::awaitable<void> wait() {
        while (!value_) {
            boost::system::error_code ec;
            co_await done_->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

private:
    std::optional<boost::asio::steady_timer> done_; ///< empty once finished
    std::optional<T> value_;
};

/// Finishes a flight with `abandoned` if the coroutine that owns it ends without finishing it
/// (an exception, a cancelled coroutine), so that waiters never hang.
template <class T>
struct flight_guard {
    flight<T>& f;
    T abandoned;
    ~flight_guard() {
        if (!f.finished()) f.finish(std::move(abandoned));
    }
};

} // namespace esx::detail

#endif
