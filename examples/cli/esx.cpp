// Example: esx, the command-line face of the library.
//
//   esx get URL [--cacert FILE] [--resolve HOST:PORT:ADDR] [--header "K: V"] [--show-body]
//   esx demo         fetch sample secrets from an embedded loopback vault over verified TLS
//
// Until the mock Azure servers land, `demo` serves its sample data from the loopback test
// server in tests/support; the fetch path (https + retry + structured log) is the library's.
#include <esx/esx.hpp>

#include "mocks/common/pki.hpp"
#include "mocks/common/scripted_server.hpp"

#include <boost/json/parse.hpp>

#include <cstring>
#include <iostream>
#include <map>

namespace transport = esx::transport;
namespace http = boost::beast::http;

namespace {

int usage() {
    std::cerr << "usage: esx get URL [--cacert FILE] [--resolve HOST:PORT:ADDR] [--header 'K: V'] [--show-body]\n"
                 "       esx demo\n";
    return 2;
}

int get(int argc, char** argv) {
    if (argc < 3) return usage();
    transport::options opts;
    auto req = transport::request{.method = transport::verb::get, .url = argv[2], .headers = {}, .body = {}, .idempotent = {}};
    bool show_body = false;
    for (int i = 3; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--show-body") show_body = true;
        else if (a == "--cacert" && i + 1 < argc) opts.ca_file = argv[++i];
        else if (a == "--resolve" && i + 1 < argc) {
            std::string_view r = argv[++i];
            auto const last = r.rfind(':');
            if (last == std::string_view::npos) return usage();
            opts.resolve[std::string(r.substr(0, last))] = std::string(r.substr(last + 1));
        } else if (a == "--header" && i + 1 < argc) {
            std::string_view h = argv[++i];
            auto const colon = h.find(':');
            if (colon == std::string_view::npos) return usage();
            req.headers.set(h.substr(0, colon), h.substr(h.find_first_not_of(' ', colon + 1)));
        } else return usage();
    }
    transport::blocking<transport::retry<transport::https>> client(opts);
    auto r = client.send(std::move(req));
    if (!r) {
        std::cerr << "esx: " << esx::log::field::describe(r.error()) << "\n";
        return 1;
    }
    std::cout << "HTTP " << r->result_int() << " (" << r->body().size() << " bytes)\n";
    if (show_body) std::cout << r->body() << "\n";
    return esx::is_success(r->result_int()) ? 0 : 1;
}

int demo() {
    // Sample data: what a vault would return for three secrets.
    std::map<std::string, std::string> const vault = {
        {"/secrets/db-password/", R"({"value":"correct-horse-battery","id":"https://demo.vault.esx.test/secrets/db-password/1","attributes":{"enabled":true}})"},
        {"/secrets/api-key/", R"({"value":"ak_live_0123456789","id":"https://demo.vault.esx.test/secrets/api-key/7","attributes":{"enabled":true}})"},
        {"/secrets/tls-passphrase/", R"({"value":"s3cr3t","id":"https://demo.vault.esx.test/secrets/tls-passphrase/2","attributes":{"enabled":true}})"}};
    auto const ca = esx::mocks::pki::authority::generate("esx demo CA");
    auto const leaf = ca.issue_server({"demo.vault.esx.test"}, {"127.0.0.1"});
    int served = 0;
    esx::test::scripted_server server({.tls = true, .cert_pem = leaf.cert_pem, .key_pem = leaf.key_pem, .stall_tls_handshake = false},
                                      [&](auto const& req) {
        http::response<http::string_body> res{http::status::ok, 11};
        if (++served == 2) { // throttle once, as Key Vault does, to show the retry
            res.result(http::status::too_many_requests);
            res.set(http::field::retry_after, "1");
            return esx::test::action::respond(std::move(res));
        }
        auto const path = std::string(req.target().substr(0, req.target().find('?')));
        auto const it = vault.find(path);
        if (it == vault.end()) res.result(http::status::not_found);
        else res.body() = it->second;
        res.set(http::field::content_type, "application/json; charset=utf-8");
        return esx::test::action::respond(std::move(res));
    });

    // Logs go to stderr as JSON lines; the summary goes to stdout.
    esx::log::logger log(esx::log::level::debug);
    transport::options opts;
    opts.ca_pem = ca.cert_pem();
    opts.proxy = transport::proxy_settings{};
    auto const authority = "demo.vault.esx.test:" + std::to_string(server.port());
    opts.resolve[authority] = "127.0.0.1";
    opts.logger = log;
    transport::retry_options retry;
    retry.logger = log;
    transport::blocking<transport::retry<transport::https>> client(std::in_place, [&](auto ex) {
        return transport::retry<transport::https>(transport::https(ex, opts), retry);
    });

    std::cout << "esx demo: fetching 3 secrets from https://" << authority << " (loopback, verified TLS)\n";
    int failures = 0;
    for (std::string name : {"db-password", "api-key", "tls-passphrase"}) {
        auto r = client.send({.method = transport::verb::get,
                              .url = "https://" + authority + "/secrets/" + name + "/?api-version=7.4",
                              .headers = {}, .body = {}, .idempotent = {}});
        if (!r || r->result_int() != 200) {
            std::cout << "  " << name << ": failed: "
                      << esx::log::field::describe(r ? esx::make_http_error(r->result_int()) : r.error()) << "\n";
            ++failures;
            continue;
        }
        auto const doc = boost::json::parse(r->body()).as_object();
        esx::secret_bytes const value(doc.at("value").as_string());
        log.info("fetched secret", {{"name", name}, {"value", value}, {"bytes", value.size()}});
        std::cout << "  " << name << ": " << value << " (" << value.size() << " bytes, version "
                  << std::string_view(doc.at("id").as_string()).substr(doc.at("id").as_string().rfind('/') + 1)
                  << ")\n";
    }
    std::cout << "  " << server.requests_served() << " requests (one 429 retried), "
              << client.transport().next_layer().connections_opened() << " TLS connection\n";
    return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) try {
    if (argc >= 2 && std::strcmp(argv[1], "get") == 0) return get(argc, argv);
    if (argc >= 2 && std::strcmp(argv[1], "demo") == 0) return demo();
    return usage();
} catch (std::exception const& e) {
    std::cerr << "esx: " << e.what() << "\n";
    return 1;
}
