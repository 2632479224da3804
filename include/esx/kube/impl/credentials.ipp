#ifndef ESX_KUBE_IMPL_CREDENTIALS_IPP
#define ESX_KUBE_IMPL_CREDENTIALS_IPP

#include <esx/kube/credentials.hpp>
#include <esx/kube/detail/text.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace esx::kube {
namespace detail {

inline failure credential_failure(std::string message) {
    return failure(make_error_code(error::invalid_option), std::move(message));
}

// The largest ExecCredential accepted: a token or a certificate chain is a few KiB.
inline constexpr std::size_t max_exec_output = 1024 * 1024;

} // namespace detail

ESX_DECL result<secret_bytes, failure> token_source::token(std::chrono::system_clock::time_point now) {
    std::lock_guard lock(mutex_);
    switch (kind_) {
    case kind::fixed: return cached_;
    case kind::file: {
        struct ::stat st {};
        if (::stat(path_.c_str(), &st) != 0)
            return detail::credential_failure("token file " + path_.string() + ": cannot be read");
        file_identity const id{static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
                               static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
        if (seen_ && *seen_ == id) return cached_;
        std::ifstream in(path_, std::ios::binary);
        if (!in) return detail::credential_failure("token file " + path_.string() + ": cannot be read");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // Mounted tokens carry no newline, hand-written files often do.
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
        secret_bytes fresh(text);
        esx::detail::secure_wipe(text.data(), text.size());
        if (fresh.empty()) return detail::credential_failure("token file " + path_.string() + ": is empty");
        cached_ = std::move(fresh);
        seen_ = id;
        ++refreshes_;
        return cached_;
    }
    case kind::exec: {
        if (have_exec_ && (!expires_at_ || now < *expires_at_)) return cached_;
        auto cred = run_exec_plugin(exec_);
        if (!cred) return cred.error();
        if (cred->token.empty())
            return detail::credential_failure("exec plugin " + exec_.command +
                                              ": the ExecCredential has no status.token (client certificates from "
                                              "plugins are not supported)");
        cached_ = std::move(cred->token);
        expires_at_ = cred->expires_at;
        have_exec_ = true;
        ++refreshes_;
        return cached_;
    }
    }
    return detail::credential_failure("unknown token source");
}

ESX_DECL void token_source::invalidate() {
    std::lock_guard lock(mutex_);
    if (kind_ == kind::file) seen_.reset();
    if (kind_ == kind::exec) {
        have_exec_ = false;
        cached_.clear();
    }
}

ESX_DECL result<exec_credential, failure> parse_exec_credential(std::string_view text, std::string_view api_version) {
    namespace json = boost::json;
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object()) return detail::credential_failure("ExecCredential: not a JSON object");
    auto const& o = doc.as_object();
    auto str = [](json::object const& obj, std::string_view key) -> std::string_view {
        auto const* v = obj.if_contains(key);
        return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
    };
    if (str(o, "kind") != "ExecCredential") return detail::credential_failure("ExecCredential: kind must be ExecCredential");
    if (str(o, "apiVersion") != api_version)
        return detail::credential_failure("ExecCredential: apiVersion is `" + std::string(str(o, "apiVersion")) +
                                          "`, expected `" + std::string(api_version) + "`");
    auto const* status = o.if_contains("status");
    if (!status || !status->is_object()) return detail::credential_failure("ExecCredential: status is missing");
    auto const& s = status->as_object();
    exec_credential out;
    out.token = secret_bytes(str(s, "token"));
    out.client_certificate_pem = std::string(str(s, "clientCertificateData"));
    out.client_key_pem = secret_bytes(str(s, "clientKeyData"));
    if (auto ts = str(s, "expirationTimestamp"); !ts.empty()) {
        auto parsed = detail::parse_rfc3339(ts);
        if (!parsed) return detail::credential_failure("ExecCredential: status.expirationTimestamp is not RFC 3339");
        out.expires_at = *parsed;
    }
    if (out.token.empty() && (out.client_certificate_pem.empty() || out.client_key_pem.empty()))
        return detail::credential_failure("ExecCredential: status needs token or clientCertificateData and clientKeyData");
    return out;
}

ESX_DECL result<exec_credential, failure> run_exec_plugin(exec_config const& e) {
    namespace json = boost::json;
    if (e.command.empty()) return detail::credential_failure("exec plugin: command is empty");
    json::object spec{{"interactive", false}};
    if (e.provide_cluster_info) {
        spec["cluster"] = json::object{{"server", e.cluster_server}};
        if (!e.cluster_ca_pem.empty()) {
            static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            std::string b64;
            std::string_view in = e.cluster_ca_pem;
            for (std::size_t i = 0; i < in.size(); i += 3) {
                unsigned n = unsigned(static_cast<unsigned char>(in[i])) << 16;
                if (i + 1 < in.size()) n |= unsigned(static_cast<unsigned char>(in[i + 1])) << 8;
                if (i + 2 < in.size()) n |= unsigned(static_cast<unsigned char>(in[i + 2]));
                b64 += table[(n >> 18) & 63];
                b64 += table[(n >> 12) & 63];
                b64 += i + 1 < in.size() ? table[(n >> 6) & 63] : '=';
                b64 += i + 2 < in.size() ? table[n & 63] : '=';
            }
            spec["cluster"].as_object()["certificate-authority-data"] = b64;
        }
    }
    json::object info{{"apiVersion", e.api_version}, {"kind", "ExecCredential"}, {"spec", std::move(spec)}};

    // argv and envp are built before fork-free posix_spawn; the child inherits nothing else.
    std::vector<std::string> argv_text{e.command};
    argv_text.insert(argv_text.end(), e.args.begin(), e.args.end());
    std::vector<std::string> env_text;
    for (char** p = environ; p && *p; ++p) {
        std::string_view const kv(*p);
        auto const name = kv.substr(0, kv.find('='));
        bool overridden = name == "KUBERNETES_EXEC_INFO";
        for (auto const& [k, v] : e.env) overridden = overridden || name == k;
        if (!overridden) env_text.emplace_back(kv);
    }
    for (auto const& [k, v] : e.env) env_text.push_back(k + "=" + v);
    env_text.push_back("KUBERNETES_EXEC_INFO=" + json::serialize(info));
    std::vector<char*> argv, envp;
    for (auto& s : argv_text) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_text) envp.push_back(s.data());
    envp.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return detail::credential_failure("exec plugin " + e.command + ": pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    pid_t pid = 0;
    int const rc = ::posix_spawnp(&pid, e.command.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        std::string msg = "exec plugin " + e.command + ": cannot be started (" + std::strerror(rc) + ")";
        if (!e.install_hint.empty()) msg += "; " + e.install_hint;
        return detail::credential_failure(std::move(msg));
    }
    secret_bytes output; // holds the token: wiped when done
    bool too_large = false;
    char buf[4096];
    for (;;) {
        ssize_t const n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (output.size() + std::size_t(n) > detail::max_exec_output) too_large = true;
        else output.append(std::string_view(buf, std::size_t(n)));
    }

    esx::detail::secure_wipe(buf, sizeof buf);
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return detail::credential_failure("exec plugin " + e.command + ": exited with status " +
                                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    if (too_large) return detail::credential_failure("exec plugin " + e.command + ": output larger than 1 MiB");
    auto parsed = parse_exec_credential(output.reveal(), e.api_version);
    if (!parsed) {
        auto f = parsed.error();
        f.message = "exec plugin " + e.command + ": " + f.message;
        return f;
    }
    return parsed;

}

} // namespace esx::kube

#endif
