// esx CLI: command-line arguments, the exit statuses and the usage error every command shares.
//
// GNU-style: `--name value`, `--name=value`, `-f value`, `-fvalue`, repeated options collect
// their values, `--` ends the options, and `-` is a positional (stdin). `--help`/`-h` is known to
// every command. Anything else is a usage error (exit 2) naming the argument.
#ifndef ESX_EXAMPLES_CLI_ARGS_HPP
#define ESX_EXAMPLES_CLI_ARGS_HPP

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace esx::cli {

/// The process exit status: every command returns one of these.
enum exit_status : int {
    success = 0,        ///< success (every ExternalSecret synced; the object printed; no problem found)
    sync_failed = 1,    ///< at least one sync or fetch failed
    usage_error = 2,    ///< bad arguments, or manifests that fail validation
};

/// One option a command accepts.
struct option_spec {
    std::string_view name;         ///< long name without `--`
    char short_name = 0;           ///< e.g. 'f' for `-f`; 0 for none
    bool takes_value = false;      ///< false: a switch
    bool repeatable = false;       ///< may be given more than once
};

/// The parsed command line of one command.
struct arguments {
    std::map<std::string, std::vector<std::string>, std::less<>> options;  ///< switches hold one empty value
    std::vector<std::string> positional;
    bool help = false;

    bool has(std::string_view name) const { return options.find(name) != options.end(); }
    /// The value of a single-valued option, or `fallback`.
    std::string value(std::string_view name, std::string fallback = {}) const;
    /// Every value of a repeatable option, in order.
    std::vector<std::string> values(std::string_view name) const;
};

/// Parses `args` (the words after the command name) against `specs`; the error text names the
/// offending argument.
std::variant<arguments, std::string> parse(std::span<char* const> args, std::span<option_spec const> specs);

/// Prints `esx: MESSAGE` and the usage lines of `help` (up to its first blank line) to stderr;
/// returns `usage_error`.
int usage_failure(std::string_view message, std::string_view help);

/// curl's `--resolve HOST:PORT:ADDR` as the transport's `{"HOST:PORT", ADDR}`; nullopt if malformed.
std::optional<std::pair<std::string, std::string>> parse_resolve(std::string_view spec);

} // namespace esx::cli

#endif
