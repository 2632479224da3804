// esx::object: the contract of an object-type policy.
//
// An object policy says what a Key Vault object of one kind becomes: which collection it is
// read from (`secrets`, `keys`, `certificates`), which reference prefix selects it
// (`secret/`, `key/`, `cert/`, as ESO's Azure provider reads `remoteRef.key`) and how the
// bundle Key Vault returns is decoded into bytes. Models: `secret`, `key`, `certificate`.
#ifndef ESX_OBJECT_CONCEPT_HPP
#define ESX_OBJECT_CONCEPT_HPP

#include <esx/failure.hpp>
#include <esx/object/error.hpp>

#include <boost/json/object.hpp>

#include <concepts>
#include <string_view>

namespace esx::object {

/// Opt-in tag: `using policy_kind = esx::object::tag;`.
struct tag {};

/// The type opts in with `using policy_kind = esx::object::tag;`.
template <class T>
concept tagged = requires { typename T::policy_kind; } && std::derived_from<typename T::policy_kind, tag>;

/// The type names its reference prefix as a constant: `static constexpr std::string_view prefix = "key/";`.
template <class T>
concept prefixed = requires {
    { T::prefix } -> std::convertible_to<std::string_view>;
} && (std::string_view(T::prefix).size() > 0);

/// The type names its Key Vault collection: `static constexpr std::string_view collection = "keys";`.
template <class T>
concept collected = requires {
    { T::collection } -> std::convertible_to<std::string_view>;
};

/// The type decodes a bundle: `static result<value_type, failure> decode(boost::json::object const&)`.
template <class T>
concept decoding = requires(boost::json::object const& bundle) {
    typename T::value_type;
    { T::decode(bundle) } -> std::same_as<result<typename T::value_type, failure>>;
};

/** An object-type policy.

    @par Requirements
    | expression | type | semantics |
    |---|---|---|
    | `P::policy_kind` | derived from `object::tag` | opt-in |
    | `P::prefix` | `std::string_view` constant, not empty | selects the kind in a reference (`"cert/"`) |
    | `P::collection` | `std::string_view` constant | the Key Vault path segment (`"certificates"`) |
    | `P::value_type` | a type | what `decode` yields; `secret_bytes` for the built-in kinds |
    | `P::decode(bundle)` | `result<value_type, failure>` | the bundle's bytes, or a failure naming the member |

    @par Laws
    - `decode` is a pure function of the bundle; it never throws.
    - A failure never holds bundle content, only member names.
    - No prefix in a kind set is a prefix of another (checked by `object/kinds.hpp`).

    @par Models
    `secret`, `key`, `certificate`.
*/
template <class T>
concept object_policy = tagged<T> && prefixed<T> && collected<T> && decoding<T>;

namespace detail {

/// One readable message per missing requirement: `static_assert(object::detail::diagnose<P>());`.
template <class T>
consteval bool diagnose() {
    static_assert(tagged<T>, "esx::object: the type is not an object policy: add "
                             "`using policy_kind = esx::object::tag;` (see esx/object/concept.hpp)");
    static_assert(prefixed<T>, "esx::object: the policy needs a non-empty "
                               "`static constexpr std::string_view prefix = \"kind/\";` (see esx/object/concept.hpp)");
    static_assert(collected<T>, "esx::object: the policy needs "
                                "`static constexpr std::string_view collection = \"secrets\";` naming its Key Vault "
                                "collection (see esx/object/concept.hpp)");
    static_assert(decoding<T>, "esx::object: the policy needs `using value_type = ...;` and "
                               "`static esx::result<value_type, esx::failure> decode(boost::json::object const&)` "
                               "(see esx/object/concept.hpp)");
    return object_policy<T>;
}

} // namespace detail
} // namespace esx::object

#endif
