// esx mocks/common: the skeleton every loopback server in the mocks and tests shares: one
// io_context on its own thread, listeners on 127.0.0.1, and the sessions they accepted.
//
// A test server must never outlive its test: stop() (or the destructor) closes every
// listener and every session, stops the io_context and joins the thread. What a server
// does with a connection is its own business (scripted_server answers scripted HTTP,
// tcp_forwarder relays bytes, connect_proxy tunnels, the mock API servers speak their
// protocols); this file only accepts, remembers and closes.
#ifndef ESX_MOCKS_COMMON_LOOPBACK_SERVER_HPP
#define ESX_MOCKS_COMMON_LOOPBACK_SERVER_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace esx::mocks {

/// One accepted connection, as far as its server needs to know: how to close it.
class session {
public:
    virtual ~session() = default;
    /// Closes the connection at once (called on the server thread by stop()).
    virtual void abort() noexcept = 0;
};

class loopback_server {
public:
    using tcp = boost::asio::ip::tcp;
    /// Takes an accepted socket (TCP_NODELAY already set; request/response latency matters more
    /// than packet counts on loopback), starts serving it and returns it; null to drop it.
    using accept_fn = std::function<std::shared_ptr<session>(tcp::socket)>;

    loopback_server() = default;
    loopback_server(loopback_server const&) = delete;
    loopback_server& operator=(loopback_server const&) = delete;
    ~loopback_server() { stop(); }

    /// Binds 127.0.0.1:`port` (0: an ephemeral port) and returns the port bound. Accepting
    /// starts with run(). Throws boost::system::system_error when the port cannot be bound.
    unsigned short listen(unsigned short port, accept_fn on_accept) {
        tcp::endpoint const endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), port);
        auto& l = listeners_.emplace_back(ioc_, std::move(on_accept));
        l.acceptor.open(endpoint.protocol());
        l.acceptor.set_option(boost::asio::socket_base::reuse_address(true));
        l.acceptor.bind(endpoint);
        l.acceptor.listen(boost::asio::socket_base::max_listen_connections);
        return l.acceptor.local_endpoint().port();
    }

    /// The io_context the sessions run on (for timers and posts of the server's own).
    boost::asio::io_context& context() noexcept { return ioc_; }

    /// Starts accepting on every listener, on the server thread.
    void run() {
        for (auto& l : listeners_)
            accept(l);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    /// Closes the listeners and every session, then joins the thread. Idempotent and safe
    /// from any thread; from the server thread itself (a handler) it only schedules the
    /// shutdown and the destructor joins.
    void stop() {
        std::lock_guard lock(stop_mutex_);
        if (!stop_requested_) {
            stop_requested_ = true;
            boost::asio::post(ioc_, [this] {
                boost::system::error_code ignored;
                for (auto& l : listeners_)
                    l.acceptor.close(ignored);
                for (auto& weak : sessions_)
                    if (auto s = weak.lock())
                        s->abort();
                sessions_.clear();
                // Aborted operations are not run; ~io_context destroys them and with them the
                // sessions, after every socket is closed.
                ioc_.stop();
            });
        }
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
            thread_.join();
    }

private:
    struct listener {
        listener(boost::asio::io_context& ioc, accept_fn f) : acceptor(ioc), on_accept(std::move(f)) {}
        tcp::acceptor acceptor;
        accept_fn on_accept;
    };

    void accept(listener& l) {
        l.acceptor.async_accept([this, &l](boost::system::error_code ec, tcp::socket socket) {
            if (!l.acceptor.is_open())
                return;
            // An error here is e.g. ECONNABORTED from a client that gave up in the backlog.
            if (!ec) {
                boost::system::error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                if (auto s = l.on_accept(std::move(socket)))
                    remember(std::move(s));
            }
            accept(l);
        });
    }

    // Drops expired entries whenever the list doubles, so a benchmark with many short
    // connections keeps the list (and the sweep) amortised O(1).
    void remember(std::shared_ptr<session> s) {
        if (sessions_.size() >= sweep_at_) {
            std::erase_if(sessions_, [](auto const& w) { return w.expired(); });
            sweep_at_ = 2 * sessions_.size() + 64;
        }
        sessions_.push_back(std::move(s));
    }

    // Declaration order: the listeners die before the io_context they were made on.
    boost::asio::io_context ioc_{1};
    std::list<listener> listeners_;  // stable addresses for the accept loops
    std::vector<std::weak_ptr<session>> sessions_;
    std::size_t sweep_at_ = 64;
    std::mutex stop_mutex_;
    bool stop_requested_ = false;
    std::thread thread_;
};

}  // namespace esx::mocks

#endif
