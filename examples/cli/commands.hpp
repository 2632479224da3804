// esx CLI: the commands. Each lives in its own file, parses its own arguments and returns an
// `exit_status` (args.hpp); `esx.cpp` only dispatches.
#ifndef ESX_EXAMPLES_CLI_COMMANDS_HPP
#define ESX_EXAMPLES_CLI_COMMANDS_HPP

#include <span>
#include <string_view>

namespace esx::cli {

struct command {
    std::string_view name;
    std::string_view summary;  ///< one line for `esx help`
    std::string_view help;     ///< the full text of `esx NAME --help`
    int (*run)(std::span<char* const> args);  ///< the words after the command name
};

int sync_command(std::span<char* const> args);
int get_command(std::span<char* const> args);
int validate_command(std::span<char* const> args);
int http_command(std::span<char* const> args);

extern std::string_view const sync_help;
extern std::string_view const get_help;
extern std::string_view const validate_help;
extern std::string_view const http_help;

} // namespace esx::cli

#endif
