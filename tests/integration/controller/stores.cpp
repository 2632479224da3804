// The store reconciler, the ClusterExternalSecret reconciler and eviction (issue 12), against the
// in-process mock Kubernetes (serving esx's production CRDs from examples/controller/deploy/crds)
// and mock Azure over loopback TLS. The reflectors' caches are filled here from what the API
// server answers, as a reflector would; reconciles are driven one at a time.
#include "../pipeline/world.hpp"

#include <esx/controller.hpp>
#include <esx/kube/rate_limiter.hpp>
#include <esx/testing/fake_clock.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef ESX_CRD_DIR
#  error "ESX_CRD_DIR must name examples/controller/deploy/crds"
#endif

namespace {

using namespace esx::pipeline_test;
namespace ctl = esx::controller;
namespace spec = esx::spec;
namespace kube = esx::kube;

kube::resource const crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false, "CustomResourceDefinition"};

std::string file_text(std::string const& path) {
    std::ifstream in(path);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

kube::resource const& resource_of(std::string_view kind) {
    if (kind == "SecretStore") return kube::resources::secret_stores;
    if (kind == "ClusterSecretStore") return kube::resources::cluster_secret_stores;
    if (kind == "ExternalSecret") return kube::resources::external_secrets;
    if (kind == "ClusterExternalSecret") return kube::resources::cluster_external_secrets;
    if (kind == "Secret") return kube::resources::secrets;
    if (kind == "ServiceAccount") return kube::resources::service_accounts;
    BOOST_FAIL("no resource for kind " << kind);
    return kube::resources::secrets;
}

/// Both mocks with ESO's CRDs installed, a runtime on them, the caches a reflector would fill.
struct fixture {
    fixture() : rt(w.options()) {
        for (char const* plural : {"secretstores", "clustersecretstores", "externalsecrets", "clusterexternalsecrets"}) {
            auto docs = esx::yaml_documents(file_text(std::string(ESX_CRD_DIR) + "/" + plural + ".yaml"));
            BOOST_REQUIRE(docs);
            for (auto const& d : *docs)
                if (d.is_object()) {
                    auto made = run(client().create(crds, "", d.as_object()));
                    BOOST_REQUIRE_MESSAGE(made, (made ? "" : made.error().what()));
                }
        }
    }

    template <class T>
    T run(boost::asio::awaitable<T> task) {
        return rt.run(std::move(task));
    }

    kube::client<>& client() {
        auto c = rt.kube();
        BOOST_REQUIRE(c);
        return **c;
    }

    /// Creates every document of `yaml` in the cluster and caches the stores and CESs.
    void apply(std::string const& yaml) {
        auto docs = esx::yaml_documents(yaml);
        BOOST_REQUIRE_MESSAGE(docs, (docs ? "" : docs.error().what()));
        for (auto const& d : *docs) {
            if (!d.is_object()) continue;
            auto const& o = d.as_object();
            std::string const kind(o.at("kind").as_string());
            std::string ns;
            if (auto const* m = o.at("metadata").as_object().if_contains("namespace")) ns = std::string(m->as_string());
            auto made = run(client().create(resource_of(kind), ns, o));
            BOOST_REQUIRE_MESSAGE(made, kind << ": " << (made ? "" : made.error().what()));
            cache(kind, *made);
        }
    }

    /// Puts what the server holds of `kind ns/name` in the cache (or drops it), as a watch would.
    void refresh(std::string const& kind, std::string const& ns, std::string const& name) {
        auto got = run(client().get(resource_of(kind), ns, name));
        if (!got) {
            BOOST_REQUIRE(got.error() == esx::condition::not_found);
            ctl::object_key const key(ns, name);
            if (kind == "SecretStore") stores.erase(key);
            if (kind == "ClusterSecretStore") cluster_stores.erase(key);
            if (kind == "ClusterExternalSecret") ces_cache.erase(key);
            return;
        }
        cache(kind, *got);
    }

    void cache(std::string const& kind, boost::json::object const& doc) {
        boost::json::value const v(doc);
        if (kind == "SecretStore" || kind == "ClusterSecretStore") {
            auto s = spec::read_secret_store(v);
            BOOST_REQUIRE_MESSAGE(s, (s ? "" : s.error().what()));
            ctl::object_key key(s->metadata.namespace_, s->metadata.name);
            auto& c = kind == "SecretStore" ? stores : cluster_stores;
            c.upsert(std::move(key), std::make_shared<spec::secret_store const>(std::move(*s)));
        } else if (kind == "ClusterExternalSecret") {
            auto s = spec::read_cluster_external_secret(v);
            BOOST_REQUIRE_MESSAGE(s, (s ? "" : s.error().what()));
            ctl::object_key key({}, s->metadata.name);
            ces_cache.upsert(std::move(key), std::make_shared<spec::cluster_external_secret const>(std::move(*s)));
        }
    }

    void remove(std::string const& kind, std::string const& ns, std::string const& name) {
        auto gone = run(client().remove(resource_of(kind), ns, name));
        BOOST_REQUIRE_MESSAGE(gone, (gone ? "" : gone.error().what()));
        refresh(kind, ns, name);
    }

    void label_namespace(std::string const& ns, std::string const& key, std::optional<std::string> value) {
        boost::json::object labels;
        if (value) labels[key] = *value;
        else labels[key] = nullptr;
        boost::json::value const body = boost::json::object{{"metadata", boost::json::object{{"labels", labels}}}};
        auto r = run(client().patch(kube::resources::namespaces, "", ns, kube::patch_type::merge, body));
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    }

    /// `.status` of an object as the API server holds it (null if none).
    boost::json::value status(std::string const& kind, std::string const& ns, std::string const& name) {
        auto got = run(client().get(resource_of(kind), ns, name));
        BOOST_REQUIRE_MESSAGE(got, (got ? "" : got.error().what()));
        if (auto const* s = got->if_contains("status")) return *s;
        return nullptr;
    }

    std::optional<boost::json::object> get(std::string const& kind, std::string const& ns, std::string const& name) {
        auto got = run(client().get(resource_of(kind), ns, name));
        if (!got) return std::nullopt;
        return std::move(*got);
    }

    template <class Reconciler>
    ctl::sync_outcome reconcile(Reconciler& r, std::string const& ns, std::string const& name) {
        auto task = [](Reconciler r, ctl::object_key k) -> boost::asio::awaitable<std::optional<ctl::sync_outcome>> {
            co_return co_await r.reconcile(std::move(k));
        };
        return *run(task(r, ctl::object_key(ns, name)));
    }

    /// Writes (POST, PUT, PATCH, DELETE) the mock cluster answered so far.
    std::size_t kube_writes() const {
        std::size_t n = 0;
        for (auto const& r : w.kube.requests())
            if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH" || r.method == "DELETE") ++n;
        return n;
    }

    world w;
    esx::runtime rt;
    ctl::object_cache<spec::secret_store> stores, cluster_stores;
    ctl::object_cache<spec::cluster_external_secret> ces_cache;
};

std::string sp_store(std::string const& name, std::string const& creds, std::string const& vault_url,
                     std::string const& ns = "apps") {
    return "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  provider:\n    azurekv:\n      tenantId: esx-tenant\n      vaultUrl: \"" + vault_url +
           "\"\n      authSecretRef:\n        clientId: {name: " + creds + ", key: ClientID}\n        clientSecret: {name: " +
           creds + ", key: ClientSecret}\n";
}

std::string mi_store(std::string const& kind, std::string const& name, std::string const& vault_url,
                     std::string const& extra = {}) {
    std::string meta = kind == "SecretStore" ? "{name: " + name + ", namespace: apps}" : "{name: " + name + "}";
    return "---\napiVersion: external-secrets.io/v1\nkind: " + kind + "\nmetadata: " + meta +
           "\nspec:\n  provider:\n    azurekv:\n      authType: ManagedIdentity\n      vaultUrl: \"" + vault_url + "\"\n" +
           extra;
}

std::string es_yaml(std::string const& name, std::string const& ns, std::string const& store,
                    std::string const& kind = "SecretStore") {
    return "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  secretStoreRef: {kind: " + kind + ", name: " + store +
           "}\n  data:\n  - {secretKey: one, remoteRef: {key: e2e-one}}\n";
}

spec::manifest_set manifests(std::string const& yaml) {
    auto set = spec::read_manifests(yaml, "test.yaml");
    BOOST_REQUIRE_MESSAGE(set, (set ? "" : set.error().what()));
    for (auto const& e : set->errors) BOOST_ERROR("document " << e.index << ": " << e.error.what());
    return std::move(*set);
}

std::string text(boost::json::value const& v, std::initializer_list<std::string_view> path) {
    boost::json::value const* at = &v;
    for (auto k : path) {
        if (!at->is_object()) return "<none>";
        at = at->as_object().if_contains(k);
        if (!at) return "<none>";
    }
    return at->is_string() ? std::string(at->as_string()) : boost::json::serialize(*at);
}

/// The `Ready` condition of a status value.
std::optional<spec::status_condition> ready_of(boost::json::value const& status) {
    return ctl::detail::condition_of(&status, "Ready");
}

ctl::store_key secret_store_key(std::string const& ns, std::string const& name) {
    return {spec::store_kind::secret_store, ctl::object_key(ns, name)};
}

using outcome_kind = ctl::sync_outcome::kind;

// Both drive a worker pool.
static_assert(ctl::reconciler<ctl::store_reconciler, ctl::basic_work_queue<>::work_item>);
static_assert(ctl::reconciler<ctl::cluster_external_secret_reconciler, ctl::basic_work_queue<>::work_item>);

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(controller)
BOOST_AUTO_TEST_SUITE(stores)

// A valid store is Ready after one token request, which the first sync of an ExternalSecret then
// reuses; a second reconcile asks Azure nothing and writes no status. Checked with kubectl too.
BOOST_AUTO_TEST_CASE(valid_store_is_ready_after_one_token_request_that_syncs_reuse) {
    fixture f;
    f.apply(sp_store("kv", "sp-creds", f.w.vault_url("kv1")));
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    ctl::basic_event_recorder<kube::client<>> events(f.client());
    r.on_event(ctl::post_through(events));

    auto out = f.reconcile(r, "apps", "kv");
    BOOST_TEST((out.what() == outcome_kind::synced));
    BOOST_TEST((out.refresh_after() == std::chrono::nanoseconds(std::chrono::minutes(5))));
    BOOST_TEST(f.w.token_requests() == 1u);
    BOOST_TEST(f.w.token_requests("sp-reader") == 1u);
    BOOST_TEST(f.w.vault_reads() == 0u);  // Ready means usable; Key Vault itself is read by syncs

    auto status = f.status("SecretStore", "apps", "kv");
    auto ready = ready_of(status);
    BOOST_REQUIRE(ready);
    BOOST_TEST(ready->status == "True");
    BOOST_TEST(ready->reason == "Valid");
    BOOST_TEST(ready->message == "store validated");
    BOOST_TEST(!ready->last_transition_time.empty());
    BOOST_TEST(text(status, {"capabilities"}) == "ReadWrite");
    BOOST_TEST(r.ready(secret_store_key("apps", "kv")));
    BOOST_TEST(events.stats().created == 1u);

    // Again: the token is cached, the status unchanged, so nothing is asked or written.
    auto const writes = f.kube_writes();
    auto again = f.reconcile(r, "apps", "kv");
    BOOST_TEST((again.what() == outcome_kind::synced));
    BOOST_TEST(f.w.token_requests() == 1u);
    BOOST_TEST(r.stats().status_writes == 1u);
    BOOST_TEST(r.stats().status_reads == 1u);
    BOOST_TEST(ready_of(f.status("SecretStore", "apps", "kv"))->last_transition_time == ready->last_transition_time);
    BOOST_TEST(f.kube_writes() == writes + 1);  // the repeated Valid event's count bump only
    BOOST_TEST(events.stats().bumped == 1u);

    // The first sync through the pipeline finds the store's token in the runtime's cache.
    auto sink = std::make_shared<esx::sink::memory>();
    esx::pipeline<esx::sink::memory> p(f.rt, sink, manifests(es_yaml("uses-kv", "apps", "kv")));
    auto results = f.rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(results.size(), 1u);
    BOOST_REQUIRE_MESSAGE(results[0].ok(), (results[0].error ? results[0].error->what() : ""));
    BOOST_TEST(std::string(sink->find("apps", "uses-kv")->data.at("one").reveal()) == "bar");
    BOOST_TEST(f.w.token_requests() == 1u);

    auto table = f.w.kubectl("get secretstores -n apps");
    BOOST_TEST_MESSAGE(table);
    BOOST_TEST(table.find("Valid") != std::string::npos);
    BOOST_TEST(table.find("ReadWrite") != std::string::npos);
    BOOST_TEST(table.find("True") != std::string::npos);
}

// A store whose credential Secret does not exist is not Ready, with a message naming the field;
// it is retried (backoff) and recovers once the Secret appears. A missing key names its field.
BOOST_AUTO_TEST_CASE(store_with_missing_credentials_is_not_ready_and_recovers_when_the_secret_appears) {
    fixture f;
    f.apply(sp_store("late", "late-creds", f.w.vault_url("kv1")));
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    std::vector<std::pair<std::string, bool>> changes;
    r.on_readiness([&](ctl::store_key const& k, bool ready) { changes.emplace_back(k.key.str(), ready); });

    auto out = f.reconcile(r, "apps", "late");
    BOOST_TEST((out.what() == outcome_kind::retryable_failure));
    auto ready = ready_of(f.status("SecretStore", "apps", "late"));
    BOOST_REQUIRE(ready);
    BOOST_TEST(ready->status == "False");
    BOOST_TEST(ready->reason == "InvalidProviderConfig");
    BOOST_TEST_MESSAGE(ready->message);
    BOOST_TEST(ready->message.starts_with("unable to create client: spec.provider.azurekv.authSecretRef.clientId: "
                                          "cannot get Kubernetes secret \"late-creds\" from namespace \"apps\""));
    BOOST_TEST(!r.ready(secret_store_key("apps", "late")));
    BOOST_TEST(f.w.token_requests() == 0u);

    // Half the credentials: the missing key is named.
    f.apply("---\napiVersion: v1\nkind: Secret\nmetadata: {name: late-creds, namespace: apps}\n"
            "stringData: {ClientID: sp-reader}\n");
    auto half = f.reconcile(r, "apps", "late");
    BOOST_TEST((half.what() == outcome_kind::retryable_failure));
    auto half_ready = ready_of(f.status("SecretStore", "apps", "late"));
    BOOST_TEST(half_ready->message == "unable to create client: spec.provider.azurekv.authSecretRef.clientSecret.key: "
                                      "cannot find secret data for key: \"ClientSecret\"");
    BOOST_TEST(half_ready->last_transition_time == ready->last_transition_time);  // still False

    // The whole Secret: Ready, and the controller is told.
    boost::json::value const body = boost::json::object{{"stringData", {{"ClientSecret", "sp-reader-secret"}}}};
    auto patched = f.run(f.client().patch(kube::resources::secrets, "apps", "late-creds", kube::patch_type::merge, body));
    BOOST_REQUIRE(patched);
    auto fixed = f.reconcile(r, "apps", "late");
    BOOST_TEST((fixed.what() == outcome_kind::synced));
    auto now_ready = ready_of(f.status("SecretStore", "apps", "late"));
    BOOST_TEST(now_ready->status == "True");
    BOOST_TEST(now_ready->reason == "Valid");
    BOOST_TEST(r.ready(secret_store_key("apps", "late")));
    BOOST_TEST(f.w.token_requests() == 1u);
    BOOST_REQUIRE_EQUAL(changes.size(), 2u);
    BOOST_TEST((changes[0] == std::pair<std::string, bool>("apps/late", false)));
    BOOST_TEST((changes[1] == std::pair<std::string, bool>("apps/late", true)));
    // No credential value reached the status.
    for (auto const& s : {boost::json::serialize(f.status("SecretStore", "apps", "late")), half_ready->message})
        BOOST_TEST(s.find("sp-reader-secret") == std::string::npos);
}

// Managed identity (and mounted workload identity) from a namespaced SecretStore authenticate as
// the controller: refused, naming the option, unless allowed; a ClusterSecretStore may use them.
BOOST_AUTO_TEST_CASE(namespaced_store_with_controller_identity_is_refused_unless_allowed) {
    fixture f;
    f.apply(mi_store("SecretStore", "mi", f.w.vault_url("kv1")));
    f.apply("---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: mounted, namespace: apps}\n"
            "spec:\n  provider:\n    azurekv:\n      authType: WorkloadIdentity\n      vaultUrl: \"" +
            f.w.vault_url("kv1") + "\"\n");
    f.apply(mi_store("ClusterSecretStore", "cluster-mi", f.w.vault_url("kv1")));
    ctl::store_reconciler strict(f.rt, f.stores, f.cluster_stores);

    auto refused = f.reconcile(strict, "apps", "mi");
    BOOST_TEST((refused.what() == outcome_kind::permanent_failure));
    auto ready = ready_of(f.status("SecretStore", "apps", "mi"));
    BOOST_REQUIRE(ready);
    BOOST_TEST(ready->status == "False");
    BOOST_TEST_MESSAGE(ready->message);
    BOOST_TEST(ready->message.find("spec.provider.azurekv.authType: ManagedIdentity") != std::string::npos);
    BOOST_TEST(ready->message.find("allow-controller-identity") != std::string::npos);
    auto mounted = f.reconcile(strict, "apps", "mounted");
    BOOST_TEST((mounted.what() == outcome_kind::permanent_failure));
    BOOST_TEST(ready_of(f.status("SecretStore", "apps", "mounted"))->message.find("spec.provider.azurekv.serviceAccountRef") !=
               std::string::npos);
    BOOST_TEST(f.w.token_requests() == 0u);  // refused before anything was asked

    auto cluster = f.reconcile(strict, "", "cluster-mi");
    BOOST_TEST((cluster.what() == outcome_kind::synced));
    BOOST_TEST(ready_of(f.status("ClusterSecretStore", "", "cluster-mi"))->reason == "Valid");
    BOOST_TEST(f.w.token_requests("mi-system") == 1u);

    ctl::store_reconcile_options allow;
    allow.allow_controller_identity = true;
    ctl::store_reconciler lenient(f.rt, f.stores, f.cluster_stores, allow);
    auto allowed = f.reconcile(lenient, "apps", "mi");
    BOOST_TEST((allowed.what() == outcome_kind::synced));
    BOOST_TEST(ready_of(f.status("SecretStore", "apps", "mi"))->status == "True");
    BOOST_TEST(f.w.token_requests("mi-system") == 1u);  // the same identity's token, cached
}

// A namespaced store that names another namespace's Secret is refused before anything is read:
// no request for a Secret of that namespace reaches the API server.
BOOST_AUTO_TEST_CASE(namespaced_store_never_reads_another_namespaces_secret) {
    fixture f;
    f.apply("---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: cross, namespace: apps}\n"
            "spec:\n  provider:\n    azurekv:\n      tenantId: esx-tenant\n      vaultUrl: \"" + f.w.vault_url("kv1") +
            "\"\n      authSecretRef:\n        clientId: {name: sp-creds, key: ClientID, namespace: other}\n"
            "        clientSecret: {name: sp-creds, key: ClientSecret, namespace: other}\n");
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    auto out = f.reconcile(r, "apps", "cross");
    BOOST_TEST((out.what() == outcome_kind::permanent_failure));
    auto ready = ready_of(f.status("SecretStore", "apps", "cross"));
    BOOST_REQUIRE(ready);
    BOOST_TEST_MESSAGE(ready->message);
    BOOST_TEST(ready->message.find("spec.provider.azurekv.authSecretRef.clientId.namespace") != std::string::npos);
    BOOST_TEST(f.w.kube_requests("/api/v1/namespaces/other/secrets") == 0u);
    BOOST_TEST(f.w.kube_requests("/api/v1/namespaces/apps/secrets") == 0u);
    BOOST_TEST(f.w.token_requests() == 0u);
}

// Workload identity from a namespaced store whose serviceAccountRef names another namespace's
// ServiceAccount: refused before anything is read, by the store reconciler and by a sync alike;
// no request for that namespace's ServiceAccount or a TokenRequest for it reaches the API
// server, and Entra ID is not asked. The same store naming its own namespace's ServiceAccount
// reads it and requests its token there (so the paths counted are the ones a read would take).
BOOST_AUTO_TEST_CASE(namespaced_store_never_reads_another_namespaces_service_account) {
    fixture f;
    auto const wi_store = [&](std::string const& name, std::string const& sa_namespace) {
        return "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: " + name +
               ", namespace: apps}\nspec:\n  provider:\n    azurekv:\n      authType: WorkloadIdentity\n"
               "      vaultUrl: \"" + f.w.vault_url("kv1") + "\"\n      serviceAccountRef: {name: sync" +
               (sa_namespace.empty() ? std::string() : ", namespace: " + sa_namespace) + "}\n";
    };
    // The other namespace holds a ServiceAccount of that name, federated like apps' one.
    f.apply("---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sync, namespace: other, annotations: "
            "{azure.workload.identity/client-id: wi-app, azure.workload.identity/tenant-id: esx-tenant}}\n");
    f.apply(wi_store("cross-sa", "other"));
    f.w.kube.reset_log();
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    auto out = f.reconcile(r, "apps", "cross-sa");
    BOOST_TEST((out.what() == outcome_kind::permanent_failure));
    auto ready = ready_of(f.status("SecretStore", "apps", "cross-sa"));
    BOOST_REQUIRE(ready);
    BOOST_TEST(ready->status == "False");
    BOOST_TEST_MESSAGE(ready->message);
    BOOST_TEST(ready->message.find("spec.provider.azurekv.serviceAccountRef") != std::string::npos);

    // A sync through the pipeline (what the ExternalSecret reconciler runs) is refused the same way.
    auto sink = std::make_shared<esx::sink::memory>();
    esx::pipeline<esx::sink::memory> p(f.rt, sink, manifests(es_yaml("uses-cross-sa", "apps", "cross-sa")));
    auto results = f.rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(results.size(), 1u);
    BOOST_REQUIRE(!results[0].ok());
    BOOST_TEST_MESSAGE(results[0].error->what());
    BOOST_TEST(results[0].error->what().find("serviceAccountRef") != std::string::npos);
    BOOST_TEST(f.w.kube_requests("/api/v1/namespaces/other/") == 0u);  // no SA read, no TokenRequest
    BOOST_TEST(f.w.kube_requests("/api/v1/namespaces/apps/serviceaccounts") == 0u);
    BOOST_TEST(f.w.token_requests() == 0u);

    // Its own namespace's ServiceAccount: read, its token requested, both in apps only.
    f.apply(wi_store("own-sa", ""));
    auto own = f.reconcile(r, "apps", "own-sa");
    BOOST_TEST((own.what() == outcome_kind::synced));
    BOOST_TEST(ready_of(f.status("SecretStore", "apps", "own-sa"))->status == "True");
    BOOST_TEST(f.w.kube_requests("/api/v1/namespaces/apps/serviceaccounts/sync/token", "POST") >= 1u);
    BOOST_TEST(f.w.kube_requests("/api/v1/namespaces/other/") == 0u);
    BOOST_TEST(f.w.token_requests("wi-app") == 1u);
}

// A ClusterSecretStore's conditions (namespaceSelector, namespaces, namespaceRegexes) decide which
// namespaces' ExternalSecrets may use it: the store is Ready, and syncs from other namespaces are
// refused with ESO's message.
BOOST_AUTO_TEST_CASE(cluster_store_conditions_are_honoured) {
    fixture f;
    f.label_namespace("other", "tier", "gold");
    f.apply(mi_store("ClusterSecretStore", "gated", f.w.vault_url("kv1"),
                     "  conditions:\n  - namespaceSelector: {matchLabels: {tier: gold}}\n  - namespaces: [team-a]\n"
                     "  - namespaceRegexes: [\"^team-b$\"]\n"));
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    auto out = f.reconcile(r, "", "gated");
    BOOST_TEST((out.what() == outcome_kind::synced));
    BOOST_TEST(r.ready({spec::store_kind::cluster_secret_store, ctl::object_key("", "gated")}));

    auto sink = std::make_shared<esx::sink::memory>();
    esx::pipeline<esx::sink::memory> p(f.rt, sink,
                                       manifests(es_yaml("by-list", "team-a", "gated", "ClusterSecretStore") +
                                                 es_yaml("by-regex", "team-b", "gated", "ClusterSecretStore") +
                                                 es_yaml("by-label", "other", "gated", "ClusterSecretStore") +
                                                 es_yaml("denied", "default", "gated", "ClusterSecretStore")));
    auto results = f.rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(results.size(), 4u);
    for (int i = 0; i < 3; ++i) BOOST_CHECK_MESSAGE(results[i].ok(), (results[i].error ? results[i].error->what() : ""));
    BOOST_TEST(std::string(sink->find("other", "by-label")->data.at("one").reveal()) == "bar");
    BOOST_REQUIRE(!results[3].ok());
    BOOST_TEST(results[3].error->what().find("using cluster store \"gated\" is not allowed from namespace \"default\": "
                                             "denied by spec.condition") != std::string::npos);
    BOOST_TEST(f.w.token_requests("mi-system") == 1u);  // the store's validation token served every sync
}

// A ClusterExternalSecret makes one owned ExternalSecret per selected namespace, leaves an
// unowned one alone (a failed namespace), removes its child when a namespace stops matching,
// writes nothing in a steady state, and cleans up through its finalizer when deleted.
BOOST_AUTO_TEST_CASE(cluster_external_secret_fans_out_and_follows_namespace_labels) {
    fixture f;
    f.label_namespace("apps", "esx-fan", "yes");
    f.label_namespace("team-b", "esx-fan", "yes");
    f.label_namespace("other", "esx-fan", "yes");
    f.apply(es_yaml("fan", "other", "kv"));  // someone else's ExternalSecret of the same name
    f.apply("---\napiVersion: external-secrets.io/v1\nkind: ClusterExternalSecret\n"
            "metadata: {name: fan, annotations: {external-secrets.io/force-sync: \"1\"}}\n"
            "spec:\n  externalSecretMetadata: {labels: {team: platform}, annotations: {note: from-ces}}\n"
            "  namespaceSelectors:\n  - matchLabels: {esx-fan: \"yes\"}\n  namespaces: [team-a]\n  refreshTime: 30m\n"
            "  externalSecretSpec:\n    secretStoreRef: {kind: ClusterSecretStore, name: gated}\n"
            "    data:\n    - {secretKey: one, remoteRef: {key: e2e-one}}\n");
    ctl::cluster_external_secret_reconciler r(*f.rt.kube(), f.ces_cache);

    auto out = f.reconcile(r, "", "fan");
    BOOST_TEST((out.what() == outcome_kind::synced));
    BOOST_TEST((out.refresh_after() == std::chrono::nanoseconds(std::chrono::minutes(30))));
    for (char const* ns : {"apps", "team-a", "team-b"}) {
        auto child = f.get("ExternalSecret", ns, "fan");
        BOOST_REQUIRE_MESSAGE(child, ns);
        boost::json::value const c(*child);
        auto const& ref = child->at("metadata").at("ownerReferences").as_array().at(0);
        BOOST_TEST(text(ref, {"kind"}) == "ClusterExternalSecret");
        BOOST_TEST(text(ref, {"name"}) == "fan");
        BOOST_TEST(text(ref, {"controller"}) == "true");
        BOOST_TEST(text(c, {"metadata", "labels", "team"}) == "platform");
        BOOST_TEST(text(c, {"metadata", "annotations", "note"}) == "from-ces");
        BOOST_TEST(text(c, {"metadata", "annotations", "external-secrets.io/force-sync"}) == "1");
        BOOST_TEST(text(c, {"spec", "secretStoreRef", "name"}) == "gated");
    }
    auto theirs = f.get("ExternalSecret", "other", "fan");
    BOOST_REQUIRE(theirs);
    BOOST_TEST(!theirs->at("metadata").as_object().contains("ownerReferences"));
    BOOST_TEST(text(boost::json::value(*theirs), {"spec", "secretStoreRef", "name"}) == "kv");

    auto status = f.status("ClusterExternalSecret", "", "fan");
    BOOST_TEST(text(status, {"externalSecretName"}) == "fan");
    BOOST_TEST(text(status, {"provisionedNamespaces"}) == R"(["apps","team-a","team-b"])");
    BOOST_TEST(text(status, {"failedNamespaces"}) ==
               R"([{"namespace":"other","reason":"external secret already exists in namespace"}])");
    auto ready = ready_of(status);
    BOOST_REQUIRE(ready);
    BOOST_TEST(ready->status == "False");
    BOOST_TEST(ready->message == "one or more namespaces failed");
    auto ces = f.get("ClusterExternalSecret", "", "fan");
    BOOST_TEST(text(boost::json::value(*ces), {"metadata", "finalizers"}) ==
               R"(["externalsecrets.external-secrets.io/clusterexternalsecret-cleanup"])");

    // Steady state: nothing written.
    f.refresh("ClusterExternalSecret", "", "fan");
    auto const writes = f.kube_writes();
    auto steady = f.reconcile(r, "", "fan");
    BOOST_TEST((steady.what() == outcome_kind::synced));
    BOOST_TEST(f.kube_writes() == writes);
    BOOST_TEST(r.stats().created == 3u);
    BOOST_TEST(r.stats().updated == 0u);

    // team-b stops matching: its child goes; the other namespace's owner removes its own ES.
    f.label_namespace("team-b", "esx-fan", std::nullopt);
    f.remove("ExternalSecret", "other", "fan");
    f.reconcile(r, "", "fan");
    BOOST_TEST(!f.get("ExternalSecret", "team-b", "fan"));
    auto after = f.status("ClusterExternalSecret", "", "fan");
    BOOST_TEST(text(after, {"provisionedNamespaces"}) == R"(["apps","other","team-a"])");
    BOOST_TEST(text(after, {"failedNamespaces"}) == "<none>");
    BOOST_TEST(ready_of(after)->status == "True");
    auto listed = f.w.kubectl("get externalsecrets -A");
    BOOST_TEST_MESSAGE(listed);
    BOOST_TEST(listed.find("team-b") == std::string::npos);
    BOOST_TEST(listed.find("other") != std::string::npos);

    // A changed spec reaches the children.
    boost::json::value const change = boost::json::object{
        {"spec", {{"externalSecretMetadata", {{"labels", {{"team", "security"}}}}}}}};
    auto patched = f.run(f.client().patch(kube::resources::cluster_external_secrets, "", "fan", kube::patch_type::merge, change));
    BOOST_REQUIRE(patched);
    f.refresh("ClusterExternalSecret", "", "fan");
    f.reconcile(r, "", "fan");
    BOOST_TEST(text(boost::json::value(*f.get("ExternalSecret", "apps", "fan")), {"metadata", "labels", "team"}) == "security");
    BOOST_TEST(r.stats().updated == 3u);

    // Deleted: the finalizer holds it until the children are gone.
    f.remove("ClusterExternalSecret", "", "fan");
    BOOST_REQUIRE(f.ces_cache.find(ctl::object_key("", "fan")));  // terminating, kept by the finalizer
    auto gone = f.reconcile(r, "", "fan");
    BOOST_TEST((gone.what() == outcome_kind::synced));
    for (char const* ns : {"apps", "other", "team-a"}) BOOST_CHECK_MESSAGE(!f.get("ExternalSecret", ns, "fan"), ns);
    BOOST_TEST(!f.get("ClusterExternalSecret", "", "fan"));
}

// Eviction: a deleted store's token-cache entries and the pipeline's vault clients go once no
// other store uses the identity or the vault client, so a long-running process does not grow.
BOOST_AUTO_TEST_CASE(deleted_stores_evict_their_tokens_and_vault_clients) {
    fixture f;
    f.apply(sp_store("kv", "sp-creds", f.w.vault_url("kv1")) + sp_store("kv-b", "sp-creds", f.w.vault_url("kv1")) +
            mi_store("ClusterSecretStore", "by-node", f.w.vault_url("kv1")));
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    auto sink = std::make_shared<esx::sink::memory>();
    esx::pipeline<esx::sink::memory> p(f.rt, sink,
                                       manifests(es_yaml("a", "apps", "kv") + es_yaml("b", "apps", "kv-b") +
                                                 es_yaml("c", "apps", "by-node", "ClusterSecretStore")));
    std::vector<std::string> deleted;
    r.on_deleted([&](ctl::store_key const& k) {
        deleted.push_back(k.key.str());
        p.forget_store(k.kind, k.key.namespace_(), k.key.name());
    });
    auto tokens = f.rt.token_cache<>();
    for (char const* name : {"kv", "kv-b"}) BOOST_TEST((f.reconcile(r, "apps", name).what() == outcome_kind::synced));
    BOOST_TEST((f.reconcile(r, "", "by-node").what() == outcome_kind::synced));
    auto results = f.rt.run(p.sync_all());
    for (auto const& res : results) BOOST_CHECK_MESSAGE(res.ok(), (res.error ? res.error->what() : ""));
    BOOST_TEST(tokens->size() == 2u);       // sp-reader and mi-system, one scope each
    BOOST_TEST(p.vault_clients() == 2u);    // (sp-reader, kv1) shared by kv and kv-b; (mi-system, kv1)
    BOOST_TEST(f.w.token_requests() == 2u);

    f.remove("SecretStore", "apps", "kv");
    f.reconcile(r, "apps", "kv");
    BOOST_TEST(tokens->size() == 2u);  // kv-b still uses sp-reader
    BOOST_TEST(p.vault_clients() == 2u);

    f.remove("SecretStore", "apps", "kv-b");
    f.reconcile(r, "apps", "kv-b");
    BOOST_TEST(tokens->size() == 1u);
    BOOST_TEST(p.vault_clients() == 1u);

    f.remove("ClusterSecretStore", "", "by-node");
    f.reconcile(r, "", "by-node");
    BOOST_TEST(tokens->size() == 0u);
    BOOST_TEST(p.vault_clients() == 0u);
    BOOST_TEST(r.stats().tokens_evicted == 2u);
    BOOST_TEST((deleted == std::vector<std::string>{"apps/kv", "apps/kv-b", "by-node"}));
    BOOST_TEST(!r.ready(secret_store_key("apps", "kv")));
}

// The store reconciler reads a vault's challenge once per process: N stores on one vault, each
// validated twice, cost one token-less 401, also across reconcilers of the same runtime; each
// store still verifies the kept challenge against its own cloud and vault.
BOOST_AUTO_TEST_CASE(validations_of_stores_on_one_vault_make_one_challenge_probe) {
    fixture f;
    f.apply(sp_store("kv-a", "sp-creds", f.w.vault_url("kv1")) + sp_store("kv-b", "sp-creds", f.w.vault_url("kv1")) +
            sp_store("kv-c", "sp-creds", f.w.vault_url("kv1")));
    auto challenges = [&] {
        std::size_t n = 0;
        for (auto const& r : f.w.azure.requests())
            if (r.service == "vault" && r.status == 401 && !r.authorization) ++n;
        return n;
    };
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    for (int round = 0; round < 2; ++round)
        for (char const* name : {"kv-a", "kv-b", "kv-c"})
            BOOST_TEST((f.reconcile(r, "apps", name).what() == outcome_kind::synced));
    BOOST_TEST(r.stats().validations == 6u);
    BOOST_TEST(r.stats().probes == 1u);
    BOOST_TEST(r.stats().probes_saved == 5u);
    BOOST_TEST(challenges() == 1u);
    BOOST_TEST(f.w.token_requests() == 1u);  // one identity, one scope

    // Another reconciler on the same runtime (a restart of the component, not of the process).
    ctl::store_reconciler again(f.rt, f.stores, f.cluster_stores);
    BOOST_TEST((f.reconcile(again, "apps", "kv-a").what() == outcome_kind::synced));
    BOOST_TEST(again.stats().probes == 0u);
    BOOST_TEST(challenges() == 1u);

    // A store on another vault asks that vault once.
    f.apply(sp_store("kv-other", "sp-creds", f.w.vault_url("kv2")));
    BOOST_TEST((f.reconcile(r, "apps", "kv-other").what() == outcome_kind::synced));
    BOOST_TEST(r.stats().probes == 2u);
    BOOST_TEST(challenges() == 2u);
}

// The Azure call limit (`--azure-qps`/`--azure-burst`): every request of the runtime's Azure
// transports waits for it, token endpoint and vault alike; waits go through the clock (a fake one
// here: no request really waits); 0 turns it off.
BOOST_AUTO_TEST_CASE(the_azure_call_limit_paces_every_azure_request_and_zero_disables_it) {
    fixture f;
    f.apply(sp_store("kv", "sp-creds", f.w.vault_url("kv1")));
    esx::testing::fake_clock clock;
    kube::rate_limiter<esx::testing::fake_clock> limit(10, 2, clock);  // 2 at once, then one per 100 ms
    std::size_t paced = 0;
    f.rt.pace_azure_requests([&] {
        ++paced;
        return limit.acquire();
    });

    // The store's validation: its challenge probe and its token request, within the burst.
    ctl::store_reconciler r(f.rt, f.stores, f.cluster_stores);
    BOOST_TEST((f.reconcile(r, "apps", "kv").what() == outcome_kind::synced));
    auto const validation_requests = f.w.azure.requests().size();
    BOOST_TEST(paced == validation_requests);  // every Azure request of the validation waited its turn
    BOOST_TEST(paced == 2u);
    BOOST_TEST(clock.sleeps().empty());

    // Five Key Vault reads beyond the burst: each waits 100 ms on the clock, in order.
    auto sink = std::make_shared<esx::sink::memory>();
    std::string many;
    for (int i = 0; i < 5; ++i)
        many += "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: reader-" +
                std::to_string(i) + ", namespace: apps}\nspec:\n  secretStoreRef: {kind: SecretStore, name: kv}\n"
                "  data:\n  - {secretKey: one, remoteRef: {key: shared-" + std::to_string(i) + "}}\n";
    auto set = manifests(many);
    esx::pipeline_options po;
    po.concurrency = 1;
    esx::pipeline<esx::sink::memory> p(f.rt, sink, std::move(set), po);
    auto results = f.rt.run(p.sync_all());
    for (auto const& res : results) BOOST_CHECK_MESSAGE(res.ok(), (res.error ? res.error->what() : ""));
    auto const sent = f.w.azure.requests().size() - validation_requests;
    BOOST_TEST(sent >= 5u);  // five reads (and the pipeline's vault client's own first probe)
    BOOST_TEST(paced == validation_requests + sent);
    BOOST_TEST(limit.throttled() == sent);
    BOOST_TEST(clock.sleeps().size() == sent);
    for (auto const& d : clock.sleeps()) BOOST_TEST((d == std::chrono::milliseconds(100)));

    // 0: no limit. The requests still go through the hook, and nobody waits.
    kube::rate_limiter<esx::testing::fake_clock> off(0, 2, clock);
    f.rt.pace_azure_requests([&] { return off.acquire(); });
    auto const before = clock.sleeps().size();
    auto const sent_before = f.w.azure.requests().size();
    auto again = f.rt.run(p.sync_all());
    for (auto const& res : again) BOOST_CHECK_MESSAGE(res.ok(), (res.error ? res.error->what() : ""));
    BOOST_TEST(f.w.azure.requests().size() >= sent_before + 5);  // read again (a new run), all at once
    BOOST_TEST(off.throttled() == 0u);
    BOOST_TEST(clock.sleeps().size() == before);
    f.rt.pace_azure_requests(nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
