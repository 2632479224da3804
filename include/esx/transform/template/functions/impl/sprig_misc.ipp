// esx::transform::templating::functions: Sprig's defaults, JSON, numbers, regular expressions,
// dates and reflection functions (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_MISC_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_MISC_IPP

#include <esx/regex.hpp>
#include <esx/transform/detail/go_json.hpp>
#include <esx/transform/template/functions/detail/go_json_value.hpp>
#include <esx/transform/template/functions/detail/go_time.hpp>
#include <esx/transform/template/functions/detail/sprig_support.hpp>
#include <esx/transform/template/functions/sprig.hpp>

#include <chrono>

namespace esx::transform::templating::functions {
namespace detail {
namespace misc_impl {

using args = std::span<value const>;

inline result<value, failure> to_json(call_context const& ctx, value const& v, json_marshal_options const& o, bool must) {
    text out;
    std::string error;
    if (!marshal_json(v, out, o, error)) {
        if (must) return go_failure(error);
        return value::string("");
    }
    return bounded(ctx, std::move(out));
}

/// Go's `regexp.MustCompile` panic text, what Sprig's non-`must` regex functions raise.
inline failure must_compile_panic(std::string_view pattern, failure const& f) {
    std::string quoted;
    bool const backquote = pattern.find('`') == std::string_view::npos &&
                           std::all_of(pattern.begin(), pattern.end(), [](char c) {
                               return c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
                           });
    quoted = backquote ? "`" + std::string(pattern) + "`" : transform::detail::go_quote(pattern);
    return go_failure("regexp: Compile(" + quoted + "): " + f.what());
}

inline result<esx::regex, failure> compile(std::string_view pattern, bool must) {
    auto re = esx::regex::compile(pattern);
    if (!re) return must ? go_failure(re.error().what()) : must_compile_panic(pattern, re.error());
    return re;
}

inline std::size_t rune_width_at(std::string_view s, std::size_t i) {
    return i < s.size() ? transform::detail::decode_rune(s, i).width : 1;
}

/// Go's `allMatches` (FindAllString and Split): match positions, `n < 0` for all.
inline std::vector<std::pair<std::size_t, std::size_t>> all_matches(esx::regex const& re, std::string_view s, long n) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (n < 0) n = static_cast<long>(s.size()) + 1;
    std::size_t pos = 0;
    long prev_end = -1;
    while (static_cast<long>(out.size()) < n && pos <= s.size()) {
        std::size_t b = 0, e = 0;
        if (!re.find(s, pos, b, e)) break;
        bool accept = true;
        if (e == pos) {
            if (static_cast<long>(b) == prev_end) accept = false;
            pos += rune_width_at(s, pos);
        } else {
            pos = e;
        }
        prev_end = static_cast<long>(e);
        if (accept) out.emplace_back(b, e);
    }
    return out;
}

/// Go's `ReplaceAllLiteralString`.
inline text replace_all_literal(esx::regex const& re, std::string_view src, std::string_view repl) {
    text out;
    std::size_t last_end = 0, search = 0;
    while (search <= src.size()) {
        std::size_t b = 0, e = 0;
        if (!re.find(src, search, b, e)) break;
        out.append(src.substr(last_end, b - last_end));
        if (e > last_end || b == 0) out.append(repl);
        last_end = e;
        std::size_t const width = rune_width_at(src, search);
        if (search + width > e) search += width;
        else if (search + 1 > e) ++search;
        else search = e;
    }
    out.append(src.substr(last_end));
    return out;
}

inline value now(call_context const& ctx) {
    using namespace std::chrono;
    auto const tp = ctx.clock();
    auto const ns = duration_cast<nanoseconds>(tp.time_since_epoch()).count();
    time_value t;
    t.seconds = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    t.nanoseconds = static_cast<std::int32_t>(ns - t.seconds * 1'000'000'000);
    return value::time(t);
}

/// Sprig's dateInZone(fmt, date, "Local") with Local = UTC: a time, or Unix seconds as int /
/// int64; anything else is now.
inline std::string date_in_utc(call_context const& ctx, std::string_view layout, value const& d) {
    time_value t;
    if (d.kind() == kind::time) t = d.as_time();
    else if (d.is_integral()) t.seconds = d.as_int();
    else t = now(ctx).as_time();
    return go_time_format(in_utc(t), layout);
}

inline std::string type_of(value const& v) { return v.is_nil() ? "<nil>" : std::string(go_type_name(v.kind())); }
inline std::string kind_of(value const& v) { return v.is_nil() ? "invalid" : std::string(go_kind_name(v.kind())); }

} // namespace misc_impl
} // namespace detail

ESX_DECL void add_sprig_misc(function_table& t) {
    using namespace detail;
    using namespace detail::misc_impl;
    using p = param;

    // --- defaults -------------------------------------------------------------------------
    t.add("default", variadic_sig({p::any}, p::any, p::any), [](call_context&, args a) -> result<value, failure> {
        if (a.size() < 2 || sprig_empty(a[1])) return a[0];
        return a[1];
    });
    t.add("empty", sig({p::any}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(sprig_empty(a[0]));
    });
    t.add("coalesce", variadic_sig({}, p::any, p::any), [](call_context&, args a) -> result<value, failure> {
        for (auto const& v : a)
            if (!sprig_empty(v)) return v;
        return value::nil();
    });
    t.add("all", variadic_sig({}, p::any, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(std::none_of(a.begin(), a.end(), [](value const& v) { return sprig_empty(v); }));
    });
    t.add("any", variadic_sig({}, p::any, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(std::any_of(a.begin(), a.end(), [](value const& v) { return !sprig_empty(v); }));
    });
    t.add("ternary", sig({p::any, p::any, p::boolean}, p::any), [](call_context&, args a) -> result<value, failure> {
        return a[2].as_bool() ? a[0] : a[1];
    });
    t.add("fail", sig({p::string}, p::string, true), [](call_context&, args a) -> result<value, failure> {
        return go_failure(std::string(a[0].as_string()));
    });

    // --- JSON -----------------------------------------------------------------------------
    static constexpr json_marshal_options plain{true, {}}, pretty{true, "  "}, raw{false, {}};
    t.add("toJson", sig({p::any}, p::string), [](call_context& c, args a) { return to_json(c, a[0], plain, false); });
    t.add("toPrettyJson", sig({p::any}, p::string), [](call_context& c, args a) { return to_json(c, a[0], pretty, false); });
    t.add("toRawJson", sig({p::any}, p::string), [](call_context& c, args a) { return to_json(c, a[0], raw, true); });
    t.add("mustToJson", sig({p::any}, p::string, true), [](call_context& c, args a) { return to_json(c, a[0], plain, true); });
    t.add("mustToPrettyJson", sig({p::any}, p::string, true),
          [](call_context& c, args a) { return to_json(c, a[0], pretty, true); });
    t.add("mustToRawJson", sig({p::any}, p::string, true), [](call_context& c, args a) { return to_json(c, a[0], raw, true); });
    t.add("fromJson", sig({p::string}, p::any), [](call_context&, args a) -> result<value, failure> {
        auto v = unmarshal_json(a[0].as_string());
        return v ? std::move(*v) : value::nil();
    });
    t.add("mustFromJson", sig({p::string}, p::any, true), [](call_context&, args a) -> result<value, failure> {
        transform::detail::json_node root;
        std::string error;
        if (!transform::detail::parse_json(a[0].as_string(), root, error)) return go_failure(error);
        auto v = unmarshal_json(a[0].as_string());
        if (!v) return go_failure("json: cannot unmarshal number into Go value of type float64");
        return std::move(*v);
    });

    // --- numbers (spf13/cast) ---------------------------------------------------------------
    t.add("int", sig({p::any}, p::integer), [](call_context&, args a) -> result<value, failure> {
        return value::integer(cast_int64(a[0]));
    });
    t.add("int64", sig({p::any}, p::int64), [](call_context&, args a) -> result<value, failure> {
        return value::int64(cast_int64(a[0]));
    });
    t.add("float64", sig({p::any}, p::float64), [](call_context&, args a) -> result<value, failure> {
        return value::float64(cast_float64(a[0]));
    });
    t.add("atoi", sig({p::string}, p::integer), [](call_context&, args a) -> result<value, failure> {
        return value::integer(go_atoi(a[0].as_string()));
    });
    // Go's int64 arithmetic wraps around; so does esx (through unsigned arithmetic).
    auto wrap_add = [](std::int64_t x, std::int64_t y) {
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(x) + static_cast<std::uint64_t>(y));
    };
    t.add("add", variadic_sig({}, p::any, p::int64), [wrap_add](call_context&, args a) -> result<value, failure> {
        std::int64_t sum = 0;
        for (auto const& v : a) sum = wrap_add(sum, cast_int64(v));
        return value::int64(sum);
    });
    t.add("add1", sig({p::any}, p::int64), [wrap_add](call_context&, args a) -> result<value, failure> {
        return value::int64(wrap_add(cast_int64(a[0]), 1));
    });
    t.add("sub", sig({p::any, p::any}, p::int64), [wrap_add](call_context&, args a) -> result<value, failure> {
        return value::int64(wrap_add(cast_int64(a[0]), static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(cast_int64(a[1])))));
    });
    t.add("mul", variadic_sig({p::any}, p::any, p::int64), [](call_context&, args a) -> result<value, failure> {
        std::uint64_t product = static_cast<std::uint64_t>(cast_int64(a[0]));
        for (auto const& v : a.subspan(1)) product *= static_cast<std::uint64_t>(cast_int64(v));
        return value::int64(static_cast<std::int64_t>(product));
    });
    auto divide = [](bool modulo) {
        return [modulo](call_context&, args a) -> result<value, failure> {
            std::int64_t const x = cast_int64(a[0]), y = cast_int64(a[1]);
            if (y == 0) return go_failure("runtime error: integer divide by zero");
            if (x == INT64_MIN && y == -1) return value::int64(modulo ? 0 : INT64_MIN);
            return value::int64(modulo ? x % y : x / y);
        };
    };
    t.add("div", sig({p::any, p::any}, p::int64), divide(false));
    t.add("mod", sig({p::any, p::any}, p::int64), divide(true));
    auto extreme = [](bool biggest) {
        return [biggest](call_context&, args a) -> result<value, failure> {
            std::int64_t best = cast_int64(a[0]);
            for (auto const& v : a.subspan(1)) {
                auto const x = cast_int64(v);
                if (biggest ? x > best : x < best) best = x;
            }
            return value::int64(best);
        };
    };
    t.add("max", variadic_sig({p::any}, p::any, p::int64), extreme(true));
    t.add("biggest", variadic_sig({p::any}, p::any, p::int64), extreme(true));
    t.add("min", variadic_sig({p::any}, p::any, p::int64), extreme(false));

    // --- regular expressions (RE2, Go's syntax) ----------------------------------------------
    t.add("regexMatch", sig({p::string, p::string}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        auto re = esx::regex::compile(a[0].as_string());
        return value::boolean(re && re->search(a[1].as_string()));
    });
    t.add("mustRegexMatch", sig({p::string, p::string}, p::boolean, true), [](call_context&, args a) -> result<value, failure> {
        auto re = compile(a[0].as_string(), true);
        if (!re) return re.error();
        return value::boolean(re->search(a[1].as_string()));
    });
    auto find = [](bool must) {
        return [must](call_context&, args a) -> result<value, failure> {
            auto re = compile(a[0].as_string(), must);
            if (!re) return re.error();
            std::size_t b = 0, e = 0;
            auto s = a[1].as_string();
            return value::string(re->find(s, 0, b, e) ? s.substr(b, e - b) : std::string_view());
        };
    };
    t.add("regexFind", sig({p::string, p::string}, p::string), find(false));
    t.add("mustRegexFind", sig({p::string, p::string}, p::string, true), find(true));
    auto find_all = [](bool must) {
        return [must](call_context&, args a) -> result<value, failure> {
            auto re = compile(a[0].as_string(), must);
            if (!re) return re.error();
            auto s = a[1].as_string();
            string_list_type out;
            for (auto [b, e] : all_matches(*re, s, static_cast<long>(a[2].as_int()))) out.emplace_back(s.substr(b, e - b));
            return value::string_list(std::move(out));
        };
    };
    t.add("regexFindAll", sig({p::string, p::string, p::integer}, p::string_list), find_all(false));
    t.add("mustRegexFindAll", sig({p::string, p::string, p::integer}, p::string_list, true), find_all(true));
    auto replace = [](bool must, bool literal) {
        return [must, literal](call_context& ctx, args a) -> result<value, failure> {
            auto re = compile(a[0].as_string(), must);
            if (!re) return re.error();
            if (literal) return bounded(ctx, replace_all_literal(*re, a[1].as_string(), a[2].as_string()));
            return bounded(ctx, text(re->replace_all(a[1].as_string(), a[2].as_string())));
        };
    };
    t.add("regexReplaceAll", sig({p::string, p::string, p::string}, p::string), replace(false, false));
    t.add("mustRegexReplaceAll", sig({p::string, p::string, p::string}, p::string, true), replace(true, false));
    t.add("regexReplaceAllLiteral", sig({p::string, p::string, p::string}, p::string), replace(false, true));
    t.add("mustRegexReplaceAllLiteral", sig({p::string, p::string, p::string}, p::string, true), replace(true, true));
    auto split = [](bool must) {
        return [must](call_context&, args a) -> result<value, failure> {
            auto re = compile(a[0].as_string(), must);
            if (!re) return re.error();
            auto s = a[1].as_string();
            long const n = static_cast<long>(a[2].as_int());
            string_list_type out;
            if (n == 0) return value::string_list();
            if (!a[0].as_string().empty() && s.empty()) {
                out.emplace_back("");
                return value::string_list(std::move(out));
            }
            std::size_t beg = 0, end = 0;
            for (auto [b, e] : all_matches(*re, s, n)) {
                if (n > 0 && static_cast<long>(out.size()) == n - 1) break;
                end = b;
                if (e != 0) out.emplace_back(s.substr(beg, end - beg));
                beg = e;
            }
            if (end != s.size()) out.emplace_back(s.substr(beg));
            return value::string_list(std::move(out));
        };
    };
    t.add("regexSplit", sig({p::string, p::string, p::integer}, p::string_list), split(false));
    t.add("mustRegexSplit", sig({p::string, p::string, p::integer}, p::string_list, true), split(true));
    t.add("regexQuoteMeta", sig({p::string}, p::string), [](call_context&, args a) -> result<value, failure> {
        text out;
        for (char c : a[0].as_string()) {
            if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
            out.push_back(c);
        }
        return value::string(std::move(out));
    });

    // --- dates (the clock is the render's; Local is UTC) -------------------------------------
    t.add("now", sig({}, p::time), [](call_context& ctx, args) -> result<value, failure> { return now(ctx); });
    t.add("date", sig({p::string, p::any}, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        return value::string(date_in_utc(ctx, a[0].as_string(), a[1]));
    });
    t.add("htmlDate", sig({p::any}, p::string), [](call_context& ctx, args a) -> result<value, failure> {
        return value::string(date_in_utc(ctx, "2006-01-02", a[0]));
    });
    t.add("toDate", sig({p::string, p::string}, p::time), [](call_context&, args a) -> result<value, failure> {
        auto parsed = go_time_parse(a[0].as_string(), a[1].as_string());
        return value::time(parsed ? *parsed : go_zero_time());
    });
    t.add("unixEpoch", sig({p::time}, p::string), [](call_context&, args a) -> result<value, failure> {
        return value::string(std::to_string(a[0].as_time().seconds));
    });

    // --- reflection -------------------------------------------------------------------------
    t.add("typeOf", sig({p::any}, p::string), [](call_context&, args a) -> result<value, failure> {
        return value::string(type_of(a[0]));
    });
    t.add("typeIs", sig({p::string, p::any}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(a[0].as_string() == type_of(a[1]));
    });
    t.add("kindOf", sig({p::any}, p::string), [](call_context&, args a) -> result<value, failure> {
        return value::string(kind_of(a[0]));
    });
    t.add("kindIs", sig({p::string, p::any}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(a[0].as_string() == kind_of(a[1]));
    });
    t.add("deepEqual", sig({p::any, p::any}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(deep_equal(a[0], a[1]));
    });
}

} // namespace esx::transform::templating::functions

#endif
