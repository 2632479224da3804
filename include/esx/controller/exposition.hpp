// esx::controller: writing the Prometheus text exposition format, version 0.0.4.
//
// The pieces `/metrics` is made of, written the way Prometheus' Go client (client_golang's
// `expfmt`) writes them, so a scrape of esx reads like a scrape of ESO:
// - `# HELP name text` (backslash and newline escaped) and `# TYPE name counter|gauge|histogram`;
// - `name{a="x",b="y"} value`, label values with backslash, double quote and newline escaped;
// - values as Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest text that reads back to
//   the same double, in exponent form below 1e-4 or from 1e+06 on (`1.5e+06`), and `+Inf`,
//   `-Inf`, `NaN`;
// - histograms as cumulative `_bucket{...,le="0.5"}` lines ending with `le="+Inf"`, then `_sum`
//   and `_count`; `le` comes after the series' own labels.
// The writers append to a caller's string: a scrape renders into one buffer.
#ifndef ESX_CONTROLLER_EXPOSITION_HPP
#define ESX_CONTROLLER_EXPOSITION_HPP

#include <esx/config.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace esx::controller::exposition {

/// The `Content-Type` of a `/metrics` response in this format.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

enum class metric_type : std::uint8_t { counter, gauge, histogram };

/// One label of a sample, as written (names are identifiers esx chooses, values are escaped).
struct label {
    std::string_view name;
    std::string_view value;
};

/// Appends `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)` does (`+Inf`, `-Inf`, `NaN` too).
ESX_DECL void append_value(std::string& out, double v);

/// Appends `v` escaped for a label value (`\\`, `\"`, `\n`), without the quotes.
ESX_DECL void append_label_value(std::string& out, std::string_view v);

/// Appends `# HELP name help` and `# TYPE name type`, each with its newline.
ESX_DECL void append_header(std::string& out, std::string_view name, std::string_view help, metric_type type);

/// Appends one sample line: `name` + `suffix`, the labels in the order given (none: no braces),
/// the value, a newline.
ESX_DECL void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                            std::span<label const> labels, double value);

/// Appends one histogram series: a cumulative `_bucket` line per upper bound and one for
/// `+Inf`, then `_sum` and `_count`. `counts[i]` is the number of observations in bucket `i`
/// alone (not cumulative); `counts` has one more entry than `upper_bounds`, for `+Inf`.
ESX_DECL void append_histogram(std::string& out, std::string_view name, std::span<label const> labels,
                               std::span<double const> upper_bounds, std::span<std::uint64_t const> counts,
                               double sum);

} // namespace esx::controller::exposition

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/exposition.ipp>
#endif

#endif
