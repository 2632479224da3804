// esx::transform::templating::options: how templates are parsed and what bounds a render.
//
// ESO runs users' templates inside the controller; a template is code from whoever may edit
// an ExternalSecret in a namespace. Every resource a render can consume has a bound, each
// with a default generous for real templates (a TLS bundle, a docker config) and small
// enough that a hostile template costs the controller milliseconds and kilobytes:
//
// | bound                | default    | a render that hits it fails with                         |
// |----------------------|------------|----------------------------------------------------------|
// | `max_output_bytes`   | 1 MiB      | `output exceeds the limit of N bytes`                     |
// | `max_string_bytes`   | 1 MiB      | `error calling repeat: result exceeds ... N bytes` (any function building a string) |
// | `max_depth`          | 100        | `exceeded maximum template depth (N)` (template calls); at parse time nesting of parentheses and control structures |
// | `max_range_iterations` | 100 000  | `range exceeds the limit of N iterations` (all ranges of one render together) |
// | `max_steps`          | 1 000 000  | `evaluation exceeds the limit of N steps` (nodes and commands evaluated: recursion that doubles at each level stays bounded) |
// | `max_source_bytes`   | 256 KiB    | a parse error: the template text is longer than N bytes   |
//
// A Kubernetes Secret holds at most 1 MiB, so no useful render produces more.
#ifndef ESX_TRANSFORM_TEMPLATE_OPTIONS_HPP
#define ESX_TRANSFORM_TEMPLATE_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace esx::transform::templating {

/// What a missing map key does (Go's `Option("missingkey=...")`). ESO uses `error`.
enum class missing_key {
    error,    ///< `map has no entry for key "x"` (ESO)
    invalid,  ///< Go's default: the value is missing, printed `<no value>`
    zero,     ///< the map's zero value (`""` for map[string]string)
};

struct limits {
    std::size_t max_output_bytes = 1u << 20;
    std::size_t max_string_bytes = 1u << 20;
    std::size_t max_depth = 100;
    std::size_t max_range_iterations = 100'000;
    std::size_t max_steps = 1'000'000;
    std::size_t max_source_bytes = 256u << 10;
};

struct options {
    /// ESO's `--template-left-delimiter` / `--template-right-delimiter`.
    std::string left_delim = "{{";
    std::string right_delim = "}}";
    missing_key missing = missing_key::error;
    templating::limits limits{};
    /// The clock `now` and the date functions read (a fake one in tests).
    std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

} // namespace esx::transform::templating

#endif
