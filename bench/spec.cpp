// Parse + validate throughput of ExternalSecrets (objects/s and bytes/s): Boost.JSON's bare
// `json::parse` of the same bytes (the baseline), then + conversion to esx::spec types, then
// + validation, for a typical ExternalSecret and a large one with 100 data entries; also YAML
// input (yaml-cpp to JSON, then the rest) for the typical one. All in the same run.
//
// Prints figures and never asserts on time. It fails (exit 1) if a document does not parse
// and validate to the expected resource, so no stage can look fast by doing less work.
#include <esx/spec.hpp>
#include <esx/spec/manifest.hpp>

#include <boost/json.hpp>
#include <boost/version.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using bench_clock = std::chrono::steady_clock;
namespace json = boost::json;

std::string typical_yaml() {
    return R"(apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: payments-db
  namespace: payments
  labels: {app.kubernetes.io/name: payments, team: billing}
spec:
  refreshInterval: 15m
  secretStoreRef: {kind: ClusterSecretStore, name: shared-vault}
  target:
    name: payments-db
    creationPolicy: Owner
    template:
      type: Opaque
      metadata: {labels: {managed-by: esx}}
      data:
        dsn: "postgres://{{ .username }}:{{ .password }}@db:5432/payments"
  data:
  - secretKey: username
    remoteRef: {key: payments-db-user}
  - secretKey: password
    remoteRef: {key: secret/payments-db-pass, version: 4f3c2b1a}
  - secretKey: tls.crt
    remoteRef: {key: cert/payments-tls}
  - secretKey: signing.jwk
    remoteRef: {key: key/payments-signing, property: "n"}
  dataFrom:
  - extract: {key: payments-config, decodingStrategy: Auto}
    rewrite:
    - regexp: {source: "^(.*)$", target: "config_$1"}
)";
}

json::value large_document() {
    json::array data;
    for (int i = 0; i < 100; ++i) {
        std::string n = std::to_string(i);
        json::object remote{{"key", (i % 3 == 0 ? "secret/app-value-" : "app-value-") + n}};
        if (i % 4 == 0) remote["property"] = "field" + n;
        if (i % 5 == 0) remote["decodingStrategy"] = "Base64";
        data.push_back(json::object{{"secretKey", "key-" + n}, {"remoteRef", std::move(remote)}});
    }
    return json::object{{"apiVersion", "external-secrets.io/v1"},
                        {"kind", "ExternalSecret"},
                        {"metadata", json::object{{"name", "big-app"}, {"namespace", "apps"}}},
                        {"spec", json::object{{"refreshInterval", "1h"},
                                              {"secretStoreRef", json::object{{"name", "vault"}, {"kind", "SecretStore"}}},
                                              {"target", json::object{{"name", "big-app"}}},
                                              {"data", std::move(data)}}}};
}

struct figure {
    double objects_per_second;
    double bytes_per_second;
};

/// Runs `body` (one document per call) for about `seconds`, best of `runs` windows.
figure measure(std::size_t bytes, double seconds, int runs, std::function<bool()> const& body) {
    double best = 0;
    for (int r = 0; r < runs; ++r) {
        std::size_t n = 0;
        auto start = bench_clock::now();
        auto deadline = start + std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(seconds));
        bench_clock::time_point now;
        do {
            for (int i = 0; i < 64; ++i) {
                if (!body()) {
                    std::fprintf(stderr, "bench-spec: a document did not parse and validate\n");
                    std::exit(1);
                }
            }
            n += 64;
            now = bench_clock::now();
        } while (now < deadline);
        double rate = double(n) / std::chrono::duration<double>(now - start).count();
        if (rate > best) best = rate;
    }
    return {best, best * double(bytes)};
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 1.0;
    int runs = 2;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
        else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: bench-spec [--seconds X (1)] [--runs N (2)]\n");
            return 2;
        }
    }

    auto typical_docs = esx::spec::load_documents(typical_yaml());
    if (!typical_docs) return std::fprintf(stderr, "bench-spec: %s\n", typical_docs.error().message.c_str()), 1;
    std::string const typical_json = json::serialize(typical_docs->front());
    std::string const large_json = json::serialize(large_document());
    std::string const yaml = typical_yaml();

    // Each stage must see the resource it should; checked once up front and on every call.
    auto parse_json = [](std::string const& text, std::size_t expect_data) {
        return [&text, expect_data] {
            json::value v = json::parse(text);
            return v.at("spec").at("data").as_array().size() == expect_data;
        };
    };
    auto convert = [](std::string const& text, std::size_t expect_data) {
        return [&text, expect_data] {
            auto es = esx::spec::read_external_secret(json::parse(text));
            return es && es->spec.data.size() == expect_data;
        };
    };
    auto validate = [](std::string const& text, std::size_t expect_data) {
        return [&text, expect_data] {
            auto es = esx::spec::parse_as<esx::spec::external_secret>(json::parse(text));
            return es && es->spec.data.size() == expect_data;
        };
    };
    auto from_yaml = [&yaml] {
        auto docs = esx::spec::load_documents(yaml);
        if (!docs) return false;
        auto es = esx::spec::parse_as<esx::spec::external_secret>(docs->front());
        return es && es->spec.data.size() == 4;
    };

#ifdef NDEBUG
    char const* build_type = "-O2 -DNDEBUG";
#else
    char const* build_type = "assertions on";
#endif
    std::printf("esx spec benchmark: ExternalSecret documents, parse -> convert -> validate, one thread\n");
    std::printf("inputs: typical = %zu bytes JSON (%zu bytes YAML), 4 data + 1 dataFrom + template; "
                "large = %zu bytes JSON, 100 data entries\n",
                typical_json.size(), yaml.size(), large_json.size());
    std::printf("build: %s; esx header-only; g++ %s, Boost %s\n", build_type, __VERSION__, BOOST_LIB_VERSION);
    std::printf("method: %.2f s windows, best of %d; baseline = boost::json::parse of the same bytes\n\n", seconds, runs);

    struct row {
        char const* input;
        char const* stage;
        std::size_t bytes;
        std::function<bool()> body;
    };
    std::vector<row> rows = {
        {"typical", "json::parse (baseline)", typical_json.size(), parse_json(typical_json, 4)},
        {"typical", "+ convert", typical_json.size(), convert(typical_json, 4)},
        {"typical", "+ convert + validate", typical_json.size(), validate(typical_json, 4)},
        {"typical", "YAML + convert + validate", yaml.size(), from_yaml},
        {"large", "json::parse (baseline)", large_json.size(), parse_json(large_json, 100)},
        {"large", "+ convert", large_json.size(), convert(large_json, 100)},
        {"large", "+ convert + validate", large_json.size(), validate(large_json, 100)},
    };
    std::printf("%-8s %-26s %8s %14s %12s %9s\n", "input", "stage", "bytes", "objects/s", "MB/s", "vs parse");
    double baseline = 0;
    for (auto const& r : rows) {
        figure f = measure(r.bytes, seconds, runs, r.body);
        if (std::string_view(r.stage).starts_with("json::parse")) baseline = f.objects_per_second;
        std::printf("%-8s %-26s %8zu %14.0f %12.1f %8.2fx\n", r.input, r.stage, r.bytes, f.objects_per_second,
                    f.bytes_per_second / 1e6, baseline > 0 ? f.objects_per_second / baseline : 0.0);
    }
    return 0;
}
