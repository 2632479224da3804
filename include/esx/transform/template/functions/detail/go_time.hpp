// esx::transform::templating::functions::detail: Go's `time.Time.Format` and `time.Parse`
// layouts (`2006-01-02T15:04:05Z07:00`), what Sprig's `date`, `toDate` and friends take.
//
// Zones: ESO's controller runs with `time.Local` = UTC (a distroless image without TZ data),
// so "Local" here is UTC; parsed numeric offsets become fixed zones as in Go.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_GO_TIME_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_GO_TIME_HPP

#include <esx/transform/template/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::transform::templating::functions::detail {

/// `t.Format(layout)` in the zone `t` carries.
ESX_DECL std::string go_time_format(time_value const& t, std::string_view layout);

/// `time.ParseInLocation(layout, value, time.Local)` with Local = UTC: the time, or nothing
/// when Go returns an error (Sprig's `toDate` then yields the zero time).
ESX_DECL std::optional<time_value> go_time_parse(std::string_view layout, std::string_view value);

/// Go's zero `time.Time` (`0001-01-01 00:00:00 +0000 UTC`).
ESX_DECL time_value go_zero_time() noexcept;

/// `t.In(time.UTC)` (the instant kept, shown in UTC).
inline time_value in_utc(time_value t) {
    t.offset = 0;
    t.zone = "UTC";
    return t;
}

} // namespace esx::transform::templating::functions::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/go_time.ipp>
#endif

#endif
