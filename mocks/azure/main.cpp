// esx-mock-azure: the mock Entra ID / IMDS / Key Vault server as a standalone
// process for tests written in other languages.
//
//   esx-mock-azure [--port N] [--imds-port N] [--control-port N] [--seed FILE] [--tls-dir DIR]
//
// Prints one JSON line (authority, imds, control, vault_suffix, vaults, ca,
// tenant) on stdout once every listener is up, then serves until SIGTERM or
// SIGINT and exits 0. Errors go to stderr with exit status 2 (usage) or 1.
#include "server.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <pthread.h>

namespace {

[[noreturn]] void usage(char const* why) {
    std::cerr << "esx-mock-azure: " << why
              << "\nusage: esx-mock-azure [--port N] [--imds-port N] [--control-port N] [--seed FILE] [--tls-dir DIR]\n";
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    // Block the stop signals before any server thread exists, so every thread
    // inherits the mask and sigwait() below is the only place they arrive.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    esx::mocks::azure::options opts;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "--help" || arg == "-h")
            usage("help");
        if (i + 1 >= argc)
            usage(("missing value for " + arg).c_str());
        std::string const value = argv[++i];
        if (arg == "--port" || arg == "--imds-port" || arg == "--control-port") {
            char* end = nullptr;
            long const port = std::strtol(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || port < 0 || port > 65535)
                usage((arg + " " + value + ": not a port number").c_str());
            auto const p = static_cast<unsigned short>(port);
            (arg == "--port" ? opts.port : arg == "--imds-port" ? opts.imds_port : opts.control_port) = p;
        } else if (arg == "--seed") {
            std::ifstream in(value);
            if (!in)
                usage(("cannot read seed file " + value).c_str());
            std::ostringstream text;
            text << in.rdbuf();
            opts.seed_json = text.str();
        } else if (arg == "--tls-dir") {
            opts.tls_dir = value;
        } else {
            usage(("unknown option " + arg).c_str());
        }
    }

    try {
        esx::mocks::azure::server server(opts);
        std::cout << server.startup_json() << std::endl;  // endl: the reader waits for this line
        int sig = 0;
        sigwait(&stop_signals, &sig);
        server.stop();
    } catch (std::exception const& e) {
        std::cerr << "esx-mock-azure: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
