// esx::controller: the bounded worker pool that drives a work queue (kube-runtime's runner).
//
// `run(reconcile)` hands every due key of the queue to `reconcile`, at most the queue's
// `concurrency` at once (default 16), each key never twice at once (the queue defers a key
// requested while in flight), and reports each outcome back with `queue.done(key, outcome)`.
// Between keys it waits on one deadline, the queue's `next_wakeup()`, on the injected clock,
// or for `notify()` (called after adding keys from outside a sync, and by every finished sync):
// one timer for the whole pool, never one per object.
//
// `stop()` stops handing out keys; `run` returns once the syncs in flight have finished
// (SIGTERM handling puts its grace period around that). A reconcile that throws counts as a
// retryable failure: nothing escapes the pool.
//
// Everything runs on one executor (a strand of the caller's choosing); the queue is not
// locked, so it must only be touched from that executor.
#ifndef ESX_CONTROLLER_WORKER_POOL_HPP
#define ESX_CONTROLLER_WORKER_POOL_HPP

#include <esx/controller/work_queue.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <utility>

namespace esx::controller {

/// What `run` calls for each key: `awaitable<sync_outcome> reconcile(work_item)`. The item is
/// passed by value: the coroutine owns it while it runs.
template <class F, class Item>
concept reconciler = std::copy_constructible<F> && requires(F f, Item item) {
    { f(std::move(item)) } -> std::same_as<boost::asio::awaitable<sync_outcome>>;
};

template <transport::waiting_clock Clock = transport::steady_clock>
class basic_worker_pool {
public:
    using queue_type = basic_work_queue<Clock>;
    using work_item = typename queue_type::work_item;

    basic_worker_pool(boost::asio::any_io_executor executor, queue_type& queue)
        : executor_(std::move(executor)), queue_(queue), wake_(executor_, std::chrono::steady_clock::time_point::max()) {}

    basic_worker_pool(basic_worker_pool const&) = delete;
    basic_worker_pool& operator=(basic_worker_pool const&) = delete;

    /// Runs until `stop()`, then until the syncs in flight have finished.
    template <reconciler<work_item> Reconcile>
    boost::asio::awaitable<void> run(Reconcile reconcile) {
        using namespace boost::asio::experimental::awaitable_operators;
        while (!stopping_) {
            while (!stopping_) {
                auto item = queue_.next();
                if (!item) break;
                ++started_;
                boost::asio::co_spawn(executor_, work(std::move(*item), reconcile), boost::asio::detached);
            }
            if (stopping_) break;
            if (woken_) {  // a notify() came while no one waited
                woken_ = false;
                continue;
            }
            auto const deadline = queue_.next_wakeup();
            if (!deadline) {
                co_await wait_for_notify();
            } else {
                auto const now = queue_.clock().now();
                if (*deadline > now) {
                    ++timer_waits_;
                    auto sleep = queue_.clock().sleep_for(std::chrono::ceil<std::chrono::milliseconds>(*deadline - now));
                    auto signal = wait_for_notify();
                    co_await (std::move(sleep) || std::move(signal));
                }
            }
            woken_ = false;
        }
        while (queue_.in_flight() > 0) {
            if (!woken_) co_await wait_for_notify();
            woken_ = false;
        }
        stopping_ = false;
    }

    /// Wakes `run` to look at the queue again (after `queue.add` from outside a sync).
    void notify() {
        woken_ = true;
        wake_.cancel();
    }

    /// Stops handing out keys; `run` returns when the syncs in flight have finished.
    void stop() {
        stopping_ = true;
        notify();
    }

    /// Syncs started since construction.
    std::uint64_t started() const noexcept { return started_; }
    /// Times `run` waited for a deadline on the clock (one timer for the whole pool).
    std::uint64_t timer_waits() const noexcept { return timer_waits_; }
    /// Reconciles that threw (each counted as a retryable failure).
    std::uint64_t exceptions() const noexcept { return exceptions_; }

private:
    boost::asio::awaitable<void> wait_for_notify() {
        wake_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    template <class Reconcile>
    boost::asio::awaitable<void> work(work_item item, Reconcile reconcile) {
        auto const key = item.key;
        auto outcome = sync_outcome::retryable_failure();
        try {
            outcome = co_await reconcile(std::move(item));
        } catch (...) {
            ++exceptions_;
        }
        queue_.done(key, outcome);
        notify();
    }

    boost::asio::any_io_executor executor_;
    queue_type& queue_;
    boost::asio::steady_timer wake_;
    std::uint64_t started_ = 0;
    std::uint64_t timer_waits_ = 0;
    std::uint64_t exceptions_ = 0;
    bool stopping_ = false;
    bool woken_ = false;
};

using worker_pool = basic_worker_pool<>;

} // namespace esx::controller

#endif
