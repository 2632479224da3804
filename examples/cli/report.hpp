// esx CLI: how `esx sync` reports its results: one line per ExternalSecret for people, one JSON
// document for machines, and a progress line on a terminal. Never a secret value: results hold
// names, keys, hashes and failure texts only.
#ifndef ESX_EXAMPLES_CLI_REPORT_HPP
#define ESX_EXAMPLES_CLI_REPORT_HPP

#include <esx/pipeline/result.hpp>
#include <esx/spec/manifest.hpp>

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace esx::cli {

/// One line: `ns/name: created Secret ns/x (3 keys)`, or in a dry run
/// `ns/name: would create Secret ns/x (3 keys: a, b, c; data-hash 5d41...)`.
std::string result_line(sync_result const& r, bool dry_run);

/// One line per problem of an invalid document of the files: it was not synced.
std::string invalid_line(spec::document_error const& e);

/// `{"dryRun":..,"results":[..],"invalid":[..],"other":[..],"summary":{..}}` (`other`: lines
/// about other objects the run touched, such as orphaned Secrets deleted).
std::string results_json(std::vector<sync_result> const& results, std::vector<spec::document_error> const& invalid,
                         std::vector<std::string> const& other, bool dry_run);

/// `N ExternalSecrets: a synced, b failed, c invalid`.
std::string summary_line(std::vector<sync_result> const& results, std::size_t invalid);

/// A single line rewritten in place on a terminal (`\r`), silent elsewhere: a run of many
/// ExternalSecrets shows how far it got without flooding logs.
class progress_line {
public:
    /// Active when `os` is a terminal (fd 2) and there are at least `threshold` items.
    progress_line(std::ostream& os, int fd, std::size_t total, std::size_t threshold = 20);
    void update(std::size_t done, std::size_t failed);
    /// Erases the line (before the results are printed).
    void clear();

private:
    std::ostream& os_;
    bool active_ = false;
    std::size_t total_;
    std::size_t last_percent_ = static_cast<std::size_t>(-1);
};

} // namespace esx::cli

#endif
