// esx::sink::detail: where a stream sink (dotenv, json) writes its text.
#ifndef ESX_SINK_DETAIL_STREAM_OUTPUT_HPP
#define ESX_SINK_DETAIL_STREAM_OUTPUT_HPP

#include <esx/failure.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

namespace esx::sink::detail {

/// A caller's `std::ostream` (stdout, a test's string stream), or a file that is replaced
/// atomically (a temporary file beside it, written, synced, renamed over it; mode 0600 unless
/// told otherwise), so a reader never sees half an output and a failure leaves the old file.
class stream_output {
public:
    explicit stream_output(std::ostream& os, std::string name = "stdout") : os_(&os), name_(std::move(name)) {}
    explicit stream_output(std::filesystem::path file, unsigned mode = 0600)
        : file_(std::move(file)), name_(file_.string()), mode_(mode) {}

    /// `stdout`, the stream's given name, or the file's path.
    std::string const& name() const noexcept { return name_; }

    ESX_DECL result<void, failure> write(std::string_view text);

private:
    std::ostream* os_ = nullptr;
    std::filesystem::path file_;
    std::string name_;
    unsigned mode_ = 0600;
};

} // namespace esx::sink::detail

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/stream_output.ipp>
#endif

#endif
