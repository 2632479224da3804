// esx::sink::kubernetes_secret against the in-process mock API server over loopback TLS:
// ESO's creation and deletion policies, ownership, managed keys through managedFields, no
// write when unchanged, conditional writes racing a real concurrent writer, failures that
// leave the Secret byte-identical, dry runs; read back with kubectl as a user would, and the
// json sink's List compared with `kubectl get -o json`.
#include "tests/support/temp_dir.hpp"
#include <esx/kube.hpp>
#include <esx/sink/detail/base64.hpp>
#include <esx/sink/json.hpp>
#include <esx/sink/kubernetes_secret.hpp>
#include <esx/transform/hash.hpp>

#include <server.hpp> // mocks/kube

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace bj = boost::json;
namespace net = boost::asio;
namespace k8s = esx::kube;
namespace mock = esx::mocks::kube;
namespace sink = esx::sink;
using esx::secret_bytes;
using esx::spec::creation_policy;
using esx::spec::deletion_policy;

std::string const secret_value = "s3cr3t-value-never-logged";
std::string const secret_path = "/api/v1/namespaces/team-a/secrets/db";

std::string const seed = R"({
  "users": [{"name": "admin", "token": "esx-admin-token"}],
  "namespaces": ["default", "team-a"],
  "objects": [
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "externalsecrets.external-secrets.io"},
     "spec": {"group": "external-secrets.io", "scope": "Namespaced",
              "names": {"plural": "externalsecrets", "singular": "externalsecret", "kind": "ExternalSecret"},
              "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}
  ]
})";

using hook_fn = std::function<net::awaitable<void>(esx::transport::request const&)>;

// HTTPS with a hook that runs before each request is sent: a concurrent writer gets in between
// the sink's read and its write.
struct hooked_https {
    using policy_kind = esx::transport::tag;
    std::shared_ptr<esx::transport::https> inner;
    std::shared_ptr<hook_fn> before;

    net::awaitable<esx::result<esx::transport::response>> send(esx::transport::request r) {
        if (*before) {
            auto hook = (*before)(r);
            co_await std::move(hook);
        }
        auto res = co_await inner->send(std::move(r));
        co_return res;
    }
};

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

#define REQUIRE_OK(expr)                                                                                           \
    do {                                                                                                           \
        auto const& r_ = (expr);                                                                                   \
        BOOST_REQUIRE_MESSAGE(static_cast<bool>(r_), (static_cast<bool>(r_) ? std::string() : r_.error().what())); \
    } while (0)

struct cluster {
    mock::server server;
    net::io_context io;
    k8s::config config;
    std::shared_ptr<hook_fn> hook = std::make_shared<hook_fn>();
    std::shared_ptr<k8s::client<hooked_https>> client;  // the sink's
    std::unique_ptr<k8s::client<>> other;               // everyone else: setup, checks, concurrent writers
    sink::kubernetes_secret<k8s::client<hooked_https>> secrets;

    cluster() : server(options()), config(load(server)), client(make_client()), other(make_other()), secrets(client) {}
    ~cluster() { server.stop(); }

    static mock::options options() {
        mock::options o;
        o.seed_json = seed;
        return o;
    }
    static k8s::config load(mock::server& s) {
        auto c = k8s::config::from_kubeconfig({.paths = s.kubeconfig_file().string(), .context = {}, .env = {}});
        if (!c) throw std::runtime_error(c.error().what());
        return std::move(*c);
    }
    std::shared_ptr<k8s::client<hooked_https>> make_client() {
        esx::transport::options o;
        o.ca_pem = config.ca_pem;
        hooked_https t{std::make_shared<esx::transport::https>(io.get_executor(), o), hook};
        return std::make_shared<k8s::client<hooked_https>>(std::move(t), config, o);
    }
    std::unique_ptr<k8s::client<>> make_other() { return std::make_unique<k8s::client<>>(io.get_executor(), config); }

    template <class T>
    T run(net::awaitable<T> a) {
        return run_on(io, std::move(a));
    }

    esx::result<sink::outcome, esx::failure> apply(sink::target t, sink::apply_options o = {}) {
        return run(secrets.apply(std::move(t), o));
    }
    esx::result<sink::outcome, esx::failure> remove(sink::target t, sink::apply_options o = {}) {
        return run(secrets.remove(std::move(t), o));
    }

    // The Secret as the API server has it now (unset when absent).
    std::optional<bj::object> get(std::string const& name = "db") {
        auto r = run(other->get(k8s::resources::secrets, "team-a", name));
        if (!r) {
            BOOST_REQUIRE_MESSAGE(r.error() == esx::condition::not_found, r.error().what());
            return std::nullopt;
        }
        return std::move(*r);
    }

    // Creates a Secret as another writer would.
    bj::object create(bj::object body, std::string manager = "kubectl-create") {
        k8s::write_options w;
        w.field_manager = std::move(manager);
        auto r = run(other->create(k8s::resources::secrets, "team-a", body, w));
        REQUIRE_OK(r);
        return std::move(*r);
    }

    // An ExternalSecret in the cluster, so an ownerReference to it keeps the Secret alive.
    std::string external_secret(std::string const& name) {
        bj::object es{{"apiVersion", "external-secrets.io/v1"},
                        {"kind", "ExternalSecret"},
                        {"metadata", {{"name", name}}},
                        {"spec", {{"secretStoreRef", {{"name", "store"}}}}}};
        auto r = run(other->create(k8s::resources::external_secrets, "team-a", es));
        REQUIRE_OK(r);
        return std::string(r->at("metadata").at("uid").as_string());
    }

    std::vector<mock::request_record> requests(std::string const& method, std::string const& path = secret_path) const {
        std::vector<mock::request_record> out;
        for (auto const& r : server.requests())
            if (r.method == method && r.path == path) out.push_back(r);
        return out;
    }
};

sink::target target_for(std::map<std::string, std::string> data, creation_policy c = creation_policy::owner,
                        std::string owner_uid = {}) {
    sink::target t;
    t.namespace_ = "team-a";
    t.name = "db";
    t.external_secret_name = "db-es";
    if (!owner_uid.empty()) t.owner = sink::owner_reference{"external-secrets.io/v1", "ExternalSecret", "db-es", owner_uid};
    t.creation = c;
    for (auto& [k, v] : data) t.data.emplace(k, secret_bytes(v));
    return t;
}

std::string b64(std::string_view s) { return sink::detail::base64_encode(s); }

bj::object const& meta(bj::object const& o) { return o.at("metadata").as_object(); }
std::string label(bj::object const& o, std::string const& k) {
    auto const* l = meta(o).if_contains("labels");
    auto const* v = l ? l->as_object().if_contains(k) : nullptr;
    return v ? std::string(v->as_string()) : std::string();
}
std::string annotation(bj::object const& o, std::string const& k) {
    auto const* l = meta(o).if_contains("annotations");
    auto const* v = l ? l->as_object().if_contains(k) : nullptr;
    return v ? std::string(v->as_string()) : std::string();
}
std::string data_of(bj::object const& o, std::string const& k) {
    auto const* d = o.if_contains("data");
    auto const* v = d ? d->as_object().if_contains(k) : nullptr;
    return v ? std::string(v->as_string()) : std::string("<absent>");
}
std::string rv(bj::object const& o) { return std::string(meta(o).at("resourceVersion").as_string()); }

// Runs a shell command with a private HOME and the mock's kubeconfig; returns stdout.
std::string kubectl(cluster const& c, esx::test::temp_dir const& home, std::string const& args) {
    std::string const cmd = "HOME='" + home.path.string() + "' KUBECONFIG='" + c.server.kubeconfig_file().string() +
                            "' kubectl " + args + " 2>&1";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        std::array<char, 4096> buf;
        while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
        int const status = ::pclose(p);
        BOOST_TEST(status == 0, "kubectl " << args << ": " << out);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(sink)

BOOST_AUTO_TEST_SUITE(secret_creation_policies)

BOOST_AUTO_TEST_CASE(owner_creates_an_owned_secret_as_eso_does) {
    cluster c;
    auto const uid = c.external_secret("db-es");
    auto t = target_for({{"password", secret_value}, {"user", "admin"}}, creation_policy::owner, uid);
    auto const hash = esx::transform::data_hash(t.data);
    auto out = c.apply(t);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST(out->location == "Secret team-a/db");
    BOOST_TEST(out->data_hash == hash);
    BOOST_TEST(out->note.empty());

    auto s = c.get();
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->at("type").as_string() == "Opaque");
    BOOST_TEST(data_of(*s, "password") == b64(secret_value));
    BOOST_TEST(data_of(*s, "user") == b64("admin"));
    BOOST_TEST(label(*s, "reconcile.external-secrets.io/managed") == "true");
    BOOST_TEST(label(*s, "reconcile.external-secrets.io/created-by") == esx::transform::created_by_label("team-a", "db-es"));
    BOOST_TEST(annotation(*s, "reconcile.external-secrets.io/data-hash") == hash);
    auto const& refs = meta(*s).at("ownerReferences").as_array();
    BOOST_TEST_REQUIRE(refs.size() == 1u);
    BOOST_TEST(refs[0].at("apiVersion").as_string() == "external-secrets.io/v1");
    BOOST_TEST(refs[0].at("kind").as_string() == "ExternalSecret");
    BOOST_TEST(refs[0].at("name").as_string() == "db-es");
    BOOST_TEST(refs[0].at("uid").as_string() == uid);
    BOOST_TEST(refs[0].at("controller").as_bool());
    BOOST_TEST(refs[0].at("blockOwnerDeletion").as_bool());
    bool managed_by_eso_name = false;
    for (auto const& m : meta(*s).at("managedFields").as_array())
        managed_by_eso_name |= m.at("manager").as_string() == "externalsecrets.external-secrets.io/db-es";
    BOOST_TEST(managed_by_eso_name);
    BOOST_TEST(c.requests("POST", "/api/v1/namespaces/team-a/secrets").size() == 1u);
    BOOST_TEST(c.requests("POST", "/api/v1/namespaces/team-a/secrets")[0].query.find(
                   "fieldManager=externalsecrets.external-secrets.io%2Fdb-es") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(owner_for_an_external_secret_not_in_the_cluster_writes_no_owner_reference_and_says_so) {
    cluster c;
    auto out = c.apply(target_for({{"k", "v"}}));
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST(out->note == "no ownerReference: the ExternalSecret is not in the cluster");
    auto s = c.get();
    BOOST_TEST_REQUIRE(s.has_value());  // not collected as an orphan
    BOOST_TEST(!meta(*s).contains("ownerReferences"));
    BOOST_TEST(label(*s, "reconcile.external-secrets.io/created-by") == esx::transform::created_by_label("team-a", "db-es"));
}

BOOST_AUTO_TEST_CASE(orphan_creates_without_and_then_removes_our_owner_reference) {
    cluster c;
    auto const uid = c.external_secret("db-es");
    auto orphan = c.apply(target_for({{"k", "v"}}, creation_policy::orphan, uid));
    REQUIRE_OK(orphan);
    BOOST_TEST(orphan->action == sink::action::created);
    BOOST_TEST(!meta(*c.get()).contains("ownerReferences"));

    REQUIRE_OK(c.apply(target_for({{"k", "v"}}, creation_policy::owner, uid)));
    BOOST_TEST(meta(*c.get()).at("ownerReferences").as_array().size() == 1u);
    auto again = c.apply(target_for({{"k", "v"}}, creation_policy::orphan, uid));
    REQUIRE_OK(again);
    BOOST_TEST(again->action == sink::action::updated);
    auto s = c.get();
    BOOST_TEST(!meta(*s).contains("ownerReferences"));
    BOOST_TEST(label(*s, "reconcile.external-secrets.io/created-by").empty());
}

BOOST_AUTO_TEST_CASE(merge_without_a_secret_creates_nothing) {
    cluster c;
    auto out = c.apply(target_for({{"k", "v"}}, creation_policy::merge));
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::skipped);
    BOOST_TEST(out->note == "secret will not be created due to CreationPolicy=Merge");
    BOOST_TEST(c.requests("POST", "/api/v1/namespaces/team-a/secrets").empty());
    BOOST_TEST(!c.get().has_value());
}

BOOST_AUTO_TEST_CASE(merge_and_create_or_merge_keep_foreign_keys_and_drop_only_their_own) {
    for (auto policy : {creation_policy::merge, creation_policy::create_or_merge}) {
        cluster c;
        c.create({{"apiVersion", "v1"},
                  {"kind", "Secret"},
                  {"metadata", {{"name", "db"}, {"labels", {{"app", "web"}}}}},
                  {"data", {{"theirs", b64("keep")}}}});
        auto first = c.apply(target_for({{"a", "1"}, {"b", "2"}}, policy));
        REQUIRE_OK(first);
        BOOST_TEST(first->action == sink::action::updated);
        auto s = c.get();
        BOOST_TEST(data_of(*s, "theirs") == b64("keep"));
        BOOST_TEST(data_of(*s, "a") == b64("1"));
        BOOST_TEST(label(*s, "app") == "web");
        BOOST_TEST(!meta(*s).contains("ownerReferences"));

        // `b` was written by this ExternalSecret (managedFields) and is no longer produced.
        auto second = c.apply(target_for({{"a", "1"}, {"c", "3"}}, policy));
        REQUIRE_OK(second);
        BOOST_TEST(second->removed_keys == (std::vector<std::string>{"b"}), boost::test_tools::per_element());
        s = c.get();
        BOOST_TEST(data_of(*s, "b") == "<absent>");
        BOOST_TEST(data_of(*s, "c") == b64("3"));
        BOOST_TEST(data_of(*s, "theirs") == b64("keep"));
        BOOST_TEST(annotation(*s, "reconcile.external-secrets.io/data-hash").size() == 56u);
    }
    cluster fresh;
    auto created = fresh.apply(target_for({{"k", "v"}}, creation_policy::create_or_merge));
    REQUIRE_OK(created);
    BOOST_TEST(created->action == sink::action::created);
}

BOOST_AUTO_TEST_CASE(none_sends_no_request) {
    cluster c;
    c.server.reset_log();
    auto out = c.apply(target_for({{"k", "v"}}, creation_policy::none));
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::skipped);
    BOOST_TEST(c.server.requests().empty());
}

BOOST_AUTO_TEST_CASE(labels_and_annotations_are_set_and_the_ones_no_longer_produced_removed) {
    cluster c;
    auto t = target_for({{"k", "v"}});
    t.labels = {{"tier", "db"}, {"team", "a"}};
    t.annotations = {{"note", "first"}};
    REQUIRE_OK(c.apply(t));
    auto s = c.get();
    BOOST_TEST(label(*s, "tier") == "db");
    BOOST_TEST(annotation(*s, "note") == "first");
    t.labels = {{"team", "b"}};
    t.annotations.clear();
    auto out = c.apply(t);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::updated);
    s = c.get();
    BOOST_TEST(label(*s, "tier").empty());
    BOOST_TEST(label(*s, "team") == "b");
    BOOST_TEST(annotation(*s, "note").empty());
    BOOST_TEST(label(*s, "reconcile.external-secrets.io/managed") == "true");
}

BOOST_AUTO_TEST_CASE(a_secret_another_external_secret_controls_is_refused_and_left_byte_identical) {
    cluster c;
    auto const other_uid = c.external_secret("other-es");
    c.create({{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata",
               {{"name", "db"},
                {"ownerReferences",
                 bj::array{{{"apiVersion", "external-secrets.io/v1"}, {"kind", "ExternalSecret"}, {"name", "other-es"},
                              {"uid", other_uid}, {"controller", true}, {"blockOwnerDeletion", true}}}}}},
              {"data", {{"k", b64("old")}}}});
    auto const before = c.get();
    auto out = c.apply(target_for({{"k", secret_value}}, creation_policy::owner, c.external_secret("db-es")));
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::owned_by_another_external_secret));
    BOOST_TEST(out.error().what().starts_with("target is owned by another ExternalSecret"));
    BOOST_TEST(out.error().what().find(secret_value) == std::string::npos);
    BOOST_TEST((c.get() == before));
    BOOST_TEST(c.requests("PUT").empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(secret_writes)

BOOST_AUTO_TEST_CASE(an_unchanged_secret_is_not_written) {
    cluster c;
    auto t = target_for({{"k", "v"}}, creation_policy::owner, c.external_secret("db-es"));
    REQUIRE_OK(c.apply(t));
    auto const before = c.get();
    c.server.reset_log();
    auto out = c.apply(t);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::unchanged);
    BOOST_TEST(c.requests("PUT").empty());
    BOOST_TEST(c.requests("POST", "/api/v1/namespaces/team-a/secrets").empty());
    BOOST_TEST(rv(*c.get()) == rv(*before));
}

BOOST_AUTO_TEST_CASE(a_target_known_to_be_as_the_sink_left_it_is_unchanged_without_a_request) {
    cluster c;
    auto t = target_for({{"k", "v"}}, creation_policy::owner, c.external_secret("db-es"));
    auto first = c.apply(t);
    REQUIRE_OK(first);
    BOOST_TEST(first->version == rv(*c.get()));  // the version the write answered
    BOOST_TEST(first->fingerprint == sink::detail::fingerprint_of(t));
    auto const again = c.apply(t);  // read: unchanged, and the version read
    REQUIRE_OK(again);
    BOOST_TEST(again->action == sink::action::unchanged);
    BOOST_TEST(again->version == first->version);

    sink::apply_options known;
    known.known.orphans.emplace();  // a controller's cache knows the orphans too (none): no LIST
    known.known.unchanged_since = sink::target_knowledge::as_left{first->fingerprint, first->version, first->data_hash};
    c.server.reset_log();
    auto out = c.apply(t, known);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::unchanged);
    BOOST_TEST(out->data_hash == first->data_hash);
    BOOST_TEST(out->version == first->version);
    BOOST_TEST(c.server.requests().empty());

    // Another value, or another label: the knowledge does not fit this target, so it reads and writes.
    auto other_value = t;
    other_value.data = target_for({{"k", "w"}}).data;
    out = c.apply(other_value, known);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::updated);
    BOOST_TEST(c.requests("GET", "/api/v1/namespaces/team-a/secrets/db").size() == 1u);
    auto relabelled = other_value;
    relabelled.labels["tier"] = "gold";
    BOOST_TEST(sink::detail::fingerprint_of(relabelled) != sink::detail::fingerprint_of(other_value));
    known.known.unchanged_since = sink::target_knowledge::as_left{out->fingerprint, out->version, out->data_hash};
    out = c.apply(relabelled, known);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::updated);
    BOOST_TEST(c.get()->at("metadata").at("labels").at("tier") == "gold");
    // A dry run reads whatever it is told.
    known.known.unchanged_since = sink::target_knowledge::as_left{out->fingerprint, out->version, out->data_hash};
    known.dry_run = true;
    c.server.reset_log();
    REQUIRE_OK(c.apply(relabelled, known));
    BOOST_TEST(c.requests("GET", "/api/v1/namespaces/team-a/secrets/db").size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_secret_eso_wrote_is_taken_over_without_a_write) {
    cluster c;
    auto const uid = c.external_secret("db-es");
    auto t = target_for({{"password", secret_value}}, creation_policy::owner, uid);
    // What ESO 2.9 leaves behind for this ExternalSecret, written under its field manager.
    c.create({{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata",
               {{"name", "db"},
                {"labels",
                 {{"reconcile.external-secrets.io/managed", "true"},
                  {"reconcile.external-secrets.io/created-by", esx::transform::created_by_label("team-a", "db-es")}}},
                {"annotations", {{"reconcile.external-secrets.io/data-hash", esx::transform::data_hash(t.data)}}},
                {"ownerReferences",
                 bj::array{{{"apiVersion", "external-secrets.io/v1"}, {"kind", "ExternalSecret"}, {"name", "db-es"},
                              {"uid", uid}, {"controller", true}, {"blockOwnerDeletion", true}}}}}},
              {"type", "Opaque"},
              {"data", {{"password", b64(secret_value)}}}},
             "externalsecrets.external-secrets.io/db-es");
    c.server.reset_log();
    auto out = c.apply(t);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::unchanged);
    BOOST_TEST(c.requests("PUT").empty());
}

BOOST_AUTO_TEST_CASE(a_conflict_is_retried_after_reading_the_concurrent_change) {
    cluster c;
    REQUIRE_OK(c.apply(target_for({{"k", "old"}})));
    int bumps = 1;
    *c.hook = [&](esx::transport::request const& r) -> net::awaitable<void> {
        if (r.method == esx::transport::verb::put && bumps > 0) {
            --bumps;
            bj::value patch = {{"metadata", {{"labels", {{"concurrent", "yes"}}}}}};
            k8s::patch_options p;
            p.field_manager = "concurrent-writer";
            auto done = co_await c.other->patch(k8s::resources::secrets, "team-a", "db", k8s::patch_type::merge, patch, p);
            BOOST_TEST(static_cast<bool>(done));
        }
    };
    c.server.reset_log();
    auto out = c.apply(target_for({{"k", "new"}}));
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::updated);
    auto puts = c.requests("PUT");
    BOOST_TEST_REQUIRE(puts.size() == 2u);
    BOOST_TEST(puts[0].status == 409u);
    BOOST_TEST(puts[1].status == 200u);
    auto s = c.get();
    BOOST_TEST(data_of(*s, "k") == b64("new"));
    BOOST_TEST(label(*s, "concurrent") == "yes");  // the other writer's change survives
}

BOOST_AUTO_TEST_CASE(conflict_retries_are_bounded_and_leave_the_other_writers_secret) {
    cluster c;
    REQUIRE_OK(c.apply(target_for({{"k", "old"}})));
    int n = 0;
    *c.hook = [&](esx::transport::request const& r) -> net::awaitable<void> {
        if (r.method == esx::transport::verb::put) {
            bj::value patch = {{"metadata", {{"labels", {{"bump", std::to_string(++n)}}}}}};
            auto done = co_await c.other->patch(k8s::resources::secrets, "team-a", "db", k8s::patch_type::merge, patch);
            BOOST_TEST(static_cast<bool>(done));
        }
    };
    c.server.reset_log();
    auto out = c.apply(target_for({{"k", secret_value}}));
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::conflict_retries_exhausted));
    BOOST_TEST(out.error().what().find(secret_value) == std::string::npos);
    BOOST_TEST(c.requests("PUT").size() == 3u);
    auto s = c.get();
    BOOST_TEST(data_of(*s, "k") == b64("old"));
    BOOST_TEST(label(*s, "bump") == "3");
}

BOOST_AUTO_TEST_CASE(an_immutable_secret_whose_data_would_change_fails_and_stays_byte_identical) {
    cluster c;
    c.create({{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "db"}}},
              {"immutable", true},
              {"data", {{"k", b64("frozen")}}}});
    auto const before = c.get();
    auto out = c.apply(target_for({{"k", secret_value}}));
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::target_immutable));
    BOOST_TEST(out.error().what().starts_with("could not update secret, target is immutable"));
    BOOST_TEST((c.get() == before));
    BOOST_TEST(c.requests("PUT").empty());

    // An immutable ExternalSecret target keeps the data it was created with.
    cluster d;
    auto t = target_for({{"k", "first"}});
    t.immutable = true;
    REQUIRE_OK(d.apply(t));
    BOOST_TEST(d.get()->at("immutable").as_bool());
    t.data.at("k") = secret_bytes("second");
    auto kept = d.apply(t);
    REQUIRE_OK(kept);
    BOOST_TEST(kept->action == sink::action::unchanged);
    BOOST_TEST(data_of(*d.get(), "k") == b64("first"));
}

BOOST_AUTO_TEST_CASE(a_write_the_server_refuses_leaves_the_secret_byte_identical) {
    cluster c;
    REQUIRE_OK(c.apply(target_for({{"k", "old"}})));
    auto const before = c.get();
    c.server.add_fault(R"({"status": 500, "count": 1, "method": "PUT", "path_prefix": ")" + secret_path + R"("})");
    auto out = c.apply(target_for({{"k", secret_value}, {"extra", "x"}}));
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST(out.error().what().starts_with("could not update secret: Secret team-a/db: "));
    BOOST_TEST(out.error().what().find(secret_value) == std::string::npos);
    BOOST_TEST((c.get() == before));

    // A type change is refused before any write (Kubernetes never changes a Secret's type).
    auto tls = target_for({{"tls.crt", "c"}, {"tls.key", "k"}});
    tls.type = "kubernetes.io/tls";
    auto typed = c.apply(tls);
    BOOST_TEST_REQUIRE(!typed.has_value());
    BOOST_TEST((typed.error() == sink::error::type_immutable));
    BOOST_TEST((c.get() == before));
}

BOOST_AUTO_TEST_CASE(a_dry_run_reads_and_reports_but_writes_nothing) {
    cluster c;
    auto created = c.apply(target_for({{"k", "v"}}), sink::apply_options{.dry_run = true, .known = {}});
    REQUIRE_OK(created);
    BOOST_TEST(created->action == sink::action::created);
    BOOST_TEST(created->keys == (std::vector<std::string>{"k"}), boost::test_tools::per_element());
    BOOST_TEST(!c.get().has_value());

    REQUIRE_OK(c.apply(target_for({{"k", "v"}, {"gone", "x"}})));
    auto const before = c.get();
    c.server.reset_log();
    auto updated = c.apply(target_for({{"k", "w"}}), sink::apply_options{.dry_run = true, .known = {}});
    REQUIRE_OK(updated);
    BOOST_TEST(updated->action == sink::action::updated);
    BOOST_TEST(updated->removed_keys == (std::vector<std::string>{"gone"}), boost::test_tools::per_element());
    BOOST_TEST(updated->data_hash == esx::transform::data_hash(target_for({{"k", "w"}}).data));
    auto t = target_for({});
    t.deletion = deletion_policy::delete_;
    auto deleted = c.remove(t, sink::apply_options{.dry_run = true, .known = {}});
    REQUIRE_OK(deleted);
    BOOST_TEST(deleted->action == sink::action::deleted);
    for (auto const& r : c.server.requests()) BOOST_TEST(r.method == "GET", r.method << ' ' << r.path);
    BOOST_TEST((c.get() == before));
}

BOOST_AUTO_TEST_CASE(owner_deletes_the_secret_it_created_under_a_previous_name) {
    cluster c;
    auto old_name = target_for({{"k", "v"}});
    old_name.name = "db-old";
    REQUIRE_OK(c.apply(old_name));
    BOOST_TEST(c.get("db-old").has_value());
    REQUIRE_OK(c.apply(target_for({{"k", "v"}})));
    BOOST_TEST(!c.get("db-old").has_value());
    BOOST_TEST(c.get("db").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(secret_removal)

BOOST_AUTO_TEST_CASE(delete_removes_an_owned_secret) {
    cluster c;
    auto t = target_for({{"k", "v"}}, creation_policy::owner, c.external_secret("db-es"));
    REQUIRE_OK(c.apply(t));
    t.data.clear();
    t.deletion = deletion_policy::delete_;
    auto out = c.remove(t);
    REQUIRE_OK(out);
    BOOST_TEST(out->action == sink::action::deleted);
    BOOST_TEST(out->note == "secret deleted due to DeletionPolicy=Delete");
    BOOST_TEST(!c.get().has_value());
    BOOST_TEST(c.requests("DELETE").size() == 1u);
}

BOOST_AUTO_TEST_CASE(delete_is_refused_without_owner_policy_or_for_a_secret_not_ours) {
    cluster c;
    REQUIRE_OK(c.apply(target_for({{"k", "v"}}, creation_policy::orphan)));
    auto t = target_for({}, creation_policy::orphan);
    t.deletion = deletion_policy::delete_;
    auto refused = c.remove(t);
    BOOST_TEST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error().what() == "could not delete secret: unable to delete secret db: creationPolicy=Orphan is not Owner");
    BOOST_TEST(c.get().has_value());

    cluster d;
    d.create({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "db"}}}, {"data", {{"k", b64("theirs")}}}});
    auto not_ours = target_for({}, creation_policy::owner, d.external_secret("db-es"));
    not_ours.deletion = deletion_policy::delete_;
    auto out = d.remove(not_ours);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::delete_not_allowed));
    BOOST_TEST(d.get().has_value());
    BOOST_TEST(d.requests("DELETE").empty());
}

BOOST_AUTO_TEST_CASE(retain_keeps_and_merge_empties_our_keys) {
    cluster c;
    c.create({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "db"}}}, {"data", {{"theirs", b64("x")}}}});
    REQUIRE_OK(c.apply(target_for({{"ours", "v"}}, creation_policy::merge)));
    auto t = target_for({}, creation_policy::merge);
    t.deletion = deletion_policy::retain;
    auto kept = c.remove(t);
    REQUIRE_OK(kept);
    BOOST_TEST(kept->action == sink::action::retained);
    BOOST_TEST(data_of(*c.get(), "ours") == b64("v"));
    t.deletion = deletion_policy::merge;
    auto merged = c.remove(t);
    REQUIRE_OK(merged);
    BOOST_TEST(merged->action == sink::action::updated);
    auto s = c.get();
    BOOST_TEST(data_of(*s, "ours") == "<absent>");
    BOOST_TEST(data_of(*s, "theirs") == b64("x"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(kubectl_view)

BOOST_AUTO_TEST_CASE(kubectl_reads_back_what_the_sink_wrote) {
    cluster c;
    REQUIRE_OK(c.apply(target_for({{"password", secret_value}}, creation_policy::owner, c.external_secret("db-es"))));
    esx::test::temp_dir home;
    auto const value = kubectl(c, home, "get secret db -n team-a -o jsonpath='{.data.password}' | base64 -d");
    BOOST_TEST(value == secret_value);
    auto const managed = kubectl(c, home, "get secret -n team-a -l reconcile.external-secrets.io/managed=true -o name");
    BOOST_TEST(managed == "secret/db\n");
}

BOOST_AUTO_TEST_CASE(the_json_sink_prints_what_kubectl_get_prints) {
    cluster c;
    std::ostringstream printed;
    sink::json list(printed);
    auto db = target_for({{"password", secret_value}, {"bin", std::string("\0\xff", 2)}}, creation_policy::orphan);
    db.labels = {{"app", "web"}};
    db.annotations = {{"note", "<a & b> caf\xc3\xa9"}};
    auto api = target_for({{"token", "t"}});
    api.name = "api";
    api.type = "kubernetes.io/basic-auth";
    api.data.emplace("username", secret_bytes("u"));
    for (auto const& t : {api, db}) {
        REQUIRE_OK(c.apply(t));
        REQUIRE_OK(list.apply_now(t, {}));
    }
    REQUIRE_OK(list.flush());

    esx::test::temp_dir home;
    auto got = kubectl(c, home, "get secret api db -n team-a -o json");
    // Drop what only the API server sets, then the commas those lines leave dangling.
    got = std::regex_replace(got, std::regex(R"re(\n *"(creationTimestamp|resourceVersion|uid)": "[^"]+",?)re"), "");
    got = std::regex_replace(got, std::regex(R"re(,(\n *\}))re"), "$1");
    BOOST_TEST(printed.str() == got);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
