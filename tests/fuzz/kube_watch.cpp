// libFuzzer target for the watch event stream: the input is the (de-chunked) body of a watch
// response. It is cut into lines by `kube::detail::watch_lines`, the splitter behind
// `watch_stream::next_line`, fed in pieces of three sizes (the whole body, 7 bytes, 1 byte:
// what a server's segment sizes can vary) and under two caps (the default 4 MiB and 256
// bytes); every line is decoded by `kube::detail::decode_watch_event`, as `basic_watcher`
// does, with and without bookmarks. The chunked framing itself is the transport parser's
// (tests/fuzz/http_response.cpp, whose corpus has real watch responses).
//
// Invariants, beyond "no crash": a line is never longer than the cap, never empty and holds
// no newline; the lines and the outcome (complete, or too large at the same point) do not
// depend on the piece sizes; the buffered unfinished line stays within the cap; a decoded
// event moves the resume version to its own resourceVersion; an ERROR event is an HTTP-coded
// failure (410 stays recognisable); other refusals are `malformed_response`.
// Build and run with tests/fuzz/run.sh kube_watch SECONDS.
#include <esx/kube/detail/watch_lines.hpp>
#include <esx/kube/watch_event.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap(); // an invariant that did not hold
}

struct split {
    std::vector<std::string> lines;
    bool too_large = false;
};

split split_lines(std::string_view body, std::size_t piece, std::size_t max_line) {
    esx::kube::detail::watch_lines lines(max_line);
    split out;
    // As watch_stream::next_line: take every complete line, then read one more piece.
    for (;;) {
        auto line = lines.next();
        if (!line) {
            check(line.error().code == esx::error::response_too_large);
            out.too_large = true;
            return out;
        }
        if (*line) {
            auto const& l = **line;
            check(!l.empty() && l.size() <= max_line && l.find('\n') == std::string::npos);
            out.lines.emplace_back(l.begin(), l.end());
            continue;
        }
        check(lines.buffered() <= max_line);
        if (body.empty()) return out; // the stream ended; an unfinished last line is dropped
        auto const n = std::min(piece, body.size());
        lines.append(body.substr(0, n));
        body.remove_prefix(n);
    }
}

void decode_all(std::vector<std::string> const& lines, bool bookmarks) {
    std::string version = "start";
    for (auto const& line : lines) {
        std::string const before = version;
        auto e = esx::kube::detail::decode_watch_event<boost::json::object>(line, bookmarks, version);
        if (!e) {
            auto const& f = e.error();
            check(f.code.category() == esx::make_http_error(410).category() ||
                  f.code == esx::error::malformed_response || f.code.category() == boost::json::make_error_code(
                                                                      boost::json::error::not_object).category());
            check(version == before);
            continue;
        }
        if (!*e) {
            check(!bookmarks);
            continue;
        }
        auto const& ev = **e;
        check(ev.type != esx::kube::event_type::bookmark || bookmarks);
        check(version == (ev.resource_version.empty() ? before : ev.resource_version));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const body(reinterpret_cast<char const*>(data), size);
    for (std::size_t max_line : {std::size_t(4) << 20, std::size_t(256)}) {
        auto const whole = split_lines(body, body.size() + 1, max_line);
        for (std::size_t piece : {std::size_t(7), std::size_t(1)}) {
            auto const pieces = split_lines(body, piece, max_line);
            check(pieces.too_large == whole.too_large);
            // A cap hit stops at the same line whatever the pieces; before it, the same lines.
            check(pieces.lines == whole.lines);
        }
        decode_all(whole.lines, true);
        decode_all(whole.lines, false);
    }
    return 0;
}
