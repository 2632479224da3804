// esx mocks/common: what a scripted_server does with one request (action) and how it listens
// (server_options). Apart from scripted_server.hpp so code that only builds answers (the mock
// Azure services) does not compile the server's Beast and Asio machinery.
#ifndef ESX_MOCKS_COMMON_SCRIPTED_ACTION_HPP
#define ESX_MOCKS_COMMON_SCRIPTED_ACTION_HPP

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace esx::test {

namespace http = boost::beast::http;

// What the server does with one request. Build it with the static factories;
// the data members are the server's business.
struct action {
    enum class kind { respond, chunked, raw, close_after_bytes, hang, trickle, close };

    kind what = kind::close;
    http::response<http::string_body> response;  // respond: the message; chunked: status + header fields
    std::chrono::milliseconds delay{0};          // respond: wait before writing; trickle: gap between bytes
    std::vector<std::string> chunks;             // chunked: the chunk payloads, one write each
    std::string bytes;                           // raw / close_after_bytes / trickle: exact bytes to send

    // A normal response. prepare_payload() is applied for you (Content-Length)
    // unless the response is marked chunked. Keep-alive follows the request,
    // unless the response itself says "Connection: close".
    static action respond(http::response<http::string_body> r) {
        action a;
        a.what = kind::respond;
        a.response = std::move(r);
        return a;
    }

    // Like respond(), after a server-side timer: lets a test hit client
    // timeouts without sleeping on the test thread.
    static action respond_after(http::response<http::string_body> r, std::chrono::milliseconds delay) {
        action a = respond(std::move(r));
        a.delay = delay;
        return a;
    }

    // "Transfer-Encoding: chunked" with each chunk sent by its own write, so
    // the client really sees the body arrive in pieces. Empty strings are
    // skipped because a zero-size chunk would end the body early.
    static action chunked(unsigned status, std::vector<std::string> chunks) {
        http::response<http::string_body> head;
        head.result(status);
        return chunked(std::move(head), std::move(chunks));
    }

    // As above, with the status and header fields (e.g. Content-Type) taken
    // from `head`; its body is ignored.
    static action chunked(http::response<http::string_body> head, std::vector<std::string> chunks) {
        action a;
        a.what = kind::chunked;
        a.response = std::move(head);
        a.chunks = std::move(chunks);
        return a;
    }

    // Writes exactly these bytes, then closes gracefully (TLS close_notify,
    // then TCP FIN): for malformed status lines and headers.
    static action raw(std::string bytes) {
        action a;
        a.what = kind::raw;
        a.bytes = std::move(bytes);
        return a;
    }

    // Writes a partial response, then closes the TCP connection without a TLS
    // close_notify: what a crashing or reset peer looks like mid-response.
    static action close_after_bytes(std::string bytes) {
        action a;
        a.what = kind::close_after_bytes;
        a.bytes = std::move(bytes);
        return a;
    }

    // Never answers. The connection stays open (anything the client sends is
    // read and discarded) until the client closes it or the server stops.
    static action hang() {
        action a;
        a.what = kind::hang;
        return a;
    }

    // Sends the bytes one at a time, the first at once and the rest `interval`
    // apart, then closes gracefully: defeats per-read inactivity timeouts
    // while still exceeding an overall deadline.
    static action trickle(std::string bytes, std::chrono::milliseconds interval) {
        action a;
        a.what = kind::trickle;
        a.bytes = std::move(bytes);
        a.delay = interval;
        return a;
    }

    // Closes the connection without answering (TCP FIN, no TLS close_notify),
    // e.g. a keep-alive connection the server gave up on.
    static action close() { return action{}; }
};

struct server_options {
    bool tls = false;
    std::string cert_pem;  // server certificate chain (leaf first) when tls
    std::string key_pem;   // its private key when tls
    // Accept TCP connections but never take part in the TLS handshake (or, on
    // plain TCP, never read the request): the ClientHello is read and dropped.
    bool stall_tls_handshake = false;
    // Newest TLS version offered (an OpenSSL constant such as TLS1_2_VERSION); 0: TLS 1.3.
    int tls_max_version = 0;
    // Ask for a client certificate (accepting any, or none) and set no session id context:
    // OpenSSL then fails the handshake of any client that tries to resume a session.
    bool request_client_certificate = false;
};

}  // namespace esx::test

#endif
