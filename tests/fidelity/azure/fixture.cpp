// The in-process fixture (esx::mocks::azure::fixture), checked with a bare
// Beast client: no esx client code is involved.
#define BOOST_TEST_MODULE esx_mock_azure_fixture
#include <boost/test/unit_test.hpp>

#include "mocks/azure/fixture.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <string>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

// One HTTPS request on a fresh connection to 127.0.0.1:port with SNI and
// certificate verification against the mock's CA for `host`.
http::response<http::string_body> https(esx::mocks::azure::server const& s, std::string const& host,
                                        http::verb method, std::string const& target, std::string const& body = {},
                                        std::string const& content_type = {}, std::string const& bearer = {}) {
    net::io_context ioc;
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(s.ca_pem()));
    ctx.set_verify_mode(net::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    BOOST_REQUIRE(SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()) == 1);
    stream.set_verify_callback(net::ssl::host_name_verification(host));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(stream).connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
    stream.handshake(net::ssl::stream_base::client);
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host + ":" + std::to_string(s.port()));
    if (!content_type.empty())
        req.set(http::field::content_type, content_type);
    if (!bearer.empty())
        req.set(http::field::authorization, "Bearer " + bearer);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return res;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mocks_azure)

BOOST_FIXTURE_TEST_CASE(token_then_secret, esx::mocks::azure::fixture) {
    std::string const port = std::to_string(azure.port());
    BOOST_TEST(azure.authority() == "https://127.0.0.1:" + port);
    BOOST_TEST(azure.vault_url("v1") == "https://v1.vault.esx.test:" + port);

    std::string const vault_host = "v1." + azure.vault_suffix();
    auto challenge = https(azure, vault_host, http::verb::get, "/secrets/hello/?api-version=7.3");
    BOOST_TEST(challenge.result_int() == 401u);
    BOOST_TEST(std::string(challenge[http::field::www_authenticate]) ==
               "Bearer authorization=\"https://127.0.0.1:" + port + "/esx-tenant\", resource=\"https://vault.esx.test:" +
                   port + "\"");

    auto token = https(azure, "localhost", http::verb::post, "/esx-tenant/oauth2/v2.0/token",
                       "grant_type=client_credentials&client_id=esx-client&client_secret=esx-secret&scope=https%3A%2F%2F"
                       "vault.esx.test%3A" + port + "%2F.default",
                       "application/x-www-form-urlencoded");
    BOOST_TEST_REQUIRE(token.result_int() == 200u);
    json::object const t = json::parse(token.body()).as_object();
    BOOST_TEST(t.at("token_type").as_string() == "Bearer");
    BOOST_TEST(t.at("expires_in").as_int64() == 3600);
    std::string const access(t.at("access_token").as_string());

    auto secret = https(azure, vault_host, http::verb::get, "/secrets/hello?api-version=7.3", {}, {}, access);
    BOOST_TEST_REQUIRE(secret.result_int() == 200u);
    json::object const b = json::parse(secret.body()).as_object();
    BOOST_TEST(b.at("value").as_string() == "world");
    BOOST_TEST(b.at("attributes").as_object().at("created").is_int64());

    auto log = azure.requests();
    BOOST_TEST_REQUIRE(log.size() == 3u);
    BOOST_TEST(log[0].service == "vault");
    BOOST_TEST(log[0].status == 401u);
    BOOST_TEST(log[1].service == "aad");
    BOOST_TEST(log[1].identity == "esx-client");
    BOOST_TEST(log[2].identity == "esx-client");
    BOOST_TEST(log[2].host == vault_host + ":" + port);

    // A fault for the next request only.
    azure.add_fault(R"({"target": "vault", "kind": "status", "status": 503})");
    BOOST_TEST(https(azure, vault_host, http::verb::get, "/secrets/hello?api-version=7.3", {}, {}, access).result_int() ==
               503u);
    BOOST_TEST(https(azure, vault_host, http::verb::get, "/secrets/hello?api-version=7.3", {}, {}, access).result_int() ==
               200u);
    BOOST_CHECK_THROW(azure.add_fault("{\"kind\": \"nonsense\"}"), std::invalid_argument);
    azure.reset_log();
    BOOST_TEST(azure.requests().empty());
}

BOOST_AUTO_TEST_CASE(faults_from_the_seed_apply_from_the_first_request) {
    esx::mocks::azure::options opts;
    opts.seed_json = R"({"tenants": ["t"],
                         "service_principals": [{"client_id": "c", "secrets": ["s"]}],
                         "vaults": [{"name": "kv"}],
                         "faults": [{"target": "aad", "kind": "status", "status": 503, "count": 2}]})";
    esx::mocks::azure::server s(opts);
    std::string const form = "grant_type=client_credentials&client_id=c&client_secret=s&scope=https%3A%2F%2F"
                             "vault.esx.test%3A" + std::to_string(s.port()) + "%2F.default";
    auto token = [&] {
        return https(s, "localhost", http::verb::post, "/t/oauth2/v2.0/token", form,
                     "application/x-www-form-urlencoded").result_int();
    };
    BOOST_TEST(token() == 503u);
    BOOST_TEST(token() == 503u);
    BOOST_TEST(token() == 200u);

    opts.seed_json = R"({"faults": [{"kind": "explode"}]})";
    BOOST_CHECK_EXCEPTION(esx::mocks::azure::server bad(opts), std::runtime_error, [](std::runtime_error const& e) {
        return std::string(e.what()).find("seed: faults[0]") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(expired_token_gets_the_challenge) {
    // token_lifetime -60: every token is issued already expired.
    esx::mocks::azure::options opts;
    opts.seed_json = R"({"token_lifetime": -60, "tenants": ["t"],
                         "service_principals": [{"client_id": "c", "secrets": ["s"]}],
                         "vaults": [{"name": "kv", "secrets": [{"name": "a", "versions": [{"value": "b"}]}]}],
                         "access": [{"identity": "c", "vault": "kv", "secrets": ["get"]}]})";
    esx::mocks::azure::server azure(opts);
    std::string const port = std::to_string(azure.port());
    auto token = https(azure, "localhost", http::verb::post, "/t/oauth2/v2.0/token",
                       "grant_type=client_credentials&client_id=c&client_secret=s&scope=https://vault.esx.test/.default",
                       "application/x-www-form-urlencoded");
    BOOST_TEST_REQUIRE(token.result_int() == 200u);
    std::string const access(json::parse(token.body()).at("access_token").as_string());
    auto res = https(azure, "kv.vault.esx.test", http::verb::get, "/secrets/a?api-version=7.6", {}, {}, access);
    BOOST_TEST(res.result_int() == 401u);
    BOOST_TEST(std::string(res[http::field::www_authenticate]).find("authorization=\"https://127.0.0.1:" + port + "/t\"") !=
               std::string::npos);
    BOOST_TEST(json::parse(res.body()).at("error").at("message").as_string() == "The access token has expired.");
}

BOOST_FIXTURE_TEST_CASE(throttle_set_at_run_time, esx::mocks::azure::fixture) {
    std::string const port = std::to_string(azure.port());
    auto token = https(azure, "127.0.0.1", http::verb::post, "/esx-tenant/oauth2/v2.0/token",
                       "grant_type=client_credentials&client_id=esx-client&client_secret=esx-secret&scope=https://"
                       "vault.esx.test:" + port + "/.default",
                       "application/x-www-form-urlencoded");
    std::string const access(json::parse(token.body()).at("access_token").as_string());
    azure.set_throttle(R"({"vault": "v1", "limit": 2, "window_seconds": 600, "retry_after": 9})");
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(https(azure, "v1.vault.esx.test", http::verb::get, "/secrets/hello?api-version=7.3", {}, {}, access)
                       .result_int() == 200u);
    auto res = https(azure, "v1.vault.esx.test", http::verb::get, "/secrets/hello?api-version=7.3", {}, {}, access);
    BOOST_TEST(res.result_int() == 429u);
    BOOST_TEST(std::string(res[http::field::retry_after]) == "9");
    BOOST_TEST(json::parse(res.body()).at("error").at("code").as_string() == "Throttled");
    BOOST_CHECK_THROW(azure.set_throttle(R"({"vault": "nope"})"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(invalid_seed_is_rejected) {
    esx::mocks::azure::options opts;
    opts.seed_json = R"({"tenants": []})";
    BOOST_CHECK_THROW(esx::mocks::azure::server{opts}, std::runtime_error);
    opts.seed_json = "not json";
    BOOST_CHECK_THROW(esx::mocks::azure::server{opts}, std::runtime_error);
    opts.seed_json = R"({"tenants": ["t"], "vaults": [{"name": "kv", "secrets": [{"name": "bad_name", "versions": [{"value": "x"}]}]}]})";
    BOOST_CHECK_THROW(esx::mocks::azure::server{opts}, std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
