// esx::transform::templating::functions: Sprig's list and dict functions (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_COLLECTIONS_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_SPRIG_COLLECTIONS_IPP

#include <esx/transform/template/functions/detail/sprig_support.hpp>
#include <esx/transform/template/functions/sprig.hpp>

#include <algorithm>

namespace esx::transform::templating::functions {
namespace detail {
namespace collections_impl {

using args = std::span<value const>;

/// `reflect.TypeOf(v).Kind()` is Slice or Array; a nil interface dereferences nil, as in Go.
inline result<void, failure> require_slice(value const& v, std::string_view what) {
    if (v.is_nil()) return go_failure(std::string(nil_dereference));
    if (!v.is_slice()) return go_failure("Cannot " + std::string(what) + " on type " + std::string(go_kind_name(v.kind())));
    return {};
}

inline list_type items_of(value const& v) {
    list_type out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(v.element(i));
    return out;
}

/// Go's panic text for a failed `x.(T)` on an `interface {}`.
inline failure conversion_panic(value const& v, std::string_view want) {
    return go_failure("interface conversion: interface {} is " + std::string(v.is_nil() ? "nil" : go_type_name(v.kind())) +
                      ", not " + std::string(want));
}

/// mergo's deepMerge of a `map[string]interface {}` (Sprig's `merge` and `mergeOverwrite`):
/// keys missing or empty in `dst` come from `src` (all of them with `overwrite`); maps on both
/// sides merge recursively; a non-empty slice in `dst` is kept unless `overwrite`.
inline void merge_into(value& dst, value const& src, bool overwrite) {
    bool const dst_empty = dst.size() == 0;
    bool const src_empty = src.size() == 0;
    auto set = [&](std::string const& k, value const& v) {
        if (dst.kind() == kind::dict) {
            dst.mutable_dict().insert_or_assign(k, v);
        } else if (v.kind() == kind::string) {
            dst.mutable_string_map().insert_or_assign(k, text(v.as_string()));
        }
    };
    std::vector<std::pair<std::string, value>> entries;
    if (src.kind() == kind::dict)
        for (auto const& [k, v] : src.as_dict()) entries.emplace_back(k, v);
    else
        for (auto const& [k, v] : src.as_string_map()) entries.emplace_back(k, value::string(v.view()));
    for (auto const& [k, s] : entries) {
        bool const has = dst.contains(k);
        value const existing = dst.entry(k);  // shares a nested map with dst
        if (s.is_nil()) {
            if (overwrite) set(k, s);
            continue;
        }
        if (s.is_map()) {
            if (has && existing.is_map()) {
                value nested = existing;
                merge_into(nested, s, overwrite);
            }
        } else if (s.is_slice() && s.kind() != kind::string) {
            if (!src_empty && (overwrite || dst_empty)) set(k, s);
            else if (!has) set(k, s.kind() == kind::string_list ? value::string_list() : value::list());
        }
        if (has && !sprig_empty(existing)) {
            if (s.is_slice()) continue;
            if (s.is_map() && existing.is_map()) continue;
        }
        if (overwrite || !has || sprig_empty(existing)) set(k, s);
    }
}

} // namespace collections_impl
} // namespace detail

ESX_DECL void add_sprig_collections(function_table& t) {
    using namespace detail;
    using namespace detail::collections_impl;
    using p = param;

    auto list = [](call_context&, args a) -> result<value, failure> { return value::list(list_type(a.begin(), a.end())); };
    t.add("list", variadic_sig({}, p::any, p::list), list);
    t.add("tuple", variadic_sig({}, p::any, p::list), list);
    t.add("dict", variadic_sig({}, p::any, p::dict), [](call_context&, args a) -> result<value, failure> {
        dict_type d;
        for (std::size_t i = 0; i < a.size(); i += 2) {
            std::string key(strval(a[i]).view());
            d.insert_or_assign(std::move(key), i + 1 < a.size() ? a[i + 1] : value::string(""));
        }
        return value::dict(std::move(d));
    });
    t.add("get", sig({p::dict, p::string}, p::any), [](call_context&, args a) -> result<value, failure> {
        auto const& d = a[0].as_dict();
        auto it = d.find(a[1].as_string());
        return it == d.end() ? value::string("") : it->second;
    });
    t.add("set", sig({p::dict, p::string, p::any}, p::dict), [](call_context&, args a) -> result<value, failure> {
        value d = a[0];
        d.mutable_dict().insert_or_assign(std::string(a[1].as_string()), a[2]);
        return d;
    });
    t.add("unset", sig({p::dict, p::string}, p::dict), [](call_context&, args a) -> result<value, failure> {
        value d = a[0];
        auto& m = d.mutable_dict();
        if (auto it = m.find(a[1].as_string()); it != m.end()) m.erase(it);
        return d;
    });
    t.add("hasKey", sig({p::dict, p::string}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        return value::boolean(a[0].as_dict().contains(a[1].as_string()));
    });
    // Go ranges over maps in random order; esx gives each dict's keys sorted.
    t.add("keys", variadic_sig({}, p::dict, p::string_list), [](call_context&, args a) -> result<value, failure> {
        string_list_type k;
        for (auto const& d : a)
            for (auto const& [key, v] : d.as_dict()) k.emplace_back(key);
        return value::string_list(std::move(k));
    });
    t.add("values", sig({p::dict}, p::list), [](call_context&, args a) -> result<value, failure> {
        list_type v;
        for (auto const& [key, e] : a[0].as_dict()) v.push_back(e);
        return value::list(std::move(v));
    });
    t.add("pick", variadic_sig({p::dict}, p::string, p::dict), [](call_context&, args a) -> result<value, failure> {
        dict_type out;
        auto const& d = a[0].as_dict();
        for (auto const& k : a.subspan(1))
            if (auto it = d.find(k.as_string()); it != d.end()) out.insert_or_assign(it->first, it->second);
        return value::dict(std::move(out));
    });
    t.add("omit", variadic_sig({p::dict}, p::string, p::dict), [](call_context&, args a) -> result<value, failure> {
        dict_type out;
        for (auto const& [k, v] : a[0].as_dict()) {
            auto const& key = k;  // clang before 16 cannot capture a structured binding
            bool const omitted = std::any_of(a.begin() + 1, a.end(), [&](value const& o) { return o.as_string() == key; });
            if (!omitted) out.insert_or_assign(k, v);
        }
        return value::dict(std::move(out));
    });
    t.add("merge", variadic_sig({p::dict}, p::dict, p::any), [](call_context&, args a) -> result<value, failure> {
        value dst = a[0];
        for (auto const& src : a.subspan(1)) merge_into(dst, src, false);
        return dst;
    });
    t.add("mergeOverwrite", variadic_sig({p::dict}, p::dict, p::any), [](call_context&, args a) -> result<value, failure> {
        value dst = a[0];
        for (auto const& src : a.subspan(1)) merge_into(dst, src, true);
        return dst;
    });
    t.add("pluck", variadic_sig({p::string}, p::dict, p::list), [](call_context&, args a) -> result<value, failure> {
        list_type out;
        for (auto const& d : a.subspan(1))
            if (auto it = d.as_dict().find(a[0].as_string()); it != d.as_dict().end()) out.push_back(it->second);
        return value::list(std::move(out));
    });
    t.add("dig", variadic_sig({}, p::any, p::any, true), [](call_context&, args a) -> result<value, failure> {
        if (a.size() < 3) return go_failure("dig needs at least three arguments");
        value const& last = a.back();
        if (last.kind() != kind::dict) return conversion_panic(last, "map[string]interface {}");
        value const& fallback = a[a.size() - 2];
        for (std::size_t i = 0; i + 2 < a.size(); ++i)
            if (a[i].kind() != kind::string) return conversion_panic(a[i], "string");
        value current = last;
        for (std::size_t i = 0; i + 2 < a.size(); ++i) {
            if (current.kind() != kind::dict) return conversion_panic(current, "map[string]interface {}");
            auto const& d = current.as_dict();
            auto it = d.find(a[i].as_string());
            if (it == d.end()) return fallback;
            if (i + 3 == a.size()) return it->second;
            current = it->second;
        }
        return fallback;
    });

    t.add("first", sig({p::any}, p::any), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find first"); !r) return r.error();
        return a[0].size() ? a[0].element(0) : value::nil();
    });
    t.add("last", sig({p::any}, p::any), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find last"); !r) return r.error();
        return a[0].size() ? a[0].element(a[0].size() - 1) : value::nil();
    });
    t.add("rest", sig({p::any}, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find rest"); !r) return r.error();
        auto items = items_of(a[0]);
        if (!items.empty()) items.erase(items.begin());
        return value::list(std::move(items));
    });
    t.add("initial", sig({p::any}, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find initial"); !r) return r.error();
        auto items = items_of(a[0]);
        if (!items.empty()) items.pop_back();
        return value::list(std::move(items));
    });
    auto push = [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "push"); !r) return r.error();
        auto items = items_of(a[0]);
        items.push_back(a[1]);
        return value::list(std::move(items));
    };
    t.add("append", sig({p::any, p::any}, p::list), push);
    t.add("push", sig({p::any, p::any}, p::list), push);
    t.add("prepend", sig({p::any, p::any}, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "prepend"); !r) return r.error();
        auto items = items_of(a[0]);
        items.insert(items.begin(), a[1]);
        return value::list(std::move(items));
    });
    t.add("uniq", sig({p::any}, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find uniq"); !r) return r.error();
        list_type out;
        for (auto& e : items_of(a[0]))
            if (std::none_of(out.begin(), out.end(), [&](value const& o) { return deep_equal(o, e); })) out.push_back(e);
        return value::list(std::move(out));
    });
    t.add("without", variadic_sig({p::any}, p::any, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find without"); !r) return r.error();
        list_type out;
        for (auto& e : items_of(a[0]))
            if (std::none_of(a.begin() + 1, a.end(), [&](value const& o) { return deep_equal(o, e); })) out.push_back(e);
        return value::list(std::move(out));
    });
    t.add("has", sig({p::any, p::any}, p::boolean), [](call_context&, args a) -> result<value, failure> {
        if (a[1].is_nil()) return value::boolean(false);
        if (auto r = require_slice(a[1], "find has"); !r) return r.error();
        for (std::size_t i = 0; i < a[1].size(); ++i)
            if (deep_equal(a[0], a[1].element(i))) return value::boolean(true);
        return value::boolean(false);
    });
    t.add("compact", sig({p::any}, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "compact"); !r) return r.error();
        list_type out;
        for (auto& e : items_of(a[0]))
            if (!sprig_empty(e)) out.push_back(e);
        return value::list(std::move(out));
    });
    t.add("reverse", sig({p::any}, p::list), [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[0], "find reverse"); !r) return r.error();
        auto items = items_of(a[0]);
        std::reverse(items.begin(), items.end());
        return value::list(std::move(items));
    });
    t.add("concat", variadic_sig({}, p::any, p::any), [](call_context&, args a) -> result<value, failure> {
        list_type out;
        for (auto const& l : a) {
            if (l.is_nil()) return go_failure(std::string(nil_dereference));
            if (!l.is_slice()) return go_failure("Cannot concat type " + std::string(go_kind_name(l.kind())) + " as list");
            for (auto& e : items_of(l)) out.push_back(std::move(e));
        }
        return value::list(std::move(out));
    });
    auto slice = [](call_context&, args a) -> result<value, failure> {
        value const& l = a[0];
        if (l.is_nil()) return go_failure(std::string(nil_dereference));
        if (!l.is_slice()) return go_failure("list should be type of slice or array but " + std::string(go_kind_name(l.kind())));
        if (l.size() == 0) return value::nil();
        std::int64_t const start = a.size() > 1 ? cast_int64(a[1]) : 0;
        std::int64_t const end = a.size() > 2 ? cast_int64(a[2]) : static_cast<std::int64_t>(l.size());
        if (start < 0 || start > end || end > static_cast<std::int64_t>(l.size()))
            return go_failure("reflect.Value.Slice: slice index out of bounds");
        auto const b = static_cast<std::size_t>(start), e = static_cast<std::size_t>(end);
        switch (l.kind()) {
        case kind::string_list:
            return value::string_list(string_list_type(l.as_string_list().begin() + static_cast<std::ptrdiff_t>(b),
                                                       l.as_string_list().begin() + static_cast<std::ptrdiff_t>(e)));
        case kind::bytes: return value::bytes(l.as_string().substr(b, e - b));
        default:
            return value::list(list_type(l.as_list().begin() + static_cast<std::ptrdiff_t>(b),
                                         l.as_list().begin() + static_cast<std::ptrdiff_t>(e)));
        }
    };
    // Sprig's `slice` replaces text/template's builtin of the same name in ESO (FuncMap wins).
    t.add("slice", variadic_sig({p::any}, p::any, p::any), slice);
    t.add("mustSlice", variadic_sig({p::any}, p::any, p::any, true), slice);
    // Go's []int results are []interface{} of ints here (they print and range the same).
    auto until_step = [](std::int64_t start, std::int64_t stop, std::int64_t step, call_context const& ctx) -> result<value, failure> {
        list_type out;
        auto const room = ctx.max_string_bytes;  // a count bound as generous as a string's
        if (stop < start) {
            if (step >= 0) return value::list();
            for (std::int64_t i = start; i > stop; i += step) {
                if (out.size() >= room) return output_limit_failure(room);
                out.push_back(value::integer(i));
            }
            return value::list(std::move(out));
        }
        if (step <= 0) return value::list();
        for (std::int64_t i = start; i < stop; i += step) {
            if (out.size() >= room) return output_limit_failure(room);
            out.push_back(value::integer(i));
        }
        return value::list(std::move(out));
    };
    t.add("until", sig({p::integer}, p::list), [until_step](call_context& ctx, args a) {
        return until_step(0, a[0].as_int(), a[0].as_int() < 0 ? -1 : 1, ctx);
    });
    t.add("untilStep", sig({p::integer, p::integer, p::integer}, p::list), [until_step](call_context& ctx, args a) {
        return until_step(a[0].as_int(), a[1].as_int(), a[2].as_int(), ctx);
    });
    auto chunk = [](call_context&, args a) -> result<value, failure> {
        if (auto r = require_slice(a[1], "chunk"); !r) return r.error();
        std::int64_t const size = a[0].as_int();
        auto items = items_of(a[1]);
        if (size <= 0) return go_failure("runtime error: makeslice: len out of range");
        list_type out;
        for (std::size_t i = 0; i < items.size(); i += static_cast<std::size_t>(size))
            out.push_back(value::list(list_type(items.begin() + static_cast<std::ptrdiff_t>(i),
                                                items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + static_cast<std::size_t>(size))))));
        return value::list(std::move(out));
    };
    t.add("chunk", sig({p::integer, p::any}, p::list), chunk);
    t.add("mustChunk", sig({p::integer, p::any}, p::list, true), chunk);
    t.add("sortAlpha", sig({p::any}, p::string_list), [](call_context&, args a) -> result<value, failure> {
        value const& v = a[0];
        string_list_type out;
        if (v.is_slice()) {
            if (v.kind() == kind::string_list) {
                out = v.as_string_list();
            } else {
                for (std::size_t i = 0; i < v.size(); ++i) {
                    auto e = v.element(i);
                    if (!e.is_nil()) out.push_back(strval(e));
                }
            }
            std::sort(out.begin(), out.end(), [](text const& x, text const& y) { return x.view() < y.view(); });
        } else {
            out.push_back(strval(v));
        }
        return value::string_list(std::move(out));
    });

    // The `must` forms return Sprig's error where the plain forms panic: the text is the same.
    for (auto const* name : {"first", "last", "rest", "initial", "append", "push", "prepend", "uniq", "without", "has",
                             "compact", "reverse", "merge", "mergeOverwrite"}) {
        function const* f = t.find(name);
        signature must = f->sig;
        must.returns_error = true;
        std::string must_name = std::string("must") + static_cast<char>(name[0] - 'a' + 'A') + (name + 1);
        t.add(std::move(must_name), must, f->call);
    }
}

} // namespace esx::transform::templating::functions

#endif
