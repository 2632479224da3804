// libFuzzer target for the server's "wait this long" headers: `Retry-After` (delta-seconds or
// an HTTP-date), `retry-after-ms` and `x-ms-retry-after-ms`. The input is a response header
// block as a server sends it; it is read by the transport's response parser (so the values
// are what the transport would hand on) and then by `transport::detail::server_retry_delay`,
// as `transport::retry` does before deciding whether and how long to wait. The raw input is
// also given to `parse_http_date` directly.
//
// Invariants, beyond "no crash": a delay is never negative nor over `max_server_delay` (24 h);
// it can be added to the retry decorator's steady-clock arithmetic without overflowing (UBSan
// reports a signed overflow); a date that parses names the instant its fields say.
// Build and run with tests/fuzz/run.sh retry_after SECONDS.
#include <esx/transport/detail/response_parser.hpp>
#include <esx/transport/detail/retry_after.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap(); // an invariant that did not hold
}

using namespace std::chrono;

void check_date(std::string_view text) {
    auto const t = esx::transport::detail::parse_http_date(text);
    if (!t) return;
    check(text.size() == 29);
    std::time_t const tt = system_clock::to_time_t(*t);
    std::tm tm{};
    check(gmtime_r(&tt, &tm) != nullptr);
    auto digits = [&](std::size_t at, std::size_t n) {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
        return v;
    };
    // Fields in range name exactly that instant (31 Feb or second 60 are normalised by timegm;
    // a space-padded field such as " 7" is read as 7).
    bool all_digits = true;
    for (std::size_t at : {5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24})
        all_digits = all_digits && text[at] >= '0' && text[at] <= '9';
    if (all_digits && digits(5, 2) <= 28 && digits(23, 2) <= 59) {
        check(tm.tm_mday == digits(5, 2) && tm.tm_year + 1900 == digits(12, 4) && tm.tm_hour == digits(17, 2) &&
              tm.tm_min == digits(20, 2) && tm.tm_sec == digits(23, 2));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const bytes(reinterpret_cast<char const*>(data), size);
    check_date(bytes);

    static esx::transport::options const options = [] {
        esx::transport::options o;
        o.proxy = esx::transport::proxy_settings{};
        return o;
    }();
    esx::transport::detail::response_parser parser;
    esx::transport::detail::configure_response_parser(parser, options, true);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec || !parser.is_header_done()) return 0;
    auto const& headers = parser.get().base();
    for (auto const& h : headers)
        if (h.name() == boost::beast::http::field::retry_after) check_date(h.value());

    // "now" is fixed, so a date far in the future or the past is as reachable as a near one.
    auto const now = system_clock::time_point(seconds(1'764'000'000)); // 2025-11-24
    auto const delay = esx::transport::detail::server_retry_delay(headers, now);
    if (!delay) return 0;
    check(delay->count() >= 0 && *delay <= esx::transport::detail::max_server_delay);
    // What transport::retry does with it: elapsed steady time + the wait, against max_total.
    auto const elapsed = steady_clock::duration(seconds(1));
    bool const too_late = elapsed + *delay > milliseconds(120'000);
    (void)too_late;
    return 0;
}
