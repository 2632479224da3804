// The in-process mock API server (esx::mocks::kube::server), checked with a
// bare Beast client: no esx client code is involved.
#define BOOST_TEST_MODULE esx_mock_kube_fixture
#include <boost/test/unit_test.hpp>

#include "mocks/kube/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace kube = esx::mocks::kube;

// A verified TLS connection to the mock (IP SAN 127.0.0.1, the mock's CA).
class client {
public:
    explicit client(kube::server const& s) : ctx_(net::ssl::context::tls_client), stream_(ioc_, ctx_) {
        ctx_.add_certificate_authority(net::buffer(s.ca_pem()));
        stream_.set_verify_mode(net::ssl::verify_peer);
        stream_.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(20));
        beast::get_lowest_layer(stream_).connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
        stream_.handshake(net::ssl::stream_base::client);
        token_ = s.token();
    }

    http::response<http::string_body> request(http::verb method, std::string const& target, std::string const& body = {},
                                              std::string const& content_type = "application/json", bool auth = true) {
        send(method, target, body, content_type, auth);
        http::response<http::string_body> res;
        http::read(stream_, buffer_, res);
        return res;
    }

    // Starts a watch: returns the status once the header is in; events are read with read_until().
    unsigned start_watch(std::string const& target) {
        send(http::verb::get, target, {}, {}, true);
        parser_ = std::make_unique<http::response_parser<http::empty_body>>();
        http::read_header(stream_, buffer_, *parser_);
        raw_ = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        return parser_->get().result_int();
    }

    // Reads the raw (chunked) stream until `needle` appears; false when the stream ends first.
    bool read_until(std::string const& needle) {
        while (raw_.find(needle) == std::string::npos) {
            char data[4096];
            beast::error_code ec;
            std::size_t const n = stream_.read_some(net::buffer(data), ec);
            if (ec)
                return false;
            raw_.append(data, n);
        }
        return true;
    }

    // True when the peer closed (or reset) the connection.
    bool closed_by_peer() {
        char data[4096];
        beast::error_code ec;
        while (!ec)
            stream_.read_some(net::buffer(data), ec);
        return ec != beast::error::timeout;
    }

    std::string const& raw() const { return raw_; }

private:
    void send(http::verb method, std::string const& target, std::string const& body, std::string const& content_type,
              bool auth) {
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (!content_type.empty())
            req.set(http::field::content_type, content_type);
        if (auth)
            req.set(http::field::authorization, "Bearer " + token_);
        req.body() = body;
        req.prepare_payload();
        http::write(stream_, req);
    }

    net::io_context ioc_;
    net::ssl::context ctx_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    std::unique_ptr<http::response_parser<http::empty_body>> parser_;
    std::string raw_;
    std::string token_;
};

json::object parse(std::string const& s) { return json::parse(s).as_object(); }

std::string secret(std::string const& name, std::string const& value) {
    return json::serialize(json::object{{"apiVersion", "v1"},
                                        {"kind", "Secret"},
                                        {"metadata", json::object{{"name", name}}},
                                        {"stringData", json::object{{"k", value}}}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mocks_kube)

BOOST_AUTO_TEST_CASE(startup_files_and_auth) {
    kube::server s;
    json::object const info = parse(s.startup_json());
    for (char const* k : {"server", "kubeconfig", "ca", "token", "issuer", "jwks_uri", "control"})
        BOOST_TEST(info.contains(k), k);
    BOOST_TEST(json::value_to<std::string>(info.at("server")) == "https://127.0.0.1:" + std::to_string(s.port()));
    BOOST_TEST(std::filesystem::exists(s.ca_file()));
    std::ifstream kc(s.kubeconfig_file());
    std::stringstream text;
    text << kc.rdbuf();
    BOOST_TEST(text.str().find("server: " + s.url()) != std::string::npos);
    BOOST_TEST(text.str().find("token: " + s.token()) != std::string::npos);

    client c(s);
    auto v = c.request(http::verb::get, "/version", {}, {}, false);
    BOOST_TEST(v.result_int() == 200u);
    BOOST_TEST(json::value_to<std::string>(parse(v.body()).at("minor")) == "31");
    auto denied = c.request(http::verb::get, "/api/v1/namespaces/default/secrets", {}, {}, false);
    BOOST_TEST(denied.result_int() == 401u);
    BOOST_TEST(json::value_to<std::string>(parse(denied.body()).at("reason")) == "Unauthorized");
}

BOOST_AUTO_TEST_CASE(crud_conflict_and_log) {
    kube::server s;
    client c(s);
    auto created = c.request(http::verb::post, "/api/v1/namespaces/default/secrets", secret("a", "1"));
    BOOST_TEST(created.result_int() == 201u);
    json::object obj = parse(created.body());
    BOOST_TEST(json::serialize(obj.at("data")) == R"({"k":"MQ=="})");
    BOOST_TEST(!obj.contains("stringData"));
    std::string const rv = json::value_to<std::string>(obj.at("metadata").at("resourceVersion"));
    BOOST_TEST(std::stoull(rv) == s.resource_version());

    obj["data"].as_object()["k"] = "Mg==";
    auto replaced = c.request(http::verb::put, "/api/v1/namespaces/default/secrets/a", json::serialize(obj));
    BOOST_TEST(replaced.result_int() == 200u);
    auto stale = c.request(http::verb::put, "/api/v1/namespaces/default/secrets/a", json::serialize(obj));
    BOOST_TEST(stale.result_int() == 409u);
    BOOST_TEST(json::value_to<std::string>(parse(stale.body()).at("reason")) == "Conflict");

    auto log = s.requests();
    BOOST_REQUIRE(log.size() == 3u);
    BOOST_TEST(log[0].method == "POST");
    BOOST_TEST(log[0].status == 201u);
    BOOST_TEST(log[2].status == 409u);
    BOOST_TEST(log[2].user == "admin");
    s.reset_log();
    BOOST_TEST(s.requests().empty());
}

BOOST_AUTO_TEST_CASE(an_in_process_observer_sees_each_committed_write_in_order) {
    kube::server s;
    client c(s);
    std::vector<std::string> seen;  // "TYPE resource ns/name rv"
    s.observe_changes([&](kube::change const& ch) {
        auto const& md = ch.object.at("metadata").as_object();
        seen.push_back(std::string(ch.type) + " " + std::string(ch.resource) + " " + std::string(ch.namespace_) + "/" +
                       json::value_to<std::string>(md.at("name")) + " " +
                       json::value_to<std::string>(md.at("resourceVersion")));
    });
    auto created = c.request(http::verb::post, "/api/v1/namespaces/default/secrets", secret("a", "1"));
    BOOST_TEST(created.result_int() == 201u);
    std::string const rv1 = std::to_string(s.resource_version());
    json::object obj = parse(created.body());
    obj["data"].as_object()["k"] = "Mg==";
    BOOST_TEST(c.request(http::verb::put, "/api/v1/namespaces/default/secrets/a", json::serialize(obj)).result_int() == 200u);
    std::string const rv2 = std::to_string(s.resource_version());
    auto stale = c.request(http::verb::put, "/api/v1/namespaces/default/secrets/a", json::serialize(obj));
    BOOST_TEST(stale.result_int() == 409u);  // refused: not a write, not observed
    BOOST_TEST(c.request(http::verb::delete_, "/api/v1/namespaces/default/secrets/a", "").result_int() == 200u);
    std::string const rv3 = std::to_string(s.resource_version());
    s.observe_changes(nullptr);
    BOOST_TEST(c.request(http::verb::post, "/api/v1/namespaces/default/secrets", secret("b", "1")).result_int() == 201u);
    std::vector<std::string> const expected{"ADDED /secrets default/a " + rv1, "MODIFIED /secrets default/a " + rv2,
                                            "DELETED /secrets default/a " + rv3};
    BOOST_TEST(seen == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(faults) {
    kube::server s;
    s.add_fault(R"({"status": 503, "count": 2, "retry_after": 7})");
    client c(s);
    for (int i = 0; i < 2; ++i) {
        auto r = c.request(http::verb::get, "/api/v1/namespaces");
        BOOST_TEST(r.result_int() == 503u);
        BOOST_TEST(r[http::field::retry_after] == "7");
    }
    BOOST_TEST(c.request(http::verb::get, "/api/v1/namespaces").result_int() == 200u);
    BOOST_CHECK_THROW(s.add_fault(R"({"status": "x"})"), std::invalid_argument);
    s.add_fault(R"({"status": 500, "count": 5})");
    s.clear_faults();
    BOOST_TEST(c.request(http::verb::get, "/api/v1/namespaces").result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(watch_resume_drop_and_expire) {
    kube::options opts;
    opts.watch_window = 3;
    kube::server s(opts);
    client writer(s);
    std::string const start = std::to_string(s.resource_version());
    BOOST_TEST(writer.request(http::verb::post, "/api/v1/namespaces/default/secrets", secret("w1", "1")).result_int() ==
               201u);

    client watcher(s);
    BOOST_TEST(watcher.start_watch("/api/v1/namespaces/default/secrets?watch=true&resourceVersion=" + start) == 200u);
    BOOST_TEST(watcher.read_until(R"("type":"ADDED")"));  // replayed from history
    BOOST_TEST(writer.request(http::verb::delete_, "/api/v1/namespaces/default/secrets/w1").result_int() == 200u);
    BOOST_TEST(watcher.read_until(R"("type":"DELETED")"));  // live
    BOOST_TEST(watcher.raw().find("\n\r\n") != std::string::npos);  // each event ends with a newline
    s.drop_watches();
    BOOST_TEST(watcher.closed_by_peer());

    for (int i = 0; i < 4; ++i)
        writer.request(http::verb::post, "/api/v1/namespaces/default/configmaps",
                       R"({"metadata":{"name":"c)" + std::to_string(i) + R"("}})");
    // Too old: answered 200, and the stream's one event is an ERROR with a 410 Expired Status.
    auto gone = writer.request(http::verb::get, "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=" + start);
    BOOST_TEST(gone.result_int() == 200u);
    auto const event = parse(gone.body().substr(0, gone.body().find('\n')));
    BOOST_TEST(json::value_to<std::string>(event.at("type")) == "ERROR");
    BOOST_TEST(json::value_to<std::string>(event.at("object").at("reason")) == "Expired");
    BOOST_TEST(event.at("object").at("code").to_number<int>() == 410);
}

BOOST_AUTO_TEST_CASE(stop_is_idempotent_and_closes_the_port) {
    auto s = std::make_unique<kube::server>();
    unsigned short const port = s->port();
    s->stop();
    s->stop();
    net::io_context ioc;
    net::ip::tcp::socket sock(ioc);
    beast::error_code ec;
    sock.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_SUITE_END()
