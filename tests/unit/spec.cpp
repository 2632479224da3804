// Unit tests of esx::spec: ESO resources read from YAML/JSON, validated, written back.
#include <esx/spec.hpp>
#include <esx/spec/manifest.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef ESX_TEST_MANIFESTS
#  error "ESX_TEST_MANIFESTS must name tests/data/manifests"
#endif

namespace {

std::string read_manifest(std::string const& name) {
    std::ifstream in(std::string(ESX_TEST_MANIFESTS) + "/" + name, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The one document of `yaml`, parsed and validated.
esx::result<esx::spec::resource, esx::failure> parse_yaml(std::string const& yaml) {
    auto docs = esx::spec::load_documents(yaml);
    BOOST_REQUIRE_MESSAGE(docs, "yaml: " << (docs ? "" : docs.error().message));
    BOOST_REQUIRE_EQUAL(docs->size(), 1u);
    return esx::spec::parse(docs->front());
}

// A valid namespaced store and ExternalSecret; the invalid cases below change one thing each.
std::string const store_base = R"(apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: kv, namespace: team-a}
spec:
  provider:
    azurekv:
      tenantId: tenant-1
      vaultUrl: https://team-a.vault.azure.net
      authSecretRef:
        clientId: {name: sp, key: client-id}
        clientSecret: {name: sp, key: client-secret}
)";

std::string replace(std::string s, std::string const& from, std::string const& to) {
    auto at = s.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "test fixture lacks: " << from);
    return s.replace(at, from.size(), to);
}

std::string const es_base = R"(apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: team-a}
spec:
  refreshInterval: 15m
  secretStoreRef: {name: kv, kind: SecretStore}
  target: {name: app-secret}
  data:
  - secretKey: username
    remoteRef: {key: db-user}
  - secretKey: password
    remoteRef: {key: secret/db-pass, version: 0123abcd}
)";

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(spec)

BOOST_AUTO_TEST_SUITE(durations)

BOOST_AUTO_TEST_CASE(go_syntax_parses_to_nanoseconds) {
    using namespace std::chrono;
    struct { char const* text; nanoseconds value; } const cases[] = {
        {"1h", hours(1)}, {"15m30s", minutes(15) + seconds(30)}, {"1.5h", minutes(90)}, {"300ms", milliseconds(300)},
        {"0", nanoseconds(0)}, {"0s", nanoseconds(0)}, {"1h2m3.5s", hours(1) + minutes(2) + milliseconds(3500)},
        {"10us", microseconds(10)}, {"10\xC2\xB5s", microseconds(10)}, {"-2m", -minutes(2)}, {"+5s", seconds(5)},
        {".5s", milliseconds(500)}, {"1ns", nanoseconds(1)},
    };
    for (auto const& c : cases) {
        auto d = parse_duration(c.text);
        BOOST_TEST_CONTEXT(c.text) {
            BOOST_REQUIRE(d);
            BOOST_TEST(d->count() == c.value.count());
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_durations_get_go_messages) {
    struct { char const* text; char const* message; } const cases[] = {
        {"1d", "time: unknown unit \"d\" in duration \"1d\""},
        {"15", "time: missing unit in duration \"15\""},
        {"", "time: invalid duration \"\""},
        {"h", "time: invalid duration \"h\""},
        {"1h-5m", "time: unknown unit \"h-\" in duration \"1h-5m\""},  // Go reads `h-` as the unit
        {"-", "time: invalid duration \"-\""},
        {"9999999999h", "time: invalid duration \"9999999999h\""},
    };
    for (auto const& c : cases) {
        auto d = parse_duration(c.text);
        BOOST_TEST_CONTEXT(c.text) {
            BOOST_REQUIRE(!d);
            BOOST_TEST(d.error().message == c.message);
            BOOST_TEST((d.error() == esx::condition::invalid_input));
        }
    }
}

BOOST_AUTO_TEST_CASE(format_matches_go_duration_string) {
    using namespace std::chrono;
    BOOST_TEST(format_duration(hours(1)) == "1h0m0s");
    BOOST_TEST(format_duration(minutes(5)) == "5m0s");
    BOOST_TEST(format_duration(seconds(90)) == "1m30s");
    BOOST_TEST(format_duration(milliseconds(1500)) == "1.5s");
    BOOST_TEST(format_duration(milliseconds(300)) == "300ms");
    BOOST_TEST(format_duration(nanoseconds(0)) == "0s");
    BOOST_TEST(format_duration(-minutes(90)) == "-1h30m0s");
    for (char const* t : {"1h0m0s", "2h30m0s", "1.5s", "300ms", "1m30.25s"})
        BOOST_TEST(format_duration(*parse_duration(t)) == t);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(regexes)

BOOST_AUTO_TEST_CASE(re2_patterns_compile_and_match) {
    auto r = compile_regex("e2e-find-name-eso-azure.+");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->search("e2e-find-name-eso-azure-one"));
    auto named = compile_regex("(?P<team>[a-z]+)-prod");
    BOOST_REQUIRE(named);
    BOOST_TEST(named->search("payments-prod"));
    auto icase = compile_regex("(?i)^TEAM-");
    BOOST_REQUIRE(icase);
    BOOST_TEST(icase->search("team-a"));
    BOOST_TEST(compile_regex("[]a]").has_value());
}

BOOST_AUTO_TEST_CASE(what_re2_refuses_is_refused) {
    struct { char const* pattern; char const* message; } const cases[] = {
        {"a(?=b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
        {"(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"},
        {"[a-z", "error parsing regexp: missing closing ]: `[a-z`"},
        {"a)", "error parsing regexp: unexpected ): `a)`"},
        {"(a", "error parsing regexp: missing closing ): `(a`"},
        {"*a", "error parsing regexp: missing argument to repetition operator: `*`"},
    };
    for (auto const& c : cases) {
        auto r = compile_regex(c.pattern);
        BOOST_TEST_CONTEXT(c.pattern) {
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().message == c.message);
        }
    }
    // Lookbehind is refused too (its exact text is esx::regex's business: Go 1.22+ says "invalid
    // named capture", RE2 "invalid or unsupported Perl syntax").
    auto behind = compile_regex("a(?<!b)");
    BOOST_REQUIRE(!behind);
    BOOST_TEST(behind.error().message.starts_with("error parsing regexp: "));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(yaml_input)

BOOST_AUTO_TEST_CASE(documents_comments_anchors_and_merge_keys) {
    auto docs = yaml_documents(R"(# leading comment
defaults: &defaults
  decodingStrategy: Base64   # trailing comment
  conversionStrategy: Default
one:
  <<: *defaults
  key: a
two:
  <<: *defaults
  decodingStrategy: None
list: [*defaults]
---
---
second: doc
...
)");
    BOOST_REQUIRE(docs);
    BOOST_REQUIRE_EQUAL(docs->size(), 3u);
    auto const& d = (*docs)[0].as_object();
    BOOST_TEST(d.at("one").at("decodingStrategy") == "Base64");
    BOOST_TEST(d.at("one").at("key") == "a");
    BOOST_TEST(d.at("two").at("decodingStrategy") == "None");
    BOOST_TEST(d.at("two").at("conversionStrategy") == "Default");
    BOOST_TEST(d.at("list").at(0).at("conversionStrategy") == "Default");
    BOOST_TEST((*docs)[1].is_null());
    BOOST_TEST((*docs)[2].at("second") == "doc");
}

BOOST_AUTO_TEST_CASE(scalars_resolve_as_kubectl_reads_them) {
    auto docs = yaml_documents(R"(a: on
b: "on"
c: 0644
d: 0x1F
e: 1.5
f: ~
g: '123'
h: !!str 42
i: |
  line one
  line two
j: 12345678901234567890
k: No
l: 1_000
)");
    BOOST_REQUIRE(docs);
    auto const& o = docs->front().as_object();
    BOOST_TEST(o.at("a") == true);
    BOOST_TEST(o.at("b") == "on");
    BOOST_TEST(o.at("c") == 420);
    BOOST_TEST(o.at("d") == 31);
    BOOST_TEST(o.at("e").as_double() == 1.5);
    BOOST_TEST(o.at("f").is_null());
    BOOST_TEST(o.at("g") == "123");
    BOOST_TEST(o.at("h") == "42");
    BOOST_TEST(o.at("i") == "line one\nline two\n");
    BOOST_TEST(o.at("j").as_uint64() == 12345678901234567890ull);
    BOOST_TEST(o.at("k") == false);
    BOOST_TEST(o.at("l") == 1000);
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_line_and_column) {
    auto r = yaml_documents("a: 1\nb: [1,\n");
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message == "yaml: line 3, column 1: end of sequence flow not found");
    auto tagged = yaml_documents("stringData:\n  password: !!int s3cr3t\n");
    BOOST_REQUIRE(!tagged);
    BOOST_TEST(tagged.error().message == "yaml: line 2, column 13: cannot decode the scalar as an int (tag tag:yaml.org,2002:int)");
    auto dup = yaml_documents("a: 1\nb: 2\na: 3\n");
    BOOST_REQUIRE(!dup);
    BOOST_TEST(dup.error().message == "yaml: line 3, column 1: key \"a\" already set in map");
}

BOOST_AUTO_TEST_CASE(alias_bombs_are_refused) {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'h'; ++c, ++prev)
        bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
                prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    // 10^8 values once expanded: refused at the default limit and at a small one, with the limit named.
    auto r = yaml_documents(bomb, yaml_options{.max_nodes = 10'000});
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message == "yaml: the document expands to more than 10000 values (aliases?)");
    BOOST_TEST(yaml_options{}.max_nodes == 1'000'000u);
    auto small = yaml_documents("a: &a [x, x]\nb: [*a, *a]\n", yaml_options{.max_nodes = 10'000});
    BOOST_REQUIRE(small);
    BOOST_TEST(small->front().at("b").at(1).at(0) == "x");
}

BOOST_AUTO_TEST_CASE(json_manifests_and_lists) {
    auto one = load_documents(R"({"apiVersion":"v1","kind":"List","items":[{"kind":"A"},{"kind":"B"}]})");
    BOOST_REQUIRE(one);
    BOOST_REQUIRE_EQUAL(one->size(), 2u);
    BOOST_TEST((*one)[1].at("kind") == "B");
    auto bad = load_documents("{\"a\": ");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().message.starts_with("json: "));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE(seed_manifests_parse_and_validate) {
    std::size_t total = 0;
    for (char const* name : {"seed-service-principal-secret.yaml", "seed-workload-identity-mounted.yaml",
                             "seed-workload-identity-referenced.yaml", "seed-service-principal-store.yaml",
                             "seed-managed-identity-store.yaml", "seed-external-secret.yaml"}) {
        auto r = parse_manifests(read_manifest(name));
        BOOST_TEST_CONTEXT(name) {
            BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
            total += r->size();
        }
    }
    BOOST_TEST(total == 5u);  // the Secret and the ServiceAccounts are not ESO documents
}

BOOST_AUTO_TEST_CASE(seed_store_and_external_secret_values) {
    auto stores = parse_manifests(read_manifest("seed-service-principal-store.yaml"));
    BOOST_REQUIRE(stores);
    auto const& s = std::get<secret_store>(stores->front());
    BOOST_TEST(s.api_version == "external-secrets.io/v1beta1");
    BOOST_TEST((s.kind == store_kind::secret_store));
    BOOST_TEST(s.metadata.name == "example-secret-store");
    BOOST_TEST((s.spec.provider.auth_type == azure_auth_type::service_principal));  // the CRD default
    BOOST_TEST((s.spec.provider.environment_type == azure_environment::public_cloud));
    BOOST_TEST(s.spec.provider.vault_url == "https://my-keyvault-name.vault.azure.net");
    BOOST_TEST(*s.spec.provider.tenant_id == "d3bc2180-xxxx-xxxx-xxxx-154105743342");
    BOOST_TEST(s.spec.provider.auth_secret_ref->client_secret->key == "ClientSecret");
    BOOST_TEST(!s.spec.provider.auth_secret_ref->client_secret->namespace_);

    auto mi = parse_manifests(read_manifest("seed-managed-identity-store.yaml"));
    BOOST_REQUIRE(mi);
    auto const& m = std::get<secret_store>(mi->front()).spec.provider;
    BOOST_TEST((m.auth_type == azure_auth_type::managed_identity));
    BOOST_TEST(*m.identity_id == "<MI_clientId>");

    auto wi = parse_manifests(read_manifest("seed-workload-identity-referenced.yaml"));
    BOOST_REQUIRE(wi);
    BOOST_TEST(std::get<secret_store>(wi->front()).spec.provider.service_account_ref->name == "workload-identity-sa");

    auto es = parse_manifests(read_manifest("seed-external-secret.yaml"));
    BOOST_REQUIRE(es);
    auto const& e = std::get<external_secret>(es->front());
    BOOST_TEST((e.spec.refresh_interval == std::chrono::hours(1)));
    BOOST_TEST(e.spec.secret_store_ref.name == "example-secret-store");
    BOOST_TEST(e.spec.target.name == "secret-to-be-created");
    BOOST_TEST((e.spec.target.creation == creation_policy::owner));
    BOOST_TEST((e.spec.target.deletion == deletion_policy::retain));  // the CRD default
    BOOST_REQUIRE_EQUAL(e.spec.data.size(), 4u);
    BOOST_TEST(e.spec.data[1].secret_key == "dev-another-secret-test");
    BOOST_TEST(e.spec.data[1].remote.key == "secret/dev-secret-test");
    BOOST_TEST(e.spec.data[3].remote.key == "key/dev-key-test");
    BOOST_TEST((e.spec.data[3].remote.decoding == decoding_strategy::none));
}

BOOST_AUTO_TEST_CASE(eso_e2e_manifests_parse_and_validate) {
    auto stores = parse_manifests(read_manifest("e2e-stores.yaml"));
    BOOST_REQUIRE_MESSAGE(stores, (stores ? "" : stores.error().message));
    BOOST_TEST(stores->size() == 5u);
    auto const& referent = std::get<secret_store>((*stores)[2]);
    BOOST_TEST((referent.kind == store_kind::cluster_secret_store));
    BOOST_TEST(!referent.spec.provider.auth_secret_ref->client_id->namespace_);
    BOOST_TEST(std::get<secret_store>((*stores)[1]).spec.provider.use_azure_sdk);

    auto ess = parse_manifests(read_manifest("e2e-external-secrets.yaml"));
    BOOST_REQUIRE_MESSAGE(ess, (ess ? "" : ess.error().message));
    BOOST_TEST(ess->size() == 22u);
    for (auto const& r : *ess) BOOST_TEST(std::get<external_secret>(r).spec.refresh_interval == std::chrono::seconds(5));
    auto const& rewrite = std::get<external_secret>((*ess)[4]);
    BOOST_TEST(rewrite.metadata.name == "json-data-from-rewrite");
    BOOST_TEST(rewrite.spec.data_from[0].rewrites[0].regexp->source == "(.*)");
    BOOST_TEST(rewrite.spec.data_from[0].rewrites[0].regexp->target == "my_$1");
    auto const& tpl = std::get<external_secret>((*ess)[6]);
    BOOST_TEST(tpl.spec.target.template_->data.at("my-data") == "executed: {{ .one }}|{{ .two }}");
    BOOST_TEST(tpl.spec.target.template_->metadata.finalizers.at(0) == "example.com/finalizer");
    BOOST_TEST(std::get<external_secret>((*ess)[11]).spec.target.name.empty());
}

BOOST_AUTO_TEST_CASE(json_round_trip_in_eso_field_names) {
    for (char const* name : {"e2e-stores.yaml", "e2e-external-secrets.yaml", "seed-external-secret.yaml",
                             "seed-service-principal-store.yaml"}) {
        auto rs = parse_manifests(read_manifest(name));
        BOOST_REQUIRE(rs);
        for (auto const& r : *rs)
            std::visit(
                [&](auto const& x) {
                    boost::json::value j = boost::json::value_from(x);
                    auto back = boost::json::try_value_to<std::decay_t<decltype(x)>>(j);
                    BOOST_TEST_CONTEXT(name << ": " << boost::json::serialize(j)) {
                        BOOST_REQUIRE(back);
                        BOOST_TEST((*back == x));
                    }
                },
                r);
    }
    auto es = parse_yaml(es_base);
    BOOST_REQUIRE(es);
    auto j = to_json(std::get<external_secret>(*es));
    BOOST_TEST(j.at("spec").at("refreshInterval") == "15m0s");
    BOOST_TEST(j.at("spec").at("target").at("creationPolicy") == "Owner");
    BOOST_TEST(j.at("spec").at("data").at(1).at("remoteRef").at("version") == "0123abcd");
    BOOST_TEST(j.at("spec").at("secretStoreRef").at("kind") == "SecretStore");
    auto st = parse_yaml(store_base);
    BOOST_REQUIRE(st);
    auto sj = to_json(std::get<secret_store>(*st));
    BOOST_TEST(sj.at("spec").at("provider").at("azurekv").at("vaultUrl") == "https://team-a.vault.azure.net");
    BOOST_TEST(sj.at("spec").at("provider").at("azurekv").at("authSecretRef").at("clientId").at("key") == "client-id");
}

BOOST_AUTO_TEST_CASE(v1_only_fields_and_cluster_kinds) {
    auto v1 = parse_yaml(R"(apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: stack}
spec:
  refreshInterval: 300
  provider:
    azurekv:
      authType: WorkloadIdentity
      vaultUrl: https://v.vault.stack.example
      environmentType: AzureStackCloud
      useAzureSDK: true
      customCloudConfig:
        activeDirectoryEndpoint: https://login.stack.example/
        keyVaultDNSSuffix: .vault.stack.example
      serviceAccountRef: {name: sa, namespace: elsewhere, audiences: [extra]}
  conditions:
  - namespaces: [team-a]
    namespaceRegexes: ["^team-.*$"]
    namespaceSelector:
      matchLabels: {esx: "on"}
      matchExpressions: [{key: tier, operator: In, values: [prod]}]
)");
    BOOST_REQUIRE_MESSAGE(v1, (v1 ? "" : v1.error().message));
    auto const& s = std::get<secret_store>(*v1);
    BOOST_TEST(s.spec.refresh_interval->count() == 300);
    BOOST_TEST(s.spec.provider.custom_cloud_config->active_directory_endpoint == "https://login.stack.example/");
    BOOST_TEST(s.spec.conditions[0].namespace_selector->match_expressions[0].values[0] == "prod");
    BOOST_TEST(s.spec.provider.service_account_ref->namespace_.value() == "elsewhere");  // allowed for a cluster store

    auto ces = parse_yaml(R"(apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata: {name: shared}
spec:
  externalSecretName: shared-es
  refreshTime: 1m
  namespaceSelectors:
  - matchLabels: {shared: "true"}
  externalSecretMetadata: {labels: {a: b}}
  externalSecretSpec:
    secretStoreRef: {name: global, kind: ClusterSecretStore}
    dataFrom:
    - find: {name: {regexp: "^shared-"}, tags: {env: prod}}
)");
    BOOST_REQUIRE_MESSAGE(ces, (ces ? "" : ces.error().message));
    auto const& c = std::get<cluster_external_secret>(*ces);
    BOOST_TEST((c.spec.refresh_time->count() == std::chrono::nanoseconds(std::chrono::minutes(1)).count()));
    BOOST_TEST((c.spec.external_secret_spec.secret_store_ref.kind == store_kind::cluster_secret_store));
    BOOST_TEST(*c.spec.external_secret_spec.data_from[0].find->name_regexp == "^shared-");
    BOOST_TEST(c.spec.external_secret_metadata.labels.at("a") == "b");
}

BOOST_AUTO_TEST_CASE(json_manifests_parse_like_yaml) {
    auto from_yaml = parse_yaml(es_base);
    BOOST_REQUIRE(from_yaml);
    std::string text = boost::json::serialize(to_json(std::get<external_secret>(*from_yaml)));
    auto docs = load_documents("\n  " + text);
    BOOST_REQUIRE(docs);
    auto from_json = parse_as<external_secret>(docs->front());
    BOOST_REQUIRE(from_json);
    BOOST_TEST((*from_json == std::get<external_secret>(*from_yaml)));
    auto bad = parse_manifests(R"({"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"x"},"spec":{"data":[{"secretKey":1}]}})");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().message ==
               "document 1 (ExternalSecret x): spec.data[0].secretKey: must be a string\n"
               "document 1 (ExternalSecret x): spec.data[0].remoteRef: is required\n"
               "document 1 (ExternalSecret x): spec.secretStoreRef.name: must not be empty");
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error_value_not_an_exception) {
    // Cut the manifests at every byte: each prefix parses or fails with words, never throws.
    std::size_t failures = 0;
    for (std::string const& doc : {es_base, store_base, read_manifest("e2e-external-secrets.yaml")}) {
        for (std::size_t n = 0; n < doc.size(); n += doc.size() > 2000 ? 53 : 3) {
            BOOST_TEST_CONTEXT("prefix " << n) {
                BOOST_CHECK_NO_THROW({
                    auto r = parse_manifests(doc.substr(0, n));
                    if (!r) {
                        ++failures;
                        BOOST_TEST(!r.error().message.empty());
                    }
                });
            }
        }
    }
    BOOST_TEST(failures > 0u);
}

BOOST_AUTO_TEST_CASE(errors_never_echo_secret_values) {
    std::string manifest = R"(apiVersion: v1
kind: Secret
metadata: {name: sp}
stringData: {client-secret: s3cr3t-value-never-shown}
---
)" + replace(es_base, "{key: db-user}", "{key: \"\"}");
    auto r = parse_manifests(manifest);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message == "document 2 (ExternalSecret app): spec.data[0].remoteRef.key: must not be empty");
    BOOST_TEST(r.error().message.find("s3cr3t") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_conditions)

secret_store cluster_store(std::string conditions) {
    auto r = parse_yaml(replace(replace(store_base, "kind: SecretStore", "kind: ClusterSecretStore"), "spec:\n", "spec:\n" + conditions));
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return std::get<secret_store>(*r);
}

BOOST_AUTO_TEST_CASE(no_conditions_allow_every_namespace) {
    BOOST_TEST(check_store_access(cluster_store(""), "anything").has_value());
}

BOOST_AUTO_TEST_CASE(any_condition_part_allows) {
    auto s = cluster_store("  conditions:\n"
                           "  - namespaces: [payments]\n"
                           "  - namespaceRegexes: [\"^team-\", \"-prod\"]\n"
                           "  - namespaceSelector: {matchLabels: {esx: enabled}, matchExpressions: [{key: tier, operator: NotIn, values: [dev]}]}\n");
    BOOST_TEST(check_store_access(s, "payments").has_value());
    BOOST_TEST(check_store_access(s, "team-a").has_value());
    BOOST_TEST(check_store_access(s, "other", {{"esx", "enabled"}, {"tier", "prod"}}).has_value());
    auto denied = check_store_access(s, "other", {{"esx", "enabled"}, {"tier", "dev"}});
    BOOST_REQUIRE(!denied);
    BOOST_TEST(denied.error().message == "using cluster store \"kv\" is not allowed from namespace \"other\": denied by spec.condition");
    BOOST_TEST(denied.error().reason == "Forbidden");
    BOOST_TEST(!check_store_access(s, "my-team-a").has_value());  // `^team-` is anchored by its author
    BOOST_TEST(check_store_access(s, "eu-prod-1").has_value());    // `-prod` matches anywhere, as Go's MatchString
}

BOOST_AUTO_TEST_CASE(label_selector_semantics) {
    label_selector exists{{}, {{"tier", "Exists", {}}}};
    BOOST_TEST(matches(exists, {{"tier", ""}}));
    BOOST_TEST(!matches(exists, {}));
    label_selector absent{{}, {{"tier", "DoesNotExist", {}}}};
    BOOST_TEST(matches(absent, {}));
    BOOST_TEST(matches(label_selector{}, {{"a", "b"}}));  // empty selects everything
}

BOOST_AUTO_TEST_CASE(a_namespaced_store_serves_its_namespace) {
    auto s = std::get<secret_store>(*parse_yaml(store_base));
    BOOST_TEST(check_store_access(s, "team-a").has_value());
    auto other = check_store_access(s, "team-b");
    BOOST_REQUIRE(!other);
    BOOST_TEST(other.error().message == "SecretStore \"kv\" of namespace \"team-a\" cannot be used from namespace \"team-b\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(invalid_manifests)

struct invalid_case {
    char const* what;
    std::string yaml;
    std::string message;
};

std::vector<invalid_case> store_cases() {
    auto const& b = store_base;
    std::string const az = "spec.provider.azurekv.";
    std::string const tail =
        ": namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore";
    return {
        {"missing vaultUrl", replace(b, "      vaultUrl: https://team-a.vault.azure.net\n", ""), az + "vaultUrl: is required"},
        {"plain http vaultUrl", replace(b, "https://team-a", "http://team-a"), az + "vaultUrl: must be an https:// URL"},
        {"vaultUrl of the wrong type", replace(b, "vaultUrl: https://team-a.vault.azure.net", "vaultUrl: 42"),
         az + "vaultUrl: must be a string"},
        {"unsupported provider", replace(b, "    azurekv:\n", "    aws: {region: eu-west-1}\n    azurekv:\n"),
         "spec.provider.aws: provider aws is not supported by esx (only azurekv)"},
        {"unknown authType", replace(b, "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      authType: Password\n"),
         az + "authType: unsupported value \"Password\": must be one of ServicePrincipal, ManagedIdentity or "
              "WorkloadIdentity"},
        {"clientId in another namespace", replace(b, "{name: sp, key: client-id}", "{name: sp, key: client-id, namespace: team-b}"),
         az + "authSecretRef.clientId.namespace: invalid AuthSecretRef.ClientID" + tail},
        {"clientSecret in another namespace",
         replace(b, "{name: sp, key: client-secret}", "{name: sp, key: client-secret, namespace: team-b}"),
         az + "authSecretRef.clientSecret.namespace: invalid AuthSecretRef.ClientSecret" + tail},
        {"serviceAccountRef in another namespace",
         replace(replace(b, "      tenantId: tenant-1\n", "      authType: WorkloadIdentity\n      serviceAccountRef: {name: wi, namespace: team-b}\n"),
                 "      authSecretRef:\n        clientId: {name: sp, key: client-id}\n        clientSecret: {name: sp, key: client-secret}\n", ""),
         az + "serviceAccountRef.namespace: invalid ServiceAccountRef" + tail},
        {"customCloudConfig without useAzureSDK",
         replace(b, "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      customCloudConfig: {activeDirectoryEndpoint: https://login.example/}\n"),
         az + "customCloudConfig: CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not "
              "support custom clouds"},
        {"AzureStackCloud without customCloudConfig",
         replace(b, "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      environmentType: AzureStackCloud\n      useAzureSDK: true\n"),
         az + "customCloudConfig: CustomCloudConfig is required when EnvironmentType is AzureStackCloud"},
        {"empty activeDirectoryEndpoint",
         replace(b, "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      useAzureSDK: true\n      customCloudConfig: {activeDirectoryEndpoint: \"\"}\n"),
         az + "customCloudConfig.activeDirectoryEndpoint: activeDirectoryEndpoint is required in CustomCloudConfig"},
        {"GermanCloud", replace(b, "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      environmentType: GermanCloud\n"),
         az + "environmentType: Azure Germany (Microsoft Cloud Deutschland) was discontinued on October 29, 2021. "
              "Please use AzureStackCloud with custom configuration or migrate to public cloud regions"},
        {"AzureStackCloud in v1beta1",
         replace(replace(b, "/v1\n", "/v1beta1\n"), "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      environmentType: AzureStackCloud\n"),
         az + "environmentType: unsupported value \"AzureStackCloud\": must be one of PublicCloud, USGovernmentCloud, "
              "ChinaCloud or GermanCloud"},
        {"useAzureSDK in v1beta1",
         replace(replace(b, "/v1\n", "/v1beta1\n"), "      tenantId: tenant-1\n", "      tenantId: tenant-1\n      useAzureSDK: true\n"),
         az + "useAzureSDK: unknown field: not in external-secrets.io/v1beta1 (use external-secrets.io/v1)"},
        {"refreshInterval with an unknown unit", replace(b, "spec:\n", "spec:\n  refreshInterval: 1d\n"),
         "spec.refreshInterval: invalid refreshInterval \"1d\": time: unknown unit \"d\" in duration \"1d\""},
        {"duration refreshInterval in v1beta1", replace(replace(b, "/v1\n", "/v1beta1\n"), "spec:\n", "spec:\n  refreshInterval: 1h\n"),
         "spec.refreshInterval: must be an integer (seconds) in external-secrets.io/v1beta1"},
        {"negative refreshInterval", replace(b, "spec:\n", "spec:\n  refreshInterval: -5\n"),
         "spec.refreshInterval: invalid refreshInterval -5: must not be negative"},
        {"namespace regex that does not compile",
         replace(replace(b, "kind: SecretStore", "kind: ClusterSecretStore"), "spec:\n",
                 "spec:\n  conditions:\n  - namespaceRegexes: [\"^team-.*$\", \"[a-z\"]\n"),
         "spec.conditions[0].namespaceRegexes[1]: failed to compile 1th namespace regex in 0th condition: error "
         "parsing regexp: missing closing ]: `[a-z`"},
        {"conditions on a namespaced store", replace(b, "spec:\n", "spec:\n  conditions:\n  - namespaces: [team-b]\n"),
         "spec.conditions: only a ClusterSecretStore has conditions; a SecretStore serves its own namespace"},
        {"service principal without tenantId", replace(b, "      tenantId: tenant-1\n", ""),
         az + "tenantId: is required when authType is ServicePrincipal"},
        {"clientSecret and clientCertificate",
         replace(b, "        clientSecret: {name: sp, key: client-secret}\n",
                 "        clientSecret: {name: sp, key: client-secret}\n        clientCertificate: {name: sp, key: tls.pem}\n"),
         az + "authSecretRef: must set clientSecret or clientCertificate, not both"},
        {"misspelt field", replace(b, "vaultUrl:", "vaultURL:"),
         az + "vaultUrl: is required\n" + az + "vaultURL: unknown field"},
        {"missing name", replace(b, "{name: kv, namespace: team-a}", "{namespace: team-a}"), "metadata.name: must not be empty"},
        {"bad label selector operator",
         replace(replace(b, "kind: SecretStore", "kind: ClusterSecretStore"), "spec:\n",
                 "spec:\n  conditions:\n  - namespaceSelector: {matchExpressions: [{key: tier, operator: Has}]}\n"),
         "spec.conditions[0].namespaceSelector.matchExpressions[0].operator: unsupported value \"Has\": must be one "
         "of In, NotIn, Exists or DoesNotExist"},
        {"condition namespace that is no DNS label",
         replace(replace(b, "kind: SecretStore", "kind: ClusterSecretStore"), "spec:\n", "spec:\n  conditions:\n  - namespaces: [team.a]\n"),
         "spec.conditions[0].namespaces[0]: a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
         "or '-', and must start and end with an alphanumeric character (at most 63 characters)"},
        {"maxRetries beyond int32", replace(b, "spec:\n", "spec:\n  retrySettings: {maxRetries: 4294967296}\n"),
         "spec.retrySettings.maxRetries: must fit in 32 bits (int32)"},
        {"workload identity with an authSecretRef lacking the client ID",
         replace(replace(b, "      tenantId: tenant-1\n", "      authType: WorkloadIdentity\n      serviceAccountRef: {name: wi}\n"),
                 "        clientId: {name: sp, key: client-id}\n        clientSecret: {name: sp, key: client-secret}\n",
                 "        tenantId: {name: sp, key: tenant}\n"),
         az + "authSecretRef.clientId: is required when authSecretRef is set with authType WorkloadIdentity (ESO: missing "
              "accessKeyID/secretAccessKey in store config); or remove authSecretRef to use the ServiceAccount's annotation"},
    };
}

std::vector<invalid_case> external_secret_cases() {
    auto const& b = es_base;
    return {
        {"missing secretKey", replace(b, "  - secretKey: username\n    remoteRef: {key: db-user}\n", "  - remoteRef: {key: db-user}\n"),
         "spec.data[0].secretKey: is required"},
        {"secretKey of the wrong type", replace(b, "secretKey: username", "secretKey: 7"), "spec.data[0].secretKey: must be a string"},
        {"empty remote key in the third entry", b + "  - secretKey: extra\n    remoteRef: {key: \"\"}\n",
         "spec.data[2].remoteRef.key: must not be empty"},
        {"missing remoteRef", replace(b, "  - secretKey: username\n    remoteRef: {key: db-user}\n", "  - secretKey: username\n"),
         "spec.data[0].remoteRef: is required"},
        {"duplicate secretKey", replace(b, "secretKey: password", "secretKey: username"),
         "spec.data[1].secretKey: duplicate secretKey found: username"},
        {"secretKey with a slash", replace(b, "secretKey: username", "secretKey: user/name"),
         "spec.data[0].secretKey: must consist of alphanumeric characters, '-', '_' or '.'"},
        {"refreshInterval with an unknown unit", replace(b, "refreshInterval: 15m", "refreshInterval: 1d"),
         "spec.refreshInterval: time: unknown unit \"d\" in duration \"1d\""},
        {"refreshInterval that is no duration", replace(b, "refreshInterval: 15m", "refreshInterval: soon"),
         "spec.refreshInterval: time: invalid duration \"soon\""},
        {"refreshInterval as a number", replace(b, "refreshInterval: 15m", "refreshInterval: 3600"),
         "spec.refreshInterval: must be a duration string, e.g. \"1h\""},
        {"unknown creationPolicy", replace(b, "target: {name: app-secret}", "target: {name: app-secret, creationPolicy: Always}"),
         "spec.target.creationPolicy: unsupported value \"Always\": must be one of Owner, Orphan, Merge, None or CreateOrMerge"},
        {"Delete without ownership", replace(b, "target: {name: app-secret}", "target: {name: app-secret, creationPolicy: Merge, deletionPolicy: Delete}"),
         "spec.target.deletionPolicy: deletionPolicy=Delete must not be used when the controller doesn't own the secret. "
         "Please set creationPolicy=Owner"},
        {"Merge deletion with no Secret", replace(b, "target: {name: app-secret}", "target: {name: app-secret, creationPolicy: None, deletionPolicy: Merge}"),
         "spec.target.deletionPolicy: deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with"},
        {"neither data nor dataFrom", b.substr(0, b.find("  data:\n")), "spec: either data or dataFrom should be specified"},
        {"extract and find together", b + "  dataFrom:\n  - extract: {key: bundle}\n    find: {tags: {env: prod}}\n",
         "spec.dataFrom[0]: extract, find, or generatorRef cannot be set at the same time"},
        {"empty dataFrom entry", b + "  dataFrom:\n  - {}\n", "spec.dataFrom[0]: either extract, find, or sourceRef must be set to dataFrom"},
        {"sourceRef with neither store nor generator", b + "  dataFrom:\n  - sourceRef: {}\n",
         "spec.dataFrom[0].sourceRef: generatorRef or storeRef must be set when using sourceRef in dataFrom"},
        {"find regexp that does not compile", b + "  dataFrom:\n  - find: {name: {regexp: \"db-(\"}}\n",
         "spec.dataFrom[0].find.name.regexp: error parsing regexp: missing closing ): `db-(`"},
        {"rewrite regexp with lookahead", b + "  dataFrom:\n  - extract: {key: bundle}\n    rewrite:\n    - regexp: {source: \"a(?=b)\", target: x}\n",
         "spec.dataFrom[0].rewrite[0].regexp.source: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
        {"rewrite with two operations",
         b + "  dataFrom:\n  - extract: {key: bundle}\n    rewrite:\n    - regexp: {source: a, target: b}\n      transform: {template: x}\n",
         "spec.dataFrom[0].rewrite[0]: must set exactly one of regexp, transform or merge"},
        {"unknown decodingStrategy", replace(b, "{key: db-user}", "{key: db-user, decodingStrategy: Hex}"),
         "spec.data[0].remoteRef.decodingStrategy: unsupported value \"Hex\": must be one of Auto, Base64, Base64URL or None"},
        {"bootstrap token template", replace(b, "target: {name: app-secret}", "target: {name: app-secret, template: {type: bootstrap.kubernetes.io/token}}"),
         "spec.target.template.type: template.type=\"bootstrap.kubernetes.io/token\" is not allowed"},
        {"service-account token template",
         replace(b, "target: {name: app-secret}",
                 "target: {name: app-secret, template: {type: kubernetes.io/service-account-token, metadata: {annotations: "
                 "{kubernetes.io/service-account.name: admin}}}}"),
         "spec.target.template.type: template.type=\"kubernetes.io/service-account-token\" with annotation "
         "\"kubernetes.io/service-account.name\" is not allowed"},
        {"templateFrom target", replace(b, "target: {name: app-secret}", "target: {name: app-secret, template: {templateFrom: [{literal: x, target: Spec}]}}"),
         "spec.target.template.templateFrom[0].target: templateFrom target=\"Spec\" is not allowed when targeting a "
         "Secret, must be one of \"Data\", \"Annotations\" or \"Labels\""},
        {"generator source", replace(b, "{key: db-user}", "{key: db-user}\n    sourceRef: {generatorRef: {kind: Password, name: pw}}"),
         "spec.data[0].sourceRef.generatorRef: generators are not supported by esx"},
        {"unknown object type", replace(b, "{key: db-user}", "{key: blob/db-user}"),
         "spec.data[0].remoteRef.key: unknown Azure Key Vault object type \"blob\": use secret/, key/, cert/ or no prefix"},
        {"object name with an underscore", replace(b, "{key: db-user}", "{key: db_user}"),
         "spec.data[0].remoteRef.key: \"db_user\" is not a Key Vault object name (1-127 letters, digits and '-')"},
        {"extract of a certificate", b + "  dataFrom:\n  - extract: {key: cert/tls}\n",
         "spec.dataFrom[0].extract.key: cannot get use dataFrom to get certificate secret"},
        {"unknown store kind", replace(b, "kind: SecretStore}", "kind: VaultStore}"),
         "spec.secretStoreRef.kind: unsupported value \"VaultStore\": must be one of SecretStore or ClusterSecretStore"},
        {"no store at all", replace(b, "  secretStoreRef: {name: kv, kind: SecretStore}\n", ""), "spec.secretStoreRef.name: must not be empty"},
        {"store name with capitals", replace(b, "{name: kv,", "{name: KV,"),
         "spec.secretStoreRef.name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
         "'-' or '.', and must start and end with an alphanumeric character"},
        {"syncWindows without windows", replace(b, "spec:\n", "spec:\n  syncWindows: {kind: allow}\n"), "spec.syncWindows.windows: is required"},
        {"syncWindows with an empty list", replace(b, "spec:\n", "spec:\n  syncWindows: {kind: deny, windows: []}\n"),
         "spec.syncWindows.windows: must have at least 1 items"},
        {"syncWindows kind", replace(b, "spec:\n", "spec:\n  syncWindows: {kind: Allow, windows: [{schedule: \"@daily\", duration: 1h}]}\n"),
         "spec.syncWindows.kind: unsupported value \"Allow\": must be one of allow or deny"},
        {"schedule with four fields", replace(b, "spec:\n", "spec:\n  syncWindows: {kind: deny, windows: [{schedule: \"0 22 * *\", duration: 8h}]}\n"),
         "spec.syncWindows.windows[0].schedule: should match '^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|"
         "@every [^\\s]+.*|[^\\s]+( [^\\s]+){4})$'"},
        {"schedule that ESO's cron parser refuses",
         replace(b, "spec:\n", "spec:\n  syncWindows: {kind: deny, windows: [{schedule: \"0 24 * * 1-5\", duration: 8h}]}\n"),
         "spec.syncWindows.windows[0].schedule: end of range (24) above maximum (23): 24 (ESO would skip this window)"},
        {"window duration", replace(b, "spec:\n", "spec:\n  syncWindows: {kind: deny, windows: [{schedule: \"@daily\", duration: 8 hours}]}\n"),
         "spec.syncWindows.windows[0].duration: time: unknown unit \" hours\" in duration \"8 hours\""},
        {"generic target", replace(b, "target: {name: app-secret}", "target: {name: app-secret, manifest: {apiVersion: v1, kind: ConfigMap}}"),
         "spec.target.manifest: generic targets are not supported by esx (ESO refuses them too unless its controller "
         "runs with --unsafe-allow-generic-targets): remove target.manifest to write a Secret"},
        {"valuesDecodingStrategy", replace(b, "target: {name: app-secret}", "target: {name: app-secret, template: {templateFrom: [{literal: x, valuesDecodingStrategy: Hex}]}}"),
         "spec.target.template.templateFrom[0].valuesDecodingStrategy: unsupported value \"Hex\": must be one of Auto, "
         "Base64, Base64URL or None"},
        {"merge priorityPolicy", b + "  dataFrom:\n  - extract: {key: bundle}\n    rewrite:\n    - merge: {priorityPolicy: Lenient}\n",
         "spec.dataFrom[0].rewrite[0].merge.priorityPolicy: unsupported value \"Lenient\": must be one of IgnoreNotFound or Strict"},
        {"v1 fields in v1beta1",
         replace(replace(b, "external-secrets.io/v1\n", "external-secrets.io/v1beta1\n"), "target: {name: app-secret}",
                 "target: {name: app-secret, template: {metadata: {finalizers: [x]}, templateFrom: [{literal: x, valuesDecodingStrategy: None}]}}"),
         "spec.target.template.metadata.finalizers: unknown field: not in external-secrets.io/v1beta1 (use external-secrets.io/v1)\n"
         "spec.target.template.templateFrom[0].valuesDecodingStrategy: unknown field: not in external-secrets.io/v1beta1 (use "
         "external-secrets.io/v1)"},
        {"v1beta1 templateFrom target is case-sensitive",
         replace(replace(b, "external-secrets.io/v1\n", "external-secrets.io/v1beta1\n"), "target: {name: app-secret}",
                 "target: {name: app-secret, template: {templateFrom: [{literal: x, target: annotations}]}}"),
         "spec.target.template.templateFrom[0].target: unsupported value \"annotations\": must be one of Data, Annotations or Labels"},
        {"unsupported apiVersion", replace(b, "external-secrets.io/v1\n", "external-secrets.io/v1alpha1\n"),
         "apiVersion: unsupported value \"external-secrets.io/v1alpha1\": must be one of external-secrets.io/v1 or "
         "external-secrets.io/v1beta1"},
        {"data that is not a list", replace(b.substr(0, b.find("  data:\n")), "", "") + "  data: {secretKey: a}\n",
         "spec.data: must be an array"},
        {"every problem at once",
         replace(replace(replace(b, "refreshInterval: 15m", "refreshInterval: 2x"), "secretKey: password", "secretKey: username"),
                 "{key: db-user}", "{key: \"\", metadataPolicy: Always}"),
         "spec.refreshInterval: time: unknown unit \"x\" in duration \"2x\"\n"
         "spec.data[0].remoteRef.metadataPolicy: unsupported value \"Always\": must be one of None or Fetch\n"
         "spec.data[0].remoteRef.key: must not be empty\n"
         "spec.data[1].secretKey: duplicate secretKey found: username"},
        {"unsupported kind", replace(b, "kind: ExternalSecret", "kind: PushSecret"),
         "kind: unsupported value \"PushSecret\": must be SecretStore, ClusterSecretStore, ExternalSecret or ClusterExternalSecret"},
    };
}

std::vector<invalid_case> cluster_external_secret_cases() {
    std::string const b = R"(apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata: {name: shared}
spec:
  namespaces: [team-a]
  externalSecretSpec:
    secretStoreRef: {name: global, kind: ClusterSecretStore}
    data:
    - secretKey: token
      remoteRef: {key: shared-token}
)";
    return {
        {"missing externalSecretSpec", b.substr(0, b.find("  externalSecretSpec:")), "spec.externalSecretSpec: is required"},
        {"no namespaces selected", replace(b, "  namespaces: [team-a]\n", ""),
         "spec: must select namespaces with namespaceSelectors, namespaceSelector or namespaces"},
        {"embedded spec problem", replace(b, "{key: shared-token}", "{key: \"\"}"),
         "spec.externalSecretSpec.data[0].remoteRef.key: must not be empty"},
        {"refreshTime that is no duration", replace(b, "spec:\n", "spec:\n  refreshTime: daily\n"),
         "spec.refreshTime: time: invalid duration \"daily\""},
        {"namespace that is no DNS label", replace(b, "[team-a]", "[team-a, Team_B]"),
         "spec.namespaces[1]: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
         "must start and end with an alphanumeric character (at most 63 characters)"},
    };
}

void check_cases(std::vector<invalid_case> const& cases) {
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            auto r = parse_yaml(c.yaml);
            BOOST_REQUIRE_MESSAGE(!r, "accepted:\n" << c.yaml);
            BOOST_TEST(r.error().message == c.message);
            BOOST_TEST((r.error() == esx::condition::invalid_input));
            BOOST_TEST(r.error().causes.size() == std::size_t(std::count(c.message.begin(), c.message.end(), '\n') + 1));
        }
    }
}

BOOST_AUTO_TEST_CASE(the_bases_are_valid) {
    BOOST_TEST(parse_yaml(store_base).has_value());
    BOOST_TEST(parse_yaml(es_base).has_value());
}

BOOST_AUTO_TEST_CASE(stores) { check_cases(store_cases()); }
BOOST_AUTO_TEST_CASE(external_secrets) { check_cases(external_secret_cases()); }
BOOST_AUTO_TEST_CASE(cluster_external_secrets) { check_cases(cluster_external_secret_cases()); }

BOOST_AUTO_TEST_CASE(at_least_thirty_cases) {
    BOOST_TEST(store_cases().size() + external_secret_cases().size() + cluster_external_secret_cases().size() >= 30u);
}

BOOST_AUTO_TEST_CASE(causes_carry_path_and_reason) {
    auto r = parse_yaml(replace(es_base, "secretKey: password", "secretKey: username"));
    BOOST_REQUIRE(!r);
    BOOST_REQUIRE_EQUAL(r.error().causes.size(), 1u);
    BOOST_TEST(r.error().causes[0].field == "spec.data[1].secretKey");
    BOOST_TEST(r.error().causes[0].reason == "FieldValueDuplicate");
    BOOST_TEST(r.error().causes[0].message == "duplicate secretKey found: username");
}

BOOST_AUTO_TEST_CASE(namespaced_kinds_need_a_namespace_cluster_kinds_do_not) {
    auto no_ns = [](std::string y) { return replace(std::move(y), "namespace: team-a}", "}"); };
    validate_options strict{.default_namespace = ""};
    auto es = parse(load_documents(no_ns(es_base))->front(), strict);
    BOOST_REQUIRE(!es);
    BOOST_TEST(es.error().message == "metadata.namespace: must not be empty: the kind is namespaced");
    auto store = parse(load_documents(no_ns(store_base))->front(), strict);
    BOOST_REQUIRE(!store);
    BOOST_TEST(store.error().message == "metadata.namespace: must not be empty: the kind is namespaced");
    auto cluster = parse(load_documents(replace(no_ns(store_base), "kind: SecretStore", "kind: ClusterSecretStore"))->front(), strict);
    BOOST_TEST(cluster.has_value());
    // With kubectl's default namespace (the default option) the seed's namespace-less manifests pass,
    // and a reference to that namespace is not a cross-namespace one.
    auto defaulted = parse_yaml(replace(no_ns(store_base), "{name: sp, key: client-id}", "{name: sp, key: client-id, namespace: default}"));
    BOOST_TEST(defaulted.has_value());
}

BOOST_AUTO_TEST_CASE(a_cluster_store_may_name_other_namespaces) {
    auto r = parse_yaml(replace(replace(store_base, "kind: SecretStore", "kind: ClusterSecretStore"),
                                "{name: sp, key: client-id}", "{name: sp, key: client-id, namespace: team-b}"));
    BOOST_TEST_REQUIRE(r.has_value(), (r ? "" : r.error().message));
    auto same = parse_yaml(replace(store_base, "{name: sp, key: client-id}", "{name: sp, key: client-id, namespace: team-a}"));
    BOOST_TEST(same.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(eso_parity)

/// A minimal document as a user writes it, read as the API server would store it.
template <class T>
T read_as(std::string const& yaml) {
    auto docs = load_documents(yaml);
    BOOST_REQUIRE(docs);
    auto r = read(docs->front());
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return std::get<T>(*r);
}

BOOST_AUTO_TEST_CASE(esx_applies_the_crd_defaults_itself) {
    auto es = read_as<external_secret>(R"(apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app}
spec:
  secretStoreRef: {name: kv}
  target: {template: {templateFrom: [{configMap: {name: tpl, items: [{key: a}]}}]}}
  data: [{secretKey: a, remoteRef: {key: b}}]
  dataFrom:
  - extract: {key: bundle}
    rewrite: [{merge: {}}]
  - sourceRef: {generatorRef: {kind: Password, name: pw}}
)");
    auto const& s = es.spec;
    BOOST_TEST((s.target.creation == creation_policy::owner));
    BOOST_TEST((s.target.deletion == deletion_policy::retain));
    BOOST_TEST(s.refresh_interval.count() == std::chrono::nanoseconds(std::chrono::hours(1)).count());
    BOOST_TEST(!s.refresh_policy.has_value());
    BOOST_TEST((s.secret_store_ref.kind == store_kind::secret_store));
    auto const& ref = s.data[0].remote;
    BOOST_TEST((ref.decoding == decoding_strategy::none && ref.conversion == conversion_strategy::default_ &&
                ref.metadata == metadata_policy::none && ref.null_bytes == null_byte_policy::ignore));
    auto const& tpl = *s.target.template_;
    BOOST_TEST(tpl.engine_version == "v2");
    BOOST_TEST((tpl.merge_policy == template_merge_policy::replace));
    BOOST_TEST((tpl.from[0].target == template_target::data));
    BOOST_TEST((tpl.from[0].values_decoding == decoding_strategy::none));
    BOOST_TEST((tpl.from[0].config_map->items[0].template_as == template_scope::values));
    auto const& merge = *s.data_from[0].rewrites[0].merge;
    BOOST_TEST((merge.strategy == merge_strategy::extract && merge.conflict_policy == merge_conflict_policy::error &&
                merge.priority_policy == merge_priority_policy::strict && merge.into.empty()));
    BOOST_TEST(s.data_from[1].source->generator->api_version == "generators.external-secrets.io/v1alpha1");

    auto store = read_as<secret_store>(R"(apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: kv}
spec: {provider: {azurekv: {vaultUrl: "https://v.vault.azure.net"}}}
)");
    BOOST_TEST((store.spec.provider.auth_type == azure_auth_type::service_principal));
    BOOST_TEST((store.spec.provider.environment_type == azure_environment::public_cloud));
    BOOST_TEST(!store.spec.provider.use_azure_sdk);
    BOOST_TEST(!store.spec.retry_settings.has_value());

    // Written back as the API server would store it: the defaults spelt out.
    auto j = to_json(es);
    BOOST_TEST(j.at("spec").at("target").at("creationPolicy") == "Owner");
    BOOST_TEST(j.at("spec").at("target").at("deletionPolicy") == "Retain");
    BOOST_TEST(j.at("spec").at("refreshInterval") == "1h0m0s");
    BOOST_TEST(j.at("spec").at("target").at("template").at("templateFrom").at(0).at("target") == "Data");
}

std::string const every_v1_field = R"Y(apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: team-a}
spec:
  secretStoreRef: {name: kv, kind: ClusterSecretStore}
  refreshPolicy: Periodic
  refreshInterval: 30m
  syncWindows:
    kind: deny
    windows:
    - {schedule: "0 22 * * 1-5", duration: 8h}
    - {schedule: "@every 90m", duration: 10m}
  target:
    name: app-secret
    creationPolicy: CreateOrMerge
    deletionPolicy: Merge
    immutable: true
    manifest: {apiVersion: v1, kind: Secret}
    template:
      type: kubernetes.io/tls
      engineVersion: v2
      mergePolicy: Merge
      metadata: {labels: {a: b}, annotations: {c: d}, finalizers: [example.com/f]}
      data: {tls.crt: "{{ .cert }}"}
      templateFrom:
      - {literal: "x: {{ .y }}", target: Annotations, valuesDecodingStrategy: Base64URL}
      - secret: {name: tpl, items: [{key: k, templateAs: KeysAndValues}]}
  data:
  - secretKey: cert
    remoteRef: {key: cert/tls, version: abc, property: a.b, metadataPolicy: Fetch, conversionStrategy: Unicode,
                decodingStrategy: Auto, nullBytePolicy: Fail}
    sourceRef: {storeRef: {name: other, kind: SecretStore}}
  dataFrom:
  - find: {path: p, name: {regexp: "^db-"}, tags: {env: prod}, conversionStrategy: Unicode, decodingStrategy: Base64,
           nullBytePolicy: Fail}
    rewrite:
    - regexp: {source: "^db-(.*)", target: "${1}"}
    - transform: {template: "{{ .value | upper }}"}
    - merge: {into: all, priority: [a, b], priorityPolicy: IgnoreNotFound, conflictPolicy: Ignore, strategy: JSON}
)Y";

BOOST_AUTO_TEST_CASE(every_v1_field_round_trips) {
    auto es = read_as<external_secret>(every_v1_field);
    auto const& s = es.spec;
    BOOST_REQUIRE(s.sync_windows.has_value());
    BOOST_TEST((s.sync_windows->kind == sync_window_kind::deny));
    BOOST_TEST(s.sync_windows->windows[1].schedule == "@every 90m");
    BOOST_TEST(s.sync_windows->windows[0].duration.count() == std::chrono::nanoseconds(std::chrono::hours(8)).count());
    BOOST_TEST(s.target.manifest->kind == "Secret");
    BOOST_TEST((s.target.template_->from[0].values_decoding == decoding_strategy::base64url));
    BOOST_TEST((s.data_from[0].rewrites[2].merge->priority_policy == merge_priority_policy::ignore_not_found));

    auto j = to_json(es);
    BOOST_TEST(j.at("spec").at("syncWindows").at("windows").at(0).at("duration") == "8h0m0s");
    BOOST_TEST(j.at("spec").at("syncWindows").at("kind") == "deny");
    BOOST_TEST(j.at("spec").at("target").at("manifest").at("apiVersion") == "v1");
    BOOST_TEST(j.at("spec").at("target").at("template").at("templateFrom").at(0).at("valuesDecodingStrategy") == "Base64URL");
    BOOST_TEST(j.at("spec").at("dataFrom").at(0).at("rewrite").at(2).at("merge").at("priorityPolicy") == "IgnoreNotFound");
    auto back = read(j);
    BOOST_REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
    BOOST_TEST((std::get<external_secret>(*back) == es));

    auto store = read_as<secret_store>(R"(apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: kv}
spec:
  retrySettings: {maxRetries: 3, retryInterval: 10s}
  provider: {azurekv: {vaultUrl: "https://v.vault.azure.net", authType: ManagedIdentity, identityId: id-1}}
)");
    BOOST_TEST(*store.spec.retry_settings->max_retries == 3);
    auto sj = to_json(store);
    BOOST_TEST(sj.at("spec").at("retrySettings").at("retryInterval") == "10s");
    auto sback = read(sj);
    BOOST_REQUIRE(sback);
    BOOST_TEST((std::get<secret_store>(*sback) == store));
}

BOOST_AUTO_TEST_CASE(v1beta1_output_leaves_out_v1_fields) {
    auto es = read_as<external_secret>(every_v1_field);
    es.api_version = "external-secrets.io/v1beta1";
    es.spec.target.creation = creation_policy::owner;
    auto j = to_json(es);
    auto const& spec = j.at("spec").as_object();
    BOOST_TEST(!spec.contains("syncWindows"));
    BOOST_TEST(!spec.at("target").as_object().contains("manifest"));
    BOOST_TEST(!spec.at("target").at("template").at("metadata").as_object().contains("finalizers"));
    BOOST_TEST(!spec.at("target").at("template").at("templateFrom").at(0).as_object().contains("valuesDecodingStrategy"));
    BOOST_TEST(!spec.at("data").at(0).at("remoteRef").as_object().contains("nullBytePolicy"));
    BOOST_TEST(!spec.at("dataFrom").at(0).at("rewrite").at(2).as_object().contains("merge"));
    auto back = read(j);
    BOOST_TEST_MESSAGE((back ? std::string() : back.error().message));
    BOOST_TEST(back.has_value());  // nothing v1beta1 refuses was written
}

/// The CRD file's openAPIV3Schema of `version` for `plural`.
boost::json::value crd_schema(std::string const& plural, std::string const& version) {
    std::ifstream in(std::string(ESX_TEST_MANIFESTS) + "/../../../examples/controller/deploy/crds/" + plural + ".yaml");
    BOOST_REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    auto docs = load_documents(ss.str());
    BOOST_REQUIRE(docs);
    for (auto const& v : docs->front().at("spec").at("versions").as_array())
        if (v.at("name") == boost::json::string_view(version)) return v.at("schema").at("openAPIV3Schema");
    BOOST_FAIL("no version " << version);
    return nullptr;
}

/// A value with every field the schema has (the first enum value, one array item, ...).
boost::json::value fill(boost::json::value const& schema) {
    auto const& o = schema.as_object();
    if (auto const* props = o.if_contains("properties")) {
        boost::json::object out;
        for (auto const& kv : props->as_object()) out[kv.key()] = fill(kv.value());
        return out;
    }
    if (auto const* t = o.if_contains("type")) {
        if (*t == "array") return boost::json::array{fill(o.at("items"))};
        if (*t == "boolean") return true;
        if (*t == "integer") return 1;
        if (*t == "object") {
            if (o.contains("additionalProperties")) return boost::json::object{{"k", "v"}};
            return boost::json::object{};
        }
        if (auto const* e = o.if_contains("enum")) return e->as_array().at(0);
        return "x";
    }
    return 1;  // int-or-string
}

/// Every path of `j` is in `schema` (else the API server would prune it).
void expect_in_schema(boost::json::value const& j, boost::json::value const& schema, std::string const& path) {
    auto const& s = schema.as_object();
    if (j.is_object() && s.contains("properties")) {
        for (auto const& kv : j.as_object()) {
            auto const* sub = s.at("properties").as_object().if_contains(kv.key());
            BOOST_TEST_CONTEXT(path + "." + std::string(kv.key())) {
                BOOST_TEST(sub != nullptr);
                if (sub) expect_in_schema(kv.value(), *sub, path + "." + std::string(kv.key()));
            }
        }
    } else if (j.is_array() && s.contains("items")) {
        for (auto const& e : j.as_array()) expect_in_schema(e, s.at("items"), path + "[]");
    }
}

BOOST_AUTO_TEST_CASE(the_crds_and_the_model_have_the_same_fields) {
    struct kind_case { char const* plural; char const* kind; };
    for (auto [plural, kind] : {kind_case{"secretstores", "SecretStore"}, kind_case{"clustersecretstores", "ClusterSecretStore"},
                                kind_case{"externalsecrets", "ExternalSecret"},
                                kind_case{"clusterexternalsecrets", "ClusterExternalSecret"}}) {
        for (std::string version : {"v1", "v1beta1"}) {
            BOOST_TEST_CONTEXT(plural << " " << version) {
                auto schema = crd_schema(plural, version);
                auto doc = fill(schema).as_object();
                doc["apiVersion"] = "external-secrets.io/" + version;
                doc["kind"] = kind;
                doc["metadata"] = boost::json::object{{"name", "x"}, {"namespace", "y"}};
                doc.erase("status");
                // Every field the CRD has is one esx reads (no "unknown field").
                detail::problems p;
                auto r = detail::read_any(boost::json::value(doc), p);
                for (auto const& c : p.causes)
                    BOOST_TEST((c.reason != "FieldValueUnknown"), c.field << ": " << c.message);
                // And every field esx writes is one the CRD keeps.
                auto written = std::visit([](auto const& x) { return to_json(x); }, r);
                expect_in_schema(written, schema, "");
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sync_windows_schedules)

using sys_ns = std::chrono::sys_time<std::chrono::nanoseconds>;

sys_ns utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
    using namespace std::chrono;
    return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

BOOST_AUTO_TEST_CASE(the_crd_pattern) {
    for (char const* ok : {"@daily", "@annually", "@every 1h", "@every 5m junk", "0 22 * * 1-5", "*/5 * * * *"})
        BOOST_TEST(matches_schedule_pattern(ok), ok);
    for (char const* bad : {"@reboot", "@every ", "0 22 * *", "0 22 * * * *", "0  22 * * *", " 0 22 * * *", "@Daily"})
        BOOST_TEST(!matches_schedule_pattern(bad), bad);
}

BOOST_AUTO_TEST_CASE(parse_errors_are_robfig_cron_messages) {
    struct { char const* spec; char const* message; } const cases[] = {
        {"60 * * * *", "end of range (60) above maximum (59): 60"},
        {"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
        {"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
        {"*/0 * * * *", "step of range should be a positive number: */0"},
        {"1-2-3 * * * *", "too many hyphens: 1-2-3"},
        {"1/2/3 * * * *", "too many slashes: 1/2/3"},
        {"x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"},
        {"* * * * 7", "end of range (7) above maximum (6): 7"},
        {"@every 1d", "failed to parse duration @every 1d: time: unknown unit \"d\" in duration \"1d\""},
        {"@fortnightly", "unrecognized descriptor: @fortnightly"},
    };
    for (auto const& c : cases) {
        auto r = parse_schedule(c.spec);
        BOOST_TEST_CONTEXT(c.spec) {
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().message == c.message);
        }
    }
    BOOST_TEST(parse_schedule("0 9 * JAN-mar MON-fri").has_value());
    BOOST_TEST(parse_schedule("0,30 */2 1,15 * ?").has_value());
}

BOOST_AUTO_TEST_CASE(next_firing_follows_robfig_cron) {
    using namespace std::chrono;
    auto next = [](char const* spec, sys_ns from) {
        auto s = parse_schedule(spec);
        BOOST_REQUIRE_MESSAGE(s, spec);
        return next_firing(*s, from);
    };
    // Weekdays at 22:00, from a Friday night: the Monday.
    BOOST_TEST((next("0 22 * * 1-5", utc(2024, 5, 10, 23, 0)) == utc(2024, 5, 13, 22, 0)));
    // Strictly after: at 22:00:00 exactly, the next day's.
    BOOST_TEST((next("0 22 * * *", utc(2024, 5, 13, 22, 0)) == utc(2024, 5, 14, 22, 0)));
    BOOST_TEST((next("*/15 * * * *", utc(2024, 5, 13, 10, 7, 30)) == utc(2024, 5, 13, 10, 15)));
    BOOST_TEST((next("@daily", utc(2024, 12, 31, 12, 0)) == utc(2025, 1, 1, 0, 0)));
    BOOST_TEST((next("@monthly", utc(2024, 1, 31, 0, 0)) == utc(2024, 2, 1, 0, 0)));
    BOOST_TEST((next("@weekly", utc(2024, 5, 13, 0, 0)) == utc(2024, 5, 19, 0, 0)));  // a Sunday
    BOOST_TEST((next("0 0 31 * *", utc(2024, 4, 1, 0, 0)) == utc(2024, 5, 31, 0, 0)));
    BOOST_TEST((next("0 0 29 2 *", utc(2025, 3, 1, 0, 0)) == utc(2028, 2, 29, 0, 0)));
    // Day of month and day of week both restricted: either matches (the 13th, or a Friday).
    BOOST_TEST((next("0 0 13 * 5", utc(2024, 5, 1, 0, 0)) == utc(2024, 5, 3, 0, 0)));
    // One of them `*`: both must match (Friday the 13th).
    BOOST_TEST((next("0 0 13 * *", utc(2024, 5, 1, 0, 0)) == utc(2024, 5, 13, 0, 0)));
    BOOST_TEST(!next("0 0 30 2 *", utc(2024, 1, 1, 0, 0)).has_value());  // never: none within five years
    // @every: the start's whole second plus the delay.
    BOOST_TEST((next("@every 90m", utc(2024, 5, 13, 10, 0, 5) + milliseconds(700)) == utc(2024, 5, 13, 11, 30, 5)));
}

BOOST_AUTO_TEST_CASE(windows_allow_or_deny_periodic_refreshes) {
    using namespace std::chrono;
    auto at = [](sys_ns t) { return time_point_cast<system_clock::duration>(t); };
    sync_windows nights{sync_window_kind::deny, {{"0 22 * * 1-5", hours(8)}}};
    BOOST_TEST(!is_periodic_refresh_allowed(nights, at(utc(2024, 5, 13, 23, 0))));  // Monday night
    BOOST_TEST(!is_periodic_refresh_allowed(nights, at(utc(2024, 5, 14, 5, 59))));  // still inside
    BOOST_TEST(is_periodic_refresh_allowed(nights, at(utc(2024, 5, 14, 6, 1))));    // the window closed at 06:00
    BOOST_TEST(is_periodic_refresh_allowed(nights, at(utc(2024, 5, 13, 12, 0))));
    sync_windows early{sync_window_kind::allow, {{"@daily", hours(1)}}};
    BOOST_TEST(is_periodic_refresh_allowed(early, at(utc(2024, 5, 13, 0, 30))));
    BOOST_TEST(!is_periodic_refresh_allowed(early, at(utc(2024, 5, 13, 2, 0))));
    // A window that does not parse is skipped, as ESO skips it.
    sync_windows broken{sync_window_kind::allow, {{"0 24 * * *", hours(24)}}};
    BOOST_TEST(!is_periodic_refresh_allowed(broken, at(utc(2024, 5, 13, 2, 0))));
    BOOST_TEST(is_periodic_refresh_allowed(std::nullopt, at(utc(2024, 5, 13, 2, 0))));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(manifest_sets)

std::string const mixed = R"(apiVersion: v1
kind: Secret
metadata: {name: sp, namespace: team-a}
stringData: {client-id: id, client-secret: s3cr3t-value}
---
# a broken store: the others still count
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: broken, namespace: team-a}
spec:
  provider:
    azurekv: {vaultUrl: "http://plain.example"}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: kv, namespace: team-a}
spec:
  provider:
    azurekv:
      tenantId: t
      vaultUrl: https://team-a.vault.azure.net
      authSecretRef:
        clientId: {name: sp, key: client-id}
        clientSecret: {name: sp, key: client-secret}
---
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app}
spec:
  secretStoreRef: {name: kv}
  data: [{secretKey: a, remoteRef: {key: b}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
)";

BOOST_AUTO_TEST_CASE(one_invalid_document_fails_only_itself) {
    auto set = read_manifests(mixed, "mixed.yaml");
    BOOST_REQUIRE(set);
    BOOST_TEST(set->core_objects.size() == 1u);
    BOOST_TEST(set->stores.size() == 1u);
    BOOST_TEST(set->stores[0].metadata.name == "kv");
    BOOST_TEST(set->external_secrets.size() == 1u);
    BOOST_REQUIRE_EQUAL(set->errors.size(), 1u);
    auto const& e = set->errors[0];
    BOOST_TEST(e.source == "mixed.yaml");
    BOOST_TEST(e.index == 2u);
    BOOST_TEST(e.line == 6u);
    BOOST_TEST(e.kind == "SecretStore");
    BOOST_TEST(e.name == "broken");
    BOOST_TEST(e.namespace_ == "team-a");
    BOOST_TEST(e.error.message == "spec.provider.azurekv.vaultUrl: must be an https:// URL\n"
                                  "spec.provider.azurekv.tenantId: is required when authType is ServicePrincipal\n"
                                  "spec.provider.azurekv.authSecretRef: is required when authType is ServicePrincipal");
    BOOST_TEST(e.error.causes.at(0).field == "spec.provider.azurekv.vaultUrl");
    // Kept documents: where each came from (the empty document between two `---` is not counted).
    BOOST_REQUIRE_EQUAL(set->documents.size(), 3u);
    BOOST_TEST(set->documents[2].kind == "ExternalSecret");
    BOOST_TEST(set->documents[2].index == 4u);
    BOOST_TEST(set->documents[2].line == 27u);
    // The old entry point still refuses the whole text.
    BOOST_TEST(!parse_manifests(mixed).has_value());
}

BOOST_AUTO_TEST_CASE(a_yaml_syntax_error_fails_its_document_with_the_file_line) {
    std::string text = std::string(mixed.substr(0, mixed.find("---\n---"))) +
                       "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: typo\n"
                       "spec: [unclosed\n---\n" + mixed.substr(mixed.find("---\n---") + 8);
    auto set = read_manifests(text, "typo.yaml");
    BOOST_REQUIRE(set);
    BOOST_TEST(set->stores.size() == 1u);
    BOOST_TEST(set->external_secrets.size() == 1u);  // the document after the broken one
    BOOST_REQUIRE_EQUAL(set->errors.size(), 2u);
    auto const& e = set->errors[1];
    BOOST_TEST(e.index == 4u);
    BOOST_TEST(e.kind == "ExternalSecret");
    BOOST_TEST(e.name == "typo");
    BOOST_TEST(e.line == 26u);
    BOOST_TEST_MESSAGE(e.error.message);
    BOOST_TEST(e.error.message == "yaml: line 31, column 1: end of sequence flow not found");  // the end of the document
    // A JSON text that does not parse cannot be split: the file fails.
    auto bad = read_manifests("{\"apiVersion\": ", "x.json");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().message.starts_with("x.json: json: "));
}

BOOST_AUTO_TEST_CASE(list_items_core_objects_and_odd_documents) {
    auto set = read_manifests(R"({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "wi"}},
        {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "x"},
         "spec": {"secretStoreRef": {"name": "kv"}, "data": [{"secretKey": "a/b", "remoteRef": {"key": "k"}}]}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "not base64!"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"tpl": "{{ .a }}"}}]})",
                              "list.json");
    BOOST_REQUIRE(set);
    BOOST_TEST(set->core_objects.size() == 2u);
    BOOST_REQUIRE_EQUAL(set->errors.size(), 2u);
    BOOST_TEST(set->errors[0].error.message ==
               "items[1].spec.data[0].secretKey: must consist of alphanumeric characters, '-', '_' or '.'");
    BOOST_TEST(set->errors[1].error.message == "items[2].data[token]: must be base64 (standard alphabet, padded)");
    BOOST_TEST(set->errors[1].error.message.find("not base64") == std::string::npos);  // never the value

    auto odd = read_manifests("just text\n---\nkind: Secret\n---\napiVersion: v1\nkind: Secret\nmetadata: {}\n");
    BOOST_REQUIRE(odd);
    BOOST_REQUIRE_EQUAL(odd->errors.size(), 3u);
    BOOST_TEST(odd->errors[0].error.message == "a manifest must be an object");
    BOOST_TEST(odd->errors[1].error.message == "apiVersion: is required");
    BOOST_TEST(odd->errors[2].error.message == "metadata.name: name or generateName is required");
    BOOST_TEST(odd->errors[2].source == "<input>");
}

BOOST_AUTO_TEST_CASE(default_namespace_fills_namespaced_kinds_only) {
    auto set = read_manifests(read_manifest("seed-workload-identity-referenced.yaml") + "---\n" +
                                  read_manifest("seed-external-secret.yaml") +
                                  "---\napiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata: {name: g}\n"
                                  "spec: {provider: {azurekv: {vaultUrl: \"https://g.vault.azure.net\", authType: ManagedIdentity}}}\n",
                              "seed");
    BOOST_REQUIRE(set);
    BOOST_TEST(set->errors.empty());
    set->default_namespace("team-x");
    BOOST_TEST(set->stores[0].metadata.namespace_ == "team-x");
    BOOST_TEST(set->stores[1].metadata.namespace_.empty());  // ClusterSecretStore
    BOOST_TEST(set->external_secrets[0].metadata.namespace_ == "team-x");
    BOOST_TEST(set->core_objects[0].at("metadata").at("namespace") == "team-x");
    BOOST_TEST(set->origin("ExternalSecret", "team-x", "example-external-secret") != nullptr);
}

BOOST_AUTO_TEST_CASE(files_directories_and_stdin_names) {
    esx::test::temp_dir dir;
    dir.write("b.yaml", read_manifest("seed-external-secret.yaml"));
    dir.write("a.yml", read_manifest("seed-service-principal-store.yaml"));
    dir.write("notes.txt", "not a manifest");
    auto one = dir.write("one/secret.yaml", read_manifest("seed-service-principal-secret.yaml"));
    auto set = read_files({dir.path.string(), one.string()});
    BOOST_REQUIRE_MESSAGE(set, (set ? "" : set.error().message));
    BOOST_TEST(set->errors.empty());
    BOOST_REQUIRE_EQUAL(set->documents.size(), 3u);
    BOOST_TEST(set->documents[0].source == (dir.path / "a.yml").string());  // name order, .txt skipped
    BOOST_TEST(set->documents[1].kind == "ExternalSecret");
    BOOST_TEST(set->documents[2].kind == "Secret");
    auto missing = read_files({one.string(), (dir.path / "nope.yaml").string()});
    BOOST_REQUIRE(!missing);
    BOOST_TEST(missing.error().message == (dir.path / "nope.yaml").string() + ": cannot open: No such file or directory");
}

BOOST_AUTO_TEST_CASE(validate_checks_across_documents) {
    std::string text = mixed + R"(---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app}
spec:
  secretStoreRef: {name: kv}
  data: [{secretKey: a, remoteRef: {key: b}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: other, namespace: team-a}
spec:
  secretStoreRef: {name: elsewhere}
  target: {name: app}
  data: [{secretKey: a, remoteRef: {key: b}}]
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: shared}
spec:
  conditions: [{namespaces: [team-b]}]
  provider: {azurekv: {vaultUrl: "https://s.vault.azure.net", authType: WorkloadIdentity,
                       serviceAccountRef: {name: wi, namespace: team-a}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: wi, namespace: team-a}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: uses-shared, namespace: team-a}
spec:
  secretStoreRef: {name: shared, kind: ClusterSecretStore}
  data: [{secretKey: a, remoteRef: {key: b}}]
)";
    text = replace(text, "clientSecret: {name: sp, key: client-secret}", "clientSecret: {name: sp, key: secret}");
    validate_options options{.default_namespace = "team-a"};
    auto set = read_manifests(text, "all.yaml", options);
    BOOST_REQUIRE(set);
    auto report = validate_manifests(*set, options);
    BOOST_TEST(!report.ok());
    std::vector<std::string> errors, notes;
    for (auto const& e : report.errors)
        for (auto const& c : e.error.causes) errors.push_back(e.kind + "/" + e.name + " " + c.field + ": " + c.message);
    for (auto const& e : report.notes)
        for (auto const& c : e.error.causes) notes.push_back(e.kind + "/" + e.name + " " + c.field + ": " + c.message);
    for (auto const& e : errors) BOOST_TEST_MESSAGE("error: " << e);
    for (auto const& n : notes) BOOST_TEST_MESSAGE("note: " << n);
    std::vector<std::string> const expected_errors{
        "SecretStore/broken spec.provider.azurekv.vaultUrl: must be an https:// URL",
        "SecretStore/broken spec.provider.azurekv.tenantId: is required when authType is ServicePrincipal",
        "SecretStore/broken spec.provider.azurekv.authSecretRef: is required when authType is ServicePrincipal",
        "ExternalSecret/app metadata.name: Duplicate value: ExternalSecret \"app\" is also defined in all.yaml document 4; "
        "only one definition can apply",
        "SecretStore/kv spec.provider.azurekv.authSecretRef.clientSecret.key: Secret \"team-a/sp\" (all.yaml document 1) "
        "has no key \"secret\"",
        "ClusterSecretStore/shared spec.provider.azurekv.serviceAccountRef: missing clientID: either serviceAccountRef or "
        "service account annotation 'azure.workload.identity/client-id' is missing (ServiceAccount \"team-a/wi\" has no "
        "such annotation)",
        "ExternalSecret/uses-shared spec.secretStoreRef: ClusterSecretStore \"shared\" does not allow namespace "
        "\"team-a\": none of its spec.conditions matches",
        "ExternalSecret/other spec.target.name: Secret \"app\" is also the target of ExternalSecret \"app\"; with "
        "creationPolicy Owner only one of them can own it (ESO fails the other)",
    };
    BOOST_TEST(errors == expected_errors, boost::test_tools::per_element());
    std::vector<std::string> const expected_notes{
        "ClusterSecretStore/shared spec.provider.azurekv.serviceAccountRef: ServiceAccount \"team-a/wi\" has no annotation "
        "azure.workload.identity/tenant-id and the store names no tenant: the tenant comes from AZURE_TENANT_ID where the "
        "sync runs, or the sync fails with \"missing tenantID in store config\"",
        "ExternalSecret/other spec.secretStoreRef: SecretStore \"elsewhere\" is not in the files of namespace \"team-a\": "
        "it must exist in the cluster",
    };
    BOOST_TEST(notes == expected_notes, boost::test_tools::per_element());
    BOOST_TEST(report.errors[0].index == 2u);
    // The seed's own manifests: valid, nothing to say but what the cluster must hold.
    auto seed = read_files({std::string(ESX_TEST_MANIFESTS) + "/seed-service-principal-secret.yaml",
                            std::string(ESX_TEST_MANIFESTS) + "/seed-service-principal-store.yaml",
                            std::string(ESX_TEST_MANIFESTS) + "/seed-external-secret.yaml"});
    BOOST_REQUIRE(seed);
    auto seed_report = validate_manifests(*seed);
    BOOST_TEST(seed_report.ok());
    BOOST_TEST(seed_report.notes.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
