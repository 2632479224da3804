// `--seconds X --runs N`, the options of the benchmarks that measure in windows
// (bench/support/window.hpp), read once here instead of in each benchmark's main.
#ifndef ESX_BENCH_SUPPORT_WINDOW_OPTIONS_HPP
#define ESX_BENCH_SUPPORT_WINDOW_OPTIONS_HPP

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace esx::bench {

struct window_options {
    double seconds;
    int runs;
};

/// The options, or nullopt after printing the usage line for `name` to stderr.
inline std::optional<window_options> parse_window_options(int argc, char** argv, char const* name,
                                                          double default_seconds) {
    window_options o{default_seconds, 2};
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const a = argv[i];
        if (a == "--seconds") o.seconds = std::atof(argv[i + 1]);
        else if (a == "--runs") o.runs = std::atoi(argv[i + 1]);
        else o.seconds = 0;
    }
    if (argc % 2 == 0 || o.seconds <= 0 || o.runs < 1) {
        std::fprintf(stderr, "usage: %s [--seconds X (%g)] [--runs N (2)]\n", name, default_seconds);
        return std::nullopt;
    }
    return o;
}

} // namespace esx::bench

#endif
