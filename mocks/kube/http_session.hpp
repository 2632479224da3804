// esx mocks/kube: the connections of the mock's two listeners (http_session.cpp).
#ifndef ESX_MOCKS_KUBE_HTTP_SESSION_HPP
#define ESX_MOCKS_KUBE_HTTP_SESSION_HPP

#include "handler.hpp"

#include "mocks/common/loopback_server.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <mutex>

namespace boost::asio::ssl {
class context;
}

namespace esx::mocks::kube::detail {

// What a connection needs from its server; it must outlive the connections.
struct conn_env {
    std::function<http_reply(api_request const&, request_record&)> handle;
    std::function<void(request_record)> record;
    std::mutex* mutex;  // held while the handler runs and while watches are unregistered
};

// Serves `socket` (over TLS with `tls`, else plain HTTP) until it closes; the session
// registers itself as a watch's sink when a request is a watch.
std::shared_ptr<esx::mocks::session> start_session(conn_env const& env, boost::asio::ip::tcp::socket socket,
                                                    boost::asio::ssl::context* tls);

}  // namespace esx::mocks::kube::detail

#endif
