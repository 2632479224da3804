// esx, the command-line face of the library: sync ExternalSecrets once, fetch one object,
// validate manifests, probe an endpoint. Each command is a file of its own (commands.hpp).
//
//   esx sync -f FILE... [options]     every ExternalSecret in the files, once
//   esx get --store FILE REF          one Key Vault object through a store
//   esx validate -f FILE...           every admission rule, offline
//   esx http URL                      one GET through esx's transport
//
// scripts/demo-cli runs the provider documentation's flow with it against
// the mocks.
#include "args.hpp"
#include "commands.hpp"

#include <exception>
#include <iostream>

namespace {

using esx::cli::command;

constexpr std::string_view overview =
    "usage: esx COMMAND [ARGS]... (esx COMMAND --help for its options)\n"
    "\n"
    "Syncs Azure Key Vault objects into Kubernetes Secrets, files, dotenv or JSON from External\n"
    "Secrets Operator manifests (SecretStore, ClusterSecretStore, ExternalSecret; provider azurekv).\n"
    "\n"
    "Commands:\n";

constexpr std::string_view trailer =
    "\n"
    "Exit status: 0 all synced, 1 a sync or fetch failed, 2 a usage or validation error.\n";

command const commands[] = {
    {"sync", "sync every ExternalSecret in the files once", esx::cli::sync_help, esx::cli::sync_command},
    {"get", "print one Key Vault object (secret/, key/, cert/) through a store", esx::cli::get_help,
     esx::cli::get_command},
    {"validate", "check manifests offline and print every problem with its JSON path", esx::cli::validate_help,
     esx::cli::validate_command},
    {"http", "send one GET through esx's HTTPS transport", esx::cli::http_help, esx::cli::http_command},
};

int overview_help(std::ostream& os) {
    os << overview;
    for (auto const& c : commands) os << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
    os << trailer;
    return 0;
}

command const* find(std::string_view name) {
    for (auto const& c : commands)
        if (c.name == name) return &c;
    return nullptr;
}

} // namespace

int main(int argc, char** argv) try {
    std::span<char* const> args(argv + 1, argv + argc);
    if (args.empty()) {
        overview_help(std::cerr);
        return esx::cli::usage_error;
    }
    std::string_view const name = args[0];
    if (name == "--help" || name == "-h") return overview_help(std::cout);
    if (name == "help") {
        if (args.size() == 1) return overview_help(std::cout);
        if (auto const* c = find(args[1])) {
            std::cout << c->help;
            return 0;
        }
        std::cerr << "esx: no command `" << args[1] << "`\n";
        overview_help(std::cerr);
        return esx::cli::usage_error;
    }
    if (auto const* c = find(name)) return c->run(args.subspan(1));
    std::cerr << "esx: no command `" << name << "`\n";
    overview_help(std::cerr);
    return esx::cli::usage_error;
} catch (std::exception const& e) {
    // Commands report failures as values; this is the last line of defence, and its text is a
    // library's exception message, which never holds a secret value.
    std::cerr << "esx: unexpected error: " << e.what() << "\n";
    return esx::cli::sync_failed;
}
