// esx::transform::templating::functions: Sprig's string, encoding and hash functions (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_STRINGS_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_STRINGS_IPP

#include <esx/transform/detail/base64.hpp>
#include <esx/transform/detail/digest.hpp>
#include <esx/transform/template/functions/detail/sprig_support.hpp>
#include <esx/transform/template/functions/sprig.hpp>

#include <openssl/evp.h>

#include <cstdio>

namespace esx::transform::templating::functions {
namespace detail {
namespace strings_impl {

using args = std::span<value const>;

inline std::string_view s(value const& v) { return v.as_string(); }
inline value str(text t) { return value::string(std::move(t)); }
inline value str(std::string_view t) { return value::string(t); }
inline value str(char const* t) { return value::string(std::string_view(t)); }
inline value str(std::string const& t) { return value::string(std::string_view(t)); }

inline text base64_encode(std::string_view in) {
    static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    text out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return unsigned(static_cast<unsigned char>(in[k])); };
    for (; i + 3 <= in.size(); i += 3) {
        unsigned const n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += a[n >> 18 & 63], out += a[n >> 12 & 63], out += a[n >> 6 & 63], out += a[n & 63];
    }
    if (in.size() - i == 1) {
        unsigned const n = byte(i) << 16;
        out += a[n >> 18 & 63], out += a[n >> 12 & 63], out += "==";
    } else if (in.size() - i == 2) {
        unsigned const n = byte(i) << 16 | byte(i + 1) << 8;
        out += a[n >> 18 & 63], out += a[n >> 12 & 63], out += a[n >> 6 & 63], out += '=';
    }
    return out;
}

inline text base32_encode(std::string_view in) {
    static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    text out;
    for (std::size_t i = 0; i < in.size(); i += 5) {
        std::size_t const n = std::min<std::size_t>(5, in.size() - i);
        std::uint64_t block = 0;
        for (std::size_t k = 0; k < 5; ++k)
            block = block << 8 | (k < n ? static_cast<unsigned char>(in[i + k]) : 0u);
        static constexpr std::size_t chars[] = {0, 2, 4, 5, 7, 8};
        for (std::size_t k = 0; k < 8; ++k) out += k < chars[n] ? a[(block >> (35 - 5 * k)) & 31] : '=';
    }
    return out;
}

/// Go's `base32.StdEncoding.DecodeString` (newlines stripped first); false with Go's
/// CorruptInputError offset on bad input.
inline bool base32_decode(std::string_view raw, text& out, std::size_t& bad) {
    text src;
    for (char c : raw)
        if (c != '\r' && c != '\n') src.push_back(c);
    auto decode = [](unsigned char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= '2' && c <= '7') return c - '2' + 26;
        return -1;
    };
    std::size_t const olen = src.size();
    std::size_t pos = 0;
    bool end = false;
    out.clear();
    while (pos < olen && !end) {
        unsigned char dbuf[8] = {};
        std::size_t dlen = 8;
        for (std::size_t j = 0; j < 8;) {
            std::size_t const left = olen - pos;
            if (left == 0) {
                bad = olen - left - j;
                return false;
            }
            unsigned char const in = static_cast<unsigned char>(src[pos++]);
            std::size_t const rest = olen - pos;
            if (in == '=' && j >= 2 && rest < 8) {
                if (rest + j < 8 - 1) {
                    bad = olen;
                    return false;
                }
                for (std::size_t k = 0; k < 8 - 1 - j; ++k)
                    if (rest > k && src[pos + k] != '=') {
                        bad = olen - rest + k - 1;
                        return false;
                    }
                dlen = j;
                end = true;
                if (dlen == 1 || dlen == 3 || dlen == 6) {
                    bad = olen - rest - 1;
                    return false;
                }
                break;
            }
            int const v = decode(in);
            if (v < 0) {
                bad = olen - rest - 1;
                return false;
            }
            dbuf[j++] = static_cast<unsigned char>(v);
        }
        unsigned char b[5];
        b[0] = static_cast<unsigned char>(dbuf[0] << 3 | dbuf[1] >> 2);
        b[1] = static_cast<unsigned char>(dbuf[1] << 6 | dbuf[2] << 1 | dbuf[3] >> 4);
        b[2] = static_cast<unsigned char>(dbuf[3] << 4 | dbuf[4] >> 1);
        b[3] = static_cast<unsigned char>(dbuf[4] << 7 | dbuf[5] << 2 | dbuf[6] >> 3);
        b[4] = static_cast<unsigned char>(dbuf[6] << 5 | dbuf[7]);
        std::size_t const n = dlen == 8 ? 5 : dlen == 7 ? 4 : dlen == 5 ? 3 : dlen == 4 ? 2 : dlen == 2 ? 1 : 0;
        out.append(reinterpret_cast<char const*>(b), n);
        // Skip the padding that ended the input.
        if (end) pos = olen;
    }
    return true;
}

// The algorithm is fetched once (<esx/transform/detail/digest.hpp>), not per call: a template
// that hashes each of its keys would otherwise pay a provider lookup per key.
namespace digests = esx::transform::detail;

inline text hex_digest(EVP_MD const* algorithm, std::string_view in) { return digests::hex_digest<text>(algorithm, in); }

inline std::uint32_t adler32(std::string_view in) {
    std::uint32_t a = 1, b = 0;
    for (unsigned char c : in) {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

/// `strings.Repeat(s, count)` with Go's panics and the render's bound.
inline result<value, failure> repeat(call_context const& ctx, std::int64_t count, std::string_view in) {
    if (count < 0) return go_failure("strings: negative Repeat count");
    if (in.empty() || count == 0) return value::string("");
    if (static_cast<std::uint64_t>(count) > ctx.max_string_bytes / in.size()) return output_limit_failure(ctx.max_string_bytes);
    text out;
    out.reserve(in.size() * static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) out.append(in);
    return value::string(std::move(out));
}

inline result<value, failure> indent(call_context const& ctx, std::int64_t spaces, std::string_view in, bool newline_first) {
    auto pad = repeat(ctx, spaces, " ");
    if (!pad) return pad;
    std::string_view const p = pad->as_string();
    text out;
    if (newline_first) out.push_back('\n');
    out.append(p);
    text replaced;
    std::string const with = "\n" + std::string(p);
    if (!go_replace_all(in, "\n", with, ctx.max_string_bytes, replaced)) return output_limit_failure(ctx.max_string_bytes);
    out.append(replaced.view());
    return bounded(ctx, std::move(out));
}

/// Go's slice-expression panics for strings.
inline failure slice_panic_len(std::int64_t high, std::size_t len) {
    if (high < 0) return go_failure("runtime error: slice bounds out of range [:" + std::to_string(high) + "]");
    return go_failure("runtime error: slice bounds out of range [:" + std::to_string(high) + "] with length " +
                      std::to_string(len));
}
inline failure slice_panic_range(std::int64_t low, std::int64_t high) {
    if (low < 0) return go_failure("runtime error: slice bounds out of range [" + std::to_string(low) + ":]");
    return go_failure("runtime error: slice bounds out of range [" + std::to_string(low) + ":" + std::to_string(high) + "]");
}

/// Sprig's substring(start, end, s).
inline result<value, failure> substr(std::int64_t start, std::int64_t end, std::string_view in) {
    auto const len = static_cast<std::int64_t>(in.size());
    if (start < 0) {
        if (end < 0 || end > len) return slice_panic_len(end, in.size());
        return str(in.substr(0, static_cast<std::size_t>(end)));
    }
    if (end < 0 || end > len) {
        if (start > len) return slice_panic_range(start, len);
        return str(in.substr(static_cast<std::size_t>(start)));
    }
    if (start > end) return slice_panic_range(start, end);
    return str(in.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)));
}

} // namespace strings_impl
} // namespace detail

ESX_DECL void add_sprig_strings(function_table& t) {
    using namespace detail;
    using namespace detail::strings_impl;
    using p = param;
    auto const str1 = sig({p::string}, p::string);
    auto const str2 = sig({p::string, p::string}, p::string);

    t.add("upper", str1, [](call_context&, args a) -> result<value, failure> { return str(map_runes(s(a[0]), to_upper)); });
    t.add("lower", str1, [](call_context&, args a) -> result<value, failure> { return str(map_runes(s(a[0]), to_lower)); });
    t.add("title", str1, [](call_context&, args a) -> result<value, failure> { return str(go_title(s(a[0]))); });
    t.add("untitle", str1, [](call_context&, args a) -> result<value, failure> {
        // goutils.Uncapitalize: the first rune lowered.
        auto in = s(a[0]);
        if (in.empty()) return str(in);
        auto d = transform::detail::decode_rune(in, 0);
        text out;
        transform::detail::append_rune(out, to_lower(d.rune));
        out.append(in.substr(d.width));
        return str(std::move(out));
    });
    t.add("trim", str1, [](call_context&, args a) -> result<value, failure> { return str(trim_space(s(a[0]))); });
    auto trim_all = [](call_context&, args a) -> result<value, failure> { return str(trim_cutset(s(a[1]), s(a[0]))); };
    t.add("trimAll", str2, trim_all);
    t.add("trimall", str2, trim_all);
    t.add("trimPrefix", str2, [](call_context&, args a) -> result<value, failure> {
        auto in = s(a[1]);
        return str(in.starts_with(s(a[0])) ? in.substr(s(a[0]).size()) : in);
    });
    t.add("trimSuffix", str2, [](call_context&, args a) -> result<value, failure> {
        auto in = s(a[1]);
        return str(in.ends_with(s(a[0])) ? in.substr(0, in.size() - s(a[0]).size()) : in);
    });
    t.add("nospace", str1, [](call_context&, args a) -> result<value, failure> {
        text out;
        auto in = s(a[0]);
        for (std::size_t i = 0; i < in.size();) {
            auto d = transform::detail::decode_rune(in, i);
            if (d.rune == transform::detail::rune_error || !is_unicode_space(d.rune)) out.append(in.substr(i, d.width));
            i += d.width;
        }
        return str(std::move(out));
    });
    t.add("replace", sig({p::string, p::string, p::string}, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        text out;
        if (!go_replace_all(s(a[2]), s(a[0]), s(a[1]), ctx.max_string_bytes, out))
            return output_limit_failure(ctx.max_string_bytes);
        return str(std::move(out));
    });
    t.add("split", sig({p::string, p::string}, p::string_map), [](call_context&, args a) -> result<value, failure> {
        string_map_type m;
        auto parts = go_split(s(a[1]), s(a[0]));
        for (std::size_t i = 0; i < parts.size(); ++i) m.emplace("_" + std::to_string(i), text(parts[i]));
        return value::string_map(std::move(m));
    });
    t.add("splitn", sig({p::string, p::integer, p::string}, p::string_map), [](call_context&, args a) -> result<value, failure> {
        string_map_type m;
        auto parts = go_split(s(a[2]), s(a[0]), static_cast<long>(a[1].as_int()));
        for (std::size_t i = 0; i < parts.size(); ++i) m.emplace("_" + std::to_string(i), text(parts[i]));
        return value::string_map(std::move(m));
    });
    t.add("splitList", sig({p::string, p::string}, p::string_list), [](call_context&, args a) -> result<value, failure> {
        string_list_type l;
        for (auto part : go_split(s(a[1]), s(a[0]))) l.emplace_back(part);
        return value::string_list(std::move(l));
    });
    t.add("join", sig({p::string, p::any}, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        // Sprig's strslice, then strings.Join.
        value const& v = a[1];
        text out;
        bool first = true;
        auto add = [&](std::string_view part) {
            if (!first) out.append(s(a[0]));
            first = false;
            out.append(part);
        };
        if (v.is_slice()) {
            for (std::size_t i = 0; i < v.size(); ++i) {
                auto e = v.element(i);
                if (v.kind() == kind::list && e.is_nil()) continue;
                add(strval(e).view());
                if (out.size() > ctx.max_string_bytes) return output_limit_failure(ctx.max_string_bytes);
            }
        } else if (!v.is_nil()) {
            add(strval(v).view());
        }
        return bounded(ctx, std::move(out));
    });
    t.add("contains", sig({p::string, p::string}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(s(a[1]).find(s(a[0])) != std::string_view::npos);
    });
    t.add("hasPrefix", sig({p::string, p::string}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(s(a[1]).starts_with(s(a[0])));
    });
    t.add("hasSuffix", sig({p::string, p::string}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(s(a[1]).ends_with(s(a[0])));
    });
    t.add("quote", variadic_sig({}, p::any, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        text out;
        bool first = true;
        for (auto const& v : a) {
            if (v.is_nil()) continue;
            if (!first) out.push_back(' ');
            first = false;
            out.append(transform::detail::go_quote(strval(v).view()));
        }
        return bounded(ctx, std::move(out));
    });
    t.add("squote", variadic_sig({}, p::any, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        text out;
        bool first = true;
        for (auto const& v : a) {
            if (v.is_nil()) continue;
            if (!first) out.push_back(' ');
            first = false;
            out.push_back('\'');
            append_sprint(out, v);
            out.push_back('\'');
        }
        return bounded(ctx, std::move(out));
    });
    t.add("cat", variadic_sig({}, p::any, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        text out;
        bool first = true;
        for (auto const& v : a) {
            if (v.is_nil()) continue;
            if (!first) out.push_back(' ');
            first = false;
            append_sprint(out, v);
        }
        return bounded(ctx, std::move(out));
    });
    t.add("indent", sig({p::integer, p::string}, p::string), [](call_context& ctx, args a) {
        return indent(ctx, a[0].as_int(), s(a[1]), false);
    });
    t.add("nindent", sig({p::integer, p::string}, p::string), [](call_context& ctx, args a) {
        return indent(ctx, a[0].as_int(), s(a[1]), true);
    });
    t.add("repeat", sig({p::integer, p::string}, p::string), [](call_context& ctx, args a) {
        return repeat(ctx, a[0].as_int(), s(a[1]));
    });
    t.add("substr", sig({p::integer, p::integer, p::string}, p::string), [](call_context&, args a) {
        return substr(a[0].as_int(), a[1].as_int(), s(a[2]));
    });
    t.add("trunc", sig({p::integer, p::string}, p::string), [](call_context&, args a) -> result<value, failure> {
        auto const c = a[0].as_int();
        auto in = s(a[1]);
        auto const len = static_cast<std::int64_t>(in.size());
        if (c < 0 && len + c > 0) return str(in.substr(static_cast<std::size_t>(len + c)));
        if (c >= 0 && len > c) return str(in.substr(0, static_cast<std::size_t>(c)));
        return str(in);
    });
    t.add("plural", sig({p::string, p::string, p::integer}, p::string), [](call_context&, args a) -> result<value, failure> {
        return str(a[2].as_int() == 1 ? s(a[0]) : s(a[1]));
    });
    t.add("toString", sig({p::any}, p::string), [](call_context&, args a) -> result<value, failure> { return str(strval(a[0])); });
    t.add("toStrings", sig({p::any}, p::string_list), [](call_context&, args a) -> result<value, failure> {
        // Sprig's strslice.
        value const& v = a[0];
        string_list_type out;
        if (v.kind() == kind::string_list) return v;
        if (v.is_slice()) {
            for (std::size_t i = 0; i < v.size(); ++i) {
                auto e = v.element(i);
                if (!e.is_nil()) out.push_back(strval(e));
            }
        } else if (!v.is_nil()) {
            out.push_back(strval(v));
        }
        return value::string_list(std::move(out));
    });

    t.add("b64enc", str1, [](call_context& ctx, args a) { return bounded(ctx, base64_encode(s(a[0]))); });
    t.add("b64dec", str1, [](call_context&, args a) -> result<value, failure> {
        text out;
        std::size_t bad = 0;
        if (!transform::detail::go_base64_decode(s(a[0]), false, true, out, bad))
            return str("illegal base64 data at input byte " + std::to_string(bad));  // Sprig returns the error text
        return str(std::move(out));
    });
    t.add("b32enc", str1, [](call_context& ctx, args a) { return bounded(ctx, base32_encode(s(a[0]))); });
    t.add("b32dec", str1, [](call_context&, args a) -> result<value, failure> {
        text out;
        std::size_t bad = 0;
        if (!base32_decode(s(a[0]), out, bad)) return str("illegal base32 data at input byte " + std::to_string(bad));
        return str(std::move(out));
    });
    t.add("hexdec", str1, [](call_context&, args a) -> result<value, failure> {
        auto in = s(a[0]);
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        // hex.InvalidByteError prints the byte with %#U: `U+0067 'g'`.
        auto invalid = [](char c) {
            char32_t const r = static_cast<unsigned char>(c);
            char buf[16];
            std::snprintf(buf, sizeof buf, "U+%04X", unsigned(r));
            std::string out = std::string("encoding/hex: invalid byte: ") + buf;
            if (transform::detail::is_print(r)) {
                out += " '";
                transform::detail::scratch ch;
                transform::detail::append_rune(ch, r);
                out.append(ch.view());
                out += "'";
            }
            return str(out);
        };
        text out;
        std::size_t j = 1;
        for (; j < in.size(); j += 2) {
            if (nibble(in[j - 1]) < 0) return invalid(in[j - 1]);
            if (nibble(in[j]) < 0) return invalid(in[j]);
            out.push_back(static_cast<char>(nibble(in[j - 1]) << 4 | nibble(in[j])));
        }
        if (in.size() % 2 == 1) {
            if (nibble(in[j - 1]) < 0) return invalid(in[j - 1]);
            return str("encoding/hex: odd length hex string");
        }
        return str(std::move(out));
    });
    t.add("sha1sum", str1, [](call_context&, args a) -> result<value, failure> { return str(hex_digest(digests::sha1(), s(a[0]))); });
    t.add("sha256sum", str1, [](call_context&, args a) -> result<value, failure> { return str(hex_digest(digests::sha256(), s(a[0]))); });
    t.add("sha512sum", str1, [](call_context&, args a) -> result<value, failure> { return str(hex_digest(digests::sha512(), s(a[0]))); });
    t.add("adler32sum", str1, [](call_context&, args a) -> result<value, failure> {
        return str(std::to_string(adler32(s(a[0]))));
    });
}

} // namespace esx::transform::templating::functions

#endif
