// esx::transform::detail: Go's `encoding/base64`, decoding and encoding, error offsets included.
#ifndef ESX_TRANSFORM_DETAIL_BASE64_HPP
#define ESX_TRANSFORM_DETAIL_BASE64_HPP

#include <esx/transform/detail/go.hpp>

namespace esx::transform::detail {

/// Go's `base64.{Std,URL,RawStd,RawURL}Encoding.DecodeString` (not Strict: the unused bits of
/// the last quantum may be set; `\r` and `\n` are skipped anywhere). On error, `error_offset`
/// is Go's `CorruptInputError` offset.
inline bool go_base64_decode(std::string_view src, bool url, bool padded, scratch& out, std::size_t& error_offset) {
    auto sextet = [url](unsigned char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == (url ? '-' : '+')) return 62;
        if (c == (url ? '_' : '/')) return 63;
        return -1;
    };
    auto newline = [](char c) { return c == '\r' || c == '\n'; };
    out.clear();
    out.reserve(src.size() / 4 * 3 + 3);
    std::size_t si = 0;
    for (;;) {
        // decodeQuantum
        unsigned dbuf[4] = {0, 0, 0, 0};
        std::size_t dlen = 4;
        for (std::size_t j = 0; j < 4; ++j) {
            if (si == src.size()) {
                if (j == 0) return true;
                if (j == 1 || padded) {
                    error_offset = si - j;
                    return false;
                }
                unsigned const val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
                out.push_back(static_cast<char>(val >> 16));
                if (j == 3) out.push_back(static_cast<char>(val >> 8));
                return true;
            }
            auto const in = static_cast<unsigned char>(src[si]);
            ++si;
            int const v = sextet(in);
            if (v >= 0) {
                dbuf[j] = static_cast<unsigned>(v);
                continue;
            }
            if (newline(static_cast<char>(in))) {
                --j;
                continue;
            }
            if (in != '=' || !padded) {
                error_offset = si - 1;
                return false;
            }
            // Padding: it ends the input.
            if (j == 0 || j == 1) {
                error_offset = si - 1;
                return false;
            }
            if (j == 2) {
                while (si < src.size() && newline(src[si])) ++si;
                if (si == src.size()) {
                    error_offset = src.size();
                    return false;
                }
                if (src[si] != '=') {
                    error_offset = si - 1;
                    return false;
                }
                ++si;
            }
            while (si < src.size() && newline(src[si])) ++si;
            dlen = j;
            unsigned const val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
            out.push_back(static_cast<char>(val >> 16));
            if (dlen == 3) out.push_back(static_cast<char>(val >> 8));
            if (si < src.size()) {
                error_offset = si;  // trailing garbage
                return false;
            }
            return true;
        }
        unsigned const val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
        out.push_back(static_cast<char>(val >> 16));
        out.push_back(static_cast<char>(val >> 8));
        out.push_back(static_cast<char>(val));
        (void)dlen;
    }
}


/// Go's `base64.RawURLEncoding.EncodeToString` (no padding).
inline std::string raw_url_encode(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned const v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    if (in.size() - i == 1) {
        unsigned const v = static_cast<unsigned char>(in[i]) << 16;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
    } else if (in.size() - i == 2) {
        unsigned const v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
    }
    return out;
}

} // namespace esx::transform::detail

#endif
