// esx mocks/common: what every standalone mock binary's main() needs: stop on SIGTERM or
// SIGINT, read port and file options, print the start-up JSON line and serve until stopped.
#ifndef ESX_MOCKS_COMMON_STANDALONE_HPP
#define ESX_MOCKS_COMMON_STANDALONE_HPP

#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <pthread.h>

namespace esx::mocks::standalone {

/// Blocks SIGTERM and SIGINT in the calling thread. Construct it first in main(), before any
/// server thread exists, so every thread inherits the mask and `wait()` is the only place
/// the signals arrive.
class stop_signals {
public:
    stop_signals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    }
    void wait() {
        int sig = 0;
        sigwait(&set_, &sig);
    }

private:
    sigset_t set_;
};

/// A decimal port number 0-65535, or nothing.
inline std::optional<unsigned short> parse_port(std::string const& value) {
    char* end = nullptr;
    unsigned long const n = std::strtoul(value.c_str(), &end, 10);
    if (value.empty() || value.front() == '-' || *end != '\0' || n > 65535)
        return std::nullopt;
    return static_cast<unsigned short>(n);
}

/// A whole file, or nothing when it cannot be read.
inline std::optional<std::string> read_file(std::string const& path) {
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Starts `Server(opts)`, prints its start-up JSON line, serves until a stop signal, and
/// returns main()'s exit status: 0 after a clean stop, 1 when start-up failed.
template <class Server, class Options>
int serve(char const* name, Options const& opts, stop_signals& stop) {
    try {
        Server server(opts);
        std::cout << server.startup_json() << std::endl; // endl: the reader waits for this line
        stop.wait();
        server.stop();
    } catch (std::exception const& e) {
        std::cerr << name << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}

} // namespace esx::mocks::standalone

#endif
