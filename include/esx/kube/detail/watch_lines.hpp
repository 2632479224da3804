// esx::kube::detail: a watch response body cut into lines (one JSON event each), with a cap.
//
// Kept apart from the connection (watch_stream.hpp) so the splitting and its bound are one
// small piece that tests/fuzz/kube_watch.cpp can feed directly. Memory stays bounded: the
// unfinished line may not grow past `max_line`, and a complete line longer than that fails as
// well, whatever the sizes of the pieces the bytes arrived in. Consumed lines are dropped once
// per `append`, not once per line, so a piece full of short lines costs linear time.
// A Secret's event carries its data: the buffer and the lines handed out are `body_string`s,
// wiped whenever they are freed or grow.
#ifndef ESX_KUBE_DETAIL_WATCH_LINES_HPP
#define ESX_KUBE_DETAIL_WATCH_LINES_HPP

#include <esx/error.hpp>
#include <esx/failure.hpp>
#include <esx/transport/wiped.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace esx::kube::detail {

/// One event line; its memory is wiped when freed.
using watch_line = transport::body_string;

class watch_lines {
public:
    explicit watch_lines(std::size_t max_line) : max_line_(max_line) {}

    /// Adds bytes read from the stream.
    void append(std::string_view bytes) {
        if (start_ > 0) {
            pending_.erase(0, start_);
            start_ = 0;
        }
        pending_.append(bytes.data(), bytes.size());
    }

    /// The next complete, non-empty line without its `\n` (and a `\r` before it); nullopt when
    /// no complete line is buffered. `error::response_too_large` when a line exceeds the cap.
    result<std::optional<watch_line>, failure> next() {
        for (;;) {
            auto const nl = pending_.find('\n', start_ + scanned_);
            if (nl == std::string::npos) {
                scanned_ = pending_.size() - start_;
                if (scanned_ > max_line_) return too_large();
                return std::optional<watch_line>();
            }
            if (nl - start_ > max_line_) return too_large();
            watch_line line = pending_.substr(start_, nl - start_);
            start_ = nl + 1;
            scanned_ = 0;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) return std::optional<watch_line>(std::move(line));
        }
    }

    /// Bytes held: the unfinished line and lines not yet taken.
    std::size_t buffered() const noexcept { return pending_.size() - start_; }
    std::size_t max_line() const noexcept { return max_line_; }

private:
    failure too_large() const {
        return failure(ESX_ERROR(error::response_too_large),
                       "watch event larger than the limit of " + std::to_string(max_line_) + " bytes");
    }

    transport::body_string pending_;
    std::size_t start_ = 0;   // bytes of pending_ already handed out
    std::size_t scanned_ = 0; // bytes after start_ known to hold no newline
    std::size_t max_line_;
};

} // namespace esx::kube::detail

#endif
