// esx/kube without a server: the YAML subset, kubeconfig loading and merging, in-cluster
// files, exec credential plugins and the rate limiter on a fake clock.
#include "tests/support/temp_dir.hpp"
#include <esx/kube/config.hpp>
#include <esx/kube/credentials.hpp>
#include <esx/yaml.hpp>
#include <esx/kube/rate_limiter.hpp>
#include <esx/testing/fake_clock.hpp>
#include <esx/transport/detail/tls.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

using esx::test::temp_dir;

esx::kube::env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string const& k) -> std::optional<std::string> {
        if (auto it = vars.find(k); it != vars.end()) return it->second;
        return std::nullopt;
    };
}

std::string b64(std::string_view in) {
    static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        unsigned n = unsigned(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size()) n |= unsigned(static_cast<unsigned char>(in[i + 1])) << 8;
        if (i + 2 < in.size()) n |= unsigned(static_cast<unsigned char>(in[i + 2]));
        out += t[(n >> 18) & 63];
        out += t[(n >> 12) & 63];
        out += i + 1 < in.size() ? t[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? t[n & 63] : '=';
    }
    return out;
}

std::string token_of(esx::kube::config const& c) {
    BOOST_REQUIRE(c.token);
    auto t = c.token->token(std::chrono::system_clock::now());
    BOOST_REQUIRE_MESSAGE(t, (static_cast<bool>(t) ? std::string() : t.error().what()));
    return std::string(t->reveal());
}

std::string read_all(fs::path const& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(kube)

BOOST_AUTO_TEST_SUITE(kubeconfig_yaml)

// The kubeconfig reader is esx's YAML reader (yaml-cpp) with plain scalars kept as text, as
// go-yaml decodes them into kubeconfig's string fields.
BOOST_AUTO_TEST_CASE(reads_the_kubectl_layout_with_plain_scalars_as_text) {
    esx::yaml_options o;
    o.plain_scalars_as_text = true;
    auto docs = esx::yaml_documents(R"(---
apiVersion: v1   # a comment
kind: Config
clusters:
- name: "one"
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
  - name: 'it''s'
    user:
      token: 0123
      args: [get-token, "--login", 'x y']
      empty: {}
      none:
      note: |
        line one
        # not a comment
contexts: []
)", o);
    BOOST_REQUIRE_MESSAGE(docs, (static_cast<bool>(docs) ? "" : docs.error().what()));
    auto const& o2 = docs->at(0).as_object();
    BOOST_TEST(o2.at("kind").as_string() == "Config");
    auto const& cl = o2.at("clusters").as_array().at(0).as_object();
    BOOST_TEST(cl.at("cluster").at("server").as_string() == "https://127.0.0.1:6443");
    BOOST_TEST(cl.at("cluster").at("insecure-skip-tls-verify").as_string() == "true");
    auto const& u = o2.at("users").as_array().at(0).as_object();
    BOOST_TEST(u.at("name").as_string() == "it's");
    BOOST_TEST(u.at("user").at("token").as_string() == "0123"); // a token keeps its leading zero
    BOOST_TEST(u.at("user").at("args").as_array().at(2).as_string() == "x y");
    BOOST_TEST(u.at("user").at("empty").as_object().empty());
    BOOST_TEST(u.at("user").at("none").is_null());
    BOOST_TEST(u.at("user").at("note").as_string() == "line one\n# not a comment\n");
}

BOOST_AUTO_TEST_CASE(malformed_kubeconfig_names_the_line) {
    auto bad = esx::kube::config::from_kubeconfig_text("apiVersion: v1\nclusters:\n- name: [one\n");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().message.find("line") != std::string::npos);
    BOOST_TEST((bad.error() == condition::invalid_input));
    auto dup = esx::kube::config::from_kubeconfig_text("kind: Config\nkind: Config\n");
    BOOST_REQUIRE(!dup);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(kubeconfig)

BOOST_AUTO_TEST_CASE(token_ca_data_and_namespace) {
    auto c = kube::config::from_kubeconfig_text(R"(
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: )" + b64("CA-PEM") + R"(
users:
- name: u
  user:
    token: static-token
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: team-a}
current-context: ctx
)");
    BOOST_REQUIRE_MESSAGE(c, (static_cast<bool>(c) ? "" : c.error().what()));
    BOOST_TEST(c->server == "https://10.0.0.1:6443"); // trailing slash dropped
    BOOST_TEST(c->ca_pem == "CA-PEM");
    BOOST_TEST(c->default_namespace == "team-a");
    BOOST_TEST(c->context == "ctx");
    BOOST_TEST(!c->insecure_skip_tls_verify);
    BOOST_TEST((c->token->type() == kube::token_source::kind::fixed));
    BOOST_TEST(token_of(*c) == "static-token");
}

BOOST_AUTO_TEST_CASE(several_files_merge_first_wins_and_context_override) {
    temp_dir d;
    auto const f1 = d.write("a/config", R"(
clusters:
- name: shared
  cluster:
    server: https://first.example:6443
contexts:
- name: a
  context:
    cluster: shared
    user: ua
current-context: a
users:
- name: ua
  user:
    token: token-a
)");
    auto const f2 = d.write("b/config", R"(
clusters:
- name: shared
  cluster:
    server: https://second.example:6443
- name: other
  cluster:
    server: https://other.example:6443
    certificate-authority: ca/ca.pem
    insecure-skip-tls-verify: true
contexts:
- name: b
  context:
    cluster: other
    user: ub
    namespace: nb
current-context: b
users:
- name: ub
  user:
    tokenFile: tok
- name: ua
  user:
    token: not-this-one
)");
    d.write("b/tok", "token-b\n");
    d.write("b/ca/ca.pem", "CA-FROM-FILE");
    std::string const list = f1.string() + ":" + (d.path / "missing").string() + ":" + f2.string();

    // KUBECONFIG from the environment; current-context from the first file that sets it.
    auto a = kube::config::from_kubeconfig({.paths = {}, .context = {}, .env = env_of({{"KUBECONFIG", list}})});
    BOOST_REQUIRE_MESSAGE(a, (static_cast<bool>(a) ? "" : a.error().what()));
    BOOST_TEST(a->context == "a");
    BOOST_TEST(a->server == "https://first.example:6443"); // first definition of `shared` wins
    BOOST_TEST(token_of(*a) == "token-a");
    BOOST_TEST(a->default_namespace == "default");

    // --context picks the second file's context; relative paths resolve against that file.
    auto b = kube::config::from_kubeconfig({.paths = list, .context = "b", .env = env_of({})});
    BOOST_REQUIRE_MESSAGE(b, (static_cast<bool>(b) ? "" : b.error().what()));
    BOOST_TEST(b->server == "https://other.example:6443");
    BOOST_TEST(b->default_namespace == "nb");
    BOOST_TEST(b->ca_pem == "CA-FROM-FILE");
    BOOST_TEST(b->insecure_skip_tls_verify);
    BOOST_TEST((b->token->type() == kube::token_source::kind::file));
    BOOST_TEST(b->token->file() == d.path / "b" / "tok");
    BOOST_TEST(token_of(*b) == "token-b");
}

BOOST_AUTO_TEST_CASE(client_certificate_as_files_or_data) {
    temp_dir d;
    d.write("pki/client.pem", "CERT-FILE");
    d.write("pki/client-key.pem", "KEY-FILE");
    auto const kc = d.write("config", R"(
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: files
  user:
    client-certificate: pki/client.pem
    client-key: pki/client-key.pem
- name: data
  user:
    client-certificate-data: )" + b64("CERT-DATA") + R"(
    client-key-data: )" + b64("KEY-DATA") + R"(
- name: half
  user:
    client-certificate-data: )" + b64("CERT-DATA") + R"(
contexts:
- {name: files, context: {cluster: c, user: files}}
- {name: data, context: {cluster: c, user: data}}
- {name: half, context: {cluster: c, user: half}}
current-context: files
)");
    auto f = kube::config::from_kubeconfig({.paths = kc.string(), .context = {}, .env = env_of({})});
    BOOST_REQUIRE_MESSAGE(f, (static_cast<bool>(f) ? "" : f.error().what()));
    BOOST_TEST(f->client_certificate_pem == "CERT-FILE");
    BOOST_TEST(f->client_key_pem.reveal() == "KEY-FILE");
    BOOST_TEST(!f->token);
    auto dd = kube::config::from_kubeconfig({.paths = kc.string(), .context = "data", .env = env_of({})});
    BOOST_REQUIRE(dd);
    BOOST_TEST(dd->client_certificate_pem == "CERT-DATA");
    BOOST_TEST(dd->client_key_pem.reveal() == "KEY-DATA");
    auto half = kube::config::from_kubeconfig({.paths = kc.string(), .context = "half", .env = env_of({})});
    BOOST_REQUIRE(!half);
    BOOST_TEST(half.error().message.find("client-certificate and client-key must be given together") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_real_client_certificate_loads_into_tls_and_a_mismatched_key_is_refused) {
    // A throw-away key pair made with the openssl CLI (no network): loading it is what mTLS needs.
    temp_dir d;
    std::string const cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=esx "
                            "-keyout " + (d.path / "k1.pem").string() + " -out " + (d.path / "c1.pem").string() +
                            " 2>/dev/null && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                            (d.path / "k2.pem").string() + " 2>/dev/null";
    BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
    transport::options o;
    o.client_certificate_pem = read_all(d.path / "c1.pem");
    o.client_key_pem = secret_bytes(read_all(d.path / "k1.pem"));
    BOOST_TEST(transport::detail::make_client_context(o).has_value());
    o.client_key_pem = secret_bytes(read_all(d.path / "k2.pem"));
    auto bad = transport::detail::make_client_context(o);
    BOOST_TEST((!bad && bad.error() == error::invalid_option));
    o.client_key_pem = {};
    auto half = transport::detail::make_client_context(o);
    BOOST_TEST((!half && half.error() == error::invalid_option));
}

BOOST_AUTO_TEST_CASE(exec_section) {
    temp_dir d;
    auto const kc = d.write("dir/config", R"(
clusters:
- name: c
  cluster: {server: "https://aks.example:443", certificate-authority-data: )" + b64("CA") + R"(}
users:
- name: aks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/kubelogin
      args:
      - get-token
      - --server-id
      - 6dae42f8-4368-4678-94ff-3960e28e3630
      env:
      - name: AAD_LOGIN_METHOD
        value: workloadidentity
      provideClusterInfo: true
      interactiveMode: Never
- name: old
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1alpha1
      command: x
contexts:
- {name: aks, context: {cluster: c, user: aks}}
- {name: old, context: {cluster: c, user: old}}
current-context: aks
)");
    auto c = kube::config::from_kubeconfig({.paths = kc.string(), .context = {}, .env = env_of({})});
    BOOST_REQUIRE_MESSAGE(c, (static_cast<bool>(c) ? "" : c.error().what()));
    BOOST_REQUIRE(c->token);
    auto const* e = c->token->exec();
    BOOST_REQUIRE(e);
    BOOST_TEST(e->command == (d.path / "dir" / "./bin/kubelogin").string()); // has a `/`: relative to the file
    BOOST_TEST(e->args.size() == 3u);
    BOOST_REQUIRE(e->env.size() == 1u);
    BOOST_TEST(e->env[0].first == "AAD_LOGIN_METHOD");
    BOOST_TEST(e->provide_cluster_info);
    BOOST_TEST(e->cluster_server == "https://aks.example:443");
    BOOST_TEST(e->cluster_ca_pem == "CA");
    auto old = kube::config::from_kubeconfig({.paths = kc.string(), .context = "old", .env = env_of({})});
    BOOST_REQUIRE(!old);
    BOOST_TEST(old.error().message.find("exec.apiVersion") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_name_the_context_the_user_and_the_field) {
    std::string const base = R"(
clusters:
- name: c
  cluster: {server: "https://x:1", certificate-authority-data: "%%%"}
users: []
contexts:
- {name: ok, context: {cluster: c}}
- {name: nouser, context: {cluster: c, user: ghost}}
)";
    auto unknown = kube::config::from_kubeconfig_text(base, "nope");
    BOOST_REQUIRE(!unknown);
    BOOST_TEST(unknown.error().message == "kubeconfig: context `nope` not found");
    BOOST_TEST((unknown.error() == condition::invalid_input));
    auto no_current = kube::config::from_kubeconfig_text(base);
    BOOST_REQUIRE(!no_current);
    BOOST_TEST(no_current.error().message.find("no current-context") != std::string::npos);
    auto ghost = kube::config::from_kubeconfig_text(base, "nouser");
    BOOST_REQUIRE(!ghost);
    BOOST_TEST(ghost.error().message.find("cluster `c`: certificate-authority-data is not valid base64") !=
               std::string::npos);
    auto none = kube::config::from_kubeconfig({.paths = "/nonexistent/a:/nonexistent/b", .context = {}, .env = env_of({})});
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().message.find("none of") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(load_prefers_in_cluster_unless_a_kubeconfig_is_asked_for) {
    temp_dir d;
    d.write("sa/token", "sa-token");
    d.write("sa/ca.crt", "SA-CA");
    d.write("sa/namespace", "pod-ns");
    auto const kc = d.write("config", "clusters:\n- {name: c, cluster: {server: 'https://k:1'}}\n"
                                      "contexts:\n- {name: x, context: {cluster: c}}\ncurrent-context: x\n");
    auto env = env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"},
                       {"KUBECONFIG", kc.string()}});
    kube::in_cluster_options in{d.path / "sa", env};
    auto a = kube::config::load({.paths = {}, .context = {}, .env = env}, in);
    BOOST_REQUIRE_MESSAGE(a, (static_cast<bool>(a) ? "" : a.error().what()));
    BOOST_TEST(a->server == "https://10.96.0.1:443");
    auto b = kube::config::load({.paths = kc.string(), .context = {}, .env = env}, in);
    BOOST_REQUIRE(b);
    BOOST_TEST(b->server == "https://k:1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(in_cluster)

BOOST_AUTO_TEST_CASE(reads_the_service_account_volume) {
    temp_dir d;
    d.write("token", "first-token");
    d.write("ca.crt", "CLUSTER-CA");
    d.write("namespace", "esx-system\n");
    auto c = kube::config::in_cluster({d.path, env_of({{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                                       {"KUBERNETES_SERVICE_PORT", "6443"}})});
    BOOST_REQUIRE_MESSAGE(c, (static_cast<bool>(c) ? "" : c.error().what()));
    BOOST_TEST(c->server == "https://[fd00::1]:6443");
    BOOST_TEST(c->ca_pem == "CLUSTER-CA");
    BOOST_TEST(c->default_namespace == "esx-system");
    BOOST_TEST(token_of(*c) == "first-token");
}

BOOST_AUTO_TEST_CASE(a_rotated_token_file_is_read_again) {
    temp_dir d;
    d.write("token", "first-token");
    d.write("ca.crt", "CLUSTER-CA");
    auto c = kube::config::in_cluster({d.path, env_of({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                                       {"KUBERNETES_SERVICE_PORT", "443"}})});
    BOOST_REQUIRE(c);
    BOOST_TEST(token_of(*c) == "first-token");
    BOOST_TEST(token_of(*c) == "first-token");
    BOOST_TEST(c->token->refreshes() == 1u); // unchanged file: not read again
    // The kubelet writes a new file and swaps it in (a new inode).
    d.write("token.new", "second-token");
    fs::rename(d.path / "token.new", d.path / "token");
    BOOST_TEST(token_of(*c) == "second-token");
    BOOST_TEST(c->token->refreshes() == 2u);
}

BOOST_AUTO_TEST_CASE(outside_a_cluster_or_without_a_token_it_says_why) {
    temp_dir d;
    auto out = kube::config::in_cluster({d.path, env_of({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}})});
    BOOST_REQUIRE(!out);
    BOOST_TEST(out.error().message.find("KUBERNETES_SERVICE_PORT") != std::string::npos);
    auto no_token = kube::config::in_cluster({d.path, env_of({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                                              {"KUBERNETES_SERVICE_PORT", "443"}})});
    BOOST_REQUIRE(!no_token);
    BOOST_TEST(no_token.error().message.find((d.path / "token").string()) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credentials)

BOOST_AUTO_TEST_CASE(exec_plugin_token_is_cached_until_it_expires) {
    temp_dir d;
    auto const log = d.path / "runs.log";
    kube::exec_config e;
    e.command = "/bin/sh";
    e.args = {ESX_TEST_EXEC_PLUGIN};
    e.env = {{"ESX_TEST_EXEC_LOG", log.string()}, {"ESX_TEST_EXEC_TOKEN", "plugin-token-1"},
             {"ESX_TEST_EXEC_EXPIRY", "2026-01-01T01:00:00Z"}};
    e.provide_cluster_info = true;
    e.cluster_server = "https://127.0.0.1:6443";
    e.cluster_ca_pem = "CA";
    auto src = kube::token_source::from_exec(e);
    auto const t0 = std::chrono::system_clock::from_time_t(1767225600); // 2026-01-01T00:00:00Z
    auto a = src->token(t0);
    BOOST_REQUIRE_MESSAGE(a, (static_cast<bool>(a) ? "" : a.error().what()));
    BOOST_TEST(a->reveal() == "plugin-token-1");
    BOOST_TEST(src->token(t0 + 59min)->reveal() == "plugin-token-1");
    BOOST_TEST(src->refreshes() == 1u); // cached: the plugin ran once
    BOOST_TEST(src->token(t0 + 61min).has_value());
    BOOST_TEST(src->refreshes() == 2u); // expired: ran again
    src->invalidate();
    BOOST_TEST(src->token(t0).has_value());
    BOOST_TEST(src->refreshes() == 3u); // after a 401 the client invalidates it

    // What the plugin was told.
    std::istringstream runs(read_all(log));
    std::string first;
    std::getline(runs, first);
    auto info = boost::json::parse(first).as_object();
    BOOST_TEST(info.at("apiVersion").as_string() == "client.authentication.k8s.io/v1");
    BOOST_TEST(info.at("kind").as_string() == "ExecCredential");
    BOOST_TEST(info.at("spec").at("interactive").as_bool() == false);
    BOOST_TEST(info.at("spec").at("cluster").at("server").as_string() == "https://127.0.0.1:6443");
    BOOST_TEST(info.at("spec").at("cluster").at("certificate-authority-data").as_string() == b64("CA"));
}

BOOST_AUTO_TEST_CASE(exec_plugin_failures_name_the_command_and_not_the_token) {
    temp_dir d;
    kube::exec_config e;
    e.command = "/bin/sh";
    e.args = {ESX_TEST_EXEC_PLUGIN};
    e.env = {{"ESX_TEST_EXEC_FAIL", "1"}, {"ESX_TEST_EXEC_LOG", (d.path / "log").string()}};
    auto failed = kube::run_exec_plugin(e);
    BOOST_REQUIRE(!failed);
    BOOST_TEST(failed.error().message == "exec plugin /bin/sh: exited with status 3");

    kube::exec_config missing;
    missing.command = "esx-no-such-plugin";
    missing.install_hint = "install it with: brew install esx-no-such-plugin";
    auto absent = kube::run_exec_plugin(missing);
    BOOST_REQUIRE(!absent);
    BOOST_TEST(absent.error().message.find("cannot be started") != std::string::npos);
    BOOST_TEST(absent.error().message.find("brew install") != std::string::npos);

    auto wrong = kube::parse_exec_credential(
        R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"sekrit"}})",
        "client.authentication.k8s.io/v1");
    BOOST_REQUIRE(!wrong);
    BOOST_TEST(wrong.error().message.find("apiVersion") != std::string::npos);
    BOOST_TEST(wrong.error().message.find("sekrit") == std::string::npos);
    auto bad_time = kube::parse_exec_credential(
        R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"sekrit","expirationTimestamp":"soon"}})",
        "client.authentication.k8s.io/v1");
    BOOST_REQUIRE(!bad_time);
    BOOST_TEST(bad_time.error().message.find("expirationTimestamp") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rate_limit)

template <class T>
T run(boost::asio::awaitable<T> a) {
    boost::asio::io_context io;
    std::optional<T> out;
    boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        if (e) std::rethrow_exception(e);
        out.emplace(std::move(v));
    });
    io.run();
    return std::move(*out);
}

BOOST_AUTO_TEST_CASE(burst_then_qps_on_a_fake_clock) {
    testing::fake_clock clock;
    kube::rate_limiter<testing::fake_clock> limiter(2, 3, clock);
    auto five = [&]() -> boost::asio::awaitable<int> {
        for (int i = 0; i < 5; ++i) co_await limiter.acquire();
        co_return 0;
    };
    run(five());
    // Three at once (the burst), then one every 1/qps = 500 ms.
    BOOST_TEST(clock.sleeps() == (std::vector<std::chrono::milliseconds>{500ms, 500ms}), boost::test_tools::per_element());
    BOOST_TEST(limiter.throttled() == 2u);
}

BOOST_AUTO_TEST_CASE(tokens_come_back_with_time_up_to_the_burst) {
    testing::fake_clock clock;
    kube::rate_limiter<testing::fake_clock> limiter(10, 5, clock);
    for (int i = 0; i < 5; ++i) BOOST_TEST(limiter.reserve() == 0ms);
    BOOST_TEST(limiter.reserve() == 100ms); // empty: the next one waits 1/qps
    clock.advance(10s);                     // refills to the burst, not beyond
    for (int i = 0; i < 5; ++i) BOOST_TEST(limiter.reserve() == 0ms);
    BOOST_TEST(limiter.reserve() > 0ms);
}

BOOST_AUTO_TEST_CASE(zero_qps_means_unlimited) {
    testing::fake_clock clock;
    kube::rate_limiter<testing::fake_clock> limiter(0, 1, clock);
    for (int i = 0; i < 1000; ++i) BOOST_TEST(limiter.reserve() == 0ms);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
