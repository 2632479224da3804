// esx::controller: `esx-controller`'s flags (see <esx/controller/controller_options.hpp>).
#ifndef ESX_CONTROLLER_IMPL_CONTROLLER_OPTIONS_IPP
#define ESX_CONTROLLER_IMPL_CONTROLLER_OPTIONS_IPP

#include <esx/controller/controller_options.hpp>
#include <esx/controller/http_endpoints.hpp>
#include <esx/spec/duration.hpp>

#include <charconv>
#include <cstdint>
#include <string>

namespace esx::controller {

namespace detail {

inline failure flag_failure(std::string_view flag, std::string message) {
    return failure(make_error_code(error::invalid_option), "--" + std::string(flag) + ": " + std::move(message));
}

template <class Number>
result<Number, failure> flag_number(std::string_view flag, std::string_view text, Number min) {
    Number n{};
    auto const* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc() || p != end || n < min)
        return flag_failure(flag, "wants a number of at least " + std::to_string(min) + ", got `" + std::string(text) + "`");
    return n;
}

inline result<double, failure> flag_rate(std::string_view flag, std::string_view text) {
    // std::from_chars for double is in libstdc++ 11+.
    double d = 0;
    auto const* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, d);
    if (ec != std::errc() || p != end || !(d >= 0))
        return flag_failure(flag, "wants a rate per second (0 turns the limit off), got `" + std::string(text) + "`");
    return d;
}

inline result<std::chrono::seconds, failure> flag_seconds(std::string_view flag, std::string_view text) {
    // ESO's flags are Go durations (`30s`, `5m`, `1h`, `1m30s`); a bare number is seconds.
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
        auto n = flag_number<std::int64_t>(flag, text, 0);
        if (!n) return n.error();
        return std::chrono::seconds(*n);
    }
    auto d = spec::parse_duration(text);
    if (!d || d->count() < 0)
        return flag_failure(flag, "wants a duration such as 30s, 5m or 1h, got `" + std::string(text) + "`");
    return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

inline result<std::chrono::milliseconds, failure> flag_milliseconds(std::string_view flag, std::string_view text) {
    // `500ms`, `2s`, `2` (seconds), `1m`: leader election runs on sub-second periods in tests.
    std::string_view digits = text;
    std::int64_t scale = 1000;
    if (digits.ends_with("ms")) digits.remove_suffix(2), scale = 1;
    else if (digits.ends_with('s')) digits.remove_suffix(1);
    else if (digits.ends_with('m')) digits.remove_suffix(1), scale = 60000;
    auto n = flag_number<std::int64_t>(flag, digits, 1);
    if (!n) return flag_failure(flag, "wants a duration such as 500ms, 15s or 1m, got `" + std::string(text) + "`");
    return std::chrono::milliseconds(*n * scale);
}

inline result<bool, failure> flag_switch(std::string_view flag, std::optional<std::string_view> value) {
    if (!value || *value == "true") return true;
    if (*value == "false") return false;
    return flag_failure(flag, "is a switch: give it alone, or =true / =false, not `" + std::string(*value) + "`");
}

} // namespace detail

ESX_DECL result<controller_command_line, failure> parse_controller_flags(std::span<char const* const> args,
                                                                         auth::getenv_function getenv) {
    auto env = runtime_options::from_environment(getenv);
    if (!env) return env.error();
    controller_command_line out;
    auto& o = out.options;
    o.runtime = std::move(*env);

    struct spec {
        std::string_view name;
        bool takes_value;
    };
    static constexpr spec specs[] = {
        {"kubeconfig", true},     {"context", true},         {"namespace", true},
        {"concurrency", true},    {"kube-qps", true},        {"kube-burst", true},
        {"metrics-addr", true},   {"health-addr", true},     {"leader-elect", false},
        {"leader-elect-namespace", true}, {"leader-elect-id", true}, {"log-level", true},
        {"leader-elect-lease-duration", true}, {"leader-elect-renew-deadline", true},
        {"leader-elect-retry-period", true},
        {"allow-controller-identity", false}, {"cacert", true}, {"resolve", true},
        {"grace-period", true},   {"azure-qps", true},       {"azure-burst", true},
        {"store-requeue-interval", true},
    };

    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i] ? std::string_view(args[i]) : std::string_view();
        if (a == "--help" || a == "-h") {
            out.help = true;
            continue;
        }
        if (!a.starts_with("--"))
            return failure(make_error_code(error::invalid_option),
                           "unexpected argument `" + std::string(a) + "`: esx-controller takes flags only (see --help)");
        std::string_view name = a.substr(2);
        std::optional<std::string_view> value;
        if (auto eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        spec const* s = nullptr;
        for (auto const& candidate : specs)
            if (candidate.name == name) s = &candidate;
        if (!s)
            return failure(make_error_code(error::invalid_option), "unknown flag `--" + std::string(name) + "` (see --help)");
        if (s->takes_value && !value) {
            if (i + 1 >= args.size() || !args[i + 1]) return detail::flag_failure(name, "wants a value");
            value = std::string_view(args[++i]);
        }
        std::string const v = value ? std::string(*value) : std::string();

        if (name == "kubeconfig") o.runtime.kubeconfig = v;
        else if (name == "context") o.runtime.context = v;
        else if (name == "namespace") o.namespace_ = v;
        else if (name == "concurrency") {
            auto n = detail::flag_number<std::size_t>(name, v, 1);
            if (!n) return n.error();
            o.concurrency = *n;
        } else if (name == "kube-qps") {
            auto q = detail::flag_rate(name, v);
            if (!q) return q.error();
            o.limits.kubernetes_qps = *q;
            o.runtime.kube_qps = *q;
        } else if (name == "kube-burst") {
            auto b = detail::flag_number<std::size_t>(name, v, 1);
            if (!b) return b.error();
            o.limits.kubernetes_burst = *b;
            o.runtime.kube_burst = *b;
        } else if (name == "azure-qps") {
            auto q = detail::flag_rate(name, v);
            if (!q) return q.error();
            o.limits.azure_qps = *q;
        } else if (name == "azure-burst") {
            auto b = detail::flag_number<std::size_t>(name, v, 1);
            if (!b) return b.error();
            o.limits.azure_burst = *b;
        } else if (name == "metrics-addr" || name == "health-addr") {
            if (v != "0")
                if (auto ep = parse_listen_address(v); !ep)
                    return detail::flag_failure(name, "wants HOST:PORT, :PORT or 0 (off), got `" + v + "`");
            (name == "metrics-addr" ? o.metrics_addr : o.health_addr) = v;
        } else if (name == "leader-elect") {
            auto b = detail::flag_switch(name, value);
            if (!b) return b.error();
            o.leader_elect = *b;
        } else if (name == "leader-elect-namespace") o.leader.lease_namespace = v;
        else if (name == "leader-elect-id") {
            if (v.empty()) return detail::flag_failure(name, "wants the Lease's name");
            o.leader.lease_name = v;
        } else if (name == "leader-elect-lease-duration" || name == "leader-elect-renew-deadline" ||
                   name == "leader-elect-retry-period") {
            auto d = detail::flag_milliseconds(name, v);
            if (!d) return d.error();
            (name == "leader-elect-lease-duration"  ? o.leader.lease_duration
             : name == "leader-elect-renew-deadline" ? o.leader.renew_deadline
                                                     : o.leader.retry_period) = *d;
        } else if (name == "log-level") {
            auto l = log::parse_level(v);
            if (!l) return detail::flag_failure(name, "wants trace, debug, info, warn, error or off, got `" + v + "`");
            o.log_level = *l;
        } else if (name == "allow-controller-identity") {
            auto b = detail::flag_switch(name, value);
            if (!b) return b.error();
            o.runtime.allow_controller_identity = *b;
        } else if (name == "cacert") o.runtime.ca_file = v;
        else if (name == "resolve") {
            auto added = o.runtime.add_resolve(v);
            if (!added) return detail::flag_failure(name, added.error().what());
        } else if (name == "grace-period") {
            auto g = detail::flag_seconds(name, v);
            if (!g) return g.error();
            o.grace_period = *g;
        } else if (name == "store-requeue-interval") {
            auto g = detail::flag_seconds(name, v);
            if (!g) return g.error();
            o.store_requeue_interval = *g;
        }
    }
    o.queue.concurrency = o.concurrency;
    if (o.leader_elect)
        if (auto ok = validate(o.leader); !ok) return ok.error();
    return out;
}

ESX_DECL std::string_view controller_help() noexcept {
    return "usage: esx-controller [FLAGS]\n"
           "\n"
           "Keeps Kubernetes Secrets in sync with Azure Key Vault from External Secrets Operator resources\n"
           "(ExternalSecret, SecretStore, ClusterSecretStore, ClusterExternalSecret; provider azurekv).\n"
           "\n"
           "Cluster:\n"
           "  --kubeconfig FILE          the cluster (default: in-cluster, else $KUBECONFIG, else ~/.kube/config)\n"
           "  --context NAME             a kubeconfig context other than the current one\n"
           "  --namespace NS             watch one namespace only (default: all; cluster-scoped kinds always)\n"
           "  --kube-qps N               Kubernetes requests per second (default 50; 0: no limit)\n"
           "  --kube-burst N             Kubernetes request burst (default 100)\n"
           "Work:\n"
           "  --concurrency N            ExternalSecret syncs at once (default 16)\n"
           "  --grace-period D           on SIGTERM, how long in-flight syncs may finish (default 20s)\n"
           "  --store-requeue-interval D how long a store's credentials, once read, serve syncs before they\n"
           "                             are read again (default 5m; sooner when the store changes or Azure\n"
           "                             refuses them; 0: read for every sync)\n"
           "Azure:\n"
           "  --cacert FILE              also trust the PEM certificates in FILE for Azure (Entra ID, vaults)\n"
           "  --resolve HOST:PORT:ADDR   connect to ADDR for HOST:PORT, TLS still checks HOST (repeatable)\n"
           "  --azure-qps N              Azure requests per second, token endpoints and vaults together\n"
           "                             (default 1000; 0: no limit)\n"
           "  --azure-burst N            Azure request burst (default 2000)\n"
           "  --allow-controller-identity\n"
           "                             let namespaced SecretStores use the controller's own identity\n"
           "                             (ManagedIdentity, WorkloadIdentity without serviceAccountRef); off by default\n"
           "Serving:\n"
           "  --metrics-addr ADDR        Prometheus /metrics (default :8080; 0: off)\n"
           "  --health-addr ADDR         /healthz and /readyz (default :8081; 0: off)\n"
           "  --leader-elect             run only while holding a coordination.k8s.io Lease\n"
           "  --leader-elect-namespace N the Lease's namespace (default: the pod's, else default)\n"
           "  --leader-elect-id NAME     the Lease's name (default esx-controller)\n"
           "  --leader-elect-lease-duration D\n"
           "                             how long a Lease holds after it was last seen renewed (default 15s;\n"
           "                             whole seconds)\n"
           "  --leader-elect-renew-deadline D\n"
           "                             the leader stops leading when it could not renew for D (default 10s)\n"
           "  --leader-elect-retry-period D\n"
           "                             between tries to acquire or renew (default 2s; 500ms works)\n"
           "  --log-level LEVEL          trace, debug, info, warn, error, off (default info); JSON lines on stderr\n"
           "  -h, --help                 this text\n"
           "\n"
           "Environment: AZURE_AUTHORITY_HOST, AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE,\n"
           "AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS), KUBECONFIG, ESX_CACERT (as --cacert), ESX_RESOLVE\n"
           "(HOST:PORT:ADDR[,...]), HTTPS_PROXY/NO_PROXY.\n"
           "\n"
           "Exit status: 0 stopped by SIGTERM/SIGINT (or --help), 1 could not start or lost leadership,\n"
           "2 bad flags.\n";
}

} // namespace esx::controller

#endif
