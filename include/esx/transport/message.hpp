// esx::transport: what goes over the wire.
#ifndef ESX_TRANSPORT_MESSAGE_HPP
#define ESX_TRANSPORT_MESSAGE_HPP

#include <esx/config.hpp>
#include <esx/transport/wiped.hpp>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <optional>
#include <string>

namespace esx::transport {

using verb = boost::beast::http::verb;
using field = boost::beast::http::field;
/// Request header fields. Their memory is wiped when freed: `Authorization` carries a token.
using fields = boost::beast::http::basic_fields<esx::detail::wiping_allocator<char>>;

/// One HTTP request to an absolute URL. The transport adds `Host`, `User-Agent` (unless set)
/// and `Content-Length`.
struct request {
    verb method = verb::get;
    std::string url;          ///< `scheme://host[:port]/path?query`
    transport::fields headers; ///< never logged: may hold `Authorization`
    body_string body;         ///< never logged: may hold a client secret; wiped when freed
    /// Whether sending twice is harmless. Unset means: by method (GET, HEAD, PUT, DELETE,
    /// OPTIONS are). Token requests set it to true: a repeated token POST is harmless.
    std::optional<bool> idempotent;

    bool is_idempotent() const noexcept {
        if (idempotent) return *idempotent;
        switch (method) {
        case verb::get:
        case verb::head:
        case verb::put:
        case verb::delete_:
        case verb::options: return true;
        default: return false;
        }
    }
};

/// A complete response. A non-2xx status is still a response, not an error: the caller
/// decides what a status means (`esx::make_http_error(status)` turns it into a code). The
/// body may hold a secret value or a token: it is a `body_string`, wiped when freed.
using response = boost::beast::http::response<wiped_string_body>;

} // namespace esx::transport

#endif
