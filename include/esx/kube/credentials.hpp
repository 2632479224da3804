// esx::kube: where the bearer token of each request comes from.
//
// Kubernetes credentials change while a controller runs: the projected service-account token
// is rotated by the kubelet (about hourly), and exec plugins (kubelogin for AKS, the cloud
// CLIs) hand out tokens that expire. So the client asks a `token_source` for the token of
// every request instead of keeping one string.
#ifndef ESX_KUBE_CREDENTIALS_HPP
#define ESX_KUBE_CREDENTIALS_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/secret.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace esx::kube {

/// `users[].user.exec` of a kubeconfig (client.authentication.k8s.io/v1 or v1beta1).
struct exec_config {
    std::string api_version = "client.authentication.k8s.io/v1";
    std::string command;                ///< a path with a `/` is relative to the kubeconfig's folder; else PATH
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env; ///< added to the process environment
    bool provide_cluster_info = false;  ///< adds `spec.cluster` (server, CA) to KUBERNETES_EXEC_INFO
    std::string install_hint;           ///< shown when the command cannot be started
    // Filled from the cluster for provideClusterInfo.
    std::string cluster_server;
    std::string cluster_ca_pem;
};

/// What an exec plugin printed: a token and/or a client certificate, and until when.
struct exec_credential {
    secret_bytes token;
    std::string client_certificate_pem;
    secret_bytes client_key_pem;
    std::optional<std::chrono::system_clock::time_point> expires_at; ///< unset: until the server says 401
};

/** A source of bearer tokens, shared by copies of a `config` and safe to use from several
    threads.

    - `fixed`: a kubeconfig `token`.
    - `file`: in-cluster `token` or kubeconfig `tokenFile`; re-read whenever the file changes
      (inode, size or modification time; the kubelet swaps a symlink), so a rotated token is
      used by the next request.
    - `exec`: runs the plugin (posix_spawn, `KUBERNETES_EXEC_INFO` set, stdin from /dev/null,
      stderr passed through for its messages), caches `status.token` until
      `status.expirationTimestamp`, and runs it again after that or after `invalidate()`
      (the client calls it on a 401). Running the plugin blocks the calling thread for as long
      as the plugin runs: it happens once per token lifetime.

    @par Errors (as `failure`, message naming the file or command, never the token)
    `error::invalid_option` (unreadable or empty token file, a plugin that cannot start, exits
    non-zero, or prints something that is not an ExecCredential of the requested apiVersion).
*/
class token_source {
public:
    enum class kind { fixed, file, exec };

    static std::shared_ptr<token_source> fixed(secret_bytes token) {
        auto s = std::make_shared<token_source>(private_tag{}, kind::fixed);
        s->cached_ = std::move(token);
        return s;
    }
    static std::shared_ptr<token_source> from_file(std::filesystem::path path) {
        auto s = std::make_shared<token_source>(private_tag{}, kind::file);
        s->path_ = std::move(path);
        return s;
    }
    static std::shared_ptr<token_source> from_exec(exec_config e) {
        auto s = std::make_shared<token_source>(private_tag{}, kind::exec);
        s->exec_ = std::move(e);
        return s;
    }

    kind type() const noexcept { return kind_; }
    std::filesystem::path const& file() const noexcept { return path_; }
    exec_config const* exec() const noexcept { return kind_ == kind::exec ? &exec_ : nullptr; }

    /// The token to send now (`now` decides whether an exec token has expired).
    ESX_DECL result<secret_bytes, failure> token(std::chrono::system_clock::time_point now);

    /// Forgets a cached exec token or file snapshot, so the next `token()` fetches it again.
    ESX_DECL void invalidate();

    /// How many times the exec plugin ran or the file was read (tests and diagnostics).
    std::size_t refreshes() const {
        std::lock_guard lock(mutex_);
        return refreshes_;
    }

    struct private_tag {};
    token_source(private_tag, kind k) : kind_(k) {}

private:
    kind kind_;
    mutable std::mutex mutex_;
    secret_bytes cached_;
    std::size_t refreshes_ = 0;
    // file
    std::filesystem::path path_;
    struct file_identity {
        std::uint64_t inode = 0, size = 0;
        std::int64_t mtime_ns = 0;
        bool operator==(file_identity const&) const = default;
    };
    std::optional<file_identity> seen_;
    // exec
    exec_config exec_;
    std::optional<std::chrono::system_clock::time_point> expires_at_;
    bool have_exec_ = false;
};

/// Runs an exec credential plugin once and parses its ExecCredential.
ESX_DECL result<exec_credential, failure> run_exec_plugin(exec_config const& e);

/// Parses an ExecCredential document (what a plugin prints); `api_version` must match.
ESX_DECL result<exec_credential, failure> parse_exec_credential(std::string_view text, std::string_view api_version);

} // namespace esx::kube

#if ESX_HEADER_ONLY
#  include <esx/kube/impl/credentials.ipp>
#endif

#endif
