// The security rules of DESIGN.md ("Rules that are never traded away") tried as an attacker
// would, with esx's real clients against the mock servers over loopback TLS:
// - hostile vault URLs, nextLinks and redirects never get a token: a trap server with a
//   certificate the transport trusts answers for every hostile name, so only esx's own checks
//   stand between the token and the trap; the mock's and the trap's request logs show where
//   every request with `Authorization` went;
// - challenges naming another resource or tenant, a vault re-challenging every token with a
//   foreign challenge (no token-endpoint amplification) and a vault answering 401 for ever;
// - a namespaced SecretStore reads credentials only in its own namespace (the mock
//   Kubernetes API server's log), and controller identities need an opt-in;
// - known marker values (secret values, the client secret, the token's signature) appear in
//   no log line, failure message, exception text or request log of esx's own requests.
#include "mocks/azure/server.hpp"
#include "mocks/common/pki.hpp"
#include "mocks/kube/server.hpp"
#include "tests/support/run.hpp"
#include "tests/support/scripted_server.hpp"

#include <esx/auth.hpp>
#include <esx/auth/kube_client_access.hpp>
#include <esx/keyvault/client.hpp>
#include <esx/kube/client.hpp>
#include <esx/log.hpp>
#include <esx/spec/validate.hpp>
#include <esx/transport/http.hpp>
#include <esx/transport/https.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

namespace kv = esx::keyvault;
namespace net = boost::asio;
namespace spec = esx::spec;
namespace pki = esx::mocks::pki;
namespace http = esx::test::http;

// ---- markers: values that must never show up anywhere but where the protocol needs them ----

std::string const marker_value = "marker-value-7f3a1c";       // v1/db-password
std::string const marker_value_2 = "marker-value-b2c94e";     // v1/api-key
std::string const marker_denied = "marker-denied-0d8e2a";     // v2/locked: esx-client may not read it
std::string const marker_written = "marker-written-55e1f0";   // what a test writes with set_secret
std::string const marker_client_secret = "marker-client-secret-91d0aa";
std::string const marker_kube_secret = "marker-kube-client-secret-3c7b";

std::string azure_seed() {
    auto secret = [](std::string name, std::string value) {
        return boost::json::object{{"name", std::move(name)},
                                   {"versions", boost::json::array{boost::json::object{{"value", std::move(value)}}}}};
    };
    boost::json::object seed{
        {"vault_suffix", "vault.esx.test"},
        {"tenants", boost::json::array{boost::json::object{{"id", "esx-tenant"}}}},
        {"service_principals",
         boost::json::array{boost::json::object{{"tenant", "esx-tenant"},
                                                {"client_id", "esx-client"},
                                                {"secrets", boost::json::array{boost::json::value(marker_client_secret)}}}}},
        {"vaults", boost::json::array{
                       boost::json::object{{"name", "v1"},
                                           {"tenant", "esx-tenant"},
                                           {"secrets", boost::json::array{secret("db-password", marker_value),
                                                                          secret("api-key", marker_value_2)}}},
                       boost::json::object{{"name", "v2"},
                                           {"tenant", "esx-tenant"},
                                           {"secrets", boost::json::array{secret("locked", marker_denied)}}}}},
        {"access", boost::json::array{boost::json::object{{"identity", "esx-client"},
                                                          {"vault", "v1"},
                                                          {"secrets", boost::json::array{"all"}}}}}};
    return boost::json::serialize(seed);
}

// One mock for the program (its keys take a while); stopped by the global fixture.
std::unique_ptr<esx::mocks::azure::server> the_mock;
esx::mocks::azure::server& mock() {
    if (!the_mock) {
        esx::mocks::azure::options o;
        o.seed_json = azure_seed();
        the_mock = std::make_unique<esx::mocks::azure::server>(std::move(o));
    }
    return *the_mock;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/** A server that would gladly take a token: TLS with a certificate (from a CA the transport
    trusts) for every hostile name, so a request that got past esx's checks would land here
    and be logged. As `v1.vault.esx.test` it also plays a vault of the cloud that answers the
    probe with a genuine challenge and a request with a token with a page whose `nextLink`
    is set by the test. */
struct trap_server {
    struct seen {
        std::string host, target;
        bool authorization = false;
    };
    static std::vector<std::string> names() {
        return {"v1.vault.esx.test", "v2.vault.esx.test", "vault.esx.test",           "evil.example",
                "v1.vault.esx.test.evil.example",           "v1.vault.azure.net",       "a.b.vault.esx.test",
                "v1.evilvault.esx.test",                    "localhost"};
    }

    pki::authority ca = pki::authority::generate("esx security trap CA");
    pki::issued leaf = ca.issue_server(names(), {"127.0.0.1", "::1"});
    mutable std::mutex mutex;
    std::vector<seen> log;
    std::string next_link;
    std::unique_ptr<esx::test::scripted_server> server;

    trap_server() {
        esx::test::server_options o;
        o.tls = true;
        o.cert_pem = leaf.cert_pem;
        o.key_pem = leaf.key_pem;
        server = std::make_unique<esx::test::scripted_server>(o, [this](http::request<http::string_body> const& req) {
            std::string host = lower(std::string(req[http::field::host]));
            bool const has_token = req.find(http::field::authorization) != req.end();
            std::string link;
            {
                std::lock_guard lock(mutex);
                log.push_back({host, std::string(req.target()), has_token});
                link = next_link;
            }
            if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
                host.resize(colon);
            http::response<http::string_body> res;
            res.version(11);
            res.set(http::field::content_type, "application/json");
            if (host == "v1.vault.esx.test" && !has_token) {
                res.result(401);
                res.set(http::field::www_authenticate, "Bearer authorization=\"" + mock().authority() +
                                                            "/esx-tenant\", resource=\"https://vault.esx.test\"");
                res.body() = R"({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}})";
            } else {
                res.result(200);
                boost::json::object page{
                    {"value", boost::json::array{boost::json::object{{"id", "https://v1.vault.esx.test/secrets/a"},
                                                                     {"attributes", {{"enabled", true}}}}}}};
                if (link.empty()) page["nextLink"] = nullptr;
                else page["nextLink"] = link;
                res.body() = boost::json::serialize(page);
            }
            return esx::test::action::respond(std::move(res));
        });
    }
    std::string port() const { return std::to_string(server->port()); }
    std::vector<seen> requests() const {
        std::lock_guard lock(mutex);
        return log;
    }
    void reset(std::string link = {}) {
        std::lock_guard lock(mutex);
        log.clear();
        next_link = std::move(link);
    }
};

std::unique_ptr<trap_server> the_trap;
trap_server& trap() {
    if (!the_trap) the_trap = std::make_unique<trap_server>();
    return *the_trap;
}

struct stop_the_servers {
    ~stop_the_servers() {
        the_trap.reset();
        the_mock.reset();
    }
};
BOOST_TEST_GLOBAL_FIXTURE(stop_the_servers);

char const* no_env(char const*) { return nullptr; }

esx::cloud mock_cloud() {
    esx::custom_cloud_config custom{mock().authority(), std::nullopt, std::string("vault.esx.test"), std::nullopt};
    return esx::cloud_for("AzureStackCloud", custom, &no_env).value();
}

std::string mock_port() { return std::to_string(mock().port()); }

/// Trusts both the mock's CA and the trap's; every name (and literal) the hostile URLs use
/// resolves to the trap on the trap's port, and the mock's vault and v2 to the mock.
esx::transport::options transport_options(esx::log::logger logger = esx::log::default_logger()) {
    esx::transport::options o;
    o.ca_pem = mock().ca_pem() + trap().ca.cert_pem();
    for (auto const& name : trap_server::names()) o.resolve[name + ":" + trap().port()] = "127.0.0.1";
    for (char const* literal : {"[::1]", "2130706433", "127.0.0.1"}) o.resolve[literal + (":" + trap().port())] = "127.0.0.1";
    for (char const* vault : {"v1", "v2"}) o.resolve[std::string(vault) + ".vault.esx.test:" + mock_port()] = "127.0.0.1";
    o.logger = std::move(logger);
    return o;
}

esx::auth::service_principal<> mock_service_principal() {
    esx::auth::service_principal_options o;
    o.tenant_id = "esx-tenant";
    o.client_id = "esx-client";
    o.credential = esx::auth::client_secret{esx::secret_bytes(marker_client_secret)};
    o.cloud = mock_cloud();
    return esx::auth::service_principal<>::make(std::move(o)).value();
}

using sp_t = esx::auth::service_principal<>;
using client_t = kv::client<sp_t, esx::transport::https>;

/// A fresh io_context, transport and service principal (its own token cache) per test, with
/// the mock's faults cleared and both request logs emptied.
struct world {
    net::io_context ioc;
    esx::transport::https transport;
    sp_t sp = mock_service_principal();
    esx::cloud cloud = mock_cloud();

    explicit world(esx::log::logger logger = esx::log::default_logger())
        : transport(ioc.get_executor(), transport_options(logger)) {
        mock().clear_faults();
        mock().reset_log();
        trap().reset();
    }
    client_t client(std::string const& url, kv::client_options o = {}) {
        return client_t::make(sp, transport, cloud, url, std::move(o)).value();
    }
    template <class T>
    T run(net::awaitable<T> task) {
        return esx::test::run(ioc, std::move(task));
    }
    std::size_t token_requests() const {
        std::size_t n = 0;
        for (auto const& r : mock().requests()) n += r.service == "aad" && r.path.ends_with("/oauth2/v2.0/token");
        return n;
    }
};

/// The rule of the issue: no request carrying `Authorization` reached a host other than the
/// vault (`allowed_vault`, "host:port", lower case) and the authority (which gets none: the
/// token request carries its credential in the body). Checked over both logs.
void only_the_vault_saw_a_token(std::string const& allowed_vault) {
    for (auto const& r : mock().requests()) {
        BOOST_TEST_CONTEXT(r.service << " " << r.method << " " << r.host << r.path) {
            if (r.authorization) {
                BOOST_TEST(r.service == "vault");
                BOOST_TEST(lower(r.host) == allowed_vault);
            }
        }
    }
    for (auto const& r : trap().requests()) {
        BOOST_TEST_CONTEXT("trap " << r.host << r.target) {
            if (r.authorization) BOOST_TEST(r.host == allowed_vault);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(security)

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(hostile_vault_urls)

// Each hostile URL is refused by `client::make` (the gate every path, the pipeline's included,
// goes through) with its own reason naming vaultUrl; had one slipped through, its host
// resolves to the trap, whose certificate the transport trusts, and the logs would show it.
BOOST_AUTO_TEST_CASE(thirty_hostile_vault_urls_get_no_token_and_each_its_own_reason) {
    world w;
    std::string const T = ":" + trap().port(), P = ":" + mock_port();
    struct hostile {
        std::string url, reason;
    };
    std::vector<hostile> const cases{
        {"http://v1.vault.esx.test" + P, "not http://"},
        {"ftp://v1.vault.esx.test" + P, "the scheme \"ftp\" is not https"},
        {"v1.vault.esx.test" + P, "must be an absolute https:// URL"},
        {"https://v1.vault.azure.net" + T, "must end with \".vault.esx.test\""},  // another cloud's suffix
        {"https://v1.vault.esx.test.evil.example" + T, "must end with \".vault.esx.test\""},
        {"https://V1.VAULT.ESX.TEST.EVIL.EXAMPLE" + T, "must end with \".vault.esx.test\""},
        {"https://v1.evilvault.esx.test" + T, "must end with \".vault.esx.test\""},
        {"https://vault.esx.test" + P, "must end with \".vault.esx.test\""},
        {"https://evil.example" + T + "/v1.vault.esx.test", "must not have a path"},
        {"https://evil.example" + T + "?v1.vault.esx.test", "must not have a query"},
        {"https://v1.vault.esx.test" + P + "#@evil.example" + T, "must not have a fragment"},
        {"https://v1.vault.esx.test@evil.example" + T, "must not have user info"},
        {"https://v1.vault.esx.test" + P + "@evil.example" + T, "must not have user info"},
        {"https://127.0.0.1" + T, "the host is an IP address"},
        {"https://2130706433" + T, "the host is an IP address"},
        {"https://[::1]" + T, "the host is an IPv6 address"},
        {"https://v1.vault.esx.test." + T, "the host ends with a dot"},
        {"https://v1.vault.esx.test%2eevil.example" + T, "must not be percent-encoded"},
        {"https://v1%2Evault.esx.test" + P, "must not be percent-encoded"},
        {"https://v1.vault.esx.test" + P + ":443", "more than one port"},
        {"https://v1.vault.esx.test:99999", "is not a number from 1 to 65535"},
        {"https://v1.vault.esx.test:0x1bb", "is not a number from 1 to 65535"},
        {"https://v1.vault.esx.test:", "no port number"},
        {"https://..vault.esx.test" + T, "empty label"},
        {"https://a.b.vault.esx.test" + T, "single DNS label"},
        {"https://-v1.vault.esx.test" + P, "is not a DNS label"},
        {"https://v1_x.vault.esx.test" + P, "the host has '_'"},
        {"https://evil.example\\.vault.esx.test" + T, "backslash"},
        {"https://v1.vault.esx.test\t.evil.example" + T, "control character at offset 25"},
        {"https://v1.vault.esx.test\r\nHost: evil.example" + T, "control character"},
        {"https://v1.vault.esx.t\xc3\xa9st" + T, "non-ASCII byte"},
        {"https://v1.vault.esx.test /" + P, "a space at offset 25"},
        {"", "must not be empty"},
    };
    BOOST_TEST(cases.size() >= 20u);
    for (auto const& h : cases) {
        BOOST_TEST_CONTEXT(h.url) {
            auto c = client_t::make(w.sp, w.transport, w.cloud, h.url);
            BOOST_REQUIRE(!c);
            BOOST_TEST((c.error() == kv::error::vault_url_refused));
            BOOST_TEST((c.error() == esx::condition::invalid_input));
            std::string const message = c.error().what();
            BOOST_TEST(message.starts_with("spec.provider.azurekv.vaultUrl "));
            BOOST_TEST(message.find(h.reason) != std::string::npos, message);
            bool const own_reason = message.find("user info") == std::string::npos || h.reason.find("user info") != std::string::npos;
            BOOST_TEST(own_reason, message); // each cause its own reason, not "user info" for all
            BOOST_TEST(message.find('\n') == std::string::npos);
            BOOST_TEST(message.find('\t') == std::string::npos);
        }
    }
    BOOST_TEST(mock().requests().empty());
    BOOST_TEST(trap().requests().empty());
}

// Azure's vault naming rule holds in Azure's own zones; the scheme and host in any case are
// the same vault (Go's url.Parse and DNS are case-insensitive).
BOOST_AUTO_TEST_CASE(azure_vault_names_follow_azures_rule_and_case_does_not_matter) {
    auto pub = esx::clouds::public_cloud();
    for (char const* bad : {"https://ab.vault.azure.net", "https://1vault.vault.azure.net", "https://my--vault.vault.azure.net",
                            "https://myvault-.vault.azure.net", "https://a234567890123456789012345.vault.azure.net"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto r = kv::parse_vault_url(pub, bad);
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().what().find("is not a Key Vault name: 3-24 characters") != std::string::npos);
        }
    }
    for (char const* good : {"HTTPS://MyVault.Vault.Azure.Net/", "Https://myvault.vault.azure.net", "https://my-vault-01.vault.azure.net:443",
                             "https://abc.vault.azure.net", "https://a23456789012345678901234.vault.azure.net"}) {
        BOOST_TEST_CONTEXT(good) {
            auto r = kv::parse_vault_url(pub, good);
            BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
            BOOST_TEST(r->origin.starts_with("https://"));
            BOOST_TEST(r->host == lower(r->host));
            BOOST_TEST(r->port == 443);
        }
    }
    BOOST_TEST(kv::parse_vault_url(pub, "HTTPS://MyVault.Vault.Azure.Net/")->origin == "https://myvault.vault.azure.net");
}

// The manifest check agrees: an upper-case scheme passes `spec::validate`, http does not.
BOOST_AUTO_TEST_CASE(manifest_validation_reads_the_scheme_case_insensitively) {
    auto store_with = [](std::string url) {
        spec::secret_store s;
        s.api_version = "external-secrets.io/v1";
        s.kind = spec::store_kind::secret_store;
        s.metadata.name = "azure";
        s.metadata.namespace_ = "apps";
        s.spec.provider.auth_type = spec::azure_auth_type::service_principal;
        s.spec.provider.tenant_id = "esx-tenant";
        s.spec.provider.vault_url = std::move(url);
        s.spec.provider.auth_secret_ref = spec::azurekv_auth_secret_ref{
            spec::secret_key_selector{"creds", "ClientID", std::nullopt},
            spec::secret_key_selector{"creds", "ClientSecret", std::nullopt}, std::nullopt, std::nullopt};
        return s;
    };
    for (char const* url : {"HTTPS://MyVault.vault.azure.net", "Https://myvault.vault.azure.net/"}) {
        auto ok = spec::validate(store_with(url));
        BOOST_TEST_CONTEXT(url) {
            std::string const problems = ok ? std::string() : ok.error().what();
            BOOST_TEST(problems.find("vaultUrl") == std::string::npos, problems);
        }
    }
    auto plain = spec::validate(store_with("http://myvault.vault.azure.net"));
    BOOST_REQUIRE(!plain);
    BOOST_TEST(plain.error().what().find("spec.provider.azurekv.vaultUrl: must be an https:// URL") != std::string::npos);
}

// `HTTPS://V1.VAULT.ESX.TEST:P/` is the vault v1: reads work, and the only requests with a
// token went to v1 (as the lower-case host), none to anything else.
BOOST_AUTO_TEST_CASE(an_upper_case_vault_url_reads_and_tokens_go_to_that_vault_only) {
    world w;
    auto c = w.client("HTTPS://V1.VAULT.ESX.TEST:" + mock_port() + "/");
    BOOST_TEST(c.endpoint().origin == mock().vault_url("v1"));
    auto r = w.run(c.fetch("db-password"));
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_TEST(r->reveal() == marker_value);
    only_the_vault_saw_a_token("v1.vault.esx.test:" + mock_port());
    BOOST_TEST(w.token_requests() == 1u);
}

// The trap plays vault v1 (genuine challenge) and sends a nextLink elsewhere: to another host,
// another port of the same name, plain http, another vault of the same cloud, user info.
BOOST_AUTO_TEST_CASE(a_next_link_that_leaves_the_vault_is_not_followed) {
    std::string const T = ":" + trap().port(), P = ":" + mock_port();
    std::string const rest = "/secrets?api-version=7.4&$skiptoken=x";
    for (std::string const& link :
         {"https://evil.example" + T + rest, "https://v1.vault.esx.test.evil.example" + T + rest,
          "https://v1.vault.esx.test" + P + rest, "http://v1.vault.esx.test" + T + rest,
          "https://v2.vault.esx.test" + T + rest, "https://v1.vault.esx.test" + T + "@evil.example" + T + rest,
          "https://127.0.0.1" + T + rest, "//evil.example" + T + rest}) {
        BOOST_TEST_CONTEXT(link) {
            world w;
            trap().reset(link);
            auto c = w.client("https://v1.vault.esx.test" + T);
            auto r = w.run(c.list_secrets());
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error() == kv::error::next_link_refused));
            auto const seen = trap().requests();
            BOOST_TEST(seen.size() == 2u); // the probe and the first page, nothing after
            only_the_vault_saw_a_token("v1.vault.esx.test" + T);
            BOOST_TEST(w.token_requests() == 1u);
        }
    }
}

// The mock's vault v1 answers every request with a token by a redirect elsewhere: the
// client follows none, and the redirect target never sees a request.
BOOST_AUTO_TEST_CASE(a_redirect_from_the_vault_is_not_followed) {
    std::string const T = ":" + trap().port();
    for (std::string const& location : {"https://evil.example" + T + "/secrets/db-password?api-version=7.4",
                                        "https://v2.vault.esx.test:" + mock_port() + "/secrets/locked?api-version=7.4",
                                        "http://v1.vault.esx.test:" + mock_port() + "/secrets/db-password"}) {
        for (unsigned status : {301u, 302u, 307u, 308u}) {
            BOOST_TEST_CONTEXT(status << " " << location) {
                world w;
                boost::json::object fault{{"kind", "redirect"}, {"vault", "v1"}, {"status", status},
                                          {"location", location}, {"authorized_only", true}, {"count", -1}};
                mock().add_fault(boost::json::serialize(fault));
                auto c = w.client(mock().vault_url("v1"));
                auto r = w.run(c.get_secret("db-password"));
                BOOST_REQUIRE(!r);
                BOOST_TEST(r.error().what().find(std::to_string(status)) != std::string::npos, r.error().what());
                std::size_t redirected = 0;
                for (auto const& rec : mock().requests()) redirected += rec.fault == "redirect";
                BOOST_TEST(redirected == 1u);
                BOOST_TEST(trap().requests().empty());
                only_the_vault_saw_a_token("v1.vault.esx.test:" + mock_port());
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(challenges)

BOOST_AUTO_TEST_CASE(a_challenge_naming_another_resource_is_refused_before_any_token_request) {
    for (char const* resource : {"https://vault.attacker.example", "https://vault.azure.net", "https://management.azure.com",
                                 "https://v1.vault.esx.test", "http://vault.esx.test", "https://esx.test"}) {
        BOOST_TEST_CONTEXT(resource) {
            world w;
            mock().add_fault(boost::json::serialize(
                boost::json::object{{"kind", "challenge"}, {"vault", "v1"}, {"resource", resource}}));
            auto c = w.client(mock().vault_url("v1"));
            auto r = w.run(c.get_secret("db-password"));
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error() == kv::error::challenge_refused));
            BOOST_TEST(r.error().what().find("does not match the requested domain") != std::string::npos);
            BOOST_TEST(r.error().what().find("no token was asked for or sent") != std::string::npos, r.error().what());
            BOOST_TEST(w.token_requests() == 0u);
            BOOST_TEST(mock().requests().size() == 1u); // the token-less probe only
            BOOST_TEST(!c.cached_challenge().has_value());
        }
    }
}

// A challenge naming a tenant that is not the credential's own: refused by the policy before
// anything is asked of Entra ID (as azidentity does without AdditionallyAllowedTenants).
BOOST_AUTO_TEST_CASE(a_challenge_naming_another_tenant_is_refused_before_any_token_request) {
    world w;
    mock().add_fault(R"({"kind":"challenge","vault":"v1","tenant":"attacker-tenant"})");
    auto c = w.client(mock().vault_url("v1"));
    auto r = w.run(c.get_secret("db-password"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what().find("names tenant \"attacker-tenant\"") != std::string::npos, r.error().what());
    BOOST_TEST(r.error().what().find("no token was asked for") != std::string::npos);
    BOOST_TEST(w.token_requests() == 0u);
    for (auto const& rec : mock().requests()) BOOST_TEST(!rec.authorization);
}

// Defect 1 of issue 14: a vault under the suffix that answers every request carrying a token
// with a foreign challenge. N operations cost one token request in all (the refused
// re-challenge leaves the identity's cached token alone), and the refusal says a token was sent.
BOOST_AUTO_TEST_CASE(a_foreign_rechallenge_of_every_token_costs_one_token_request_in_all) {
    world w;
    mock().add_fault(R"({"kind":"challenge","vault":"v1","resource":"https://vault.attacker.example",)"
                     R"("authorized_only":true,"count":-1})");
    auto c = w.client(mock().vault_url("v1"));
    auto second = w.client(mock().vault_url("v1")); // another store of the same identity
    constexpr int operations = 20;
    int refused = 0;
    for (int i = 0; i < operations; ++i) {
        auto r = w.run((i % 2 ? second : c).get_secret("db-password"));
        BOOST_REQUIRE(!r);
        refused += r.error() == kv::error::challenge_refused;
        if (i == 0) {
            BOOST_TEST(r.error().what().find("no token was sent") == std::string::npos, r.error().what());
            BOOST_TEST(r.error().what().find("carried the vault's token") != std::string::npos, r.error().what());
        }
    }
    BOOST_TEST(refused == operations);
    BOOST_TEST(w.token_requests() == 1u);
    std::size_t with_token = 0;
    for (auto const& rec : mock().requests()) with_token += rec.authorization;
    BOOST_TEST(with_token == std::size_t(operations)); // one per operation, no retry with a new token
    // The accepted challenge stays as it was: the foreign one was never cached.
    BOOST_REQUIRE(c.cached_challenge().has_value());
    BOOST_TEST(c.cached_challenge()->resource.find("attacker") == std::string::npos);
    only_the_vault_saw_a_token("v1.vault.esx.test:" + mock_port());
}

// A vault that answers 401 with its own (valid) challenge to every token: one re-challenge
// with one fresh token, then the 401 is reported; never a loop.
BOOST_AUTO_TEST_CASE(a_vault_answering_401_for_ever_gets_one_rechallenge) {
    world w;
    std::string const own_resource = "https://vault.esx.test:" + mock_port();
    mock().add_fault(boost::json::serialize(boost::json::object{{"kind", "challenge"}, {"vault", "v1"},
                                                                {"resource", own_resource}, {"tenant", "esx-tenant"},
                                                                {"authorized_only", true}, {"count", -1}}));
    auto c = w.client(mock().vault_url("v1"));
    auto r = w.run(c.get_secret("db-password"));
    BOOST_REQUIRE(!r);
    BOOST_TEST((kv::classify(r.error()) == kv::problem::unauthorized));
    auto const log = mock().requests();
    std::size_t vault = 0, with_token = 0;
    for (auto const& rec : log) {
        vault += rec.service == "vault";
        with_token += rec.authorization;
    }
    BOOST_TEST(vault == 3u);      // probe, the token, one retry with a fresh token
    BOOST_TEST(with_token == 2u);
    BOOST_TEST(w.token_requests() == 2u);
    // The next operation starts over once more: still bounded, 2 requests with a token each.
    auto again = w.run(c.get_secret("db-password"));
    BOOST_REQUIRE(!again);
    BOOST_TEST(w.token_requests() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(namespaces)

std::string kube_seed() {
    auto creds = [](char const* ns) {
        return boost::json::object{{"apiVersion", "v1"}, {"kind", "Secret"},
                                   {"metadata", {{"name", "creds"}, {"namespace", ns}}},
                                   {"stringData", {{"ClientID", "esx-client"}, {"ClientSecret", marker_kube_secret}}}};
    };
    auto sa = [](char const* ns) {
        return boost::json::object{{"apiVersion", "v1"}, {"kind", "ServiceAccount"},
                                   {"metadata", {{"name", "sync"}, {"namespace", ns},
                                                 {"annotations", {{"azure.workload.identity/client-id", "wi-app"},
                                                                  {"azure.workload.identity/tenant-id", "esx-tenant"}}}}}};
    };
    return boost::json::serialize(boost::json::object{
        {"users", boost::json::array{boost::json::object{{"name", "admin"}, {"token", "esx-admin-token"},
                                                         {"groups", boost::json::array{"system:masters"}}}}},
        {"namespaces", boost::json::array{"default", "apps", "other"}},
        {"objects", boost::json::array{creds("apps"), creds("other"), sa("apps"), sa("other")}}});
}

using kube_client_t = esx::kube::client<>;
using access_t = esx::auth::kube_client_access<kube_client_t>;
using all_t = esx::auth::any_of<esx::auth::service_principal<>, esx::auth::managed_identity<>,
                                esx::auth::workload_identity<>>;

struct cluster {
    esx::mocks::kube::server kube{[] {
        esx::mocks::kube::options o;
        o.seed_json = kube_seed();
        return o;
    }()};
    net::io_context ioc;
    esx::auth::store_auth_context<access_t> ctx;

    cluster() {
        esx::kube::config c;
        c.server = kube.url();
        c.ca_pem = kube.ca_pem();
        c.token = esx::kube::token_source::fixed(esx::secret_bytes(kube.token()));
        ctx.kube = std::make_shared<access_t>(std::make_shared<kube_client_t>(ioc.get_executor(), std::move(c)));
        ctx.getenv = [](char const*) -> char const* { return nullptr; };
        ctx.imds = std::make_shared<esx::transport::http>(ioc.get_executor());
        ctx.imds_endpoint = mock().imds_url() + "/metadata/identity/oauth2/token";
        mock().reset_log();
    }

    static spec::secret_store store(spec::store_kind kind, spec::azurekv_provider p) {
        spec::secret_store s;
        s.api_version = "external-secrets.io/v1";
        s.kind = kind;
        s.metadata.name = "azure";
        if (kind == spec::store_kind::secret_store) s.metadata.namespace_ = "apps";
        p.vault_url = "https://v1.vault.esx.test";
        p.tenant_id = "esx-tenant";
        s.spec.provider = std::move(p);
        return s;
    }
    static spec::azurekv_provider service_principal(std::optional<std::string> ns) {
        spec::azurekv_provider p;
        p.auth_type = spec::azure_auth_type::service_principal;
        p.auth_secret_ref = spec::azurekv_auth_secret_ref{spec::secret_key_selector{"creds", "ClientID", ns},
                                                          spec::secret_key_selector{"creds", "ClientSecret", ns},
                                                          std::nullopt, std::nullopt};
        return p;
    }
    static spec::azurekv_provider workload_identity(std::optional<std::string> ns) {
        spec::azurekv_provider p;
        p.auth_type = spec::azure_auth_type::workload_identity;
        p.service_account_ref = spec::service_account_selector{"sync", std::move(ns), {}};
        return p;
    }

    esx::result<all_t, esx::failure> policy(spec::secret_store const& s, std::string es_namespace) {
        esx::cloud c = esx::clouds::public_cloud();
        return esx::test::run(ioc, esx::auth::policy_for_store<all_t>(ctx, s, std::move(c), std::move(es_namespace)));
    }
    /// Requests to the API server that touched namespace `ns`.
    std::vector<std::string> touched(std::string const& ns) const {
        std::vector<std::string> out;
        for (auto const& r : kube.requests())
            if (r.path.find("/namespaces/" + ns + "/") != std::string::npos) out.push_back(r.method + " " + r.path);
        return out;
    }
};

BOOST_FIXTURE_TEST_CASE(a_namespaced_store_cannot_read_credentials_of_another_namespace, cluster) {
    // Naming another namespace: refused, and the API server saw nothing of it.
    auto other = policy(store(spec::store_kind::secret_store, service_principal("other")), "apps");
    BOOST_REQUIRE(!other);
    BOOST_TEST(other.error().what().find("namespace should either be empty or match the namespace of the SecretStore") !=
               std::string::npos, other.error().what());
    BOOST_TEST(touched("other").empty(), touched("other").size() << " requests in namespace other");

    auto sa = policy(store(spec::store_kind::secret_store, workload_identity("other")), "apps");
    BOOST_REQUIRE(!sa);
    BOOST_TEST(sa.error().what().find("serviceAccountRef") != std::string::npos, sa.error().what());
    BOOST_TEST(touched("other").empty());

    // Naming none: the store's own namespace, whatever namespace the caller claims.
    auto own = policy(store(spec::store_kind::secret_store, service_principal(std::nullopt)), "apps");
    BOOST_REQUIRE_MESSAGE(own, (own ? "" : own.error().what()));
    BOOST_TEST(!touched("apps").empty());
    auto claimed = policy(store(spec::store_kind::secret_store, service_principal(std::nullopt)), "other");
    BOOST_TEST(touched("other").empty(), "a namespaced store read from namespace other");
    BOOST_TEST(claimed.has_value());
    auto own_sa = policy(store(spec::store_kind::secret_store, workload_identity(std::nullopt)), "other");
    BOOST_TEST(touched("other").empty());
    (void)own_sa;

    // A ClusterSecretStore may name the namespace (ESO's referent rules).
    auto cluster_store = policy(store(spec::store_kind::cluster_secret_store, service_principal("other")), "apps");
    BOOST_REQUIRE_MESSAGE(cluster_store, (cluster_store ? "" : cluster_store.error().what()));
    BOOST_TEST(!touched("other").empty());
    for (auto const* f : {&other, &sa})
        BOOST_TEST(f->error().what().find(marker_kube_secret) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(controller_identities_from_a_namespaced_store_need_an_opt_in, cluster) {
    spec::azurekv_provider mi;
    mi.auth_type = spec::azure_auth_type::managed_identity;
    mi.identity_id = "mi-user";
    auto mounted = workload_identity(std::nullopt);
    mounted.service_account_ref.reset();
    for (auto const& p : {mi, mounted}) {
        BOOST_TEST_CONTEXT(spec::to_string(p.auth_type)) {
            auto refused = policy(store(spec::store_kind::secret_store, p), "apps");
            BOOST_REQUIRE(!refused);
            std::string const m = refused.error().what();
            BOOST_TEST(m.find("not allowed in a namespaced SecretStore") != std::string::npos, m);
            BOOST_TEST(m.find("allow_controller_identity") != std::string::npos, m); // the remedy is named
            BOOST_TEST(m.find("ClusterSecretStore") != std::string::npos, m);
        }
    }
    BOOST_TEST(kube.requests().empty());
    for (auto const& r : mock().requests()) BOOST_TEST(r.service != "imds"); // nor was IMDS asked
    // Allowed: the managed identity policy is built (nothing is fetched until a token is asked).
    ctx.allow_controller_identity = true;
    auto allowed = policy(store(spec::store_kind::secret_store, mi), "apps");
    BOOST_TEST_MESSAGE((allowed ? std::string("allowed") : allowed.error().what()));
    BOOST_TEST(allowed.has_value());
    auto from_cluster_store = policy(store(spec::store_kind::cluster_secret_store, mi), "apps");
    BOOST_TEST(from_cluster_store.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(no_value_escapes)

// Reads, a write, not found, forbidden, a bad name, a foreign challenge, a foreign tenant, a
// redirect, a 401 for ever and a listing, all with every log line captured at trace level:
// no marker appears in a log line, a failure message, an exception text or the request logs
// (methods, hosts, paths, queries, identities) of esx's own requests.
BOOST_AUTO_TEST_CASE(markers_appear_in_no_log_line_failure_exception_or_request_log) {
    std::vector<std::string> lines;
    std::mutex lines_mutex;
    esx::log::logger capture(esx::log::level::trace, [&](std::string_view line) {
        std::lock_guard lock(lines_mutex);
        lines.emplace_back(line);
    });
    esx::log::logger const previous = esx::log::default_logger();
    esx::log::set_default_logger(capture);
    struct restore {
        esx::log::logger l;
        ~restore() { esx::log::set_default_logger(l); }
    } restore_default{previous};

    std::vector<std::string> texts; // failure messages and exception texts
    std::size_t successes = 0;
    {
        world w(capture);
        kv::client_options o;
        o.logger = capture;
        auto v1 = w.client(mock().vault_url("v1"), o);
        auto v2 = w.client(mock().vault_url("v2"), o);
        auto note = [&](auto const& r) {
            if (r) ++successes;
            else texts.push_back(r.error().what());
        };
        try {
            note(w.run(v1.fetch("db-password")));
            note(w.run(v1.fetch("secret/api-key")));
            note(w.run(v1.get_secret("db-password")));
            note(w.run(v1.set_secret("written", esx::secret_bytes(marker_written))));
            note(w.run(v1.get_secret("written")));
            note(w.run(v1.list_secrets()));
            note(w.run(v1.fetch("missing")));
            note(w.run(v2.fetch("locked")));                // 403
            note(w.run(v1.fetch("bad_name!")));             // refused before sending
            mock().add_fault(R"({"kind":"challenge","vault":"v1","resource":"https://vault.attacker.example","authorized_only":true})");
            note(w.run(v1.fetch("db-password")));
            mock().add_fault(R"({"kind":"redirect","vault":"v1","location":"https://evil.example/x","authorized_only":true})");
            note(w.run(v1.fetch("db-password")));
            mock().add_fault(R"({"kind":"challenge","vault":"v1","tenant":"esx-tenant","resource":"https://vault.esx.test:)" +
                             mock_port() + R"(","authorized_only":true,"count":2})");
            note(w.run(v1.fetch("db-password")));
            auto fresh = w.client(mock().vault_url("v2"), o);
            mock().add_fault(R"({"kind":"challenge","vault":"v2","tenant":"attacker-tenant"})");
            note(w.run(fresh.fetch("locked")));
        } catch (std::exception const& e) {
            texts.push_back(e.what());
            BOOST_ERROR("an exception escaped: " << e.what());
        }
        BOOST_TEST(successes == 6u);
        BOOST_TEST(texts.size() == 7u);

        // The token's signature, as the vault received it: the cache hands out the same token.
        auto token = w.run([](sp_t& sp, esx::transport::https& t) -> net::awaitable<esx::result<esx::auth::access_token, esx::failure>> {
            esx::auth::token_request const req{"https://vault.esx.test:" + mock_port() + "/.default", {}};
            co_return co_await sp.token(t, req);
        }(w.sp, w.transport));
        BOOST_REQUIRE(token);
        std::string_view const jwt = token->value.reveal();
        std::string const signature(jwt.substr(jwt.rfind('.') + 1));
        BOOST_REQUIRE(signature.size() > 20u);

        std::vector<std::string> markers{marker_value, marker_value_2, marker_denied, marker_written,
                                         marker_client_secret, signature};
        auto scan = [&](std::string const& where, std::string const& text) {
            for (auto const& m : markers)
                BOOST_TEST(text.find(m) == std::string::npos, where << " holds a marker: " << text.substr(0, 300));
        };
        BOOST_TEST(!lines.empty()); // something was logged (challenges, refusals)
        for (auto const& l : lines) scan("log line", l);
        for (auto const& t : texts) scan("failure", t);
        for (auto const& r : mock().requests())
            scan("mock request log", r.method + " " + r.host + " " + r.path + "?" + r.query + " " + r.identity + " " + r.fault);
        for (auto const& r : trap().requests()) scan("trap request log", r.host + r.target);
        // The secret values were read (the markers really passed through esx).
        BOOST_TEST(successes >= 3u);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
