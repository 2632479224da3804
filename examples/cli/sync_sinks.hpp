// esx CLI: `esx sync` through each sink. One translation unit per sink (sync_kube.cpp,
// sync_files.cpp, sync_streams.cpp), since each instantiates the whole pipeline.
#ifndef ESX_EXAMPLES_CLI_SYNC_SINKS_HPP
#define ESX_EXAMPLES_CLI_SYNC_SINKS_HPP

#include <esx/pipeline/options.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/pipeline/runtime.hpp>
#include <esx/spec/manifest.hpp>

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace esx::cli {

/// One `esx sync` run, whatever the sink.
struct sync_job {
    runtime& rt;
    spec::manifest_set manifests;
    pipeline_options options;
};

/// Runs every ExternalSecret of `job` through a pipeline made by `make(manifests)`. The list is
/// handed over rather than copied (the pipeline keeps the rest of the manifests for stores and
/// credentials), so each ExternalSecret's memory goes as it is synced: at 10,000 of them the
/// copy alone would be some 25 MiB.
template <class MakePipeline>
std::vector<sync_result> run_all(sync_job& job, MakePipeline make) {
    auto list = std::move(job.manifests.external_secrets);
    job.manifests.external_secrets.clear();
    auto pipeline = make(std::move(job.manifests));
    return job.rt.run(pipeline->sync_all(std::move(list)));
}

/// What a run did: one result per ExternalSecret (in the files' order), and lines about other
/// objects it touched (orphaned Secrets deleted).
struct sync_outcome {
    std::vector<sync_result> results;
    std::vector<std::string> other_lines;
    bool others_ok = true;
};

/// Kubernetes Secrets through the runtime's cluster (ESO's semantics, sink::kubernetes_secret).
result<sync_outcome, failure> sync_to_kube(sync_job job);
/// One directory per target, `DIR/<namespace>/<target name>/<key>`, each replaced atomically.
result<sync_outcome, failure> sync_to_files(sync_job job, std::filesystem::path const& dir);
/// A dotenv file (or stdout when `file` is empty).
result<sync_outcome, failure> sync_to_dotenv(sync_job job, std::filesystem::path const& file);
/// A Kubernetes `v1` `List` of Secrets as JSON (to stdout when `file` is empty).
result<sync_outcome, failure> sync_to_json(sync_job job, std::filesystem::path const& file);

} // namespace esx::cli

#endif
