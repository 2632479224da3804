// esx-mock-azure: the mock Entra ID / IMDS / Key Vault server as a standalone
// process for tests written in other languages.
//
//   esx-mock-azure [--port N] [--imds-port N] [--control-port N] [--seed FILE] [--tls-dir DIR]
//
// Prints one JSON line (authority, imds, control, vault_suffix, vaults, ca,
// tenant) on stdout once every listener is up, then serves until SIGTERM or
// SIGINT and exits 0. Errors go to stderr with exit status 2 (usage) or 1.
#include "server.hpp"

#include "mocks/common/standalone.hpp"

namespace {

[[noreturn]] void usage(std::string const& why) {
    std::cerr << "esx-mock-azure: " << why
              << "\nusage: esx-mock-azure [--port N] [--imds-port N] [--control-port N] [--seed FILE] [--tls-dir DIR]\n";
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    namespace standalone = esx::mocks::standalone;
    standalone::stop_signals stop; // before any server thread exists
    esx::mocks::azure::options opts;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "--help" || arg == "-h")
            usage("help");
        if (i + 1 >= argc)
            usage("missing value for " + arg);
        std::string const value = argv[++i];
        if (arg == "--port" || arg == "--imds-port" || arg == "--control-port") {
            auto const port = standalone::parse_port(value);
            if (!port)
                usage(arg + " " + value + ": not a port number");
            (arg == "--port" ? opts.port : arg == "--imds-port" ? opts.imds_port : opts.control_port) = *port;
        } else if (arg == "--seed") {
            auto text = standalone::read_file(value);
            if (!text)
                usage("cannot read seed file " + value);
            opts.seed_json = std::move(*text);
        } else if (arg == "--tls-dir") {
            opts.tls_dir = value;
        } else {
            usage("unknown option " + arg);
        }
    }
    return standalone::serve<esx::mocks::azure::server>("esx-mock-azure", opts, stop);
}
