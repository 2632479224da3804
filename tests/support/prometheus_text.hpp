// A strict reader of the Prometheus text exposition format 0.0.4 (tests only).
//
// Stricter than Prometheus itself, so a test catches what a lenient scraper would forgive:
// every family has `# HELP` then `# TYPE` (once each) before its samples; a family's samples
// are contiguous and its name appears once; sample names are the family's (`_bucket`, `_sum`,
// `_count` for histograms); label names are identifiers, unique in a sample; label values use
// only the `\\`, `\"`, `\n` escapes; values are Go floats (`+Inf`, `-Inf`, `NaN` included) and
// nothing follows them; no series appears twice; histogram buckets ascend in `le`, counts are
// cumulative, the last bucket is `+Inf` and equals `_count`, and `_sum` exists. The text ends
// with a newline. Anything else throws std::runtime_error naming the line.
#ifndef ESX_TESTS_SUPPORT_PROMETHEUS_TEXT_HPP
#define ESX_TESTS_SUPPORT_PROMETHEUS_TEXT_HPP

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::test {

struct prom_sample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;  // as written
    double value = 0;
};

struct prom_family {
    std::string name;
    std::string help;  // unescaped
    std::string type;
    std::vector<prom_sample> samples;
};

struct prom_scrape {
    std::vector<prom_family> families;

    prom_family const* family(std::string_view name) const {
        for (auto const& f : families)
            if (f.name == name) return &f;
        return nullptr;
    }
    /// The value of the sample `name` whose labels are exactly `labels` (any order).
    std::optional<double> value(std::string_view name, std::vector<std::pair<std::string, std::string>> labels = {}) const {
        std::sort(labels.begin(), labels.end());
        for (auto const& f : families)
            for (auto const& s : f.samples) {
                if (s.name != name) continue;
                auto l = s.labels;
                std::sort(l.begin(), l.end());
                if (l == labels) return s.value;
            }
        return std::nullopt;
    }
    std::size_t sample_count() const {
        std::size_t n = 0;
        for (auto const& f : families) n += f.samples.size();
        return n;
    }
};

namespace detail {

inline bool is_name(std::string_view s, bool colons) {
    if (s.empty()) return false;
    auto ok = [&](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colons && c == ':') ||
               (!first && c >= '0' && c <= '9');
    };
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!ok(s[i], i == 0)) return false;
    return true;
}

inline double parse_go_float(std::string_view s, std::string const& where) {
    if (s == "+Inf") return std::numeric_limits<double>::infinity();
    if (s == "-Inf") return -std::numeric_limits<double>::infinity();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    std::string const t(s);
    if (t.empty() || t.find_first_not_of("0123456789+-.eE") != std::string::npos)
        throw std::runtime_error(where + ": bad value '" + t + "'");
    char* end = nullptr;
    double const v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) throw std::runtime_error(where + ": bad value '" + t + "'");
    return v;
}

} // namespace detail

inline prom_scrape parse_prometheus_text(std::string_view text) {
    prom_scrape out;
    if (!text.empty() && text.back() != '\n') throw std::runtime_error("the text does not end with a newline");
    std::set<std::string> seen_families;
    std::set<std::string> seen_series;
    prom_family* current = nullptr;
    std::size_t line_no = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        auto const nl = text.find('\n', at);
        std::string_view const line = text.substr(at, nl - at);
        at = nl + 1;
        ++line_no;
        std::string const where = "line " + std::to_string(line_no) + " '" + std::string(line) + "'";
        if (line.empty()) throw std::runtime_error(where + ": empty line");
        if (line.starts_with("# HELP ")) {
            auto const rest = line.substr(7);
            auto const sp = rest.find(' ');
            if (sp == std::string_view::npos) throw std::runtime_error(where + ": HELP without text");
            std::string const name(rest.substr(0, sp));
            if (!detail::is_name(name, true)) throw std::runtime_error(where + ": bad family name");
            if (!seen_families.insert(name).second) throw std::runtime_error(where + ": family seen twice");
            std::string help;
            auto const raw = rest.substr(sp + 1);
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] != '\\') { help += raw[i]; continue; }
                if (i + 1 >= raw.size()) throw std::runtime_error(where + ": dangling escape in HELP");
                char const e = raw[++i];
                if (e == '\\') help += '\\';
                else if (e == 'n') help += '\n';
                else throw std::runtime_error(where + ": bad escape in HELP");
            }
            out.families.push_back(prom_family{name, help, {}, {}});
            current = &out.families.back();
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            auto const rest = line.substr(7);
            auto const sp = rest.find(' ');
            if (!current || sp == std::string_view::npos || rest.substr(0, sp) != current->name)
                throw std::runtime_error(where + ": TYPE not right after its family's HELP");
            if (!current->type.empty() || !current->samples.empty())
                throw std::runtime_error(where + ": TYPE twice or after samples");
            std::string const type(rest.substr(sp + 1));
            if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
                throw std::runtime_error(where + ": unknown type");
            current->type = type;
            continue;
        }
        if (line.starts_with("#")) throw std::runtime_error(where + ": a comment esx never writes");
        if (!current || current->type.empty()) throw std::runtime_error(where + ": sample before HELP and TYPE");

        prom_sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        s.name = std::string(line.substr(0, i));
        if (!detail::is_name(s.name, true)) throw std::runtime_error(where + ": bad sample name");
        bool const name_ok = current->type == "histogram"
                                 ? (s.name == current->name + "_bucket" || s.name == current->name + "_sum" ||
                                    s.name == current->name + "_count")
                                 : s.name == current->name;
        if (!name_ok) throw std::runtime_error(where + ": sample of another family");
        if (i < line.size() && line[i] == '{') {
            ++i;
            std::set<std::string> names;
            while (true) {
                auto const eq = line.find('=', i);
                if (eq == std::string_view::npos) throw std::runtime_error(where + ": label without '='");
                std::string const lname(line.substr(i, eq - i));
                if (!detail::is_name(lname, false)) throw std::runtime_error(where + ": bad label name");
                if (!names.insert(lname).second) throw std::runtime_error(where + ": label twice");
                i = eq + 1;
                if (i >= line.size() || line[i] != '"') throw std::runtime_error(where + ": label value not quoted");
                ++i;
                std::string value;
                bool closed = false;
                for (; i < line.size(); ++i) {
                    char const c = line[i];
                    if (c == '"') { closed = true; ++i; break; }
                    if (c != '\\') { value += c; continue; }
                    if (i + 1 >= line.size()) throw std::runtime_error(where + ": dangling escape");
                    char const e = line[++i];
                    if (e == '\\') value += '\\';
                    else if (e == '"') value += '"';
                    else if (e == 'n') value += '\n';
                    else throw std::runtime_error(where + ": bad escape in a label value");
                }
                if (!closed) throw std::runtime_error(where + ": unterminated label value");
                s.labels.emplace_back(lname, std::move(value));
                if (i < line.size() && line[i] == ',') { ++i; continue; }
                if (i < line.size() && line[i] == '}') { ++i; break; }
                throw std::runtime_error(where + ": expected ',' or '}'");
            }
        }
        if (i >= line.size() || line[i] != ' ') throw std::runtime_error(where + ": no value");
        auto const value_text = line.substr(i + 1);
        if (value_text.find(' ') != std::string_view::npos) throw std::runtime_error(where + ": text after the value");
        s.value = detail::parse_go_float(value_text, where);
        auto sorted = s.labels;
        std::sort(sorted.begin(), sorted.end());
        std::string id = s.name;
        for (auto const& [k, v] : sorted) id += '\0' + k + '\0' + v;
        if (!seen_series.insert(id).second) throw std::runtime_error(where + ": series seen twice");
        current->samples.push_back(std::move(s));
    }

    // Histograms: per label set (without le), ascending bounds, cumulative counts, +Inf == _count.
    for (auto const& f : out.families) {
        if (f.samples.empty()) throw std::runtime_error(f.name + ": a family without samples");
        if (f.type != "histogram") continue;
        struct series {
            std::vector<std::pair<double, double>> buckets;
            std::optional<double> sum, count;
        };
        std::map<std::vector<std::pair<std::string, std::string>>, series> by_labels;
        for (auto const& s : f.samples) {
            auto labels = s.labels;
            std::optional<double> le;
            auto const it = std::find_if(labels.begin(), labels.end(), [](auto const& l) { return l.first == "le"; });
            if (it != labels.end()) {
                le = detail::parse_go_float(it->second, f.name + " le");
                labels.erase(it);
            }
            std::sort(labels.begin(), labels.end());
            auto& h = by_labels[labels];
            if (s.name == f.name + "_bucket") {
                if (!le) throw std::runtime_error(f.name + ": a bucket without le");
                h.buckets.emplace_back(*le, s.value);
            } else if (le) {
                throw std::runtime_error(f.name + ": le on _sum or _count");
            } else if (s.name == f.name + "_sum") {
                h.sum = s.value;
            } else {
                h.count = s.value;
            }
        }
        for (auto const& [labels, h] : by_labels) {
            if (h.buckets.empty() || !h.sum || !h.count) throw std::runtime_error(f.name + ": incomplete histogram");
            for (std::size_t k = 1; k < h.buckets.size(); ++k) {
                if (!(h.buckets[k].first > h.buckets[k - 1].first)) throw std::runtime_error(f.name + ": le not ascending");
                if (h.buckets[k].second < h.buckets[k - 1].second) throw std::runtime_error(f.name + ": not cumulative");
            }
            if (!std::isinf(h.buckets.back().first)) throw std::runtime_error(f.name + ": no +Inf bucket");
            if (h.buckets.back().second != *h.count) throw std::runtime_error(f.name + ": +Inf bucket != _count");
        }
    }
    return out;
}

} // namespace esx::test

// Boost.Test prints a missing sample as "none" when a comparison fails.
#include <boost/test/tools/detail/print_helper.hpp>
template <>
struct boost::test_tools::tt_detail::print_log_value<std::optional<double>> {
    void operator()(std::ostream& os, std::optional<double> const& v) {
        if (v) os << *v;
        else os << "none";
    }
};

#endif
