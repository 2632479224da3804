// `esx sync --sink dotenv[:FILE]` and `--sink json[:FILE]`: the targets printed once, after the
// run (the sinks' `flush()`), to stdout or to a file replaced atomically.
#include "sync_sinks.hpp"

#include <esx/pipeline/aliases.hpp>
#include <esx/sink/dotenv.hpp>
#include <esx/sink/json.hpp>

#include <iostream>

namespace esx::cli {
namespace {

template <class Sink>
result<sync_outcome, failure> sync_to_stream(sync_job job, std::filesystem::path const& file) {
    auto sink = file.empty() ? std::make_shared<Sink>(std::cout) : std::make_shared<Sink>(file);
    return sync_outcome{run_all(job,
                                [&](spec::manifest_set m) {
                                    return std::make_unique<pipeline<Sink>>(job.rt, sink, std::move(m), std::move(job.options));
                                }),
                        {}, true};
}

} // namespace

result<sync_outcome, failure> sync_to_dotenv(sync_job job, std::filesystem::path const& file) {
    return sync_to_stream<sink::dotenv>(std::move(job), file);
}

result<sync_outcome, failure> sync_to_json(sync_job job, std::filesystem::path const& file) {
    return sync_to_stream<sink::json>(std::move(job), file);
}

} // namespace esx::cli
