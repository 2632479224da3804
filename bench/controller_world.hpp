// The controller benchmark's world (bench/controller.cpp): bench-sync's tenant and manifests
// (bench/sync_world.hpp: V vaults of S secrets, N namespaces, E ExternalSecrets of 3 entries)
// living in the in-process mocks, the ESO CRDs and every object seeded before the controller
// starts; and `esx-controller` as a child process, whose CPU time and memory are read from
// /proc/<pid>/{stat,status} while it runs (so the mocks in this process are not counted).
#ifndef ESX_BENCH_CONTROLLER_WORLD_HPP
#define ESX_BENCH_CONTROLLER_WORLD_HPP

#include "bench/sync_world.hpp"
#include "mocks/azure/server.hpp"
#include "mocks/kube/server.hpp"

#include <esx/yaml.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace esx::bench {

/// user + system CPU seconds from a /proc `stat` file (a process's or a thread's; clock ticks,
/// so 10 ms resolution); 0 when it cannot be read (the process or thread is gone).
inline double stat_cpu_seconds(std::filesystem::path const& stat_file) {
    std::ifstream in(stat_file);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto const close = all.rfind(')');  // the name may hold spaces and parentheses
    if (close == std::string::npos) return 0;
    std::istringstream fields(all.substr(close + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0;
    // After the name: state(3) ... utime is field 14, stime 15.
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// The ESO CRDs of examples/controller/deploy/crds, as seed objects.
inline boost::json::array eso_crds(std::filesystem::path const& dir) {
    boost::json::array out;
    for (char const* file : {"externalsecrets.yaml", "secretstores.yaml", "clustersecretstores.yaml",
                             "clusterexternalsecrets.yaml"}) {
        std::ifstream in(dir / file);
        if (!in) throw std::runtime_error("cannot read the CRD " + (dir / file).string());
        std::stringstream text;
        text << in.rdbuf();
        auto docs = esx::yaml_documents(text.str());
        if (!docs) throw std::runtime_error("the CRD " + std::string(file) + ": " + docs.error().what());
        for (auto& d : *docs)
            if (d.is_object()) out.push_back(std::move(d));
    }
    return out;
}

/// An ExternalSecret of the benchmark's shape, created while the controller runs.
inline boost::json::object bench_external_secret(std::string const& ns, std::string const& name, int vault,
                                                 int first_secret, sync_layout const& l, std::string const& refresh) {
    boost::json::array data;
    for (int j = 0; j < l.entries; ++j)
        data.push_back({{"secretKey", "key-" + std::to_string(j)},
                        {"remoteRef", {{"key", secret_name((first_secret + j) % l.secrets_per_vault)}}}});
    return boost::json::object{
        {"apiVersion", "external-secrets.io/v1"},
        {"kind", "ExternalSecret"},
        {"metadata", {{"name", name}, {"namespace", ns}}},
        {"spec",
         {{"refreshInterval", refresh},
          {"secretStoreRef", {{"kind", "ClusterSecretStore"}, {"name", "vault-" + std::to_string(vault)}}},
          {"target", {{"name", name + "-secret"}, {"creationPolicy", "Owner"}}},
          {"data", std::move(data)}}}};
}

/// Both mocks (optimised, in this process), seeded with the CRDs, the stores and every
/// ExternalSecret (`refresh` as their `refreshInterval`), nothing synced yet.
struct controller_mocks {
    controller_mocks(sync_layout const& l, std::string const& refresh, std::filesystem::path const& dir,
                     std::filesystem::path const& crds)
        : azure([&] {
              mocks::azure::options a;
              a.seed_json = azure_seed(l);
              a.tls_dir = dir / "azure";
              return a;
          }()),
          kube([&] {
              mocks::kube::options k;
              k.seed_json = seed(l, refresh, crds);
              k.tls_dir = dir / "kube";
              return k;
          }()) {}

    std::string seed(sync_layout const& l, std::string const& refresh, std::filesystem::path const& crds) {
        auto s = boost::json::parse(kube_seed(l)).as_object();
        // Watches resume from anywhere in the run (the bench's own watches start at the seed's version).
        s["watch_window"] = 50 * l.external_secrets + 10000;
        auto& objects = s["objects"].as_array();
        for (auto& crd : eso_crds(crds)) objects.insert(objects.begin(), std::move(crd));
        sync_layout one_file = l;
        one_file.file_per_namespace = false;
        auto files = manifests(one_file, azure.authority(), azure.port());
        auto list = boost::json::parse(files.begin()->second).as_object();
        for (auto& item : list["items"].as_array()) {
            auto& o = item.as_object();
            if (o["kind"] == "ExternalSecret") o["spec"].as_object()["refreshInterval"] = refresh;
            objects.push_back(std::move(item));
        }
        return boost::json::serialize(s);
    }

    mocks::azure::server azure;
    mocks::kube::server kube;
};

/// A path that names a collection (a LIST), not one object.
inline bool is_collection(std::string_view path) {
    auto const last = path.substr(path.rfind('/') + 1);
    for (std::string_view plural : {"secrets", "externalsecrets", "secretstores", "clustersecretstores",
                                    "clusterexternalsecrets", "namespaces", "events", "leases"})
        if (last == plural) return true;
    return false;
}

/// What one mock request log holds, by kind.
struct request_counts {
    std::size_t token_requests = 0, kv_reads = 0, challenges = 0;
    std::size_t kube_writes = 0;         ///< every non-GET API request
    std::size_t secret_writes = 0;       ///< POST/PUT/PATCH/DELETE of Secrets
    std::size_t status_writes = 0;       ///< ExternalSecret /status
    std::size_t event_writes = 0;        ///< core/v1 and events.k8s.io Events
    std::size_t kube_gets = 0, kube_lists = 0, kube_watches = 0;
    /// Kubernetes requests by `METHOD /path` with namespaces and names as {ns} and {name}.
    std::map<std::string, std::size_t> kube_by_route;
};

/// `/api/v1/namespaces/ns01/secrets/x` -> `/api/v1/namespaces/{ns}/secrets/{name}`.
inline std::string route_of(std::string_view path) {
    std::string out;
    std::string_view previous;
    while (!path.empty()) {
        path.remove_prefix(path.front() == '/' ? 1 : 0);
        auto const end = path.find('/');
        auto const segment = path.substr(0, end);
        out += '/';
        // The credential Secret's namespace stays visible: its reads are not the targets'.
        if (previous == "namespaces" && segment != "esx-system") out += "{ns}";
        else if (previous == "namespaces") out += segment;
        else if (is_collection(previous) && previous != "namespaces") out += "{name}";
        else out += segment;
        previous = segment;
        path = end == std::string_view::npos ? std::string_view() : path.substr(end);
    }
    return out;
}

inline request_counts count_requests(controller_mocks const& m) {
    request_counts c;
    for (auto const& r : m.azure.requests()) {
        if (r.service == "vault" && r.method == "GET" && r.status == 200) ++c.kv_reads;
        if (r.service == "vault" && r.status == 401) ++c.challenges;
        if ((r.service == "aad" && r.path.ends_with("/oauth2/v2.0/token")) || r.service == "imds") ++c.token_requests;
    }
    for (auto const& r : m.kube.requests()) {
        ++c.kube_by_route[r.method + " " + route_of(r.path) + (r.query.find("watch=") != std::string::npos ? "?watch" : "")];
        if (r.method == "GET") {
            if (r.query.find("watch=") != std::string::npos) ++c.kube_watches;
            else if (is_collection(r.path)) ++c.kube_lists;
            else ++c.kube_gets;
            continue;
        }
        ++c.kube_writes;
        if (r.path.find("/secrets") != std::string::npos) ++c.secret_writes;
        else if (r.path.find("/externalsecrets/") != std::string::npos && r.path.ends_with("/status")) ++c.status_writes;
        else if (r.path.find("/events") != std::string::npos) ++c.event_writes;
    }
    return c;
}

/// `esx-controller` as a child process: started against the mocks, probed through /proc,
/// stopped with SIGTERM.
class controller_process {
public:
    controller_process(std::string const& program, std::vector<std::string> const& flags,
                       std::filesystem::path const& home, std::filesystem::path const& log) {
        std::vector<std::string> argv{program};
        argv.insert(argv.end(), flags.begin(), flags.end());
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        // A clean environment: no Azure SDK variable, no proxy, no KUBECONFIG of the user.
        std::vector<std::string> env{"HOME=" + home.string(), "PATH=/usr/bin:/bin", "LANG=C"};
        std::vector<char*> envp;
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        int const spawned = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) throw std::runtime_error("cannot start " + program);
    }
    controller_process(controller_process const&) = delete;
    controller_process& operator=(controller_process const&) = delete;
    ~controller_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    /// user + system CPU seconds so far.
    double cpu_seconds() const { return stat_cpu_seconds("/proc/" + std::to_string(pid_) + "/stat"); }
    /// A /proc/<pid>/status figure in MiB (`VmHWM`: peak RSS, `VmRSS`, `RssAnon`, `RssFile`).
    double status_mib(char const* field) const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
        std::string line;
        std::string const prefix = std::string(field) + ":";
        while (std::getline(in, line))
            if (line.rfind(prefix, 0) == 0) return std::strtod(line.c_str() + prefix.size(), nullptr) / 1024.0;
        return 0;
    }
    bool running() {
        if (pid_ <= 0) return false;
        int status = 0;
        pid_t const r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            pid_ = -1;
            return false;
        }
        return true;
    }
    /// SIGTERM, then waits up to `patience` (then SIGKILL); the exit status (-1: a signal ended
    /// it), and in `stop_seconds` how long it took to exit.
    int stop(std::chrono::seconds patience) {
        auto const start = std::chrono::steady_clock::now();
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            while (running() && std::chrono::steady_clock::now() - start < patience) ::usleep(10000);
            if (pid_ > 0) {
                killed_ = true;
                ::kill(pid_, SIGKILL);
                int status = 0;
                ::waitpid(pid_, &status, 0);
                pid_ = -1;
            }
        }
        stop_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return exit_status_;
    }
    bool killed() const noexcept { return killed_; }  ///< SIGTERM did not end it within the patience
    double stop_seconds() const noexcept { return stop_seconds_; }

private:
    pid_t pid_ = -1;
    int exit_status_ = -1;
    bool killed_ = false;
    double stop_seconds_ = 0;
};

} // namespace esx::bench

#endif
