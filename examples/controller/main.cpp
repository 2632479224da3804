// esx-controller: keeps Kubernetes Secrets in sync with Azure Key Vault from ESO's resources.
// Flags -> options -> run; everything else lives in the library (<esx/controller/standalone.hpp>).
// Exit status: 0 stopped by SIGTERM/SIGINT (or --help), 1 could not start or lost the Lease,
// 2 bad flags.
#include <esx/controller/standalone.hpp>

#include <iostream>

int main(int argc, char** argv) {
    namespace ctl = esx::controller;
    auto cl = ctl::parse_controller_flags({const_cast<char const* const*>(argv) + 1, static_cast<std::size_t>(argc - 1)});
    if (!cl) {
        std::cerr << "esx-controller: " << cl.error().what() << "\nTry `esx-controller --help`.\n";
        return ctl::exit_usage;
    }
    if (cl->help) {
        std::cout << ctl::controller_help();
        return ctl::exit_clean;
    }
    return ctl::run_controller(std::move(cl->options));
}
