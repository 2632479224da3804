// esx::transport::detail: the parser every response of the `https` and `http` policies is
// read with, set up from the transport's options in one place so the client and the fuzz
// target (tests/fuzz/http_response.cpp) parse with exactly the same limits.
#ifndef ESX_TRANSPORT_DETAIL_RESPONSE_PARSER_HPP
#define ESX_TRANSPORT_DETAIL_RESPONSE_PARSER_HPP

#include <esx/transport/message.hpp>
#include <esx/transport/options.hpp>

#include <boost/beast/http/parser.hpp>

#include <cstdint>

namespace esx::transport::detail {

using response_parser = boost::beast::http::response_parser<wiped_string_body>;

/// Applies the body and header caps of `o`; `head`: the answer to a HEAD request has no body.
inline void configure_response_parser(response_parser& parser, options const& o, bool head) {
    parser.body_limit(o.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
    if (head) parser.skip(true);
    parser.eager(true); // header and body in one pass when they arrive together
}

/// RFC 9110 § 15: a status is 100-599. Beast reads any three digits; `000` would become
/// `make_http_error(0)`, an error code that tests false (found by tests/fuzz/http_response.cpp).
inline bool is_valid_status(unsigned status) noexcept { return status >= 100 && status <= 599; }

} // namespace esx::transport::detail

#endif
