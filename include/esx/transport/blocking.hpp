// esx::transport::blocking: a synchronous face for simple programs.
#ifndef ESX_TRANSPORT_BLOCKING_HPP
#define ESX_TRANSPORT_BLOCKING_HPP

#include <esx/transport/concept.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
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
    using executor_type = boost::asio::io_context::executor_type;

    /// Builds the transport as `Transport(executor, args...)`.
    template <class... Args>
        requires std::constructible_from<Transport, executor_type, Args...>
    explicit blocking(Args&&... args) : transport_(ioc_.get_executor(), std::forward<Args>(args)...) {}

    /// Builds the transport as `make(executor)`, for stacks such as `retry<https>` with
    /// their own options.
    template <class Make>
        requires std::is_invocable_r_v<Transport, Make, executor_type>
    blocking(std::in_place_t, Make make) : transport_(make(ioc_.get_executor())) {}

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
