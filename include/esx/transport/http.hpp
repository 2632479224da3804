// esx::transport::http: plain HTTP/1.1 with the same pool and deadlines as `https`.
#ifndef ESX_TRANSPORT_HTTP_HPP
#define ESX_TRANSPORT_HTTP_HPP

#include <esx/transport/concept.hpp>
#include <esx/transport/detail/client.hpp>

namespace esx::transport {

/** Plain HTTP, for IMDS (which is plain HTTP in production) and for tests.

    A request that carries `Authorization: Bearer` is refused with
    `error::bearer_over_plain_http` unless it goes to IMDS (169.254.169.254) or
    `options::allow_bearer_over_plain_http` is set: a token on an unencrypted connection is a
    token given away. `HTTP_PROXY`/`NO_PROXY` are honoured (absolute-form requests).

    @par Errors
    As `https`, without the TLS ones, plus `error::bearer_over_plain_http`.
*/
class http {
public:
    using policy_kind = tag;
    using executor_type = boost::asio::any_io_executor;

    explicit http(executor_type ex, options o = {}) : client_(std::move(ex), std::move(o)) {}

    boost::asio::awaitable<result<response>> send(request r) { return client_.send(std::move(r)); }

    executor_type get_executor() const noexcept { return client_.get_executor(); }
    std::size_t connections_opened() const noexcept { return client_.connections_opened(); }
    std::size_t idle_connections() const noexcept { return client_.idle_connections(); }

private:
    detail::basic_client<false> client_;
};

static_assert(transport_policy<http>);

} // namespace esx::transport

#endif
