// esx::sink::detail: standard base64 with padding, as a Secret's `data` spells its values.
//
// Decoding goes straight into `secret_bytes`, so a value read from the API server never sits
// in an unwiped buffer; encoding yields the text a JSON body needs.
#ifndef ESX_SINK_DETAIL_BASE64_HPP
#define ESX_SINK_DETAIL_BASE64_HPP

#include <esx/secret.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace esx::sink::detail {

inline std::string base64_encode(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned const v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (std::size_t const rest = in.size() - i; rest) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// The bytes of standard padded base64 (what the API server returns), or nothing.
inline std::optional<secret_bytes> base64_decode(std::string_view in) {
    auto sextet = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (in.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && !in.empty() && in.back() == '=') {
        in.remove_suffix(1);
        ++pad;
    }
    secret_bytes out;
    char chunk[3];
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        int const v = sextet(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            chunk[0] = static_cast<char>((buffer >> bits) & 0xFF);
            out.append(std::string_view(chunk, 1));
        }
    }
    esx::detail::secure_wipe(&buffer, sizeof buffer);
    esx::detail::secure_wipe(chunk, sizeof chunk);
    return out;
}

} // namespace esx::sink::detail

#endif
