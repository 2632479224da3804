// What a `target.template` costs next to the rest of a sync: renders/s of a typical TLS
// template (a Key Vault certificate's PFX to `tls.crt` and `tls.key` with pkcs12cert and
// pkcs12key) and of `{{ .a }}-{{ .b }}`, and the parse that the per-generation cache saves,
// beside a Key Vault read (esx::keyvault::client GET of the certificate's secret) and a Secret
// write (esx::kube::client PUT) measured in the same run against the in-process mock Azure and
// mock Kubernetes (optimised builds, their own threads). The last column is the template's
// share of one sync made of one read, one render and one write.
//
// Prints figures, asserts nothing about time. Exits 1 only when an operation fails or
// renders something else than the first render did, so no side looks fast by doing less.
#include "bench/support/window.hpp"
#include "bench/support/window_options.hpp"
#include <esx/keyvault/client.hpp>
#include <esx/kube/client.hpp>
#include <esx/kube/config.hpp>
#include <esx/transform/template.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/retry.hpp>

#include "mocks/azure/server.hpp"
#include "mocks/kube/server.hpp"
#include "tests/integration/keyvault/counting_client_secret.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

namespace {

namespace net = boost::asio;
namespace tp = esx::transform::templating;
using esx::bench::bench_clock;
using esx::bench::window;
using transport_t = esx::transport::retry<esx::transport::https>;
using kv_client_t = esx::keyvault::client<esx::test::counting_client_secret, transport_t>;

constexpr auto warmup = std::chrono::milliseconds(200);

std::string azure_seed() {
    boost::json::value v = {
        {"vault_suffix", "vault.esx.test"},
        {"tenants", {{{"id", "esx-tenant"}}}},
        {"service_principals", {{{"tenant", "esx-tenant"}, {"client_id", "esx-client"}, {"secrets", {"esx-secret"}}}}},
        {"vaults",
         {{{"name", "bench"},
           {"tenant", "esx-tenant"},
           {"throttle", {{"limit", 1000000000}, {"window_seconds", 1}}},
           {"certificates",
            {{{"name", "api-tls"}, {"subject", "CN=api.example.test"}, {"kty", "RSA"}, {"size", 2048},
              {"validity_months", 12}}}}}}},
        {"access", {{{"identity", "esx-client"}, {"vault", "bench"}, {"secrets", {"get"}}, {"certificates", {"get"}}}}}};
    return boost::json::serialize(v);
}

char const* no_env(char const*) { return nullptr; }

/// Runs `body` repeatedly for `seconds` after a warm-up; returns calls per second.
double per_second(double seconds, std::function<void()> const& body) {
    auto const start = bench_clock::now() + warmup;
    auto const end = start + std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(seconds));
    std::size_t counted = 0;
    bench_clock::time_point first{};
    for (auto now = bench_clock::now(); now < end; now = bench_clock::now()) {
        body();
        if (now >= start) {
            if (counted == 0) first = now;
            ++counted;
        }
    }
    double const elapsed = std::chrono::duration<double>(bench_clock::now() - first).count();
    return counted == 0 || elapsed <= 0 ? 0.0 : static_cast<double>(counted) / elapsed;
}

[[noreturn]] void die(std::string const& why) {
    std::fprintf(stderr, "bench-template: %s\n", why.c_str());
    std::exit(1);
}

#if defined(__OPTIMIZE__) && defined(NDEBUG)
constexpr char const* build_type = "optimised, NDEBUG";
#else
constexpr char const* build_type = "NOT optimised: the figures mean little";
#endif

} // namespace

int main(int argc, char** argv) {
    auto const options = esx::bench::parse_window_options(argc, argv, "bench-template", 1.0);
    if (!options) return 2;
    double const seconds = options->seconds;
    int const runs = options->runs;

    // --- the servers and the clients --------------------------------------------------------
    esx::mocks::azure::options ao;
    ao.seed_json = azure_seed();
    esx::mocks::azure::server azure(std::move(ao));
    esx::mocks::kube::options ko;
    ko.seed_json = R"({"users":[{"name":"admin","token":"esx-admin-token"}],"namespaces":["bench"]})";
    esx::mocks::kube::server kube(ko);

    net::io_context ioc;
    esx::transport::options to;
    to.ca_pem = azure.ca_pem();
    to.resolve["bench.vault.esx.test:" + std::to_string(azure.port())] = "127.0.0.1";
    esx::custom_cloud_config custom{azure.authority(), std::nullopt, std::string("vault.esx.test"), std::nullopt};
    auto const cloud = esx::cloud_for("AzureStackCloud", custom, &no_env).value();
    transport_t transport(ioc.get_executor(), to);
    esx::test::counting_client_secret auth(azure.authority(), "esx-tenant", "esx-client", "esx-secret");
    auto vault = kv_client_t::make(auth, transport, cloud, azure.vault_url("bench")).value();

    auto cfg = esx::kube::config::from_kubeconfig({.paths = kube.kubeconfig_file().string(), .context = {}, .env = {}});
    if (!cfg) die(cfg.error().what());
    cfg->qps = 0;  // measure the write, not the client's rate limiter
    esx::kube::client<> k8s(ioc.get_executor(), *cfg);

    // The certificate's PFX (base64), as a `data` entry naming `secret/api-tls` reads it.
    std::string pfx;
    boost::json::object target;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        auto r = co_await vault.get_secret("api-tls");
        if (!r) throw std::runtime_error("Key Vault read: " + r.error().what());
        pfx = std::string(r->value.reveal());
        boost::json::object s{{"metadata", {{"name", "api-tls"}}}, {"type", "kubernetes.io/tls"},
                              {"data", {{"tls.crt", "AA=="}, {"tls.key", "AA=="}}}};
        auto created = co_await k8s.create(esx::kube::resources::secrets, "bench", s);
        if (!created) throw std::runtime_error("Secret create: " + created.error().what());
        target = std::move(*created);
    }, [](std::exception_ptr e) {
        if (e) try { std::rethrow_exception(e); } catch (std::exception const& x) { die(x.what()); }
    });
    ioc.run();

    // --- the templates -------------------------------------------------------------------------
    auto const functions = tp::eso_functions();
    tp::options const opts;
    auto compile = [&](char const* key, char const* text) {
        auto t = tp::compiled_template::parse(key, text, functions, opts);
        if (!t) die(t.error().what());
        return *t;
    };
    auto const tls_crt = compile("tls.crt", "{{ .pfx | b64dec | pkcs12cert }}");
    auto const tls_key = compile("tls.key", "{{ .pfx | b64dec | pkcs12key }}");
    auto const simple = compile("k", "{{ .a }}-{{ .b }}");
    tp::string_map_type tls_data_map;
    tls_data_map.emplace("pfx", tp::text(pfx));
    auto const tls_data = tp::value::string_map(std::move(tls_data_map));
    tp::string_map_type simple_map;
    simple_map.emplace("a", tp::text("user"));
    simple_map.emplace("b", tp::text("password-0123456789"));
    auto const simple_data = tp::value::string_map(std::move(simple_map));

    auto const crt0 = tls_crt.render(tls_data);
    auto const key0 = tls_key.render(tls_data);
    if (!crt0 || !key0) die("TLS template: " + (crt0 ? key0.error() : crt0.error()).what());
    if (!crt0->view().starts_with("-----BEGIN CERTIFICATE-----") || !key0->view().starts_with("-----BEGIN PRIVATE KEY-----"))
        die("TLS template: not a PEM certificate and key");
    std::string const expected_crt(crt0->view()), expected_key(key0->view());

    // --- measurements ------------------------------------------------------------------------
    double best_read = 0, best_write = 0, best_tls = 0, best_simple = 0, best_parse = 0;
    std::size_t writes = 0;
    for (int run = 0; run < runs; ++run) {
        best_read = std::max(best_read, esx::bench::measure(ioc, 1, seconds, warmup, "bench-template", "Key Vault read",
                                                            [&](window& w) -> net::awaitable<void> {
                                                                while (w.running()) {
                                                                    auto r = co_await vault.get_secret("api-tls");
                                                                    if (!r) {
                                                                        w.fail(r.error().what());
                                                                        co_return;
                                                                    }
                                                                    w.completed(r->value.reveal() == pfx, "another value");
                                                                }
                                                            }));
        best_write = std::max(best_write, esx::bench::measure(ioc, 1, seconds, warmup, "bench-template", "Secret write",
                                                              [&](window& w) -> net::awaitable<void> {
                                                                  while (w.running()) {
                                                                      auto& data = target["data"].as_object();
                                                                      data["tls.crt"] = (++writes % 2) ? "AQ==" : "Ag==";
                                                                      auto r = co_await k8s.replace(
                                                                          esx::kube::resources::secrets, "bench", "api-tls", target);
                                                                      if (!r) {
                                                                          w.fail(r.error().what());
                                                                          co_return;
                                                                      }
                                                                      target = std::move(*r);
                                                                      w.completed(true, "");
                                                                  }
                                                              }));
        best_tls = std::max(best_tls, per_second(seconds, [&] {
                                auto c = tls_crt.render(tls_data);
                                auto k = tls_key.render(tls_data);
                                if (!c || !k || c->view() != expected_crt || k->view() != expected_key)
                                    die("TLS template rendered something else");
                            }));
        best_simple = std::max(best_simple, per_second(seconds, [&] {
                                   auto r = simple.render(simple_data);
                                   if (!r || r->view() != "user-password-0123456789") die("simple template rendered something else");
                               }));
        best_parse = std::max(best_parse, per_second(seconds, [&] {
                                  auto c = tp::compiled_template::parse("tls.crt", "{{ .pfx | b64dec | pkcs12cert }}", functions, opts);
                                  auto k = tp::compiled_template::parse("tls.key", "{{ .pfx | b64dec | pkcs12key }}", functions, opts);
                                  if (!c || !k) die("parse failed");
                              }));
    }

    auto us = [](double per_s) { return per_s > 0 ? 1e6 / per_s : 0.0; };
    double const read_us = us(best_read), write_us = us(best_write);
    auto share = [&](double render_us) { return 100.0 * render_us / (read_us + write_us + render_us); };
    std::printf("bench-template: one target render next to the Key Vault read and Secret write of a sync; "
                "%s; %.1f s per measure, best of %d\n"
                "  (mocks in-process over loopback TLS, one request at a time; the PFX is a 2048-bit RSA Key Vault "
                "certificate, %zu base64 bytes)\n",
                build_type, seconds, runs, pfx.size());
    std::printf("%-46s %12s %12s %18s\n", "operation", "per second", "us each", "share of a sync");
    std::printf("%-46s %12.0f %12.1f %18s\n", "Key Vault read (GET secret/api-tls)", best_read, read_us, "-");
    std::printf("%-46s %12.0f %12.1f %18s\n", "Secret write (PUT, kubernetes.io/tls)", best_write, write_us, "-");
    std::printf("%-46s %12.0f %12.1f %17.1f%%\n", "TLS template: tls.crt + tls.key (pkcs12cert/key)", best_tls,
                us(best_tls), share(us(best_tls)));
    std::printf("%-46s %12.0f %12.2f %17.2f%%\n", "{{ .a }}-{{ .b }}", best_simple, us(best_simple), share(us(best_simple)));
    std::printf("%-46s %12.0f %12.1f %18s\n", "parse of the TLS pair (what the cache saves)", best_parse, us(best_parse), "-");
    std::fflush(nullptr);
    azure.stop();
    kube.stop();
    return 0;
}
