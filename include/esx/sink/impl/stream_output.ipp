// esx::sink::detail::stream_output (out of line).
#ifndef ESX_SINK_IMPL_STREAM_OUTPUT_IPP
#define ESX_SINK_IMPL_STREAM_OUTPUT_IPP

#include <esx/sink/detail/stream_output.hpp>
#include <esx/sink/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace esx::sink::detail {

ESX_DECL result<void, failure> stream_output::write(std::string_view text) {
    auto fail = [](std::string what, int err) {
        return failure(make_error_code(sink::error::io_failed), std::move(what) + ": " + std::strerror(err));
    };
    if (os_) {
        os_->write(text.data(), static_cast<std::streamsize>(text.size()));
        os_->flush();
        if (!*os_) return failure(make_error_code(sink::error::io_failed), "could not write to " + name_);
        return {};
    }
    auto const dir = file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
    std::string temp = (dir / ("." + file_.filename().string() + ".esx-XXXXXX")).string();
    int const fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return fail("could not create a temporary file beside " + name_, errno);
    auto abandon = [&](failure f) {
        ::close(fd);
        ::unlink(temp.c_str());
        return f;
    };
    if (::fchmod(fd, mode_) != 0) return abandon(fail("chmod " + temp, errno));
    while (!text.empty()) {
        ssize_t const n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return abandon(fail("write " + temp, errno));
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd) != 0) return abandon(fail("fsync " + temp, errno));
    if (::close(fd) != 0) {
        int const err = errno;
        ::unlink(temp.c_str());
        return fail("close " + temp, err);
    }
    if (::rename(temp.c_str(), file_.c_str()) != 0) {
        int const err = errno;
        ::unlink(temp.c_str());
        return fail("rename " + temp + " to " + name_, err);
    }
    return {};
}

} // namespace esx::sink::detail

#endif
