// README.md, "Transports": the README's block verbatim between the `snippet` markers; the lines
// outside them are this file's wrapper (not in the README). Compiled by tests/readme/meson.build;
// not run (it would reach the Internet); tests/integration runs the same calls against loopback
// servers.
// snippet-begin
#include <esx/transport.hpp>
namespace transport = esx::transport;
using namespace std::chrono_literals;

transport::options make_options() {
    transport::options opts;                 // TLS 1.2+, verified against the system store
    opts.ca_file = "/etc/ssl/my-ca.pem";     // or opts.ca_pem; opts.resolve["host:443"] = "10.0.0.5"
    opts.timeouts = {.connect = 5s, .read = 30s, .total = 60s};
    return opts;
}

// In a coroutine (the primary interface). Name the request: a braced temporary inside
// `co_await` is miscompiled by g++ 12.
boost::asio::awaitable<esx::result<transport::response>> read_secret(boost::asio::any_io_executor executor) {
    transport::retry<transport::https> kv(transport::https(executor, make_options()));
    // A GET unless `method` says otherwise. Members are set one by one: g++ 12's -Wextra warns
    // about each member a designated initializer leaves out.
    transport::request req;
    req.url = "https://myvault.vault.azure.net/secrets/db/?api-version=7.4";
    co_return co_await kv.send(std::move(req));
}

// In a simple program:
esx::result<transport::response> read_page() {
    transport::blocking<transport::https> client(make_options());
    transport::request req;
    req.url = "https://example.net/";
    return client.send(std::move(req));
}
// snippet-end

int main() {}
