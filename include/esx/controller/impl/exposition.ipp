// esx::controller: the Prometheus text format writers (see <esx/controller/exposition.hpp>).
#ifndef ESX_CONTROLLER_IMPL_EXPOSITION_IPP
#define ESX_CONTROLLER_IMPL_EXPOSITION_IPP

#include <esx/controller/exposition.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace esx::controller::exposition {

ESX_DECL void append_value(std::string& out, double v) {
    if (std::isnan(v)) { out += "NaN"; return; }
    if (std::isinf(v)) { out += v > 0 ? "+Inf" : "-Inf"; return; }
    // Go's 'g' with the shortest precision: the shortest digits that read back to `v`, in
    // exponent form when the decimal exponent is below -4 or at least 6 (Go's rule for
    // shortest 'g'), else in plain decimal form.
    char buf[64];
    auto const sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string_view const text(buf, static_cast<std::size_t>(sci.ptr - buf));
    auto const e = text.find('e');
    int exponent = 0;
    std::from_chars(text.data() + e + 2, text.data() + text.size(), exponent);  // after "e+" or "e-"
    if (text[e + 1] == '-') exponent = -exponent;
    if (exponent < -4 || exponent >= 6) {
        out += text;  // "1.5e+06": to_chars writes at least two exponent digits, as Go does
        return;
    }
    auto const fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    out.append(buf, fixed.ptr);
}

ESX_DECL void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
}

ESX_DECL void append_header(std::string& out, std::string_view name, std::string_view help, metric_type type) {
    out += "# HELP ";
    out += name;
    out += ' ';
    for (char c : help) {  // HELP escapes backslash and newline only
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    out += "\n# TYPE ";
    out += name;
    switch (type) {
    case metric_type::counter: out += " counter\n"; break;
    case metric_type::gauge: out += " gauge\n"; break;
    case metric_type::histogram: out += " histogram\n"; break;
    }
}

namespace detail {
inline void append_labels(std::string& out, std::span<label const> labels, label const* extra) {
    if (labels.empty() && !extra) return;
    out += '{';
    bool first = true;
    auto one = [&](label const& l) {
        if (!first) out += ',';
        first = false;
        out += l.name;
        out += "=\"";
        append_label_value(out, l.value);
        out += '"';
    };
    for (auto const& l : labels) one(l);
    if (extra) one(*extra);
    out += '}';
}
} // namespace detail

ESX_DECL void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                            std::span<label const> labels, double value) {
    out += name;
    out += suffix;
    detail::append_labels(out, labels, nullptr);
    out += ' ';
    append_value(out, value);
    out += '\n';
}

ESX_DECL void append_histogram(std::string& out, std::string_view name, std::span<label const> labels,
                               std::span<double const> upper_bounds, std::span<std::uint64_t const> counts,
                               double sum) {
    std::uint64_t cumulative = 0;
    std::string bound;
    for (std::size_t i = 0; i <= upper_bounds.size(); ++i) {
        cumulative += i < counts.size() ? counts[i] : 0;
        bound.clear();
        if (i < upper_bounds.size()) append_value(bound, upper_bounds[i]);
        else bound = "+Inf";
        label const le{"le", bound};
        out += name;
        out += "_bucket";
        detail::append_labels(out, labels, &le);
        out += ' ';
        append_value(out, static_cast<double>(cumulative));
        out += '\n';
    }
    append_sample(out, name, "_sum", labels, sum);
    append_sample(out, name, "_count", labels, static_cast<double>(cumulative));
}

} // namespace esx::controller::exposition

#endif
