// esx::transport::blocking: a synchronous face for simple programs.
#ifndef ESX_TRANSPORT_BLOCKING_HPP
#define ESX_TRANSPORT_BLOCKING_HPP

#include <esx/transport/concept.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace esx::transport {

/** Owns an io_context and a transport built on it; `send` runs one request to completion.

    @code
    esx::transport::blocking<esx::transport::retry<esx::transport::https>> client(opts);
    auto r = client.send({.url = "https://example.vault.azure.net/secrets/x?api-version=7.4"});
    @endcode
    Not for use inside another io_context's handlers (it runs its own loop).
*/
template <class Transport>
class blocking {
    static_assert(detail::diagnose<Transport>());

public:
    template <class... Args>
    explicit blocking(Args&&... args) : transport_(ioc_.get_executor(), std::forward<Args>(args)...) {}

    result<response> send(request req) {
        std::optional<result<response>> out;
        boost::asio::co_spawn(ioc_, transport_.send(std::move(req)),
                              [&](std::exception_ptr e, result<response> r) {
                                  if (e) out.emplace(ESX_ERROR(error::unexpected_exception));
                                  else out.emplace(std::move(r));
                              });
        ioc_.restart();
        ioc_.run();
        return out ? std::move(*out) : result<response>(ESX_ERROR(error::unexpected_exception));
    }

    Transport& transport() noexcept { return transport_; }

private:
    boost::asio::io_context ioc_{1};
    Transport transport_;
};

} // namespace esx::transport

#endif
