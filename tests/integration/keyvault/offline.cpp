// esx/cloud, esx/object/kinds and the Key Vault wire pieces that need no server: cloud
// selection, vault-host checks, reference dispatch, challenge parsing and error bodies.
#include <esx/cloud.hpp>
#include <esx/keyvault/bundles.hpp>
#include <esx/keyvault/challenge.hpp>
#include <esx/keyvault/error.hpp>
#include <esx/keyvault/vault_url.hpp>
#include <esx/object/kinds.hpp>

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

namespace {

using esx::cloud;
namespace kv = esx::keyvault;
namespace obj = esx::object;

char const* offline_no_env(char const*) { return nullptr; }

esx::cloud offline_cloud() {
    esx::custom_cloud_config custom{"https://127.0.0.1:4443/", std::nullopt, std::string("vault.esx.test"), std::nullopt};
    return esx::cloud_for("AzureStackCloud", custom, &offline_no_env).value();
}

// A near-miss kind whose prefix is shadowed by `key/`.
struct rsa_key_only : obj::key {
    static constexpr std::string_view prefix = "key/rsa/";
};
struct untagged {
    static constexpr std::string_view prefix = "x/";
    static constexpr std::string_view collection = "secrets";
    using value_type = esx::secret_bytes;
    static esx::result<esx::secret_bytes, esx::failure> decode(boost::json::object const&);
};

static_assert(obj::object_policy<obj::secret> && obj::object_policy<obj::key> && obj::object_policy<obj::certificate>);
static_assert(!obj::object_policy<untagged>);
static_assert(!obj::object_policy<int>);
static_assert(obj::detail::kind_set_is_valid<obj::default_kinds_t>());
static_assert(!obj::detail::kind_set_is_valid<std::remove_const_t<decltype(obj::kinds<obj::key, rsa_key_only>)>>(),
              "key/ shadows key/rsa/: the kind set must be refused");
static_assert(!obj::detail::kind_set_is_valid<std::remove_const_t<decltype(obj::kinds<rsa_key_only, obj::key>)>>(),
              "the check is order-independent");

// What a dispatch chose: the kind's name and the object name.
std::string chosen(std::string_view ref) {
    auto r = obj::visit_by_prefix(ref, [](auto policy, std::string_view name) {
        return std::string(decltype(policy)::name) + ":" + std::string(name);
    });
    return r ? *r : "error:" + r.error().what();
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(cloud_selection)

BOOST_AUTO_TEST_CASE(named_clouds_have_their_authority_suffix_and_resource) {
    auto pub = esx::cloud_for("PublicCloud", std::nullopt, &offline_no_env).value();
    BOOST_TEST(pub.authority_host == "https://login.microsoftonline.com/");
    BOOST_TEST(pub.vault_suffix == "vault.azure.net");
    BOOST_TEST(pub.vault_resource == "https://vault.azure.net");
    BOOST_TEST(esx::cloud_for("", std::nullopt, &offline_no_env).value().name == "PublicCloud");
    auto gov = esx::cloud_for("USGovernmentCloud", std::nullopt, &offline_no_env).value();
    BOOST_TEST(gov.vault_suffix == "vault.usgovcloudapi.net");
    BOOST_TEST(gov.authority_host == "https://login.microsoftonline.us/");
    auto cn = esx::cloud_for("ChinaCloud", std::nullopt, &offline_no_env).value();
    BOOST_TEST(cn.vault_suffix == "vault.azure.cn");
    BOOST_TEST(cn.authority_host == "https://login.chinacloudapi.cn/");
}

BOOST_AUTO_TEST_CASE(german_cloud_is_refused_with_the_reason) {
    auto r = esx::cloud_for("GermanCloud", std::nullopt, &offline_no_env);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what().find("spec.provider.azurekv.environmentType") != std::string::npos);
    BOOST_TEST(r.error().what().find("discontinued") != std::string::npos);
    BOOST_TEST((r.error() == esx::condition::invalid_input));
    BOOST_TEST(!esx::cloud_for("MarsCloud", std::nullopt, &offline_no_env));
}

BOOST_AUTO_TEST_CASE(azure_stack_needs_the_endpoint_and_a_vault_suffix) {
    BOOST_TEST(!esx::cloud_for("AzureStackCloud", std::nullopt, &offline_no_env));
    esx::custom_cloud_config no_suffix{"https://adfs.local/adfs", std::nullopt, std::nullopt, std::nullopt};
    auto r = esx::cloud_for("AzureStackCloud", no_suffix, &offline_no_env);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what().find("keyVaultDNSSuffix") != std::string::npos);
    auto c = offline_cloud();
    BOOST_TEST(c.authority_host == "https://127.0.0.1:4443/");
    BOOST_TEST(c.vault_suffix == "vault.esx.test");
    BOOST_TEST(c.vault_resource == "https://vault.esx.test");
}

BOOST_AUTO_TEST_CASE(authority_host_comes_from_the_environment_when_set) {
    auto env = [](char const* name) -> char const* {
        return std::string_view(name) == "AZURE_AUTHORITY_HOST" ? "https://login.example.test" : nullptr;
    };
    auto c = esx::cloud_for("PublicCloud", std::nullopt, env).value();
    BOOST_TEST(c.authority_host == "https://login.example.test/");
    BOOST_TEST(c.vault_suffix == "vault.azure.net");
}

BOOST_AUTO_TEST_CASE(vault_hosts_must_end_with_dot_suffix) {
    auto pub = esx::clouds::public_cloud();
    BOOST_TEST(pub.is_vault_host("myvault.vault.azure.net"));
    BOOST_TEST(pub.is_vault_host("MyVault.Vault.Azure.Net"));
    BOOST_TEST(!pub.is_vault_host("vault.azure.net"));
    BOOST_TEST(!pub.is_vault_host(".vault.azure.net"));
    BOOST_TEST(!pub.is_vault_host("myvault.evilvault.azure.net"));
    BOOST_TEST(!pub.is_vault_host("myvault.vault.azure.net.evil.test"));
    BOOST_TEST(!pub.is_vault_host("myvault.vault.azure.cn"));
}

BOOST_AUTO_TEST_CASE(vault_urls_are_checked_against_the_cloud) {
    auto c = offline_cloud();
    auto ok = kv::parse_vault_url(c, "https://v1.vault.esx.test:8443/");
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->origin == "https://v1.vault.esx.test:8443");
    BOOST_TEST(ok->host == "v1.vault.esx.test");
    BOOST_TEST(ok->port == 8443);
    BOOST_TEST(kv::parse_vault_url(c, "https://V1.vault.esx.test")->origin == "https://v1.vault.esx.test");
    for (char const* bad : {"http://v1.vault.esx.test", "https://v1.vault.esx.test.evil.test", "https://evil.test",
                            "https://vault.esx.test", "https://user:pw@v1.vault.esx.test", "https://v1.vault.esx.test/secrets",
                            "https://v1.vault.esx.test/?x=1", "https://v1.vault.esx.test/#f", "v1.vault.esx.test",
                            "https://127.0.0.1:443"}) {
        auto r = kv::parse_vault_url(c, bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error() == kv::error::vault_url_refused));
            BOOST_TEST((r.error() == esx::condition::invalid_input));
            BOOST_TEST(r.error().what().find("vaultUrl") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(object)
BOOST_AUTO_TEST_SUITE(kind_dispatch)

BOOST_AUTO_TEST_CASE(prefixes_select_the_kind_and_bare_names_are_secrets) {
    BOOST_TEST(chosen("cert/tls-api") == "cert:tls-api");
    BOOST_TEST(chosen("key/signing") == "key:signing");
    BOOST_TEST(chosen("secret/db-pass") == "secret:db-pass");
    BOOST_TEST(chosen("db-pass") == "secret:db-pass");
    BOOST_TEST(chosen("secret/a/b") == "secret:a"); // ESO drops what follows a second '/'
}

BOOST_AUTO_TEST_CASE(unknown_types_and_empty_names_are_clear_errors) {
    auto unknown = obj::visit_by_prefix("foo/bar", [](auto, std::string_view) { return 0; });
    BOOST_REQUIRE(!unknown);
    BOOST_TEST((unknown.error() == obj::error::unknown_object_type));
    BOOST_TEST(unknown.error().what().find("\"foo\"") != std::string::npos);
    auto empty = obj::visit_by_prefix("cert/", [](auto, std::string_view) { return 0; });
    BOOST_REQUIRE(!empty);
    BOOST_TEST((empty.error() == obj::error::invalid_reference));
    BOOST_TEST((empty.error() == esx::condition::invalid_input));
    BOOST_TEST(!obj::visit_by_prefix("", [](auto, std::string_view) { return 0; }));
}

BOOST_AUTO_TEST_CASE(a_kind_left_out_of_the_set_is_refused_by_name) {
    constexpr auto secrets_only = obj::kinds<obj::secret>;
    auto r = obj::visit_by_prefix("cert/tls", [](auto, std::string_view) { return 0; }, secrets_only);
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error() == obj::error::object_type_not_compiled));
    BOOST_TEST(r.error().what().find("not compiled") != std::string::npos);
    BOOST_TEST(r.error().what().find("secret/") != std::string::npos);
    auto bare = obj::visit_by_prefix("plain", [](auto p, std::string_view) { return std::string(decltype(p)::name); },
                                     secrets_only);
    BOOST_TEST(bare.value() == "secret");
}

BOOST_AUTO_TEST_CASE(the_last_kind_takes_bare_names) {
    constexpr auto certs_last = obj::kinds<obj::secret, obj::certificate>;
    auto r = obj::visit_by_prefix("tls", [](auto p, std::string_view) { return std::string(decltype(p)::name); },
                                  certs_last);
    BOOST_TEST(r.value() == "cert");
}

BOOST_AUTO_TEST_CASE(decoders_name_the_missing_member_and_never_the_content) {
    boost::json::object no_value{{"id", "https://v.vault.esx.test/secrets/s/1"}};
    auto s = obj::secret::decode(no_value);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error().what().find("\"value\"") != std::string::npos);
    boost::json::object bad_cer{{"cer", "not*base64"}};
    auto c = obj::certificate::decode(bad_cer);
    BOOST_REQUIRE(!c);
    BOOST_TEST(c.error().what().find("not*base64") == std::string::npos);
    boost::json::object jwk{{"key", {{"e", "AQAB"}, {"n", "AAEC"}, {"kty", "RSA"}, {"key_ops", {"sign"}}, {"kid", "k"}}}};
    BOOST_TEST(obj::key::decode(jwk).value().reveal() == R"({"kid":"k","kty":"RSA","key_ops":["sign"],"n":"AAEC","e":"AQAB"})");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(keyvault)
BOOST_AUTO_TEST_SUITE(challenge_parsing)

kv::vault_endpoint const v1{"https://v1.vault.esx.test:4443", "v1.vault.esx.test", 4443};

BOOST_AUTO_TEST_CASE(resource_and_tenant_are_read) {
    auto c = kv::verify_challenge(
        R"(Bearer authorization="https://127.0.0.1:4443/esx-tenant", resource="https://vault.esx.test:4443")",
        offline_cloud(), v1);
    BOOST_REQUIRE(c);
    BOOST_TEST(c->tenant == "esx-tenant");
    BOOST_TEST(c->scope == "https://vault.esx.test:4443/.default");
    auto s = kv::verify_challenge(R"(Bearer authorization_uri="https://login.test/t2/", scope="https://vault.esx.test/.default")",
                                  offline_cloud(), v1);
    BOOST_REQUIRE(s);
    BOOST_TEST(s->scope == "https://vault.esx.test/.default");
    BOOST_TEST(s->tenant == "t2");
}

BOOST_AUTO_TEST_CASE(a_resource_that_is_not_the_vaults_is_refused) {
    for (char const* header : {
             R"(Bearer authorization="https://login.test/t", resource="https://attacker.test")",
             R"(Bearer authorization="https://login.test/t", resource="https://vault.azure.net")",
             R"(Bearer authorization="https://login.test/t", resource="https://esx.test")", // wider than the cloud
             R"(Bearer authorization="https://login.test/t", resource="https://vault.esx.test:9999")",
             R"(Bearer authorization="https://login.test/t", resource="http://vault.esx.test")",
             R"(Bearer authorization="https://login.test/t", resource="https://other.vault.esx.test")"}) {
        BOOST_TEST_CONTEXT(header) {
            auto c = kv::verify_challenge(header, offline_cloud(), v1);
            BOOST_REQUIRE(!c);
            BOOST_TEST((c.error() == kv::error::challenge_refused));
            BOOST_TEST((c.error() == esx::condition::auth_failed));
            BOOST_TEST(c.error().what().find("does not match the requested domain") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_challenges_are_refused) {
    for (char const* header : {"", "Basic realm=\"x\"", "Bearer", "Bearer authorization=\"https://login.test/t\"",
                               "Bearer resource=\"https://vault.esx.test\", authorization=\"https://login.test/a b\""}) {
        BOOST_TEST_CONTEXT(header) {
            auto c = kv::verify_challenge(header, offline_cloud(), v1);
            BOOST_TEST(!c);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(error_bodies)

BOOST_AUTO_TEST_CASE(not_found_forbidden_and_disabled_are_told_apart) {
    auto nf = kv::detail::error_from_response(
        404, R"({"error":{"code":"SecretNotFound","message":"A secret with (name/id) x was not found in this key vault."}})",
        "get secrets/x");
    BOOST_TEST((kv::classify(nf) == kv::problem::not_found));
    BOOST_TEST((nf == esx::condition::not_found));
    BOOST_TEST(nf.reason == "SecretNotFound");
    BOOST_TEST(nf.what().find("get secrets/x: Key Vault answered 404 SecretNotFound") == 0);
    auto dis = kv::detail::error_from_response(
        403, R"({"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}})",
        "get secrets/d");
    BOOST_TEST(kv::is_disabled(dis));
    BOOST_TEST(!kv::is_forbidden(dis));
    BOOST_TEST(dis.reason == "SecretDisabled");
    auto denied = kv::detail::error_from_response(
        403, R"({"error":{"code":"Forbidden","message":"no permission","innererror":{"code":"AccessDenied"}}})", "get keys/k");
    BOOST_TEST(kv::is_forbidden(denied));
    BOOST_TEST((denied == esx::condition::forbidden));
    auto garbage = kv::detail::error_from_response(502, "<html>bad gateway</html>", "get secrets/x");
    BOOST_TEST((kv::classify(garbage) == kv::problem::service_error));
    BOOST_TEST((garbage == esx::condition::retryable));
    BOOST_TEST((kv::classify(esx::failure{esx::make_error_code(esx::error::read_timeout)}) == kv::problem::none));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
