// esx::keyvault::client against the mock Azure server over loopback TLS: reads of every
// object kind (latest and by version, through the reference prefixes), PEM conversions
// re-parsed by OpenSSL, errors, writes, paging through empty pages, the token-safety rules
// and throttling storms.
#include "counting_client_secret.hpp"

#include "mocks/azure/server.hpp"
#include "mocks/common/pki.hpp"
#include "tests/support/run.hpp"
#include "tests/support/scripted_server.hpp"

#include <esx/auth/service_principal.hpp>
#include <esx/keyvault/client.hpp>
#include <esx/object/detail/base64.hpp>
#include <esx/object/pem.hpp>
#include <esx/testing/fake_clock.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/retry.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

namespace kv = esx::keyvault;
namespace obj = esx::object;
namespace net = boost::asio;
using esx::test::counting_client_secret;

constexpr std::size_t many_secrets = 500;

std::string seed() {
    boost::json::array many;
    for (std::size_t i = 0; i < many_secrets; ++i)
        many.push_back({{"name", "s-" + std::to_string(i)}, {"versions", {{{"value", "v-" + std::to_string(i)}}}}});
    boost::json::value v = {
        {"vault_suffix", "vault.esx.test"},
        {"tenants", {{{"id", "esx-tenant"}}}},
        {"service_principals", {{{"tenant", "esx-tenant"}, {"client_id", "esx-client"}, {"secrets", {"esx-secret"}}}}},
        {"vaults",
         {{{"name", "v1"},
           {"tenant", "esx-tenant"},
           {"secrets",
            {{{"name", "db-password"},
              {"versions",
               {{{"value", "old-password"}, {"created", 1700000000}},
                {{"version", "0123456789abcdef0123456789abcdef"},
                 {"value", "s3cr3t"},
                 {"contentType", "text/plain"},
                 {"tags", {{"env", "test"}}},
                 {"created", 1700000100},
                 {"nbf", 1700000000},
                 {"exp", 1900000000}}}}},
             {{"name", "disabled-one"}, {"versions", {{{"value", "hidden-value"}, {"enabled", false}}}}},
             {{"name", "gone"}, {"deleted", true}, {"versions", {{{"value", "was-here"}}}}}}},
           {"keys",
            {{{"name", "rsa-2048"}, {"kty", "RSA"}, {"size", 2048}, {"versions", 2}},
             {{"name", "rsa-3072"}, {"kty", "RSA"}, {"size", 3072}},
             {{"name", "ec-p256"}, {"kty", "EC"}, {"crv", "P-256"}},
             {{"name", "ec-p384"}, {"kty", "EC"}, {"crv", "P-384"}},
             {{"name", "ec-p521"}, {"kty", "EC"}, {"crv", "P-521"}}}},
           {"certificates",
            {{{"name", "tls-cert"}, {"subject", "CN=api.example.test"}, {"kty", "RSA"}, {"size", 2048}},
             {{"name", "pem-cert"}, {"subject", "CN=pem.example.test, O=esx"}, {"kty", "EC"}, {"crv", "P-256"},
              {"content_type", "application/x-pem-file"}}}}},
          {{"name", "many"}, {"tenant", "esx-tenant"}, {"empty_pages", true}, {"secrets", many}},
          {{"name", "busy"}, {"tenant", "esx-tenant"}, {"secrets", {{{"name", "hot"}, {"versions", {{{"value", "x"}}}}}}}}}},
        {"access",
         {{{"identity", "esx-client"}, {"vault", "v1"}, {"secrets", {"all"}}, {"keys", {"all"}}, {"certificates", {"all"}}},
          {{"identity", "esx-client"}, {"vault", "many"}, {"secrets", {"get", "list"}}},
          {{"identity", "esx-client"}, {"vault", "busy"}, {"secrets", {"get"}}}}}};
    return boost::json::serialize(v);
}

// One mock for the whole program (key generation takes seconds); stopped by the global fixture.
std::unique_ptr<esx::mocks::azure::server> the_mock;
esx::mocks::azure::server& mock() {
    if (!the_mock) {
        esx::mocks::azure::options o;
        o.seed_json = seed();
        the_mock = std::make_unique<esx::mocks::azure::server>(std::move(o));
    }
    return *the_mock;
}
struct stop_the_mock {
    ~stop_the_mock() { the_mock.reset(); }
};
BOOST_TEST_GLOBAL_FIXTURE(stop_the_mock);

char const* no_env(char const*) { return nullptr; }

esx::cloud mock_cloud() {
    esx::custom_cloud_config custom{mock().authority(), std::nullopt, std::string("vault.esx.test"), std::nullopt};
    return esx::cloud_for("AzureStackCloud", custom, &no_env).value();
}

std::string port_suffix() { return ":" + std::to_string(mock().port()); }

esx::transport::options transport_options(std::string extra_ca = {}) {
    esx::transport::options o;
    o.ca_pem = mock().ca_pem() + extra_ca;
    for (char const* host : {"v1", "many", "busy", "evil", "v1.evil.test", "v1.vault.esx.test.evil.test"}) {
        std::string const h = std::string_view(host).find('.') == std::string_view::npos
                                  ? std::string(host) + ".vault.esx.test" : std::string(host);
        o.resolve[h + port_suffix()] = "127.0.0.1";
    }
    return o;
}

// Requests the mock saw for one vault host.
std::vector<esx::mocks::azure::request_record> vault_requests(std::string const& vault) {
    std::vector<esx::mocks::azure::request_record> out;
    for (auto& r : mock().requests())
        if (r.service == "vault" && r.host.starts_with(vault + ".")) out.push_back(r);
    return out;
}

template <class Transport = esx::transport::https>
struct env {
    net::io_context ioc;
    esx::cloud cloud = mock_cloud();
    Transport transport;
    counting_client_secret auth{mock().authority(), "esx-tenant", "esx-client", "esx-secret"};

    /// `make(executor)` builds the transport.
    template <class Make>
    explicit env(Make make) : transport(make(ioc.get_executor())) {
        mock().clear_faults();
        mock().reset_log();
    }
    env() : env([](auto ex) { return Transport(ex, transport_options()); }) {}

    kv::client<counting_client_secret, Transport> client(std::string const& vault = "v1") {
        return kv::client<counting_client_secret, Transport>::make(auth, transport, cloud, mock().vault_url(vault)).value();
    }
    template <class T>
    T run(net::awaitable<T> task) {
        return esx::test::run(ioc, std::move(task));
    }
};

using https_env = env<esx::transport::https>;

// ---- OpenSSL's own reading of what esx produced -------------------------------------------

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct bio_free { void operator()(BIO* p) const { BIO_free(p); } };

std::unique_ptr<EVP_PKEY, pkey_free> read_public_pem(std::string const& pem) {
    std::unique_ptr<BIO, bio_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return std::unique_ptr<EVP_PKEY, pkey_free>(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

std::string subject_of(X509* cert) {
    char buf[256];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
    return buf;
}

std::string b64(boost::json::object const& jwk, char const* member) {
    return obj::detail::base64_decode(std::string_view(jwk.at(member).as_string())).value();
}

// The real service-principal policy for the mock's esx-client (not the test double).
esx::auth::service_principal<> mock_service_principal() {
    esx::auth::service_principal_options o;
    o.tenant_id = "esx-tenant";
    o.client_id = "esx-client";
    o.credential = esx::auth::client_secret{esx::secret_bytes("esx-secret")};
    o.cloud = mock_cloud();
    return esx::auth::service_principal<>::make(std::move(o)).value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(keyvault)

BOOST_AUTO_TEST_SUITE(reads)

// The real service-principal policy (not the test double): its token cache serves 1,000 reads
// with the one token the first challenge asked for (the mock's request log counts the POSTs).
BOOST_AUTO_TEST_CASE(a_thousand_reads_with_one_identity_cost_one_token_request) {
    net::io_context ioc;
    esx::transport::https transport(ioc.get_executor(), transport_options());
    auto sp = mock_service_principal();
    mock().clear_faults();
    mock().reset_log();
    using client_t = kv::client<esx::auth::service_principal<>, esx::transport::https>;
    auto c = client_t::make(sp, transport, mock_cloud(), mock().vault_url("v1")).value();
    auto read_many = [](client_t& c) -> net::awaitable<std::size_t> {
        std::size_t good = 0;
        for (int i = 0; i < 1000; ++i) {
            auto r = co_await c.fetch("db-password");
            good += r && r->reveal() == "s3cr3t";
        }
        co_return good;
    };
    BOOST_TEST(esx::test::run(ioc, read_many(c)) == 1000u);
    std::size_t token_posts = 0, vault_reads = 0;
    for (auto const& r : mock().requests()) {
        token_posts += r.service == "aad" && r.path.ends_with("/oauth2/v2.0/token");
        vault_reads += r.service == "vault" && r.status == 200;
    }
    BOOST_TEST(token_posts == 1u);
    BOOST_TEST(vault_reads == 1000u);
}

BOOST_AUTO_TEST_CASE(secret_latest_by_version_and_through_prefixes) {
    https_env e;
    auto c = e.client();
    auto latest = e.run(c.get_secret("db-password")).value();
    BOOST_TEST(latest.value.reveal() == "s3cr3t");
    BOOST_TEST(latest.name == "db-password");
    BOOST_TEST(latest.version == "0123456789abcdef0123456789abcdef");
    BOOST_TEST(latest.content_type == "text/plain");
    BOOST_TEST(latest.tags.at("env") == "test");
    BOOST_TEST(latest.attributes.enabled.value());
    BOOST_TEST(*latest.attributes.not_before == 1700000000);
    BOOST_TEST(*latest.attributes.expires == 1900000000);

    auto versions = e.run(c.list_secret_versions("db-password")).value();
    BOOST_REQUIRE_EQUAL(versions.size(), 2u);
    auto old = std::find_if(versions.begin(), versions.end(), [&](auto& i) { return i.version != latest.version; });
    BOOST_REQUIRE(old != versions.end());
    BOOST_TEST(e.run(c.get_secret("db-password", old->version)).value().value.reveal() == "old-password");
    BOOST_TEST(e.run(c.fetch("secret/db-password", old->version)).value().reveal() == "old-password");
    BOOST_TEST(e.run(c.fetch("db-password")).value().reveal() == "s3cr3t");
    BOOST_TEST(e.run(c.fetch("secret/db-password")).value().reveal() == "s3cr3t");
}

BOOST_AUTO_TEST_CASE(the_challenge_is_answered_once_then_the_token_goes_first) {
    https_env e;
    auto c = e.client();
    for (int i = 0; i < 5; ++i) BOOST_TEST(e.run(c.fetch("db-password")).value().reveal() == "s3cr3t");
    auto log = vault_requests("v1");
    BOOST_REQUIRE_EQUAL(log.size(), 6u); // one token-less probe, then five reads with the token
    BOOST_TEST(log[0].status == 401u);
    BOOST_TEST(log[0].identity == "");
    for (std::size_t i = 1; i < log.size(); ++i) {
        BOOST_TEST(log[i].status == 200u);
        BOOST_TEST(log[i].identity == "esx-client");
    }
    BOOST_TEST(e.auth.token_posts() == 1u);
    BOOST_REQUIRE(!e.auth.asked().empty());
    BOOST_TEST(e.auth.asked().front().scope == "https://vault.esx.test" + port_suffix() + "/.default");
    BOOST_TEST(e.auth.asked().front().tenant_id == "esx-tenant");
    BOOST_TEST(c.cached_challenge()->tenant == "esx-tenant");
}

BOOST_AUTO_TEST_CASE(key_is_the_public_jwk_in_esos_member_order_latest_and_by_version) {
    https_env e;
    auto c = e.client();
    auto rsa = e.run(c.fetch("key/rsa-2048")).value();
    std::string const text(rsa.reveal());
    auto const at = [&](char const* m) { return text.find(std::string("\"") + m + "\":"); };
    BOOST_TEST(text.starts_with(R"({"kid":"https://v1.vault.esx.test)"));
    BOOST_TEST(at("kid") < at("kty"));
    BOOST_TEST(at("kty") < at("key_ops"));
    BOOST_TEST(at("key_ops") < at("n"));
    BOOST_TEST(at("n") < at("e"));
    BOOST_TEST(at("d") == std::string::npos); // public members only

    auto ec = std::string(e.run(c.fetch("key/ec-p384")).value().reveal());
    auto const ec_at = [&](char const* m) { return ec.find(std::string("\"") + m + "\":"); };
    BOOST_TEST(ec_at("kid") < ec_at("kty"));
    BOOST_TEST(ec_at("key_ops") < ec_at("crv"));
    BOOST_TEST(ec_at("crv") < ec_at("x"));
    BOOST_TEST(ec_at("x") < ec_at("y"));

    auto versions = e.run(c.list_key_versions("rsa-2048")).value();
    BOOST_REQUIRE_EQUAL(versions.size(), 2u);
    for (auto const& v : versions) {
        auto jwk = boost::json::parse(e.run(c.fetch("key/rsa-2048", v.version)).value().reveal()).as_object();
        BOOST_TEST(std::string_view(jwk.at("kid").as_string()).ends_with("/keys/rsa-2048/" + v.version));
    }
}

BOOST_AUTO_TEST_CASE(certificate_is_the_der_latest_and_by_version) {
    https_env e;
    auto c = e.client();
    auto der = e.run(c.fetch("cert/tls-cert")).value();
    auto const* p = reinterpret_cast<unsigned char const*>(der.reveal().data());
    std::unique_ptr<X509, x509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    BOOST_REQUIRE(cert);
    BOOST_TEST(subject_of(cert.get()) == "/CN=api.example.test");

    auto bundle = e.run(c.get_certificate("tls-cert")).value();
    BOOST_TEST(bundle.cer == std::string(der.reveal()));
    BOOST_TEST(bundle.content_type == "application/x-pkcs12");
    auto by_version = e.run(c.fetch("cert/tls-cert", bundle.version)).value();
    BOOST_TEST((by_version == der));
    auto versions = e.run(c.list_certificate_versions("tls-cert")).value();
    BOOST_TEST(versions.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pem)

BOOST_AUTO_TEST_CASE(rsa_keys_become_spki_pem_that_openssl_reads_back) {
    https_env e;
    auto c = e.client();
    for (auto [name, bits] : {std::pair{"rsa-2048", 2048}, std::pair{"rsa-3072", 3072}}) {
        BOOST_TEST_CONTEXT(name) {
            auto bundle = e.run(c.get_key(name)).value();
            auto pem = obj::jwk_to_pem(bundle.key).value();
            BOOST_TEST(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            auto key = read_public_pem(pem);
            BOOST_REQUIRE(key);
            BOOST_TEST(EVP_PKEY_is_a(key.get(), "RSA") == 1);
            BOOST_TEST(EVP_PKEY_get_bits(key.get()) == bits);
            BIGNUM* n = nullptr;
            BOOST_REQUIRE(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n) == 1);
            std::string nbytes(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
            BN_bn2bin(n, reinterpret_cast<unsigned char*>(nbytes.data()));
            BN_free(n);
            BOOST_TEST(nbytes == b64(bundle.key, "n"));
            // The JSON text form (what `key/` yields) converts to the same PEM.
            BOOST_TEST(obj::jwk_to_pem(e.run(c.fetch(std::string("key/") + name)).value().reveal()).value() == pem);
        }
    }
}

BOOST_AUTO_TEST_CASE(ec_keys_on_every_curve_become_spki_pem_that_openssl_reads_back) {
    https_env e;
    auto c = e.client();
    for (auto [name, group, field] : {std::tuple{"ec-p256", "prime256v1", 32u}, std::tuple{"ec-p384", "secp384r1", 48u},
                                      std::tuple{"ec-p521", "secp521r1", 66u}}) {
        BOOST_TEST_CONTEXT(name) {
            auto bundle = e.run(c.get_key(name)).value();
            auto pem = obj::jwk_to_pem(bundle.key).value();
            auto key = read_public_pem(pem);
            BOOST_REQUIRE(key);
            BOOST_TEST(EVP_PKEY_is_a(key.get(), "EC") == 1);
            char curve[64] = {};
            BOOST_REQUIRE(EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, nullptr) == 1);
            BOOST_TEST(std::string(curve) == group);
            unsigned char point[256];
            std::size_t len = 0;
            BOOST_REQUIRE(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) == 1);
            BOOST_REQUIRE_EQUAL(len, 1 + 2 * field);
            std::string const x = b64(bundle.key, "x"), y = b64(bundle.key, "y");
            BOOST_TEST(x.size() == field); // Key Vault pads coordinates to the field size
            BOOST_TEST(std::string(reinterpret_cast<char*>(point) + 1, field) == x);
            BOOST_TEST(std::string(reinterpret_cast<char*>(point) + 1 + field, field) == y);
        }
    }
}

BOOST_AUTO_TEST_CASE(certificates_become_pem_that_openssl_reads_back) {
    https_env e;
    auto c = e.client();
    for (auto [name, subject] : {std::pair{"tls-cert", "/CN=api.example.test"}, std::pair{"pem-cert", "/CN=pem.example.test/O=esx"}}) {
        BOOST_TEST_CONTEXT(name) {
            auto der = e.run(c.fetch(std::string("cert/") + name)).value();
            auto pem = obj::der_certificate_to_pem(der.reveal()).value();
            BOOST_TEST(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
            std::unique_ptr<BIO, bio_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
            std::unique_ptr<X509, x509_free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
            BOOST_REQUIRE(cert);
            BOOST_TEST(subject_of(cert.get()) == subject);
            unsigned char* out = nullptr;
            int const n = i2d_X509(cert.get(), &out);
            BOOST_TEST(std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n)) == std::string(der.reveal()));
            OPENSSL_free(out);
        }
    }
}

BOOST_AUTO_TEST_CASE(unconvertible_material_is_refused_with_a_reason) {
    auto oct = obj::jwk_to_pem(boost::json::object{{"kty", "oct"}, {"k", "AAAA"}});
    BOOST_REQUIRE(!oct);
    BOOST_TEST((oct.error() == obj::error::unsupported_key));
    auto k256 = obj::jwk_to_pem(boost::json::object{{"kty", "EC"}, {"crv", "P-256K"}, {"x", "AA"}, {"y", "AA"}});
    BOOST_TEST((k256.error() == obj::error::unsupported_key));
    // A point that is not on the curve.
    auto off = obj::jwk_to_pem(boost::json::object{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AQ"}, {"y", "AQ"}});
    BOOST_REQUIRE(!off);
    BOOST_TEST((off.error() == obj::error::pem_conversion_failed));
    auto garbage = obj::der_certificate_to_pem("not a certificate");
    BOOST_TEST((garbage.error() == obj::error::pem_conversion_failed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(not_found_forbidden_and_disabled_are_distinct) {
    https_env e;
    auto c = e.client();
    auto missing = e.run(c.get_secret("no-such-secret"));
    BOOST_REQUIRE(!missing);
    BOOST_TEST(kv::is_not_found(missing.error()));
    BOOST_TEST(missing.error().reason == "SecretNotFound");
    BOOST_TEST(missing.error().what().find("get secrets/no-such-secret") != std::string::npos);
    auto missing_version = e.run(c.get_secret("db-password", "ffffffffffffffffffffffffffffffff"));
    BOOST_TEST(kv::is_not_found(missing_version.error()));
    auto soft_deleted = e.run(c.fetch("gone"));
    BOOST_TEST(kv::is_not_found(soft_deleted.error()));
    BOOST_TEST(kv::is_not_found(e.run(c.fetch("key/no-such-key")).error()));
    BOOST_TEST(e.run(c.fetch("key/no-such-key")).error().reason == "KeyNotFound");
    BOOST_TEST(kv::is_not_found(e.run(c.fetch("cert/no-such-cert")).error()));

    auto disabled = e.run(c.fetch("disabled-one"));
    BOOST_REQUIRE(!disabled);
    BOOST_TEST(kv::is_disabled(disabled.error()));
    BOOST_TEST(!kv::is_forbidden(disabled.error()));
    BOOST_TEST(disabled.error().reason == "SecretDisabled");
    BOOST_TEST(disabled.error().what().find("hidden-value") == std::string::npos);

    auto many = e.client("many"); // esx-client may read secrets there, not keys
    auto forbidden = e.run(many.fetch("key/anything"));
    BOOST_REQUIRE(!forbidden);
    BOOST_TEST(kv::is_forbidden(forbidden.error()));
    BOOST_TEST(forbidden.error().reason == "AccessDenied");
    BOOST_TEST((forbidden.error() == esx::condition::forbidden));
}

BOOST_AUTO_TEST_CASE(bad_names_and_references_fail_before_any_request) {
    https_env e;
    auto c = e.client();
    auto bad = e.run(c.get_secret("under_score"));
    BOOST_REQUIRE(!bad);
    BOOST_TEST((bad.error() == kv::error::invalid_name));
    BOOST_TEST(bad.error().what().find("under_score") != std::string::npos);
    BOOST_TEST((e.run(c.get_secret("ok", "../../x")).error() == kv::error::invalid_name));
    auto unknown = e.run(c.fetch("foo/bar"));
    BOOST_TEST((unknown.error() == obj::error::unknown_object_type));
    auto not_compiled = e.run(c.fetch("cert/x", "", obj::kinds<obj::key, obj::secret>));
    BOOST_TEST((not_compiled.error() == obj::error::object_type_not_compiled));
    BOOST_TEST(vault_requests("v1").empty());
    BOOST_TEST(e.auth.calls() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(writes)

BOOST_AUTO_TEST_CASE(set_update_and_delete_a_secret) {
    https_env e;
    auto c = e.client();
    kv::secret_properties props;
    props.content_type = "application/json";
    props.tags = kv::tag_map{{"owner", "esx"}};
    auto set = e.run(c.set_secret("written-by-test", esx::secret_bytes(R"({"k":"v1"})"), props)).value();
    BOOST_TEST(set.value.reveal() == R"({"k":"v1"})");
    BOOST_TEST(set.content_type == "application/json");
    BOOST_TEST(set.tags.at("owner") == "esx");
    auto again = e.run(c.set_secret("written-by-test", esx::secret_bytes("second"))).value();
    BOOST_TEST(again.version != set.version);
    BOOST_TEST(e.run(c.get_secret("written-by-test")).value().value.reveal() == "second");
    BOOST_TEST(e.run(c.get_secret("written-by-test", set.version)).value().value.reveal() == R"({"k":"v1"})");

    kv::secret_properties change;
    change.tags = kv::tag_map{{"owner", "someone-else"}, {"stage", "2"}};
    change.content_type = "text/plain";
    auto updated = e.run(c.update_secret("written-by-test", again.version, change)).value();
    BOOST_TEST(updated.tags.at("stage") == "2");
    BOOST_TEST(updated.value.empty()); // PATCH answers without the value
    auto read = e.run(c.get_secret("written-by-test")).value();
    BOOST_TEST(read.content_type == "text/plain");
    BOOST_TEST(read.tags.at("owner") == "someone-else");

    kv::secret_properties disable;
    disable.enabled = false;
    BOOST_TEST(e.run(c.update_secret("written-by-test", "", disable)).value().attributes.enabled.value() == false);
    BOOST_TEST(kv::is_disabled(e.run(c.get_secret("written-by-test")).error()));

    auto deleted = e.run(c.delete_secret("written-by-test")).value();
    BOOST_TEST(deleted.name == "written-by-test");
    BOOST_TEST(deleted.recovery_id.find("/deletedsecrets/written-by-test") != std::string::npos);
    BOOST_TEST(kv::is_not_found(e.run(c.get_secret("written-by-test")).error()));

    // The body-less probe of the first request (a PUT) reached the vault without the value.
    auto log = vault_requests("v1");
    BOOST_REQUIRE(!log.empty());
    BOOST_TEST(log.front().method == "PUT");
    BOOST_TEST(log.front().status == 401u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(paging)

BOOST_AUTO_TEST_CASE(five_hundred_secrets_through_empty_pages_with_maxresults) {
    https_env e;
    auto c = e.client("many");
    auto items = e.run(c.list_secrets(7)).value();
    BOOST_TEST(items.size() == many_secrets);
    std::set<std::string> names;
    for (auto const& i : items) names.insert(i.name);
    BOOST_TEST(names.size() == many_secrets);
    BOOST_TEST(names.count("s-0") == 1u);
    BOOST_TEST(names.count("s-499") == 1u);
    std::size_t pages = 0, empty_or_not = 0;
    for (auto const& r : vault_requests("many"))
        if (r.path == "/secrets" && r.status == 200) {
            ++pages;
            empty_or_not += r.query.find("maxresults=7") != std::string::npos;
        }
    std::size_t const full_pages = (many_secrets + 6) / 7;
    BOOST_TEST(pages >= 2 * full_pages - 1); // every page after the first is preceded by an empty one
    BOOST_TEST(empty_or_not == pages);       // maxresults was sent on every page

    auto all = e.run(c.list_secrets()).value();
    BOOST_TEST(all.size() == many_secrets);
    BOOST_TEST((e.run(c.list_secrets(26)).error() == esx::condition::invalid_input));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(security)

BOOST_AUTO_TEST_CASE(foreign_or_plain_vault_urls_are_refused_before_anything_is_sent) {
    https_env e;
    for (std::string const& url : {"https://v1.evil.test" + port_suffix(), "http://v1.vault.esx.test" + port_suffix(),
                                  "https://v1.vault.esx.test.evil.test" + port_suffix(),
                                  "https://127.0.0.1" + port_suffix()}) {
        BOOST_TEST_CONTEXT(url) {
            auto c = kv::client<counting_client_secret, esx::transport::https>::make(e.auth, e.transport, e.cloud, url);
            BOOST_REQUIRE(!c);
            BOOST_TEST((c.error() == kv::error::vault_url_refused));
        }
    }
    BOOST_TEST(mock().requests().empty());
    BOOST_TEST(e.auth.calls() == 0u);
}

// A server that claims to be a vault of the cloud but names another resource in its challenge.
struct lying_vault {
    esx::mocks::pki::authority ca = esx::mocks::pki::authority::generate("lying vault CA");
    esx::mocks::pki::issued leaf = ca.issue_server({"v1.vault.esx.test", "evil.vault.esx.test"}, {"127.0.0.1"});
    std::atomic<int> requests{0}, with_authorization{0};
    std::string resource;
    std::string next_link; // when set: the page's nextLink once a token arrives
    bool refuse_tokens = false; // answer every request with the challenge, token or not
    std::string authorized_body; // when set: the body of every answer to a request with a token
    std::unique_ptr<esx::test::scripted_server> server;

    explicit lying_vault(std::string res, std::string link = {}) : resource(std::move(res)), next_link(std::move(link)) {
        esx::test::server_options o;
        o.tls = true;
        o.cert_pem = leaf.cert_pem;
        o.key_pem = leaf.key_pem;
        server = std::make_unique<esx::test::scripted_server>(o, [this](esx::test::http::request<esx::test::http::string_body> const& req) {
            ++requests;
            esx::test::http::response<esx::test::http::string_body> res;
            res.version(11);
            res.set(esx::test::http::field::content_type, "application/json");
            bool const has_token = req.find(esx::test::http::field::authorization) != req.end();
            with_authorization += has_token;
            if (has_token && !refuse_tokens) {
                res.result(200);
                res.body() = !authorized_body.empty() ? authorized_body : boost::json::serialize(boost::json::object{
                    {"value", {{{"id", "https://v1.vault.esx.test/secrets/a"}, {"attributes", {{"enabled", true}}}}}},
                    {"nextLink", next_link}});
            } else {
                res.result(401);
                res.set(esx::test::http::field::www_authenticate,
                        "Bearer authorization=\"" + mock().authority() + "/esx-tenant\", resource=\"" + resource + "\"");
                res.body() = R"({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}})";
            }
            return esx::test::action::respond(std::move(res));
        });
    }
    std::string port() const { return std::to_string(server->port()); }
};

BOOST_AUTO_TEST_CASE(a_challenge_naming_another_resource_gets_no_token) {
    for (char const* resource : {"https://attacker.test", "https://vault.azure.net", "https://esx.test",
                                       "https://evil.vault.esx.test", "http://vault.esx.test"}) {
        BOOST_TEST_CONTEXT(resource) {
            lying_vault liar(resource);
            https_env e([&](auto ex) {
                auto o = transport_options(liar.ca.cert_pem());
                o.resolve["v1.vault.esx.test:" + liar.port()] = "127.0.0.1";
                return esx::transport::https(ex, o);
            });
            auto c = kv::client<counting_client_secret, esx::transport::https>::make(
                         e.auth, e.transport, e.cloud, "https://v1.vault.esx.test:" + liar.port())
                         .value();
            auto r = e.run(c.get_secret("anything"));
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error() == kv::error::challenge_refused));
            BOOST_TEST(r.error().what().find("does not match the requested domain") != std::string::npos);
            BOOST_TEST(liar.requests.load() == 1);
            BOOST_TEST(liar.with_authorization.load() == 0);
            BOOST_TEST(e.auth.calls() == 0u); // no token was even asked for
            BOOST_TEST(mock().requests().empty());
        }
    }
}

// The mock vault itself, told by its "challenge" fault to answer the first request with a
// challenge naming another resource: refused before any token is asked for.
BOOST_AUTO_TEST_CASE(the_mock_vaults_challenge_naming_another_resource_is_refused) {
    for (char const* resource : {"https://vault.attacker.example", "https://vault.azure.net"}) {
        BOOST_TEST_CONTEXT(resource) {
            https_env e;
            mock().add_fault(R"({"kind":"challenge","vault":"v1","resource":")" + std::string(resource) + R"("})");
            auto c = e.client();
            auto r = e.run(c.get_secret("db-password"));
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error() == kv::error::challenge_refused));
            BOOST_TEST(r.error().what().find("does not match the requested domain") != std::string::npos);
            BOOST_TEST(e.auth.calls() == 0u);
            auto const log = mock().requests();
            BOOST_REQUIRE(log.size() == 1u); // the probe, answered by the fault; nothing after it
            BOOST_TEST(log[0].fault == "challenge");
            BOOST_TEST(log[0].status == 401u);
        }
    }
}

// A challenge naming another tenant: the real service-principal policy (not configured for
// multi-tenant use) refuses it before asking Entra ID for anything (as azidentity does).
BOOST_AUTO_TEST_CASE(the_mock_vaults_challenge_naming_another_tenant_is_not_followed) {
    net::io_context ioc;
    esx::transport::https transport(ioc.get_executor(), transport_options());
    auto sp = mock_service_principal();
    mock().clear_faults();
    mock().reset_log();
    mock().add_fault(R"({"kind":"challenge","vault":"v1","tenant":"attacker-tenant"})");
    using client_t = kv::client<esx::auth::service_principal<>, esx::transport::https>;
    auto c = client_t::make(sp, transport, mock_cloud(), mock().vault_url("v1")).value();
    auto r = esx::test::run(ioc, c.fetch("db-password"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what().find("names tenant \"attacker-tenant\"") != std::string::npos);
    BOOST_TEST(c.cached_challenge()->tenant == "attacker-tenant"); // what the vault said
    std::vector<std::string> token_paths;
    for (auto const& req : mock().requests())
        if (req.service == "aad") token_paths.push_back(req.path);
    BOOST_TEST(token_paths.empty());
}

BOOST_AUTO_TEST_CASE(a_next_link_to_another_host_is_not_followed) {
    // The challenge is right (resource = the cloud's suffix), so the first page gets a token;
    // the page then points at another vault host of the same cloud.
    std::unique_ptr<lying_vault> liar = std::make_unique<lying_vault>("https://vault.esx.test", std::string());
    liar->next_link = "https://evil.vault.esx.test:" + liar->port() + "/secrets?api-version=7.4&$skiptoken=x";
    https_env e([&](auto ex) {
        auto o = transport_options(liar->ca.cert_pem());
        o.resolve["v1.vault.esx.test:" + liar->port()] = "127.0.0.1";
        o.resolve["evil.vault.esx.test:" + liar->port()] = "127.0.0.1";
        return esx::transport::https(ex, o);
    });
    auto c = kv::client<counting_client_secret, esx::transport::https>::make(e.auth, e.transport, e.cloud,
                                                                             "https://v1.vault.esx.test:" + liar->port())
                 .value();
    auto r = e.run(c.list_secrets());
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error() == kv::error::next_link_refused));
    BOOST_TEST(liar->requests.load() == 2);           // the probe and the first page
    BOOST_TEST(liar->with_authorization.load() == 1); // only the first page, on the vault's own host
    BOOST_TEST(e.auth.token_posts() == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_token_is_rechallenged_once_then_reported) {
    lying_vault liar("https://vault.esx.test");
    liar.refuse_tokens = true;
    https_env e([&](auto ex) {
        auto o = transport_options(liar.ca.cert_pem());
        o.resolve["v1.vault.esx.test:" + liar.port()] = "127.0.0.1";
        return esx::transport::https(ex, o);
    });
    auto c = kv::client<counting_client_secret, esx::transport::https>::make(e.auth, e.transport, e.cloud,
                                                                             "https://v1.vault.esx.test:" + liar.port())
                 .value();
    auto r = e.run(c.get_secret("anything"));
    BOOST_REQUIRE(!r);
    BOOST_TEST((kv::classify(r.error()) == kv::problem::unauthorized));
    BOOST_TEST((r.error() == esx::condition::auth_failed));
    BOOST_TEST(liar.requests.load() == 3);           // probe, token, one re-challenged retry
    BOOST_TEST(liar.with_authorization.load() == 2);
    BOOST_TEST(e.auth.calls() == 2u);
    // The refused token was dropped, so the retry carried a freshly issued one.
    BOOST_TEST(e.auth.invalidations() == 1u);
    BOOST_TEST(e.auth.token_posts() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// Resource bounds (issue 14): a hostile vault ends a call with an error naming the limit.
BOOST_AUTO_TEST_SUITE(bounds)

BOOST_AUTO_TEST_CASE(a_vault_that_never_stops_paging_hits_the_page_cap) {
    security::lying_vault liar("https://vault.esx.test"); // from the security suite
    liar.next_link = "https://v1.vault.esx.test:" + liar.port() + "/secrets?api-version=7.4&$skiptoken=again";
    https_env e([&](auto ex) {
        auto o = transport_options(liar.ca.cert_pem());
        o.resolve["v1.vault.esx.test:" + liar.port()] = "127.0.0.1";
        return esx::transport::https(ex, o);
    });
    kv::client_options o;
    o.max_pages = 5;
    auto c = kv::client<counting_client_secret, esx::transport::https>::make(
                 e.auth, e.transport, e.cloud, "https://v1.vault.esx.test:" + liar.port(), o)
                 .value();
    auto r = e.run(c.list_secrets());
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error() == kv::error::too_many_pages));
    BOOST_TEST(r.error().what().find("more than 5 pages") != std::string::npos, r.error().what());
    BOOST_TEST(liar.with_authorization.load() == 5); // five pages read, the sixth never asked for
}

BOOST_AUTO_TEST_CASE(a_bundle_nested_too_deep_is_refused_by_name) {
    security::lying_vault liar("https://vault.esx.test");
    liar.authorized_body = "{\"value\":\"v\",\"x\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
    https_env e([&](auto ex) {
        auto o = transport_options(liar.ca.cert_pem());
        o.resolve["v1.vault.esx.test:" + liar.port()] = "127.0.0.1";
        return esx::transport::https(ex, o);
    });
    auto c = kv::client<counting_client_secret, esx::transport::https>::make(e.auth, e.transport, e.cloud,
                                                                             "https://v1.vault.esx.test:" + liar.port())
                 .value();
    auto r = e.run(c.get_secret("deep"));
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error() == kv::error::malformed_response));
    BOOST_TEST(r.error().what().find("nested deeper than 32 levels") != std::string::npos, r.error().what());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(throttling)

using fake_retry = esx::transport::retry<esx::transport::https, esx::testing::fake_clock>;

env<fake_retry> fake_clock_env(esx::testing::fake_clock clock, unsigned attempts = 6) {
    return env<fake_retry>([=](auto ex) {
        esx::transport::retry_options o;
        o.max_attempts = attempts;
        o.seed = 7;
        return fake_retry(esx::transport::https(ex, transport_options()), o, clock);
    });
}

BOOST_AUTO_TEST_CASE(a_429_storm_with_retry_after_is_waited_out) {
    esx::testing::fake_clock clock;
    auto e = fake_clock_env(clock);
    auto c = e.client();
    BOOST_TEST(e.run(c.fetch("db-password")).value().reveal() == "s3cr3t"); // challenge done
    mock().reset_log();
    mock().add_fault(R"({"target":"vault","kind":"status","status":429,"count":4,"retry_after":3})");
    BOOST_TEST(e.run(c.fetch("db-password")).value().reveal() == "s3cr3t");
    std::vector<std::chrono::milliseconds> const asked(4, std::chrono::milliseconds(3000));
    BOOST_TEST(clock.sleeps() == asked, boost::test_tools::per_element());
    auto log = vault_requests("v1");
    BOOST_REQUIRE_EQUAL(log.size(), 5u);
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(log[i].status == 429u);
    BOOST_TEST(log[4].status == 200u);
}

BOOST_AUTO_TEST_CASE(a_429_storm_without_retry_after_backs_off_and_completes) {
    esx::testing::fake_clock clock;
    auto e = fake_clock_env(clock);
    auto c = e.client();
    BOOST_TEST(e.run(c.fetch("db-password")).value().reveal() == "s3cr3t");
    mock().add_fault(R"({"target":"vault","kind":"status","status":429,"count":3})");
    BOOST_TEST(e.run(c.fetch("db-password")).value().reveal() == "s3cr3t");
    BOOST_REQUIRE_EQUAL(clock.sleeps().size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) { // 800 ms * 2^i, jitter 0.8-1.3
        double const base = 800.0 * double(1u << i);
        BOOST_TEST(double(clock.sleeps()[i].count()) >= base * 0.8 - 1);
        BOOST_TEST(double(clock.sleeps()[i].count()) <= base * 1.3 + 1);
    }
}

BOOST_AUTO_TEST_CASE(the_vaults_own_rate_limit_is_ridden_out) {
    // The mock's per-vault sliding window is real time, so this storm waits for real
    // (about two seconds): the retry decorator sleeps what the vault asks for.
    using retrying = esx::transport::retry<esx::transport::https>;
    for (bool with_retry_after : {true, false}) {
        BOOST_TEST_CONTEXT("Retry-After sent: " << with_retry_after) {
            env<retrying> e([](auto ex) {
                esx::transport::retry_options o;
                o.max_attempts = 12;
                o.base_delay = std::chrono::milliseconds(250);
                o.max_delay = std::chrono::milliseconds(1000);
                return retrying(esx::transport::https(ex, transport_options()), o);
            });
            mock().set_throttle(with_retry_after ? R"({"vault":"busy","limit":4,"window_seconds":1,"retry_after":1})"
                                                 : R"({"vault":"busy","limit":4,"window_seconds":1,"retry_after":null})");
            auto c = e.client("busy");
            auto done = e.run([&]() -> net::awaitable<int> {
                int ok = 0;
                for (int i = 0; i < 10; ++i)
                    if (auto r = co_await c.fetch("hot"); r && r->reveal() == "x") ++ok;
                co_return ok;
            }());
            BOOST_TEST(done == 10);
            std::size_t throttled = 0;
            for (auto const& r : vault_requests("busy")) throttled += r.status == 429;
            BOOST_TEST(throttled > 0u);
            mock().set_throttle(R"({"vault":"busy","limit":100000,"window_seconds":1})");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
