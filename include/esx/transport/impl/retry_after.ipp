#ifndef ESX_TRANSPORT_IMPL_RETRY_AFTER_IPP
#define ESX_TRANSPORT_IMPL_RETRY_AFTER_IPP

#include <esx/transport/detail/retry_after.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace esx::transport::detail {

namespace {
inline std::optional<long long> parse_non_negative(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    long long v = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}
} // namespace

ESX_DECL std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    // IMF-fixdate is fixed width: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters).
    if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(26) != "GMT") return std::nullopt;
    static constexpr char const* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    tm.tm_mon = -1;
    for (int m = 0; m < 12; ++m)
        if (text.substr(8, 3) == months[m]) tm.tm_mon = m;
    auto num = [&](std::size_t at, std::size_t n) { return parse_non_negative(text.substr(at, n)); };
    auto const day = num(5, 2), year = num(12, 4), hour = num(17, 2), minute = num(20, 2), second = num(23, 2);
    if (tm.tm_mon < 0 || !day || !year || !hour || !minute || !second || text[16] != ' ' || text[19] != ':' ||
        text[22] != ':' || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    // system_clock counts nanoseconds in 64 bits (1677-2262): a year outside 1970-2261 would
    // overflow it, or overflow `date - now` (found by tests/fuzz/retry_after.cpp).
    if (*year < 1970 || *year > 2261) return std::nullopt;
    tm.tm_mday = static_cast<int>(*day);
    tm.tm_year = static_cast<int>(*year) - 1900;
    tm.tm_hour = static_cast<int>(*hour);
    tm.tm_min = static_cast<int>(*minute);
    tm.tm_sec = static_cast<int>(*second);
    std::time_t const t = timegm(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    return std::chrono::system_clock::from_time_t(t);
}

ESX_DECL std::optional<std::chrono::milliseconds>
server_retry_delay(boost::beast::http::fields const& headers, std::chrono::system_clock::time_point now_utc) {
    using std::chrono::milliseconds;
    for (char const* name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
        auto const it = headers.find(name);
        if (it == headers.end()) continue;
        if (auto const ms = parse_non_negative(it->value())) return std::min(milliseconds(*ms), max_server_delay);
    }
    auto const it = headers.find(boost::beast::http::field::retry_after);
    if (it == headers.end()) return std::nullopt;
    if (auto const s = parse_non_negative(it->value()))
        return *s >= max_server_delay.count() / 1000 ? max_server_delay : milliseconds(*s * 1000);
    if (auto const when = parse_http_date(it->value())) {
        auto const d = std::chrono::duration_cast<milliseconds>(*when - now_utc);
        return d.count() > 0 ? std::min(d, max_server_delay) : milliseconds(0);
    }
    return std::nullopt;
}

} // namespace esx::transport::detail

#endif
