// Unit tests of the controller's building blocks: refresh rules, scheduler, work queue,
// backoff, jitter, store index and call limits. Time is a fake clock throughout: nothing sleeps.
#include <esx/controller.hpp>
#include <esx/testing/fake_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

namespace ctl = esx::controller;
using esx::testing::fake_clock;
using queue = ctl::basic_work_queue<fake_clock>;
using time_point = std::chrono::steady_clock::time_point;

ctl::object_key key(std::string const& name, std::string const& ns = "default") { return {ns, name}; }

ctl::work_queue_options options(std::size_t concurrency = 16, std::size_t capacity = 1000) {
    ctl::work_queue_options o;
    o.concurrency = concurrency;
    o.capacity = capacity;
    return o;
}

/// How long from now until the key is due (it must be scheduled).
std::chrono::nanoseconds due_in(queue const& q, fake_clock const& clock, ctl::object_key const& k) {
    auto const e = q.find(k);
    BOOST_TEST_REQUIRE(e.has_value());
    return e->due - clock.now();
}

// --- refresh rules -------------------------------------------------------------------------

struct es_fixture {
    esx::spec::external_secret es;
    std::chrono::system_clock::time_point t0 = std::chrono::system_clock::from_time_t(1767225600);

    es_fixture() {
        es.metadata.name = "db";
        es.metadata.namespace_ = "team-a";
        es.metadata.generation = 1;
        es.metadata.annotations["owner"] = "team-a";
    }
    std::string version() const { return ctl::resource_version(es.metadata); }
    /// The status after a successful sync at `at` of the object as it is now.
    ctl::sync_status synced_at(std::chrono::system_clock::time_point at) const { return {version(), at}; }
    bool should_refresh(ctl::sync_status const& s, std::chrono::system_clock::time_point now) const {
        return ctl::should_refresh(es.spec, s, version(), now);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(controller)

BOOST_FIXTURE_TEST_SUITE(refresh, es_fixture)

BOOST_AUTO_TEST_CASE(resource_version_is_generation_and_metadata_hash) {
    auto const v = version();
    BOOST_TEST(v.starts_with("1-"));
    BOOST_TEST(v.size() == 2 + 56);  // sha3-224 in hex
    es.metadata.labels["tier"] = "db";
    BOOST_TEST(version() != v);
    es.metadata.labels.clear();
    BOOST_TEST(version() == v);
    es.metadata.generation = 2;
    BOOST_TEST(version().starts_with("2-"));
    es.metadata.resource_version = "991";  // the API server's counter is not part of it
    es.metadata.generation = 1;
    BOOST_TEST(version() == v);
}

BOOST_AUTO_TEST_CASE(periodic_refreshes_when_never_synced_changed_or_the_interval_passed) {
    es.spec.refresh_interval = 1h;  // refreshPolicy unset acts as Periodic
    BOOST_TEST(should_refresh({}, t0));                          // never synced
    BOOST_TEST(should_refresh({version(), std::nullopt}, t0));   // no refreshTime
    auto const s = synced_at(t0);
    BOOST_TEST(!should_refresh(s, t0 + 30min));
    BOOST_TEST(!should_refresh(s, t0 + 1h));                     // ESO: refreshTime + interval must be before now
    BOOST_TEST(should_refresh(s, t0 + 1h + 1ns));
    BOOST_TEST(should_refresh(s, t0 - 1s));                      // refreshTime in the future
    es.spec.refresh_policy = esx::spec::refresh_policy::periodic;
    BOOST_TEST(!should_refresh(s, t0 + 30min));
    es.metadata.generation = 2;                                  // spec change
    BOOST_TEST(should_refresh(s, t0 + 1min));
}

BOOST_AUTO_TEST_CASE(force_sync_annotation_triggers_a_periodic_sync) {
    es.spec.refresh_interval = 1h;
    auto const s = synced_at(t0);
    auto const before = es.metadata.annotations;
    BOOST_TEST(!should_refresh(s, t0 + 1min));
    es.metadata.annotations[std::string(ctl::force_sync_annotation)] = "1767225660";
    BOOST_TEST(ctl::force_sync_changed(before, es.metadata.annotations));
    BOOST_TEST(should_refresh(s, t0 + 1min));
    auto const s2 = synced_at(t0 + 1min);
    BOOST_TEST(!should_refresh(s2, t0 + 2min));
    auto const once = es.metadata.annotations;
    es.metadata.annotations[std::string(ctl::force_sync_annotation)] = "1767225720";  // a new value: again
    BOOST_TEST(ctl::force_sync_changed(once, es.metadata.annotations));
    BOOST_TEST(should_refresh(s2, t0 + 2min));
    BOOST_TEST(!ctl::force_sync_changed(once, once));
    auto eso = once;
    eso[std::string(ctl::force_sync_annotation_eso)] = "1";  // ClusterExternalSecret's mirrored key
    BOOST_TEST(ctl::force_sync_changed(once, eso));
}

BOOST_AUTO_TEST_CASE(refresh_interval_zero_syncs_once_then_nothing_triggers) {
    es.spec.refresh_interval = 0s;
    BOOST_TEST(should_refresh({}, t0));                           // the first sync happens
    auto const s = synced_at(t0);
    BOOST_TEST(!should_refresh(s, t0 + 24h * 365));               // no periodic refresh
    es.metadata.generation = 7;                                   // nor a spec change (ESO #4167)
    BOOST_TEST(!should_refresh(s, t0 + 1min));
    es.metadata.annotations[std::string(ctl::force_sync_annotation)] = "now";  // nor force-sync
    BOOST_TEST(!should_refresh(s, t0 + 1min));
    BOOST_TEST(!should_refresh(s, t0 - 1h));                      // nor a refreshTime in the future
    BOOST_TEST(!ctl::refresh_after(es.spec, s, t0).has_value());  // and no requeue
    es.spec.refresh_interval = -1s;                               // <= 0 counts as 0
    BOOST_TEST(!should_refresh(s, t0 + 1min));
    BOOST_TEST(!ctl::refresh_after(es.spec, s, t0).has_value());
}

BOOST_AUTO_TEST_CASE(on_change_syncs_on_changes_only_whatever_the_interval) {
    es.spec.refresh_policy = esx::spec::refresh_policy::on_change;
    es.spec.refresh_interval = 1min;
    BOOST_TEST(should_refresh({}, t0));
    auto const s = synced_at(t0);
    BOOST_TEST(!should_refresh(s, t0 + 24h));                     // the interval is not used
    BOOST_TEST(!ctl::refresh_after(es.spec, s, t0).has_value());
    es.metadata.annotations[std::string(ctl::force_sync_annotation)] = "1";
    BOOST_TEST(should_refresh(s, t0 + 1s));                       // force-sync works
    es.spec.refresh_interval = 0s;                                // even with interval 0
    BOOST_TEST(should_refresh(s, t0 + 1s));
    es.metadata.annotations.erase(std::string(ctl::force_sync_annotation));
    BOOST_TEST(!should_refresh(s, t0 + 1s));
    BOOST_TEST(should_refresh({version(), std::nullopt}, t0));    // refreshTime lost: sync
}

BOOST_AUTO_TEST_CASE(created_once_syncs_only_the_first_time) {
    es.spec.refresh_policy = esx::spec::refresh_policy::created_once;
    BOOST_TEST(should_refresh({}, t0));
    BOOST_TEST(should_refresh({"", t0}, t0));
    auto const s = synced_at(t0);
    BOOST_TEST(!should_refresh(s, t0 + 24h * 365));
    es.metadata.generation = 5;
    es.metadata.annotations[std::string(ctl::force_sync_annotation)] = "1";
    BOOST_TEST(!should_refresh(s, t0 + 1s));
    BOOST_TEST(!ctl::refresh_after(es.spec, s, t0).has_value());
}

BOOST_AUTO_TEST_CASE(periodic_next_due_time_is_interval_minus_time_since_the_last_sync) {
    es.spec.refresh_interval = 1h;
    BOOST_TEST((ctl::refresh_after(es.spec, {}, t0) == std::optional<std::chrono::nanoseconds>(1h)));
    auto const s = synced_at(t0);
    BOOST_TEST((ctl::refresh_after(es.spec, s, t0) == std::optional<std::chrono::nanoseconds>(1h)));
    BOOST_TEST((ctl::refresh_after(es.spec, s, t0 + 20min) == std::optional<std::chrono::nanoseconds>(40min)));
    BOOST_TEST((ctl::refresh_after(es.spec, s, t0 + 2h) == std::optional<std::chrono::nanoseconds>(0ns)));
    BOOST_TEST((ctl::refresh_after(es.spec, s, t0 - 5min) == std::optional<std::chrono::nanoseconds>(0ns)));
}

BOOST_AUTO_TEST_CASE(sync_windows_hold_back_periodic_refreshes_only) {
    es.spec.refresh_interval = 1h;
    // A deny window that is always open: it opens every minute for two minutes.
    es.spec.sync_windows = esx::spec::sync_windows{esx::spec::sync_window_kind::deny, {{"* * * * *", 2min}}};
    auto const s = synced_at(t0);
    BOOST_TEST(!should_refresh(s, t0 + 2h));  // periodic: held back
    BOOST_TEST((ctl::refresh_after(es.spec, s, t0 + 2h) ==
                std::optional<std::chrono::nanoseconds>(ctl::sync_window_recheck)));  // asks again, no hot loop
    BOOST_TEST(should_refresh({}, t0));       // a first sync is not
    es.metadata.generation = 2;
    BOOST_TEST(should_refresh(s, t0 + 2h));   // nor a change
    es.metadata.generation = 1;
    es.spec.sync_windows->kind = esx::spec::sync_window_kind::allow;
    BOOST_TEST(should_refresh(s, t0 + 2h));
}

BOOST_AUTO_TEST_SUITE_END()

// --- scheduler -----------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(scheduling)

BOOST_AUTO_TEST_CASE(one_entry_per_key) {
    ctl::scheduler s;
    time_point const t{};
    BOOST_TEST(s.schedule(key("a"), ctl::reason::refresh, t + 10s));
    BOOST_TEST(!s.schedule(key("a"), ctl::reason::refresh, t + 20s));
    BOOST_TEST(!s.schedule(key("a"), ctl::reason::refresh, t + 10s));
    BOOST_TEST(s.size() == 1u);
    BOOST_TEST((s.find(key("a"))->due == t + 10s));  // the earlier time stays
    BOOST_TEST(!s.schedule(key("a"), ctl::reason::refresh, t + 5s));
    BOOST_TEST((s.find(key("a"))->due == t + 5s));   // an earlier request brings it forward
    BOOST_TEST(s.schedule(key("a", "other"), ctl::reason::refresh, t + 5s));  // another namespace, another key
    BOOST_TEST(s.size() == 2u);
    BOOST_TEST(s.pop_due(t + 5s).has_value());
    BOOST_TEST(s.pop_due(t + 5s).has_value());
    BOOST_TEST(!s.pop_due(t + 1h).has_value());      // no duplicate left behind
}

BOOST_AUTO_TEST_CASE(a_more_urgent_reason_is_kept_and_never_delays) {
    ctl::scheduler s;
    time_point const t{};
    s.schedule(key("a"), ctl::reason::refresh, t + 1h);
    s.schedule(key("a"), ctl::reason::changed, t);  // a change to an object waiting for its refresh
    BOOST_TEST((s.find(key("a"))->why == ctl::reason::changed));
    BOOST_TEST((s.find(key("a"))->due == t));
    s.schedule(key("a"), ctl::reason::refresh, t + 2h);  // a later, less urgent request changes nothing
    BOOST_TEST((s.find(key("a"))->why == ctl::reason::changed));
    BOOST_TEST((s.find(key("a"))->due == t));
    s.schedule(key("b"), ctl::reason::retry, t + 4s);
    s.schedule(key("b"), ctl::reason::changed, t + 8s);  // more urgent but later: the earlier time stays
    BOOST_TEST((s.find(key("b"))->why == ctl::reason::changed));
    BOOST_TEST((s.find(key("b"))->due == t + 4s));
}

BOOST_AUTO_TEST_CASE(changes_go_before_due_refreshes) {
    ctl::scheduler s;
    time_point const t{};
    for (int i = 0; i < 100; ++i) s.schedule(key("refresh-" + std::to_string(i)), ctl::reason::refresh, t + 1s * i);
    s.schedule(key("retrying"), ctl::reason::retry, t + 50s);
    s.schedule(key("store-user"), ctl::reason::store_changed, t + 99s);
    s.schedule(key("new"), ctl::reason::changed, t + 100s);
    auto const now = t + 100s;  // everything is due; refreshes have waited longest
    std::vector<std::string> order;
    while (auto e = s.pop_due(now)) order.push_back(e->key.str());
    BOOST_TEST_REQUIRE(order.size() == 103u);
    BOOST_TEST(order[0] == "default/new");
    BOOST_TEST(order[1] == "default/store-user");
    BOOST_TEST(order[2] == "default/retrying");
    BOOST_TEST(order[3] == "default/refresh-0");  // then refreshes, oldest first
    BOOST_TEST(order[102] == "default/refresh-99");
}

BOOST_AUTO_TEST_CASE(same_reason_goes_by_due_time_then_request_order) {
    ctl::scheduler s;
    time_point const t{};
    s.schedule(key("late"), ctl::reason::changed, t + 2s);
    s.schedule(key("first"), ctl::reason::changed, t);
    s.schedule(key("second"), ctl::reason::changed, t);
    s.schedule(key("third"), ctl::reason::changed, t);
    std::vector<std::string> order;
    while (auto e = s.pop_due(t + 2s)) order.push_back(std::string(e->key.name()));
    BOOST_TEST(order == (std::vector<std::string>{"first", "second", "third", "late"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(entries_not_yet_due_wait_and_one_deadline_covers_all) {
    ctl::scheduler s;
    time_point const t{};
    BOOST_TEST(!s.next_due().has_value());
    s.schedule(key("a"), ctl::reason::refresh, t + 30s);
    s.schedule(key("b"), ctl::reason::changed, t + 40s);
    s.schedule(key("c"), ctl::reason::retry, t + 20s);
    BOOST_TEST((s.next_due() == t + 20s));  // the earliest, whatever its reason
    BOOST_TEST(!s.pop_due(t + 19s).has_value());
    BOOST_TEST((s.pop_due(t + 20s)->key == key("c")));
    BOOST_TEST((s.next_due() == t + 30s));
    BOOST_TEST(s.cancel(key("a")));
    BOOST_TEST(!s.cancel(key("a")));
    BOOST_TEST((s.next_due() == t + 40s));
    BOOST_TEST(!s.pop_due(t + 39s).has_value());
    BOOST_TEST((s.pop_due(t + 40s)->why == ctl::reason::changed));
    BOOST_TEST(s.empty());
    BOOST_TEST(!s.next_due().has_value());
}

BOOST_AUTO_TEST_CASE(object_keys_split_into_namespace_and_name) {
    BOOST_TEST(key("db", "team-a").str() == "team-a/db");
    BOOST_TEST(key("db", "team-a").namespace_() == "team-a");
    BOOST_TEST(key("db", "team-a").name() == "db");
    ctl::object_key const cluster({}, "shared");
    BOOST_TEST(cluster.str() == "shared");
    BOOST_TEST(cluster.namespace_().empty());
    BOOST_TEST(cluster.name() == "shared");
}

BOOST_AUTO_TEST_CASE(memory_per_scheduled_key_is_small) {
    constexpr int n = 10'000;
    std::vector<ctl::object_key> keys;
    keys.reserve(n);
    // Names as a cluster has them: `team-042/app-042-secret` (23 characters, beyond the inline buffer).
    for (int i = 0; i < n; ++i) keys.emplace_back("team-" + std::to_string(i % 100), "app-" + std::to_string(i) + "-secret");
    auto const before = mallinfo2().uordblks;
    std::size_t per_key = 0;
    {
        ctl::scheduler s;
        for (int i = 0; i < n; ++i) s.schedule(keys[i], ctl::reason::refresh, time_point{} + 1s * i);
        auto const after = mallinfo2().uordblks;
        per_key = (after - before) / n;
        BOOST_TEST(s.size() == std::size_t(n));
    }
    BOOST_TEST_MESSAGE("scheduler: sizeof(object_key) " << sizeof(ctl::object_key) << " B, node estimate "
                       << ctl::scheduler::bytes_per_entry() << " B, measured " << per_key
                       << " B per key with a 23-character key (heap, incl. key text)");
    BOOST_TEST(per_key <= 256u);  // a regression guard, not a target: today it is about half that
}

BOOST_AUTO_TEST_SUITE_END()

// --- backoff -------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(doubles_from_one_second_up_to_seven_minutes) {
    ctl::exponential_backoff const b;
    BOOST_TEST((b.delay(0) == 0s));
    std::vector<std::chrono::nanoseconds> seen;
    for (std::uint32_t n = 1; n <= 12; ++n) seen.push_back(b.delay(n));
    std::vector<std::chrono::nanoseconds> const eso{1s, 2s, 4s, 8s, 16s, 32s, 64s, 128s, 256s, 7min, 7min, 7min};
    BOOST_TEST(seen == eso, boost::test_tools::per_element());
    BOOST_TEST((b.delay(100'000) == 7min));  // no overflow
}

BOOST_AUTO_TEST_CASE(retryable_failures_back_off_in_the_queue_and_success_resets) {
    fake_clock clock;
    queue q(options(), clock);
    auto const k = key("flaky");
    q.add(k, ctl::reason::changed);
    std::vector<std::chrono::nanoseconds> waits;
    for (int i = 0; i < 11; ++i) {
        auto item = q.next();
        BOOST_TEST_REQUIRE(item.has_value());
        BOOST_TEST(item->failures == std::uint32_t(i));
        q.done(k, ctl::sync_outcome::retryable_failure());
        waits.push_back(due_in(q, clock, k));
        BOOST_TEST((q.find(k)->why == ctl::reason::retry));
        BOOST_TEST(!q.next().has_value());      // not before its backoff
        clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(waits.back()));
    }
    std::vector<std::chrono::nanoseconds> const eso{1s, 2s, 4s, 8s, 16s, 32s, 64s, 128s, 256s, 7min, 7min};
    BOOST_TEST(waits == eso, boost::test_tools::per_element());
    BOOST_TEST(q.failures(k) == 11u);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.done(k, ctl::sync_outcome::synced(1h));
    BOOST_TEST(q.failures(k) == 0u);             // reset on success
    BOOST_TEST((q.find(k)->why == ctl::reason::refresh));
    q.add(k, ctl::reason::changed);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.done(k, ctl::sync_outcome::retryable_failure());
    BOOST_TEST((due_in(q, clock, k) == 1s));     // starts again from one second
}

BOOST_AUTO_TEST_CASE(non_retryable_failures_wait_for_the_next_change) {
    fake_clock clock;
    queue q(options(), clock);
    auto const k = key("owned-by-another");
    q.add(k, ctl::reason::changed);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.done(k, ctl::sync_outcome::retryable_failure());
    clock.advance(1s);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.done(k, ctl::sync_outcome::permanent_failure());
    BOOST_TEST(q.scheduled() == 0u);
    BOOST_TEST(!q.next_wakeup().has_value());    // nothing will wake it
    clock.advance(24h);
    BOOST_TEST(!q.next().has_value());
    BOOST_TEST(q.failures(k) == 0u);
    BOOST_TEST((q.add(k, ctl::reason::changed) == ctl::add_result::queued));  // a change does
    auto item = q.next();
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST(item->failures == 0u);
}

BOOST_AUTO_TEST_CASE(the_global_retry_budget_spreads_mass_failures) {
    fake_clock clock;
    auto o = options();
    o.retry_qps = 1;  // ESO's is 10/s with a burst of 100; small numbers show the same rule
    o.retry_burst = 2;
    queue q(o, clock);
    for (int i = 0; i < 5; ++i) q.add(key("k" + std::to_string(i)), ctl::reason::changed);
    std::vector<ctl::object_key> handed;
    while (auto item = q.next()) handed.push_back(item->key);
    BOOST_TEST_REQUIRE(handed.size() == 5u);
    std::vector<std::chrono::nanoseconds> waits;
    for (auto const& k : handed) {
        q.done(k, ctl::sync_outcome::retryable_failure());
        waits.push_back(due_in(q, clock, k));
    }
    // Two tokens in the bucket, then one per second; each key waits for the longer of its own
    // backoff (1 s) and its place in the bucket.
    std::vector<std::chrono::nanoseconds> const expected{1s, 1s, 1s, 2s, 3s};
    BOOST_TEST(waits == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

// --- work queue ----------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(queueing)

BOOST_AUTO_TEST_CASE(a_key_in_flight_is_never_handed_out_again_until_done) {
    fake_clock clock;
    queue q(options(), clock);
    auto const k = key("db");
    BOOST_TEST((q.add(k, ctl::reason::changed) == ctl::add_result::queued));
    BOOST_TEST((q.add(k, ctl::reason::changed) == ctl::add_result::merged));
    auto item = q.next();
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST(q.in_flight(k));
    BOOST_TEST(!q.next().has_value());  // merged: one sync, not two
    BOOST_TEST((q.add(k, ctl::reason::changed) == ctl::add_result::deferred));
    BOOST_TEST((q.add(k, ctl::reason::refresh) == ctl::add_result::deferred));
    BOOST_TEST(q.deferred() == 1u);     // two requests, one deferred entry
    BOOST_TEST(!q.next().has_value());  // not twice at once
    q.done(k, ctl::sync_outcome::synced(1h));
    BOOST_TEST(q.deferred() == 0u);
    auto again = q.next();              // the deferred change runs now, ahead of the refresh
    BOOST_TEST_REQUIRE(again.has_value());
    BOOST_TEST((again->why == ctl::reason::changed));
    q.done(k, ctl::sync_outcome::synced(1h));
    BOOST_TEST(!q.next().has_value());
    BOOST_TEST(q.scheduled() == 1u);    // its refresh, once
}

BOOST_AUTO_TEST_CASE(at_most_concurrency_keys_in_flight) {
    fake_clock clock;
    queue q(options(2), clock);
    for (auto n : {"a", "b", "c"}) q.add(key(n), ctl::reason::changed);
    auto first = q.next();
    auto second = q.next();
    BOOST_TEST_REQUIRE((first && second));
    BOOST_TEST(!q.next().has_value());          // the pool is full
    BOOST_TEST(!q.next_wakeup().has_value());   // the next event is a `done`, not a time
    BOOST_TEST(q.in_flight() == 2u);
    q.done(first->key, ctl::sync_outcome::synced(std::nullopt));
    BOOST_TEST(q.next_wakeup().has_value());
    auto third = q.next();
    BOOST_TEST_REQUIRE(third.has_value());
    BOOST_TEST(third->key.name() == "c");
    BOOST_TEST(q.options().concurrency == 2u);
    BOOST_TEST(queue(options(0), clock).options().concurrency == 1u);  // 0 counts as 1
}

BOOST_AUTO_TEST_CASE(default_pool_is_sixteen) {
    fake_clock clock;
    queue q(ctl::work_queue_options{}, clock);
    for (int i = 0; i < 40; ++i) q.add(key(std::to_string(i)), ctl::reason::changed);
    int handed = 0;
    while (q.next()) ++handed;
    BOOST_TEST(handed == 16);
}

BOOST_AUTO_TEST_CASE(a_full_queue_refuses_new_keys_and_says_so) {
    fake_clock clock;
    queue q(options(16, 3), clock);
    BOOST_TEST((q.add(key("a"), ctl::reason::changed) == ctl::add_result::queued));
    BOOST_TEST((q.add(key("b"), ctl::reason::refresh) == ctl::add_result::queued));
    BOOST_TEST((q.add(key("c"), ctl::reason::refresh) == ctl::add_result::queued));
    BOOST_TEST(!q.overflowed());
    BOOST_TEST((q.add(key("d"), ctl::reason::changed) == ctl::add_result::full));
    BOOST_TEST(q.dropped() == 1u);
    BOOST_TEST(q.overflowed());
    BOOST_TEST(q.size() == 3u);
    BOOST_TEST((q.add(key("b"), ctl::reason::changed) == ctl::add_result::merged));  // known keys still merge
    BOOST_TEST((q.find(key("b"))->why == ctl::reason::changed));
    // In-flight keys hold their place; their deferred requests take none.
    auto item = q.next();
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST((q.add(item->key, ctl::reason::changed) == ctl::add_result::deferred));
    BOOST_TEST((q.add(key("d"), ctl::reason::changed) == ctl::add_result::full));
    BOOST_TEST(q.dropped() == 2u);
    q.done(item->key, ctl::sync_outcome::synced(std::nullopt));  // the deferred request re-uses the place
    BOOST_TEST(q.size() == 3u);
    BOOST_TEST_REQUIRE(q.next().has_value());
    auto const taken = q.next();
    BOOST_TEST_REQUIRE(taken.has_value());
    q.done(taken->key, ctl::sync_outcome::synced(std::nullopt));  // leaves: room for one
    q.clear_overflow();
    BOOST_TEST((q.add(key("d"), ctl::reason::changed) == ctl::add_result::queued));
    BOOST_TEST(!q.overflowed());
}

BOOST_AUTO_TEST_CASE(success_schedules_the_refresh_with_jitter_within_bounds) {
    fake_clock clock;
    queue q(options(), clock);
    auto const k = key("db");
    q.add(k, ctl::reason::changed);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.done(k, ctl::sync_outcome::synced(1h));
    auto const wait = due_in(q, clock, k);
    BOOST_TEST((wait <= 1h));
    BOOST_TEST((wait >= 1h - 5min));  // 10% of an hour, capped at 5 min
    BOOST_TEST((q.find(k)->why == ctl::reason::refresh));
    BOOST_TEST(!q.next().has_value());
    clock.advance(std::chrono::ceil<std::chrono::milliseconds>(wait));
    auto item = q.next();
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST((item->why == ctl::reason::refresh));
    q.done(k, ctl::sync_outcome::synced(std::nullopt));  // OnChange, CreatedOnce, interval 0
    BOOST_TEST(q.scheduled() == 0u);
}

BOOST_AUTO_TEST_CASE(the_clock_drives_the_queue_through_one_wakeup) {
    fake_clock clock;
    queue q(options(), clock);
    q.add_after(key("later"), ctl::reason::refresh, 10s);
    q.add_after(key("sooner"), ctl::reason::refresh, 3s);
    BOOST_TEST((q.next_wakeup() == clock.now() + 3s));
    BOOST_TEST(!q.next().has_value());
    clock.advance(3s);
    BOOST_TEST((q.next()->key == key("sooner")));
    BOOST_TEST((q.next_wakeup() == clock.now() + 7s));
    clock.advance(7s);
    BOOST_TEST((q.next()->key == key("later")));
}

BOOST_AUTO_TEST_CASE(a_new_object_overtakes_a_running_refresh_cycle) {
    fake_clock clock;
    queue q(options(4, 2000), clock);
    for (int i = 0; i < 1000; ++i) q.add(key("old-" + std::to_string(i)), ctl::reason::refresh);
    for (int i = 0; i < 4; ++i) BOOST_TEST_REQUIRE(q.next().has_value());
    q.add(key("new"), ctl::reason::changed);
    q.done(key("old-0"), ctl::sync_outcome::synced(1h));
    auto item = q.next();
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST((item->key == key("new")));  // the next free worker takes it, not refresh 5 of 1000
    BOOST_TEST((item->why == ctl::reason::changed));
}

BOOST_AUTO_TEST_CASE(forgotten_keys_leave_nothing_behind) {
    fake_clock clock;
    queue q(options(), clock);
    q.add(key("gone"), ctl::reason::changed);
    q.forget(key("gone"));
    BOOST_TEST(q.size() == 0u);
    BOOST_TEST(!q.next().has_value());
    // Deleted while in flight: `done` schedules neither its refresh nor its retry.
    q.add(key("busy"), ctl::reason::changed);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.add(key("busy"), ctl::reason::changed);
    q.forget(key("busy"));
    BOOST_TEST(q.deferred() == 0u);
    q.done(key("busy"), ctl::sync_outcome::retryable_failure());
    BOOST_TEST(q.size() == 0u);
    BOOST_TEST(q.failures(key("busy")) == 0u);
    // Deleted and re-created while in flight: the new object syncs after the old one's run.
    q.add(key("again"), ctl::reason::changed);
    BOOST_TEST_REQUIRE(q.next().has_value());
    q.forget(key("again"));
    BOOST_TEST((q.add(key("again"), ctl::reason::changed) == ctl::add_result::deferred));
    q.done(key("again"), ctl::sync_outcome::synced(1h));
    auto item = q.next();
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST((item->why == ctl::reason::changed));
    q.done(key("not-in-flight"), ctl::sync_outcome::synced(1h));  // ignored
    BOOST_TEST(q.scheduled() == 0u);
}

BOOST_AUTO_TEST_CASE(memory_per_key_state_is_small) {
    BOOST_TEST_MESSAGE("work_queue: sizeof(key_state) " << sizeof(queue::key_state)
                       << " B, kept only for keys in flight or backing off; sizeof(work_item) "
                       << sizeof(queue::work_item) << " B; sizeof(sync_outcome) " << sizeof(ctl::sync_outcome) << " B");
    BOOST_TEST(sizeof(queue::key_state) <= 24u);
}

BOOST_AUTO_TEST_SUITE_END()

// --- jitter --------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(jitter)

BOOST_AUTO_TEST_CASE(offsets_are_deterministic_per_seed_and_key) {
    ctl::refresh_jitter const a, b;
    ctl::refresh_jitter c;
    c.seed = 42;
    int differ = 0;
    for (int i = 0; i < 100; ++i) {
        auto const k = key("es-" + std::to_string(i));
        BOOST_TEST((a.offset(k, 1h) == b.offset(k, 1h)));
        if (a.offset(k, 1h) != c.offset(k, 1h)) ++differ;
    }
    BOOST_TEST(differ > 90);  // another seed, another spread
}

BOOST_AUTO_TEST_CASE(offsets_stay_within_bounds) {
    ctl::refresh_jitter const j;  // 10% of the delay, at most 5 min
    for (int i = 0; i < 2000; ++i) {
        auto const k = key("es-" + std::to_string(i), "ns-" + std::to_string(i % 7));
        BOOST_TEST((j.offset(k, 10min) <= 1min));
        BOOST_TEST((j.offset(k, 24h) <= 5min));
        BOOST_TEST((j.offset(k, 1s) <= 100ms));
        BOOST_TEST((j.offset(k, 10min) >= 0ns));
    }
    BOOST_TEST((j.offset(key("x"), 0s) == 0ns));
    ctl::refresh_jitter none;
    none.fraction = 0;
    BOOST_TEST((none.offset(key("x"), 1h) == 0ns));
}

BOOST_AUTO_TEST_CASE(a_cold_start_cycle_is_spread_over_the_window) {
    fake_clock clock;
    queue q(options(20'000, 20'000), clock);
    constexpr int n = 10'000;
    for (int i = 0; i < n; ++i) q.add(key("es-" + std::to_string(i), "ns-" + std::to_string(i % 100)), ctl::reason::changed);
    std::vector<ctl::object_key> handed;
    while (auto item = q.next()) handed.push_back(item->key);
    BOOST_TEST_REQUIRE(handed.size() == std::size_t(n));
    for (auto const& k : handed) q.done(k, ctl::sync_outcome::synced(1h));  // all synced in the same instant
    // Ten 30-second buckets over the 5-minute window before the hour.
    std::map<long, int> buckets;
    std::set<std::chrono::nanoseconds> distinct;
    for (auto const& k : handed) {
        auto const w = due_in(q, clock, k);
        BOOST_TEST_REQUIRE((w >= 55min && w <= 1h));
        buckets[std::chrono::duration_cast<std::chrono::seconds>(1h - w).count() / 30]++;
        distinct.insert(w);
    }
    BOOST_TEST(distinct.size() > std::size_t(n * 9 / 10));  // hardly two keys due together
    BOOST_TEST(buckets.size() >= 10u);
    for (auto const& [b, count] : buckets) {
        if (b == 10) continue;  // the single instant at exactly 5 min
        BOOST_TEST((count > n / 10 * 8 / 10 && count < n / 10 * 12 / 10), "bucket " << b << ": " << count);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// --- store index ---------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(store_changes)

BOOST_AUTO_TEST_CASE(stores_of_an_external_secret_are_its_ref_and_source_refs) {
    esx::spec::external_secret es;
    es.metadata.namespace_ = "team-a";
    es.metadata.name = "app";
    es.spec.secret_store_ref = {"vault", esx::spec::store_kind::secret_store};
    esx::spec::external_secret_data d;
    d.source = esx::spec::source_ref{esx::spec::store_ref{"shared", esx::spec::store_kind::cluster_secret_store}, {}};
    es.spec.data = {d, d};  // the same store twice counts once
    esx::spec::external_secret_data_from f;
    f.source = esx::spec::source_ref{esx::spec::store_ref{"vault", esx::spec::store_kind::secret_store}, {}};
    es.spec.data_from = {f};
    auto const stores = ctl::stores_of(es);
    BOOST_TEST_REQUIRE(stores.size() == 2u);
    BOOST_TEST((stores[0] == ctl::store_key{esx::spec::store_kind::secret_store, key("vault", "team-a")}));
    BOOST_TEST((stores[1] == ctl::store_key{esx::spec::store_kind::cluster_secret_store, ctl::object_key({}, "shared")}));
}

BOOST_AUTO_TEST_CASE(a_store_change_requeues_exactly_its_users) {
    ctl::store_index index;
    ctl::store_key const vault_a{esx::spec::store_kind::secret_store, key("vault", "team-a")};
    ctl::store_key const vault_b{esx::spec::store_kind::secret_store, key("vault", "team-b")};  // same name, other namespace
    ctl::store_key const shared{esx::spec::store_kind::cluster_secret_store, ctl::object_key({}, "vault")};
    index.set(key("one", "team-a"), {vault_a});
    index.set(key("two", "team-a"), {vault_a, shared});
    index.set(key("three", "team-b"), {vault_b, shared});
    BOOST_TEST(index.users() == 3u);
    BOOST_TEST(index.stores() == 3u);

    fake_clock clock;
    queue q(options(), clock);
    for (auto const& k : index.users_of(vault_a)) q.add(k, ctl::reason::store_changed);
    std::set<std::string> requeued;
    while (auto item = q.next()) {
        BOOST_TEST((item->why == ctl::reason::store_changed));
        requeued.insert(item->key.str());
    }
    BOOST_TEST(requeued == (std::set<std::string>{"team-a/one", "team-a/two"}), boost::test_tools::per_element());

    auto shared_users = index.users_of(shared);
    std::sort(shared_users.begin(), shared_users.end());
    BOOST_TEST((shared_users == std::vector<ctl::object_key>{key("two", "team-a"), key("three", "team-b")}));

    index.set(key("two", "team-a"), {shared});  // its spec changed: it left vault_a
    BOOST_TEST(index.users_of(vault_a).size() == 1u);
    index.erase(key("one", "team-a"));          // deleted
    BOOST_TEST(index.users_of(vault_a).empty());
    BOOST_TEST(index.stores() == 2u);           // no empty store entries left behind
    index.erase(key("one", "team-a"));          // twice is harmless
    BOOST_TEST((index.stores_used_by(key("two", "team-a")) == std::vector<ctl::store_key>{shared}));
}

BOOST_AUTO_TEST_CASE(memory_per_indexed_external_secret_is_small) {
    constexpr int n = 10'000;
    std::vector<ctl::object_key> users;
    for (int i = 0; i < n; ++i) users.emplace_back("team-" + std::to_string(i % 100), "app-" + std::to_string(i) + "-secret");
    auto const before = mallinfo2().uordblks;
    std::size_t per_user = 0;
    {
        ctl::store_index index;
        for (int i = 0; i < n; ++i)
            index.set(users[i], {ctl::store_key{esx::spec::store_kind::secret_store, key("vault", "team-" + std::to_string(i % 100))}});
        per_user = (mallinfo2().uordblks - before) / n;
        BOOST_TEST(index.stores() == 100u);
    }
    BOOST_TEST_MESSAGE("store_index: measured " << per_user << " B per ExternalSecret using one store (both directions, key text included)");
    BOOST_TEST(per_user <= 512u);  // a regression guard
}

BOOST_AUTO_TEST_SUITE_END()

// --- call limits ---------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(rate_limits)

BOOST_AUTO_TEST_CASE(kubernetes_and_azure_have_separate_token_buckets) {
    fake_clock clock;
    ctl::call_limit_options o;
    o.kubernetes_qps = 5;
    o.kubernetes_burst = 2;
    o.azure_qps = 10;
    o.azure_burst = 3;
    ctl::basic_call_limits<fake_clock> limits(o, clock);
    boost::asio::io_context io;
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 4; ++i) co_await limits.kubernetes.acquire();
    }, boost::asio::detached);
    io.run();
    // Two at once, then one every 200 ms: waited on the clock, not for real.
    BOOST_TEST(clock.sleeps() == (std::vector<std::chrono::milliseconds>{200ms, 200ms}), boost::test_tools::per_element());
    BOOST_TEST(limits.kubernetes.throttled() == 2u);
    for (int i = 0; i < 3; ++i) BOOST_TEST((limits.azure.reserve() == 0ms));  // Azure's burst is untouched
    BOOST_TEST((limits.azure.reserve() == 100ms));
}

BOOST_AUTO_TEST_CASE(defaults_are_esos_client_flags) {
    ctl::call_limit_options const o;
    BOOST_TEST(o.kubernetes_qps == 50);
    BOOST_TEST(o.kubernetes_burst == 100u);
    ctl::work_queue_options const w;
    BOOST_TEST(w.retry_qps == 10);   // ESO's BuildRateLimiter
    BOOST_TEST(w.retry_burst == 100u);
    BOOST_TEST(w.concurrency == 16u);
}

BOOST_AUTO_TEST_SUITE_END()


// --- worker pool ---------------------------------------------------------------------------

namespace {

using pool_type = ctl::basic_worker_pool<fake_clock>;
using item_type = pool_type::work_item;

/// Runs the pool on `io` until it returns; rethrows what escaped it.
template <class Reconcile>
void run_pool(boost::asio::io_context& io, pool_type& pool, Reconcile reconcile) {
    bool returned = false;
    boost::asio::co_spawn(io, pool.run(std::move(reconcile)), [&](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
        returned = true;
    });
    io.run();
    BOOST_TEST(returned);
}

/// Lets the other coroutines on the executor run (a sync that does I/O).
boost::asio::awaitable<void> yield_a_few_times(int n) {
    auto ex = co_await boost::asio::this_coro::executor;
    for (int i = 0; i < n; ++i) co_await boost::asio::post(ex, boost::asio::use_awaitable);
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(bounded_and_never_the_same_key_twice_at_once) {
    fake_clock clock;
    queue q(options(3), clock);
    boost::asio::io_context io;
    pool_type p(io.get_executor(), q);
    for (int i = 0; i < 20; ++i) q.add(key("es-" + std::to_string(i)), ctl::reason::changed);
    int running = 0, most = 0, runs = 0, overlaps = 0;
    std::set<std::string> busy, requeued;
    run_pool(io, p, [&](item_type item) -> boost::asio::awaitable<ctl::sync_outcome> {
        auto const name = item.key.str();
        if (!busy.insert(name).second) ++overlaps;
        most = std::max(most, ++running);
        if (requeued.insert(name).second) q.add(item.key, ctl::reason::changed);  // changed again mid-sync
        co_await yield_a_few_times(3);
        --running;
        busy.erase(name);
        if (++runs == 40) p.stop();
        co_return ctl::sync_outcome::synced(std::nullopt);
    });
    BOOST_TEST(runs == 40);      // every key twice: its first sync, then the change deferred during it
    BOOST_TEST(most == 3);       // the pool was full, never more
    BOOST_TEST(overlaps == 0);
    BOOST_TEST(q.in_flight() == 0u);
    BOOST_TEST(q.size() == 0u);
}

BOOST_AUTO_TEST_CASE(waits_on_one_deadline_for_many_keys) {
    fake_clock clock;
    queue q(options(4), clock);
    boost::asio::io_context io;
    pool_type p(io.get_executor(), q);
    auto const start = clock.now();
    std::map<std::string, time_point> due;
    for (int i = 0; i < 100; ++i) {
        auto const k = key("es-" + std::to_string(i));
        auto const delay = 1s * (i % 5 + 1);
        q.add_after(k, ctl::reason::refresh, delay);
        due[k.str()] = start + delay;
    }
    int runs = 0, early = 0;
    run_pool(io, p, [&](item_type item) -> boost::asio::awaitable<ctl::sync_outcome> {
        if (clock.now() < due[item.key.str()]) ++early;
        co_await yield_a_few_times(1);
        if (++runs == 100) p.stop();
        co_return ctl::sync_outcome::synced(std::nullopt);
    });
    BOOST_TEST(runs == 100);
    BOOST_TEST(early == 0);
    BOOST_TEST(p.timer_waits() == 5u);           // one wait per distinct due time, not per object
    BOOST_TEST(clock.sleeps().size() == 5u);
    BOOST_TEST((clock.now() - start == 5s));
}

BOOST_AUTO_TEST_CASE(failures_come_back_after_their_backoff_and_exceptions_count_as_failures) {
    fake_clock clock;
    queue q(options(), clock);
    boost::asio::io_context io;
    pool_type p(io.get_executor(), q);
    q.add(key("flaky"), ctl::reason::changed);
    int runs = 0;
    std::vector<std::uint32_t> failures_seen;
    run_pool(io, p, [&](item_type item) -> boost::asio::awaitable<ctl::sync_outcome> {
        failures_seen.push_back(item.failures);
        ++runs;
        co_await yield_a_few_times(1);
        if (runs == 1) throw std::runtime_error("a bug in a reconciler");
        if (runs < 4) co_return ctl::sync_outcome::retryable_failure();
        p.stop();
        co_return ctl::sync_outcome::synced(std::nullopt);
    });
    BOOST_TEST(runs == 4);
    BOOST_TEST(p.exceptions() == 1u);
    BOOST_TEST(failures_seen == (std::vector<std::uint32_t>{0, 1, 2, 3}), boost::test_tools::per_element());
    BOOST_TEST(clock.sleeps() == (std::vector<std::chrono::milliseconds>{1s, 2s, 4s}), boost::test_tools::per_element());
    BOOST_TEST(q.failures(key("flaky")) == 0u);
}

BOOST_AUTO_TEST_CASE(stop_lets_syncs_in_flight_finish_and_starts_no_more) {
    fake_clock clock;
    queue q(options(1), clock);
    boost::asio::io_context io;
    pool_type p(io.get_executor(), q);
    q.add(key("a"), ctl::reason::changed);
    q.add(key("b"), ctl::reason::changed);
    bool finished = false;
    run_pool(io, p, [&](item_type) -> boost::asio::awaitable<ctl::sync_outcome> {
        p.stop();  // SIGTERM arrives mid-sync
        co_await yield_a_few_times(10);
        finished = true;
        co_return ctl::sync_outcome::synced(std::nullopt);
    });
    BOOST_TEST(finished);
    BOOST_TEST(p.started() == 1u);
    BOOST_TEST(q.in_flight() == 0u);
    BOOST_TEST(q.scheduled() == 1u);  // b stays queued for the next leader
}

BOOST_AUTO_TEST_CASE(an_idle_pool_wakes_on_notify) {
    fake_clock clock;
    queue q(options(), clock);
    boost::asio::io_context io;
    pool_type p(io.get_executor(), q);
    int runs = 0;
    // Nothing queued: the pool waits for notify(), not for time.
    boost::asio::post(io, [&] {
        q.add(key("late"), ctl::reason::changed);
        p.notify();
    });
    run_pool(io, p, [&](item_type) -> boost::asio::awaitable<ctl::sync_outcome> {
        ++runs;
        p.stop();
        co_return ctl::sync_outcome::synced(1h);
    });
    BOOST_TEST(runs == 1);
    BOOST_TEST(clock.sleeps().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
