// esx::sink: the contract of a sink policy.
//
// A sink makes one `target` (see <esx/sink/target.hpp>) true somewhere: a Kubernetes Secret,
// a directory of files, a dotenv or JSON stream. Models: `kubernetes_secret`, `files`,
// `dotenv`, `json`, `memory` (tests).
#ifndef ESX_SINK_CONCEPT_HPP
#define ESX_SINK_CONCEPT_HPP

#include <esx/failure.hpp>
#include <esx/sink/target.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>

namespace esx::sink {

/// Opt-in tag: `using policy_kind = esx::sink::tag;`.
struct tag {};

/// The type opts in with `using policy_kind = esx::sink::tag;`.
template <class T>
concept tagged = requires { typename T::policy_kind; } && std::derived_from<typename T::policy_kind, tag>;

/// The type writes a target: `awaitable<result<outcome, failure>> apply(target, apply_options)`.
template <class T>
concept applier = requires(T& s, target t, apply_options o) {
    { s.apply(std::move(t), o) } -> std::same_as<boost::asio::awaitable<result<outcome, failure>>>;
};

/// The type removes a target when the provider has no data and `deletionPolicy` is Delete:
/// `awaitable<result<outcome, failure>> remove(target, apply_options)`.
template <class T>
concept remover = requires(T& s, target t, apply_options o) {
    { s.remove(std::move(t), o) } -> std::same_as<boost::asio::awaitable<result<outcome, failure>>>;
};

/** A sink policy.

    @par Requirements
    | expression | type | semantics |
    |---|---|---|
    | `S::policy_kind` | derived from `sink::tag` | opt-in |
    | `s.apply(target, apply_options)` | `awaitable<result<outcome, failure>>` | make the target true |
    | `s.remove(target, apply_options)` | `awaitable<result<outcome, failure>>` | `deletionPolicy: Delete` with no data |
    | `s.flush()` (optional) | `result<void, failure>` | called once after a run (stream sinks print here) |

    @par Laws
    - Idempotent: applying the same target twice writes once (the second reports `unchanged`).
    - Atomic: a reader sees the old content or the new, never a mix; a failure leaves the
      existing target byte-identical.
    - A dry run writes nothing and reports what `apply` would do.
    - Values never appear in an outcome, a failure or a log line.

    @par Models
    `kubernetes_secret`, `files`, `dotenv`, `json`, `memory`.
*/
template <class T>
concept sink_policy = tagged<T> && applier<T> && remover<T>;

namespace detail {

/// One readable message per missing requirement: `static_assert(sink::detail::diagnose<S>());`.
template <class T>
consteval bool diagnose() {
    static_assert(tagged<T>, "esx::sink: the type is not a sink policy: add "
                             "`using policy_kind = esx::sink::tag;` (see esx/sink/concept.hpp)");
    static_assert(applier<T>, "esx::sink: the sink needs a member `boost::asio::awaitable<esx::result<"
                              "esx::sink::outcome, esx::failure>> apply(esx::sink::target, esx::sink::apply_options)` "
                              "(see esx/sink/concept.hpp)");
    static_assert(remover<T>, "esx::sink: the sink needs a member `boost::asio::awaitable<esx::result<"
                              "esx::sink::outcome, esx::failure>> remove(esx::sink::target, esx::sink::apply_options)` "
                              "for deletionPolicy: Delete (see esx/sink/concept.hpp)");
    return sink_policy<T>;
}

} // namespace detail
} // namespace esx::sink

#endif
