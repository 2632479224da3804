// `esx sync -f FILE...`: every ExternalSecret of the files, synced once, one result line each.
#include "args.hpp"
#include "commands.hpp"
#include "connection.hpp"
#include "report.hpp"
#include "sync_sinks.hpp"

#include <esx/spec/manifest.hpp>

#include <iostream>
#include <string>

namespace esx::cli {

std::string_view const sync_help =
    "usage: esx sync -f FILE... [--sink kube|files:DIR|dotenv[:FILE]|json[:FILE]] [--dry-run] [--output json]\n"
    "                [--kubeconfig FILE] [--context NAME] [-n NAMESPACE] [--cacert FILE]\n"
    "                [--resolve HOST:PORT:ADDR]... [--allow-controller-identity] [--kube-qps N] [--kube-burst N]\n"
    "\n"
    "Syncs every ExternalSecret (external-secrets.io v1 or v1beta1, provider azurekv) in the files\n"
    "once, as ESO's controller would, and prints one result line per ExternalSecret.\n"
    "\n"
    "SecretStores, ClusterSecretStores, credential Secrets and ServiceAccounts come from the files\n"
    "when they are there, else from the cluster. An ExternalSecret that exists in the cluster owns\n"
    "its Secret as ESO's does (creationPolicy: Owner); one that exists only in the files has no\n"
    "UID to own it, so its Secret is written without an ownerReference and the result line says\n"
    "so. Reads are shared: each Key Vault object is read once per identity and run, and each\n"
    "identity asks for one token. ClusterExternalSecrets are left to the controller.\n"
    "\n"
    "  -f, --filename FILE      a manifest file, `-` for stdin, or a directory (repeatable)\n"
    "  --sink kube              Kubernetes Secrets (default)\n"
    "  --sink files:DIR         DIR/<namespace>/<secret name>/<key>, each set replaced atomically\n"
    "                           (a new directory, then one symlink swap, as the kubelet does)\n"
    "  --sink dotenv[:FILE]     KEY='value' lines for `set -a; . FILE` (stdout without FILE)\n"
    "  --sink json[:FILE]       a Kubernetes v1 List of the Secrets, data base64 (stdout without FILE)\n"
    "  --dry-run                read and compute, write nothing: show keys and data-hash, never values\n"
    "  -o, --output json        results as one JSON document instead of lines\n"
    "  --concurrency N          ExternalSecrets in flight at once (default 16)\n"
    "  --kube-qps N, --kube-burst N\n"
    "                           client-side rate limit of Kubernetes requests (default 50 and 100,\n"
    "                           ESO's --client-qps/--client-burst; 0 turns it off)\n"
    "%CONNECTION%"
    "\n"
    "%ENVIRONMENT%"
    "\n"
    "Results go to stdout (to stderr when the sink prints to stdout). A progress line is shown on a\n"
    "terminal when many ExternalSecrets run. Secret values are never printed, except by the dotenv\n"
    "and json sinks, whose purpose it is.\n"
    "\n"
    "Exit status: 0 every ExternalSecret synced; 1 a sync failed (the others still ran); 2 a usage\n"
    "error, or an invalid document in the files (the valid ones still ran).\n";

namespace {

constexpr option_spec sync_options[] = {
    {.name = "filename", .short_name = 'f', .takes_value = true, .repeatable = true},
    {.name = "sink", .takes_value = true},
    {.name = "dry-run"},
    {.name = "output", .short_name = 'o', .takes_value = true},
    {.name = "concurrency", .takes_value = true},
    {.name = "kube-qps", .takes_value = true},
    {.name = "kube-burst", .takes_value = true},
    ESX_CLI_CONNECTION_OPTIONS,
};

enum class sink_kind { kube, files, dotenv, json };

struct sink_choice {
    sink_kind kind = sink_kind::kube;
    std::string path;  ///< files: the root; dotenv/json: the file (empty: stdout)
    bool prints_to_stdout() const { return (kind == sink_kind::dotenv || kind == sink_kind::json) && path.empty(); }
};

std::variant<sink_choice, std::string> parse_sink(std::string const& s) {
    auto const colon = s.find(':');
    std::string const name = s.substr(0, colon);
    std::string const arg = colon == std::string::npos ? std::string() : s.substr(colon + 1);
    if (name == "kube" && colon == std::string::npos) return sink_choice{sink_kind::kube, {}};
    if (name == "files") {
        if (arg.empty()) return std::string("--sink files needs a directory: --sink files:DIR");
        return sink_choice{sink_kind::files, arg};
    }
    if (name == "dotenv" && (colon == std::string::npos || !arg.empty())) return sink_choice{sink_kind::dotenv, arg};
    if (name == "json" && (colon == std::string::npos || !arg.empty())) return sink_choice{sink_kind::json, arg};
    return "--sink takes kube, files:DIR, dotenv[:FILE] or json[:FILE], not `" + s + "`";
}

bool parse_number(std::string const& text, double& out) {
    try {
        std::size_t used = 0;
        out = std::stod(text, &used);
        return used == text.size() && out >= 0;
    } catch (std::exception const&) {
        return false;
    }
}

} // namespace

int sync_command(std::span<char* const> argv) {
    std::string const help = with_connection_help(sync_help);
    auto parsed = parse(argv, sync_options);
    if (auto* why = std::get_if<std::string>(&parsed)) return usage_failure(*why, help);
    auto const& args = std::get<arguments>(parsed);
    if (args.help) {
        std::cout << help;
        return success;
    }
    if (!args.positional.empty())
        return usage_failure("unexpected argument `" + args.positional[0] + "` (files go after -f)", help);
    auto const files = args.values("filename");
    if (files.empty()) return usage_failure("no manifest: give at least one -f FILE", help);
    auto conn = connection_from(args);
    if (auto* why = std::get_if<std::string>(&conn)) return usage_failure(*why, help);
    auto const& c = std::get<connection>(conn);
    auto sink_parsed = parse_sink(args.value("sink", "kube"));
    if (auto* why = std::get_if<std::string>(&sink_parsed)) return usage_failure(*why, help);
    auto const sink = std::get<sink_choice>(sink_parsed);
    auto const output = args.value("output");
    if (!output.empty() && output != "json") return usage_failure("--output takes `json`", help);
    bool const dry_run = args.has("dry-run");
    double concurrency = 16, qps = 50, burst = 100;
    if (args.has("concurrency") && (!parse_number(args.value("concurrency"), concurrency) || concurrency < 1))
        return usage_failure("--concurrency wants a number >= 1", help);
    if (args.has("kube-qps") && !parse_number(args.value("kube-qps"), qps))
        return usage_failure("--kube-qps wants a number >= 0", help);
    if (args.has("kube-burst") && !parse_number(args.value("kube-burst"), burst))
        return usage_failure("--kube-burst wants a number >= 0", help);

    // The runtime: the environment's settings (ESX_CACERT, ESX_RESOLVE, the Azure SDK
    // variables), then the flags.
    auto from_env = runtime_options::from_environment();
    if (!from_env) return usage_failure(from_env.error().what(), help);
    runtime_options ro = std::move(*from_env);
    if (!c.kubeconfig.empty()) ro.kubeconfig = c.kubeconfig;
    if (!c.context.empty()) ro.context = c.context;
    if (!c.cacert.empty()) ro.ca_file = c.cacert;
    for (auto const& [host_port, addr] : c.resolve) ro.resolve[host_port] = addr;
    ro.allow_controller_identity = c.allow_controller_identity;
    ro.kube_qps = qps;
    ro.kube_burst = static_cast<std::size_t>(burst);

    std::string const ns = default_namespace(c, ro);
    spec::validate_options vo;
    vo.default_namespace = ns;
    auto manifests = spec::read_files(files, vo);
    if (!manifests) {
        std::cerr << "esx: " << manifests.error().what() << "\n";
        return usage_error;
    }
    manifests->default_namespace(ns);
    std::vector<spec::document_error> invalid = manifests->errors;
    for (auto& e : invalid)  // where the document would have landed, as for the valid ones
        if (e.namespace_.empty() && !e.kind.empty() && !e.kind.starts_with("Cluster") && e.kind != "Namespace")
            e.namespace_ = ns;
    std::size_t const total = manifests->external_secrets.size();
    std::ostream& results_out = sink.prints_to_stdout() ? std::cerr : std::cout;
    if (total == 0 && invalid.empty()) {
        std::cerr << "esx: no ExternalSecret in the files\n";
        return usage_error;
    }

    runtime rt(std::move(ro));
    if (!rt.status()) {
        std::cerr << "esx: " << rt.status().error().what() << "\n";
        return usage_error;
    }
    pipeline_options po;
    po.apply.dry_run = dry_run;
    po.default_namespace = ns;
    po.concurrency = static_cast<std::size_t>(concurrency);
    progress_line progress(std::cerr, 2, total);
    std::size_t done = 0, failed = 0;
    po.on_result = [&](sync_result const& r) {
        ++done;
        if (!r.ok()) ++failed;
        progress.update(done, failed);
    };
    sync_job job{rt, std::move(*manifests), std::move(po)};

    result<sync_outcome, failure> results = sync_outcome{};
    if (total > 0) {
        switch (sink.kind) {
        case sink_kind::kube: results = sync_to_kube(std::move(job)); break;
        case sink_kind::files: results = sync_to_files(std::move(job), sink.path); break;
        case sink_kind::dotenv: results = sync_to_dotenv(std::move(job), sink.path); break;
        case sink_kind::json: results = sync_to_json(std::move(job), sink.path); break;
        }
    }
    progress.clear();
    if (!results) {
        // Nothing could run at all (no cluster to write to, say).
        std::cerr << "esx: " << results.error().what() << "\n";
        return sync_failed;
    }

    auto const& list = results->results;
    if (output == "json") {
        results_out << results_json(list, invalid, results->other_lines, dry_run) << "\n";
    } else {
        for (auto const& r : list) results_out << result_line(r, dry_run) << "\n";
        for (auto const& line : results->other_lines) results_out << line << "\n";
        for (auto const& e : invalid) results_out << invalid_line(e) << "\n";
        if (list.size() + invalid.size() > 1) results_out << summary_line(list, invalid.size()) << "\n";
    }
    results_out.flush();
    if (!invalid.empty()) return usage_error;
    return esx::all_synced(list) && results->others_ok ? success : sync_failed;
}

} // namespace esx::cli
