// libFuzzer target for the HTTP/1.1 response reader of the `https` and `http` transports: the
// input is the bytes a server sends (status line, headers, a Content-Length, chunked or
// read-until-close body). They are read the way `transport::detail::basic_client::exchange`
// reads them: the same parser type and caps (`configure_response_parser`), the same wiping
// connection buffer, `read_some` until the parser is done, the same mapping of read errors
// (`classify_exchange_error`), the same status check (`is_valid_status`) and the same
// keep-alive decision. Only the socket is replaced, by a stream that hands out the bytes in
// pieces (whole, 7 bytes, one byte at a time).
//
// Invariants checked, beyond "no crash, no sanitizer report":
// - a complete response respects the caps it was read with (body and header block);
// - a framing error becomes one of esx's own errors, never a raw Beast code;
// - reading in one piece or byte by byte gives the same response, or a refusal both ways (the
//   parser is incremental: a server choosing its segment sizes cannot change what is accepted);
// - what succeeds under small caps succeeds, identically, under the defaults;
// - a HEAD answer never has a body.
// Build and run with tests/fuzz/run.sh http_response SECONDS.
// esx-fuzz-flags: -max_len=8192
#include <esx/transport/detail/client.hpp>
#include <esx/transport/detail/response_parser.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace td = esx::transport::detail;

/// A SyncReadStream over fixed bytes, `piece` bytes per read; `eof` once they are used up.
class piecewise_stream {
public:
    piecewise_stream(std::string_view bytes, std::size_t piece) : bytes_(bytes), piece_(piece) {}

    using executor_type = net::any_io_executor; // not used by the synchronous algorithms

    template <class MutableBuffers>
    std::size_t read_some(MutableBuffers const& buffers, boost::system::error_code& ec) {
        ec = {};
        if (bytes_.empty()) {
            ec = net::error::eof;
            return 0;
        }
        std::size_t const n = net::buffer_copy(buffers, net::buffer(bytes_.data(), std::min(piece_, bytes_.size())));
        bytes_.remove_prefix(n);
        return n;
    }
    template <class MutableBuffers>
    std::size_t read_some(MutableBuffers const& buffers) {
        boost::system::error_code ec;
        auto n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    std::string_view bytes_;
    std::size_t piece_;
};

struct outcome {
    esx::error_code error;
    std::optional<esx::transport::response> response;
    bool keep_alive = false;
    std::size_t header_bytes = 0;
};

void check(bool ok) {
    if (!ok) __builtin_trap(); // an invariant that did not hold
}

// The read loop of basic_client::exchange, over `stream` instead of a socket.
outcome read_response(std::string_view bytes, std::size_t piece, esx::transport::options const& o, bool head) {
    piecewise_stream stream(bytes, piece);
    boost::beast::basic_flat_buffer<esx::detail::wiping_allocator<char>> buffer;
    td::response_parser parser;
    td::configure_response_parser(parser, o, head);
    outcome out;
    boost::system::error_code ec;
    while (!parser.is_done()) {
        http::read_some(stream, buffer, parser, ec);
        if (ec) {
            out.error = td::classify_exchange_error(ec);
            return out;
        }
    }
    if (!td::is_valid_status(parser.get().result_int())) {
        out.error = ESX_ERROR(esx::error::malformed_response);
        return out;
    }
    out.keep_alive = parser.get().keep_alive() && !parser.need_eof();
    out.response = parser.release();
    return out;
}

std::size_t header_block_size(std::string_view bytes) {
    auto const end = bytes.find("\r\n\r\n");
    return end == std::string_view::npos ? bytes.size() : end + 4;
}

// ESX_FUZZ_DEBUG=1 ./fuzz-http_response crash-...: prints what each read gave.
void debug(char const* what, outcome const& r) {
    static bool const on = std::getenv("ESX_FUZZ_DEBUG") != nullptr;
    if (!on) return;
    if (r.response)
        std::fprintf(stderr, "%s: %u, body %zu bytes, keep-alive %d\n", what, r.response->result_int(),
                     r.response->body().size(), int(r.keep_alive));
    else
        std::fprintf(stderr, "%s: %s\n", what, r.error.message().c_str());
}

// The same response, or both refused. Which error a refusal gets may depend on the pieces:
// a bad header cut by the end of the stream reads as "closed early" when the parser never saw
// its end, as "malformed" when it did (regression-split-header-outcome).
bool same(outcome const& a, outcome const& b) {
    if (a.response.has_value() != b.response.has_value()) return false;
    if (!a.response) return true;
    auto const& x = *a.response;
    auto const& y = *b.response;
    if (x.result_int() != y.result_int() || x.version() != y.version() || x.body() != y.body() ||
        x.reason() != y.reason() || a.keep_alive != b.keep_alive)
        return false;
    auto i = x.begin();
    auto j = y.begin();
    for (; i != x.end() && j != y.end(); ++i, ++j)
        if (i->name_string() != j->name_string() || i->value() != j->value()) return false;
    return i == x.end() && j == y.end();
}

bool is_esx_error(esx::error_code const& ec) {
    return ec.category() == esx::make_error_code(esx::error::malformed_response).category();
}

void check_outcome(outcome const& r, std::string_view bytes, esx::transport::options const& o, bool head) {
    if (!r.response) {
        check(r.error.failed() && is_esx_error(r.error));
        return;
    }
    auto const& m = *r.response;
    check(m.result_int() >= 100 && m.result_int() <= 599);
    check(m.body().size() <= o.body_limit);
    check(header_block_size(bytes) <= o.header_limit); // the first header block, CRLF CRLF included
    if (head) check(m.body().empty());
    // A Content-Length the parser accepted (and no chunking) is the body's size.
    if (!head && !m.chunked() && m.has_content_length()) {
        auto const it = m.find(http::field::content_length);
        check(it != m.end());
        std::string_view const v(it->value().data(), it->value().size());
        std::uint64_t length = 0;
        auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length); // "093" is 93
        if (ec == std::errc{} && end == v.data() + v.size())
            check(length == m.body().size() || m.result_int() / 100 == 1 || m.result_int() == 204 ||
                  m.result_int() == 304);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const bytes(reinterpret_cast<char const*>(data), size);
    static esx::transport::options const defaults = [] {
        esx::transport::options o;
        o.proxy = esx::transport::proxy_settings{}; // never read the environment
        return o;
    }();
    static esx::transport::options const small = [] {
        esx::transport::options o;
        o.proxy = esx::transport::proxy_settings{};
        o.body_limit = 512;
        o.header_limit = 256;
        return o;
    }();

    for (bool const head : {false, true}) {
        auto const whole = read_response(bytes, bytes.size() + 1, defaults, head);
        check_outcome(whole, bytes, defaults, head);
        auto const bytewise = read_response(bytes, 1, defaults, head);
        debug("whole", whole);
        debug("bytewise", bytewise);
        check(same(whole, bytewise));
        auto const capped = read_response(bytes, 7, small, head);
        debug("capped", capped);
        check_outcome(capped, bytes, small, head);
        if (capped.response) check(same(capped, whole));
        // Over the small caps (and under the defaults): the small read must say so.
        if (whole.response && !head && whole.response->body().size() > small.body_limit)
            check(!capped.response && capped.error == esx::error::response_too_large);
    }
    return 0;
}
