// esx/kube against the in-process mock API server over loopback TLS: every verb, Status
// errors, TokenRequest, credentials (in-cluster rotation, exec plugin, TLS settings) and
// watches (list+watch, resume after a dropped stream, relist on 410, bookmarks, limits).
#include "tests/support/temp_dir.hpp"
#include "mocks/common/pki.hpp"
#include <esx/kube.hpp>
#include <esx/testing/fake_clock.hpp>

#include <server.hpp> // mocks/kube

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace net = boost::asio;
namespace k8s = esx::kube;
namespace mock = esx::mocks::kube;
using namespace std::chrono_literals;

std::string const secret_value = "s3cr3t-value-never-logged";

std::string const seed = R"({
  "users": [
    {"name": "admin", "token": "esx-admin-token"},
    {"name": "rotated", "token": "rotated-admin-token"},
    {"name": "exec-user", "token": "exec-plugin-token"},
    {"name": "reader", "token": "reader-token",
     "rules": [{"verbs": ["get", "list", "watch"], "resources": ["secrets"], "apiGroups": [""], "namespaces": ["team-a"]}]},
    {"name": "system:serviceaccount:team-a:esx",
     "rules": [{"verbs": ["get", "list"], "resources": ["secrets"], "namespaces": ["team-a"]}]}
  ],
  "namespaces": ["default", "team-a", "watch"],
  "objects": [
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "existing", "namespace": "team-a"},
     "stringData": {"ClientSecret": "s3cr3t-value-never-logged"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "esx", "namespace": "team-a"}},
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "externalsecrets.external-secrets.io"},
     "spec": {"group": "external-secrets.io", "scope": "Namespaced",
              "names": {"plural": "externalsecrets", "singular": "externalsecret", "kind": "ExternalSecret"},
              "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}
  ]
})";

// Log lines written by the client, to check that nothing secret reaches them.
struct captured_log {
    std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    esx::log::logger logger() const {
        return esx::log::logger(esx::log::level::debug, [l = lines, m = mutex](std::string_view line) {
            std::lock_guard lock(*m);
            l->emplace_back(line);
        });
    }
    bool contains(std::string_view s) const {
        std::lock_guard lock(*mutex);
        for (auto const& l : *lines)
            if (l.find(s) != std::string::npos) return true;
        return false;
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

mock::options mock_options(std::size_t watch_window = 0, std::chrono::milliseconds bookmarks = 5000ms) {
    mock::options o;
    o.seed_json = seed;
    o.watch_window = watch_window;
    o.bookmark_interval = bookmarks;
    return o;
}

// The mock, an io_context and a client configured from the mock's own kubeconfig.
struct mock_cluster {
    mock::server server;
    net::io_context io;
    captured_log log;
    k8s::config config;
    std::unique_ptr<k8s::client<>> client;

    explicit mock_cluster(mock::options o = mock_options()) : server(std::move(o)) {
        auto c = k8s::config::from_kubeconfig({.paths = server.kubeconfig_file().string(), .context = {}, .env = {}});
        BOOST_REQUIRE_MESSAGE(c, (static_cast<bool>(c) ? "" : c.error().what()));
        config = std::move(*c);
        client = make_client(config);
    }
    ~mock_cluster() {
        BOOST_TEST(!log.contains(secret_value));
        BOOST_TEST(!log.contains("esx-admin-token"));
        server.stop();
    }

    std::unique_ptr<k8s::client<>> make_client(k8s::config c) {
        esx::transport::options base;
        base.logger = log.logger();
        return std::make_unique<k8s::client<>>(io.get_executor(), std::move(c), base);
    }

    template <class T>
    T run(net::awaitable<T> a) {
        return run_on(io, std::move(a));
    }

    std::vector<mock::request_record> requests_to(std::string_view path_prefix) const {
        std::vector<mock::request_record> out;
        for (auto& r : server.requests())
            if (r.path.starts_with(path_prefix)) out.push_back(r);
        return out;
    }
};

json::object secret(std::string const& name, json::object labels = {}, std::string const& value = "dmFsdWU=") {
    return {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
            {"data", {{"key", value}}}};
}

std::string rv_of(json::object const& o) { return std::string(o.at("metadata").at("resourceVersion").as_string()); }
std::string name_of(json::object const& o) { return std::string(o.at("metadata").at("name").as_string()); }

// Evaluates `expr` once (it is often a request) and stops the test with the failure's words.
#define REQUIRE_OK(expr)                                                                                  \
    do {                                                                                                  \
        auto const& r_ = (expr);                                                                          \
        BOOST_REQUIRE_MESSAGE(static_cast<bool>(r_), (static_cast<bool>(r_) ? std::string() : r_.error().what())); \
    } while (0)

// A type the watcher converts events into (Boost.JSON value_to).
struct named_object {
    std::string name;
    std::string resource_version;
};
named_object tag_invoke(json::value_to_tag<named_object>, json::value const& v) {
    auto const& m = v.at("metadata");
    return {std::string(m.at("name").as_string()), std::string(m.at("resourceVersion").as_string())};
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(kube)

BOOST_AUTO_TEST_SUITE(verbs)

BOOST_AUTO_TEST_CASE(get_reads_a_secret) {
    mock_cluster m;
    auto s = m.run(m.client->get(k8s::resources::secrets, "team-a", "existing"));
    REQUIRE_OK(s);
    BOOST_TEST(name_of(*s) == "existing");
    BOOST_TEST(s->at("data").as_object().contains("ClientSecret"));
    auto const reqs = m.requests_to("/api/v1/namespaces/team-a/secrets/existing");
    BOOST_REQUIRE(reqs.size() == 1u);
    BOOST_TEST(reqs[0].method == "GET");
    BOOST_TEST(reqs[0].user == "admin");
}

BOOST_AUTO_TEST_CASE(create_replace_patch_remove) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    auto created = m.run(m.client->create(secrets, "team-a", secret("life", {{"app", "esx"}})));
    REQUIRE_OK(created);
    BOOST_TEST(created->at("metadata").at("uid").is_string());

    auto body = *created;
    body["data"].as_object()["more"] = "bW9yZQ==";
    auto replaced = m.run(m.client->replace(secrets, "team-a", "life", body));
    REQUIRE_OK(replaced);
    BOOST_TEST(rv_of(*replaced) != rv_of(*created));
    BOOST_TEST(replaced->at("data").as_object().contains("more"));

    auto merged = m.run(m.client->patch(secrets, "team-a", "life", k8s::patch_type::merge,
                                        json::parse(R"({"metadata":{"labels":{"merged":"yes"}}})")));
    REQUIRE_OK(merged);
    BOOST_TEST(merged->at("metadata").at("labels").at("merged").as_string() == "yes");
    BOOST_TEST(merged->at("metadata").at("labels").at("app").as_string() == "esx");

    auto jp = m.run(m.client->patch(secrets, "team-a", "life", k8s::patch_type::json,
                                    json::parse(R"([{"op":"remove","path":"/data/more"}])")));
    REQUIRE_OK(jp);
    BOOST_TEST(!jp->at("data").as_object().contains("more"));

    auto sp = m.run(m.client->patch(secrets, "team-a", "life", k8s::patch_type::strategic,
                                    json::parse(R"({"metadata":{"annotations":{"s":"1"}}})")));
    REQUIRE_OK(sp);
    BOOST_TEST(sp->at("metadata").at("annotations").at("s").as_string() == "1");

    auto const ct = [&](std::string_view method) {
        std::vector<std::string> out;
        for (auto& r : m.requests_to("/api/v1/namespaces/team-a/secrets"))
            if (r.method == method) out.push_back(r.content_type);
        return out;
    };
    BOOST_TEST(ct("PATCH") == (std::vector<std::string>{"application/merge-patch+json", "application/json-patch+json",
                                                         "application/strategic-merge-patch+json"}),
               boost::test_tools::per_element());

    // Delete with a stale uid precondition is refused; with the right one it goes.
    k8s::delete_options wrong;
    wrong.preconditions = k8s::delete_preconditions{"not-the-uid", {}};
    auto refused = m.run(m.client->remove(secrets, "team-a", "life", wrong));
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error() == esx::condition::conflict));
    k8s::delete_options right;
    right.propagation_policy = k8s::propagation::foreground;
    right.preconditions = k8s::delete_preconditions{std::string(created->at("metadata").at("uid").as_string()), {}};
    auto removed = m.run(m.client->remove(secrets, "team-a", "life", right));
    REQUIRE_OK(removed);
    auto gone = m.run(m.client->get(secrets, "team-a", "life"));
    BOOST_REQUIRE(!gone);
    BOOST_TEST((gone.error() == esx::condition::not_found));
}

BOOST_AUTO_TEST_CASE(server_side_apply_with_field_manager_and_force) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    auto const apply_body = [](std::string const& v) {
        return json::value{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "applied"}}},
                           {"data", {{"key", v}}}};
    };
    auto first = m.run(m.client->patch(secrets, "team-a", "applied", k8s::patch_type::apply, apply_body("YQ=="),
                                       {.field_manager = "esx", .force = false, .dry_run = false}));
    REQUIRE_OK(first); // created by apply
    auto other = m.run(m.client->patch(secrets, "team-a", "applied", k8s::patch_type::apply, apply_body("Yg=="),
                                       {.field_manager = "other", .force = false, .dry_run = false}));
    BOOST_REQUIRE(!other);
    BOOST_TEST((other.error() == esx::condition::conflict));
    BOOST_TEST(other.error().reason == "Conflict");
    BOOST_REQUIRE(!other.error().causes.empty());
    BOOST_TEST(other.error().causes[0].reason == "FieldManagerConflict");
    BOOST_TEST(other.error().causes[0].field == ".data.key");
    auto forced = m.run(m.client->patch(secrets, "team-a", "applied", k8s::patch_type::apply, apply_body("Yg=="),
                                        {.field_manager = "other", .force = true, .dry_run = false}));
    REQUIRE_OK(forced);
    BOOST_TEST(forced->at("data").at("key").as_string() == "Yg==");
    auto const reqs = m.requests_to("/api/v1/namespaces/team-a/secrets/applied");
    BOOST_REQUIRE(reqs.size() == 3u);
    BOOST_TEST(reqs[0].content_type == "application/apply-patch+yaml");
    BOOST_TEST(reqs[0].query == "fieldManager=esx");
    BOOST_TEST(reqs[2].query == "fieldManager=other&force=true");

    auto no_manager = m.run(m.client->patch(secrets, "team-a", "applied", k8s::patch_type::apply, apply_body("Yg==")));
    BOOST_REQUIRE(!no_manager);
    BOOST_TEST(no_manager.error().message.find("field_manager") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(list_with_selectors_and_paging) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    for (int i = 0; i < 5; ++i)
        REQUIRE_OK(m.run(m.client->create(secrets, "team-a", secret("paged-" + std::to_string(i), {{"batch", "p"}}))));
    REQUIRE_OK(m.run(m.client->create(secrets, "team-a", secret("other", {{"batch", "q"}}))));

    std::vector<std::string> names;
    std::vector<std::size_t> sizes;
    k8s::list_options o;
    o.label_selector = "batch in (p)";
    o.limit = 2;
    std::string version;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = m.run(m.client->list(secrets, "team-a", o));
        REQUIRE_OK(page);
        if (version.empty()) version = page->resource_version;
        BOOST_TEST(page->resource_version == version); // one snapshot across pages
        sizes.push_back(page->items.size());
        for (auto& item : page->items) {
            BOOST_TEST(item.at("kind").as_string() == "Secret");
            names.push_back(name_of(item.as_object()));
        }
        if (page->continue_token.empty()) break;
        o.continue_token = page->continue_token;
    }
    BOOST_TEST(sizes == (std::vector<std::size_t>{2, 2, 1}), boost::test_tools::per_element());
    BOOST_TEST(names.size() == 5u);
    BOOST_TEST((std::find(names.begin(), names.end(), "other") == names.end()));

    auto by_name = m.run(m.client->list(secrets, "team-a", {.label_selector = {}, .field_selector = "metadata.name=other",
                                                              .limit = 0, .continue_token = {}, .resource_version = {}}));
    REQUIRE_OK(by_name);
    BOOST_REQUIRE(by_name->items.size() == 1u);
    BOOST_TEST(name_of(by_name->items[0].as_object()) == "other");

    auto all_namespaces = m.run(m.client->list(secrets, ""));
    REQUIRE_OK(all_namespaces);
    BOOST_TEST(all_namespaces->items.size() >= 7u);
    BOOST_TEST(m.requests_to("/api/v1/secrets").size() == 1u);
}

BOOST_AUTO_TEST_CASE(dry_run_changes_nothing_and_cluster_scope_has_no_namespace) {
    mock_cluster m;
    auto dry = m.run(m.client->create(k8s::resources::secrets, "team-a", secret("dry"), {.field_manager = {}, .dry_run = true}));
    REQUIRE_OK(dry);
    auto absent = m.run(m.client->get(k8s::resources::secrets, "team-a", "dry"));
    BOOST_TEST((!absent && absent.error() == esx::condition::not_found));
    auto ns = m.run(m.client->get(k8s::resources::namespaces, "ignored", "team-a"));
    REQUIRE_OK(ns);
    auto const reqs = m.server.requests();
    BOOST_TEST(reqs.back().path == "/api/v1/namespaces/team-a"); // no namespace segment for a cluster-scoped resource
}

BOOST_AUTO_TEST_CASE(status_subresource_of_a_custom_resource) {
    mock_cluster m;
    auto const& es = k8s::resources::external_secrets;
    json::object body{{"apiVersion", "external-secrets.io/v1"},
                      {"kind", "ExternalSecret"},
                      {"metadata", {{"name", "es1"}}},
                      {"spec", {{"refreshInterval", "1h"}}}};
    auto created = m.run(m.client->create(es, "team-a", body));
    REQUIRE_OK(created);
    auto with_status = *created;
    with_status["status"] = json::parse(R"({"conditions":[{"type":"Ready","status":"True","reason":"SecretSynced"}]})");
    with_status["spec"].as_object()["refreshInterval"] = "5m"; // ignored by a status write
    auto replaced = m.run(m.client->replace_status(es, "team-a", "es1", with_status));
    REQUIRE_OK(replaced);
    BOOST_TEST(replaced->at("spec").at("refreshInterval").as_string() == "1h");
    BOOST_TEST(replaced->at("status").at("conditions").as_array().size() == 1u);
    auto patched = m.run(m.client->patch_status(es, "team-a", "es1", k8s::patch_type::merge,
                                                json::parse(R"({"status":{"binding":{"name":"es1"}}})")));
    REQUIRE_OK(patched);
    auto status = m.run(m.client->get_status(es, "team-a", "es1"));
    REQUIRE_OK(status);
    BOOST_TEST(status->at("status").at("binding").at("name").as_string() == "es1");
    BOOST_TEST(m.requests_to("/apis/external-secrets.io/v1/namespaces/team-a/externalsecrets/es1/status").size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_empty_namespace_means_the_default_one) {
    mock_cluster m;
    auto cfg = m.config;
    cfg.default_namespace = "team-a";
    auto c = m.make_client(cfg);
    auto s = m.run(c->get(k8s::resources::secrets, "", "existing"));
    REQUIRE_OK(s);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(status_objects_become_typed_failures) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    auto missing = m.run(m.client->get(secrets, "team-a", "nope"));
    BOOST_REQUIRE(!missing);
    BOOST_TEST((missing.error() == esx::condition::not_found));
    BOOST_TEST((missing.error().code == esx::make_http_error(404)));
    BOOST_TEST(missing.error().reason == "NotFound");
    BOOST_TEST(missing.error().message == R"(secrets "nope" not found)");

    REQUIRE_OK(m.run(m.client->create(secrets, "team-a", secret("twice"))));
    auto again = m.run(m.client->create(secrets, "team-a", secret("twice")));
    BOOST_REQUIRE(!again);
    BOOST_TEST((again.error() == esx::condition::conflict));
    BOOST_TEST(again.error().reason == "AlreadyExists");

    auto invalid = m.run(m.client->create(secrets, "team-a",
                                          json::object{{"metadata", {{"name", "bad"}}},
                                                       {"stringData", {{"bad key", secret_value}}}}));
    BOOST_REQUIRE(!invalid);
    BOOST_TEST((invalid.error().code == esx::make_http_error(422)));
    BOOST_TEST(invalid.error().reason == "Invalid");
    BOOST_REQUIRE(!invalid.error().causes.empty());
    BOOST_TEST(invalid.error().causes[0].field == "data[bad key]");
    BOOST_TEST(invalid.error().what().find(secret_value) == std::string::npos);
    for (auto const& c : invalid.error().causes) BOOST_TEST(c.message.find(secret_value) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(conflict_on_a_stale_resource_version) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    auto v1 = m.run(m.client->create(secrets, "team-a", secret("cas")));
    REQUIRE_OK(v1);
    auto fresh = *v1;
    fresh["data"].as_object()["key"] = "bmV3";
    REQUIRE_OK(m.run(m.client->replace(secrets, "team-a", "cas", fresh)));
    auto stale = *v1; // still carries the first resourceVersion
    stale["data"].as_object()["key"] = "c3RhbGU=";
    auto lost = m.run(m.client->replace(secrets, "team-a", "cas", stale));
    BOOST_REQUIRE(!lost);
    BOOST_TEST((lost.error() == esx::condition::conflict));
    BOOST_TEST((lost.error().code == esx::make_http_error(409)));
    BOOST_TEST(lost.error().reason == "Conflict");
    BOOST_TEST(lost.error().message.find("the object has been modified") != std::string::npos);
    // The caller's recovery: read again and write with the current version.
    auto current = m.run(m.client->get(secrets, "team-a", "cas"));
    REQUIRE_OK(current);
    (*current)["data"].as_object()["key"] = "c3RhbGU=";
    REQUIRE_OK(m.run(m.client->replace(secrets, "team-a", "cas", *current)));
}

BOOST_AUTO_TEST_CASE(auth_forbidden_throttled_and_server_errors) {
    mock_cluster m;
    auto cfg = m.config;
    cfg.token = k8s::token_source::fixed(esx::secret_bytes("reader-token"));
    auto reader = m.make_client(cfg);
    auto forbidden = m.run(reader->create(k8s::resources::secrets, "team-a", secret("nope")));
    BOOST_REQUIRE(!forbidden);
    BOOST_TEST((forbidden.error() == esx::condition::forbidden));
    BOOST_TEST(forbidden.error().reason == "Forbidden");

    cfg.token = k8s::token_source::fixed(esx::secret_bytes("wrong-token"));
    auto stranger = m.make_client(cfg);
    auto unauthorized = m.run(stranger->get(k8s::resources::secrets, "team-a", "existing"));
    BOOST_REQUIRE(!unauthorized);
    BOOST_TEST((unauthorized.error() == esx::condition::auth_failed));

    m.server.add_fault(R"({"status":429,"count":1,"retry_after":1,"path_prefix":"/api/v1/namespaces/team-a/secrets"})");
    auto throttled = m.run(m.client->get(k8s::resources::secrets, "team-a", "existing"));
    BOOST_REQUIRE(!throttled);
    BOOST_TEST((throttled.error() == esx::condition::throttled));
    BOOST_TEST((throttled.error() == esx::condition::retryable));
    m.server.add_fault(R"({"status":503,"count":1,"path_prefix":"/api/v1/namespaces/team-a/secrets"})");
    auto unavailable = m.run(m.client->get(k8s::resources::secrets, "team-a", "existing"));
    BOOST_REQUIRE(!unavailable);
    BOOST_TEST((unavailable.error() == esx::condition::retryable));
}

BOOST_AUTO_TEST_CASE(bad_names_are_refused_before_any_request) {
    mock_cluster m;
    m.server.reset_log();
    auto slash = m.run(m.client->get(k8s::resources::secrets, "team-a", "a/b"));
    BOOST_REQUIRE(!slash);
    BOOST_TEST((slash.error() == esx::condition::invalid_input));
    BOOST_TEST(slash.error().message.find("name:") == 0u);
    auto dots = m.run(m.client->get(k8s::resources::secrets, "..", "x"));
    BOOST_REQUIRE(!dots);
    BOOST_TEST(dots.error().message.find("namespace:") == 0u);
    auto empty = m.run(m.client->get(k8s::resources::secrets, "team-a", ""));
    BOOST_REQUIRE(!empty);
    BOOST_TEST(m.server.requests().empty());
}

BOOST_AUTO_TEST_CASE(transport_errors_pass_through) {
    mock_cluster m;
    auto cfg = m.config;
    auto const port = m.server.port();
    m.server.stop();
    auto c = m.make_client(cfg);
    auto refused = m.run(c->get(k8s::resources::secrets, "team-a", "existing"));
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error().code == boost::asio::error::connection_refused));
    BOOST_TEST(refused.error().reason.empty());
    (void)port;
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_request)

std::string jwt_claims(std::string_view jwt) {
    auto const a = jwt.find('.');
    auto const b = jwt.find('.', a + 1);
    std::string part(jwt.substr(a + 1, b - a - 1));
    for (auto& ch : part) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    auto decoded = k8s::detail::base64_decode(part);
    BOOST_REQUIRE(decoded);
    return *decoded;
}

BOOST_AUTO_TEST_CASE(issues_a_token_that_authenticates_as_the_service_account) {
    mock_cluster m;
    auto const before = std::chrono::system_clock::now();
    auto issued = m.run(m.client->create_token("team-a", "esx", {{"api://AzureADTokenExchange"}, 3600s}));
    REQUIRE_OK(issued);
    auto const claims = json::parse(jwt_claims(issued->token.reveal())).as_object();
    BOOST_TEST(claims.at("sub").as_string() == "system:serviceaccount:team-a:esx");
    BOOST_TEST(json::serialize(claims.at("aud")).find("api://AzureADTokenExchange") != std::string::npos);
    BOOST_TEST((issued->expires_at > before + 3500s && issued->expires_at < before + 3700s));
    auto const reqs = m.requests_to("/api/v1/namespaces/team-a/serviceaccounts/esx/token");
    BOOST_REQUIRE(reqs.size() == 1u);
    BOOST_TEST(reqs[0].method == "POST");

    auto cfg = m.config;
    cfg.token = k8s::token_source::fixed(issued->token);
    auto as_sa = m.make_client(cfg);
    REQUIRE_OK(m.run(as_sa->get(k8s::resources::secrets, "team-a", "existing")));
    BOOST_TEST(m.server.requests().back().user == "system:serviceaccount:team-a:esx");
    std::ostringstream printed;
    printed << issued->token;
    BOOST_TEST(printed.str() == "<redacted>");
}

BOOST_AUTO_TEST_CASE(default_audience_and_validation_errors) {
    mock_cluster m;
    auto plain = m.run(m.client->create_token("team-a", "esx"));
    REQUIRE_OK(plain);
    auto const claims = json::parse(jwt_claims(plain->token.reveal())).as_object();
    BOOST_TEST(json::serialize(claims.at("aud")).find(m.server.issuer()) != std::string::npos);

    auto too_short = m.run(m.client->create_token("team-a", "esx", {{}, 60s}));
    BOOST_REQUIRE(!too_short);
    BOOST_TEST((too_short.error().code == esx::make_http_error(422)));
    BOOST_TEST((too_short.error() == esx::condition::invalid_input));
    BOOST_TEST(too_short.error().what().find("expirationSeconds") != std::string::npos);

    auto no_sa = m.run(m.client->create_token("team-a", "ghost"));
    BOOST_REQUIRE(!no_sa);
    BOOST_TEST((no_sa.error() == esx::condition::not_found));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credentials)

using esx::test::temp_dir;

BOOST_AUTO_TEST_CASE(in_cluster_against_the_mock_with_a_rotated_token) {
    mock_cluster m;
    temp_dir d;
    d.write("token", "esx-admin-token");
    d.write("ca.crt", m.server.ca_pem());
    d.write("namespace", "team-a");
    auto env = [port = std::to_string(m.server.port())](std::string const& k) -> std::optional<std::string> {
        if (k == "KUBERNETES_SERVICE_HOST") return "127.0.0.1";
        if (k == "KUBERNETES_SERVICE_PORT") return port;
        return std::nullopt;
    };
    auto cfg = k8s::config::in_cluster({d.path, env});
    REQUIRE_OK(cfg);
    auto c = m.make_client(*cfg);
    REQUIRE_OK(m.run(c->get(k8s::resources::secrets, "", "existing"))); // namespace file: team-a
    BOOST_TEST(m.server.requests().back().user == "admin");
    // The kubelet rotates the projected token: write a new file and swap it in.
    d.write("token.next", "rotated-admin-token");
    fs::rename(d.path / "token.next", d.path / "token");
    REQUIRE_OK(m.run(c->get(k8s::resources::secrets, "", "existing")));
    BOOST_TEST(m.server.requests().back().user == "rotated");
}

BOOST_AUTO_TEST_CASE(kubeconfig_exec_plugin_against_the_mock) {
    mock_cluster m;
    temp_dir d;
    std::string const kc = "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n    server: " + m.server.url() +
                           "\n    certificate-authority: " + m.server.ca_file().string() +
                           "\nusers:\n- name: aks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                           "      command: /bin/sh\n      args: [\"" ESX_TEST_EXEC_PLUGIN "\"]\n"
                           "      env:\n      - {name: ESX_TEST_EXEC_LOG, value: \"" + (d.path / "runs").string() +
                           "\"}\n      - {name: ESX_TEST_EXEC_TOKEN, value: exec-plugin-token}\n"
                           "      - {name: ESX_TEST_EXEC_EXPIRY, value: \"2200-01-01T00:00:00Z\"}\n"
                           "      interactiveMode: Never\ncontexts:\n- name: aks\n  context: {cluster: mock, user: aks, namespace: team-a}\n"
                           "current-context: aks\n";
    d.write("config", kc);
    auto cfg = k8s::config::from_kubeconfig({.paths = (d.path / "config").string(), .context = {}, .env = {}});
    REQUIRE_OK(cfg);
    auto c = m.make_client(*cfg);
    REQUIRE_OK(m.run(c->get(k8s::resources::secrets, "", "existing")));
    REQUIRE_OK(m.run(c->list(k8s::resources::secrets, "")));
    auto const reqs = m.server.requests();
    BOOST_REQUIRE(reqs.size() == 2u);
    BOOST_TEST(reqs[0].user == "exec-user");
    BOOST_TEST(reqs[1].user == "exec-user");
    BOOST_TEST(cfg->token->refreshes() == 1u); // cached until 2200
    BOOST_TEST(!m.log.contains("exec-plugin-token"));
}

BOOST_AUTO_TEST_CASE(tls_trust_insecure_skip_and_its_warning) {
    mock_cluster m;
    auto untrusted = m.config;
    untrusted.ca_pem.clear(); // the system store does not know the mock's CA
    auto c = m.make_client(untrusted);
    auto refused = m.run(c->get(k8s::resources::secrets, "team-a", "existing"));
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error() == esx::condition::tls_failure));

    auto insecure = untrusted;
    insecure.insecure_skip_tls_verify = true;
    auto ic = m.make_client(insecure);
    REQUIRE_OK(m.run(ic->get(k8s::resources::secrets, "team-a", "existing")));
    BOOST_TEST(m.log.contains("insecure-skip-tls-verify"));
}

// Mutual TLS against the mock API server, which asks for client certificates signed by its CA
// and reads them as kube-apiserver does: CN is the user (whose seed rules apply), O a group.
BOOST_AUTO_TEST_CASE(client_certificates_are_presented_for_mutual_tls) {
    mock_cluster m;
    temp_dir d;
    auto const reader = m.server.issue_client_certificate("reader");
    auto const master = m.server.issue_client_certificate("cert-admin", {"system:masters"});
    d.write("reader.pem", reader.cert_pem);
    d.write("reader-key.pem", reader.key_pem);
    auto kubeconfig = [&](std::string const& user_block) {
        return "clusters:\n- name: mock\n  cluster:\n    server: " + m.server.url() +
               "\n    certificate-authority: " + m.server.ca_file().string() + "\nusers:\n- name: u\n  user:\n" +
               user_block + "contexts:\n- {name: c, context: {cluster: mock, user: u, namespace: team-a}}\ncurrent-context: c\n";
    };
    auto b64 = [](std::string const& s) {
        std::string out;
        static char const alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::size_t i = 0;
        for (; i + 2 < s.size(); i += 3) {
            unsigned const v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
            for (int k = 18; k >= 0; k -= 6) out += alphabet[(v >> k) & 63];
        }
        if (i < s.size()) {
            unsigned v = (unsigned char)s[i] << 16 | (i + 1 < s.size() ? (unsigned char)s[i + 1] << 8 : 0);
            out += alphabet[(v >> 18) & 63];
            out += alphabet[(v >> 12) & 63];
            out += i + 1 < s.size() ? alphabet[(v >> 6) & 63] : '=';
            out += '=';
        }
        return out;
    };

    // Files, as kubeconfigs written by kubeadm name them.
    auto cfg = k8s::config::from_kubeconfig_text(kubeconfig("    client-certificate: " + (d.path / "reader.pem").string() +
                                                            "\n    client-key: " + (d.path / "reader-key.pem").string() + "\n"));
    REQUIRE_OK(cfg);
    BOOST_TEST(cfg->client_certificate_pem == reader.cert_pem);
    auto presenting = m.make_client(*cfg);
    REQUIRE_OK(m.run(presenting->get(k8s::resources::secrets, "", "existing")));
    BOOST_TEST(m.server.requests().back().user == "reader");
    auto denied = m.run(presenting->create(k8s::resources::secrets, "team-a", secret("not-allowed")));
    BOOST_REQUIRE(!denied); // reader's rules: get, list and watch only
    BOOST_TEST((denied.error() == esx::condition::forbidden));

    // Inline data; the group system:masters may do everything.
    auto admin_cfg = k8s::config::from_kubeconfig_text(kubeconfig("    client-certificate-data: " + b64(master.cert_pem) +
                                                                  "\n    client-key-data: " + b64(master.key_pem) + "\n"));
    REQUIRE_OK(admin_cfg);
    auto admin = m.make_client(*admin_cfg);
    REQUIRE_OK(m.run(admin->create(k8s::resources::secrets, "team-a", secret("by-certificate"))));
    BOOST_TEST(m.server.requests().back().user == "cert-admin");
    BOOST_TEST(!m.log.contains("PRIVATE KEY"));

    // No credentials at all, and a certificate from another CA: 401, as kube-apiserver answers.
    auto without = *cfg;
    without.client_certificate_pem.clear();
    without.client_key_pem = {};
    auto anonymous = m.run(m.make_client(without)->get(k8s::resources::secrets, "", "existing"));
    BOOST_REQUIRE(!anonymous);
    BOOST_TEST((anonymous.error() == esx::condition::auth_failed));
    auto const foreign = esx::mocks::pki::authority::generate("not the mock's CA").issue_client("reader");
    auto foreign_cfg = *cfg;
    foreign_cfg.client_certificate_pem = foreign.cert_pem;
    foreign_cfg.client_key_pem = esx::secret_bytes(foreign.key_pem);
    auto refused = m.run(m.make_client(foreign_cfg)->get(k8s::resources::secrets, "", "existing"));
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error() == esx::condition::auth_failed));
}

BOOST_AUTO_TEST_CASE(requests_wait_for_the_rate_limiter_on_the_clock) {
    mock_cluster m;
    auto cfg = m.config;
    cfg.qps = 1;
    cfg.burst = 2;
    esx::testing::fake_clock clock;
    esx::transport::options base;
    base.logger = m.log.logger();
    k8s::client<esx::transport::https, esx::testing::fake_clock> c(m.io.get_executor(), cfg, base, clock);
    for (int i = 0; i < 4; ++i) REQUIRE_OK(m.run(c.get(k8s::resources::secrets, "team-a", "existing")));
    // Two at once (burst), then one per second; the fake clock records the waits.
    BOOST_TEST(clock.sleeps() == (std::vector<std::chrono::milliseconds>{1000ms, 1000ms}),
               boost::test_tools::per_element());
    BOOST_TEST(m.server.requests().size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(watching)

BOOST_AUTO_TEST_CASE(lists_then_watches_changes) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    for (auto n : {"w1", "w2", "w3"}) REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret(n, {{"w", "1"}}))));
    REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("unlabelled"))));
    k8s::watch_options o;
    o.label_selector = "w=1";
    o.bookmarks = false;
    auto w = m.client->watch(secrets, "watch", o);
    std::vector<std::string> seen;
    for (int i = 0; i < 5; ++i) {
        auto e = m.run(w.next());
        REQUIRE_OK(e);
        if (e->type == k8s::event_type::relist_begin) seen.push_back("begin");
        else if (e->type == k8s::event_type::relist_end) seen.push_back("end@" + e->resource_version);
        else seen.push_back("added " + name_of(e->object));
    }
    std::sort(seen.begin() + 1, seen.begin() + 4);
    auto const list_rv = w.resource_version();
    BOOST_TEST(seen == (std::vector<std::string>{"begin", "added w1", "added w2", "added w3", "end@" + list_rv}),
               boost::test_tools::per_element());

    // Changes after the list arrive on the watch that starts at the list's version.
    REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("w4", {{"w", "1"}}))));
    REQUIRE_OK(m.run(m.client->patch(secrets, "watch", "w1", k8s::patch_type::merge,
                                     json::parse(R"({"metadata":{"annotations":{"a":"b"}}})"))));
    REQUIRE_OK(m.run(m.client->remove(secrets, "watch", "w2")));
    std::vector<std::pair<k8s::event_type, std::string>> events;
    for (int i = 0; i < 3; ++i) {
        auto e = m.run(w.next());
        REQUIRE_OK(e);
        events.emplace_back(e->type, name_of(e->object));
        BOOST_TEST(e->resource_version == w.resource_version());
    }
    BOOST_TEST((events[0] == std::pair{k8s::event_type::added, std::string("w4")}));
    BOOST_TEST((events[1] == std::pair{k8s::event_type::modified, std::string("w1")}));
    BOOST_TEST((events[2] == std::pair{k8s::event_type::deleted, std::string("w2")}));
    auto const watches = m.requests_to("/api/v1/namespaces/watch/secrets");
    BOOST_TEST(std::any_of(watches.begin(), watches.end(), [&](auto const& r) {
        return r.query.find("watch=true") != std::string::npos &&
               r.query.find("resourceVersion=" + list_rv) != std::string::npos &&
               r.query.find("labelSelector=w%3D1") != std::string::npos;
    }));
}

BOOST_AUTO_TEST_CASE(resumes_from_the_last_version_after_the_stream_drops) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    auto const start = std::to_string(m.server.resource_version());
    k8s::watch_options o;
    o.resource_version = start;
    o.bookmarks = false;
    auto w = m.client->watch<named_object>(secrets, "watch", o);
    auto first = m.run(m.client->create(secrets, "watch", secret("before-drop")));
    REQUIRE_OK(first);
    auto e1 = m.run(w.next());
    REQUIRE_OK(e1);
    BOOST_TEST(e1->object.name == "before-drop");
    BOOST_TEST(w.resource_version() == rv_of(*first));

    m.server.drop_watches(); // synchronous: the stream is gone before the next write
    REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("after-drop"))));
    auto e2 = m.run(w.next());
    REQUIRE_OK(e2);
    BOOST_TEST(e2->object.name == "after-drop"); // not "before-drop" again: resumed, not restarted
    BOOST_TEST(w.reconnects() == 1u);
    BOOST_TEST(w.relists() == 0u);
    std::vector<std::string> queries;
    for (auto& r : m.requests_to("/api/v1/namespaces/watch/secrets"))
        if (r.query.find("watch=true") != std::string::npos) queries.push_back(r.query);
    BOOST_REQUIRE(queries.size() == 2u);
    BOOST_TEST(queries[0].find("resourceVersion=" + start + "&") != std::string::npos);
    BOOST_TEST(queries[1].find("resourceVersion=" + rv_of(*first) + "&") != std::string::npos);
}

// kube-apiserver answers a watch from a compacted version with 200 and one ERROR event whose
// Status is 410 Expired (not with an HTTP 410): the watcher lists again.
BOOST_AUTO_TEST_CASE(relists_when_the_version_is_too_old) {
    mock_cluster m(mock_options(/*watch_window=*/2));
    auto const& secrets = k8s::resources::secrets;
    auto const old = std::to_string(m.server.resource_version());
    for (int i = 0; i < 5; ++i)
        REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("churn-" + std::to_string(i)))));
    k8s::watch_options o;
    o.resource_version = old; // older than the 2-change window: an ERROR event with 410 Expired
    auto w = m.client->watch(secrets, "watch", o);
    auto e = m.run(w.next());
    REQUIRE_OK(e);
    BOOST_TEST((e->type == k8s::event_type::relist_begin));
    std::size_t added = 0;
    for (;;) {
        auto n = m.run(w.next());
        REQUIRE_OK(n);
        if (n->type == k8s::event_type::relist_end) break;
        BOOST_TEST((n->type == k8s::event_type::added));
        ++added;
    }
    BOOST_TEST(added == 5u);
    BOOST_TEST(w.relists() == 1u);
    BOOST_TEST(w.resource_version() == std::to_string(m.server.resource_version()));
    auto const watches = m.requests_to("/api/v1/namespaces/watch/secrets");
    BOOST_TEST(std::any_of(watches.begin(), watches.end(), [&](auto const& r) {
        return r.query.find("resourceVersion=" + old + "&") != std::string::npos && r.status == 200;
    })); // the expired watch was answered, in the event form
    // And it keeps watching from the new list.
    REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("after-relist"))));
    auto next = m.run(w.next());
    REQUIRE_OK(next);
    BOOST_TEST(name_of(next->object) == "after-relist");
}

// An HTTP 410 on opening the watch (what a proxy or an older server may answer) also relists.
BOOST_AUTO_TEST_CASE(relists_when_the_watch_request_is_answered_410) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("kept"))));
    k8s::watch_options o;
    o.resource_version = std::to_string(m.server.resource_version());
    o.bookmarks = false;
    m.server.add_fault(R"({"status":410,"count":1,"method":"GET","path_prefix":"/api/v1/namespaces/watch/secrets"})");
    auto w = m.client->watch<named_object>(secrets, "watch", o);
    auto e = m.run(w.next());
    REQUIRE_OK(e);
    BOOST_TEST((e->type == k8s::event_type::relist_begin));
    auto added = m.run(w.next());
    REQUIRE_OK(added);
    BOOST_TEST(added->object.name == "kept");
    BOOST_TEST(w.relists() == 1u);
    auto const log = m.requests_to("/api/v1/namespaces/watch/secrets");
    BOOST_TEST(std::any_of(log.begin(), log.end(), [](auto const& r) { return r.status == 410 && !r.fault.empty(); }));
}

// A list comes out page by page: a page's objects are handed out before the next page is asked
// for (the caller works on them while the server reads the next), and a list that fails part way
// starts again from relist_begin.
BOOST_AUTO_TEST_CASE(lists_page_by_page_and_starts_a_failed_list_again) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    for (int i = 0; i < 5; ++i)
        REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("page-" + std::to_string(i)))));
    k8s::watch_options o;
    o.bookmarks = false;
    o.list_page_size = 2;
    auto w = m.client->watch<named_object>(secrets, "watch", o);
    auto lists = [&] {
        std::vector<std::string> queries;
        for (auto& r : m.requests_to("/api/v1/namespaces/watch/secrets"))
            if (r.method == "GET" && r.query.find("watch=true") == std::string::npos) queries.push_back(r.query);
        return queries;
    };

    auto begin = m.run(w.next());
    REQUIRE_OK(begin);
    BOOST_TEST((begin->type == k8s::event_type::relist_begin));
    for (int i = 0; i < 2; ++i) {
        auto added = m.run(w.next());
        REQUIRE_OK(added);
        BOOST_TEST((added->type == k8s::event_type::added));
    }
    BOOST_TEST(lists().size() == 1u);  // the first page's objects, and no second page asked for yet

    // The second page is refused: the list fails, and the next call lists from the start.
    m.server.add_fault(R"({"status":403,"count":1,"method":"GET","path_prefix":"/api/v1/namespaces/watch/secrets"})");
    auto failed = m.run(w.next());
    BOOST_TEST(!failed);
    BOOST_TEST(w.relists() == 0u);
    std::vector<std::string> seen;
    for (;;) {
        auto e = m.run(w.next());
        REQUIRE_OK(e);
        if (e->type == k8s::event_type::relist_begin) seen.push_back("begin");
        else if (e->type == k8s::event_type::relist_end) break;
        else seen.push_back(e->object.name);
    }
    std::sort(seen.begin(), seen.end());  // "begin" sorts first
    BOOST_TEST(seen == (std::vector<std::string>{"begin", "page-0", "page-1", "page-2", "page-3", "page-4"}),
               boost::test_tools::per_element());
    BOOST_TEST(w.relists() == 1u);
    BOOST_TEST(w.resource_version() == std::to_string(m.server.resource_version()));
    auto const queries = lists();
    BOOST_REQUIRE(queries.size() == 5u);  // page 1, the refused page 2, then pages 1-3 again
    BOOST_TEST(queries[0].find("continue=") == std::string::npos);
    BOOST_TEST(queries[1].find("continue=") != std::string::npos);
    BOOST_TEST(queries[2].find("continue=") == std::string::npos);
    BOOST_TEST(queries[3].find("continue=") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bookmarks_move_the_resume_version) {
    mock_cluster m(mock_options(0, 50ms));
    auto const& secrets = k8s::resources::secrets;
    k8s::watch_options o;
    o.resource_version = std::to_string(m.server.resource_version());
    REQUIRE_OK(m.run(m.client->create(secrets, "team-a", secret("unrelated")))); // moves the global version
    auto w = m.client->watch(secrets, "watch", o);
    auto e = m.run(w.next()); // nothing happens in "watch": the first event is a bookmark
    REQUIRE_OK(e);
    BOOST_TEST((e->type == k8s::event_type::bookmark));
    BOOST_TEST(!e->resource_version.empty());
    BOOST_TEST(w.resource_version() == e->resource_version);
    BOOST_TEST(e->object.empty());
}

BOOST_AUTO_TEST_CASE(an_event_over_the_size_limit_fails_clearly) {
    mock_cluster m;
    auto const& secrets = k8s::resources::secrets;
    k8s::watch_options o;
    o.resource_version = std::to_string(m.server.resource_version());
    o.bookmarks = false;
    o.max_event_bytes = 1024;
    auto w = m.client->watch(secrets, "watch", o);
    std::string big(4096, 'A');
    REQUIRE_OK(m.run(m.client->create(secrets, "watch", secret("big", {}, big))));
    auto e = m.run(w.next());
    BOOST_REQUIRE(!e);
    BOOST_TEST((e.error() == esx::error::response_too_large));
    BOOST_TEST(e.error().message == "watch event larger than the limit of 1024 bytes");
}

BOOST_AUTO_TEST_CASE(a_forbidden_watch_is_an_error_not_a_loop) {
    mock_cluster m;
    auto cfg = m.config;
    cfg.token = k8s::token_source::fixed(esx::secret_bytes("reader-token"));
    auto reader = m.make_client(cfg);
    k8s::watch_options o;
    o.resource_version = "1";
    auto w = reader->watch(k8s::resources::secrets, "watch", o);
    auto e = m.run(w.next());
    BOOST_REQUIRE(!e);
    BOOST_TEST((e.error() == esx::condition::forbidden));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
