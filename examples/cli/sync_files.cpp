// `esx sync --sink files:DIR`: each target as a directory of files, `DIR/<namespace>/<name>/`,
// written as the kubelet writes a Secret volume (sink::files: a new set, then one atomic swap).
#include "sync_sinks.hpp"

#include <esx/pipeline/aliases.hpp>
#include <esx/sink/files.hpp>

namespace esx::cli {
namespace {

/// A sink that gives each target a `sink::files` of its own under one root. Namespace and
/// name are both valid path components: Kubernetes names are DNS labels or subdomains.
class files_tree {
public:
    using policy_kind = sink::tag;

    explicit files_tree(std::filesystem::path root) : root_(std::move(root)) {}

    boost::asio::awaitable<result<sink::outcome, failure>> apply(sink::target t, sink::apply_options o) {
        co_return sink::files(directory_of(t)).apply_now(t, o);
    }
    boost::asio::awaitable<result<sink::outcome, failure>> remove(sink::target t, sink::apply_options o) {
        co_return sink::files(directory_of(t)).remove_now(t, o);
    }

private:
    std::filesystem::path directory_of(sink::target const& t) const { return root_ / t.namespace_ / t.name; }
    std::filesystem::path root_;
};

} // namespace

result<sync_outcome, failure> sync_to_files(sync_job job, std::filesystem::path const& dir) {
    auto sink = std::make_shared<files_tree>(dir);
    return sync_outcome{run_all(job,
                                [&](spec::manifest_set m) {
                                    return std::make_unique<pipeline<files_tree>>(job.rt, sink, std::move(m),
                                                                                  std::move(job.options));
                                }),
                        {}, true};
}

} // namespace esx::cli
