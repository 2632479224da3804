// esx::transport: storage for bytes that may hold a secret on their way through the wire.
//
// Request bodies carry client secrets and assertions; response bodies carry Key Vault values
// and access tokens. Both live in `body_string`, whose allocator wipes every block before
// giving it back, so neither the last copy nor the copies a growing string leaves behind
// outlive their use. JSON parsed from such a body goes through `parse_wiped`, whose document
// and parser scratch space are wiped the same way: they live in a few blocks of a monotonic
// arena that are wiped and freed together once the document and every value moved out of it
// are gone.
#ifndef ESX_TRANSPORT_WIPED_HPP
#define ESX_TRANSPORT_WIPED_HPP

#include <esx/config.hpp>
#include <esx/secret.hpp>
#include <esx/transport/detail/wiping_arena.hpp>

#include <boost/beast/http/string_body.hpp>
#include <boost/container/pmr/memory_resource.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <new>
#include <string>
#include <string_view>

namespace esx::transport {

/// A string whose memory is wiped whenever it is freed or reallocated.
using body_string = std::basic_string<char, std::char_traits<char>, esx::detail::wiping_allocator<char>>;

/// Beast body of `body_string`: the parser's growth of a chunked body leaves no copy behind.
using wiped_string_body = boost::beast::http::basic_string_body<char, std::char_traits<char>,
                                                                esx::detail::wiping_allocator<char>>;

/// Nesting depth `parse_wiped` accepts unless told otherwise (Boost.JSON's default).
inline constexpr std::size_t default_json_depth = 32;

namespace detail {

/// A Boost.JSON memory resource that wipes each block before freeing it.
class wiping_json_resource final : public boost::container::pmr::memory_resource {
    void* do_allocate(std::size_t n, std::size_t align) override { return esx::detail::allocate_block(n, align); }
    void do_deallocate(void* p, std::size_t n, std::size_t align) override {
        esx::detail::secure_wipe(p, n);
        esx::detail::free_block(p, n, align);
    }
    bool do_is_equal(memory_resource const& other) const noexcept override { return this == &other; }
};

inline boost::json::storage_ptr wiping_json_storage() {
    static wiping_json_resource resource; // stateless; lives as long as the program
    return boost::json::storage_ptr(&resource);
}

} // namespace detail

/** Parses a body that may hold a secret. The document and the parser's heap scratch space are
    wiped when freed. (Not reachable from here: the 4 KiB stack buffer in which Boost.JSON 1.81
    unescapes a string with escapes, such as a PEM value's `\n`; later calls overwrite it.)
    Nesting deeper than `max_depth` fails with
    `boost::json::error::too_deep` instead of recursing without bound.

    The document lives in a monotonic arena of its own, shared by every value moved out of it
    and freed (wiped first) with the last of them: a parse costs a few allocations, not one per
    key, string, object and array, and destroying the document frees nothing node by node. So a value kept
    for long should be copied into storage of its own (assigning to an existing value does
    that) rather than move-constructed, which would keep the whole arena. */
inline boost::json::value parse_wiped(std::string_view text, boost::system::error_code& ec,
                                      std::size_t max_depth = default_json_depth) {
    boost::json::parse_options opts;
    opts.max_depth = max_depth;
    // A Kubernetes or Azure document takes about twice its text as a DOM: most fit the first block.
    auto storage = boost::json::make_shared_resource<detail::wiping_arena>(2 * text.size() + 512);
    boost::json::parser p(storage, opts); // no stack buffer: scratch space comes from `storage` too
    p.reset(storage);
    p.write(text.data(), text.size(), ec);
    if (ec) return nullptr;
    return p.release();
}

/// What a caller says when a body failed to parse: names the depth limit when that was the cause.
inline std::string describe_json_error(boost::system::error_code const& ec, std::size_t max_depth = default_json_depth) {
    if (ec == boost::json::error::too_deep) return "is nested deeper than " + std::to_string(max_depth) + " levels";
    return "is not valid JSON (" + ec.message() + ")";
}

} // namespace esx::transport

#endif
