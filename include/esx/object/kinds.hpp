// esx::object: the compiled set of object kinds and the run-time choice among them.
//
// Which kind a remote reference names (`cert/tls-api`) is known only at run time; the set
// of kinds a program supports is fixed at compile time. The set is a `boost::hana` tuple of
// types; a reference is matched against each kind's prefix in order (Hana's `switch_` idea):
// the body is instantiated once per kind and picked by a linear scan.
#ifndef ESX_OBJECT_KINDS_HPP
#define ESX_OBJECT_KINDS_HPP

#include <esx/object/certificate.hpp>
#include <esx/object/concept.hpp>
#include <esx/object/key.hpp>
#include <esx/object/secret.hpp>

#include <boost/hana/back.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/unpack.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace esx::object {

/// A kind set: `kinds<key, certificate, secret>`. Order is match order; the last kind is the
/// fallback for a bare name (no `/`).
template <class... Policies>
inline constexpr auto kinds = boost::hana::tuple_t<Policies...>;

/// What ESO's Azure provider accepts: `key/`, `cert/`, `secret/`, and bare names as secrets.
inline constexpr auto default_kinds = kinds<key, certificate, secret>;
using default_kinds_t = std::remove_const_t<decltype(default_kinds)>;

namespace detail {

template <class... P>
constexpr bool prefixes_are_distinct() {
    std::array<std::string_view, sizeof...(P)> const p{std::string_view(P::prefix)...};
    for (std::size_t i = 0; i < p.size(); ++i)
        for (std::size_t j = 0; j < p.size(); ++j)
            if (i != j && p[j].starts_with(p[i])) return false;
    return true;
}

template <class Kinds>
constexpr bool kind_set_is_valid() {
    return boost::hana::unpack(Kinds{}, [](auto... t) {
        return (detail::diagnose<typename decltype(t)::type>() && ...) &&
               prefixes_are_distinct<typename decltype(t)::type...>();
    });
}

template <class Kinds>
consteval bool diagnose_kinds() {
    static_assert(boost::hana::unpack(Kinds{}, [](auto... t) { return sizeof...(t) > 0; }),
                  "esx::object: a kind set needs at least one kind (the last one takes bare names)");
    static_assert(kind_set_is_valid<Kinds>(),
                  "esx::object: in a kind set no prefix may be a prefix of another (\"key/\" and \"key/rsa/\" "
                  "would make the second unreachable); see esx/object/kinds.hpp");
    return true;
}

/// `"key/, cert/, secret/"` for messages.
template <class Kinds>
std::string prefix_list() {
    std::string out;
    boost::hana::for_each(Kinds{}, [&](auto t) {
        if (!out.empty()) out += ", ";
        out += std::string_view(decltype(t)::type::prefix);
    });
    return out;
}

} // namespace detail

static_assert(detail::diagnose_kinds<default_kinds_t>());

/** Calls `f(Policy{}, name)` with the kind that `ref` selects and the object name, and
    returns what it returns.

    `ref` is matched against each kind's `prefix` in order; the name is what follows the
    prefix up to the next `/` (ESO ignores anything after a second `/`). A reference with no
    `/` goes to the last kind. Every call of `f` must return the same type `R`.

    @return `R`, or a failure: `object::error::invalid_reference` (empty reference or name),
    `object::error::object_type_not_compiled` (`cert/x` when the set has no `cert/`, the
    type being one Key Vault has), `object::error::unknown_object_type` (`foo/x`). */
template <class Kinds = default_kinds_t, class F>
auto visit_by_prefix(std::string_view ref, F&& f, Kinds = {})
    -> result<decltype(f(typename decltype(+boost::hana::back(Kinds{}))::type{}, std::string_view{})), failure> {
    static_assert(detail::diagnose_kinds<Kinds>());
    using fallback = typename decltype(+boost::hana::back(Kinds{}))::type;
    using R = decltype(f(fallback{}, std::string_view{}));
    auto invalid = [&](std::string why) {
        return failure{make_error_code(error::invalid_reference), "remoteRef.key \"" + std::string(ref) + "\": " + why};
    };
    if (ref.empty()) return invalid("must not be empty");
    auto name_after = [](std::string_view rest) { return rest.substr(0, rest.find('/')); };

    std::optional<R> out;
    bool matched = false;
    boost::hana::for_each(Kinds{}, [&](auto t) {
        using P = typename decltype(t)::type;
        if (matched || !ref.starts_with(std::string_view(P::prefix))) return;
        matched = true;
        auto const name = name_after(ref.substr(std::string_view(P::prefix).size()));
        if (!name.empty()) out.emplace(f(P{}, name));
    });
    if (matched) {
        if (!out) return invalid("the object name after the type prefix is empty");
        return std::move(*out);
    }
    auto const slash = ref.find('/');
    if (slash == std::string_view::npos) return f(fallback{}, ref);

    auto const type = ref.substr(0, slash);
    if (type == "secret" || type == "key" || type == "cert")
        return failure{make_error_code(error::object_type_not_compiled),
                       "remoteRef.key \"" + std::string(ref) + "\": object type \"" + std::string(type) +
                           "\" is not compiled into this program (its kinds are: " + detail::prefix_list<Kinds>() + ")"};
    return failure{make_error_code(error::unknown_object_type),
                   "remoteRef.key \"" + std::string(ref) + "\": unknown Azure Key Vault object type \"" +
                       std::string(type) + "\" (expected " + detail::prefix_list<Kinds>() + " or a bare secret name)"};
}

} // namespace esx::object

#endif
