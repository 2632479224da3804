// The esx side of bench/sync.cpp: what `esx sync -f manifests.json` does (read the files, one
// runtime, then the CLI's own sync_to_kube: owner UIDs and orphans listed per namespace, one
// pipeline batch into Kubernetes Secrets), in this process so getrusage(RUSAGE_SELF) measures it
// alone.
#ifndef ESX_BENCH_SYNC_RUN_ESX_HPP
#define ESX_BENCH_SYNC_RUN_ESX_HPP

#include "bench/sync_mocks.hpp"
#include "examples/cli/sync_sinks.hpp"

#include <esx/spec/manifest.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/resource.h>

namespace esx::bench {

struct esx_outcome {
    std::size_t synced = 0;
    std::string error;  ///< the first failure; empty when every ExternalSecret synced
    std::string note;
    double rss_before_reading_mib = 0;  ///< peak RSS before the manifests were read
    double rss_after_reading_mib = 0;   ///< peak RSS once the manifests were read (before any sync)
};

inline std::uintmax_t json_kib(std::filesystem::path const& p) {
    if (!std::filesystem::is_directory(p)) return std::filesystem::file_size(p) / 1024;
    std::uintmax_t bytes = 0;
    for (auto const& e : std::filesystem::directory_iterator(p)) bytes += e.file_size();
    return bytes / 1024;
}

inline double peak_rss_mib() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

/// Resident memory mapped from files (the executable's and the libraries' code and data) now, from
/// /proc/self/status: the part of the RSS that no heap saving lowers. 0 where it cannot be read.
inline double file_rss_mib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("RssFile:", 0) == 0) return std::strtod(line.c_str() + 8, nullptr) / 1024.0;
    return 0;
}

inline esx_outcome run_esx(mock_info const& info, std::size_t concurrency) {
    esx_outcome out;
    runtime_options ro;
    ro.kubeconfig = info.kubeconfig;
    ro.ca_file = info.ca_file;
    ro.trust_system_store = false;
    ro.getenv = [](char const*) -> char const* { return nullptr; };  // no proxy, no Azure variable
    ro.kube_qps = 0;  // a one-shot batch job: no client-side rate limit (as `esx sync --kube-qps 0`)
    for (int v = 0; v < 10; ++v)
        ro.resolve[vault_name(v) + "." + bench_suffix + ":" + std::to_string(info.port)] = "127.0.0.1";
    runtime rt(std::move(ro));
    out.rss_before_reading_mib = peak_rss_mib();
    auto manifests = spec::read_files({info.manifests});
    if (!manifests) {
        out.error = manifests.error().what();
        return out;
    }
    out.rss_after_reading_mib = peak_rss_mib();
    if (!manifests->errors.empty()) {
        out.error = "invalid manifest: " + manifests->errors.front().error.what();
        return out;
    }
    manifests->default_namespace("default");
    // The code path of `esx sync --sink kube` (examples/cli/sync_kube.cpp, compiled in here).
    pipeline_options po;
    po.concurrency = concurrency;
    auto run = cli::sync_to_kube(cli::sync_job{rt, std::move(*manifests), std::move(po)});
    if (!run) {
        out.error = run.error().what();
        return out;
    }
    if (!run->others_ok) out.error = run->other_lines.front();
    auto const& results = run->results;
    for (auto const& r : results) {
        if (r.ok()) ++out.synced;
        else if (out.error.empty()) out.error = r.namespace_ + "/" + r.name + ": " + r.error->what();
    }
    out.note = "the code of `esx sync --concurrency " + std::to_string(concurrency) +
               " --kube-qps 0`; peak RSS " + std::to_string(static_cast<int>(out.rss_before_reading_mib)) +
               " MiB before reading the manifests (" + std::to_string(json_kib(info.manifests)) + " KiB of JSON), " + std::to_string(static_cast<int>(out.rss_after_reading_mib)) + " MiB after; " +
               std::to_string(static_cast<int>(file_rss_mib() + 0.5)) + " MiB of the RSS is code and libraries mapped from files";
    return out;
}

} // namespace esx::bench

#endif
