// `esx sync --sink kube` (the default): Kubernetes Secrets, as ESO writes them.
#include "orphans.hpp"
#include "owners.hpp"
#include "sync_sinks.hpp"

#include <esx/pipeline/aliases.hpp>
#include <esx/sink/kubernetes_secret.hpp>

namespace esx::cli {

result<sync_outcome, failure> sync_to_kube(sync_job job) {
    auto cluster = job.rt.kube();
    if (!cluster) return cluster.error();
    // An ExternalSecret read from a file owns its Secret only if it exists in the cluster: one
    // LIST per namespace finds their UIDs (the pipeline would GET each one).
    bool const listed = job.rt.run(fill_owner_uids(**cluster, job.manifests.external_secrets));
    job.options.owner_from_cluster = !listed;
    // ESO's orphan clean-up with one LIST per namespace (orphans.hpp), else the sink's own.
    auto const targets = owner_targets(job.manifests.external_secrets);
    auto const index = job.rt.run(index_created_secrets(**cluster, targets));
    bool const dry_run = job.options.apply.dry_run;
    sink::kubernetes_secret_options so;
    so.delete_orphans = !index.complete;
    auto sink = std::make_shared<sink::kubernetes_secret<>>(*cluster, so);
    sync_outcome out;
    out.results = run_all(job, [&](spec::manifest_set m) {
        return std::make_unique<pipeline<sink::kubernetes_secret<>>>(job.rt, sink, std::move(m), std::move(job.options));
    });
    if (index.complete) {
        auto report = job.rt.run(delete_orphans(**cluster, index, targets, out.results, dry_run));
        out.other_lines = std::move(report.lines);
        out.others_ok = report.ok;
    }
    return out;
}

} // namespace esx::cli
