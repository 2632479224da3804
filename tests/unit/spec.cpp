// Unit tests of esx::spec: ESO resources read from YAML/JSON, validated, written back.
#include <esx/spec.hpp>
#include <esx/spec/manifest.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

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
    BOOST_TEST(std::regex_search(std::string("e2e-find-name-eso-azure-one"), *r));
    auto named = compile_regex("(?P<team>[a-z]+)-prod");
    BOOST_REQUIRE(named);
    BOOST_TEST(std::regex_search(std::string("payments-prod"), *named));
    auto icase = compile_regex("(?i)^TEAM-");
    BOOST_REQUIRE(icase);
    BOOST_TEST(std::regex_search(std::string("team-a"), *icase));
    BOOST_TEST(compile_regex("[]a]").has_value());
}

BOOST_AUTO_TEST_CASE(what_re2_refuses_is_refused) {
    struct { char const* pattern; char const* message; } const cases[] = {
        {"a(?=b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
        {"a(?<!b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?<!`"},
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
        {"syncWindows", replace(b, "spec:\n", "spec:\n  syncWindows: {kind: allow}\n"), "spec.syncWindows: syncWindows are not supported by esx"},
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

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
