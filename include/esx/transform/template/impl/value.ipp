// esx::transform::templating::value (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_VALUE_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_VALUE_IPP

#include <esx/transform/template/error.hpp>
#include <esx/transform/template/value.hpp>

#include <boost/assert.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

namespace esx::transform::templating {

struct value::storage {
    std::variant<text, time_value, list_type, string_list_type, dict_type, string_map_type> held;
};

ESX_DECL value value::boolean(bool b) noexcept {
    value v;
    v.kind_ = kind::boolean;
    v.b_ = b;
    return v;
}
ESX_DECL value value::integer(std::int64_t i) noexcept {
    value v;
    v.kind_ = kind::integer;
    v.i_ = i;
    return v;
}
ESX_DECL value value::int64(std::int64_t i) noexcept {
    value v;
    v.kind_ = kind::int64;
    v.i_ = i;
    return v;
}
ESX_DECL value value::float64(double f) noexcept {
    value v;
    v.kind_ = kind::float64;
    v.f_ = f;
    return v;
}
ESX_DECL value value::string(std::string_view s) { return string(text(s)); }
ESX_DECL value value::string(text s) {
    value v;
    v.kind_ = kind::string;
    v.ref_ = std::make_shared<storage>(storage{std::move(s)});
    return v;
}
ESX_DECL value value::bytes(std::string_view b) { return bytes(text(b)); }
ESX_DECL value value::bytes(text b) {
    value v;
    v.kind_ = kind::bytes;
    v.ref_ = std::make_shared<storage>(storage{std::move(b)});
    return v;
}
ESX_DECL value value::time(time_value t) {
    value v;
    v.kind_ = kind::time;
    v.ref_ = std::make_shared<storage>(storage{std::move(t)});
    return v;
}
ESX_DECL value value::list(list_type items) {
    value v;
    v.kind_ = kind::list;
    v.ref_ = std::make_shared<storage>(storage{std::move(items)});
    return v;
}
ESX_DECL value value::string_list(string_list_type items) {
    value v;
    v.kind_ = kind::string_list;
    v.ref_ = std::make_shared<storage>(storage{std::move(items)});
    return v;
}
ESX_DECL value value::dict(dict_type entries) {
    value v;
    v.kind_ = kind::dict;
    v.ref_ = std::make_shared<storage>(storage{std::move(entries)});
    return v;
}
ESX_DECL value value::string_map(string_map_type entries) {
    value v;
    v.kind_ = kind::string_map;
    v.ref_ = std::make_shared<storage>(storage{std::move(entries)});
    return v;
}

ESX_DECL bool value::as_bool() const noexcept {
    BOOST_ASSERT(kind_ == kind::boolean);
    return b_;
}
ESX_DECL std::int64_t value::as_int() const noexcept {
    BOOST_ASSERT(is_integral());
    return i_;
}
ESX_DECL double value::as_float() const noexcept {
    BOOST_ASSERT(kind_ == kind::float64);
    return f_;
}
ESX_DECL std::string_view value::as_string() const noexcept {
    BOOST_ASSERT(is_stringish());
    return std::get<text>(ref_->held).view();
}
ESX_DECL time_value const& value::as_time() const noexcept {
    BOOST_ASSERT(kind_ == kind::time);
    return std::get<time_value>(ref_->held);
}
ESX_DECL list_type const& value::as_list() const noexcept {
    BOOST_ASSERT(kind_ == kind::list);
    return std::get<list_type>(ref_->held);
}
ESX_DECL string_list_type const& value::as_string_list() const noexcept {
    BOOST_ASSERT(kind_ == kind::string_list);
    return std::get<string_list_type>(ref_->held);
}
ESX_DECL dict_type const& value::as_dict() const noexcept {
    BOOST_ASSERT(kind_ == kind::dict);
    return std::get<dict_type>(ref_->held);
}
ESX_DECL string_map_type const& value::as_string_map() const noexcept {
    BOOST_ASSERT(kind_ == kind::string_map);
    return std::get<string_map_type>(ref_->held);
}
ESX_DECL dict_type& value::mutable_dict() noexcept {
    BOOST_ASSERT(kind_ == kind::dict);
    return std::get<dict_type>(ref_->held);
}
ESX_DECL string_map_type& value::mutable_string_map() noexcept {
    BOOST_ASSERT(kind_ == kind::string_map);
    return std::get<string_map_type>(ref_->held);
}

ESX_DECL std::size_t value::size() const noexcept {
    switch (kind_) {
    case kind::string:
    case kind::bytes: return as_string().size();
    case kind::list: return as_list().size();
    case kind::string_list: return as_string_list().size();
    case kind::dict: return as_dict().size();
    case kind::string_map: return as_string_map().size();
    default: return 0;
    }
}

ESX_DECL value value::element(std::size_t i) const {
    BOOST_ASSERT(i < size());
    switch (kind_) {
    case kind::list: return as_list()[i];
    case kind::string_list: return string(as_string_list()[i]);
    case kind::bytes:
    case kind::string: return integer(static_cast<unsigned char>(as_string()[i]));
    default: return {};
    }
}

ESX_DECL bool value::contains(std::string_view key) const noexcept {
    if (kind_ == kind::dict) return as_dict().find(key) != as_dict().end();
    if (kind_ == kind::string_map) return as_string_map().find(key) != as_string_map().end();
    return false;
}

ESX_DECL value value::entry(std::string_view key) const {
    if (kind_ == kind::dict) {
        auto it = as_dict().find(key);
        return it == as_dict().end() ? value{} : it->second;
    }
    if (kind_ == kind::string_map) {
        auto it = as_string_map().find(key);
        return it == as_string_map().end() ? value{} : string(it->second);
    }
    return {};
}

ESX_DECL value value::deep_copy() const {
    switch (kind_) {
    case kind::list: {
        list_type items;
        items.reserve(as_list().size());
        for (auto const& e : as_list()) items.push_back(e.deep_copy());
        return list(std::move(items));
    }
    case kind::string_list: return string_list(as_string_list());
    case kind::dict: {
        dict_type entries;
        for (auto const& [k, e] : as_dict()) entries.emplace(k, e.deep_copy());
        return dict(std::move(entries));
    }
    case kind::string_map: return string_map(as_string_map());
    default: return *this;  // strings and times are immutable: sharing is a copy
    }
}

ESX_DECL std::string_view go_type_name(kind k) noexcept {
    switch (k) {
    case kind::nil: return "<nil>";
    case kind::boolean: return "bool";
    case kind::integer: return "int";
    case kind::int64: return "int64";
    case kind::float64: return "float64";
    case kind::string: return "string";
    case kind::bytes: return "[]uint8";
    case kind::list: return "[]interface {}";
    case kind::string_list: return "[]string";
    case kind::dict: return "map[string]interface {}";
    case kind::string_map: return "map[string]string";
    case kind::time: return "time.Time";
    }
    return "?";
}

ESX_DECL std::string_view go_kind_name(kind k) noexcept {
    switch (k) {
    case kind::nil: return "invalid";
    case kind::boolean: return "bool";
    case kind::integer: return "int";
    case kind::int64: return "int64";
    case kind::float64: return "float64";
    case kind::string: return "string";
    case kind::bytes:
    case kind::list:
    case kind::string_list: return "slice";
    case kind::dict:
    case kind::string_map: return "map";
    case kind::time: return "struct";
    }
    return "?";
}

namespace detail {

inline void append_int(text& out, std::int64_t i) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    out.append(buf, r.ptr);
}

inline void append_padded(text& out, std::int64_t i, int width) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    for (auto n = r.ptr - buf; n < width; ++n) out.push_back('0');
    out.append(buf, r.ptr);
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, what fmt's `%v` prints: shortest round-trip digits,
/// `%e` form when the exponent is < -4 or >= 6 (strconv's threshold for shortest 'g'), at
/// least two exponent digits: `1e+06`, `123456`, `1.5e-05`, `0.0001`.
inline void append_go_float(text& out, double f) {
    if (std::isnan(f)) {
        out.append("NaN");
        return;
    }
    if (std::isinf(f)) {
        out.append(f > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
    bool const negative = sci.front() == '-';
    if (negative) sci.remove_prefix(1);
    auto const e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.') digits.push_back(c);
    int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    if (digits == "0") exp = 0;
    if (negative) out.push_back('-');
    if (exp < -4 || exp >= 6) {
        out.push_back(digits[0]);
        if (digits.size() > 1) {
            out.push_back('.');
            out.append(digits.substr(1));
        }
        out.push_back('e');
        out.push_back(exp < 0 ? '-' : '+');
        append_padded(out, exp < 0 ? -exp : exp, 2);
        return;
    }
    auto const point = exp + 1;  // digits before the decimal point
    if (point <= 0) {
        out.append("0.");
        for (int i = point; i < 0; ++i) out.push_back('0');
        out.append(digits);
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
        out.append(digits);
        for (auto i = digits.size(); i < static_cast<std::size_t>(point); ++i) out.push_back('0');
    } else {
        out.append(digits.substr(0, static_cast<std::size_t>(point)));
        out.push_back('.');
        out.append(digits.substr(static_cast<std::size_t>(point)));
    }
}

/// time.Time's String(): `2006-01-02 15:04:05.999999999 -0700 MST`.
inline void append_go_time(text& out, time_value const& t) {
    using namespace std::chrono;
    auto const local = t.seconds + t.offset;
    auto const days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    auto const secs = local - days * 86400;
    year_month_day const ymd{sys_days{std::chrono::days{days}}};
    auto const year = static_cast<int>(ymd.year());
    if (year < 0) out.push_back('-');
    append_padded(out, year < 0 ? -year : year, 4);
    out.push_back('-');
    append_padded(out, static_cast<unsigned>(ymd.month()), 2);
    out.push_back('-');
    append_padded(out, static_cast<unsigned>(ymd.day()), 2);
    out.push_back(' ');
    append_padded(out, secs / 3600, 2);
    out.push_back(':');
    append_padded(out, secs / 60 % 60, 2);
    out.push_back(':');
    append_padded(out, secs % 60, 2);
    if (t.nanoseconds != 0) {
        char frac[10];
        std::snprintf(frac, sizeof frac, "%09d", static_cast<int>(t.nanoseconds));
        std::string_view f(frac, 9);
        while (!f.empty() && f.back() == '0') f.remove_suffix(1);
        out.push_back('.');
        out.append(f);
    }
    out.push_back(' ');
    auto const off = t.offset < 0 ? -t.offset : t.offset;
    out.push_back(t.offset < 0 ? '-' : '+');
    append_padded(out, off / 3600, 2);
    append_padded(out, off / 60 % 60, 2);
    out.push_back(' ');
    if (!t.zone.empty()) {
        out.append(t.zone);
    } else {
        out.push_back(t.offset < 0 ? '-' : '+');
        append_padded(out, off / 3600, 2);
        append_padded(out, off / 60 % 60, 2);
    }
}

} // namespace detail

ESX_DECL void append_sprint(text& out, value const& v) {
    switch (v.kind()) {
    case kind::nil: out.append("<nil>"); return;
    case kind::boolean: out.append(v.as_bool() ? "true" : "false"); return;
    case kind::integer:
    case kind::int64: detail::append_int(out, v.as_int()); return;
    case kind::float64: detail::append_go_float(out, v.as_float()); return;
    case kind::string: out.append(v.as_string()); return;
    case kind::bytes: {
        out.push_back('[');
        auto const s = v.as_string();
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (i) out.push_back(' ');
            detail::append_int(out, static_cast<unsigned char>(s[i]));
        }
        out.push_back(']');
        return;
    }
    case kind::list: {
        out.push_back('[');
        bool first = true;
        for (auto const& e : v.as_list()) {
            if (!first) out.push_back(' ');
            first = false;
            append_sprint(out, e);
        }
        out.push_back(']');
        return;
    }
    case kind::string_list: {
        out.push_back('[');
        bool first = true;
        for (auto const& e : v.as_string_list()) {
            if (!first) out.push_back(' ');
            first = false;
            out.append(e.view());
        }
        out.push_back(']');
        return;
    }
    case kind::dict: {
        out.append("map[");
        bool first = true;
        for (auto const& [k, e] : v.as_dict()) {
            if (!first) out.push_back(' ');
            first = false;
            out.append(k);
            out.push_back(':');
            append_sprint(out, e);
        }
        out.push_back(']');
        return;
    }
    case kind::string_map: {
        out.append("map[");
        bool first = true;
        for (auto const& [k, e] : v.as_string_map()) {
            if (!first) out.push_back(' ');
            first = false;
            out.append(k);
            out.push_back(':');
            out.append(e.view());
        }
        out.push_back(']');
        return;
    }
    case kind::time: detail::append_go_time(out, v.as_time()); return;
    }
}

ESX_DECL text sprint(value const& v) {
    text out;
    append_sprint(out, v);
    return out;
}

ESX_DECL text sprint(std::span<value const> args) {
    text out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        // fmt.Sprint: "Spaces are added between operands when neither is a string."
        if (i > 0 && args[i - 1].kind() != kind::string && args[i].kind() != kind::string) out.push_back(' ');
        append_sprint(out, args[i]);
    }
    return out;
}

ESX_DECL text sprintln(std::span<value const> args) {
    text out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i > 0) out.push_back(' ');
        append_sprint(out, args[i]);
    }
    out.push_back('\n');
    return out;
}

ESX_DECL void append_printed(text& out, value const& v) {
    if (v.is_nil()) {
        out.append("<no value>");
        return;
    }
    append_sprint(out, v);
}

ESX_DECL bool truth(value const& v) noexcept {
    switch (v.kind()) {
    case kind::nil: return false;
    case kind::boolean: return v.as_bool();
    case kind::integer:
    case kind::int64: return v.as_int() != 0;
    case kind::float64: return v.as_float() != 0;
    case kind::time: return true;
    default: return v.size() != 0;
    }
}

ESX_DECL bool sprig_empty(value const& v) noexcept { return !truth(v); }

namespace detail {

enum class basic { invalid, boolean, integer, floating, string };

inline basic basic_kind(value const& v) noexcept {
    switch (v.kind()) {
    case kind::boolean: return basic::boolean;
    case kind::integer:
    case kind::int64: return basic::integer;
    case kind::float64: return basic::floating;
    case kind::string: return basic::string;
    default: return basic::invalid;
    }
}

inline failure comparison_failure(std::string message) {
    return failure(make_error_code(error::function_failed), std::move(message));
}

inline failure incompatible(value const& a, value const& b) {
    return comparison_failure("incompatible types for comparison: " + std::string(go_type_name(a.kind())) +
                              " and " + std::string(go_type_name(b.kind())));
}

} // namespace detail

ESX_DECL result<bool, failure> go_equal(value const& a, value const& b) {
    using detail::basic;
    auto const k1 = detail::basic_kind(a);
    auto const k2 = detail::basic_kind(b);
    if (k1 != k2) {
        if (!a.is_nil() && !b.is_nil()) return detail::incompatible(a, b);
        return false;
    }
    switch (k1) {
    case basic::boolean: return a.as_bool() == b.as_bool();
    case basic::integer: return a.as_int() == b.as_int();
    case basic::floating: return a.as_float() == b.as_float();
    case basic::string: return a.as_string() == b.as_string();
    case basic::invalid: break;
    }
    // Both are nil, slices, maps or times. Go compares nil with nil-able kinds, times by
    // value; slices and maps are not comparable. (Go's message prints the value with %s:
    // esx prints the types only, since values are secrets.)
    if (a.is_nil() || b.is_nil()) return a.is_nil() == b.is_nil();
    if (go_kind_name(a.kind()) != go_kind_name(b.kind()))
        return detail::comparison_failure("non-comparable types: " + std::string(go_type_name(a.kind())) + ", " +
                                          std::string(go_type_name(b.kind())));
    if (a.kind() == kind::time && b.kind() == kind::time) return a.as_time() == b.as_time();
    if (a.kind() != b.kind()) return false;  // different types of one kind: Go's interface == is false
    return detail::comparison_failure("non-comparable type: " + std::string(go_type_name(b.kind())));
}

ESX_DECL result<bool, failure> go_less(value const& a, value const& b) {
    using detail::basic;
    auto const k1 = detail::basic_kind(a);
    auto const k2 = detail::basic_kind(b);
    if (k1 == basic::invalid || k2 == basic::invalid) return detail::comparison_failure("invalid type for comparison");
    if (k1 != k2) return detail::incompatible(a, b);
    switch (k1) {
    case basic::boolean: return detail::comparison_failure("invalid type for comparison");
    case basic::integer: return a.as_int() < b.as_int();
    case basic::floating: return a.as_float() < b.as_float();
    case basic::string: return a.as_string() < b.as_string();
    case basic::invalid: break;
    }
    return detail::comparison_failure("invalid type for comparison");
}

} // namespace esx::transform::templating

#endif
