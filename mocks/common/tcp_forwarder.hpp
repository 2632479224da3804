// esx mocks/common: a loopback TCP forwarder, so a server that can only bind
// an ephemeral port (scripted_server) can also be reached on a fixed one.
//
// tcp_forwarder(listen_port, target_port) binds 127.0.0.1:listen_port (0 =
// ephemeral) and relays the bytes of every accepted connection, unchanged, to
// a new connection to 127.0.0.1:target_port, in both directions. TLS passes
// through untouched (SNI, certificates and close_notify are end to end). A
// FIN from either side is passed on as a FIN (half-close); an error on either
// side closes both. It runs on a loopback_server (its own io_context and
// thread) and is torn down, connections included, by stop() or the destructor.
#ifndef ESX_MOCKS_COMMON_TCP_FORWARDER_HPP
#define ESX_MOCKS_COMMON_TCP_FORWARDER_HPP

#include "loopback_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <memory>

namespace esx::mocks {

class tcp_forwarder {
    using tcp = boost::asio::ip::tcp;

    // One client connection and its upstream twin.
    struct link : session, std::enable_shared_from_this<link> {
        explicit link(tcp::socket client) : down(std::move(client)), up(down.get_executor()) {}

        tcp::socket down;  // the client
        tcp::socket up;    // the target
        std::array<char, 16384> to_up{};
        std::array<char, 16384> to_down{};
        int open_directions = 2;

        void start(unsigned short target) {
            tcp::endpoint const ep(boost::asio::ip::make_address_v4("127.0.0.1"), target);
            up.async_connect(ep, [self = shared_from_this()](boost::system::error_code ec) {
                if (ec) {
                    self->close();
                    return;
                }
                boost::system::error_code ignored;
                self->up.set_option(tcp::no_delay(true), ignored);
                self->pump(self->down, self->up, self->to_up);
                self->pump(self->up, self->down, self->to_down);
            });
        }

        void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
            from.async_read_some(boost::asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf](
                                                               boost::system::error_code ec, std::size_t n) {
                if (ec == boost::asio::error::eof) {
                    boost::system::error_code ignored;
                    to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the FIN on
                    if (--self->open_directions == 0)
                        self->close();
                    return;
                }
                if (ec) {
                    self->close();
                    return;
                }
                boost::asio::async_write(to, boost::asio::buffer(buf.data(), n),
                                         [self, &from, &to, &buf](boost::system::error_code wec, std::size_t) {
                                             if (wec) {
                                                 self->close();
                                                 return;
                                             }
                                             self->pump(from, to, buf);
                                         });
            });
        }

        void close() noexcept {
            boost::system::error_code ignored;
            down.close(ignored);
            up.close(ignored);
        }

        void abort() noexcept override { close(); }
    };

public:
    // Throws boost::system::system_error when the port cannot be bound (e.g. in use).
    tcp_forwarder(unsigned short listen_port, unsigned short target_port) {
        port_ = server_.listen(listen_port, [target_port](tcp::socket socket) {
            auto l = std::make_shared<link>(std::move(socket));
            l->start(target_port);
            return l;
        });
        server_.run();
    }

    tcp_forwarder(tcp_forwarder const&) = delete;
    tcp_forwarder& operator=(tcp_forwarder const&) = delete;
    ~tcp_forwarder() { stop(); }

    unsigned short port() const noexcept { return port_; }

    // Closes the listener and every relayed connection, then joins the thread. Idempotent.
    void stop() { server_.stop(); }

private:
    loopback_server server_;
    unsigned short port_ = 0;
};

}  // namespace esx::mocks

#endif
