// The sync benchmark's servers in a child process of their own, so that the CPU time and peak
// RSS the benchmark reports for a contender are the contender's alone. The child is forked
// before the parent starts any thread, builds mock Kubernetes and mock Azure (the optimised
// static libraries of bench/meson.build) with the world of sync_world.hpp, writes the manifests,
// and on `report()` answers with the counts of its request logs and exits.
#ifndef ESX_BENCH_SYNC_MOCKS_HPP
#define ESX_BENCH_SYNC_MOCKS_HPP

#include "bench/sync_world.hpp"
#include "mocks/azure/server.hpp"
#include "mocks/kube/server.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace esx::bench {

struct mock_info {
    std::string kubeconfig, authority, ca_file;
    std::string manifests;  ///< a file, or a directory of them
    unsigned short port = 0;  ///< Entra ID and the vaults
};

struct mock_counts {
    std::size_t kv_reads = 0;        ///< vault GETs answered 200
    std::size_t challenges = 0;      ///< vault requests answered 401 (the new SDK's challenge probe)
    std::size_t token_requests = 0;  ///< Entra ID token POSTs and IMDS GETs
    std::size_t kube_reads = 0;      ///< GETs of one Secret
    std::size_t kube_lists = 0;      ///< LISTs of Secrets
    std::size_t kube_writes = 0;     ///< POST, PUT, PATCH, DELETE of Secrets
    std::size_t kube_other = 0;      ///< every other API request (ExternalSecrets, discovery, ...)
};

class forked_mocks {
public:
    forked_mocks(sync_layout const& layout, std::filesystem::path dir) {
        int to_child[2], from_child[2];
        if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) throw std::runtime_error("pipe failed");
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::close(to_child[1]);
            ::close(from_child[0]);
            serve(layout, dir, to_child[0], from_child[1]);  // never returns
        }
        ::close(to_child[0]);
        ::close(from_child[1]);
        command_ = to_child[1];
        answers_ = ::fdopen(from_child[0], "r");
        auto line = read_line();
        if (line.empty()) throw std::runtime_error("the mock process did not start");
        auto v = boost::json::parse(line).as_object();
        info_.kubeconfig = v.at("kubeconfig").as_string();
        info_.authority = v.at("authority").as_string();
        info_.ca_file = v.at("ca").as_string();
        info_.manifests = v.at("manifests").as_string();
        info_.port = static_cast<unsigned short>(v.at("port").to_number<int>());
    }
    forked_mocks(forked_mocks const&) = delete;
    forked_mocks& operator=(forked_mocks const&) = delete;
    ~forked_mocks() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (answers_) std::fclose(answers_);
        if (command_ >= 0) ::close(command_);
    }

    mock_info const& info() const { return info_; }

    /// The request-log counts; stops the servers and reaps the child.
    mock_counts report() {
        if (::write(command_, "report\n", 7) != 7) throw std::runtime_error("the mock process is gone");
        auto v = boost::json::parse(read_line()).as_object();
        mock_counts c;
        c.kv_reads = v.at("kv_reads").to_number<std::size_t>();
        c.challenges = v.at("challenges").to_number<std::size_t>();
        c.token_requests = v.at("token_requests").to_number<std::size_t>();
        c.kube_reads = v.at("kube_reads").to_number<std::size_t>();
        c.kube_lists = v.at("kube_lists").to_number<std::size_t>();
        c.kube_writes = v.at("kube_writes").to_number<std::size_t>();
        c.kube_other = v.at("kube_other").to_number<std::size_t>();
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return c;
    }

private:
    std::string read_line() {
        std::string line;
        for (int ch; (ch = std::fgetc(answers_)) != EOF && ch != '\n';) line.push_back(static_cast<char>(ch));
        return line;
    }

    [[noreturn]] static void serve(sync_layout const& layout, std::filesystem::path const& dir, int commands,
                                   int answers) {
        try {
            std::filesystem::create_directories(dir);
            mocks::kube::options ko;
            ko.seed_json = kube_seed(layout);
            ko.tls_dir = dir / "kube";
            mocks::kube::server kube(ko);
            mocks::azure::options ao;
            ao.seed_json = azure_seed(layout);
            ao.tls_dir = dir / "azure";
            mocks::azure::server azure(ao);
            auto const files = manifests(layout, azure.authority(), azure.port());
            std::filesystem::create_directories(dir / "manifests");
            for (auto const& [name, text] : files) std::ofstream(dir / "manifests" / name) << text;
            // One file: its path; several: the directory (`esx sync -f DIR`).
            auto const manifests_file = files.size() == 1 ? dir / "manifests" / files.begin()->first : dir / "manifests";
            std::string const hello = boost::json::serialize(boost::json::object{
                                          {"kubeconfig", kube.kubeconfig_file().string()},
                                          {"authority", azure.authority()},
                                          {"ca", (dir / "azure" / "ca.pem").string()},
                                          {"manifests", manifests_file.string()},
                                          {"port", azure.port()}}) +
                                      "\n";
            if (::write(answers, hello.data(), hello.size()) < 0) ::_exit(1);
            char buf[16];
            if (::read(commands, buf, sizeof buf) <= 0) ::_exit(0);  // the parent went away
            boost::json::object counts{{"kv_reads", 0}, {"challenges", 0}, {"token_requests", 0},
                                       {"kube_reads", 0}, {"kube_lists", 0}, {"kube_writes", 0}, {"kube_other", 0}};
            auto bump = [&](char const* k) { counts[k] = counts[k].to_number<std::size_t>() + 1; };
            for (auto const& r : azure.requests()) {
                if (r.service == "vault" && r.method == "GET" && r.status == 200) bump("kv_reads");
                if (r.service == "vault" && r.status == 401) bump("challenges");
                if ((r.service == "aad" && r.path.ends_with("/oauth2/v2.0/token")) || r.service == "imds")
                    bump("token_requests");
            }
            for (auto const& r : kube.requests()) {
                bool const secrets = r.path.find("/secrets") != std::string::npos;
                if (!secrets) bump("kube_other");
                else if (r.method != "GET") bump("kube_writes");
                else if (r.path.ends_with("/secrets")) bump("kube_lists");
                else bump("kube_reads");
            }
            std::string const answer = boost::json::serialize(counts) + "\n";
            if (::write(answers, answer.data(), answer.size()) < 0) ::_exit(1);
            azure.stop();
            kube.stop();
            ::_exit(0);
        } catch (std::exception const& e) {
            std::fprintf(stderr, "bench-sync: mock process: %s\n", e.what());
            ::_exit(1);
        }
    }

    pid_t pid_ = -1;
    int command_ = -1;
    std::FILE* answers_ = nullptr;
    mock_info info_;
};

} // namespace esx::bench

#endif
