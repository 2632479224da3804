// esx-mock-kube: the mock Kubernetes API server as a standalone process, for
// tests written in other languages (kubectl, python3-kubernetes) and demos.
//
//   esx-mock-kube [--port N] [--control-port N] [--seed FILE] [--tls-dir DIR] [--kubeconfig FILE]
//
// Prints one JSON line (server, kubeconfig, ca, token, issuer, jwks_uri,
// control) on stdout once both listeners are up, then serves until SIGTERM or
// SIGINT and exits 0. Errors go to stderr with exit status 2 (usage) or 1.
#include "server.hpp"

#include "mocks/common/standalone.hpp"

namespace {

[[noreturn]] void usage(std::string const& why) {
    std::cerr << "esx-mock-kube: " << why
              << "\nusage: esx-mock-kube [--port N] [--control-port N] [--seed FILE] [--tls-dir DIR] [--kubeconfig FILE]\n";
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    namespace standalone = esx::mocks::standalone;
    standalone::stop_signals stop; // before any server thread exists
    esx::mocks::kube::options opts;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "--help" || arg == "-h")
            usage("help");
        if (i + 1 >= argc)
            usage("missing value for " + arg);
        std::string const value = argv[++i];
        if (arg == "--port" || arg == "--control-port") {
            auto const port = standalone::parse_port(value);
            if (!port)
                usage(arg + " " + value + ": not a port number");
            (arg == "--port" ? opts.port : opts.control_port) = *port;
        } else if (arg == "--seed") {
            auto text = standalone::read_file(value);
            if (!text)
                usage("cannot read seed file " + value);
            opts.seed_json = std::move(*text);
        } else if (arg == "--tls-dir") {
            opts.tls_dir = value;
        } else if (arg == "--kubeconfig") {
            opts.kubeconfig = value;
        } else {
            usage("unknown option " + arg);
        }
    }
    return standalone::serve<esx::mocks::kube::server>("esx-mock-kube", opts, stop);
}
