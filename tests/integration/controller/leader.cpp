// Lease leader election and the shutdown sequence against the in-process mock Kubernetes API
// over loopback TLS. Time is an `esx::testing::stepped_clock`: every elector's wait lasts until
// the test moves the clock, and after each move the test runs the io_context until every loop is
// asleep again (a condition, polled a bounded number of times; nothing sleeps to synchronise).
#include <esx/controller/leader_election.hpp>
#include <esx/controller/shutdown.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/controller/worker_pool.hpp>
#include <esx/kube.hpp>
#include <esx/testing/stepped_clock.hpp>

#include "mocks/kube/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
namespace net = boost::asio;
namespace k8s = esx::kube;
namespace ctl = esx::controller;
namespace mock = esx::mocks::kube;
using namespace std::chrono_literals;

using test_clock = esx::testing::stepped_clock;
using elector = ctl::basic_leader_elector<k8s::client<>, test_clock>;
using run_result = esx::result<ctl::leadership_end, esx::failure>;

std::string const seed = R"({
  "users": [{"name": "admin", "token": "esx-admin-token"}],
  "namespaces": ["default", "esx-system"]
})";

std::string const lease_path = "/apis/coordination.k8s.io/v1/namespaces/esx-system/leases";

struct captured_log {
    std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    esx::log::logger logger() const {
        return esx::log::logger(esx::log::level::debug, [l = lines, m = mutex](std::string_view line) {
            std::lock_guard lock(*m);
            l->emplace_back(line);
        });
    }
    std::size_t count(std::string_view s) const {
        std::lock_guard lock(*mutex);
        std::size_t n = 0;
        for (auto const& l : *lines)
            if (l.find(s) != std::string::npos) ++n;
        return n;
    }
};

// One replica: its own kube client (as client-go gives the lock its own), its elector, and
// what its callbacks and its run reported.
struct candidate {
    std::unique_ptr<k8s::client<>> client;
    std::unique_ptr<elector> e;
    std::shared_ptr<std::optional<run_result>> ended = std::make_shared<std::optional<run_result>>();
    int started_leading = 0;
    int stopped_leading = 0;
    std::vector<std::string> leaders_seen;

    bool leading() const { return e->leading(); }
    bool running() const { return !ended->has_value(); }
    /// How the run ended: "stopped", "lost", or "running" / "failed".
    std::string end() const {
        if (!ended->has_value()) return "running";
        if (!**ended) return "failed";
        return std::string(ctl::to_string(***ended));
    }
};

struct cluster {
    mock::server server;
    net::io_context io;
    captured_log log;
    k8s::config config;
    test_clock clock;
    std::unique_ptr<k8s::client<>> admin;

    cluster() : server(options()) {
        auto c = k8s::config::from_kubeconfig({.paths = server.kubeconfig_file().string(), .context = {}, .env = {}});
        BOOST_REQUIRE_MESSAGE(c, (static_cast<bool>(c) ? "" : c.error().what()));
        config = std::move(*c);
        admin = std::make_unique<k8s::client<>>(io.get_executor(), config);
    }
    ~cluster() {
        BOOST_TEST(log.count("esx-admin-token") == 0u);
        server.stop();
    }

    static mock::options options() {
        mock::options o;
        o.seed_json = seed;
        return o;
    }

    static ctl::leader_election_options election(std::string id) {
        ctl::leader_election_options o;
        o.lease_namespace = "esx-system";
        o.identity = std::move(id);
        o.jitter = 0; // tries land on whole retry periods, so the timeline below is exact
        return o;
    }

    std::unique_ptr<candidate> make(ctl::leader_election_options o) {
        auto c = std::make_unique<candidate>();
        o.logger = log.logger();
        esx::transport::options base;
        base.logger = log.logger();
        c->client = std::make_unique<k8s::client<>>(io.get_executor(), config,
                                                    ctl::leader_election_transport_options(base, o));
        c->e = std::make_unique<elector>(io.get_executor(), *c->client, std::move(o), clock);
        auto* raw = c.get();
        c->e->on_started_leading([raw] { ++raw->started_leading; });
        c->e->on_stopped_leading([raw] { ++raw->stopped_leading; });
        c->e->on_new_leader([raw](std::string_view id) { raw->leaders_seen.emplace_back(id); });
        return c;
    }

    void start(candidate& c) {
        c.ended->reset();
        net::co_spawn(
            io, [e = c.e.get(), out = c.ended]() -> net::awaitable<void> { out->emplace(co_await e->run()); },
            [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
    }

    template <class Pred>
    bool run_until(Pred pred, int rounds = 3000) {
        for (int i = 0; i < rounds; ++i) {
            if (pred()) return true;
            if (io.stopped()) io.restart();
            io.run_one_for(20ms);
        }
        return pred();
    }

    // Moves time on and runs until `sleepers` loops wait on the clock again.
    void step(std::chrono::milliseconds d, std::size_t sleepers) {
        clock.advance(d);
        BOOST_REQUIRE(run_until([&] { return clock.sleepers() == sleepers; }));
    }

    template <class T>
    std::optional<T> await(net::awaitable<T> a) {
        auto out = std::make_shared<std::optional<T>>();
        net::co_spawn(io, std::move(a), [out](std::exception_ptr e, T v) {
            if (e) std::rethrow_exception(e);
            out->emplace(std::move(v));
        });
        run_until([&] { return out->has_value(); });
        return *out;
    }

    json::object lease() {
        auto got = await(admin->get(k8s::resources::leases, "esx-system", "esx-controller"));
        BOOST_REQUIRE(got);
        BOOST_REQUIRE_MESSAGE(*got, (*got ? "" : got->error().what()));
        return std::move(**got);
    }
    ctl::lease_record record() { return ctl::detail::read_lease_record(lease()); }

    std::vector<mock::request_record> lease_requests(std::string_view method, unsigned status = 0) const {
        std::vector<mock::request_record> out;
        for (auto& r : server.requests())
            if (r.path.starts_with(lease_path) && r.method == method && (status == 0 || r.status == status))
                out.push_back(r);
        return out;
    }

    std::string utc(std::chrono::milliseconds since_start) const {
        return ctl::detail::format_micro_time(std::chrono::system_clock::from_time_t(1767225600) + since_start);
    }

    void finish(candidate& c) {
        c.e->abandon();
        BOOST_REQUIRE(run_until([&] { return !c.running(); }));
    }
};

std::string text(json::object const& lease, std::string_view field) {
    auto const* v = lease.at("spec").as_object().if_contains(field);
    return v && v->is_string() ? std::string(v->as_string()) : std::string("<none>");
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(controller)

BOOST_AUTO_TEST_SUITE(leader)

BOOST_AUTO_TEST_CASE(one_elector_creates_and_holds_an_absent_lease) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));
    BOOST_TEST(a->started_leading == 1);

    auto const lease = m.lease();
    auto const& spec = lease.at("spec").as_object();
    BOOST_TEST(spec.at("holderIdentity").as_string() == "replica-a");
    BOOST_TEST(spec.at("leaseDurationSeconds").as_int64() == 15);
    BOOST_TEST(spec.at("leaseTransitions").as_int64() == 0);
    // MicroTime, six fractional digits, the clock's wall time.
    BOOST_TEST(text(lease, "acquireTime") == "2026-01-01T00:00:00.000000Z");
    BOOST_TEST(text(lease, "renewTime") == "2026-01-01T00:00:00.000000Z");
    // client-go's path: GET (404), then POST.
    BOOST_TEST(m.lease_requests("GET", 404).size() == 1u);
    BOOST_TEST(m.lease_requests("POST", 201).size() == 1u);
    BOOST_TEST(a->leaders_seen == std::vector<std::string>{"replica-a"});

    m.finish(*a);
    BOOST_TEST(a->stopped_leading == 1);
    BOOST_TEST(a->end() == "stopped");
}

BOOST_AUTO_TEST_CASE(of_two_electors_started_together_exactly_one_leads) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    auto b = m.make(cluster::election("replica-b"));
    m.start(*a);
    m.start(*b);
    BOOST_REQUIRE(m.run_until([&] { return m.clock.sleepers() == 2; }));
    BOOST_TEST(a->leading() + b->leading() == 1);
    auto* const leader = a->leading() ? a.get() : b.get();
    auto* const other = a->leading() ? b.get() : a.get();
    // Whether or not both reached POST, the server made exactly one lease.
    BOOST_TEST(m.lease_requests("POST", 201).size() == 1u);
    BOOST_TEST(m.lease_requests("POST", 409).size() == other->e->conflicts());
    BOOST_TEST_MESSAGE("POSTs: " << m.lease_requests("POST").size() << ", 409s: " << m.lease_requests("POST", 409).size());

    for (int i = 0; i < 10; ++i) {
        m.step(2s, 2);
        BOOST_TEST(leader->leading());
        BOOST_TEST(!other->leading());
    }
    BOOST_TEST(m.record().holder_identity == leader->e->identity());
    BOOST_TEST(m.record().lease_transitions == 0);
    BOOST_TEST(other->e->observed_leader() == leader->e->identity());
    BOOST_TEST(other->started_leading == 0);
    m.finish(*a);
    m.finish(*b);
}

BOOST_AUTO_TEST_CASE(the_leader_renews_every_retry_period) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));
    auto b = m.make(cluster::election("replica-b"));
    m.step(1s, 1);
    m.start(*b); // one second behind: its tries fall between the leader's renewals
    BOOST_REQUIRE(m.run_until([&] { return m.clock.sleepers() == 2; }));

    auto const puts_before = m.lease_requests("PUT", 200).size();
    for (int second = 2; second <= 13; ++second) {
        m.step(1s, 2);
        BOOST_TEST(a->leading());
        BOOST_TEST(!b->leading());
        if (second % 2 == 0) {
            auto const lease = m.lease();
            BOOST_TEST(text(lease, "renewTime") == m.utc(std::chrono::seconds(second)));
            BOOST_TEST(text(lease, "acquireTime") == m.utc(0s)); // a renewal keeps the acquire time
        }
    }
    BOOST_TEST(a->e->renewals() == 6u);
    BOOST_TEST(m.lease_requests("PUT", 200).size() - puts_before == 6u); // one PUT per renewal (the fast path)
    BOOST_TEST(b->e->observed_leader() == "replica-a");
    BOOST_TEST(m.record().lease_transitions == 0);
    m.finish(*a);
    m.finish(*b);
}

BOOST_AUTO_TEST_CASE(when_the_leader_dies_another_takes_over_after_the_lease_duration_not_before) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    auto b = m.make(cluster::election("replica-b"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));
    m.step(1s, 1);
    m.start(*b);
    BOOST_REQUIRE(m.run_until([&] { return m.clock.sleepers() == 2; }));
    // t = 1 s. A renews at 2, 4, ..., 10; B reads at 3, 5, ..., 11.
    for (int second = 2; second <= 10; ++second) m.step(1s, 2);
    BOOST_REQUIRE(text(m.lease(), "renewTime") == m.utc(10s));

    // A dies: its loop ends without releasing (no more writes from it).
    auto const puts_of_a = m.lease_requests("PUT").size();
    m.finish(*a);
    BOOST_TEST(m.record().holder_identity == "replica-a");

    // B saw A's last record at 11 s, so by its own clock the lease is good until 26 s.
    int took_over_at = 0;
    for (int second = 11; second <= 30 && !took_over_at; ++second) {
        m.step(1s, 1);
        if (b->leading()) took_over_at = second;
    }
    BOOST_TEST(took_over_at == 27);
    BOOST_TEST(took_over_at - 10 > 15); // later than the holder's renewTime + leaseDurationSeconds
    BOOST_TEST(b->started_leading == 1);
    BOOST_TEST(m.lease_requests("PUT").size() - puts_of_a == 1u); // B's takeover only
    auto const record = m.record();
    BOOST_TEST(record.holder_identity == "replica-b");
    BOOST_TEST(record.lease_transitions == 1);
    BOOST_TEST(text(m.lease(), "acquireTime") == m.utc(27s));
    m.finish(*b);
}

BOOST_AUTO_TEST_CASE(released_on_shutdown_the_lease_is_taken_over_at_the_next_try) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    auto b = m.make(cluster::election("replica-b"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));
    m.step(1s, 1);
    m.start(*b);
    BOOST_REQUIRE(m.run_until([&] { return m.clock.sleepers() == 2; }));
    for (int second = 2; second <= 4; ++second) m.step(1s, 2);

    auto released = m.await(a->e->resign());
    BOOST_REQUIRE(released);
    BOOST_TEST(*released);
    BOOST_TEST(!a->leading());
    BOOST_TEST(a->end() == "stopped");
    auto const lease = m.lease();
    BOOST_TEST(lease.at("spec").at("holderIdentity").as_string() == "");
    BOOST_TEST(lease.at("spec").at("leaseDurationSeconds").as_int64() == 1);
    BOOST_TEST(lease.at("spec").at("leaseTransitions").as_int64() == 0);

    m.step(1s, 1); // t = 5 s: B's next try
    BOOST_TEST(b->leading());
    BOOST_TEST(m.record().holder_identity == "replica-b");
    BOOST_TEST(m.record().lease_transitions == 1);
    BOOST_TEST(m.log.count("released the leader lease") == 1u);
    m.finish(*b);
}

BOOST_AUTO_TEST_CASE(a_conflicting_write_is_read_again_and_renewed) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));

    // Someone else writes the lease (a label), so A's next PUT carries a stale resourceVersion.
    auto lease = m.lease();
    lease["metadata"].as_object()["labels"] = json::object{{"touched-by", "an-admin"}};
    auto touched = m.await(m.admin->replace(k8s::resources::leases, "esx-system", "esx-controller", lease));
    BOOST_REQUIRE(touched);
    BOOST_REQUIRE(*touched);

    m.step(2s, 1);
    BOOST_TEST(a->leading());
    BOOST_TEST(a->e->conflicts() == 1u);
    BOOST_TEST(m.lease_requests("PUT", 409).size() == 1u); // the real 409 from the server
    auto const after = m.lease();
    BOOST_TEST(text(after, "renewTime") == m.utc(2s)); // renewed on the fresh version
    BOOST_TEST(after.at("metadata").at("labels").at("touched-by").as_string() == "an-admin");
    m.finish(*a);
}

BOOST_AUTO_TEST_CASE(a_leader_that_finds_another_holder_stops_at_once) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));

    auto lease = m.lease();
    lease["spec"].as_object()["holderIdentity"] = "intruder";
    lease["spec"].as_object()["renewTime"] = m.utc(1s);
    auto taken = m.await(m.admin->replace(k8s::resources::leases, "esx-system", "esx-controller", lease));
    BOOST_REQUIRE(taken);
    BOOST_REQUIRE(*taken);

    m.step(2s, 0);
    BOOST_REQUIRE(m.run_until([&] { return !a->running(); }));
    BOOST_TEST(!a->leading());
    BOOST_TEST(a->stopped_leading == 1);
    BOOST_TEST(a->end() == "lost");
    BOOST_TEST(m.lease_requests("PUT", 409).size() == 1u);
    BOOST_TEST(m.record().holder_identity == "intruder"); // not overwritten
    BOOST_TEST(m.log.count("another replica holds the lease") == 1u);
}

BOOST_AUTO_TEST_CASE(a_leader_that_cannot_reach_the_api_stops_leading_at_the_renew_deadline) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));
    m.server.add_fault(R"({"status": 503, "count": 1000, "path_prefix": ")" + lease_path + R"("})");

    for (int second = 2; second <= 8; second += 2) {
        m.step(2s, 1);
        BOOST_TEST(a->leading()); // failing, but within the renew deadline (10 s)
    }
    m.step(2s, 0); // t = 10 s: the renew deadline has passed without a renewal
    BOOST_REQUIRE(m.run_until([&] { return !a->running(); }));
    BOOST_TEST(!a->leading());
    BOOST_TEST(a->stopped_leading == 1);
    BOOST_TEST(a->end() == "lost");
    BOOST_TEST(m.log.count("within the renew deadline") == 1u);
    BOOST_TEST(m.log.count("\"renew_deadline_ms\":10000") == 1u);
    BOOST_TEST(m.lease_requests("PUT", 503).size() == 5u);
    m.server.clear_faults();
    BOOST_TEST(m.record().holder_identity == "replica-a"); // nobody wrote: others wait for expiry
}

BOOST_AUTO_TEST_CASE(lease_transitions_count_each_change_of_holder) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    auto b = m.make(cluster::election("replica-b"));
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return a->leading() && m.clock.sleepers() == 1; }));
    BOOST_TEST(m.record().lease_transitions == 0);
    m.step(1s, 1);
    m.start(*b);
    BOOST_REQUIRE(m.run_until([&] { return m.clock.sleepers() == 2; }));

    auto released = m.await(a->e->resign()); // A hands over: B takes it (1)
    BOOST_REQUIRE(released);
    m.step(2s, 1);
    BOOST_REQUIRE(b->leading());
    BOOST_TEST(m.record().lease_transitions == 1);

    m.start(*a); // A stands again, one second out of step with B
    m.step(1s, 2);
    BOOST_TEST(!a->leading());
    m.finish(*b); // B dies holding the lease: A takes it after the lease duration (2)
    BOOST_REQUIRE(m.run_until([&] { return m.clock.sleepers() == 1; }));
    for (int i = 0; i < 12 && !a->leading(); ++i) m.step(2s, 1);
    BOOST_TEST(a->leading());
    BOOST_TEST(a->started_leading == 2);
    BOOST_TEST(m.record().holder_identity == "replica-a");
    BOOST_TEST(m.record().lease_transitions == 2);
    m.finish(*a);
}

BOOST_AUTO_TEST_CASE(a_stop_before_the_run_ends_it_at_once) {
    cluster m;
    auto a = m.make(cluster::election("replica-a"));
    a->e->stop(); // e.g. SIGTERM while the caches were still filling
    m.start(*a);
    BOOST_REQUIRE(m.run_until([&] { return !a->running(); }));
    BOOST_TEST(a->end() == "stopped");
    BOOST_TEST(a->started_leading == 0);
    BOOST_TEST(m.lease_requests("GET").empty());
    m.start(*a); // the next run is a new candidacy
    BOOST_REQUIRE(m.run_until([&] { return a->leading(); }));
    m.finish(*a);
}

BOOST_AUTO_TEST_CASE(options_are_checked_as_client_go_checks_them) {
    auto o = cluster::election("x");
    BOOST_TEST(static_cast<bool>(ctl::validate(o)));
    o.renew_deadline = 15s;
    auto v = ctl::validate(o);
    BOOST_REQUIRE(!v);
    BOOST_TEST(v.error().what() == "leader election: lease_duration (15000 ms) must be greater than renew_deadline (15000 ms)");
    o = cluster::election("x");
    o.retry_period = 9s;
    BOOST_TEST(ctl::validate(o).error().what().find("1.2 x retry_period") != std::string::npos);
    o = cluster::election("x");
    o.lease_duration = 15500ms;
    BOOST_TEST(ctl::validate(o).error().what().find("whole seconds") != std::string::npos);

    auto const start = std::chrono::system_clock::from_time_t(1767225600);
    BOOST_TEST(ctl::detail::format_micro_time(start + 86399s + 123456us) == "2026-01-01T23:59:59.123456Z");
    BOOST_TEST(ctl::detail::format_micro_time(start - 1us) == "2025-12-31T23:59:59.999999Z");
    json::object partial{{"spec", {{"holderIdentity", "x"}, {"renewTime", "2026-01-01T00:00:01.500000Z"}}}};
    auto const r = ctl::detail::read_lease_record(partial);
    BOOST_TEST(r.holder_identity == "x");
    BOOST_TEST(r.lease_duration_seconds == 0);
    BOOST_TEST(!r.acquire_time);
    BOOST_TEST(bool(r.renew_time == start + 1500ms));
    BOOST_TEST(ctl::detail::read_lease_record(json::object{}).holder_identity.empty());

    auto const id = ctl::default_leader_identity();
    BOOST_TEST(id.find('_') != std::string::npos);
    BOOST_TEST(id != ctl::default_leader_identity()); // unique per process even on one host
    auto const t = ctl::leader_election_transport_options({}, cluster::election("x"));
    BOOST_TEST(t.timeouts.total.count() == 5000); // max(1 s, renew deadline / 2)
    BOOST_TEST(t.timeouts.connect.count() == 5000);
}

BOOST_AUTO_TEST_SUITE_END() // leader

BOOST_AUTO_TEST_SUITE(shutdown)

namespace {

// Syncs that wait until the test opens the gate, recording the order of things.
struct gate {
    explicit gate(net::any_io_executor ex) : open(ex) {}
    ctl::completion_flag open;
    int started = 0;
    int finished = 0;
    std::vector<std::string>* journal = nullptr;
};

using pool_type = ctl::basic_worker_pool<test_clock>;
using queue_type = ctl::basic_work_queue<test_clock>;

auto blocking_reconciler(gate& g) {
    return [g = &g](queue_type::work_item item) -> net::awaitable<ctl::sync_outcome> {
        ++g->started;
        co_await g->open.wait();
        ++g->finished;
        g->journal->push_back("finished " + item.key.str());
        co_return ctl::sync_outcome::synced(std::nullopt);
    };
}

// A controller's moving parts around a shutdown: a queue with three keys in flight, the pool,
// the elector leading, and the shutdown sequence wired as the controller wires it.
struct running_controller {
    cluster& m;
    std::vector<std::string> journal;
    gate syncs;
    queue_type queue;
    pool_type pool;
    ctl::completion_flag pool_done;
    std::unique_ptr<candidate> leader;
    ctl::basic_shutdown<test_clock> sequence;
    std::optional<ctl::shutdown_report> report;
    int forced = 0;

    explicit running_controller(cluster& c, std::chrono::milliseconds grace = 20s)
        : m(c), syncs(c.io.get_executor()), queue(ctl::work_queue_options{}, c.clock), pool(c.io.get_executor(), queue),
          pool_done(c.io.get_executor()),
          sequence(c.io.get_executor(), ctl::shutdown_options{grace, c.log.logger()}, c.clock) {
        syncs.journal = &journal;
        leader = m.make(cluster::election("replica-a"));
        m.start(*leader);
        BOOST_REQUIRE(m.run_until([&] { return leader->leading() && m.clock.sleepers() == 1; }));

        for (auto name : {"es-1", "es-2", "es-3"}) queue.add(ctl::object_key("team-a", name), ctl::reason::changed);
        net::co_spawn(
            m.io,
            [this]() -> net::awaitable<void> {
                co_await pool.run(blocking_reconciler(syncs));
                journal.push_back("pool returned");
                pool_done.set();
            },
            [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
        BOOST_REQUIRE(m.run_until([&] { return syncs.started == 3; }));

        sequence.on_stop([this] {
            journal.push_back("stop");
            pool.stop();
        });
        sequence.on_drain([this] { return pool_done.wait(); });
        sequence.on_release([this]() -> net::awaitable<bool> {
            journal.push_back("release");
            auto const released = co_await leader->e->resign();
            journal.push_back(m.record().holder_identity.empty() ? "released" : "still held");
            co_return released;
        });
        sequence.on_force([this] { ++forced; });
        net::co_spawn(
            m.io, [this]() -> net::awaitable<void> { report = co_await sequence.run(); },
            [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(stops_the_pool_waits_for_syncs_in_flight_then_releases_the_lease) {
    cluster m;
    running_controller c(m);
    BOOST_TEST(c.sequence.phase() == ctl::shutdown_phase::running);

    c.sequence.request("test");
    // Waiting: the grace period (one wait on the clock) and the elector's next renewal.
    BOOST_REQUIRE(m.run_until([&] { return c.sequence.phase() == ctl::shutdown_phase::draining && m.clock.sleepers() == 2; }));
    BOOST_TEST(c.journal == std::vector<std::string>{"stop"});
    // No new sync starts once stopped.
    c.queue.add(ctl::object_key("team-a", "es-late"), ctl::reason::changed);
    c.pool.notify();
    m.step(2s, 2); // the leader still renews while syncs drain
    BOOST_TEST(c.syncs.started == 3);
    BOOST_TEST(c.leader->leading());
    BOOST_TEST(text(m.lease(), "renewTime") == m.utc(2s));

    c.syncs.open.set(); // the syncs in flight finish
    BOOST_REQUIRE(m.run_until([&] { return c.report.has_value(); }));
    BOOST_TEST(c.report->reason == "test");
    BOOST_TEST(c.report->drained);
    BOOST_TEST(c.report->released);
    BOOST_TEST(c.report->drain_time == 2000ms);
    BOOST_TEST(c.syncs.finished == 3);
    std::vector<std::string> const order{"stop",          "finished team-a/es-1", "finished team-a/es-2",
                                         "finished team-a/es-3", "pool returned",  "release", "released"};
    BOOST_TEST(c.journal == order, boost::test_tools::per_element());
    BOOST_TEST(!c.leader->leading());
    BOOST_TEST(c.leader->end() == "stopped");
    BOOST_TEST(c.sequence.phase() == ctl::shutdown_phase::done);
    BOOST_TEST(c.forced == 0);
}

BOOST_AUTO_TEST_CASE(when_the_grace_period_runs_out_the_lease_is_released_anyway) {
    cluster m;
    running_controller c(m, 5s);
    c.sequence.request("test");
    BOOST_REQUIRE(m.run_until([&] { return c.sequence.phase() == ctl::shutdown_phase::draining && m.clock.sleepers() == 2; }));
    m.step(2s, 2);
    m.step(2s, 2);
    BOOST_TEST(c.sequence.phase() == ctl::shutdown_phase::draining); // 4 s of 5
    BOOST_TEST(!c.report);
    m.clock.advance(1s); // 5 s: the grace period is over, the syncs still run
    BOOST_REQUIRE(m.run_until([&] { return c.report.has_value(); }));
    BOOST_TEST(!c.report->drained);
    BOOST_TEST(c.report->released);
    BOOST_TEST(c.report->drain_time == 5000ms);
    BOOST_TEST(c.syncs.finished == 0);
    BOOST_TEST(m.record().holder_identity == "");
    BOOST_TEST(m.log.count("the grace period ran out") == 1u);

    c.syncs.open.set(); // let the abandoned syncs end before the test tears down
    BOOST_REQUIRE(m.run_until([&] { return c.pool_done.is_set(); }));
}

BOOST_AUTO_TEST_CASE(a_second_request_forces_the_stop) {
    cluster m;
    running_controller c(m);
    c.sequence.request("first");
    BOOST_REQUIRE(m.run_until([&] { return c.sequence.phase() == ctl::shutdown_phase::draining; }));
    c.sequence.request("second");
    BOOST_TEST(c.forced == 1);
    BOOST_TEST(c.sequence.requests() == 2u);
    BOOST_TEST(m.log.count("a second stop request") == 1u);
    c.syncs.open.set();
    BOOST_REQUIRE(m.run_until([&] { return c.report.has_value(); }));
    BOOST_TEST(c.report->reason == "first");
}

BOOST_AUTO_TEST_CASE(sigterm_starts_the_sequence_and_a_second_signal_forces) {
    cluster m;
    running_controller c(m);
    c.sequence.listen_for_signals();
    BOOST_REQUIRE(::raise(SIGTERM) == 0); // in-process: handled by the signal set, not fatal
    BOOST_REQUIRE(m.run_until([&] { return c.sequence.phase() == ctl::shutdown_phase::draining; }));
    BOOST_TEST(c.forced == 0);
    BOOST_REQUIRE(::raise(SIGINT) == 0);
    BOOST_REQUIRE(m.run_until([&] { return c.forced == 1; }));
    c.sequence.cancel_signals();
    c.syncs.open.set();
    BOOST_REQUIRE(m.run_until([&] { return c.report.has_value(); }));
    BOOST_TEST(c.report->reason == "SIGTERM");
    BOOST_TEST(c.report->drained);
    BOOST_TEST(c.report->released);
}

BOOST_AUTO_TEST_SUITE_END() // shutdown

BOOST_AUTO_TEST_SUITE_END() // controller
BOOST_AUTO_TEST_SUITE_END() // esx
