// esx-mock-kube: the mock Kubernetes API server as a standalone process, for
// tests written in other languages (kubectl, python3-kubernetes) and demos.
//
//   esx-mock-kube [--port N] [--control-port N] [--seed FILE] [--tls-dir DIR] [--kubeconfig FILE]
//
// Prints one JSON line (server, kubeconfig, ca, token, issuer, jwks_uri,
// control) on stdout once both listeners are up, then serves until SIGTERM or
// SIGINT and exits 0. Errors go to stderr with exit status 2 (usage) or 1.
#include "server.hpp"

#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <pthread.h>

namespace {

[[noreturn]] void usage(std::string const& why) {
    std::cerr << "esx-mock-kube: " << why
              << "\nusage: esx-mock-kube [--port N] [--control-port N] [--seed FILE] [--tls-dir DIR] [--kubeconfig FILE]\n";
    std::exit(2);
}

unsigned short parse_port(std::string const& arg, std::string const& value) {
    char* end = nullptr;
    unsigned long const n = std::strtoul(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || n > 65535)
        usage(arg + " " + value + ": not a port number");
    return static_cast<unsigned short>(n);
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

    esx::mocks::kube::options opts;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "--help" || arg == "-h")
            usage("help");
        if (i + 1 >= argc)
            usage("missing value for " + arg);
        std::string const value = argv[++i];
        if (arg == "--port") {
            opts.port = parse_port(arg, value);
        } else if (arg == "--control-port") {
            opts.control_port = parse_port(arg, value);
        } else if (arg == "--seed") {
            std::ifstream in(value);
            if (!in)
                usage("cannot read seed file " + value);
            std::ostringstream text;
            text << in.rdbuf();
            opts.seed_json = text.str();
        } else if (arg == "--tls-dir") {
            opts.tls_dir = value;
        } else if (arg == "--kubeconfig") {
            opts.kubeconfig = value;
        } else {
            usage("unknown option " + arg);
        }
    }

    try {
        esx::mocks::kube::server server(opts);
        std::cout << server.startup_json() << std::endl;  // endl: the reader waits for this line
        int sig = 0;
        sigwait(&stop_signals, &sig);
        server.stop();
    } catch (std::exception const& e) {
        std::cerr << "esx-mock-kube: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
