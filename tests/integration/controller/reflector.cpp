// esx/controller/reflector: basic_reflector against the in-process mock Kubernetes over TLS.
//
// The reflectors run on their own io_context; the test writes through a second client on a
// second io_context, so a reflector stands still while the test changes the cluster (that is
// how a change lands while its watch is down) and moves only when the test runs its context.
// Waits are bounded polls of that context for a condition, never sleeps.
#include <esx/controller/reflector.hpp>
#include <esx/kube.hpp>
#include <esx/spec/json.hpp>
#include <esx/testing/fake_clock.hpp>
#include <esx/transform/hash.hpp>

#include "mocks/kube/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace json = boost::json;
namespace net = boost::asio;
namespace k8s = esx::kube;
namespace mock = esx::mocks::kube;
namespace spec = esx::spec;
using namespace esx::controller;
using namespace std::chrono_literals;

std::string const secret_value = "reflector-marker-value-never-kept";

std::string reflector_crd(std::string const& plural, std::string const& kind, bool namespaced) {
    return R"({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": ")" + plural + R"(.external-secrets.io"},
     "spec": {"group": "external-secrets.io", "scope": ")" + (namespaced ? "Namespaced" : "Cluster") + R"(",
              "names": {"plural": ")" + plural + R"(", "kind": ")" + kind + R"("},
              "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                            "schema": {"openAPIV3Schema": {"type": "object",
                                                           "x-kubernetes-preserve-unknown-fields": true}}}]}})";
}

std::string es_json(std::string const& ns, std::string const& name, std::string const& key = "secret/db") {
    return R"({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
     "metadata": {"name": ")" + name + R"(", "namespace": ")" + ns + R"("},
     "spec": {"secretStoreRef": {"kind": "SecretStore", "name": "vault"}, "target": {"name": ")" + name + R"("},
              "refreshInterval": "1h",
              "data": [{"secretKey": "user", "remoteRef": {"key": ")" + key + R"(", "property": "user"}},
                       {"secretKey": "password", "remoteRef": {"key": ")" + key + R"(", "property": "password"}},
                       {"secretKey": "host", "remoteRef": {"key": "secret/host"}}]}})";
}

std::string reflector_seed() {
    return R"({"users": [{"name": "admin", "token": "esx-admin-token"}],
  "namespaces": ["default", "team-a", "team-b"],
  "objects": [)" + reflector_crd("externalsecrets", "ExternalSecret", true) + "," +
           reflector_crd("secretstores", "SecretStore", true) + "," + reflector_crd("clustersecretstores", "ClusterSecretStore", false) +
           "," + reflector_crd("clusterexternalsecrets", "ClusterExternalSecret", false) + "," + es_json("team-a", "one") +
           "," + es_json("team-a", "two") + "," + es_json("team-b", "three") + R"(,
    {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
     "metadata": {"name": "synced", "namespace": "team-b"},
     "spec": {"secretStoreRef": {"kind": "SecretStore", "name": "vault"}, "target": {"name": "synced"}},
     "status": {"refreshTime": "2026-01-01T00:00:00Z", "syncedResourceVersion": "1-abc",
                "binding": {"name": "synced"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                                "message": "secret synced", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}},
    {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore",
     "metadata": {"name": "vault", "namespace": "team-a"},
     "spec": {"provider": {"azurekv": {"vaultUrl": "https://v.vault.azure.net",
              "authSecretRef": {"clientId": {"name": "sp", "key": "id"}, "clientSecret": {"name": "sp", "key": "s"}},
              "tenantId": "t"}}}},
    {"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
     "metadata": {"name": "shared"},
     "spec": {"provider": {"azurekv": {"vaultUrl": "https://shared.vault.azure.net", "authType": "ManagedIdentity"}},
              "conditions": [{"namespaces": ["team-a"]}]}},
    {"apiVersion": "external-secrets.io/v1", "kind": "ClusterExternalSecret",
     "metadata": {"name": "everywhere"},
     "spec": {"namespaceSelectors": [{"matchLabels": {"esx": "yes"}}],
              "externalSecretSpec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "shared"},
                                     "data": [{"secretKey": "k", "remoteRef": {"key": "secret/k"}}]}}}
  ]})";
}

template <class T>
T run_on(net::io_context& io, net::awaitable<T> a) {
    std::optional<T> out;
    std::exception_ptr error;
    net::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        if (e) error = e;
        else out.emplace(std::move(v));
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

#define REQUIRE_OK(expr)                                                                                      \
    do {                                                                                                      \
        auto const& r_ = (expr);                                                                              \
        BOOST_REQUIRE_MESSAGE(static_cast<bool>(r_), (static_cast<bool>(r_) ? std::string() : r_.error().what())); \
    } while (0)

/// The mock, the reflectors' context and client, and the test's own context and client.
struct reflector_cluster {
    mock::server server;
    net::io_context io;        // the reflectors'
    net::io_context admin_io;  // the test's writes
    std::unique_ptr<k8s::client<>> client, admin;

    explicit reflector_cluster(std::size_t watch_window = 0, std::chrono::milliseconds bookmarks = 5000ms)
        : server(options(watch_window, bookmarks)) {
        auto c = k8s::config::from_kubeconfig({.paths = server.kubeconfig_file().string(), .context = {}, .env = {}});
        BOOST_REQUIRE_MESSAGE(c, (static_cast<bool>(c) ? "" : c.error().what()));
        client = std::make_unique<k8s::client<>>(io.get_executor(), *c);
        admin = std::make_unique<k8s::client<>>(admin_io.get_executor(), *c);
    }
    ~reflector_cluster() { server.stop(); }

    static mock::options options(std::size_t watch_window, std::chrono::milliseconds bookmarks) {
        mock::options o;
        o.seed_json = reflector_seed();
        o.watch_window = watch_window;
        o.bookmark_interval = bookmarks;
        return o;
    }

    template <class T>
    T write(net::awaitable<T> a) {
        return run_on(admin_io, std::move(a));
    }

    /// Runs the reflectors until `done()` holds, polling at most `polls` times (10 ms each at most).
    bool run_until(std::function<bool()> const& done, int polls = 500) {
        for (int i = 0; i < polls && !done(); ++i) {
            io.restart();
            io.run_for(10ms);
        }
        return done();
    }

    /// Requests to the collection (lists and watches) under `path`.
    std::size_t lists_of(std::string const& path) const {
        std::size_t n = 0;
        for (auto const& r : server.requests())
            if (r.method == "GET" && r.path == path && r.query.find("watch=true") == std::string::npos) ++n;
        return n;
    }
    std::size_t watches_of(std::string const& path) const {
        std::size_t n = 0;
        for (auto const& r : server.requests())
            if (r.method == "GET" && r.path == path && r.query.find("watch=true") != std::string::npos) ++n;
        return n;
    }
};

/// One reflector, its cache and what it reported.
template <class T>
struct reflecting {
    object_cache<T> cache;
    esx::testing::fake_clock clock;
    std::shared_ptr<std::vector<std::string>> log_lines = std::make_shared<std::vector<std::string>>();
    basic_reflector<T, k8s::client<>, esx::testing::fake_clock> reflector;
    std::vector<std::pair<std::string, change>> seen;
    bool finished = false;

    reflecting(reflector_cluster& c, k8s::resource const& r, reflector_options o = {})
        : reflector(*c.client, r, cache, with_logger(std::move(o), log_lines), clock) {
        reflector.on_change([this](object_key const& k, change ch) { seen.emplace_back(k.str(), ch); });
    }
    ~reflecting() {
        for (auto const& line : *log_lines) BOOST_TEST(line.find(secret_value) == std::string::npos);
    }

    static reflector_options with_logger(reflector_options o, std::shared_ptr<std::vector<std::string>> lines) {
        o.logger = esx::log::logger(esx::log::level::debug, [lines](std::string_view l) { lines->emplace_back(l); });
        return o;
    }

    void start(reflector_cluster& c) {
        net::co_spawn(c.io, reflector.run(), [this](std::exception_ptr e) {
            BOOST_TEST(!e);
            finished = true;
        });
    }

    /// Starts and runs until the first list is in the cache.
    void start_synced(reflector_cluster& c) {
        start(c);
        BOOST_REQUIRE(c.run_until([&] { return reflector.synced(); }));
    }

    /// stop() ends run() while it waits on the watch stream.
    void stop(reflector_cluster& c) {
        reflector.stop();
        BOOST_TEST(c.run_until([&] { return finished; }, 100));
    }

    std::size_t count(change ch) const {
        return static_cast<std::size_t>(std::count_if(seen.begin(), seen.end(), [&](auto const& s) { return s.second == ch; }));
    }
    bool saw(std::string const& key, change ch) const {
        return std::find(seen.begin(), seen.end(), std::pair{key, ch}) != seen.end();
    }
};

json::object parse_object(std::string const& text) { return json::parse(text).as_object(); }

std::string const es_path_a = "/apis/external-secrets.io/v1/namespaces/team-a/externalsecrets";
std::string const es_path_all = "/apis/external-secrets.io/v1/externalsecrets";


} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(controller)
BOOST_AUTO_TEST_SUITE(reflector)

BOOST_AUTO_TEST_CASE(the_first_list_fills_the_cache_and_marks_it_synced) {
    reflector_cluster c;
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets);
    BOOST_TEST(!r.reflector.synced());
    r.start_synced(c);
    BOOST_TEST(r.cache.size() == 4u);
    BOOST_TEST(r.count(change::added) == 4u);
    BOOST_TEST(r.saw("team-a/one", change::added));
    BOOST_TEST(r.saw("team-b/three", change::added));
    BOOST_REQUIRE(!r.seen.empty());
    BOOST_TEST((r.seen.back() == std::pair{std::string(), change::relisted}));  // once, after the list
    auto one = r.cache.find(object_key("team-a", "one"));
    BOOST_REQUIRE(one);
    BOOST_TEST(one->spec.data.size() == 3u);
    BOOST_TEST(one->metadata.uid.size() > 0u);
    BOOST_TEST(one->metadata.generation == 1);
    // The compact status: what the reconcile reads back, nothing more.
    auto synced = r.cache.find(object_key("team-b", "synced"));
    BOOST_REQUIRE(synced);
    BOOST_TEST(synced->status.synced_resource_version == "1-abc");
    BOOST_TEST(synced->status.binding == "synced");
    BOOST_REQUIRE(synced->status.refresh_time.has_value());
    BOOST_TEST(std::chrono::system_clock::to_time_t(*synced->status.refresh_time) == 1767225600);
    BOOST_REQUIRE(synced->status.ready);
    BOOST_TEST(synced->status.ready->status == "True");
    BOOST_TEST(synced->status.ready->reason == "SecretSynced");
    BOOST_TEST(r.reflector.lists() == 1u);
    BOOST_TEST(c.lists_of(es_path_all) == 1u);
    BOOST_TEST(!r.reflector.resource_version().empty());
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(creates_updates_and_deletes_arrive_as_callbacks) {
    reflector_cluster c;
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets);
    r.reflector.filter_modifications(spec_or_metadata_changed<spec::external_secret>);
    r.start_synced(c);
    r.seen.clear();
    auto const& es = k8s::resources::external_secrets;

    REQUIRE_OK(c.write(c.admin->create(es, "team-a", parse_object(es_json("team-a", "four")))));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/four", change::added); }));
    BOOST_TEST(r.cache.find(object_key("team-a", "four")));

    auto const spec_change = json::parse(R"({"spec": {"refreshInterval": "5m"}})");
    REQUIRE_OK(c.write(c.admin->patch(es, "team-a", "four", k8s::patch_type::merge, spec_change)));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/four", change::modified); }));
    BOOST_TEST(r.cache.find(object_key("team-a", "four"))->spec.refresh_interval == 5min);
    BOOST_TEST(r.cache.find(object_key("team-a", "four"))->metadata.generation == 2);

    REQUIRE_OK(c.write(c.admin->remove(es, "team-a", "four")));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/four", change::deleted); }));
    BOOST_TEST(!r.cache.find(object_key("team-a", "four")));
    BOOST_TEST(r.cache.size() == 4u);
    BOOST_TEST(r.seen.size() == 3u);  // nothing else was reported
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(a_status_only_update_is_filtered_by_the_predicate) {
    reflector_cluster c;
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets);
    r.reflector.filter_modifications(spec_or_metadata_changed<spec::external_secret>);
    write_echoes echoes;  // as the controller counts its status writes
    r.reflector.on_version([&](object_key const& k, std::string_view v) { echoes.seen(k, v); });
    r.start_synced(c);
    r.seen.clear();
    auto const& es = k8s::resources::external_secrets;

    // The controller's own status write comes back as a MODIFIED event: cached, not reported,
    // and counted as the write's echo, whether it came before the response or after.
    auto const status = json::parse(R"({"status": {"syncedResourceVersion": "1-new", "binding": {"name": "one"},
        "conditions": [{"type": "Ready", "status": "False", "reason": "SecretSyncedError",
                        "message": "could not get secret data from provider",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})");
    std::string const before = r.cache.find(object_key("team-a", "one"))->metadata.resource_version;
    echoes.writing(object_key("team-a", "one"));
    auto written = c.write(c.admin->patch_status(es, "team-a", "one", k8s::patch_type::merge, status));
    REQUIRE_OK(written);
    std::string const version(written->at("metadata").at("resourceVersion").as_string());
    echoes.written(object_key("team-a", "one"), before, version);
    BOOST_REQUIRE(c.run_until([&] {
        auto one = r.cache.find(object_key("team-a", "one"));
        return one && one->metadata.resource_version == version;
    }));
    BOOST_TEST(echoes.size() == 0u);
    auto one = r.cache.find(object_key("team-a", "one"));
    BOOST_TEST(one->status.synced_resource_version == "1-new");
    BOOST_TEST(one->status.ready->status == "False");
    BOOST_TEST(r.seen.empty());
    BOOST_TEST(r.reflector.filtered() == 1u);

    // A label, an annotation (force-sync) or a finalizer is reported.
    auto const annotate = json::parse(R"({"metadata": {"annotations": {"force-sync": "1"}}})");
    REQUIRE_OK(c.write(c.admin->patch(es, "team-a", "one", k8s::patch_type::merge, annotate)));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/one", change::modified); }));
    auto const finalize = json::parse(R"({"metadata": {"finalizers": ["externalsecrets.external-secrets.io/externalsecret-cleanup"]}})");
    REQUIRE_OK(c.write(c.admin->patch(es, "team-a", "two", k8s::patch_type::merge, finalize)));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/two", change::modified); }));
    BOOST_TEST(r.cache.find(object_key("team-a", "two"))->metadata.finalizers.size() == 1u);

    // Deleting an object with a finalizer sets deletionTimestamp: reported, still cached.
    REQUIRE_OK(c.write(c.admin->remove(es, "team-a", "two")));
    BOOST_REQUIRE(c.run_until([&] {
        auto two = r.cache.find(object_key("team-a", "two"));
        return two && two->metadata.deletion_timestamp.has_value();
    }));
    BOOST_TEST(std::count(r.seen.begin(), r.seen.end(), std::pair{std::string("team-a/two"), change::modified}) == 2);
    BOOST_TEST(!r.saw("team-a/two", change::deleted));
    auto const release = json::parse(R"({"metadata": {"finalizers": null}})");
    REQUIRE_OK(c.write(c.admin->patch(es, "team-a", "two", k8s::patch_type::merge, release)));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/two", change::deleted); }));
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(a_dropped_watch_resumes_without_a_relist_and_misses_nothing) {
    reflector_cluster c;
    reflector_options o;
    o.namespace_ = "team-a";
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets, o);
    r.start_synced(c);
    BOOST_REQUIRE(c.run_until([&] { return c.watches_of(es_path_a) == 1u; }));
    auto const before_drop = r.reflector.resource_version();
    r.seen.clear();

    // The stream goes while the reflector stands still; changes land meanwhile.
    c.server.drop_watches();
    auto const& es = k8s::resources::external_secrets;
    REQUIRE_OK(c.write(c.admin->create(es, "team-a", parse_object(es_json("team-a", "while-down")))));
    REQUIRE_OK(c.write(c.admin->remove(es, "team-a", "one")));
    BOOST_REQUIRE(c.run_until([&] { return r.seen.size() == 2u; }));
    BOOST_TEST(r.saw("team-a/while-down", change::added));
    BOOST_TEST(r.saw("team-a/one", change::deleted));
    BOOST_TEST(r.reflector.reconnects() >= 1u);
    BOOST_TEST(r.reflector.lists() == 1u);
    BOOST_TEST(c.lists_of(es_path_a) == 1u);  // the mock's log: no second list
    // The second watch resumed from the version the first one reached.
    std::vector<std::string> queries;
    for (auto const& q : c.server.requests())
        if (q.path == es_path_a && q.query.find("watch=true") != std::string::npos) queries.push_back(q.query);
    BOOST_REQUIRE(queries.size() >= 2u);
    BOOST_TEST(queries[1].find("resourceVersion=" + before_drop) != std::string::npos);
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(an_expired_version_relists_and_reports_what_vanished_meanwhile) {
    reflector_cluster c(/*watch_window=*/2);
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets);
    r.reflector.filter_modifications(spec_or_metadata_changed<spec::external_secret>);
    r.start_synced(c);
    BOOST_REQUIRE(c.run_until([&] { return c.watches_of(es_path_all) == 1u; }));
    r.seen.clear();

    // While the watch is down, more changes than the mock's 2-change window: a resume gets
    // 410 Expired, and only a relist can say what happened.
    c.server.drop_watches();
    auto const& es = k8s::resources::external_secrets;
    REQUIRE_OK(c.write(c.admin->remove(es, "team-a", "one")));
    REQUIRE_OK(c.write(c.admin->create(es, "team-b", parse_object(es_json("team-b", "new")))));
    auto const spec_change = json::parse(R"({"spec": {"refreshInterval": "10m"}})");
    REQUIRE_OK(c.write(c.admin->patch(es, "team-a", "two", k8s::patch_type::merge, spec_change)));
    auto const status = json::parse(R"({"status": {"syncedResourceVersion": "x"}})");
    REQUIRE_OK(c.write(c.admin->patch_status(es, "team-b", "three", k8s::patch_type::merge, status)));
    for (int i = 0; i < 3; ++i)
        REQUIRE_OK(c.write(c.admin->create(k8s::resources::secrets, "default",
                                           json::object{{"apiVersion", "v1"}, {"kind", "Secret"},
                                                        {"metadata", {{"name", "churn-" + std::to_string(i)}}}})));

    BOOST_REQUIRE(c.run_until([&] { return r.count(change::relisted) == 1u; }));
    BOOST_TEST(r.reflector.lists() == 2u);
    BOOST_TEST(c.lists_of(es_path_all) == 2u);
    BOOST_TEST(r.saw("team-a/one", change::deleted));      // vanished while the watch was down
    BOOST_TEST(r.saw("team-b/new", change::added));
    BOOST_TEST(r.saw("team-a/two", change::modified));     // its spec changed
    BOOST_TEST(!r.saw("team-b/three", change::modified));  // only its status did
    BOOST_TEST(!r.saw("team-b/synced", change::modified)); // unchanged: same resourceVersion
    BOOST_TEST(r.seen.size() == 4u);
    BOOST_TEST(r.cache.size() == 4u);
    BOOST_TEST(!r.cache.find(object_key("team-a", "one")));
    BOOST_TEST(r.cache.find(object_key("team-b", "three"))->status.synced_resource_version == "x");
    BOOST_TEST(r.reflector.resource_version() == std::to_string(c.server.resource_version()));

    // And it watches again from the new list.
    REQUIRE_OK(c.write(c.admin->remove(es, "team-b", "new")));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-b/new", change::deleted); }));
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(a_namespace_scope_sees_only_its_namespace) {
    reflector_cluster c;
    reflector_options o;
    o.namespace_ = "team-a";
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets, o);
    r.start_synced(c);
    BOOST_TEST(r.cache.size() == 2u);
    r.cache.for_each([](object_key const& k, spec::external_secret const&) { BOOST_TEST(k.namespace_() == "team-a"); });
    auto const& es = k8s::resources::external_secrets;
    REQUIRE_OK(c.write(c.admin->create(es, "team-b", parse_object(es_json("team-b", "elsewhere")))));
    REQUIRE_OK(c.write(c.admin->create(es, "team-a", parse_object(es_json("team-a", "here")))));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/here", change::added); }));
    BOOST_TEST(!r.cache.find(object_key("team-b", "elsewhere")));
    BOOST_TEST(r.cache.size() == 3u);
    for (auto const& q : c.server.requests())  // the reflector's lists and watches (the test's writes aside)
        if (q.method == "GET" && q.path.find("externalsecrets") != std::string::npos) BOOST_TEST(q.path == es_path_a);
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(bookmarks_advance_the_version) {
    reflector_cluster c(0, 50ms);
    reflector_options o;
    o.namespace_ = "team-a";
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets, o);
    r.start_synced(c);
    auto const listed = r.reflector.resource_version();
    // A change elsewhere moves the global version; team-a's watch hears of it by bookmark only.
    REQUIRE_OK(c.write(c.admin->create(k8s::resources::external_secrets, "team-b",
                                       parse_object(es_json("team-b", "elsewhere")))));
    auto const now = std::to_string(c.server.resource_version());
    BOOST_REQUIRE(c.run_until([&] { return r.reflector.resource_version() == now; }));
    BOOST_TEST(r.reflector.bookmarks() >= 1u);
    BOOST_TEST(listed != now);
    BOOST_TEST(r.count(change::added) == 2u);  // the list's two; the bookmark is no change
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(failures_back_off_on_the_injected_clock_and_recover) {
    reflector_cluster c;
    // Seven failed lists in a row: waits of 1, 2, 4, 8, 16, 30 (the cap), 30 s; then it works.
    c.server.add_fault(R"({"status": 500, "count": 7, "method": "GET", "path_prefix": ")" + es_path_a + R"("})");
    reflector_options o;
    o.namespace_ = "team-a";
    reflecting<spec::external_secret> r(c, k8s::resources::external_secrets, o);
    r.start_synced(c);
    BOOST_TEST(r.reflector.errors() == 7u);
    std::vector<std::chrono::milliseconds> const expected{1s, 2s, 4s, 8s, 16s, 30s, 30s};
    BOOST_TEST(r.clock.sleeps() == expected, boost::test_tools::per_element());
    BOOST_TEST(r.cache.size() == 2u);
    // A forbidden watch is one more failure, not the end of the loop: the reflector keeps
    // watching once it is allowed again.
    c.server.add_fault(R"({"status": 403, "count": 2, "method": "GET", "path_prefix": ")" + es_path_a + R"("})");
    c.server.drop_watches();
    REQUIRE_OK(c.write(c.admin->create(k8s::resources::external_secrets, "team-a",
                                       parse_object(es_json("team-a", "after-403")))));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/after-403", change::added); }));
    BOOST_TEST(r.reflector.errors() == 9u);
    BOOST_REQUIRE(r.log_lines->size() == 9u);  // one line per failure, naming the resource and the wait
    BOOST_TEST(r.log_lines->front().find(R"("msg":"watch failed; retrying","resource":"externalsecrets","namespace":"team-a")") !=
               std::string::npos);
    BOOST_TEST(r.log_lines->front().find(R"("retry_ms":1000)") != std::string::npos);
    BOOST_TEST(!r.finished);
    r.stop(c);
}

BOOST_AUTO_TEST_CASE(an_object_that_does_not_read_holds_up_nothing_else) {
    reflector_cluster c;
    auto const& es = k8s::resources::external_secrets;
    // The CRD keeps unknown fields; esx's reader refuses them (a newer ESO's field, a typo).
    auto bad = parse_object(es_json("team-a", "bad"));
    bad["spec"].as_object()["refreshIntervall"] = "1h";
    REQUIRE_OK(c.write(c.admin->create(es, "team-a", bad)));
    reflecting<spec::external_secret> r(c, es);
    std::vector<std::pair<std::string, std::string>> rejected;
    r.reflector.on_rejected([&](object_key const& k, esx::failure const& f) { rejected.emplace_back(k.str(), f.what()); });
    std::vector<std::string> versions;  // what a write's echo is matched against, rejected or not
    r.reflector.on_version([&](object_key const& k, std::string_view v) {
        if (k.str() == "team-a/bad") versions.emplace_back(v);
    });
    r.start_synced(c);
    BOOST_TEST(r.cache.size() == 4u);  // the list's other objects are all there
    BOOST_TEST(!r.cache.find(object_key("team-a", "bad")));
    BOOST_TEST(r.reflector.rejected() == 1u);
    BOOST_REQUIRE(rejected.size() == 1u);
    BOOST_TEST(rejected[0].first == "team-a/bad");
    BOOST_TEST(rejected[0].second == "spec.refreshIntervall: unknown field");
    BOOST_REQUIRE(!r.log_lines->empty());
    BOOST_TEST(r.log_lines->back().find(R"("key":"team-a/bad")") != std::string::npos);

    // Fixed, it arrives as any new object; broken again, the last good version stays cached.
    auto const fix = json::parse(R"({"spec": {"refreshIntervall": null, "refreshInterval": "2m"}})");
    REQUIRE_OK(c.write(c.admin->patch(es, "team-a", "bad", k8s::patch_type::merge, fix)));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/bad", change::added); }));
    auto const worse = json::parse(R"({"spec": {"refreshPolicy": "Sometimes"}})");
    auto broken = c.write(c.admin->patch(es, "team-a", "bad", k8s::patch_type::merge, worse));
    REQUIRE_OK(broken);
    BOOST_REQUIRE(c.run_until([&] { return r.reflector.rejected() == 2u; }));
    BOOST_REQUIRE(!versions.empty());
    BOOST_TEST(versions.back() == std::string(broken->at("metadata").at("resourceVersion").as_string()));
    BOOST_TEST(rejected.back().second.find("spec.refreshPolicy: unsupported value \"Sometimes\"") == 0u);
    BOOST_TEST(r.cache.find(object_key("team-a", "bad"))->spec.refresh_interval == 2min);
    // Its deletion is still seen.
    REQUIRE_OK(c.write(c.admin->remove(es, "team-a", "bad")));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/bad", change::deleted); }));
    r.stop(c);
}

// On the real clock, stop() ends a wait after a failure at once (here a wait of an hour).
BOOST_AUTO_TEST_CASE(stop_cuts_a_wait_short_on_the_real_clock) {
    reflector_cluster c;
    c.server.add_fault(R"({"status": 503, "count": 1, "method": "GET", "path_prefix": ")" + es_path_a + R"("})");
    object_cache<spec::external_secret> cache;
    reflector_options o;
    o.namespace_ = "team-a";
    o.backoff = exponential_backoff{std::chrono::hours(1), std::chrono::hours(1)};
    o.logger = esx::log::logger(esx::log::level::off);
    basic_reflector<spec::external_secret, k8s::client<>> reflector(*c.client, k8s::resources::external_secrets, cache, o);
    bool finished = false;
    net::co_spawn(c.io, reflector.run(), [&](std::exception_ptr e) {
        BOOST_TEST(!e);
        finished = true;
    });
    BOOST_REQUIRE(c.run_until([&] { return reflector.errors() == 1u; }));
    BOOST_TEST(!finished);
    reflector.stop();
    BOOST_TEST(c.run_until([&] { return finished; }, 100));
    BOOST_TEST(!reflector.synced());
}

BOOST_AUTO_TEST_CASE(stores_and_cluster_external_secrets_convert_from_the_watch) {
    reflector_cluster c;
    reflecting<spec::secret_store> stores(c, k8s::resources::secret_stores);
    reflecting<spec::secret_store> cluster_stores(c, k8s::resources::cluster_secret_stores);
    reflecting<spec::cluster_external_secret> ces(c, k8s::resources::cluster_external_secrets);
    stores.start(c);
    cluster_stores.start(c);
    ces.start(c);
    BOOST_REQUIRE(c.run_until([&] {
        return stores.reflector.synced() && cluster_stores.reflector.synced() && ces.reflector.synced();
    }));
    auto vault = stores.cache.find(object_key("team-a", "vault"));
    BOOST_REQUIRE(vault);
    BOOST_TEST((vault->kind == spec::store_kind::secret_store));
    BOOST_TEST(vault->spec.provider.vault_url == "https://v.vault.azure.net");
    auto shared = cluster_stores.cache.find(object_key("", "shared"));
    BOOST_REQUIRE(shared);
    BOOST_TEST((shared->kind == spec::store_kind::cluster_secret_store));
    BOOST_TEST(shared->spec.conditions.size() == 1u);
    auto everywhere = ces.cache.find(object_key("", "everywhere"));
    BOOST_REQUIRE(everywhere);
    BOOST_TEST(everywhere->spec.namespace_selectors.size() == 1u);
    BOOST_TEST(everywhere->spec.external_secret_spec.data.size() == 1u);
    // A cluster-scoped change arrives like a namespaced one.
    REQUIRE_OK(c.write(c.admin->remove(k8s::resources::cluster_secret_stores, "", "shared")));
    BOOST_REQUIRE(c.run_until([&] { return cluster_stores.saw("shared", change::deleted); }));
    stores.stop(c);
    cluster_stores.stop(c);
    ces.stop(c);
}

BOOST_AUTO_TEST_CASE(managed_secrets_keep_identity_owner_and_hashes_only) {
    reflector_cluster c;
    auto const& secrets = k8s::resources::secrets;
    std::string const value_b64 = "cmVmbGVjdG9yLW1hcmtlci12YWx1ZS1uZXZlci1rZXB0";  // secret_value
    esx::transform::secret_map data;
    data.emplace("password", esx::secret_bytes(secret_value));
    auto const hash = esx::transform::data_hash(data);
    auto const created_by = esx::transform::created_by_label("team-a", "one");
    // The owner must exist, or the mock's garbage collector takes the Secret at once.
    auto owner = c.write(c.admin->get(k8s::resources::external_secrets, "team-a", "one"));
    REQUIRE_OK(owner);
    std::string const owner_uid(owner->at("metadata").at("uid").as_string());
    json::object managed{
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata",
         {{"name", "one"},
          {"labels", {{"reconcile.external-secrets.io/managed", "true"},
                      {"reconcile.external-secrets.io/created-by", created_by}}},
          {"annotations", {{"reconcile.external-secrets.io/data-hash", hash}}},
          {"ownerReferences", json::array{{{"apiVersion", "external-secrets.io/v1"}, {"kind", "ExternalSecret"},
                                           {"name", "one"}, {"uid", owner_uid}, {"controller", true}}}}}},
        {"data", {{"password", value_b64}}}};
    REQUIRE_OK(c.write(c.admin->create(secrets, "team-a", managed)));
    json::object unmanaged{{"apiVersion", "v1"}, {"kind", "Secret"},
                           {"metadata", {{"name", "someone-elses"}}}, {"data", {{"password", value_b64}}}};
    REQUIRE_OK(c.write(c.admin->create(secrets, "team-a", unmanaged)));

    reflecting<managed_secret> r(c, secrets);
    r.start_synced(c);
    BOOST_TEST(r.cache.size() == 1u);  // the label selector: only what ESO's label marks
    auto one = r.cache.find(object_key("team-a", "one"));
    BOOST_REQUIRE(one);
    BOOST_TEST(one->owner_name == "one");
    BOOST_TEST(one->owner_uid == owner_uid);
    BOOST_TEST(to_hex(one->data_hash) == hash);
    BOOST_TEST(one->intact());
    BOOST_REQUIRE(one->created_by);
    BOOST_TEST(to_hex(*one->created_by) == created_by);
    auto const queries = c.server.requests();
    BOOST_TEST(std::any_of(queries.begin(), queries.end(), [](auto const& q) {
        return q.path == "/api/v1/secrets" &&
               q.query.find("labelSelector=reconcile.external-secrets.io%2Fmanaged%3Dtrue") != std::string::npos;
    }));

    // Someone edits the data: reported, and the cached view says it is no longer intact.
    auto const edit = json::parse(R"({"data": {"password": "dGFtcGVyZWQ="}})");
    REQUIRE_OK(c.write(c.admin->patch(secrets, "team-a", "one", k8s::patch_type::merge, edit)));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/one", change::modified); }));
    BOOST_TEST(!r.cache.find(object_key("team-a", "one"))->intact());
    REQUIRE_OK(c.write(c.admin->remove(secrets, "team-a", "one")));
    BOOST_REQUIRE(c.run_until([&] { return r.saw("team-a/one", change::deleted); }));
    r.stop(c);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
