// `esx http URL`: one GET over esx's transport (TLS verified, keep-alive, retries), for checking
// that a vault or an API server is reachable with the CA and resolve overrides a sync would use.
#include "args.hpp"
#include "commands.hpp"

#include <esx/transport.hpp>

#include <iostream>

namespace esx::cli {

std::string_view const http_help =
    "usage: esx http URL [--cacert FILE] [--resolve HOST:PORT:ADDR]... [--header 'NAME: VALUE']... [--show-body]\n"
    "\n"
    "Sends one GET to URL through esx's HTTPS transport and prints the status and the body size.\n"
    "\n"
    "  --cacert FILE            trust the PEM certificates in FILE instead of the system store\n"
    "  --resolve HOST:PORT:ADDR connect to ADDR for HOST:PORT (TLS still checks HOST), as curl\n"
    "  --header 'NAME: VALUE'   add a request header (repeatable)\n"
    "  --show-body              print the response body (it may hold secrets: the caller asked)\n"
    "\n"
    "Exit status: 0 for a 2xx answer, 1 for another answer or a transport failure, 2 for usage.\n";

namespace {

constexpr option_spec http_options[] = {
    {.name = "cacert", .takes_value = true},
    {.name = "resolve", .takes_value = true, .repeatable = true},
    {.name = "header", .takes_value = true, .repeatable = true},
    {.name = "show-body"},
};

} // namespace

int http_command(std::span<char* const> argv) {
    auto parsed = parse(argv, http_options);
    if (auto* why = std::get_if<std::string>(&parsed)) return usage_failure(*why, http_help);
    auto const& args = std::get<arguments>(parsed);
    if (args.help) {
        std::cout << http_help;
        return success;
    }
    if (args.positional.size() != 1) return usage_failure("expected exactly one URL", http_help);

    transport::options opts;
    opts.ca_file = args.value("cacert");
    for (auto const& r : args.values("resolve")) {
        auto override_ = parse_resolve(r);
        if (!override_) return usage_failure("--resolve wants HOST:PORT:ADDR, got `" + r + "`", http_help);
        opts.resolve.insert(std::move(*override_));
    }
    transport::request req{.method = transport::verb::get, .url = args.positional[0], .headers = {}, .body = {},
                           .idempotent = {}};
    for (auto const& h : args.values("header")) {
        auto const colon = h.find(':');
        if (colon == std::string::npos || colon == 0)
            return usage_failure("--header wants 'NAME: VALUE', got `" + h + "`", http_help);
        auto const value = h.find_first_not_of(' ', colon + 1);
        req.headers.set(h.substr(0, colon), value == std::string::npos ? std::string() : h.substr(value));
    }

    transport::blocking<transport::retry<transport::https>> client(opts);
    auto r = client.send(std::move(req));
    if (!r) {
        std::cerr << "esx: " << log::field::describe(r.error()) << "\n";
        return sync_failed;
    }
    std::cout << "HTTP " << r->result_int() << " (" << r->body().size() << " bytes)\n";
    if (args.has("show-body")) std::cout << r->body() << "\n";
    return is_success(r->result_int()) ? success : sync_failed;
}

} // namespace esx::cli
