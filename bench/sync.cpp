// One-shot sync of 10,000 ExternalSecrets (3 entries each over 1,000 distinct secrets in 10
// vaults, 100 namespaces, one manifest file per namespace) into mock Kubernetes, through the
// code of `esx sync` (examples/cli/sync_kube.cpp), beside the same job written with the official
// Python SDKs (bench/peers/sync_python.py) in the same run: the SDK samples' way (a
// `get_secret` per entry), and with a read memo (each distinct secret once, as esx does).
//
// The mocks (built -O2, bench/meson.build) run in child processes, one fresh pair per
// contender, so the CPU time and peak RSS reported are the contender's own: esx's from
// getrusage(RUSAGE_SELF) of this process (which holds nothing else), Python's from wait4().
// Key Vault reads, token requests and Kubernetes requests come from the mocks' request logs.
// Python runs the whole job, or with --python-every N every N-th ExternalSecret (a sample with
// the job's proportions; its times are then scaled, which overstates them by 5-15 %, and the
// output says so).
//
// Prints a table and asserts nothing (targets are printed beside the figures). It fails (exit 1)
// only when a contender fails to sync everything, so neither side can look fast by doing less.
#include "bench/support/child_process.hpp"
#include "bench/sync_mocks.hpp"
#include "bench/sync_run_esx.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <sys/resource.h>

namespace {

using namespace esx::bench;

#if defined(__OPTIMIZE__) && defined(NDEBUG)
constexpr char const* build_type = "esx -O2 NDEBUG";
#else
constexpr char const* build_type = "esx NOT optimised: the figures mean little";
#endif

struct contender {
    bool ran = false;
    std::size_t external_secrets = 0;
    double wall = 0, cpu = 0;
    double peak_rss_mib = 0;
    mock_counts counts;
    std::string note;
};

std::string num(double v, char const* fmt = "%.2f") {
    char b[64];
    std::snprintf(b, sizeof b, fmt, v);
    return b;
}
std::string count(std::size_t v) { return std::to_string(v); }

int usage() {
    std::fprintf(stderr, "usage: bench-sync [--external-secrets N (10000)] [--python-every N (1: all)] [--concurrency N (16)] [--one-file] [--no-python]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    sync_layout layout;
    int python_every = 1;  // the whole job (about 40 s); --python-every 10 samples it
    std::size_t concurrency = 16;  // esx sync's default
    bool python = true;
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        if (a == "--no-python") python = false;
        else if (a == "--external-secrets" && i + 1 < argc) layout.external_secrets = std::atoi(argv[++i]);
        else if (a == "--python-every" && i + 1 < argc) python_every = std::atoi(argv[++i]);
        else if (a == "--one-file") layout.file_per_namespace = false;
        else if (a == "--concurrency" && i + 1 < argc) concurrency = static_cast<std::size_t>(std::atoi(argv[++i]));
        else return usage();
    }
    if (layout.external_secrets < layout.vaults || python_every < 1 || concurrency < 1) return usage();

    auto const work = std::filesystem::temp_directory_path() / ("esx-bench-sync-" + std::to_string(::getpid()));
    std::filesystem::create_directories(work);
    // Both mock pairs are forked now, before this process starts a thread.
    forked_mocks esx_mocks(layout, work / "esx");
    std::optional<forked_mocks> python_mocks, python_memo_mocks;
    if (python) {
        python_mocks.emplace(layout, work / "python");
        python_memo_mocks.emplace(layout, work / "python-memo");
    }

    std::printf("bench-sync: one-shot sync of %d ExternalSecrets (%d entries each over %d secrets in %d vaults, "
                "%d namespaces)\ninto mock Kubernetes; mocks -O2 in their own processes; %s; Python: Debian's "
                "python3-azure + python3-kubernetes\n\n",
                layout.external_secrets, layout.entries, layout.vaults * layout.secrets_per_vault, layout.vaults,
                layout.namespaces, build_type);
    std::fflush(stdout);

    // esx, in this process.
    contender e;
    {
        rusage before{};
        ::getrusage(RUSAGE_SELF, &before);
        auto const start = std::chrono::steady_clock::now();
        auto outcome = run_esx(esx_mocks.info(), concurrency);
        e.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        rusage after{};
        ::getrusage(RUSAGE_SELF, &after);
        e.cpu = seconds_of(after.ru_utime) + seconds_of(after.ru_stime) - seconds_of(before.ru_utime) -
                seconds_of(before.ru_stime);
        e.peak_rss_mib = static_cast<double>(after.ru_maxrss) / 1024.0;
        e.counts = esx_mocks.report();
        if (!outcome.error.empty()) {
            std::fprintf(stderr, "bench-sync: esx failed: %s\n", outcome.error.c_str());
            std::filesystem::remove_all(work);
            return 1;
        }
        e.ran = true;
        e.external_secrets = outcome.synced;
        e.note = outcome.note;
    }

    // Python, as child processes against their own fresh mocks: the SDK samples' way, then with
    // a read memo (what esx's read deduplication does).
    std::filesystem::path const script = ESX_BENCH_PEERS "/sync_python.py";
    auto run_python = [&](forked_mocks& mocks, bool memo) -> std::optional<contender> {
        auto const& info = mocks.info();
        std::vector<std::string> cmd{"/usr/bin/python3", script.string(), "--manifests", info.manifests,
                                     "--kubeconfig", info.kubeconfig, "--authority",
                                     info.authority.substr(std::string_view("https://").size()), "--ca", info.ca_file,
                                     "--suffix", bench_suffix,
                                     // Every N-th ExternalSecret: in this layout that sample makes
                                     // exactly 1/N of the job's reads and writes (sync_world.hpp),
                                     // so scaling its time by N is fair.
                                     "--every", std::to_string(python_every)};
        if (memo) cmd.push_back("--memo");
        auto u = run_child(cmd);
        contender p;
        p.counts = mocks.report();
        if (u.exit_status != 0) {
            std::fprintf(stderr, "bench-sync: the Python baseline%s failed (exit %d)\n", memo ? " (--memo)" : "",
                         u.exit_status);
            return std::nullopt;
        }
        auto v = boost::json::parse(u.output.substr(0, u.output.find('\n'))).as_object();
        p.ran = true;
        p.external_secrets = v.at("external_secrets").to_number<std::size_t>();
        // The job's own time, measured inside Python after its imports (the figure favours it).
        p.wall = v.at("seconds").to_number<double>();
        p.cpu = u.cpu_seconds;
        p.peak_rss_mib = static_cast<double>(u.peak_rss_kib) / 1024.0;
        return p;
    };
    contender py, py_memo;
    if (python) {
        auto a = run_python(*python_mocks, false);
        auto b = a ? run_python(*python_memo_mocks, true) : std::nullopt;
        if (!a || !b) {
            std::filesystem::remove_all(work);
            return 1;
        }
        py = *a;
        py_memo = *b;
    }
    std::filesystem::remove_all(work);
    double const scale = py.ran ? static_cast<double>(layout.external_secrets) / static_cast<double>(py.external_secrets) : 1;

    auto cell = [&](contender const& c, std::string const& v) { return c.ran ? v : std::string("-"); };
    auto row3 = [&](char const* what, std::string const& a, std::string const& b, std::string const& c,
                    char const* target = "") {
        std::printf("%-26s %12s %18s %18s   %s\n", what, a.c_str(), b.c_str(), c.c_str(), target);
    };
    std::string const scaled = scale > 1.0 ? " x" + num(scale, "%.0f") : "";
    row3("", "esx", "python" + scaled, "python+memo" + scaled);
    row3("ExternalSecrets synced", count(e.external_secrets), cell(py, count(py.external_secrets)),
         cell(py_memo, count(py_memo.external_secrets)));
    row3("wall time (s)", num(e.wall), cell(py, num(py.wall * scale)), cell(py_memo, num(py_memo.wall * scale)));
    row3("CPU time (s)", num(e.cpu), cell(py, num(py.cpu * scale)), cell(py_memo, num(py_memo.cpu * scale)));
    row3("ExternalSecrets/s", num(e.external_secrets / e.wall, "%.0f"),
         cell(py, num(static_cast<double>(py.external_secrets) / py.wall, "%.0f")),
         cell(py_memo, num(static_cast<double>(py_memo.external_secrets) / py_memo.wall, "%.0f")));
    row3("peak RSS (MiB)", num(e.peak_rss_mib, "%.1f"), cell(py, num(py.peak_rss_mib, "%.1f")),
         cell(py_memo, num(py_memo.peak_rss_mib, "%.1f")), "target for esx: <= 40 MiB");
    std::string const reads_target = "target: distinct (identity, object) = " +
                                     std::to_string(layout.vaults * layout.secrets_per_vault);
    row3("Key Vault reads", count(e.counts.kv_reads), cell(py, count(py.counts.kv_reads)),
         cell(py_memo, count(py_memo.counts.kv_reads)), reads_target.c_str());
    row3("Key Vault challenges (401)", count(e.counts.challenges), cell(py, count(py.counts.challenges)),
         cell(py_memo, count(py_memo.counts.challenges)));
    row3("token requests", count(e.counts.token_requests), cell(py, count(py.counts.token_requests)),
         cell(py_memo, count(py_memo.counts.token_requests)), "target: one per identity (1)");
    row3("Kubernetes Secret writes", count(e.counts.kube_writes), cell(py, count(py.counts.kube_writes)),
         cell(py_memo, count(py_memo.counts.kube_writes)));
    row3("Kubernetes Secret GETs", count(e.counts.kube_reads), cell(py, count(py.counts.kube_reads)),
         cell(py_memo, count(py_memo.counts.kube_reads)), "live Secret before a write; credentials");
    row3("Kubernetes Secret LISTs", count(e.counts.kube_lists), cell(py, count(py.counts.kube_lists)),
         cell(py_memo, count(py_memo.counts.kube_lists)), "ESO's deleteOrphanedSecrets");
    row3("other Kubernetes requests", count(e.counts.kube_other), cell(py, count(py.counts.kube_other)),
         cell(py_memo, count(py_memo.counts.kube_other)), "ExternalSecret LISTs (owner UIDs)");
    if (py.ran)
        std::printf("\nspeed-up (wall): %.1fx over the SDK samples' way (target >= 20x), %.1fx over Python with a read memo;\n"
                    "CPU: %.1fx and %.1fx\n",
                    py.wall * scale / e.wall, py_memo.wall * scale / e.wall, py.cpu * scale / e.cpu,
                    py_memo.cpu * scale / e.cpu);
    if (!e.note.empty()) std::printf("esx: %s\n", e.note.c_str());
    if (py.ran && scale > 1.0)
        std::printf("python: every %dth ExternalSecret (%zu; the same proportions of reads and writes); times scaled "
                    "x%.0f, counts and peak RSS as measured\n",
                    python_every, py.external_secrets, scale);
    std::fflush(nullptr);
    return 0;
}
