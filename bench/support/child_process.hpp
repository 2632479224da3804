// Runs a program to completion and reports what it used: wall time, CPU seconds and peak RSS
// (wait4's rusage of that child alone), its exit status and its stdout.
#ifndef ESX_BENCH_SUPPORT_CHILD_PROCESS_HPP
#define ESX_BENCH_SUPPORT_CHILD_PROCESS_HPP

#include <chrono>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace esx::bench {

struct child_usage {
    int exit_status = -1;  ///< -1: could not start or killed by a signal
    double wall_seconds = 0, cpu_seconds = 0;
    long peak_rss_kib = 0;
    std::string output;    ///< its stdout
};

inline double seconds_of(timeval const& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

inline child_usage run_child(std::vector<std::string> const& argv) {
    child_usage u;
    int out[2];
    if (::pipe(out) != 0) return u;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<char*> args;
    for (auto const& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    auto const start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    int const spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(out[0]);
        return u;
    }
    char buf[4096];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) u.output.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    u.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    u.cpu_seconds = seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
    u.peak_rss_kib = ru.ru_maxrss;
    u.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return u;
}

} // namespace esx::bench

#endif
