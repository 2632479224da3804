// esx::kube::config: where the API server is and how to authenticate to it.
#ifndef ESX_KUBE_CONFIG_HPP
#define ESX_KUBE_CONFIG_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/kube/credentials.hpp>
#include <esx/secret.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace esx::kube {

/// Looks up an environment variable; tests pass their own instead of changing the process's.
using env_lookup = std::function<std::optional<std::string>(std::string const& name)>;

/// The process environment (`std::getenv`).
ESX_DECL env_lookup process_environment();

/// Where kubeconfig files are and which context to use.
struct kubeconfig_options {
    /// `:`-separated kubeconfig paths, merged first-wins as kubectl does. Empty: `KUBECONFIG`
    /// from `env`, else `$HOME/.kube/config`.
    std::string paths;
    /// The context to use (`--context`); empty: `current-context`.
    std::string context;
    env_lookup env = process_environment();
};

/// Where the in-cluster files are (the service-account volume) and the environment to read.
struct in_cluster_options {
    std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
    env_lookup env = process_environment();
};

/** Everything the client needs to reach one API server.

    Build one with `in_cluster()`, `from_kubeconfig()` or `load()`, or fill it in (tests).
    Copies share the token source.

    @par Errors of the loaders (`failure`, with a message naming the file, context or field)
    `error::invalid_option`: not in a cluster, no kubeconfig, an unknown context, cluster or
    user, a field of the wrong type, bad base64 in a `*-data` field, an unreadable file, a
    client certificate without its key, an exec `apiVersion` other than
    client.authentication.k8s.io/v1 or v1beta1, malformed YAML (with its line and column), or an `auth-provider` user.

    @par Not supported (yet)
    `tls-server-name`, `username`/`password`, impersonation (`as`, `as-groups`), client
    certificates returned by exec plugins, and `disable-compression`; `proxy-url` is used for
    REST requests but not for watches.
*/
struct config {
    std::string server;                      ///< `https://host:port` (no trailing slash)
    std::string default_namespace = "default";
    std::string ca_pem;                      ///< trusted CA; empty: the system store
    std::string client_certificate_pem;      ///< mutual TLS
    secret_bytes client_key_pem;
    std::shared_ptr<token_source> token;     ///< null: no bearer token
    bool insecure_skip_tls_verify = false;   ///< diagnosis only; the client logs a warning
    std::string proxy_url;                   ///< cluster `proxy-url`
    std::string context;                     ///< the kubeconfig context it came from ("" in-cluster)
    /// Client-side rate limit of requests (a token bucket): sustained requests per second and
    /// the burst allowed above it (ESO's `--client-qps` / `--client-burst` defaults).
    double qps = 50;
    std::size_t burst = 100;

    /// In-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT`, and `token` (re-read when it rotates),
    /// `ca.crt` and `namespace` of the service-account directory.
    ESX_DECL static result<config, failure> in_cluster(in_cluster_options const& o = {});

    /// From kubeconfig files (see `kubeconfig_options`).
    ESX_DECL static result<config, failure> from_kubeconfig(kubeconfig_options const& o = {});

    /// In-cluster when `KUBERNETES_SERVICE_HOST` is set and no kubeconfig path or context is
    /// asked for explicitly; kubeconfig otherwise.
    ESX_DECL static result<config, failure> load(kubeconfig_options const& o = {},
                                                 in_cluster_options const& in = {});

    /// The same from kubeconfig text already read (`dir` resolves relative paths).
    ESX_DECL static result<config, failure> from_kubeconfig_text(std::string_view yaml, std::string const& context = {},
                                                                 std::filesystem::path const& dir = {});
};

} // namespace esx::kube

#if ESX_HEADER_ONLY
#  include <esx/kube/impl/config.ipp>
#endif

#endif
