// esx::transport: the contract of a transport policy.
//
// A transport moves one HTTP request to an absolute URL and brings back the complete
// response. Models: `https` (Beast + OpenSSL, pooled), `http` (plain; IMDS and tests),
// `retry<T>` (decorator), `esx::testing::scripted_transport`.
#ifndef ESX_TRANSPORT_CONCEPT_HPP
#define ESX_TRANSPORT_CONCEPT_HPP

#include <esx/error.hpp>
#include <esx/transport/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>

namespace esx::transport {

/// Opt-in tag: `using policy_kind = esx::transport::tag;`. A type that merely happens to
/// have a `send` is not a transport.
struct tag {};

/// The type opts in with `using policy_kind = esx::transport::tag;`.
template <class T>
concept tagged = requires { typename T::policy_kind; } && std::derived_from<typename T::policy_kind, tag>;

/// The type sends a request and returns the response as a coroutine.
template <class T>
concept sender = requires(T& t, request r) {
    { t.send(std::move(r)) } -> std::same_as<boost::asio::awaitable<result<response>>>;
};

/** A transport policy.

    @par Requirements
    | expression | type | semantics |
    |---|---|---|
    | `T::policy_kind` | derived from `transport::tag` | opt-in |
    | `t.send(request)` | `awaitable<result<response>>` | one request, one complete response |

    @par Laws
    - `send` never throws; every failure is a code that matches an `esx::condition`.
    - A non-2xx status is a response, not an error.
    - A request's headers and body never reach a log or an error.

    @par Models
    `https`, `http`, `retry<T>`, `esx::testing::scripted_transport`.
*/
template <class T>
concept transport_policy = tagged<T> && sender<T>;

namespace detail {

/// One readable message per missing requirement; use inside class templates as
/// `static_assert(transport::detail::diagnose<T>());`.
template <class T>
consteval bool diagnose() {
    static_assert(tagged<T>,
                  "esx::transport: the type is not a transport policy: add "
                  "`using policy_kind = esx::transport::tag;` (see esx/transport/concept.hpp)");
    static_assert(sender<T>,
                  "esx::transport: the type needs a member "
                  "`boost::asio::awaitable<esx::result<esx::transport::response>> send(esx::transport::request)` "
                  "(see esx/transport/concept.hpp)");
    return tagged<T> && sender<T>;
}

} // namespace detail
} // namespace esx::transport

#endif
