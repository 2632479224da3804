// esx::object::detail: base64 as Key Vault uses it.
//
// Certificates (`cer`) come as standard base64 with padding; JWK members (`n`, `e`, `x`,
// `y`) as base64url without padding (RFC 7518). One decoder accepts both alphabets and
// optional padding, and refuses anything else (whitespace, stray characters, bad length).
#ifndef ESX_OBJECT_DETAIL_BASE64_HPP
#define ESX_OBJECT_DETAIL_BASE64_HPP

#include <optional>
#include <string>
#include <string_view>

namespace esx::object::detail {

/// The decoded bytes, or nothing when `in` is not base64 or base64url.
inline std::optional<std::string> base64_decode(std::string_view in) {
    auto sextet = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::size_t pad = 0;
    while (!in.empty() && in.back() == '=' && pad < 2) {
        in.remove_suffix(1);
        ++pad;
    }
    if (in.size() % 4 == 1) return std::nullopt;
    if (pad && (in.size() + pad) % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(in.size() * 3 / 4);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        int const v = sextet(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return out;
}

} // namespace esx::object::detail

#endif
