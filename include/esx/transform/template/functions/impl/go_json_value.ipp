// esx::transform::templating::functions::detail: values through encoding/json (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_GO_JSON_VALUE_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_GO_JSON_VALUE_IPP

#include <esx/transform/detail/go_json.hpp>
#include <esx/transform/template/functions/detail/go_json_value.hpp>
#include <esx/transform/template/functions/detail/go_time.hpp>

#include <cmath>

namespace esx::transform::templating::functions::detail {
namespace json_value_impl {

struct writer {
    text& out;
    json_marshal_options const& options;
    std::string& error;

    void newline(int depth) {
        out.push_back('\n');
        for (int i = 0; i < depth; ++i) out.append(options.indent);
    }
    bool pretty() const { return !options.indent.empty(); }

    void string(std::string_view s) { transform::detail::append_json_string(out, s, options.escape_html); }

    template <class Range, class Each>
    bool array(Range const& items, int depth, Each each) {
        out.push_back('[');
        bool first = true;
        for (auto const& item : items) {
            if (!first) out.push_back(',');
            if (pretty()) newline(depth + 1);
            first = false;
            if (!each(item)) return false;
        }
        if (pretty() && !first) newline(depth);
        out.push_back(']');
        return true;
    }

    template <class Map, class Each>
    bool object(Map const& entries, int depth, Each each) {
        out.push_back('{');
        bool first = true;
        for (auto const& [k, v] : entries) {
            if (!first) out.push_back(',');
            if (pretty()) newline(depth + 1);
            first = false;
            string(k);
            out.push_back(':');
            if (pretty()) out.push_back(' ');
            if (!each(v)) return false;
        }
        if (pretty() && !first) newline(depth);
        out.push_back('}');
        return true;
    }

    bool write(value const& v, int depth) {
        switch (v.kind()) {
        case kind::nil: out.append("null"); return true;
        case kind::boolean: out.append(v.as_bool() ? "true" : "false"); return true;
        case kind::integer:
        case kind::int64: out.append(std::to_string(v.as_int())); return true;
        case kind::float64: {
            double const f = v.as_float();
            if (std::isnan(f) || std::isinf(f)) {
                error = std::string("json: unsupported value: ") + (std::isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
                return false;
            }
            out.append(transform::detail::format_json_float(f));
            return true;
        }
        case kind::string: string(v.as_string()); return true;
        case kind::bytes: {
            static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            auto const b = v.as_string();
            out.push_back('"');
            std::size_t i = 0;
            for (; i + 3 <= b.size(); i += 3) {
                unsigned const n = unsigned(static_cast<unsigned char>(b[i])) << 16 |
                                   unsigned(static_cast<unsigned char>(b[i + 1])) << 8 | static_cast<unsigned char>(b[i + 2]);
                out += a[n >> 18 & 63], out += a[n >> 12 & 63], out += a[n >> 6 & 63], out += a[n & 63];
            }
            if (b.size() - i == 1) {
                unsigned const n = unsigned(static_cast<unsigned char>(b[i])) << 16;
                out += a[n >> 18 & 63], out += a[n >> 12 & 63], out += "==";
            } else if (b.size() - i == 2) {
                unsigned const n = unsigned(static_cast<unsigned char>(b[i])) << 16 | unsigned(static_cast<unsigned char>(b[i + 1])) << 8;
                out += a[n >> 18 & 63], out += a[n >> 12 & 63], out += a[n >> 6 & 63], out += '=';
            }
            out.push_back('"');
            return true;
        }
        case kind::time: {
            auto s = rfc3339_nano(v.as_time());
            if (s.empty()) {
                error = "json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]";
                return false;
            }
            out.push_back('"');
            out.append(s);
            out.push_back('"');
            return true;
        }
        case kind::list: return array(v.as_list(), depth, [&](value const& e) { return write(e, depth + 1); });
        case kind::string_list:
            return array(v.as_string_list(), depth, [&](text const& s) {
                string(s.view());
                return true;
            });
        case kind::dict: return object(v.as_dict(), depth, [&](value const& e) { return write(e, depth + 1); });
        case kind::string_map:
            return object(v.as_string_map(), depth, [&](text const& s) {
                string(s.view());
                return true;
            });
        }
        return true;
    }
};

inline std::optional<value> from_node(transform::detail::json_node const& n) {
    using k = transform::detail::json_node::kind;
    switch (n.type) {
    case k::null: return value::nil();
    case k::boolean: return value::boolean(n.text.view() == "true");
    case k::number: {
        double const f = transform::detail::parse_float(n.text.view());
        if (std::isinf(f)) return std::nullopt;  // Go: cannot unmarshal number ... into float64
        return value::float64(f);
    }
    case k::string: return value::string(n.text.view());
    case k::array: {
        list_type items;
        items.reserve(n.items.size());
        for (auto const& e : n.items) {
            auto v = from_node(e);
            if (!v) return std::nullopt;
            items.push_back(std::move(*v));
        }
        return value::list(std::move(items));
    }
    case k::object: {
        dict_type entries;
        for (auto const& [key, e] : n.members) {
            auto v = from_node(e);
            if (!v) return std::nullopt;
            entries.insert_or_assign(std::string(key.view()), std::move(*v));  // the last duplicate wins
        }
        return value::dict(std::move(entries));
    }
    }
    return value::nil();
}

} // namespace json_value_impl

ESX_DECL std::string rfc3339_nano(time_value const& t) {
    std::string s = go_time_format(t, "2006-01-02T15:04:05.999999999Z07:00");
    // Go refuses years outside [0,9999] (the format would not be RFC 3339).
    if (s.empty() || s[0] == '-' || (s.size() > 4 && s[4] != '-')) return {};
    return s;
}

ESX_DECL bool marshal_json(value const& v, text& out, json_marshal_options const& options, std::string& error) {
    json_value_impl::writer w{out, options, error};
    return w.write(v, 0);
}

ESX_DECL std::optional<value> unmarshal_json(std::string_view json) {
    transform::detail::json_node root;
    std::string error;
    if (!transform::detail::parse_json(json, root, error)) return std::nullopt;
    return json_value_impl::from_node(root);
}

} // namespace esx::transform::templating::functions::detail

#endif
