// A program outside the tree, built only from the installed headers and `pkg-config esx`.
#include <esx/esx.hpp>

#include <iostream>

int main() {
    esx::transport::options opts;
    opts.timeouts.connect = std::chrono::seconds(5);
    esx::transport::blocking<esx::transport::https> client(opts);
    // Port 1 on loopback is closed: the request must fail cleanly with a retryable code.
    auto r = client.send({.method = esx::transport::verb::get, .url = "https://127.0.0.1:1/", .headers = {}, .body = {}, .idempotent = {}});
    if (r || r.error() != esx::condition::retryable) {
        std::cerr << "unexpected outcome\n";
        return 1;
    }
    esx::log::default_logger().info("consumer ok", {{"error", r.error()}});
    std::cout << "consumer ok\n";
}
