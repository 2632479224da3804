// The ExternalSecret reconciler against mock Kubernetes and mock Azure over loopback TLS: the
// objects live in the mock cluster, the test fills the reconciler's cache from it (as the
// reflector would), and every refresh decision runs on a fake clock. Status, events and the
// target Secret are read back from the mock; the mock's request log counts writes.
#include "../pipeline/world.hpp"

#include <esx/controller/cache_sources.hpp>
#include <esx/controller/reconcile.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace {

using namespace esx::pipeline_test;
namespace ctl = esx::controller;
namespace spec = esx::spec;
using namespace std::chrono_literals;

inline esx::kube::resource const crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false,
                                      "CustomResourceDefinition"};

json::object crd(std::string plural, std::string kind, bool namespaced) {
    json::object version{{"served", true}, {"storage", true}, {"subresources", {{"status", json::object{}}}},
                         {"schema", {{"openAPIV3Schema", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}};
    json::object v1 = version, v1beta1 = version;
    v1["name"] = "v1";
    v1beta1["name"] = "v1beta1";
    v1beta1["storage"] = false;
    return {{"apiVersion", "apiextensions.k8s.io/v1"},
            {"kind", "CustomResourceDefinition"},
            {"metadata", {{"name", plural + ".external-secrets.io"}}},
            {"spec", {{"group", "external-secrets.io"},
                      {"scope", namespaced ? "Namespaced" : "Cluster"},
                      {"names", {{"plural", plural}, {"kind", kind}}},
                      {"versions", json::array{v1, v1beta1}}}}};
}

/// The pipeline tests' world plus ESO's CRDs and a SecretStore `kv` (vault kv1) in `apps`.
struct cluster_world {
    cluster_world() {
        auto k = client();
        for (auto const& c : {crd("externalsecrets", "ExternalSecret", true), crd("secretstores", "SecretStore", true),
                              crd("clustersecretstores", "ClusterSecretStore", false)}) {
            auto r = esx::test::run(ioc, k->create(crds, "", c));
            BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        }
        auto store = json::parse(R"({"apiVersion":"external-secrets.io/v1","kind":"SecretStore",
            "metadata":{"name":"kv","namespace":"apps"},
            "spec":{"provider":{"azurekv":{"tenantId":"esx-tenant","vaultUrl":")" + w.vault_url("kv1") + R"(",
              "authSecretRef":{"clientId":{"name":"sp-creds","key":"ClientID"},
                               "clientSecret":{"name":"sp-creds","key":"ClientSecret"}}}}}})").as_object();
        auto r = esx::test::run(ioc, k->create(esx::kube::resources::secret_stores, "apps", store));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    }

    std::shared_ptr<esx::kube::client<>> client() {
        if (!kube) {
            auto cfg = esx::kube::config::from_kubeconfig({.paths = w.kube.kubeconfig_file().string(), .context = {}, .env = {}});
            BOOST_REQUIRE(cfg);
            kube = std::make_shared<esx::kube::client<>>(ioc.get_executor(), std::move(*cfg));
        }
        return kube;
    }

    world w;
    boost::asio::io_context ioc;  // for the test's own requests (the fixture's client)
    std::shared_ptr<esx::kube::client<>> kube;
};

cluster_world& shared() {
    static cluster_world cw;
    return cw;
}

using pipeline_type = esx::pipeline<esx::sink::kubernetes_secret<>>;
using reconciler_type = ctl::basic_external_secret_reconciler<pipeline_type, esx::kube::client<>, esx::testing::fake_clock>;
using recorder_type = ctl::basic_event_recorder<esx::kube::client<>, esx::testing::fake_clock>;

/// A controller's parts for one test: runtime, pipeline, cache, recorder, reconciler.
struct rig {
    rig()
        : cw(shared()), rt(cw.w.options()), kube(rt.kube().value()),
          sink(std::make_shared<esx::sink::kubernetes_secret<>>(kube)), pipeline(rt, sink),
          events(*kube, clock), reconciler(cache, pipeline, *kube, events, clock, options(logged)) {}

    static ctl::reconcile_options options(std::shared_ptr<std::string> const& lines) {
        ctl::reconcile_options o;
        o.logger = esx::log::logger(esx::log::level::debug, [lines](std::string_view line) {
            lines->append(line);
            lines->push_back('\n');
        });
        return o;
    }

    // ---- the cluster, through the fixture's own client ----

    json::object create_es(std::string const& name, std::string const& spec_json, std::string const& annotations = "{}") {
        auto doc = json::parse(R"({"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret",
            "metadata":{"name":")" + name + R"(","namespace":"apps","annotations":)" + annotations + R"(},
            "spec":)" + spec_json + "}").as_object();
        auto r = esx::test::run(cw.ioc, cw.client()->create(esx::kube::resources::external_secrets, "apps", doc));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        return *r;
    }
    void patch_es(std::string const& name, std::string const& merge_patch, bool status = false) {
        json::value body = json::parse(merge_patch);
        auto k = cw.client();
        auto r = status ? esx::test::run(cw.ioc, k->patch_status(esx::kube::resources::external_secrets, "apps", name,
                                                                 esx::kube::patch_type::merge, body))
                        : esx::test::run(cw.ioc, k->patch(esx::kube::resources::external_secrets, "apps", name,
                                                          esx::kube::patch_type::merge, body));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    }
    void delete_es(std::string const& name) {
        auto r = esx::test::run(cw.ioc, cw.client()->remove(esx::kube::resources::external_secrets, "apps", name));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    }
    std::optional<json::object> get(esx::kube::resource const& res, std::string const& name) {
        auto r = esx::test::run(cw.ioc, cw.client()->get(res, "apps", name));
        if (!r) {
            BOOST_REQUIRE_MESSAGE(r.error() == esx::condition::not_found, r.error().what());
            return std::nullopt;
        }
        return std::move(*r);
    }
    std::optional<json::object> secret(std::string const& name) { return get(esx::kube::resources::secrets, name); }
    json::object es(std::string const& name) {
        auto o = get(esx::kube::resources::external_secrets, name);
        BOOST_REQUIRE(o);
        return *o;
    }
    /// The Ready condition of ExternalSecret `name` (empty object if none).
    json::object ready(std::string const& name) {
        auto o = es(name);
        if (auto* st = o.if_contains("status"); st && st->is_object())
            if (auto* cs = st->as_object().if_contains("conditions"); cs && cs->is_array())
                for (auto& c : cs->as_array())
                    if (c.as_object().at("type") == "Ready") return c.as_object();
        return {};
    }
    std::string status_field(std::string const& name, std::string const& field) {
        auto o = es(name);
        auto* st = o.if_contains("status");
        if (!st || !st->is_object()) return {};
        auto* v = st->as_object().if_contains(field);
        if (!v) return {};
        if (v->is_string()) return std::string(v->as_string());
        return json::serialize(*v);
    }
    /// Events about ExternalSecret `name`.
    std::vector<json::object> events_of(std::string const& name) {
        esx::kube::list_options o;
        o.field_selector = "involvedObject.name=" + name;
        auto r = esx::test::run(cw.ioc, cw.client()->list(esx::kube::resources::events, "apps", o));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        std::vector<json::object> out;
        for (auto& e : r->items) out.push_back(e.as_object());
        return out;
    }
    std::vector<std::string> event_reasons(std::string const& name) {
        std::vector<std::string> out;
        for (auto const& e : events_of(name)) out.emplace_back(e.at("reason").as_string());
        std::sort(out.begin(), out.end());
        return out;
    }
    /// PATCHes of ExternalSecret `name`'s status, and PUT/POST of Secret `name` (writes) so far.
    std::size_t status_writes(std::string const& name) {
        std::size_t n = 0;
        for (auto const& r : cw.w.kube.requests())
            if (r.method == "PATCH" && r.path == "/apis/external-secrets.io/v1/namespaces/apps/externalsecrets/" + name + "/status")
                ++n;
        return n;
    }
    std::size_t secret_writes(std::string const& name) {
        std::size_t n = 0;
        for (auto const& r : cw.w.kube.requests())
            if ((r.method == "PUT" && r.path == "/api/v1/namespaces/apps/secrets/" + name) ||
                (r.method == "POST" && r.path == "/api/v1/namespaces/apps/secrets"))
                ++n;
        return n;
    }

    // ---- the controller's side ----

    /// What a reflector does: the cache holds the cluster's ExternalSecrets of `apps`.
    void refresh_cache() {
        auto r = esx::test::run(cw.ioc, cw.client()->list(esx::kube::resources::external_secrets, "apps"));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        cache.clear();
        for (auto const& item : r->items) {
            auto parsed = spec::read_external_secret(item);
            BOOST_REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().what()));
            ctl::object_key key(parsed->metadata.namespace_, parsed->metadata.name);
            cache.upsert(key, std::make_shared<spec::external_secret const>(std::move(*parsed)));
        }
        cache.mark_synced();
    }
    ctl::sync_outcome reconcile(std::string const& name) {
        refresh_cache();
        auto out = rt.run(optional_outcome(reconciler, ctl::object_key("apps", name)));
        BOOST_REQUIRE(out);
        return *out;
    }
    // `runtime::run` needs a default-constructible result.
    static boost::asio::awaitable<std::optional<ctl::sync_outcome>> optional_outcome(reconciler_type r, ctl::object_key key) {
        auto o = co_await r.reconcile(std::move(key));
        co_return o;
    }

    cluster_world& cw;
    esx::runtime rt;
    std::shared_ptr<esx::kube::client<>> kube;
    std::shared_ptr<esx::sink::kubernetes_secret<>> sink;
    pipeline_type pipeline;
    esx::testing::fake_clock clock;
    ctl::object_cache<spec::external_secret> cache;
    recorder_type events;
    std::shared_ptr<std::string> logged = std::make_shared<std::string>();  // the reconciler's log lines
    reconciler_type reconciler;
};

/// `spec` JSON: one `data` entry `key` <- Key Vault secret `remote`, plus `extra` fields.
std::string one_entry(std::string const& target, std::string const& remote, std::string const& extra = "") {
    return R"({"secretStoreRef":{"kind":"SecretStore","name":"kv"},"target":{"name":")" + target + R"("},)" +
           (extra.empty() ? "" : extra + ",") + R"("data":[{"secretKey":"value","remoteRef":{"key":")" + remote + R"("}}]})";
}

std::string value_of(json::object const& secret) { return world::data_of(secret, "value"); }

bool is(ctl::sync_outcome const& o, ctl::sync_outcome::kind k) { return o.what() == k; }

/// A vault secret with a fresh marker value; returns the value.
std::string put_remote(std::string const& name, std::string const& value) {
    vault_admin admin(shared().w, "kv1");
    admin.set(name, value);
    return value;
}

/// A rig whose pipeline takes its stores and target hints from caches, as basic_controller wires
/// it (<esx/controller/cache_sources.hpp>); the test fills the caches from the mock cluster as
/// the reflectors would.
struct cached_rig : rig {
    cached_rig() {
        fill_stores();
        fill_managed();
        pipeline.serve_stores_from(ctl::store_source_from(stores, cluster_stores, namespaces));
        pipeline.hint_targets(
            [this](esx::sink::target const& t) { return ctl::target_knowledge_from(managed, created_by, left, t); });
        reconciler.remember_targets_in(left);
    }
    void fill_stores() {
        auto page = esx::test::run(cw.ioc, cw.client()->list(esx::kube::resources::secret_stores, "apps"));
        BOOST_REQUIRE_MESSAGE(page, (page ? "" : page.error().what()));
        stores.clear();
        for (auto const& item : page->items) {
            auto s = spec::parse_as<spec::secret_store>(item);
            BOOST_REQUIRE_MESSAGE(s, (s ? "" : s.error().what()));
            ctl::object_key key(s->metadata.namespace_, s->metadata.name);
            stores.upsert(std::move(key), std::make_shared<spec::secret_store const>(std::move(*s)));
        }
        stores.mark_synced();
        cluster_stores.mark_synced();
    }
    void fill_managed() {
        esx::kube::list_options o;
        o.label_selector = std::string(ctl::managed_label_selector);
        auto page = esx::test::run(cw.ioc, cw.client()->list(esx::kube::resources::secrets, "apps", o));
        BOOST_REQUIRE_MESSAGE(page, (page ? "" : page.error().what()));
        managed.clear();
        for (auto const& item : page->items) {
            auto m = ctl::read_managed_secret(item);
            BOOST_REQUIRE(m);
            auto key = m->key();
            managed.upsert(std::move(key), std::make_shared<ctl::managed_secret const>(std::move(*m)));
        }
        managed.mark_synced();
        created_by.rebuild(managed);
    }
    /// Reconciles without refreshing any cache (so the request log holds the reconcile's only).
    ctl::sync_outcome reconcile_only(std::string const& name) {
        auto out = rt.run(optional_outcome(reconciler, ctl::object_key("apps", name)));
        BOOST_REQUIRE(out);
        return *out;
    }

    ctl::object_cache<spec::secret_store> stores, cluster_stores;
    ctl::object_cache<json::object> namespaces;  // never synced here: labels would come from the API
    ctl::object_cache<ctl::managed_secret> managed;
    ctl::created_by_index created_by;
    ctl::targets_as_left left;
};

/// Kubernetes requests logged since `from`, as "METHOD path" -> count (a Secret or ExternalSecret
/// name is kept: the tests look for specific objects).
std::map<std::string, std::size_t> kube_routes_since(std::size_t from) {
    std::map<std::string, std::size_t> out;
    auto const log = shared().w.kube.requests();
    for (std::size_t i = from; i < log.size(); ++i) ++out[log[i].method + " " + log[i].path];
    return out;
}

std::size_t total(std::map<std::string, std::size_t> const& routes) {
    std::size_t n = 0;
    for (auto const& [route, count] : routes) n += count;
    return n;
}

std::string describe(std::map<std::string, std::size_t> const& routes) {
    std::string out;
    for (auto const& [route, count] : routes) out += "  " + std::to_string(count) + " x " + route + "\n";
    return out;
}

void create_object(esx::kube::resource const& res, std::string const& doc) {
    auto& cw = shared();
    auto r = esx::test::run(cw.ioc, cw.client()->create(res, "apps", json::parse(doc).as_object()));
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(controller)
BOOST_AUTO_TEST_SUITE(reconcile)

BOOST_AUTO_TEST_CASE(create_writes_the_secret_a_ready_status_and_a_created_event) {
    rig r;
    put_remote("rc-create", "value-rc-create-1");
    r.create_es("create", one_entry("create-target", "rc-create"));
    auto outcome = r.reconcile("create");
    BOOST_TEST(is(outcome, ctl::sync_outcome::kind::synced));
    BOOST_REQUIRE(outcome.refresh_after());
    BOOST_TEST(outcome.refresh_after()->count() == std::chrono::nanoseconds(1h).count());

    auto s = r.secret("create-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(value_of(*s) == "value-rc-create-1");
    auto ready = r.ready("create");
    BOOST_TEST(ready["status"] == "True");
    BOOST_TEST(ready["reason"] == "SecretSynced");
    BOOST_TEST(ready["message"] == "secret synced");
    BOOST_TEST(ready["lastTransitionTime"] == "2026-01-01T00:00:00Z");
    BOOST_TEST(r.status_field("create", "refreshTime") == "2026-01-01T00:00:00Z");
    auto const es = r.es("create");
    auto const generation = es.at("metadata").at("generation").as_int64();
    BOOST_TEST(r.status_field("create", "syncedResourceVersion").starts_with(std::to_string(generation) + "-"));
    BOOST_TEST(r.status_field("create", "binding") == R"({"name":"create-target"})");
    BOOST_TEST(r.event_reasons("create") == std::vector<std::string>{"Created"});
    auto ev = r.events_of("create").front();
    BOOST_TEST(ev["type"] == "Normal");
    BOOST_TEST(ev["message"] == "secret created");
    BOOST_TEST(ev.at("source").at("component") == "external-secrets");
    BOOST_TEST(ev.at("involvedObject").at("kind") == "ExternalSecret");
    BOOST_TEST(ev.at("involvedObject").at("uid") == es.at("metadata").at("uid"));
    // Owner (the default): the Secret is controlled by the ExternalSecret.
    BOOST_TEST(ctl::controlled_by(*s, std::string(es.at("metadata").at("uid").as_string())));
    BOOST_TEST(r.reconciler.stats().synced == 1u);
}

BOOST_AUTO_TEST_CASE(a_spec_change_resyncs_and_a_status_only_change_does_not) {
    rig r;
    put_remote("rc-update-a", "value-rc-update-a");
    put_remote("rc-update-b", "value-rc-update-b");
    r.create_es("update", one_entry("update-target", "rc-update-a"));
    BOOST_TEST(is(r.reconcile("update"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(value_of(*r.secret("update-target")) == "value-rc-update-a");
    auto const version_a = r.status_field("update", "syncedResourceVersion");

    // A status-only change (someone else's writer): no refresh, no provider read, no write.
    r.patch_es("update", R"({"status":{"binding":{"name":"someone-else"}}})", true);
    auto const reads = r.cw.w.vault_reads();
    auto const writes = r.secret_writes("update-target");
    auto const status_writes = r.status_writes("update");
    auto again = r.reconcile("update");
    BOOST_TEST(is(again, ctl::sync_outcome::kind::synced));
    BOOST_TEST(r.cw.w.vault_reads() == reads);
    BOOST_TEST(r.secret_writes("update-target") == writes);
    BOOST_TEST(r.status_writes("update") == status_writes);
    BOOST_TEST(r.reconciler.stats().skipped == 1u);

    // A spec change: resynced at once, whatever the interval.
    r.patch_es("update", R"({"spec":{"data":[{"secretKey":"value","remoteRef":{"key":"rc-update-b"}}]}})");
    BOOST_TEST(is(r.reconcile("update"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(value_of(*r.secret("update-target")) == "value-rc-update-b");
    BOOST_TEST(r.status_field("update", "syncedResourceVersion") != version_a);
    BOOST_TEST(r.status_field("update", "binding") == R"({"name":"update-target"})");
    BOOST_TEST(r.event_reasons("update") == (std::vector<std::string>{"Created", "Updated"}));
}

BOOST_AUTO_TEST_CASE(periodic_refresh_waits_for_its_interval_on_the_clock) {
    rig r;
    put_remote("rc-periodic", "value-rc-periodic-1");
    r.create_es("periodic", one_entry("periodic-target", "rc-periodic", R"("refreshInterval":"10m")"));
    auto first = r.reconcile("periodic");
    BOOST_REQUIRE(first.refresh_after());
    BOOST_TEST(first.refresh_after()->count() == std::chrono::nanoseconds(10min).count());

    put_remote("rc-periodic", "value-rc-periodic-2");
    r.clock.advance(9min);
    auto early = r.reconcile("periodic");  // not due: the fast path, the old value stays
    BOOST_TEST(is(early, ctl::sync_outcome::kind::synced));
    BOOST_REQUIRE(early.refresh_after());
    BOOST_TEST(early.refresh_after()->count() == std::chrono::nanoseconds(1min).count());
    BOOST_TEST(value_of(*r.secret("periodic-target")) == "value-rc-periodic-1");

    r.clock.advance(61s);
    auto due = r.reconcile("periodic");
    BOOST_REQUIRE(due.refresh_after());
    BOOST_TEST(due.refresh_after()->count() == std::chrono::nanoseconds(10min).count());
    BOOST_TEST(value_of(*r.secret("periodic-target")) == "value-rc-periodic-2");
    BOOST_TEST(r.status_field("periodic", "refreshTime") == "2026-01-01T00:10:01Z");
    BOOST_TEST(r.event_reasons("periodic") == (std::vector<std::string>{"Created", "Updated"}));
}

BOOST_AUTO_TEST_CASE(on_change_refreshes_on_metadata_changes_only) {
    rig r;
    put_remote("rc-onchange", "value-rc-onchange-1");
    r.create_es("onchange", one_entry("onchange-target", "rc-onchange", R"("refreshPolicy":"OnChange","refreshInterval":"1m")"));
    auto first = r.reconcile("onchange");
    BOOST_TEST(is(first, ctl::sync_outcome::kind::synced));
    BOOST_TEST(!first.refresh_after());  // waits for a change, never for the clock

    put_remote("rc-onchange", "value-rc-onchange-2");
    r.clock.advance(2h);
    BOOST_TEST(!r.reconcile("onchange").refresh_after());
    BOOST_TEST(value_of(*r.secret("onchange-target")) == "value-rc-onchange-1");

    r.patch_es("onchange", R"({"metadata":{"labels":{"team":"a"}}})");
    r.reconcile("onchange");
    BOOST_TEST(value_of(*r.secret("onchange-target")) == "value-rc-onchange-2");
}

BOOST_AUTO_TEST_CASE(created_once_syncs_once_and_ignores_spec_changes) {
    rig r;
    put_remote("rc-once", "value-rc-once-1");
    put_remote("rc-once-b", "value-rc-once-b");
    r.create_es("once", one_entry("once-target", "rc-once", R"("refreshPolicy":"CreatedOnce")"));
    BOOST_TEST(!r.reconcile("once").refresh_after());
    r.patch_es("once", R"({"spec":{"data":[{"secretKey":"value","remoteRef":{"key":"rc-once-b"}}]}})");
    r.clock.advance(3h);
    auto const reads = r.cw.w.vault_reads();
    BOOST_TEST(!r.reconcile("once").refresh_after());
    BOOST_TEST(r.cw.w.vault_reads() == reads);
    BOOST_TEST(value_of(*r.secret("once-target")) == "value-rc-once-1");

    // The target deleted by hand: recreated (ESO's isSecretValid), with the current spec.
    auto gone = esx::test::run(r.cw.ioc, r.cw.client()->remove(esx::kube::resources::secrets, "apps", "once-target"));
    BOOST_REQUIRE(gone);
    r.reconcile("once");
    auto s = r.secret("once-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(value_of(*s) == "value-rc-once-b");
}

BOOST_AUTO_TEST_CASE(refresh_interval_zero_syncs_once_even_when_forced) {
    rig r;
    put_remote("rc-zero", "value-rc-zero-1");
    r.create_es("zero", one_entry("zero-target", "rc-zero", R"("refreshInterval":"0s")"));
    BOOST_TEST(!r.reconcile("zero").refresh_after());
    put_remote("rc-zero", "value-rc-zero-2");
    r.patch_es("zero", R"({"metadata":{"annotations":{"force-sync":"1"}}})");
    r.clock.advance(48h);
    BOOST_TEST(!r.reconcile("zero").refresh_after());
    BOOST_TEST(value_of(*r.secret("zero-target")) == "value-rc-zero-1");
}

BOOST_AUTO_TEST_CASE(the_force_sync_annotation_refreshes_before_the_interval) {
    rig r;
    put_remote("rc-force", "value-rc-force-1");
    r.create_es("force", one_entry("force-target", "rc-force"));
    r.reconcile("force");
    put_remote("rc-force", "value-rc-force-2");
    r.clock.advance(5min);
    r.reconcile("force");
    BOOST_TEST(value_of(*r.secret("force-target")) == "value-rc-force-1");
    r.patch_es("force", R"({"metadata":{"annotations":{"force-sync":"1767226000"}}})");
    auto forced = r.reconcile("force");
    BOOST_TEST(value_of(*r.secret("force-target")) == "value-rc-force-2");
    BOOST_REQUIRE(forced.refresh_after());
    BOOST_TEST(forced.refresh_after()->count() == std::chrono::nanoseconds(1h).count());
    BOOST_TEST(r.status_field("force", "refreshTime") == "2026-01-01T00:05:00Z");
}

BOOST_AUTO_TEST_CASE(owner_targets_go_with_their_external_secret_through_garbage_collection) {
    rig r;
    put_remote("rc-owner", "value-rc-owner");
    r.create_es("owner", one_entry("owner-target", "rc-owner"));
    r.reconcile("owner");
    BOOST_REQUIRE(r.secret("owner-target"));
    BOOST_TEST(!r.es("owner").at("metadata").as_object().contains("finalizers"));  // Retain: no finalizer needed
    r.delete_es("owner");
    BOOST_TEST(!r.secret("owner-target"));  // the mock's garbage collector
    BOOST_TEST(is(r.reconcile("owner"), ctl::sync_outcome::kind::synced));  // gone from the cache: nothing to do
}

BOOST_AUTO_TEST_CASE(orphan_targets_carry_no_owner_and_survive_their_external_secret) {
    rig r;
    put_remote("rc-orphan", "value-rc-orphan-1");
    r.create_es("orphan", one_entry("orphan-target", "rc-orphan", R"("target":{"name":"orphan-target","creationPolicy":"Orphan"})"));
    r.reconcile("orphan");
    auto s = r.secret("orphan-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(!s->at("metadata").as_object().contains("ownerReferences"));
    // Orphan targets are always "valid": an edit by hand stays until the next refresh (ESO).
    r.patch_es("orphan", R"({"metadata":{"labels":{"x":"y"}}})");  // a change: resync
    put_remote("rc-orphan", "value-rc-orphan-2");
    r.reconcile("orphan");
    BOOST_TEST(value_of(*r.secret("orphan-target")) == "value-rc-orphan-2");
    r.delete_es("orphan");
    BOOST_TEST(r.secret("orphan-target").has_value());
}

BOOST_AUTO_TEST_CASE(merge_targets_wait_for_a_secret_then_keep_its_other_keys) {
    rig r;
    put_remote("rc-merge", "value-rc-merge");
    r.create_es("merge", one_entry("merge-target", "rc-merge", R"("target":{"name":"merge-target","creationPolicy":"Merge"})"));
    BOOST_TEST(is(r.reconcile("merge"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(!r.secret("merge-target"));
    auto ready = r.ready("merge");
    BOOST_TEST(ready["status"] == "True");
    BOOST_TEST(ready["reason"] == "SecretMissing");
    BOOST_TEST(ready["message"] == "secret will not be created due to CreationPolicy=Merge");

    auto own = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"merge-target","namespace":"apps"},
                               "stringData":{"mine":"kept"}})").as_object();
    BOOST_REQUIRE(esx::test::run(r.cw.ioc, r.cw.client()->create(esx::kube::resources::secrets, "apps", own)));
    r.reconcile("merge");  // the target is not "valid" (no managed label): synced now
    auto s = r.secret("merge-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(world::data_of(*s, "mine") == "kept");
    BOOST_TEST(value_of(*s) == "value-rc-merge");
    BOOST_TEST(r.ready("merge")["reason"] == "SecretSynced");
}

BOOST_AUTO_TEST_CASE(creation_policy_none_writes_nothing_and_reports_synced) {
    rig r;
    put_remote("rc-none", "value-rc-none");
    r.create_es("none", one_entry("none-target", "rc-none", R"("target":{"name":"none-target","creationPolicy":"None"})"));
    BOOST_TEST(is(r.reconcile("none"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(!r.secret("none-target"));
    BOOST_TEST(r.ready("none")["reason"] == "SecretSynced");
    BOOST_TEST(r.event_reasons("none").empty());
}

BOOST_AUTO_TEST_CASE(deletion_policy_delete_adds_the_finalizer_and_deletes_the_target_on_deletion) {
    rig r;
    put_remote("rc-finalizer", "value-rc-finalizer");
    r.create_es("finalized", one_entry("finalized-target", "rc-finalizer",
                                       R"("target":{"name":"finalized-target","deletionPolicy":"Delete"})"));
    r.reconcile("finalized");
    auto finalizers = r.es("finalized").at("metadata").at("finalizers");
    BOOST_TEST(json::serialize(finalizers) == R"(["externalsecrets.external-secrets.io/externalsecret-cleanup"])");
    BOOST_REQUIRE(r.secret("finalized-target"));
    BOOST_TEST(r.reconciler.stats().finalizers_added == 1u);

    r.delete_es("finalized");  // held by the finalizer: deletionTimestamp set, the Secret still there
    BOOST_TEST(r.es("finalized").at("metadata").as_object().contains("deletionTimestamp"));
    BOOST_REQUIRE(r.secret("finalized-target"));
    BOOST_TEST(is(r.reconcile("finalized"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(!r.secret("finalized-target"));
    BOOST_TEST(!r.get(esx::kube::resources::external_secrets, "finalized"));  // finalizer removed: gone
    BOOST_TEST(r.reconciler.stats().secrets_deleted == 1u);
    BOOST_TEST(r.reconciler.stats().finalizers_removed == 1u);
}

BOOST_AUTO_TEST_CASE(deletion_policy_delete_removes_the_target_when_the_provider_has_no_data) {
    rig r;
    put_remote("rc-vanishing", "value-rc-vanishing");
    r.create_es("vanishing", one_entry("vanishing-target", "rc-vanishing",
                                       R"("target":{"name":"vanishing-target","deletionPolicy":"Delete"})"));
    r.reconcile("vanishing");
    BOOST_REQUIRE(r.secret("vanishing-target"));
    vault_admin(r.cw.w, "kv1").remove("rc-vanishing");
    r.patch_es("vanishing", R"({"metadata":{"annotations":{"force-sync":"2"}}})");
    BOOST_TEST(is(r.reconcile("vanishing"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(!r.secret("vanishing-target"));
    auto ready = r.ready("vanishing");
    BOOST_TEST(ready["status"] == "True");
    BOOST_TEST(ready["reason"] == "SecretDeleted");
    BOOST_TEST(ready["message"] == "secret deleted due to DeletionPolicy=Delete");
    BOOST_TEST(r.event_reasons("vanishing") == (std::vector<std::string>{"Created", "Deleted", "MissingProviderSecret"}));
    for (auto const& e : r.events_of("vanishing"))
        if (e.at("reason") == "MissingProviderSecret")
            BOOST_TEST(e.at("message") == "secret does not exist at provider using spec.dataFrom[0] (key=rc-vanishing)");
}

BOOST_AUTO_TEST_CASE(deletion_policy_retain_keeps_the_target_when_the_provider_has_no_data) {
    rig r;
    put_remote("rc-retained", "value-rc-retained");
    // Retain with every entry missing fails per entry (ESO's NoSecretError); with dataFrom.find
    // finding nothing, the data is empty and the Secret is retained.
    r.create_es("retained", R"({"secretStoreRef":{"kind":"SecretStore","name":"kv"},"target":{"name":"retained-target"},
        "dataFrom":[{"find":{"name":{"regexp":"^rc-retained$"}}}]})");
    r.reconcile("retained");
    BOOST_REQUIRE(r.secret("retained-target"));
    vault_admin(r.cw.w, "kv1").remove("rc-retained");
    r.patch_es("retained", R"({"metadata":{"annotations":{"force-sync":"2"}}})");
    BOOST_TEST(is(r.reconcile("retained"), ctl::sync_outcome::kind::synced));
    auto s = r.secret("retained-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(world::data_of(*s, "rc-retained") == "value-rc-retained");
    BOOST_TEST(r.ready("retained")["message"] == "secret retained due to DeletionPolicy=Retain");
}

BOOST_AUTO_TEST_CASE(deletion_policy_merge_writes_the_empty_data_and_keeps_the_secret) {
    rig r;
    put_remote("rc-merged", "value-rc-merged");
    r.create_es("merged", one_entry("merged-target", "rc-merged", R"("target":{"name":"merged-target","deletionPolicy":"Merge"})"));
    r.reconcile("merged");
    BOOST_REQUIRE(r.secret("merged-target"));
    BOOST_TEST(!r.es("merged").at("metadata").as_object().contains("finalizers"));
    vault_admin(r.cw.w, "kv1").remove("rc-merged");
    r.patch_es("merged", R"({"metadata":{"annotations":{"force-sync":"2"}}})");
    BOOST_TEST(is(r.reconcile("merged"), ctl::sync_outcome::kind::synced));
    auto s = r.secret("merged-target");
    BOOST_REQUIRE(s);
    auto const* data = s->if_contains("data");
    BOOST_TEST((!data || !data->as_object().contains("value")));  // the managed key is gone, the Secret stays
    BOOST_TEST(r.ready("merged")["reason"] == "SecretSynced");
}

BOOST_AUTO_TEST_CASE(a_failing_entry_is_named_in_status_and_event_without_values_and_the_target_stays) {
    rig r;
    std::string const marker = put_remote("rc-failing", "MARKER-7f3a-do-not-leak");
    r.create_es("failing", one_entry("failing-target", "rc-failing"));
    r.reconcile("failing");
    auto const before = r.secret("failing-target");
    BOOST_REQUIRE(before);
    auto const status_writes = r.status_writes("failing");

    r.patch_es("failing", R"({"spec":{"data":[{"secretKey":"value","remoteRef":{"key":"rc-failing"}},
                                       {"secretKey":"other","remoteRef":{"key":"rc-does-not-exist"}}]}})");
    auto failed = r.reconcile("failing");
    BOOST_TEST(is(failed, ctl::sync_outcome::kind::retryable_failure));  // it may appear later
    auto ready = r.ready("failing");
    BOOST_TEST(ready["status"] == "False");
    BOOST_TEST(ready["reason"] == "SecretSyncedError");
    std::string const message(ready["message"].as_string());
    BOOST_TEST(message.starts_with("could not get secret data from provider: spec.data[1] (key: rc-does-not-exist)"),
               message);
    BOOST_TEST(r.status_field("failing", "refreshTime") == "2026-01-01T00:00:00Z");  // not advanced
    BOOST_TEST(ready["lastTransitionTime"] == "2026-01-01T00:00:00Z");

    auto const after = r.secret("failing-target");
    BOOST_REQUIRE(after);
    BOOST_TEST(after->at("metadata").at("resourceVersion") == before->at("metadata").at("resourceVersion"));
    BOOST_TEST(value_of(*after) == marker);

    auto const evs = r.events_of("failing");
    bool warned = false;
    for (auto const& e : evs)
        if (e.at("reason") == "UpdateFailed") {
            warned = true;
            BOOST_TEST(e.at("type") == "Warning");
            BOOST_TEST(std::string(e.at("message").as_string()).find("spec.data[1]") != std::string::npos);
        }
    BOOST_TEST(warned);
    // No value anywhere the controller wrote.
    BOOST_TEST(json::serialize(r.es("failing")).find(marker) == std::string::npos);
    for (auto const& e : evs) BOOST_TEST(json::serialize(e).find(marker) == std::string::npos);
    BOOST_TEST(r.logged->find(marker) == std::string::npos);
    BOOST_TEST(r.logged->find(R"("msg":"sync failed","key":"apps/failing")") != std::string::npos, *r.logged);

    // The same failure again: one status write in all (no rewrite), the event's count bumped.
    auto const writes_after_failure = r.status_writes("failing");
    BOOST_TEST(writes_after_failure == status_writes + 1);
    r.clock.advance(2s);
    BOOST_TEST(is(r.reconcile("failing"), ctl::sync_outcome::kind::retryable_failure));
    BOOST_TEST(r.status_writes("failing") == writes_after_failure);
    std::int64_t count = 0;
    for (auto const& e : r.events_of("failing"))
        if (e.at("reason") == "UpdateFailed") count = e.at("count").as_int64();
    BOOST_TEST(count == 2);
    BOOST_TEST(r.events.stats().bumped == 1u);

    // Fixed: Ready again, the transition time moves.
    r.clock.advance(1min);
    r.patch_es("failing", R"({"spec":{"data":[{"secretKey":"value","remoteRef":{"key":"rc-failing"}}]}})");
    BOOST_TEST(is(r.reconcile("failing"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(r.ready("failing")["lastTransitionTime"] == "2026-01-01T00:01:02Z");
    BOOST_TEST(r.ready("failing")["reason"] == "SecretSynced");
}

BOOST_AUTO_TEST_CASE(a_target_owned_by_another_external_secret_is_a_permanent_failure) {
    rig r;
    put_remote("rc-contested", "value-rc-contested");
    r.create_es("first-owner", one_entry("contested-target", "rc-contested"));
    r.create_es("second-owner", one_entry("contested-target", "rc-contested"));
    BOOST_TEST(is(r.reconcile("first-owner"), ctl::sync_outcome::kind::synced));
    auto const writes = r.secret_writes("contested-target");
    BOOST_TEST(is(r.reconcile("second-owner"), ctl::sync_outcome::kind::permanent_failure));
    BOOST_TEST(r.secret_writes("contested-target") == writes);
    auto ready = r.ready("second-owner");
    BOOST_TEST(ready["reason"] == "SecretSyncedError");
    BOOST_TEST(std::string(ready["message"].as_string()).starts_with("target is owned by another ExternalSecret"));
}

BOOST_AUTO_TEST_CASE(an_immutable_target_that_would_change_is_a_permanent_failure_and_stays) {
    rig r;
    put_remote("rc-frozen", "value-rc-frozen");
    auto own = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"frozen-target","namespace":"apps"},
                               "immutable":true,"stringData":{"value":"set-by-hand"}})").as_object();
    BOOST_REQUIRE(esx::test::run(r.cw.ioc, r.cw.client()->create(esx::kube::resources::secrets, "apps", own)));
    r.create_es("frozen", one_entry("frozen-target", "rc-frozen"));
    BOOST_TEST(is(r.reconcile("frozen"), ctl::sync_outcome::kind::permanent_failure));
    BOOST_TEST(value_of(*r.secret("frozen-target")) == "set-by-hand");
    auto ready = r.ready("frozen");
    BOOST_TEST(ready["reason"] == "SecretSyncedError");
    BOOST_TEST(std::string(ready["message"].as_string()).starts_with("could not update secret, target is immutable: "));
}

BOOST_AUTO_TEST_CASE(an_unchanged_refresh_writes_no_secret_and_the_fast_path_writes_no_status) {
    rig r;
    put_remote("rc-quiet", "value-rc-quiet");
    r.create_es("quiet", one_entry("quiet-target", "rc-quiet", R"("refreshInterval":"1m")"));
    r.reconcile("quiet");
    auto const writes = r.secret_writes("quiet-target");
    auto const status_writes = r.status_writes("quiet");
    r.reconcile("quiet");  // not due
    BOOST_TEST(r.status_writes("quiet") == status_writes);
    r.clock.advance(2min);
    r.reconcile("quiet");  // due, nothing changed remotely: no Secret write; refreshTime moves
    BOOST_TEST(r.secret_writes("quiet-target") == writes);
    BOOST_TEST(r.status_writes("quiet") == status_writes + 1);
    BOOST_TEST(r.event_reasons("quiet") == std::vector<std::string>{"Created"});
}

BOOST_AUTO_TEST_CASE(the_fast_path_checks_targets_in_the_managed_secret_cache_without_requests) {
    rig r;
    put_remote("rc-cached", "value-rc-cached");
    r.create_es("cached", one_entry("cached-target", "rc-cached"));
    r.reconcile("cached");
    ctl::object_cache<ctl::managed_secret> secrets;
    auto fill = [&] {
        esx::kube::list_options o;
        o.label_selector = std::string(ctl::managed_label_selector);
        auto page = esx::test::run(r.cw.ioc, r.cw.client()->list(esx::kube::resources::secrets, "apps", o));
        BOOST_REQUIRE(page);
        secrets.clear();
        for (auto const& item : page->items) {
            auto m = ctl::read_managed_secret(item);
            BOOST_REQUIRE(m);
            auto key = m->key();
            secrets.upsert(std::move(key), std::make_shared<ctl::managed_secret const>(std::move(*m)));
        }
        secrets.mark_synced();
    };
    fill();
    {
        auto m = secrets.find(ctl::object_key("apps", "cached-target"));
        BOOST_REQUIRE(m);
        BOOST_TEST(m->intact());
    }
    r.reconciler.use_managed_secrets(secrets);
    auto gets = [&] { return r.cw.w.kube_requests("/api/v1/namespaces/apps/secrets/cached-target", "GET"); };
    auto const before = gets();
    BOOST_TEST(is(r.reconcile("cached"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(gets() == before);  // answered from the cache
    BOOST_TEST(r.reconciler.stats().skipped == 1u);

    // Edited by hand: no longer intact, so the next reconcile syncs it back.
    json::value edit = json::parse(R"({"stringData":{"value":"tampered"}})");
    BOOST_REQUIRE(esx::test::run(r.cw.ioc, r.cw.client()->patch(esx::kube::resources::secrets, "apps", "cached-target",
                                                                 esx::kube::patch_type::merge, edit)));
    fill();
    r.reconcile("cached");
    BOOST_TEST(value_of(*r.secret("cached-target")) == "value-rc-cached");
    BOOST_TEST(r.reconciler.stats().skipped == 1u);
}

BOOST_AUTO_TEST_CASE(events_are_rate_limited_per_object_and_refill_on_the_clock) {
    rig r;
    auto es = r.create_es("noisy", one_entry("noisy-target", "rc-noisy"));
    auto parsed = spec::read_external_secret(es);
    BOOST_REQUIRE(parsed);
    auto object = ctl::involved_object::of(esx::kube::resources::external_secrets, parsed->metadata);
    auto record = [&](int i) {
        auto task = [](recorder_type& rec, ctl::involved_object o, int n) -> boost::asio::awaitable<bool> {
            std::string reason = "UpdateFailed";
            std::string message = "failure number " + std::to_string(n);
            co_await rec.record(std::move(o), ctl::event_type::warning, std::move(reason), std::move(message));
            co_return true;
        };
        r.rt.run(task(r.events, object, i));
    };
    for (int i = 0; i < 30; ++i) record(i);
    BOOST_TEST(r.events.stats().created == 25u);  // client-go's burst
    BOOST_TEST(r.events.stats().dropped == 5u);
    r.clock.advance(5min);  // one more per 5 minutes
    record(100);
    record(101);
    BOOST_TEST(r.events.stats().created == 26u);
    BOOST_TEST(r.events.stats().dropped == 6u);
    BOOST_TEST(r.events_of("noisy").size() == 26u);
}

BOOST_AUTO_TEST_CASE(a_cold_sync_reads_the_store_and_its_credentials_once_and_asks_the_api_server_only_to_write) {
    cached_rig r;
    int const n = 6;
    auto name = [](int i) { return "cold-" + std::to_string(i); };
    for (int i = 0; i < n; ++i) r.create_es(name(i), one_entry(name(i) + "-target", "shared-" + std::to_string(i)));
    r.refresh_cache();
    r.fill_managed();  // synced; none of the targets exists yet
    auto const from = r.cw.w.kube.requests().size();
    for (int i = 0; i < n; ++i) BOOST_TEST(is(r.reconcile_only(name(i)), ctl::sync_outcome::kind::synced));
    auto const routes = kube_routes_since(from);
    BOOST_TEST_MESSAGE("Kubernetes requests of " << n << " cold syncs:\n" << describe(routes));

    auto count = [&](std::string const& route) {
        auto const it = routes.find(route);
        return it == routes.end() ? std::size_t(0) : it->second;
    };
    std::size_t secret_gets = 0, secret_lists = 0, store_gets = 0;
    for (auto const& [route, c] : routes) {
        if (route.starts_with("GET /api/v1/namespaces/apps/secrets/")) secret_gets += c;
        if (route == "GET /api/v1/namespaces/apps/secrets") secret_lists += c;
        if (route.starts_with("GET /apis/external-secrets.io/") && route.find("secretstores") != std::string::npos) store_gets += c;
    }
    BOOST_TEST(store_gets == 0u);                                                   // from the store cache
    BOOST_TEST(count("GET /api/v1/namespaces/apps/secrets/sp-creds") == 1u);         // the credential, once
    BOOST_TEST(secret_gets == 1u);                                                  // no target read before its create
    BOOST_TEST(secret_lists == 0u);                                                 // orphans from the cache
    BOOST_TEST(count("POST /api/v1/namespaces/apps/secrets") == std::size_t(n));     // the writes: one per sync
    for (int i = 0; i < n; ++i)
        BOOST_TEST(count("PATCH /apis/external-secrets.io/v1/namespaces/apps/externalsecrets/" + name(i) + "/status") == 1u);
    // Per sync: the Secret, the status and ESO's Created event; plus the credential once.
    BOOST_TEST(total(routes) == 3u * n + 1u);
    for (int i = 0; i < n; ++i) {
        auto s = r.secret(name(i) + "-target");
        BOOST_REQUIRE(s);
        BOOST_TEST(value_of(*s) == "shared-value-" + std::to_string(i));
        BOOST_TEST(r.ready(name(i))["status"] == "True");
    }
    BOOST_TEST(r.pipeline.stats().credentials_resolved == 1u);
    BOOST_TEST(r.pipeline.kept_resolutions() == 1u);
}

BOOST_AUTO_TEST_CASE(a_cluster_store_whose_credential_names_its_namespace_reads_it_once_for_every_namespace) {
    cached_rig r;
    auto& cw = r.cw;
    auto k = cw.client();
    auto store = json::parse(R"({"apiVersion":"external-secrets.io/v1","kind":"ClusterSecretStore",
        "metadata":{"name":"shared-kv"},
        "spec":{"provider":{"azurekv":{"tenantId":"esx-tenant","vaultUrl":")" + cw.w.vault_url("kv1") + R"(",
          "authSecretRef":{"clientId":{"name":"sp-creds","key":"ClientID","namespace":"apps"},
                           "clientSecret":{"name":"sp-creds","key":"ClientSecret","namespace":"apps"}}}}}})").as_object();
    auto created = esx::test::run(cw.ioc, k->create(esx::kube::resources::cluster_secret_stores, "", store));
    BOOST_REQUIRE_MESSAGE(created, (created ? "" : created.error().what()));
    auto listed = esx::test::run(cw.ioc, k->list(esx::kube::resources::cluster_secret_stores, ""));
    BOOST_REQUIRE(listed);
    for (auto const& item : listed->items) {
        auto s = spec::parse_as<spec::secret_store>(item);
        BOOST_REQUIRE_MESSAGE(s, (s ? "" : s.error().what()));
        ctl::object_key key(std::string_view(), s->metadata.name);
        r.cluster_stores.upsert(std::move(key), std::make_shared<spec::secret_store const>(std::move(*s)));
    }
    put_remote("rc-everywhere", "value-rc-everywhere");
    std::vector<std::string> const namespaces{"team-a", "team-b", "other"};
    for (auto const& ns : namespaces) {
        auto doc = json::parse(R"({"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret",
            "metadata":{"name":"everywhere","namespace":")" + ns + R"("},
            "spec":{"secretStoreRef":{"kind":"ClusterSecretStore","name":"shared-kv"},"target":{"name":"everywhere-target"},
                    "data":[{"secretKey":"value","remoteRef":{"key":"rc-everywhere"}}]}})").as_object();
        auto es = esx::test::run(cw.ioc, k->create(esx::kube::resources::external_secrets, ns, doc));
        BOOST_REQUIRE_MESSAGE(es, (es ? "" : es.error().what()));
        auto parsed = spec::read_external_secret(*es);
        BOOST_REQUIRE(parsed);
        r.cache.upsert(ctl::object_key(ns, "everywhere"), std::make_shared<spec::external_secret const>(std::move(*parsed)));
    }
    auto const credential_reads = [&] { return cw.w.kube_requests("/api/v1/namespaces/apps/secrets/sp-creds", "GET"); };
    auto const before = credential_reads();
    for (auto const& ns : namespaces) {
        auto out = r.rt.run(rig::optional_outcome(r.reconciler, ctl::object_key(ns, "everywhere")));
        BOOST_REQUIRE(out);
        BOOST_TEST(is(*out, ctl::sync_outcome::kind::synced));
        auto s = cw.w.secret_in_cluster(ns, "everywhere-target");
        BOOST_REQUIRE(s);
        BOOST_TEST(world::data_of(*s, "value") == "value-rc-everywhere");
    }
    BOOST_TEST(credential_reads() == before + 1);  // one resolution serves the three namespaces
    BOOST_TEST(r.pipeline.stats().credentials_resolved == 1u);
}

BOOST_AUTO_TEST_CASE(a_target_the_cache_does_not_hold_is_created_without_a_get_and_falls_back_to_reading_on_409) {
    cached_rig r;
    put_remote("rc-fallback", "value-rc-fallback");
    // A Secret without the managed label: the managed-Secret cache does not hold it.
    create_object(esx::kube::resources::secrets, R"({"apiVersion":"v1","kind":"Secret",
        "metadata":{"name":"fallback-target","namespace":"apps"},"stringData":{"other":"kept-by-nobody"}})");
    r.create_es("fallback", one_entry("fallback-target", "rc-fallback"));
    r.refresh_cache();
    r.fill_managed();
    BOOST_REQUIRE(!r.managed.find(ctl::object_key("apps", "fallback-target")));

    auto const from = r.cw.w.kube.requests().size();
    BOOST_TEST(is(r.reconcile_only("fallback"), ctl::sync_outcome::kind::synced));
    std::vector<std::string> calls;  // the sink's requests for the target, in order, with their status
    auto const log = r.cw.w.kube.requests();
    for (std::size_t i = from; i < log.size(); ++i)
        if (log[i].path == "/api/v1/namespaces/apps/secrets" || log[i].path == "/api/v1/namespaces/apps/secrets/fallback-target")
            calls.push_back(log[i].method + " " + std::to_string(log[i].status));
    BOOST_TEST(calls == (std::vector<std::string>{"POST 409", "GET 200", "PUT 200"}), boost::test_tools::per_element());
    auto s = r.secret("fallback-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(value_of(*s) == "value-rc-fallback");
    BOOST_TEST(r.ready("fallback")["status"] == "True");
}

BOOST_AUTO_TEST_CASE(a_refresh_of_a_secret_still_as_the_sink_left_it_reads_nothing_and_any_write_since_is_read) {
    cached_rig r;
    put_remote("rc-left", "value-rc-left");
    r.create_es("left", one_entry("left-target", "rc-left", R"("refreshInterval":"1m")"));
    BOOST_TEST(is(r.reconcile("left"), ctl::sync_outcome::kind::synced));
    BOOST_TEST(r.left.size() == 1u);  // created: kept with the version the POST answered
    std::string const target = "/api/v1/namespaces/apps/secrets/left-target";
    // One refresh: refreshTime is due, Key Vault is read again, the Secret is neither read nor written.
    auto refresh = [&] {
        r.clock.advance(2min);
        r.refresh_cache();
        r.fill_managed();
        auto const from = r.cw.w.kube.requests().size();
        BOOST_TEST(is(r.reconcile_only("left"), ctl::sync_outcome::kind::synced));
        auto const routes = kube_routes_since(from);
        BOOST_TEST_MESSAGE("Kubernetes requests of the refresh:\n" << describe(routes));
        return routes;
    };
    auto quiet = refresh();
    BOOST_TEST(quiet.count("GET " + target) == 0u);
    BOOST_TEST(quiet.count("PUT " + target) == 0u);
    BOOST_TEST(quiet.count("PATCH /apis/external-secrets.io/v1/namespaces/apps/externalsecrets/left/status") == 1u);

    // A label added by someone else (the data and its hash unchanged): the version moved, so
    // the sink reads, keeps the label, writes nothing; the version it read is kept.
    json::value label = json::parse(R"({"metadata":{"labels":{"added-by":"someone-else"}}})");
    BOOST_REQUIRE(esx::test::run(r.cw.ioc, r.cw.client()->patch(esx::kube::resources::secrets, "apps", "left-target",
                                                                 esx::kube::patch_type::merge, label)));
    auto relabelled = refresh();
    BOOST_TEST(relabelled.count("GET " + target) == 1u);
    BOOST_TEST(relabelled.count("PUT " + target) == 0u);
    BOOST_TEST(refresh().count("GET " + target) == 0u);  // as left again

    // The value edited by hand: read and written back.
    json::value edit = json::parse(R"({"stringData":{"value":"tampered"}})");
    BOOST_REQUIRE(esx::test::run(r.cw.ioc, r.cw.client()->patch(esx::kube::resources::secrets, "apps", "left-target",
                                                                 esx::kube::patch_type::merge, edit)));
    auto restored = refresh();
    BOOST_TEST(restored.count("GET " + target) == 1u);
    BOOST_TEST(restored.count("PUT " + target) == 1u);
    BOOST_TEST(value_of(*r.secret("left-target")) == "value-rc-left");

    // The target changed (a label on the ExternalSecret, which ESO copies): another fingerprint,
    // so the sink reads and writes although the Secret is as it left it.
    BOOST_TEST(refresh().count("GET " + target) == 0u);
    r.patch_es("left", R"({"metadata":{"labels":{"tier":"gold"}}})");
    auto relabelled_target = refresh();
    BOOST_TEST(relabelled_target.count("GET " + target) == 1u);
    BOOST_TEST(relabelled_target.count("PUT " + target) == 1u);
    auto s = r.secret("left-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(s->at("metadata").at("labels").at("tier") == "gold");
    BOOST_TEST(s->at("metadata").at("labels").at("added-by") == "someone-else");
}

BOOST_AUTO_TEST_CASE(orphans_of_a_renamed_target_are_found_in_the_cache_and_deleted_without_a_list) {
    cached_rig r;
    put_remote("rc-rename", "value-rc-rename");
    r.create_es("rename", one_entry("rename-first", "rc-rename"));
    BOOST_TEST(is(r.reconcile("rename"), ctl::sync_outcome::kind::synced));
    BOOST_REQUIRE(r.secret("rename-first"));
    r.patch_es("rename", R"({"spec":{"target":{"name":"rename-second"}}})");
    r.refresh_cache();
    r.fill_managed();
    // rename-first: created by `rename` under a name that is not `rename`, so in the index.
    BOOST_TEST(r.created_by.orphans(r.managed, "apps", "rename", "rename-second") == std::vector<std::string>{"rename-first"},
               boost::test_tools::per_element());
    BOOST_TEST(r.created_by.orphans(r.managed, "apps", "rename", "rename-first").empty());

    auto const from = r.cw.w.kube.requests().size();
    BOOST_TEST(is(r.reconcile_only("rename"), ctl::sync_outcome::kind::synced));
    auto const routes = kube_routes_since(from);
    BOOST_TEST_MESSAGE("Kubernetes requests of the renamed sync:\n" << describe(routes));
    BOOST_TEST(routes.count("GET /api/v1/namespaces/apps/secrets") == 0u);  // no LIST
    BOOST_TEST(routes.count("DELETE /api/v1/namespaces/apps/secrets/rename-first") == 1u);
    BOOST_TEST(!r.secret("rename-first"));
    auto s = r.secret("rename-second");
    BOOST_REQUIRE(s);
    BOOST_TEST(value_of(*s) == "value-rc-rename");
}

BOOST_AUTO_TEST_CASE(a_rotated_credential_is_used_after_the_revalidation_period_or_at_once_when_azure_refuses_the_old_one) {
    using timed_pipeline = esx::basic_pipeline<esx::default_auth, esx::default_vault_transport, esx::sink::kubernetes_secret<>,
                                               esx::object::default_kinds_t, esx::testing::fake_clock>;
    auto& cw = shared();
    create_object(esx::kube::resources::secrets, R"({"apiVersion":"v1","kind":"Secret",
        "metadata":{"name":"rotating-creds","namespace":"apps"},
        "stringData":{"ClientID":"sp-reader","ClientSecret":"sp-reader-secret"}})");
    create_object(esx::kube::resources::secret_stores, R"({"apiVersion":"external-secrets.io/v1","kind":"SecretStore",
        "metadata":{"name":"rotating","namespace":"apps"},
        "spec":{"provider":{"azurekv":{"tenantId":"esx-tenant","vaultUrl":")" + cw.w.vault_url("kv1") + R"(",
          "authSecretRef":{"clientId":{"name":"rotating-creds","key":"ClientID"},
                           "clientSecret":{"name":"rotating-creds","key":"ClientSecret"}}}}}})");
    auto rotate = [&](std::string const& client, std::string const& secret) {
        json::value body = json::parse(R"({"stringData":{"ClientID":")" + client + R"(","ClientSecret":")" + secret + R"("}})");
        auto p = esx::test::run(cw.ioc, cw.client()->patch(esx::kube::resources::secrets, "apps", "rotating-creds",
                                                           esx::kube::patch_type::merge, body));
        BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().what()));
    };
    put_remote("rc-rotate", "value-rc-rotate");
    auto es = spec::parse_as<spec::external_secret>(json::parse(R"({"apiVersion":"external-secrets.io/v1",
        "kind":"ExternalSecret","metadata":{"name":"rotate","namespace":"apps"},
        "spec":{"secretStoreRef":{"kind":"SecretStore","name":"rotating"},"target":{"name":"rotate-target"},
                "data":[{"secretKey":"value","remoteRef":{"key":"rc-rotate"}}]}})"));
    BOOST_REQUIRE_MESSAGE(es, (es ? "" : es.error().what()));

    esx::runtime rt(cw.w.options());
    auto kube = rt.kube().value();
    esx::testing::fake_clock clock;
    esx::pipeline_options po;
    po.store_revalidation = 5min;
    timed_pipeline p(rt, std::make_shared<esx::sink::kubernetes_secret<>>(kube), spec::manifest_set{}, po, clock);
    auto credential_reads = [&] { return cw.w.kube_requests("/api/v1/namespaces/apps/secrets/rotating-creds", "GET"); };
    auto reads_by = [&](std::string const& who) { return cw.w.vault_reads_of("/secrets/rc-rotate", who); };
    auto sync = [&] { return rt.run(p.sync(*es)); };

    auto const creds0 = credential_reads();
    auto const reader0 = reads_by("sp-reader"), admin0 = reads_by("sp-admin");
    BOOST_TEST(sync().ok());
    BOOST_TEST(credential_reads() == creds0 + 1);
    BOOST_TEST(reads_by("sp-reader") == reader0 + 1);

    // Rotated to another identity: within the period the kept resolution still serves.
    rotate("sp-admin", "sp-admin-secret");
    clock.advance(4min);
    BOOST_TEST(sync().ok());
    BOOST_TEST(credential_reads() == creds0 + 1);
    BOOST_TEST(reads_by("sp-reader") == reader0 + 2);

    // Past the period: read again, and the new credential reads.
    clock.advance(61s);
    BOOST_TEST(sync().ok());
    BOOST_TEST(credential_reads() == creds0 + 2);
    BOOST_TEST(reads_by("sp-admin") == admin0 + 1);
    BOOST_TEST(reads_by("sp-reader") == reader0 + 2);

    // Rotated back; Azure refuses the credential in use (sp-admin's: 401 to every request with a
    // token): that sync fails, and the next one reads the credential again at once, period or not.
    rotate("sp-reader", "sp-reader-secret");
    cw.w.azure.add_fault(R"({"kind":"status","status":401,"target":"vault","authorized_only":true,"count":-1})");
    auto refused = sync();
    cw.w.azure.clear_faults();
    BOOST_REQUIRE(refused.error);
    BOOST_TEST((*refused.error == esx::condition::auth_failed));
    BOOST_TEST(refused.error->what().find("sp-admin-secret") == std::string::npos);  // never a credential
    BOOST_TEST(p.stats().resolutions_dropped == 1u);
    BOOST_TEST(credential_reads() == creds0 + 2);
    BOOST_TEST(sync().ok());
    BOOST_TEST(credential_reads() == creds0 + 3);
    BOOST_TEST(reads_by("sp-reader") == reader0 + 3);
    auto s = shared().w.secret_in_cluster("apps", "rotate-target");
    BOOST_REQUIRE(s);
    BOOST_TEST(world::data_of(*s, "value") == "value-rc-rotate");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
