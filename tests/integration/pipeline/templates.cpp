// `target.template` end to end: ExternalSecrets with templates, through the real pipeline
// against mock Azure, into a memory sink. ESO's template e2e cases (e2e/suites/provider/cases/
// common: docker config JSON, SSH key, labels/annotations, mergePolicy), templateFrom, the TLS
// case of the seed docs (PKCS#12 from Key Vault to a kubernetes.io/tls Secret, a JWK to PEM),
// and the refusals that must come before any write.
#include "world.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

namespace {

using namespace esx::pipeline_test;

world& template_world() {
    static world w;
    return w;
}

std::string template_es(std::string const& name, std::string const& body, std::string const& meta = "") {
    return "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: " + name +
           ", namespace: apps" + meta + "}\nspec:\n  secretStoreRef: {kind: SecretStore, name: kv}\n" + body;
}

std::string template_line(esx::sync_result const& r) {
    std::ostringstream os;
    os << r;
    return os.str();
}

#define REQUIRE_SYNCED(r) BOOST_REQUIRE_MESSAGE((r).ok(), template_line(r))

struct template_harness {
    template_harness() : w(template_world()), rt(w.options()) {}

    std::vector<esx::sync_result> sync(std::string const& yaml) {
        esx::pipeline<esx::sink::memory> p(rt, memory, w.manifests(yaml));
        return rt.run(p.sync_all());
    }
    esx::sync_result sync_one(std::string const& yaml) {
        auto r = sync(yaml);
        BOOST_REQUIRE(!r.empty());
        return r.back();
    }
    esx::sink::stored_secret secret(std::string const& name) {
        auto s = memory->find("apps", name);
        BOOST_REQUIRE_MESSAGE(s, "no Secret apps/" << name);
        return *s;
    }
    std::string value(std::string const& name, std::string const& key) {
        auto s = secret(name);
        auto it = s.data.find(key);
        return it == s.data.end() ? "<no key " + key + ">" : std::string(it->second.reveal());
    }
    std::vector<std::string> keys(std::string const& name) {
        std::vector<std::string> out;
        for (auto const& [k, v] : secret(name).data) out.push_back(k);
        return out;
    }

    world& w;
    esx::runtime rt;
    std::shared_ptr<esx::sink::memory> memory = std::make_shared<esx::sink::memory>();
};

// e2e-json is {"name": "great-name", "surname": "great-surname"}; e2e-one is "bar".
std::string const json_data = "  dataFrom:\n  - extract: {key: e2e-json}\n";

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(sync)
BOOST_AUTO_TEST_SUITE(templates)

BOOST_AUTO_TEST_CASE(docker_config_json) {
    template_harness h;
    auto r = h.sync_one(template_es("docker", "  target:\n    template:\n      type: kubernetes.io/dockerconfigjson\n      data:\n"
                                     "        .dockerconfigjson: '{\"auths\":{\"registry.example\":{\"username\":\"{{ .name }}\","
                                     "\"auth\":\"{{ printf \"%s:%s\" .name .surname | b64enc }}\"}}}'\n" + json_data));
    REQUIRE_SYNCED(r);
    auto s = h.secret("docker");
    BOOST_TEST(s.type == "kubernetes.io/dockerconfigjson");
    BOOST_TEST(h.keys("docker") == std::vector<std::string>{".dockerconfigjson"}, boost::test_tools::per_element());
    // base64("great-name:great-surname")
    BOOST_TEST(h.value("docker", ".dockerconfigjson") ==
               R"({"auths":{"registry.example":{"username":"great-name","auth":"Z3JlYXQtbmFtZTpncmVhdC1zdXJuYW1l"}}})");
}

BOOST_AUTO_TEST_CASE(ssh_key) {
    template_harness h;
    auto r = h.sync_one(template_es("ssh", "  target:\n    template:\n      type: kubernetes.io/ssh-auth\n      data:\n"
                                  "        ssh-privatekey: \"{{ .mysecret }}\"\n"
                                  "  data:\n  - {secretKey: mysecret, remoteRef: {key: e2e-one}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.secret("ssh").type == "kubernetes.io/ssh-auth");
    BOOST_TEST(h.keys("ssh") == std::vector<std::string>{"ssh-privatekey"}, boost::test_tools::per_element());
    BOOST_TEST(h.value("ssh", "ssh-privatekey") == "bar");
}

BOOST_AUTO_TEST_CASE(labels_annotations_and_finalizers_are_templates) {
    template_harness h;
    auto r = h.sync_one(template_es("meta",
                           "  target:\n    template:\n      metadata:\n"
                           "        labels: {owner: \"{{ .name }}\", fixed: plain}\n"
                           "        annotations: {note: \"from {{ .surname | upper }}\"}\n"
                           "        finalizers: [example.com/keep]\n" + json_data,
                           ", labels: {from-es: x}, annotations: {es-note: hello}"));
    REQUIRE_SYNCED(r);
    auto s = h.secret("meta");
    BOOST_TEST(s.labels.at("owner") == "great-name");
    BOOST_TEST(s.labels.at("fixed") == "plain");
    BOOST_TEST(s.annotations.at("note") == "from GREAT-SURNAME");
    // With a template the ExternalSecret's own metadata is not copied (ESO's setMetadata).
    BOOST_TEST(!s.labels.contains("from-es"));
    BOOST_TEST(!s.annotations.contains("es-note"));
    BOOST_TEST(s.finalizers == std::vector<std::string>{"example.com/keep"}, boost::test_tools::per_element());
    // No data templates: the provider data is the Secret's data.
    BOOST_TEST(h.keys("meta") == (std::vector<std::string>{"name", "surname"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(merge_policy_keeps_provider_data_replace_drops_it) {
    template_harness h;
    auto tpl = [](char const* policy) {
        return std::string("  target:\n    template:\n      mergePolicy: ") + policy +
               "\n      data:\n        full: \"{{ .name }} {{ .surname }}\"\n        name: overridden\n";
    };
    auto r = h.sync(template_es("merged", tpl("Merge") + json_data) + template_es("replaced", tpl("Replace") + json_data));
    REQUIRE_SYNCED(r[0]);
    REQUIRE_SYNCED(r[1]);
    BOOST_TEST(h.keys("merged") == (std::vector<std::string>{"full", "name", "surname"}), boost::test_tools::per_element());
    BOOST_TEST(h.value("merged", "name") == "overridden");  // template data wins
    BOOST_TEST(h.value("merged", "surname") == "great-surname");
    BOOST_TEST(h.keys("replaced") == (std::vector<std::string>{"full", "name"}), boost::test_tools::per_element());
    BOOST_TEST(h.value("replaced", "full") == "great-name great-surname");
}

BOOST_AUTO_TEST_CASE(template_from_config_maps_secrets_and_literals_in_esos_order) {
    template_harness h;
    std::string const sources =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: tpl, namespace: apps}\ndata:\n"
        "  config.yaml: \"user: {{ .name }}\"\n"
        "  pairs: |\n    pair-a: \"{{ .name }}\"\n    pair-b: overridden-later\n"
        "  lbl: |\n    team: \"{{ .surname }}\"\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: tpl-secret, namespace: apps}\n"
        "stringData: {secret.txt: \"s={{ .surname }}\"}\n";
    auto r = h.sync_one(sources + template_es("from", "  target:\n    template:\n      templateFrom:\n"
                                             "      - configMap:\n          name: tpl\n          items:\n"
                                             "          - {key: config.yaml}\n          - {key: pairs, templateAs: KeysAndValues}\n"
                                             "      - configMap: {name: tpl, items: [{key: lbl, templateAs: KeysAndValues}]}\n"
                                             "        target: Labels\n"
                                             "      - secret: {name: tpl-secret, items: [{key: secret.txt}]}\n"
                                             "      - literal: \"lit-{{ .name }}: \\\"{{ .surname }}\\\"\"\n"
                                             "        target: Annotations\n"
                                             "      data:\n        pair-b: from-data\n" + json_data));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.value("from", "config.yaml") == "user: great-name");
    BOOST_TEST(h.value("from", "pair-a") == "great-name");
    BOOST_TEST(h.value("from", "pair-b") == "from-data");  // template.data after templateFrom
    BOOST_TEST(h.value("from", "secret.txt") == "s=great-surname");
    BOOST_TEST(h.keys("from") == (std::vector<std::string>{"config.yaml", "pair-a", "pair-b", "secret.txt"}),
               boost::test_tools::per_element());
    auto s = h.secret("from");
    BOOST_TEST(s.labels.at("team") == "great-surname");
    BOOST_TEST(s.annotations.at("lit-great-name") == "great-surname");
}

BOOST_AUTO_TEST_CASE(tls_secret_from_a_key_vault_certificate_and_a_jwk_as_pem) {
    template_harness h;
    // api-tls is a Key Vault certificate; its backing secret holds the PFX (base64).
    auto r = h.sync_one(template_es("tls", "  target:\n    template:\n      type: kubernetes.io/tls\n      data:\n"
                                  "        tls.crt: \"{{ .pfx | b64dec | pkcs12cert }}\"\n"
                                  "        tls.key: \"{{ .pfx | b64dec | pkcs12key }}\"\n"
                                  "        pub.pem: \"{{ .jwk | jwkPublicKeyPem }}\"\n"
                                  "  data:\n  - {secretKey: pfx, remoteRef: {key: secret/api-tls}}\n"
                                  "  - {secretKey: jwk, remoteRef: {key: key/rsa-key}}\n"));
    REQUIRE_SYNCED(r);
    BOOST_TEST(h.secret("tls").type == "kubernetes.io/tls");
    BOOST_TEST(h.value("tls", "tls.crt").starts_with("-----BEGIN CERTIFICATE-----\n"));
    BOOST_TEST(h.value("tls", "tls.key").starts_with("-----BEGIN PRIVATE KEY-----\n"));
    BOOST_TEST(h.value("tls", "pub.pem").starts_with("-----BEGIN PUBLIC KEY-----\n"));
    BOOST_TEST(h.keys("tls") == (std::vector<std::string>{"pub.pem", "tls.crt", "tls.key"}), boost::test_tools::per_element());
}

// The webhook refuses these manifests (esx's reader too); a cluster without the webhook may
// still hold them, so the pipeline checks again before reading or writing anything.
BOOST_AUTO_TEST_CASE(privileged_types_are_refused_before_any_write) {
    template_harness h;
    auto set = h.w.manifests(template_es("bootstrap", "  target:\n    template:\n      type: Opaque\n" + json_data) +
                             template_es("sa-token", "  target:\n    template:\n      metadata:\n"
                                            "        annotations: {kubernetes.io/service-account.name: default}\n" + json_data) +
                             template_es("sa-token-from", "  target:\n    template:\n      templateFrom:\n      - literal: \"a: b\"\n"
                                                 "        target: Annotations\n" + json_data));
    BOOST_REQUIRE_EQUAL(set.external_secrets.size(), 3u);
    set.external_secrets[0].spec.target.template_->type = "bootstrap.kubernetes.io/token";
    set.external_secrets[1].spec.target.template_->type = "kubernetes.io/service-account-token";
    set.external_secrets[2].spec.target.template_->type = "kubernetes.io/service-account-token";
    auto const reads = h.w.vault_reads();
    esx::pipeline<esx::sink::memory> p(h.rt, h.memory, std::move(set));
    auto r = h.rt.run(p.sync_all());
    BOOST_REQUIRE_EQUAL(r.size(), 3u);
    for (auto const& x : r) BOOST_REQUIRE(!x.ok());
    BOOST_TEST(r[0].error->what() ==
               "spec.target.template.type: template.type=\"bootstrap.kubernetes.io/token\" is not allowed");
    BOOST_TEST(r[1].error->what() == "spec.target.template.type: template.type=\"kubernetes.io/service-account-token\" "
                                     "with annotation \"kubernetes.io/service-account.name\" is not allowed");
    BOOST_TEST(r[2].error->what() == "spec.target.template.type: template.type=\"kubernetes.io/service-account-token\" "
                                     "with templateFrom target=\"Annotations\" is not allowed");
    BOOST_TEST(h.memory->writes() == 0u);
    BOOST_TEST(h.w.vault_reads() == reads);  // refused before Key Vault is even read
}

BOOST_AUTO_TEST_CASE(template_errors_name_the_field_and_write_nothing) {
    template_harness h;
    auto r = h.sync(
        template_es("no-parse", "  target:\n    template:\n      data: {x: \"{{ .name | nosuch }}\"}\n" + json_data) +
        template_es("no-key", "  target:\n    template:\n      data: {x: \"{{ .nope }}\"}\n" + json_data) +
        template_es("no-cm", "  target:\n    template:\n      templateFrom:\n      - configMap: {name: absent, items: [{key: k}]}\n" +
                        json_data) +
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: partial, namespace: apps}\ndata: {here: x}\n" +
        template_es("no-item", "  target:\n    template:\n      templateFrom:\n      - configMap: {name: partial, items: [{key: gone}]}\n" +
                          json_data) +
        template_es("bad-yaml", "  target:\n    template:\n      templateFrom:\n      - literal: \"just text\"\n" + json_data));
    BOOST_REQUIRE_EQUAL(r.size(), 5u);
    BOOST_TEST(r[0].error->what() == "spec.target.template.data[x]: unable to parse template at key x: template: x:1:11: "
                                     "function \"nosuch\" not defined");
    BOOST_TEST(r[1].error->what() == "spec.target.template.data[x]: unable to execute template at key x: template: x:1:3: "
                                     "executing \"x\" at <.nope>: map has no entry for key \"nope\"");
    BOOST_TEST(r[2].error->what().starts_with("spec.target.template.templateFrom[0].configMap: error fetching templateFrom "
                                              "data from ConfigMap apps/absent: "));
    BOOST_TEST(r[3].error->what() == "spec.target.template.templateFrom[0].configMap.items[0]: error in configmap partial: "
                                     "missing key gone");
    BOOST_TEST(r[4].error->what() == "spec.target.template.templateFrom[0].literal: could not unmarshal template to "
                                     "'map[string][]byte': json: cannot unmarshal string into Go value of type "
                                     "map[string]string");
    BOOST_TEST(h.memory->writes() == 0u);
    for (auto const& x : r) BOOST_TEST(template_line(x).find("great-") == std::string::npos);  // no value in any message
}

BOOST_AUTO_TEST_CASE(a_failing_template_leaves_the_previous_secret_as_it_was) {
    template_harness h;
    auto first = h.sync_one(template_es("kept", "  target:\n    template:\n      data: {x: \"{{ .name }}\"}\n" + json_data));
    REQUIRE_SYNCED(first);
    auto const before = h.secret("kept");
    auto const writes = h.memory->writes();
    auto second = h.sync_one(template_es("kept", "  target:\n    template:\n      data: {x: \"{{ fail \\\"no\\\" }}\"}\n" + json_data));
    BOOST_REQUIRE(!second.ok());
    BOOST_TEST(second.error->what().ends_with("error calling fail: no"));
    BOOST_TEST(h.memory->writes() == writes);
    BOOST_TEST((h.secret("kept") == before));
}

BOOST_AUTO_TEST_SUITE_END() // templates
BOOST_AUTO_TEST_SUITE_END() // sync
BOOST_AUTO_TEST_SUITE_END() // esx

// The test files of this program share one unity translation unit: the macro ends here.
#undef REQUIRE_SYNCED
