// esx CLI: the flags `sync` and `get` share to reach the cluster and the cloud, checked once.
#ifndef ESX_EXAMPLES_CLI_CONNECTION_HPP
#define ESX_EXAMPLES_CLI_CONNECTION_HPP

#include "args.hpp"

#include <esx/kube/config.hpp>
#include <esx/pipeline/runtime.hpp>

#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace esx::cli {

/// Where the cluster and the cloud are, from the command line (the Azure SDK variables
/// AZURE_AUTHORITY_HOST, AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and
/// AZURE_POD_IDENTITY_AUTHORITY_HOST are read by the runtime from the environment).
struct connection {
    std::string kubeconfig;   ///< --kubeconfig; empty: in-cluster, else KUBECONFIG, else ~/.kube/config
    std::string context;      ///< --context; empty: the kubeconfig's current context
    std::string namespace_;   ///< --namespace; documents without one land here
    std::string cacert;       ///< --cacert: PEM file trusted besides the system store
    std::map<std::string, std::string> resolve;  ///< --resolve HOST:PORT:ADDR, as "HOST:PORT" -> ADDR
    bool allow_controller_identity = false;       ///< --allow-controller-identity
};

/// The option specs of `connection`, to be listed in a command's own table.
#define ESX_CLI_CONNECTION_OPTIONS                                                   \
    {.name = "kubeconfig", .takes_value = true},                                    \
    {.name = "context", .takes_value = true},                                       \
    {.name = "namespace", .short_name = 'n', .takes_value = true},                  \
    {.name = "cacert", .takes_value = true},                                        \
    {.name = "resolve", .takes_value = true, .repeatable = true},                   \
    {.name = "allow-controller-identity"}

/// The help lines of the connection options.
inline constexpr char const* connection_help =
    "  --kubeconfig FILE        the cluster (default: in-cluster, else $KUBECONFIG, else ~/.kube/config)\n"
    "  --context NAME           a kubeconfig context other than the current one\n"
    "  -n, --namespace N        namespace of documents that name none (default: the context's, else default)\n"
    "  --cacert FILE            also trust the PEM certificates in FILE for Azure (Entra ID, vaults)\n"
    "  --resolve HOST:PORT:ADDR connect to ADDR for HOST:PORT, TLS still checks HOST (repeatable)\n"
    "  --allow-controller-identity\n"
    "                           let a namespaced SecretStore use this process's own identity\n"
    "                           (ManagedIdentity, or WorkloadIdentity without serviceAccountRef);\n"
    "                           ESO allows it always, esx only when asked\n";

inline constexpr char const* environment_help =
    "Environment (as the Azure SDKs read it):\n"
    "  AZURE_AUTHORITY_HOST              Entra ID authority for stores without a custom cloud\n"
    "  AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE\n"
    "                                    workload identity without serviceAccountRef\n"
    "  AZURE_POD_IDENTITY_AUTHORITY_HOST IMDS address for ManagedIdentity (default 169.254.169.254)\n"
    "  KUBECONFIG                        kubeconfig files, when --kubeconfig is not given\n";

/// A command's help text with its `%CONNECTION%` and `%ENVIRONMENT%` placeholders filled in.
inline std::string with_connection_help(std::string_view command_help) {
    std::string h(command_help);
    h.replace(h.find("%CONNECTION%"), 12, connection_help);
    h.replace(h.find("%ENVIRONMENT%"), 13, environment_help);
    return h;
}

/// The connection flags of `args`, or the usage error's text.
inline std::variant<connection, std::string> connection_from(arguments const& args) {
    connection c;
    c.kubeconfig = args.value("kubeconfig");
    c.context = args.value("context");
    c.namespace_ = args.value("namespace");
    c.cacert = args.value("cacert");
    for (auto const& r : args.values("resolve")) {
        auto override_ = parse_resolve(r);
        if (!override_) return "--resolve wants HOST:PORT:ADDR, got `" + r + "`";
        c.resolve.insert(std::move(*override_));
    }
    c.allow_controller_identity = args.has("allow-controller-identity");
    return c;
}

/// The namespace of documents that name none: --namespace, else the kubeconfig context's (as
/// kubectl), else `default`. Reading the kubeconfig for it needs no cluster.
inline std::string default_namespace(connection const& c, runtime_options const& ro) {
    if (!c.namespace_.empty()) return c.namespace_;
    kube::kubeconfig_options k;
    k.paths = ro.kubeconfig;
    k.context = ro.context;
    k.env = esx::detail::env_lookup_of(ro.getenv);
    kube::in_cluster_options in;
    in.env = k.env;
    auto config = kube::config::load(k, in);
    return config && !config->default_namespace.empty() ? config->default_namespace : std::string("default");
}

} // namespace esx::cli

#endif
