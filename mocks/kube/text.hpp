// esx mocks/kube: small helpers every part of the mock uses: strings, base64, time,
// identifiers, and reading fields of Boost.JSON objects the way the API server does
// (a missing or mistyped field reads as empty).
#ifndef ESX_MOCKS_KUBE_TEXT_HPP
#define ESX_MOCKS_KUBE_TEXT_HPP

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esx::mocks::kube::detail {

namespace json = boost::json;

std::string lower(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::string trim(std::string_view s);
std::string percent_decode(std::string_view s, bool plus_is_space);
bool parse_bool(std::string_view v);
std::string quote_json(std::string const& s);  // "s" with JSON escapes, as Go's %q prints it

std::string base64_encode(std::string_view in, bool url = false);
// Standard, padded base64 as Go's encoding/json decodes []byte: anything else
// (bad characters, missing padding) fails.
std::optional<std::string> base64_decode_std(std::string_view in);

std::int64_t now_s();
std::string rfc3339(std::int64_t t);
// Parses RFC 3339 with "Z" or a numeric offset and optional fractions
// (python3-kubernetes sends "+00:00"). Returns nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view s);
// kubectl-like human age: 45s, 3m12s, 25m, 5h10m, 30h, 3d.
std::string human_age(std::int64_t secs);

std::string random_bytes(std::size_t n);
std::string uuid();
// generateName suffix: 5 characters from the apiserver's alphabet (no vowels).
std::string name_suffix();

// ----- fields of JSON objects

inline std::string str_of(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline json::object const* obj_of(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

inline json::object& ensure_obj(json::object& o, std::string_view key) {
    json::value& v = o[key];
    if (!v.is_object())
        v.emplace_object();
    return v.as_object();
}

inline json::object& meta(json::object& o) { return ensure_obj(o, "metadata"); }

json::object const& cmeta(json::object const& o);  // metadata, or an empty object

template <class Pred>
void erase_values(json::array& a, Pred pred) {
    for (std::size_t i = a.size(); i-- > 0;)
        if (pred(a[i]))
            a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
}

}  // namespace esx::mocks::kube::detail

#endif
