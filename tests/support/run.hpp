// Runs one coroutine to completion on a private io_context (tests only).
#ifndef ESX_TESTS_SUPPORT_RUN_HPP
#define ESX_TESTS_SUPPORT_RUN_HPP

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <stdexcept>

namespace esx::test {

template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> task) {
    std::optional<T> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T v) {
        failure = e;
        if (!e) out.emplace(std::move(v));
    });
    ioc.restart();
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    if (!out) throw std::logic_error("coroutine did not finish");
    return std::move(*out);
}

template <class T>
T run(boost::asio::awaitable<T> task) {
    boost::asio::io_context ioc;
    return run(ioc, std::move(task));
}

} // namespace esx::test

#endif
