// esx::transform: Secret key names (out of line).
#ifndef ESX_TRANSFORM_IMPL_KEYS_IPP
#define ESX_TRANSFORM_IMPL_KEYS_IPP

#include <esx/transform/keys.hpp>
#include <esx/transform/detail/go.hpp>

#include <cstdio>

namespace esx::transform {
namespace detail {

/// ESO's rune test in `convert`: Unicode letters and numbers, '-', '.', '_' stay.
inline bool eso_key_rune(char32_t r) { return r == '-' || r == '.' || r == '_' || is_letter_or_number(r); }

/// Kubernetes' test: `[-._a-zA-Z0-9]`.
inline bool kubernetes_key_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
}

inline std::string_view to_string(spec::conversion_strategy s) noexcept {
    return s == spec::conversion_strategy::unicode ? "Unicode" : "Default";
}

inline failure invalid_keys(std::string why) {
    return failure{make_error_code(error::invalid_keys),
                   "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): " + std::move(why)};
}

} // namespace detail

ESX_DECL std::string convert_key(spec::conversion_strategy strategy, std::string_view key) {
    // Go ranges over []rune(key): an invalid byte is one U+FFFD rune, which is converted too.
    std::string out;
    out.reserve(key.size());
    for (std::size_t i = 0; i < key.size();) {
        auto const [r, w] = detail::decode_rune(key, i);
        if (detail::eso_key_rune(r)) {
            out.append(key.substr(i, w));
        } else if (strategy == spec::conversion_strategy::unicode) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "_U%04x_", static_cast<unsigned>(r));
            out += buf;
        } else {
            out += '_';
        }
        i += w;
    }
    return out;
}

ESX_DECL result<secret_map, failure> convert_keys_checked(spec::conversion_strategy strategy, secret_map data) {
    secret_map out;
    for (auto& [key, value] : data) {
        auto converted = convert_key(strategy, key);
        if (out.contains(converted))
            return failure{make_error_code(error::invalid_keys),
                           "error applying conversion strategy " + std::string(detail::to_string(strategy)) +
                               " to keys: secret name collision during conversion: " + converted};
        out.emplace(std::move(converted), std::move(value));
    }
    return out;
}

ESX_DECL secret_map convert_keys(spec::conversion_strategy strategy, secret_map data) {
    secret_map out;
    for (auto& [key, value] : data) out.try_emplace(convert_key(strategy, key), std::move(value));
    return out;
}

ESX_DECL void drop_empty_keys(secret_map& data) { data.erase(""); }

ESX_DECL result<void, failure> validate_keys(secret_map const& data) {
    for (auto const& [key, value] : data) {
        (void)value;
        if (key.empty()) continue;  // ESO drops these (drop_empty_keys)
        if (key.size() > 253)
            return detail::invalid_keys("key has length " + std::to_string(key.size()) +
                                        " but max is 253: (following is truncated): " + key.substr(0, 253));
        for (std::size_t i = 0; i < key.size();) {
            if (detail::kubernetes_key_byte(key[i])) {
                ++i;
                continue;
            }
            auto const [r, w] = detail::decode_rune(key, i);
            std::string c;
            detail::append_rune(c, r);
            return detail::invalid_keys("key has invalid character " + c +
                                        ", only alphanumeric, '-', '.' and '_' are allowed: " + key);
        }
    }
    return {};
}

ESX_DECL result<void, failure> check_null_bytes(spec::null_byte_policy policy, secret_map const& data) {
    if (policy != spec::null_byte_policy::fail) return {};
    for (auto const& [key, value] : data)
        if (value.reveal().find('\0') != std::string_view::npos)
            return failure{make_error_code(error::null_byte),
                           "fetched secret value for key " + detail::go_quote(key) +
                               " contains null bytes; use a text-safe format such as PEM/base64 or leave "
                               "nullBytePolicy unset for intentional binary data"};
    return {};
}

} // namespace esx::transform

#endif
