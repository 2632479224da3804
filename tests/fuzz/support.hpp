// Helpers the fuzz targets share: telling a value that cannot match esx's own words by chance,
// counting occurrences, and a reference base64 encoder to check decoders against.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

namespace esx_fuzz {

// True for a value that cannot match the library's own words by chance: 12 bytes or more, and
// a `~` or (no space, three digits and three letters). Messages' own text ("invalid character
// <redacted> looking for beginning of value") is then never mistaken for a leaked value.
inline bool distinctive(std::string_view v) {
    if (v.size() < 12) return false;
    if (v.find('~') != std::string_view::npos) return true;
    int digits = 0, letters = 0;
    for (char c : v) {
        if (c == ' ') return false;
        digits += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
        letters += std::isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
    }
    return digits >= 3 && letters >= 3;
}

inline std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

enum class padding { with, without };

// RFC 4648 base64 (`url`: the URL-safe alphabet), written independently of esx's decoders.
inline std::string base64(std::string_view in, bool url, padding pad) {
    static constexpr char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char const* a = url ? url_alphabet : std_alphabet;
    auto byte = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(in[i])); };
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned const v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += a[v >> 18 & 63], out += a[v >> 12 & 63], out += a[v >> 6 & 63], out += a[v & 63];
    }
    if (in.size() - i == 1) {
        unsigned const v = byte(i) << 16;
        out += a[v >> 18 & 63], out += a[v >> 12 & 63];
        if (pad == padding::with) out += "==";
    } else if (in.size() - i == 2) {
        unsigned const v = byte(i) << 16 | byte(i + 1) << 8;
        out += a[v >> 18 & 63], out += a[v >> 12 & 63], out += a[v >> 6 & 63];
        if (pad == padding::with) out += '=';
    }
    return out;
}

} // namespace esx_fuzz
