// esx::controller: Lease leader election, as client-go's `leaderelection` package does it.
//
// Several replicas of a controller run at once; only the one holding the
// `coordination.k8s.io/v1` Lease (default `esx-controller`; ESO's is `external-secrets-controller`)
// writes. The protocol is client-go's LeaseLock, so esx can share a cluster with tools that
// read leases the usual way (kubectl, dashboards):
//
// - A candidate GETs the lease; on 404 it creates it naming itself. Otherwise it may take the
//   lease only when the holder is empty (released) or the lease has expired, and then it
//   counts one more `leaseTransitions`. Every write is a PUT carrying the resourceVersion it
//   read, so two candidates racing get one 409 and one winner.
// - Expiry is measured by the observer's own clock from the moment it last *saw the record
//   change* (`observed time + leaseDurationSeconds`), never from the holder's `renewTime`:
//   clocks of two nodes are not comparable, a local interval is.
// - The leader renews every `retry_period` (first with the lease it wrote last, falling back to
//   a fresh GET when that PUT fails). When no renewal has succeeded for `renew_deadline` it
//   stops leading, before anyone else may take over (`lease_duration` > `renew_deadline`). If
//   a read shows another holder, it stops at once.
// - On a clean stop it releases the lease (empty holder, `leaseDurationSeconds: 1`) so that
//   another replica takes over at its next try instead of after the lease duration.
//
// Timing: every decision reads the injected clock (`transport::waiting_clock`); waits are
// `clock.sleep_for`, raced against `stop()`. A request that hangs is bounded by the kube
// client's transport deadlines, not by this class: give the elector its own client built with
// `leader_election_transport_options` (client-go's max(1 s, renew deadline / 2)), so a single
// hung request cannot outlast the renew deadline.
#ifndef ESX_CONTROLLER_LEADER_ELECTION_HPP
#define ESX_CONTROLLER_LEADER_ELECTION_HPP

#include <esx/config.hpp>
#include <esx/controller/completion_flag.hpp>
#include <esx/failure.hpp>
#include <esx/kube/resource.hpp>
#include <esx/log.hpp>
#include <esx/transport/clock.hpp>
#include <esx/transport/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace esx::controller {

struct leader_election_options {
    std::string lease_name = "esx-controller";
    std::string lease_namespace;   ///< empty: the kube client's default namespace (in-cluster: the pod's)
    std::string identity;          ///< empty: `default_leader_identity()`
    /// How long a lease is good for after an observer last saw it change (client-go: 15 s).
    std::chrono::milliseconds lease_duration = std::chrono::seconds(15);
    /// How long the leader keeps trying to renew before it stops leading (client-go: 10 s).
    std::chrono::milliseconds renew_deadline = std::chrono::seconds(10);
    /// The interval between tries, to acquire or to renew (client-go: 2 s).
    std::chrono::milliseconds retry_period = std::chrono::seconds(2);
    /// Acquisition retries wait `retry_period * (1 + U[0, jitter))` (client-go's JitterFactor
    /// 1.2) so that replicas started together do not try in lockstep; 0 for none.
    double jitter = 1.2;
    /// Release the lease when `stop()` ends the run (client-go's ReleaseOnCancel).
    bool release_on_stop = true;
    log::logger logger = log::default_logger();
};

/// `lease_duration > renew_deadline > 1.2 * retry_period > 0` (client-go's checks), whole
/// seconds for the lease (its field is `leaseDurationSeconds`), a lease name.
/// @par Errors `error::invalid_option` naming the setting and the rule.
ESX_DECL result<void, failure> validate(leader_election_options const& o);

/// `<hostname>_<16 random hex digits>`, as controller-runtime's `<hostname>_<uuid>`: unique
/// per process even when two replicas share a host name.
ESX_DECL std::string default_leader_identity();

/// `base` with deadlines no longer than max(1 s, renew_deadline / 2) (client-go's
/// `NewFromKubeconfig`), for the elector's own kube client.
ESX_DECL transport::options leader_election_transport_options(transport::options base,
                                                              leader_election_options const& o);

/// The election fields of a Lease's spec (client-go's LeaderElectionRecord).
struct lease_record {
    std::string holder_identity;
    std::int64_t lease_duration_seconds = 0;
    std::optional<std::chrono::system_clock::time_point> acquire_time;
    std::optional<std::chrono::system_clock::time_point> renew_time;
    std::int64_t lease_transitions = 0;

    bool operator==(lease_record const&) const = default;
};

namespace detail {
/// Reads `spec` of a Lease object; missing or mistyped fields read as empty/zero.
ESX_DECL lease_record read_lease_record(boost::json::object const& lease);
/// The Lease `spec` for a record (times as MicroTime).
ESX_DECL boost::json::object lease_spec(lease_record const& r);
/// MicroTime: RFC 3339 UTC with exactly six fractional digits (`2026-11-28T00:54:31.123456Z`).
ESX_DECL std::string format_micro_time(std::chrono::system_clock::time_point t);
} // namespace detail

/// What the elector needs of a kube client (`kube::client` has it): GET, POST and PUT.
template <class C>
concept lease_client = requires(C& c, kube::resource const& r, std::string_view s, boost::json::object const& o) {
    { c.get(r, s, s) } -> std::same_as<boost::asio::awaitable<result<boost::json::object, failure>>>;
    { c.create(r, s, o) } -> std::same_as<boost::asio::awaitable<result<boost::json::object, failure>>>;
    { c.replace(r, s, s, o) } -> std::same_as<boost::asio::awaitable<result<boost::json::object, failure>>>;
};

/// Why `run` returned.
enum class leadership_end {
    stopped, ///< `stop()` or `abandon()` (the lease released with `stop()` if it was held)
    lost,    ///< it led and could not renew within the renew deadline, or saw another holder
};

constexpr std::string_view to_string(leadership_end e) noexcept { return e == leadership_end::lost ? "lost" : "stopped"; }
inline std::ostream& operator<<(std::ostream& os, leadership_end e) { return os << to_string(e); }

/** Runs for one replica: tries to acquire the lease, leads while it renews, and says so.

    `run()` is the whole election; `leading()` the state of the moment; `on_started_leading`,
    `on_stopped_leading` and `on_new_leader` are called on the elector's executor when the
    state changes (keep them short: they run inside the election loop). After `lost` the
    caller should stop writing at once (controller-runtime exits the process); another
    `run()` starts a new candidacy.

    `stop()` ends the run and releases the lease if held; `abandon()` ends it without touching
    the lease (what a crash looks like to the others: they take over after the lease
    duration); `resign()` is `stop()` plus waiting for the release, for a shutdown sequence.

    The clock's `sleep_for` must really wait (`transport::steady_clock`, or in tests
    `esx::testing::stepped_clock`); `esx::testing::fake_clock` returns at once and so suits
    only a single elector whose every wait may elapse immediately.
*/
template <lease_client Client, transport::waiting_clock Clock = transport::steady_clock>
class basic_leader_elector {
public:
    using time_point = std::chrono::steady_clock::time_point;

    basic_leader_elector(boost::asio::any_io_executor executor, Client& client, leader_election_options o,
                         Clock clock = Clock())
        : client_(client), options_(std::move(o)), clock_(std::move(clock)), stop_(executor), finished_(executor),
          random_(std::random_device{}()) {
        if (options_.identity.empty()) options_.identity = default_leader_identity();
        finished_.set(); // not running
    }

    basic_leader_elector(basic_leader_elector const&) = delete;
    basic_leader_elector& operator=(basic_leader_elector const&) = delete;

    void on_started_leading(std::function<void()> f) { started_ = std::move(f); }
    void on_stopped_leading(std::function<void()> f) { stopped_ = std::move(f); }
    /// Called with the holder's identity whenever the observed holder changes ("" when released).
    void on_new_leader(std::function<void(std::string_view)> f) { new_leader_ = std::move(f); }

    bool leading() const noexcept { return leading_; }
    std::string const& identity() const noexcept { return options_.identity; }
    leader_election_options const& options() const noexcept { return options_; }
    /// The holder in the last record this elector saw ("" before any, or when released).
    std::string const& observed_leader() const noexcept { return observed_.holder_identity; }
    /// The last record seen or written.
    lease_record const& observed_record() const noexcept { return observed_; }

    /// client-go's `Check`: false when this replica believes it leads but has not seen its
    /// lease renewed for `lease_duration + tolerance` (a stuck loop; for `/healthz`).
    bool healthy(std::chrono::milliseconds tolerance = std::chrono::seconds(20)) const {
        if (!leading_) return true;
        return clock_.now() - observed_time_ <= options_.lease_duration + tolerance;
    }

    /// Tries made (acquire or renew), 409 Conflicts met, and renewals that succeeded.
    std::uint64_t attempts() const noexcept { return attempts_; }
    std::uint64_t conflicts() const noexcept { return conflicts_; }
    std::uint64_t renewals() const noexcept { return renewals_; }

    /// The election: acquire (retrying every `retry_period` with jitter), then lead (renewing
    /// every `retry_period`) until `stop()`/`abandon()`, or until leadership is lost.
    /// One `run` at a time; a later one starts a new candidacy.
    /// @par Errors invalid options (see `validate`); nothing else: API failures are retried.
    boost::asio::awaitable<result<leadership_end, failure>> run() {
        if (auto v = validate(options_); !v) co_return v.error();
        finished_.reset();
        released_ = false;
        auto const end = co_await elect();
        stop_.reset(); // here, not at the start: a stop() that came before run() still counts
        abandoned_ = false;
        finished_.set();
        co_return end;
    }

    /// Ends `run` at its next step (or at once if it has not started); the lease is released
    /// first if held and `release_on_stop`.
    void stop() { stop_.set(); }

    /// Ends `run` without releasing the lease.
    void abandon() {
        abandoned_ = true;
        stop_.set();
    }

    /// `stop()`, then waits until `run` has returned; true when the lease was released (or was
    /// not held). Without a running `run`, releases directly.
    boost::asio::awaitable<bool> resign() {
        if (finished_.is_set()) {
            auto const released = co_await release();
            co_return released;
        }
        stop();
        co_await finished_.wait();
        co_return released_ || !holds_lease();
    }

    /// Clears the holder if this elector holds the lease (a PUT with the freshly read
    /// resourceVersion, retried on 409 a few times). True when released or not held.
    /// Call it only when `run` is not running (`resign()` does the ordering).
    boost::asio::awaitable<bool> release() {
        if (!holds_lease()) co_return true;
        auto const& leases = kube::resources::leases;
        for (int attempt = 0; attempt < 3; ++attempt) {
            auto got = co_await client_.get(leases, options_.lease_namespace, options_.lease_name);
            if (!got) {
                log_failure("could not read the lease to release it", got.error());
                co_return false;
            }
            auto const current = detail::read_lease_record(*got);
            if (current.holder_identity != options_.identity) { // someone else took it meanwhile
                see(current, clock_.now());
                co_return true;
            }
            auto const now_utc = clock_.utc_now();
            lease_record released;
            released.lease_duration_seconds = 1;
            released.acquire_time = now_utc;
            released.renew_time = now_utc;
            released.lease_transitions = current.lease_transitions;
            boost::json::object body = std::move(*got);
            body["spec"] = detail::lease_spec(released);
            auto put = co_await client_.replace(leases, options_.lease_namespace, options_.lease_name, body);
            if (put) {
                lease_ = std::move(*put);
                see(released, clock_.now());
                released_ = true;
                note(log::level::info, "released the leader lease");
                co_return true;
            }
            if (put.error() == condition::conflict) {
                ++conflicts_;
                continue;
            }
            log_failure("could not release the lease", put.error());
            co_return false;
        }
        co_return false;
    }

private:
    boost::asio::awaitable<leadership_end> elect() {
        note(log::level::info, "trying to acquire the leader lease");
        for (;;) {
            if (stop_.is_set()) co_return finish(leadership_end::stopped);
            ++attempts_;
            bool const acquired = co_await try_acquire_or_renew();
            report_new_leader();
            if (acquired) break;
            auto const wait = acquire_wait();
            co_await pause(wait);
        }
        if (stop_.is_set()) { // stopped while the winning try was in flight: never announce it
            if (options_.release_on_stop && !abandoned_) co_await release();
            co_return finish(leadership_end::stopped);
        }
        last_renewed_ = observed_time_;
        set_leading(true);
        note(log::level::info, "became the leader");
        for (;;) {
            co_await pause(options_.retry_period);
            if (stop_.is_set()) break;
            auto const started = clock_.now();
            ++attempts_;
            bool const renewed = co_await try_acquire_or_renew();
            report_new_leader();
            if (renewed) {
                ++renewals_;
                last_renewed_ = started;
                continue;
            }
            if (!holds_lease() && !observed_.holder_identity.empty()) {
                note(log::level::warn, "stopped leading: another replica holds the lease",
                     log::field("holder", observed_.holder_identity));
                co_return finish(leadership_end::lost);
            }
            auto const since = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - last_renewed_);
            if (since >= options_.renew_deadline) {
                auto const ms = static_cast<std::int64_t>(options_.renew_deadline.count());
                note(log::level::warn, "stopped leading: the lease could not be renewed within the renew deadline",
                     log::field("renew_deadline_ms", ms));
                co_return finish(leadership_end::lost);
            }
        }
        if (options_.release_on_stop && !abandoned_) co_await release();
        co_return finish(leadership_end::stopped);
    }

    leadership_end finish(leadership_end end) {
        set_leading(false);
        return end;
    }

    // client-go's tryAcquireOrRenew. True when this elector holds the lease afterwards.
    boost::asio::awaitable<bool> try_acquire_or_renew() {
        auto const& leases = kube::resources::leases;
        auto const now = clock_.now();
        auto const now_utc = clock_.utc_now();
        lease_record wanted;
        wanted.holder_identity = options_.identity;
        wanted.lease_duration_seconds = lease_seconds();
        wanted.acquire_time = now_utc;
        wanted.renew_time = now_utc;

        // 1. The leader's fast path: write over the lease it wrote last.
        if (holds_lease() && lease_valid(now) && lease_) {
            wanted.acquire_time = observed_.acquire_time;
            wanted.lease_transitions = observed_.lease_transitions;
            boost::json::object body = *lease_;
            body["spec"] = detail::lease_spec(wanted);
            auto put = co_await client_.replace(leases, options_.lease_namespace, options_.lease_name, body);
            if (put) {
                lease_ = std::move(*put);
                see(wanted, now);
                co_return true;
            }
            if (put.error() == condition::conflict) ++conflicts_;
            auto const why = put.error().what();
            note(log::level::debug, "renewing with the last lease failed; reading it again", log::field("error", why));
        }

        // 2. Read it, or create it.
        auto got = co_await client_.get(leases, options_.lease_namespace, options_.lease_name);
        if (!got) {
            if (got.error() != condition::not_found) {
                log_failure("could not read the leader lease", got.error());
                co_return false;
            }
            boost::json::object body = lease_object(wanted);
            auto created = co_await client_.create(leases, options_.lease_namespace, body);
            if (!created) {
                if (created.error() == condition::conflict) ++conflicts_; // another candidate created it first
                log_failure("could not create the leader lease", created.error());
                co_return false;
            }
            lease_ = std::move(*created);
            see(wanted, now);
            co_return true;
        }

        // 3. Someone holds it: valid until our observation of it plus its duration.
        auto const current = detail::read_lease_record(*got);
        lease_ = std::move(*got);
        if (!seen_ || current != observed_) see(current, now);
        if (!current.holder_identity.empty() && lease_valid(now) && !holds_lease()) co_return false;

        // 4. Take it over (or renew it): count a transition when the holder changes.
        if (holds_lease()) {
            wanted.acquire_time = current.acquire_time;
            wanted.lease_transitions = current.lease_transitions;
        } else {
            wanted.lease_transitions = current.lease_transitions + 1;
        }
        boost::json::object body = *lease_;
        body["spec"] = detail::lease_spec(wanted);
        auto put = co_await client_.replace(leases, options_.lease_namespace, options_.lease_name, body);
        if (!put) {
            if (put.error() == condition::conflict) ++conflicts_;
            log_failure("could not write the leader lease", put.error());
            co_return false;
        }
        lease_ = std::move(*put);
        see(wanted, now);
        co_return true;
    }

    boost::json::object lease_object(lease_record const& r) const {
        boost::json::object metadata{{"name", options_.lease_name}};
        if (!options_.lease_namespace.empty()) metadata["namespace"] = options_.lease_namespace;
        return {{"apiVersion", kube::resources::leases.api_version()},
                {"kind", kube::resources::leases.kind},
                {"metadata", std::move(metadata)},
                {"spec", detail::lease_spec(r)}};
    }

    // A wait that `stop()` cuts short.
    boost::asio::awaitable<void> pause(std::chrono::milliseconds d) {
        using namespace boost::asio::experimental::awaitable_operators;
        if (stop_.is_set()) co_return;
        auto sleep = clock_.sleep_for(d);
        auto stopped = stop_.wait();
        co_await (std::move(sleep) || std::move(stopped));
    }

    std::chrono::milliseconds acquire_wait() {
        if (options_.jitter <= 0) return options_.retry_period;
        std::uniform_real_distribution<double> u(0.0, options_.jitter);
        auto const extra = static_cast<double>(options_.retry_period.count()) * u(random_);
        return options_.retry_period + std::chrono::milliseconds(static_cast<std::int64_t>(extra));
    }

    void see(lease_record r, time_point at) {
        observed_ = std::move(r);
        observed_time_ = at;
        seen_ = true;
    }

    bool holds_lease() const noexcept { return seen_ && observed_.holder_identity == options_.identity; }

    bool lease_valid(time_point now) const noexcept {
        return observed_time_ + std::chrono::seconds(observed_.lease_duration_seconds) > now;
    }

    std::int64_t lease_seconds() const noexcept {
        return std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count();
    }

    void set_leading(bool now_leading) {
        if (leading_ == now_leading) return;
        leading_ = now_leading;
        if (leading_ && started_) started_();
        if (!leading_ && stopped_) stopped_();
    }

    void report_new_leader() {
        if (reported_ && observed_.holder_identity == reported_leader_) return;
        reported_ = true;
        reported_leader_ = observed_.holder_identity;
        note(log::level::info, "observed a new leader", log::field("holder", reported_leader_));
        if (new_leader_) new_leader_(reported_leader_);
    }

    void log_failure(std::string_view what, failure const& f) const {
        note(log::level::warn, what, log::field("error", f.what()));
    }

    // Every line names the component, the lease and this replica.
    void note(log::level l, std::string_view msg) const {
        options_.logger.write(l, msg, {{"component", "esx.controller.leader"}, {"lease", options_.lease_name},
                                       {"identity", options_.identity}});
    }
    void note(log::level l, std::string_view msg, log::field const& extra) const {
        options_.logger.write(l, msg, {{"component", "esx.controller.leader"}, {"lease", options_.lease_name},
                                       {"identity", options_.identity}, extra});
    }

    Client& client_;
    leader_election_options options_;
    Clock clock_;
    completion_flag stop_;
    completion_flag finished_;
    std::minstd_rand random_;
    std::optional<boost::json::object> lease_; ///< the lease as last read or written (its resourceVersion)
    lease_record observed_;
    time_point observed_time_{};
    time_point last_renewed_{};
    bool seen_ = false;
    bool leading_ = false;
    bool abandoned_ = false;
    bool released_ = false;
    bool reported_ = false;
    std::string reported_leader_;
    std::function<void()> started_;
    std::function<void()> stopped_;
    std::function<void(std::string_view)> new_leader_;
    std::uint64_t attempts_ = 0;
    std::uint64_t conflicts_ = 0;
    std::uint64_t renewals_ = 0;
};

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/leader_election.ipp>
#endif

#endif
