// The pipeline end to end: ExternalSecrets from manifest text, through the real runtime, auth
// policies and Key Vault client, against mock Azure and mock Kubernetes over loopback TLS,
// into a memory sink or Kubernetes Secrets (read back with esx's client and with kubectl).
#include "world.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>

namespace {

using namespace esx::pipeline_test;
namespace spec = esx::spec;

world& shared_world() {
    static world w;
    return w;
}

/// An ExternalSecret in YAML: `body` is the rest of `spec` (indented two spaces).
std::string es(std::string const& name, std::string const& store, std::string const& body, std::string const& ns = "apps",
               std::string const& kind = "SecretStore") {
    return "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  secretStoreRef: {kind: " + kind + ", name: " + store + "}\n" + body;
}

/// A runtime on the world, a memory sink, and a pipeline per call.
struct harness {
    explicit harness(world& w, bool allow_controller_identity = false) : w(w), rt(w.options(allow_controller_identity)) {}

    std::vector<esx::sync_result> sync(std::string const& yaml, esx::pipeline_options o = {}) {
        esx::pipeline<esx::sink::memory> p(rt, memory, w.manifests(yaml), o);
        return rt.run(p.sync_all());
    }
    esx::sync_result sync_one(std::string const& yaml) {
        auto r = sync(yaml);
        BOOST_REQUIRE_EQUAL(r.size(), 1u);
        return r.front();
    }
    /// The value of `key` in the memory sink's Secret `apps/name`.
    std::string value(std::string const& name, std::string const& key, std::string const& ns = "apps") {
        auto s = memory->find(ns, name);
        if (!s) return "<no secret " + name + ">";
        auto it = s->data.find(key);
        return it == s->data.end() ? "<no key " + key + ">" : std::string(it->second.reveal());
    }
    std::vector<std::string> keys(std::string const& name, std::string const& ns = "apps") {
        std::vector<std::string> out;
        if (auto s = memory->find(ns, name))
            for (auto const& [k, v] : s->data) out.push_back(k);
        return out;
    }

    world& w;
    esx::runtime rt;
    std::shared_ptr<esx::sink::memory> memory = std::make_shared<esx::sink::memory>();
};

std::string line(esx::sync_result const& r) {
    std::ostringstream os;
    os << r;
    return os.str();
}

// Evaluates its argument twice: pass a variable, never a call.
#define REQUIRE_SYNCED(r) BOOST_REQUIRE_MESSAGE((r).ok(), line(r))

} // namespace

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(sync)
BOOST_AUTO_TEST_SUITE(eso_cases)

BOOST_AUTO_TEST_CASE(simple_data_sync_writes_each_secret_under_its_key) {
    harness h(shared_world());
    auto r = h.sync_one(es("simple", "kv", "  target: {name: target-secret}\n  data:\n"
                                           "  - {secretKey: e2e-one, remoteRef: {key: e2e-one}}\n"
                                           "  - {secretKey: e2e-other, remoteRef: {key: e2e-other}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(r.outcome->action == esx::sink::action::created);
    BOOST_TEST(h.keys("target-secret") == (std::vector<std::string>{"e2e-one", "e2e-other"}), boost::test_tools::per_element());
    BOOST_TEST(h.value("target-secret", "e2e-one") == "bar");
    BOOST_TEST(h.value("target-secret", "e2e-other") == "bar");
    BOOST_TEST(line(r) == "apps/simple: created Secret apps/target-secret (2 keys) "
                          "[no ownerReference: the ExternalSecret is not in the cluster]");
}

BOOST_AUTO_TEST_CASE(nested_json_with_gjson_paths_and_array_indices) {
    harness h(shared_world());
    auto r = h.sync_one(es("nested", "kv", "  target: {name: nested}\n  data:\n"
                                           "  - {secretKey: firstname, remoteRef: {key: e2e-nested, property: name.first}}\n"
                                           "  - {secretKey: first_friend, remoteRef: {key: e2e-nested, property: friends.1.first}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("nested", "firstname") == "Tom");
    BOOST_TEST(h.value("nested", "first_friend") == "Roger");
    // Two entries, one object: one read.
}

BOOST_AUTO_TEST_CASE(json_data_from_extract_and_rewrite) {
    harness h(shared_world());
    auto r = h.sync(es("from-json", "kv", "  target: {name: from-json}\n  dataFrom:\n  - extract: {key: e2e-json}\n") +
                    es("from-rewrite", "kv", "  target: {name: from-rewrite}\n  dataFrom:\n  - extract: {key: e2e-rewrite}\n"
                                              "    rewrite:\n    - regexp: {source: \"(.*)\", target: \"my_$1\"}\n"));
    REQUIRE_SYNCED(r[0]);
    REQUIRE_SYNCED(r[1]);
    BOOST_TEST(h.value("from-json", "name") == "great-name");
    BOOST_TEST(h.value("from-json", "surname") == "great-surname");
    BOOST_TEST(h.keys("from-rewrite") == (std::vector<std::string>{"my_address", "my_username"}), boost::test_tools::per_element());
    BOOST_TEST(h.value("from-rewrite", "my_username") == "myuser.name");
    BOOST_TEST(h.value("from-rewrite", "my_address") == "happy street");
}

BOOST_AUTO_TEST_CASE(json_data_with_property_and_without_target_name) {
    harness h(shared_world());
    auto r = h.sync_one(es("with-property", "kv", "  data:\n"
                                                  "  - {secretKey: one, remoteRef: {key: e2e-prop-one, property: foo1}}\n"
                                                  "  - {secretKey: two, remoteRef: {key: e2e-prop-two, property: bar2}}\n"));
    REQUIRE_SYNCED(r);
    // No target name: the Secret is named after the ExternalSecret.
    BOOST_TEST(h.value("with-property", "one") == "foo1-val");
    BOOST_TEST(h.value("with-property", "two") == "bar2-val");
}

BOOST_AUTO_TEST_CASE(docker_config_property_gives_raw_sub_object_text_or_unescaped_string) {
    harness h(shared_world());
    auto r = h.sync_one(es("docker", "kv", "  data:\n"
                                           "  - {secretKey: raw, remoteRef: {key: e2e-docker, property: dockerconfig}}\n"
                                           "  - {secretKey: string, remoteRef: {key: e2e-docker-string, property: dockerconfig}}\n"));
    REQUIRE_SYNCED(r);
    // gjson's raw text of a sub-object, whitespace exactly as in the source.
    BOOST_TEST(h.value("docker", "raw") == R"({"auths": {"https://index.docker.io/v1/":  {"auth":"c3R...zE2"}}})");
    // A JSON string: unescaped.
    BOOST_TEST(h.value("docker", "string") == R"({"auths":{"https://index.docker.io/v1/": {"auth": "c3R...zE2"}}})");
}

BOOST_AUTO_TEST_CASE(later_entries_win_and_data_wins_over_data_from) {
    harness h(shared_world());
    auto r = h.sync_one(es("precedence", "kv", "  dataFrom:\n  - extract: {key: e2e-json}\n"
                                               "  - extract: {key: e2e-rewrite}\n"
                                               "  data:\n  - {secretKey: name, remoteRef: {key: e2e-one}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("precedence", "name") == "bar");           // data after dataFrom
    BOOST_TEST(h.value("precedence", "surname") == "great-surname");
    BOOST_TEST(h.value("precedence", "username") == "myuser.name");
    BOOST_TEST(r.counts.entries == 3u);
    BOOST_TEST(r.counts.keys == 4u);
}

BOOST_AUTO_TEST_CASE(entries_may_name_another_store) {
    harness h(shared_world());
    auto r = h.sync_one(es("two-stores", "kv", "  data:\n  - {secretKey: first, remoteRef: {key: e2e-one}}\n"
                                               "  - secretKey: second\n    remoteRef: {key: second}\n"
                                               "    sourceRef: {storeRef: {kind: SecretStore, name: kv2}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("two-stores", "first") == "bar");
    BOOST_TEST(h.value("two-stores", "second") == "second-value");
}

BOOST_AUTO_TEST_CASE(labels_and_annotations_of_the_external_secret_are_propagated) {
    harness h(shared_world());
    auto r = h.sync_one("---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: labelled\n"
                        "  namespace: apps\n  labels: {team: payments}\n  annotations: {note: hello}\nspec:\n"
                        "  secretStoreRef: {name: kv}\n  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n");
    REQUIRE_SYNCED(r);
    auto s = h.memory->find("apps", "labelled");
    BOOST_REQUIRE(s);
    BOOST_TEST(s->labels.at("team") == "payments");
    BOOST_TEST(s->annotations.at("note") == "hello");
    BOOST_TEST(s->labels.at("reconcile.external-secrets.io/managed") == "true");
}

BOOST_AUTO_TEST_CASE(a_version_reads_that_version_and_no_version_the_latest) {
    auto& w = shared_world();
    vault_admin admin(w, "kv1");
    auto const first = admin.set("versioned", "one");
    admin.set("versioned", "two");
    harness h(w);
    auto r = h.sync_one(es("versioned", "kv", "  data:\n  - {secretKey: old, remoteRef: {key: versioned, version: " + first +
                                              "}}\n  - {secretKey: latest, remoteRef: {key: versioned}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("versioned", "old") == "one");
    BOOST_TEST(h.value("versioned", "latest") == "two");
    admin.remove("versioned");
}

BOOST_AUTO_TEST_CASE(conversion_strategies_apply_to_extracted_keys_without_rewrite) {
    harness h(shared_world());
    auto r = h.sync(es("convert-default", "kv", "  dataFrom:\n  - extract: {key: e2e-conversion}\n") +
                    es("convert-unicode", "kv", "  dataFrom:\n  - extract: {key: e2e-conversion, conversionStrategy: Unicode}\n"));
    REQUIRE_SYNCED(r[0]);
    REQUIRE_SYNCED(r[1]);
    BOOST_TEST(h.keys("convert-default") == (std::vector<std::string>{"a_b", "x_y"}), boost::test_tools::per_element());
    BOOST_TEST(h.keys("convert-unicode") == (std::vector<std::string>{"a_U0020_b", "x_U003a_y"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_generator_is_refused_clearly) {
    // Manifest checks may refuse it first; an ExternalSecret from a cluster without them is refused here.
    auto& w = shared_world();
    harness h(w);
    auto set = w.manifests(es("generated", "kv", "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n"));
    set.external_secrets[0].spec.data_from.emplace_back();
    set.external_secrets[0].spec.data_from[0].source = spec::source_ref{std::nullopt, spec::generator_ref{"generators.external-secrets.io/v1alpha1", "Password", "pw"}};
    esx::pipeline<esx::sink::memory> p(h.rt, h.memory, std::move(set));
    auto r = h.rt.run(p.sync_all());
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what() == "spec.dataFrom[0].sourceRef.generatorRef: generators are not supported by esx yet");
    BOOST_TEST(h.memory->writes() == 0u);
}

BOOST_AUTO_TEST_CASE(v1beta1_external_secrets_sync_too) {
    harness h(shared_world());
    auto r = h.sync_one("---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: beta, namespace: apps}\n"
                        "spec:\n  secretStoreRef: {name: kv}\n  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n");
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("beta", "a") == "bar");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(object_bytes)

// What ESO writes for each object type, in both modes, pinned: the secret's value, the
// certificate's DER, and the key's JWK in the legacy (struct) or new-SDK (sorted) member order,
// assembled here by hand from the members Key Vault sent.
BOOST_AUTO_TEST_CASE(each_object_type_in_both_modes_is_what_eso_writes) {
    auto& w = shared_world();
    vault_admin admin(w, "kv1");
    auto rsa = admin.bundle("keys", "rsa-key").at("key").as_object();
    auto ec = admin.bundle("keys", "ec-key").at("key").as_object();
    auto cer = admin.bundle("certificates", "api-tls").at("cer").as_string();
    auto s = [](boost::json::value const& v) { return std::string(v.as_string()); };
    auto ops = [](boost::json::value const& v) { return boost::json::serialize(v); };
    std::string const rsa_legacy = R"({"kid":")" + s(rsa.at("kid")) + R"(","kty":"RSA","key_ops":)" + ops(rsa.at("key_ops")) +
                                   R"(,"n":")" + s(rsa.at("n")) + R"(","e":")" + s(rsa.at("e")) + "\"}";
    std::string const rsa_sdk = R"({"e":")" + s(rsa.at("e")) + R"(","key_ops":)" + ops(rsa.at("key_ops")) + R"(,"kid":")" +
                                s(rsa.at("kid")) + R"(","kty":"RSA","n":")" + s(rsa.at("n")) + "\"}";
    std::string const ec_legacy = R"({"kid":")" + s(ec.at("kid")) + R"(","kty":"EC","key_ops":)" + ops(ec.at("key_ops")) +
                                  R"(,"crv":"P-256","x":")" + s(ec.at("x")) + R"(","y":")" + s(ec.at("y")) + "\"}";
    std::string const ec_sdk = R"({"crv":"P-256","key_ops":)" + ops(ec.at("key_ops")) + R"(,"kid":")" + s(ec.at("kid")) +
                               R"(","kty":"EC","x":")" + s(ec.at("x")) + R"(","y":")" + s(ec.at("y")) + "\"}";
    auto der = esx::kube::detail::base64_decode(cer);
    BOOST_REQUIRE(der);

    harness h(w);
    std::string const body = "  data:\n  - {secretKey: secret, remoteRef: {key: secret/e2e-one}}\n"
                             "  - {secretKey: rsa, remoteRef: {key: key/rsa-key}}\n"
                             "  - {secretKey: ec, remoteRef: {key: key/ec-key}}\n"
                             "  - {secretKey: cert, remoteRef: {key: cert/api-tls, property: ignored.for.certs}}\n"
                             "  - {secretKey: modulus, remoteRef: {key: key/rsa-key, property: \"n\"}}\n";
    auto r = h.sync(es("bytes-legacy", "kv", body) + es("bytes-sdk", "kv-sdk", body));
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    REQUIRE_SYNCED(r[0]);
    REQUIRE_SYNCED(r[1]);
    for (std::string name : {"bytes-legacy", "bytes-sdk"}) {
        BOOST_TEST_CONTEXT(name) {
            bool const sdk = name == "bytes-sdk";
            BOOST_TEST(h.value(name, "secret") == "bar");
            BOOST_TEST(h.value(name, "rsa") == (sdk ? rsa_sdk : rsa_legacy));
            BOOST_TEST(h.value(name, "ec") == (sdk ? ec_sdk : ec_legacy));
            BOOST_TEST(h.value(name, "cert") == *der);
            BOOST_TEST(h.value(name, "modulus") == s(rsa.at("n")));
        }
    }
    // Both stores share the identity and the vault: each object was read once for both.
    BOOST_TEST(w.vault_reads_of("/keys/rsa-key") >= 1u);
}

BOOST_AUTO_TEST_CASE(data_from_of_a_key_or_certificate_is_refused_with_esos_words) {
    // The admission rules refuse these already; a cluster without ESO's webhook may hold them.
    auto& w = shared_world();
    harness h(w);
    auto set = w.manifests(es("extract-key", "kv", "  dataFrom:\n  - extract: {key: e2e-json}\n") +
                           es("extract-cert", "kv", "  dataFrom:\n  - extract: {key: e2e-json}\n"));
    set.external_secrets[0].spec.data_from[0].extract->key = "key/rsa-key";
    set.external_secrets[1].spec.data_from[0].extract->key = "cert/api-tls";
    esx::pipeline<esx::sink::memory> p(h.rt, h.memory, std::move(set));
    auto r = h.rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what() == "spec.dataFrom[0].extract (key: key/rsa-key): cannot get use dataFrom to get key secret");
    BOOST_REQUIRE(!r[1].ok());
    BOOST_TEST(r[1].error->what() ==
               "spec.dataFrom[0].extract (key: cert/api-tls): cannot get use dataFrom to get certificate secret");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(find_entries)

BOOST_AUTO_TEST_CASE(find_by_name_and_by_tags_skips_disabled_secrets_and_lists_once) {
    auto& w = shared_world();
    harness h(w);
    w.azure.reset_log();
    auto r = h.sync(es("find-name", "kv", "  dataFrom:\n  - find: {name: {regexp: \"e2e-find-name-.+\"}}\n") +
                    es("find-tags", "kv", "  dataFrom:\n  - find: {tags: {test: find}}\n") +
                    es("find-both", "kv", "  dataFrom:\n  - find: {tags: {test: find}, name: {regexp: \"two$\"}}\n"));
    for (auto const& x : r) REQUIRE_SYNCED(x);
    std::vector<std::string> const three{"e2e-find-name-one", "e2e-find-name-three", "e2e-find-name-two"};
    BOOST_TEST(h.keys("find-name") == three, boost::test_tools::per_element());
    BOOST_TEST(h.keys("find-tags") == three, boost::test_tools::per_element());
    BOOST_TEST(h.keys("find-both") == (std::vector<std::string>{"e2e-find-name-two"}), boost::test_tools::per_element());
    BOOST_TEST(h.value("find-name", "e2e-find-name-one") == R"({"foo1":"foo1-val"})");
    // Three finds over one vault and identity: the vault was listed once (every page), and
    // each matching secret read once; the disabled one never.
    vault_admin admin(w, "kv1");
    auto const items = esx::test::run(admin.ioc, admin.client.list_secrets()).value().size();
    BOOST_TEST(w.list_pages("sp-reader") == (items + 24) / 25);
    BOOST_TEST(w.vault_reads_of("/secrets/e2e-find-name-one") == 1u);
    BOOST_TEST(w.vault_reads_of("/secrets/e2e-find-name-four") == 0u);
}

BOOST_AUTO_TEST_CASE(find_with_rewrite_and_conversion) {
    harness h(shared_world());
    auto r = h.sync_one(es("find-rewrite", "kv", "  dataFrom:\n  - find: {name: {regexp: \"^e2e-find-name-(one|two)$\"}}\n"
                                                 "    rewrite:\n    - regexp: {source: \"e2e-find-name-(?P<which>.*)\", target: \"found.${which}\"}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.keys("find-rewrite") == (std::vector<std::string>{"found.one", "found.two"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_backtracking_regexp_over_ten_thousand_secrets_finishes) {
    // RE2 runs `(a+)+$` in linear time: over a vault of 10,021 secrets (20 of them 127-character
    // names on which a backtracking engine needs 2^125 steps) the find ends, having read every
    // page once and only the one secret that matches.
    world w(world_options{.many = true});
    esx::runtime rt(w.options());
    auto manifests = w.manifests("---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: many, namespace: apps}\n"
                                 "spec:\n  provider:\n    azurekv:\n      tenantId: esx-tenant\n      vaultUrl: \"" +
                                 w.vault_url("many") +
                                 "\"\n      authSecretRef:\n        clientId: {name: sp-creds, key: ClientID}\n"
                                 "        clientSecret: {name: sp-creds, key: ClientSecret}\n" +
                                 es("adversarial", "many", "  dataFrom:\n  - find: {name: {regexp: \"(a+)+$\"}}\n"));
    auto memory = std::make_shared<esx::sink::memory>();
    esx::pipeline<esx::sink::memory> p(rt, memory, std::move(manifests));
    auto r = rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    REQUIRE_SYNCED(r[0]);
    auto s = memory->find("apps", "adversarial");
    BOOST_REQUIRE(s);
    BOOST_TEST(s->data.size() == 1u);
    BOOST_TEST(s->data.count(std::string(127, 'a')) == 1u);
    BOOST_TEST(w.list_pages() == (10'021u + 24) / 25);
    BOOST_TEST(p.stats().list_pages == w.list_pages());
    BOOST_TEST(w.vault_reads() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(decoding_and_metadata)

BOOST_AUTO_TEST_CASE(decoding_strategies_auto_base64_and_none) {
    harness h(shared_world());
    auto r = h.sync_one(es("decoding", "kv", "  dataFrom:\n  - extract: {key: e2e-decoding, decodingStrategy: Auto}\n"
                                             "  data:\n  - {secretKey: b64, remoteRef: {key: e2e-b64, decodingStrategy: Base64}}\n"
                                             "  - {secretKey: none, remoteRef: {key: e2e-b64}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("decoding", "name") == "great-name");
    BOOST_TEST(h.value("decoding", "surname") == "great-surname");
    BOOST_TEST(h.value("decoding", "address") == "happy calm street No. 1");
    BOOST_TEST(h.value("decoding", "b64") == "great-name");
    BOOST_TEST(h.value("decoding", "none") == "Z3JlYXQtbmFtZQ==");
}

BOOST_AUTO_TEST_CASE(a_value_that_is_not_base64_names_the_entry) {
    harness h(shared_world());
    auto r = h.sync_one(es("bad-b64", "kv", "  data:\n  - {secretKey: x, remoteRef: {key: e2e-plain-text, decodingStrategy: Base64}}\n"));
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error->what().starts_with("spec.data[0] (key: e2e-plain-text): error applying decoding strategy Base64 to data: "));
    BOOST_TEST(!h.memory->find("apps", "bad-b64"));
}

BOOST_AUTO_TEST_CASE(metadata_fetch_tags_and_attributes_legacy_and_tags_only_with_the_sdk) {
    harness h(shared_world());
    std::string const body = "  data:\n  - {secretKey: all, remoteRef: {key: e2e-metadata, metadataPolicy: Fetch}}\n"
                             "  - {secretKey: tag, remoteRef: {key: e2e-metadata, metadataPolicy: Fetch, property: tagname2}}\n";
    auto r = h.sync(es("meta-legacy", "kv", body + "  - {secretKey: expires, remoteRef: {key: e2e-metadata, metadataPolicy: Fetch, "
                                                   "property: attribute.expires}}\n") +
                    es("meta-sdk", "kv-sdk", body) +
                    es("meta-sdk-attr", "kv-sdk", "  data:\n  - {secretKey: expires, remoteRef: {key: e2e-metadata, "
                                                 "metadataPolicy: Fetch, property: attribute.expires}}\n"));
    REQUIRE_SYNCED(r[0]);
    REQUIRE_SYNCED(r[1]);
    BOOST_TEST(h.value("meta-legacy", "all") ==
               R"({"attribute.created":"2025-01-01T00:00:00Z","attribute.expires":"2030-01-01T00:00:00Z",)"
               R"("attribute.notBefore":"2025-06-01T00:00:00Z","attribute.updated":"2025-01-01T00:00:00Z",)"
               R"("tagname":"tagvalue","tagname2":"tagvalue2"})");
    BOOST_TEST(h.value("meta-legacy", "expires") == "2030-01-01T00:00:00Z");
    BOOST_TEST(h.value("meta-legacy", "tag") == "tagvalue2");
    BOOST_TEST(h.value("meta-sdk", "all") == R"({"tagname":"tagvalue","tagname2":"tagvalue2"})");
    BOOST_TEST(h.value("meta-sdk", "tag") == "tagvalue2");
    BOOST_REQUIRE(!r[2].ok());
    BOOST_TEST(r[2].error->what() == "spec.data[0] (key: e2e-metadata): tag attribute.expires does not exist");
}

BOOST_AUTO_TEST_CASE(null_byte_policy_fail_refuses_a_value_with_nul_and_ignore_keeps_it) {
    harness h(shared_world());
    auto r = h.sync(es("nul-fail", "kv", "  data:\n  - {secretKey: bin, remoteRef: {key: nul-bytes, nullBytePolicy: Fail}}\n") +
                    es("nul-ignore", "kv", "  data:\n  - {secretKey: bin, remoteRef: {key: nul-bytes}}\n"));
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what().find("\"bin\"") != std::string::npos);
    BOOST_TEST(r[0].error->what().find("null bytes") != std::string::npos);
    REQUIRE_SYNCED(r[1]);
    BOOST_TEST(h.value("nul-ignore", "bin") == std::string("a\0b", 3));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(deletion_policies)

BOOST_AUTO_TEST_CASE(missing_objects_under_retain_delete_and_merge) {
    harness h(shared_world());
    std::string const entries = "  data:\n  - {secretKey: present, remoteRef: {key: e2e-one}}\n"
                                "  - {secretKey: absent, remoteRef: {key: never-existed}}\n";
    auto r = h.sync(es("retain", "kv", "  target: {deletionPolicy: Retain}\n" + entries) +
                    es("delete", "kv", "  target: {deletionPolicy: Delete}\n" + entries) +
                    es("merge", "kv", "  target: {deletionPolicy: Merge}\n" + entries));
    // Retain: a missing object is an error, naming the entry; nothing written.
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what().starts_with("spec.data[1] (key: never-existed): "));
    BOOST_TEST(r[0].error->what().find("not found") != std::string::npos);
    BOOST_TEST(!h.memory->find("apps", "retain"));
    // Delete and Merge: the entry is skipped.
    for (int i : {1, 2}) {
        REQUIRE_SYNCED(r[i]);
        BOOST_TEST(r[i].counts.skipped == 1u);
        BOOST_TEST(line(r[i]).find("1 missing entry skipped") != std::string::npos);
    }
    BOOST_TEST(h.keys("delete") == (std::vector<std::string>{"present"}), boost::test_tools::per_element());
    BOOST_TEST(h.keys("merge") == (std::vector<std::string>{"present"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_data_at_all_retains_deletes_or_empties_the_target) {
    auto& w = shared_world();
    harness h(w);
    vault_admin admin(w, "kv1");
    std::string const entries = "  data:\n  - {secretKey: v, remoteRef: {key: to-delete}}\n";
    std::string const yaml = es("gone-delete", "kv", "  target: {deletionPolicy: Delete}\n" + entries) +
                             es("gone-merge", "kv", "  target: {deletionPolicy: Merge, creationPolicy: Orphan}\n" + entries) +
                             es("gone-retain", "kv", "  target: {deletionPolicy: Retain}\n  dataFrom:\n"
                                                     "  - find: {name: {regexp: \"^to-delete$\"}}\n");
    auto first = h.sync(yaml);
    for (auto const& x : first) REQUIRE_SYNCED(x);
    BOOST_TEST(h.value("gone-delete", "v") == "short-lived");
    BOOST_TEST(h.value("gone-retain", "to-delete") == "short-lived");

    admin.remove("to-delete");
    auto second = h.sync(yaml);
    for (auto const& x : second) REQUIRE_SYNCED(x);
    BOOST_TEST(second[0].outcome->action == esx::sink::action::deleted);
    BOOST_TEST(!h.memory->find("apps", "gone-delete"));
    BOOST_TEST(h.keys("gone-merge").empty());
    BOOST_TEST(second[2].outcome->action == esx::sink::action::retained);
    BOOST_TEST(h.value("gone-retain", "to-delete") == "short-lived");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(stores)

// The seed documentation's flow, one store per auth type, into Kubernetes Secrets, read back
// with esx's client and with kubectl as a user would.
BOOST_AUTO_TEST_CASE(each_auth_type_syncs_into_kubernetes_secrets) {
    auto& w = shared_world();
    esx::runtime rt(w.options(/*allow_controller_identity=*/true));
    auto kube = rt.kube();
    BOOST_REQUIRE_MESSAGE(kube, (kube ? "" : kube.error().what()));
    std::string const body = "  target: {name: secret-to-be-created}\n  data:\n"
                             "  - {secretKey: dev-secret-test, remoteRef: {key: e2e-one}}\n"
                             "  - {secretKey: dev-cert-test, remoteRef: {key: cert/api-tls}}\n"
                             "  - {secretKey: dev-key-test, remoteRef: {key: key/rsa-key}}\n";
    auto set = w.manifests(es("by-sp", "kv", body, "apps") + es("by-mi", "cluster-mi", body, "team-a", "ClusterSecretStore") +
                           es("by-wi", "wi", "  target: {name: wi-target}\n" + body.substr(body.find("  data:"))));
    w.azure.reset_log();
    esx::pipeline<esx::sink::kubernetes_secret<>> p(rt, esx::sink::kubernetes_secret<>(*kube), std::move(set));
    auto r = rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(r.size(), 3u);
    for (auto const& x : r) REQUIRE_SYNCED(x);
    BOOST_TEST(line(r[0]) == "apps/by-sp: created Secret apps/secret-to-be-created (3 keys) "
                             "[no ownerReference: the ExternalSecret is not in the cluster]");
    // One token per identity: the service principal, the managed identity, the workload identity.
    BOOST_TEST(w.token_requests("sp-reader") == 1u);
    BOOST_TEST(w.token_requests("wi-app") == 1u);
    BOOST_TEST(w.token_requests() == 3u);

    for (auto [ns, name] : {std::pair{"apps", "secret-to-be-created"}, {"team-a", "secret-to-be-created"}, {"apps", "wi-target"}}) {
        BOOST_TEST_CONTEXT(ns << "/" << name) {
            auto s = w.secret_in_cluster(ns, name);
            BOOST_REQUIRE(s);
            BOOST_TEST(world::data_of(*s, "dev-secret-test") == "bar");
            BOOST_TEST(world::data_of(*s, "dev-key-test").starts_with("{\"kid\":"));
            auto const& ann = s->at("metadata").as_object().at("annotations").as_object();
            esx::transform::secret_map data;
            for (auto k : {"dev-secret-test", "dev-cert-test", "dev-key-test"}) data.emplace(k, esx::secret_bytes(world::data_of(*s, k)));
            BOOST_TEST(ann.at("reconcile.external-secrets.io/data-hash").as_string() == esx::transform::data_hash(data));
        }
    }
    // As a user would read it (the seed documentation's own command).
    auto out = w.kubectl("get secret secret-to-be-created -n apps -o jsonpath={.data.dev-secret-test}");
    BOOST_TEST(out == "YmFy");  // base64 of "bar"
    // A second run changes nothing.
    auto again = rt.run(p.sync_all());
    for (auto const& x : again) BOOST_TEST(x.outcome->action == esx::sink::action::unchanged);
}

BOOST_AUTO_TEST_CASE(a_refused_store_reads_nothing_and_names_its_remedy) {
    auto& w = shared_world();
    std::string const evil = "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: evil, namespace: apps}\n"
                             "spec:\n  provider:\n    azurekv:\n      tenantId: esx-tenant\n      vaultUrl: \"https://evil.example.com/\"\n"
                             "      authSecretRef:\n        clientId: {name: sp-creds, key: ClientID}\n"
                             "        clientSecret: {name: sp-creds, key: ClientSecret}\n";
    std::string const mounted = "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: mounted, namespace: apps}\n"
                                "spec:\n  provider:\n    azurekv:\n      authType: WorkloadIdentity\n      vaultUrl: \"" +
                                w.vault_url("kv1") + "\"\n";
    std::string const body = "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n";
    w.kube.reset_log();
    w.azure.reset_log();
    harness h(w);  // controller identities not allowed
    auto r = h.sync(evil + mounted + es("to-evil", "evil", body) + es("by-mi", "mi", body) + es("by-mounted", "mounted", body));
    BOOST_REQUIRE_EQUAL(r.size(), 3u);
    for (auto const& x : r) BOOST_REQUIRE(!x.ok());
    BOOST_TEST(r[0].error->what().find("vaultUrl") != std::string::npos);
    BOOST_TEST(r[1].error->what().find("ManagedIdentity uses the controller's own identity") != std::string::npos);
    for (int i : {1, 2}) {
        BOOST_TEST(r[i].error->what().find("allow_controller_identity") != std::string::npos);
        BOOST_TEST(r[i].error->what().find("--allow-controller-identity") != std::string::npos);
    }
    // Nothing was read: no credential Secret, no ServiceAccount, no token, no vault.
    BOOST_TEST(w.kube_requests("/api/v1/namespaces/apps/secrets") == 0u);
    BOOST_TEST(w.kube_requests("/api/v1/namespaces/apps/serviceaccounts") == 0u);
    BOOST_TEST(w.token_requests() == 0u);
    BOOST_TEST(w.azure.requests().empty());
    BOOST_TEST(h.memory->size() == 0u);
}

BOOST_AUTO_TEST_CASE(namespace_rules_and_cluster_store_conditions) {
    auto& w = shared_world();
    harness h(w, true);
    std::string const body = "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n";
    auto r = h.sync(es("other-ns", "kv", body, "other") +                                  // SecretStore of another namespace
                    es("allowed-a", "cluster-mi", body, "team-a", "ClusterSecretStore") +  // namespaces: [team-a]
                    es("allowed-b", "cluster-mi", body, "team-b", "ClusterSecretStore") +  // namespaceRegexes
                    es("denied", "cluster-mi", body, "other", "ClusterSecretStore") +
                    es("nowhere", "missing-store", body));
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what().find("SecretStore \"kv\"") != std::string::npos);
    REQUIRE_SYNCED(r[1]);
    REQUIRE_SYNCED(r[2]);
    BOOST_REQUIRE(!r[3].ok());
    BOOST_TEST(r[3].error->what().find("using cluster store \"cluster-mi\" is not allowed from namespace \"other\": "
                                       "denied by spec.condition") != std::string::npos);
    BOOST_REQUIRE(!r[4].ok());
    BOOST_TEST(r[4].error->what().find("SecretStore \"missing-store\"") != std::string::npos);
}

// A ClusterSecretStore's namespaceSelector matches the namespace's labels: from a Namespace in
// the files, else from the cluster (where team-a has none).
BOOST_AUTO_TEST_CASE(namespace_selectors_read_labels_from_the_files_or_the_cluster) {
    auto& w = shared_world();
    harness h(w, true);
    std::string const body = "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n";
    w.kube.reset_log();
    auto r = h.sync("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team-b, labels: {tier: gold}}\n"
                    "---\napiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata: {name: gold-only}\nspec:\n"
                    "  provider:\n    azurekv:\n      authType: ManagedIdentity\n      vaultUrl: \"" + w.vault_url("kv1") + "\"\n"
                    "  conditions:\n  - namespaceSelector: {matchLabels: {tier: gold}}\n" +
                    es("gold", "gold-only", body, "team-b", "ClusterSecretStore") +
                    es("not-gold", "gold-only", body, "team-a", "ClusterSecretStore"));
    REQUIRE_SYNCED(r[0]);
    BOOST_REQUIRE(!r[1].ok());
    BOOST_TEST(r[1].error->what().find("is not allowed from namespace \"team-a\"") != std::string::npos);
    BOOST_TEST(w.kube_requests("/api/v1/namespaces/team-a", "GET") == 1u);
    BOOST_TEST(w.kube_requests("/api/v1/namespaces/team-b", "GET") == 0u);
}

// Two stores on one vault: one identity may read, the other may not. The identity is part of
// every read's key, so each gets its own answer, in one run, in either order.
BOOST_AUTO_TEST_CASE(two_stores_on_one_vault_get_their_own_identitys_answer) {
    auto& w = shared_world();
    harness h(w);
    w.azure.reset_log();
    std::string const body = "  data:\n  - {secretKey: a, remoteRef: {key: shared-7}}\n";
    auto r = h.sync(es("limited-first", "limited", body) + es("reader-second", "kv", body) +
                    es("reader-first", "kv", body) + es("limited-second", "limited", body));
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what().find("does not have secrets get permission") != std::string::npos);
    REQUIRE_SYNCED(r[1]);
    REQUIRE_SYNCED(r[2]);
    BOOST_REQUIRE(!r[3].ok());
    BOOST_TEST(h.value("reader-second", "a") == "shared-value-7");
    BOOST_TEST(w.vault_reads_of("/secrets/shared-7", "sp-reader") == 1u);
    BOOST_TEST(w.vault_reads_of("/secrets/shared-7", "sp-limited") == 1u);
}

// Workload identity with the controller's mounted token: the Azure SDK variables, read through
// the runtime's getenv (never the process environment in a test).
BOOST_AUTO_TEST_CASE(mounted_workload_identity_reads_the_azure_sdk_variables) {
    auto& w = shared_world();
    esx::test::temp_dir dir;
    auto token_file = dir.write("azure-identity-token", w.service_account_token("apps", "sync", "api://AzureADTokenExchange"));
    auto o = w.options();
    auto extra = std::make_shared<std::map<std::string, std::string>>(std::map<std::string, std::string>{
        {"AZURE_CLIENT_ID", "wi-app"}, {"AZURE_TENANT_ID", "esx-tenant"}, {"AZURE_FEDERATED_TOKEN_FILE", token_file.string()}});
    o.getenv = [base = o.getenv, extra](char const* n) -> char const* {
        auto it = extra->find(n);
        return it != extra->end() ? it->second.c_str() : base(n);
    };
    esx::runtime rt(o);
    auto memory = std::make_shared<esx::sink::memory>();
    auto set = w.manifests("---\napiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata: {name: mounted-wi}\n"
                           "spec:\n  provider:\n    azurekv:\n      authType: WorkloadIdentity\n      vaultUrl: \"" +
                           w.vault_url("kv1") + "\"\n" +
                           es("by-mounted-wi", "mounted-wi", "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n", "team-a",
                              "ClusterSecretStore"));
    w.azure.reset_log();
    esx::pipeline<esx::sink::memory> p(rt, memory, std::move(set));
    auto r = rt.run(p.sync_all());
    REQUIRE_SYNCED(r[0]);
    BOOST_TEST(w.token_requests("wi-app") == 1u);
    BOOST_TEST(std::string(memory->find("team-a", "by-mounted-wi")->data.at("a").reveal()) == "bar");
}

BOOST_AUTO_TEST_CASE(credentials_come_from_the_files_before_the_cluster) {
    auto& w = shared_world();
    esx::runtime rt(w.options());
    auto set = w.manifests("---\napiVersion: v1\nkind: Secret\nmetadata: {name: file-creds, namespace: apps}\n"
                           "stringData: {ClientID: sp-reader, ClientSecret: sp-reader-secret}\n"
                           "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: from-file, namespace: apps}\n"
                           "spec:\n  provider:\n    azurekv:\n      tenantId: esx-tenant\n      vaultUrl: \"" + w.vault_url("kv1") +
                           "\"\n      authSecretRef:\n        clientId: {name: file-creds, key: ClientID}\n"
                           "        clientSecret: {name: file-creds, key: ClientSecret}\n" +
                           es("from-file", "from-file", "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n"));
    w.kube.reset_log();
    auto memory = std::make_shared<esx::sink::memory>();
    esx::pipeline<esx::sink::memory> p(rt, memory, std::move(set));
    auto r = rt.run(p.sync_all());
    REQUIRE_SYNCED(r[0]);
    BOOST_TEST(p.access().reads_from_files() == 2u);
    BOOST_TEST(p.access().reads_from_cluster() == 0u);
    BOOST_TEST(w.kube.requests().empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(read_deduplication)

// 1,000 ExternalSecrets of one store over 100 remote objects (three entries each), and as many
// again through a second identity: 100 reads and one token per identity.
BOOST_AUTO_TEST_CASE(a_thousand_external_secrets_over_a_hundred_objects_make_a_hundred_reads) {
    auto& w = shared_world();
    harness h(w, true);
    std::string yaml;
    for (int i = 0; i < 1000; ++i) {
        std::string body = "  data:\n";
        for (int k = 0; k < 3; ++k)
            body += "  - {secretKey: k" + std::to_string(k) + ", remoteRef: {key: shared-" + std::to_string((i + k) % 100) + "}}\n";
        yaml += es("many-" + std::to_string(i), "kv", body);
        yaml += es("many-wi-" + std::to_string(i), "wi", body);
    }
    w.azure.reset_log();
    esx::pipeline_options o;
    o.concurrency = 32;
    auto r = h.sync(yaml, o);
    BOOST_REQUIRE_EQUAL(r.size(), 2000u);
    BOOST_TEST(esx::all_synced(r));
    BOOST_TEST(w.vault_reads_of("/secrets/shared-", "sp-reader") == 100u);
    BOOST_TEST(w.vault_reads_of("/secrets/shared-", "wi-app") == 100u);
    BOOST_TEST(w.vault_reads() == 200u);
    BOOST_TEST(w.token_requests("sp-reader") == 1u);
    BOOST_TEST(w.token_requests("wi-app") == 1u);
    BOOST_TEST(h.value("many-999", "k2") == "shared-value-1");
    BOOST_TEST(h.value("many-wi-5", "k0") == "shared-value-5");
}

BOOST_AUTO_TEST_CASE(a_shared_read_cache_serves_later_runs_until_its_ttl) {
    auto& w = shared_world();
    esx::runtime rt(w.options());
    esx::testing::fake_clock clock;
    auto memory = std::make_shared<esx::sink::memory>();
    using clocked = esx::basic_pipeline<esx::default_auth, esx::default_vault_transport, esx::sink::memory,
                                        esx::object::default_kinds_t, esx::testing::fake_clock>;
    clocked p(rt, memory, w.manifests(es("cached", "kv", "  data:\n  - {secretKey: a, remoteRef: {key: shared-1}}\n")), {}, clock);
    auto cache = std::make_shared<esx::read_cache<esx::testing::fake_clock>>(
        esx::read_cache_options{std::chrono::seconds(30), 100, false}, clock);
    p.share_reads(cache);
    w.azure.reset_log();
    for (int run = 0; run < 3; ++run) {
        auto r = rt.run(p.sync_all());
        REQUIRE_SYNCED(r[0]);
    }
    BOOST_TEST(w.vault_reads() == 1u);
    clock.advance(std::chrono::seconds(31));
    auto r = rt.run(p.sync_all());
    REQUIRE_SYNCED(r[0]);
    BOOST_TEST(w.vault_reads() == 2u);
    BOOST_TEST(cache->hits() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(failures)

// A provider failure in the middle of a sync (the first entry read, the second refused) leaves
// the Secret written before byte-identical: same data, same resourceVersion.
BOOST_AUTO_TEST_CASE(a_provider_failure_mid_sync_leaves_the_previous_secret_byte_identical) {
    auto& w = shared_world();
    esx::runtime rt(w.options());
    auto kube = rt.kube();
    BOOST_REQUIRE(kube);
    vault_admin admin(w, "kv1");
    admin.set("mid-sync", "before");
    auto set = w.manifests(es("mid-sync", "kv", "  data:\n  - {secretKey: first, remoteRef: {key: mid-sync}}\n"
                                                "  - secretKey: second\n    remoteRef: {key: second}\n"
                                                "    sourceRef: {storeRef: {name: kv2}}\n"));
    esx::pipeline<esx::sink::kubernetes_secret<>> p(rt, esx::sink::kubernetes_secret<>(*kube), std::move(set));
    auto first = rt.run(p.sync_all());
    REQUIRE_SYNCED(first[0]);
    auto before = w.secret_in_cluster("apps", "mid-sync");
    BOOST_REQUIRE(before);

    admin.set("mid-sync", "after");
    w.azure.add_fault(R"({"kind":"status","status":403,"target":"vault","vault":"kv2","count":-1})");
    auto r = rt.run(p.sync_all());
    w.azure.clear_faults();
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what().starts_with("spec.data[1] (key: second): "));
    auto after = w.secret_in_cluster("apps", "mid-sync");
    BOOST_REQUIRE(after);
    BOOST_TEST(boost::json::serialize(*after) == boost::json::serialize(*before));
    BOOST_TEST(world::data_of(*after, "first") == "before");
    admin.remove("mid-sync");
}

// Bad manifests and bad remote data: one clear error each, and nothing written.
BOOST_AUTO_TEST_CASE(bad_manifests_and_bad_remote_data_give_one_clear_error_each_and_write_nothing) {
    auto& w = shared_world();
    harness h(w);
    std::string yaml =
        es("bad-json", "kv", "  data:\n  - {secretKey: a, remoteRef: {key: e2e-plain-text, property: user.name}}\n") +
        es("bad-key", "kv", "  dataFrom:\n  - extract: {key: e2e-json}\n    rewrite:\n    - regexp: {source: \"name\", target: \"a/b\"}\n") +
        es("too-big", "kv", "  dataFrom:\n  - find: {name: {regexp: \"^bulk-\"}}\n") +
        es("templated", "kv", "  target:\n    template:\n      data: {x: \"{{ .missing }}\"}\n  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n") +
        es("bad-version", "kv", "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one, version: not-hex!}}\n");
    auto r = h.sync(yaml);
    BOOST_REQUIRE_EQUAL(r.size(), 5u);
    for (auto const& x : r) BOOST_TEST_CONTEXT(line(x)) { BOOST_TEST(!x.ok()); }
    BOOST_TEST(r[0].error->what() == "spec.data[0] (key: e2e-plain-text): property user.name does not exist in key e2e-plain-text");
    BOOST_TEST(r[1].error->what().starts_with("spec.dataFrom[0].extract (key: e2e-json): invalid secret keys"));
    BOOST_TEST(r[2].error->what().starts_with("spec.dataFrom[0].find: the Secret would hold "));
    BOOST_TEST(r[2].error->what().find("more than the 1048576 Kubernetes allows") != std::string::npos);
    BOOST_TEST(r[3].error->what() == "spec.target.template.data[x]: unable to execute template at key x: template: x:1:3: "
                                     "executing \"x\" at <.missing>: map has no entry for key \"missing\"");
    BOOST_TEST(r[4].error->what().starts_with("spec.data[0] (key: e2e-one): Key Vault version"));
    BOOST_TEST(h.memory->size() == 0u);
    BOOST_TEST(h.memory->writes() == 0u);
    // No value in any message.
    for (auto const& x : r) BOOST_TEST(line(x).find("xxxxxxxx") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_key_kubernetes_refuses_names_the_entry_that_made_it) {
    auto& w = shared_world();
    harness h(w);
    auto set = w.manifests(es("bad-secret-key", "kv", "  data:\n  - {secretKey: fine, remoteRef: {key: e2e-one}}\n"
                                                      "  - {secretKey: also-fine, remoteRef: {key: e2e-other}}\n"));
    set.external_secrets.front().spec.data[1].secret_key = "not fine";  // what a webhook-less cluster could hold
    esx::pipeline<esx::sink::memory> p(h.rt, h.memory, std::move(set));
    auto r = h.rt.run(p.sync_all());
    BOOST_REQUIRE(!r[0].ok());
    BOOST_TEST(r[0].error->what().starts_with("spec.data[1] (key: e2e-other): secret key \"not fine\" is not valid"));
    BOOST_TEST(h.memory->writes() == 0u);
}

BOOST_AUTO_TEST_CASE(dry_runs_write_nothing) {
    auto& w = shared_world();
    esx::runtime rt(w.options());
    auto kube = rt.kube();
    BOOST_REQUIRE(kube);
    esx::pipeline_options o;
    o.apply.dry_run = true;
    esx::pipeline<esx::sink::kubernetes_secret<>> p(rt, esx::sink::kubernetes_secret<>(*kube),
                                                    w.manifests(es("dry", "kv", "  data:\n  - {secretKey: a, remoteRef: {key: e2e-one}}\n")), o);
    w.kube.reset_log();
    auto r = rt.run(p.sync_all());
    REQUIRE_SYNCED(r[0]);
    BOOST_TEST(r[0].outcome->action == esx::sink::action::created);
    BOOST_TEST(w.kube_requests("/api/v1/namespaces/apps/secrets", "POST") == 0u);
    BOOST_TEST(w.kube_requests("/api/v1/namespaces/apps/secrets", "PUT") == 0u);
    BOOST_TEST(!w.secret_in_cluster("apps", "dry"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

// The test files of this program share one unity translation unit: the macro ends here.
#undef REQUIRE_SYNCED
