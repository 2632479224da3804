// esx::controller: a clean stop on SIGTERM (the kubelet's "please stop") or SIGINT.
//
// The order matters, and is the reason this is a class rather than a signal handler:
//   1. stop taking work (the worker pool's `stop()`, the watches): no new sync starts;
//   2. wait for the syncs in flight, at most the grace period: a sync cut off mid-way is
//      harmless (writes are whole-object) but wastes its Azure reads, and one that finishes
//      records its status;
//   3. release the Lease (`basic_leader_elector::resign`), so another replica takes over at its
//      next try instead of after the lease duration. The lease is still held (and renewed)
//      while syncs drain, so no second leader writes beside them.
// A second signal (or request) while this runs means "now": the force step runs (default: exit
// status 1 at once, as controller-runtime's second signal does).
//
// Grace period: 20 s by default. The kubelet sends SIGKILL `terminationGracePeriodSeconds`
// (30 s unless the pod says otherwise) after SIGTERM; 20 s for draining leaves time for the
// release (one PUT, bounded by the elector's client's deadline of max(1 s, renew deadline / 2)
// = 5 s) and for the process to exit before the kill. A pod that raises its grace period can
// raise this one with it (`--grace-period`).
//
// Testable without signals: `request(reason)` is the trigger the signal handler calls. The
// grace period is a wait on the injected clock raced against the drain, so the clock's waits
// must really wait (`transport::steady_clock`, `esx::testing::stepped_clock`).
#ifndef ESX_CONTROLLER_SHUTDOWN_HPP
#define ESX_CONTROLLER_SHUTDOWN_HPP

#include <esx/controller/completion_flag.hpp>
#include <esx/log.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace esx::controller {

struct shutdown_options {
    /// How long in-flight syncs may take to finish once a stop is requested (see above).
    std::chrono::milliseconds grace_period = std::chrono::seconds(20);
    log::logger logger = log::default_logger();
};

/// Where a shutdown is.
enum class shutdown_phase { running, stopping, draining, releasing, done };

constexpr std::string_view to_string(shutdown_phase p) noexcept {
    constexpr std::string_view names[] = {"running", "stopping", "draining", "releasing", "done"};
    return names[static_cast<int>(p)];
}
inline std::ostream& operator<<(std::ostream& os, shutdown_phase p) { return os << to_string(p); }

/// What happened, for the last log line and the exit status.
struct shutdown_report {
    std::string reason;                    ///< `SIGTERM`, `SIGINT`, or the words given to `request`
    bool drained = false;                  ///< the drain step finished within the grace period
    bool released = false;                 ///< the release step succeeded (true when there is none)
    std::chrono::milliseconds drain_time{}; ///< by the clock, from the request to the end of draining
};

template <transport::waiting_clock Clock = transport::steady_clock>
class basic_shutdown {
public:
    basic_shutdown(boost::asio::any_io_executor executor, shutdown_options o = {}, Clock clock = Clock())
        : executor_(executor), options_(std::move(o)), clock_(std::move(clock)), requested_(executor) {}

    basic_shutdown(basic_shutdown const&) = delete;
    basic_shutdown& operator=(basic_shutdown const&) = delete;
    ~basic_shutdown() {
        cancel_signals();
        owner_->self = nullptr;
    }

    /// Step 1: stop handing out work (e.g. `[&] { pool.stop(); }`).
    void on_stop(std::function<void()> f) { stop_ = std::move(f); }
    /// Step 2: completes when the work in flight has finished (e.g. a `completion_flag` set
    /// when the pool's `run` returns). It is cancelled when the grace period runs out first.
    void on_drain(std::function<boost::asio::awaitable<void>()> f) { drain_ = std::move(f); }
    /// Step 3: release what others wait for (e.g. `[&] { return elector.resign(); }`); true on success.
    void on_release(std::function<boost::asio::awaitable<bool>()> f) { release_ = std::move(f); }
    /// Called on the first request, whatever made it (a signal, `request`): to wake a waiter.
    void on_request(std::function<void()> f) { on_request_ = std::move(f); }
    /// A second request: stop at once. Default: log and `std::_Exit(1)`.
    void on_force(std::function<void()> f) { force_ = std::move(f); }

    /// Turns SIGTERM and SIGINT into `request("SIGTERM")` / `request("SIGINT")`, for as long as
    /// this object lives (the second one forces).
    void listen_for_signals() {
        if (signals_) return;
        signals_ = std::make_shared<boost::asio::signal_set>(executor_, SIGTERM, SIGINT);
        arm(owner_, signals_);
    }

    /// Stops listening for signals (their default action applies again).
    void cancel_signals() {
        if (!signals_) return;
        boost::system::error_code ignored;
        signals_->cancel(ignored);
        signals_->clear(ignored);
        signals_.reset();
    }

    /// The trigger: the first request starts the sequence, a later one forces.
    void request(std::string_view reason) {
        ++requests_;
        if (requests_ == 1) {
            reason_ = std::string(reason);
            requested_.set();
            if (on_request_) on_request_();
            return;
        }
        options_.logger.error("a second stop request: exiting without waiting any longer",
                              {{"component", "esx.controller.shutdown"}, {"reason", reason}});
        if (force_) force_();
        else std::_Exit(1);
    }

    bool requested() const noexcept { return requests_ > 0; }
    std::uint64_t requests() const noexcept { return requests_; }
    shutdown_phase phase() const noexcept { return phase_; }

    /// Waits for the first request, then stops, drains within the grace period and releases.
    boost::asio::awaitable<shutdown_report> run() {
        using namespace boost::asio::experimental::awaitable_operators;
        co_await requested_.wait();
        shutdown_report report;
        report.reason = reason_;
        auto const grace_ms = static_cast<std::int64_t>(options_.grace_period.count());
        options_.logger.info("stopping: no new syncs start; waiting for those in flight",
                             {{"component", "esx.controller.shutdown"}, {"reason", reason_}, {"grace_ms", grace_ms}});
        auto const began = clock_.now();

        phase_ = shutdown_phase::stopping;
        if (stop_) stop_();

        phase_ = shutdown_phase::draining;
        report.drained = true;
        if (drain_) {
            auto drained = drain_();
            auto grace = clock_.sleep_for(options_.grace_period);
            auto first = co_await (std::move(drained) || std::move(grace));
            report.drained = first.index() == 0;
        }
        report.drain_time = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - began);
        auto const drain_ms = static_cast<std::int64_t>(report.drain_time.count());
        if (report.drained)
            options_.logger.info("syncs in flight finished",
                                 {{"component", "esx.controller.shutdown"}, {"elapsed_ms", drain_ms}});
        else
            options_.logger.warn("the grace period ran out with syncs still in flight; stopping anyway",
                                 {{"component", "esx.controller.shutdown"}, {"grace_ms", grace_ms}});

        phase_ = shutdown_phase::releasing;
        report.released = true;
        if (release_) report.released = co_await release_();

        phase_ = shutdown_phase::done;
        options_.logger.info("stopped", {{"component", "esx.controller.shutdown"},
                                         {"drained", report.drained},
                                         {"released", report.released}});
        co_return report;
    }

private:
    // The handler holds the signal set and a pointer back that the destructor clears, so a
    // completion queued before `cancel_signals()` or destruction touches nothing.
    struct owner {
        basic_shutdown* self;
    };
    static void arm(std::shared_ptr<owner> const& o, std::shared_ptr<boost::asio::signal_set> const& set) {
        set->async_wait([o, set](boost::system::error_code ec, int signal) {
            if (ec || !o->self || o->self->signals_ != set) return;
            o->self->request(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal");
            if (o->self && o->self->signals_ == set) arm(o, set);
        });
    }

    boost::asio::any_io_executor executor_;
    shutdown_options options_;
    Clock clock_;
    completion_flag requested_;
    std::shared_ptr<owner> owner_ = std::make_shared<owner>(owner{this});
    std::shared_ptr<boost::asio::signal_set> signals_;
    std::function<void()> stop_;
    std::function<boost::asio::awaitable<void>()> drain_;
    std::function<boost::asio::awaitable<bool>()> release_;
    std::function<void()> force_;
    std::function<void()> on_request_;
    std::string reason_;
    std::uint64_t requests_ = 0;
    shutdown_phase phase_ = shutdown_phase::running;
};

using graceful_shutdown = basic_shutdown<>;

} // namespace esx::controller

#endif
