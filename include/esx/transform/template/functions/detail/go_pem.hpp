// esx::transform::templating::functions::detail: Go's `encoding/pem`, whose leniencies decide
// what ESO's PEM functions accept (`filterPEM` keeps what `pem.Decode` finds and re-encodes it
// with `pem.Encode`, so headers survive and bodies are re-wrapped at 64 columns).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_GO_PEM_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_DETAIL_GO_PEM_HPP

#include <esx/transform/detail/base64.hpp>
#include <esx/transform/detail/go.hpp>

#include <map>
#include <string>
#include <string_view>

namespace esx::transform::templating::functions::detail {

using transform::detail::scratch;

/// One PEM block: `-----BEGIN <type>-----`, optional RFC 1421 headers, base64 body.
struct pem_block {
    std::string type;
    std::map<std::string, std::string> headers;  ///< sorted, as Go writes them (Proc-Type first)
    scratch bytes;                               ///< the decoded body (often a private key)
};

namespace pem_impl {

/// Go's getLine: up to `\n` (a `\r` before it dropped), trailing spaces and tabs trimmed.
inline std::string_view get_line(std::string_view data, std::string_view& rest) {
    auto i = data.find('\n');
    std::size_t j;
    if (i == std::string_view::npos) {
        i = data.size();
        j = i;
    } else {
        j = i + 1;
        if (i > 0 && data[i - 1] == '\r') --i;
    }
    auto line = data.substr(0, i);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    rest = data.substr(j);
    return line;
}

inline std::string_view trim_space(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

} // namespace pem_impl

/** Go's `pem.Decode`: the first well-formed block of `data`, and in `rest` what follows it.
    Returns false (with `rest == data`) when there is none. Like Go it skips text before the
    block, malformed blocks and blocks whose body is not base64. */
inline bool pem_decode(std::string_view data, pem_block& out, std::string_view& rest) {
    constexpr std::string_view pem_start = "\n-----BEGIN ";
    constexpr std::string_view pem_end = "\n-----END ";
    constexpr std::string_view end_of_line = "-----";
    std::string_view cur = data;
    for (;;) {
        if (cur.starts_with(pem_start.substr(1))) {
            cur.remove_prefix(pem_start.size() - 1);
        } else if (auto at = cur.find(pem_start); at != std::string_view::npos) {
            cur.remove_prefix(at + pem_start.size());
        } else {
            rest = data;
            return false;
        }
        std::string_view type_line = pem_impl::get_line(cur, cur);
        if (!type_line.ends_with(end_of_line)) continue;
        type_line.remove_suffix(end_of_line.size());

        std::map<std::string, std::string> headers;
        bool truncated = false;
        for (;;) {
            if (cur.empty()) {
                truncated = true;
                break;
            }
            std::string_view next;
            auto line = pem_impl::get_line(cur, next);
            auto colon = line.find(':');
            if (colon == std::string_view::npos) break;
            headers[std::string(pem_impl::trim_space(line.substr(0, colon)))] =
                std::string(pem_impl::trim_space(line.substr(colon + 1)));
            cur = next;
        }
        if (truncated) {
            rest = data;
            return false;
        }
        std::size_t end_index, end_trailer_index;
        if (headers.empty() && cur.starts_with(pem_end.substr(1))) {
            end_index = 0;
            end_trailer_index = pem_end.size() - 1;
        } else {
            end_index = cur.find(pem_end);
            if (end_index == std::string_view::npos) continue;
            end_trailer_index = end_index + pem_end.size();
        }
        std::string_view end_trailer = cur.substr(end_trailer_index);
        std::size_t const end_trailer_len = type_line.size() + end_of_line.size();
        if (end_trailer.size() < end_trailer_len) continue;
        std::string_view const rest_of_end_line = end_trailer.substr(end_trailer_len);
        end_trailer = end_trailer.substr(0, end_trailer_len);
        if (!end_trailer.starts_with(type_line) || !end_trailer.ends_with(end_of_line)) continue;
        std::string_view ignored;
        if (!pem_impl::get_line(rest_of_end_line, ignored).empty()) continue;

        scratch body;
        body.reserve(end_index);
        for (char c : cur.substr(0, end_index))
            if (c != ' ' && c != '\t') body.push_back(c);
        scratch decoded;
        std::size_t bad = 0;
        if (!transform::detail::go_base64_decode(body.view(), false, true, decoded, bad)) continue;

        out.type = std::string(type_line);
        out.headers = std::move(headers);
        out.bytes = std::move(decoded);
        pem_impl::get_line(cur.substr(end_index + pem_end.size() - 1), rest);
        return true;
    }
}

/// Go's `pem.Encode` (headers: `Proc-Type` first, then sorted; body in 64-column lines).
inline void pem_encode(scratch& out, std::string_view type, std::string_view bytes,
                       std::map<std::string, std::string> const& headers = {}) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.append("-----BEGIN ").append(type).append("-----\n");
    if (!headers.empty()) {
        if (auto it = headers.find("Proc-Type"); it != headers.end())
            out.append(it->first).append(": ").append(it->second).push_back('\n');
        for (auto const& [k, v] : headers)
            if (k != "Proc-Type") out.append(k).append(": ").append(v).push_back('\n');
        out.push_back('\n');
    }
    std::size_t column = 0;
    auto put = [&](char c) {
        out.push_back(c);
        if (++column == 64) {
            out.push_back('\n');
            column = 0;
        }
    };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned const v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
        put(alphabet[v >> 18 & 63]), put(alphabet[v >> 12 & 63]), put(alphabet[v >> 6 & 63]), put(alphabet[v & 63]);
    }
    if (bytes.size() - i == 1) {
        unsigned const v = static_cast<unsigned char>(bytes[i]) << 16;
        put(alphabet[v >> 18 & 63]), put(alphabet[v >> 12 & 63]), put('='), put('=');
    } else if (bytes.size() - i == 2) {
        unsigned const v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
        put(alphabet[v >> 18 & 63]), put(alphabet[v >> 12 & 63]), put(alphabet[v >> 6 & 63]), put('=');
    }
    if (column > 0) out.push_back('\n');
    out.append("-----END ").append(type).append("-----\n");
}

inline void pem_encode(scratch& out, pem_block const& b) { pem_encode(out, b.type, b.bytes.view(), b.headers); }

} // namespace esx::transform::templating::functions::detail

#endif
