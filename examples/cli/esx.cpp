// Example: esx, the command-line face of the library.
//
//   esx get URL [--cacert FILE] [--resolve HOST:PORT:ADDR] [--header "K: V"] [--show-body]
//   esx demo         fetch the provider docs' sample objects from a loopback Azure tenant with
//                    each auth type (demo.cpp; built when the mocks are)
#include <esx/transport.hpp>

#if ESX_CLI_DEMO
#  include "demo.hpp"
#endif

#include <cstring>
#include <iostream>

namespace transport = esx::transport;

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

} // namespace

int main(int argc, char** argv) try {
    if (argc >= 2 && std::strcmp(argv[1], "get") == 0) return get(argc, argv);
#if ESX_CLI_DEMO
    if (argc >= 2 && std::strcmp(argv[1], "demo") == 0) return demo();
#endif
    return usage();
} catch (std::exception const& e) {
    std::cerr << "esx: " << e.what() << "\n";
    return 1;
}
