// esx::transport::detail: one timer per client that enforces every in-flight deadline.
//
// Beast's tcp_stream arms a timer (a timerfd_settime system call) for each read and write
// once an expiry is set. At tens of thousands of requests a second that is a large share of
// a request's cost, so exchanges on established connections register here instead: the
// watchdog sleeps until the earliest deadline, cancels the sockets that are overdue, and
// tells their owners why. Connection set-up still uses tcp_stream's own expiry (once per
// connection).
#ifndef ESX_TRANSPORT_DETAIL_WATCHDOG_HPP
#define ESX_TRANSPORT_DETAIL_WATCHDOG_HPP

#include <esx/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace esx::transport::detail {

/// One exchange in flight: its socket and deadlines. Owned by the exchange.
struct watched_exchange {
    using clock = std::chrono::steady_clock;
    boost::asio::ip::tcp::socket* socket = nullptr;
    clock::time_point last_activity;   ///< restarts the idle (read) timeout
    clock::time_point total_deadline;
    std::chrono::milliseconds idle_limit{};
    std::optional<error> expired;      ///< set when the watchdog cancelled the socket

    clock::time_point due() const { return std::min(last_activity + idle_limit, total_deadline); }
};

class watchdog {
public:
    using clock = std::chrono::steady_clock;

    explicit watchdog(boost::asio::any_io_executor ex) : state_(std::make_shared<state>(std::move(ex))) {}
    watchdog(watchdog&&) noexcept = default;
    watchdog& operator=(watchdog&&) = delete;
    ~watchdog() {
        if (state_) state_->timer.cancel();
    }

    void add(watched_exchange& w) {
        state_->active.push_back(&w);
        if (!state_->running) {
            state_->running = true;
            boost::asio::co_spawn(state_->timer.get_executor(), run(state_), boost::asio::detached);
        }
    }

    void remove(watched_exchange& w) {
        auto& active = state_->active;
        if (auto it = std::find(active.begin(), active.end(), &w); it != active.end()) {
            *it = active.back();
            active.pop_back();
        }
        // Stop the timer once nothing is in flight, so an io_context with no other work can
        // return from run(). Deferred, so a caller that starts its next request right away
        // (the common loop) keeps the armed timer instead of paying to re-arm it.
        if (active.empty() && state_->running && !state_->idle_check_posted) {
            state_->idle_check_posted = true;
            boost::asio::post(state_->timer.get_executor(), [s = state_] {
                s->idle_check_posted = false;
                if (s->active.empty()) s->timer.cancel();
            });
        }
    }

    /// Registers an exchange for as long as the guard lives.
    class guard {
    public:
        guard(watchdog& d, watched_exchange& w) : d_(d), w_(w) { d_.add(w_); }
        ~guard() { d_.remove(w_); }
        guard(guard const&) = delete;
        guard& operator=(guard const&) = delete;

    private:
        watchdog& d_;
        watched_exchange& w_;
    };

private:
    struct state {
        explicit state(boost::asio::any_io_executor ex) : timer(std::move(ex)) {}
        boost::asio::steady_timer timer;
        std::vector<watched_exchange*> active;
        bool running = false;
        bool idle_check_posted = false;
    };

    static std::optional<clock::time_point> earliest(state const& s) {
        std::optional<clock::time_point> next;
        for (auto const* w : s.active)
            if (!w->expired && (!next || w->due() < *next)) next = w->due();
        return next;
    }

    static boost::asio::awaitable<void> run(std::shared_ptr<state> s) {
        while (auto const next = earliest(*s)) {
            s->timer.expires_at(*next);
            error_code ec;
            co_await s->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            auto const now = clock::now();
            for (auto* w : s->active) {
                if (w->expired || w->due() > now) continue;
                w->expired = now >= w->total_deadline ? error::total_timeout : error::read_timeout;
                error_code ignored;
                w->socket->cancel(ignored);
            }
        }
        s->running = false;
    }

    std::shared_ptr<state> state_;
};

} // namespace esx::transport::detail

#endif
