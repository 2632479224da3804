// esx::transform: ESO's bookkeeping hashes (out of line).
#ifndef ESX_TRANSFORM_IMPL_HASH_IPP
#define ESX_TRANSFORM_IMPL_HASH_IPP

#include <esx/transform/hash.hpp>
#include <esx/transform/detail/digest.hpp>
#include <esx/transform/detail/go.hpp>

#include <openssl/evp.h>

namespace esx::transform {
namespace detail {

/// ESO's ObjectHash: `fmt.Sprintf("%x", sha3.Sum224([]byte(fmt.Sprintf("%+v", object))))`.
inline std::string sha3_224_hex(std::string_view text) {
    return detail::hex_digest<std::string>(detail::sha3_224(), text);
}

/// `%+v` of a `map[string]string`: `map[a:b c:d]`, keys sorted, nothing quoted.
inline void print_string_map(scratch& out, std::map<std::string, std::string> const& m) {
    out.append("map[");
    bool first = true;
    for (auto const& [k, v] : m) {
        if (!first) out.push_back(' ');
        first = false;
        out.append(k);
        out.push_back(':');
        out.append(v);
    }
    out.push_back(']');
}

} // namespace detail

ESX_DECL std::string data_hash(secret_map const& data) {
    // `%+v` of a map[string][]byte: `map[a:[104 105] b:[]]` (fmt sorts the keys).
    detail::scratch text("map[");
    bool first = true;
    for (auto const& [key, value] : data) {
        if (!first) text.push_back(' ');
        first = false;
        text.append(key);
        text.append(":[");
        auto const bytes = value.reveal();
        text.reserve(text.size() + bytes.size() * 4 + key.size() + 4);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            if (i) text.push_back(' ');
            unsigned const b = static_cast<unsigned char>(bytes[i]);
            if (b >= 100) text.push_back(static_cast<char>('0' + b / 100));
            if (b >= 10) text.push_back(static_cast<char>('0' + b / 10 % 10));
            text.push_back(static_cast<char>('0' + b % 10));
        }
        text.push_back(']');
    }
    text.push_back(']');
    return detail::sha3_224_hex(text.view());
}

ESX_DECL std::string created_by_label(std::string_view namespace_, std::string_view name) {
    // ObjectHash(fmt.Sprintf("%v/%v", ns, name)): `%+v` of a string is the string itself.
    std::string text;
    text.reserve(namespace_.size() + name.size() + 1);
    text.append(namespace_).append("/").append(name);
    return detail::sha3_224_hex(text);
}

ESX_DECL std::string metadata_hash(std::map<std::string, std::string> const& labels,
                                   std::map<std::string, std::string> const& annotations) {
    // HashMeta: ObjectHash(meta{annotations, labels}) prints `{annotations:map[...] labels:map[...]}`.
    detail::scratch text("{annotations:");
    detail::print_string_map(text, annotations);
    text.append(" labels:");
    detail::print_string_map(text, labels);
    text.push_back('}');
    return detail::sha3_224_hex(text.view());
}

} // namespace esx::transform

#endif
