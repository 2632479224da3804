// esx: YAML (manifests, kubeconfig files) as Boost.JSON values, through yaml-cpp.
//
// Including this header means linking yaml-cpp (meson: `dependency('yaml-cpp')`, pkg-config
// `esx` requires it). Scalars resolve as Kubernetes' YAML reader (go-yaml v2, YAML 1.1) resolves
// them, so `on`, `yes` and `y` are booleans and `0644` is octal, exactly what kubectl would send;
// quoted scalars and block scalars (`|`, `>`) are strings. Anchors and aliases are expanded, `<<`
// merge keys are applied, duplicate keys are refused (as go-yaml v2 does), and a document
// expanding past `max_nodes` values is refused (an alias bomb).
#ifndef ESX_YAML_HPP
#define ESX_YAML_HPP

#include <esx/failure.hpp>

#include <boost/json/value.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace esx {

struct yaml_options {
    std::size_t max_nodes = 1'000'000;  ///< values per document after alias expansion
    std::size_t max_depth = 200;        ///< nesting depth
    /// Plain (unquoted) scalars other than null stay text, as go-yaml decodes them into the
    /// string fields of a typed struct: a kubeconfig's `token: 0123` is the token "0123", not 83.
    bool plain_scalars_as_text = false;
    /// Added to the line numbers of messages: the text is part of a file starting at this line.
    std::size_t line_offset = 0;
};

namespace detail::yaml_impl {

namespace json = boost::json;

inline bool one_of(std::string_view s, std::initializer_list<std::string_view> list) {
    for (auto x : list)
        if (s == x) return true;
    return false;
}

/// A plain integer as go-yaml v2 reads it: decimal, 0x, 0b, 0o and leading-0 octal; `_` allowed.
inline std::optional<json::value> plain_integer(std::string_view s) {
    std::string t;
    for (char c : s)
        if (c != '_') t += c;
    std::string_view v = t;
    bool negative = false;
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
        negative = v[0] == '-';
        v.remove_prefix(1);
    }
    if (v.empty()) return std::nullopt;
    int base = 10;
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) base = 16, v.remove_prefix(2);
    else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B')) base = 2, v.remove_prefix(2);
    else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) base = 8, v.remove_prefix(2);
    else if (v.size() > 1 && v[0] == '0') base = 8, v.remove_prefix(1);
    std::uint64_t u = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), u, base);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    if (!negative) {
        if (u <= std::uint64_t(INT64_MAX)) return json::value(std::int64_t(u));
        return json::value(u);
    }
    if (u <= std::uint64_t(INT64_MAX) + 1) return json::value(std::int64_t(0 - u));
    return std::nullopt;
}

/// go-yaml's float form: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, and .inf/.nan.
inline std::optional<json::value> plain_float(std::string_view s) {
    if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}))
        return std::nullopt;  // JSON has no infinities or NaN: kept as text
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i > start;
    };
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits()) return std::nullopt;
    } else {
        if (!digits()) return std::nullopt;
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        if (!digits()) return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    std::string t(s);
    return json::value(std::strtod(t.c_str(), nullptr));
}

inline json::value plain_scalar(std::string const& s) {
    if (one_of(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
    if (one_of(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON"})) return true;
    if (one_of(s, {"false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF"})) return false;
    if (auto i = plain_integer(s)) return *i;
    if (auto f = plain_float(s)) return *f;
    return json::value(s);
}

struct converter {
    yaml_options options;
    std::size_t nodes = 0;
    std::string error;

    std::string where(YAML::Node const& n) const {
        auto m = n.Mark();
        return "yaml: line " + std::to_string(m.line + 1 + options.line_offset) + ", column " +
               std::to_string(m.column + 1) + ": ";
    }

    bool convert(YAML::Node const& n, json::value& out, std::size_t depth) {
        if (++nodes > options.max_nodes) {
            error = "yaml: the document expands to more than " + std::to_string(options.max_nodes) +
                    " values (aliases?)";
            return false;
        }
        if (depth > options.max_depth) {
            error = where(n) + "nested deeper than " + std::to_string(options.max_depth) + " levels";
            return false;
        }
        switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: out = nullptr; return true;
        case YAML::NodeType::Scalar: return scalar(n, out);
        case YAML::NodeType::Sequence: {
            json::array& a = out.emplace_array();
            a.reserve(n.size());
            for (auto const& e : n) {
                a.emplace_back(nullptr);
                if (!convert(e, a.back(), depth + 1)) return false;
            }
            return true;
        }
        case YAML::NodeType::Map: {
            json::object& o = out.emplace_object();
            std::vector<YAML::Node> merges;
            for (auto const& kv : n) {
                if (!kv.first.IsScalar()) {
                    error = where(kv.first) + "a mapping key must be a scalar";
                    return false;
                }
                std::string const& key = kv.first.Scalar();
                if (key == "<<" && kv.first.Tag() == "?") {
                    merges.push_back(kv.second);
                    continue;
                }
                if (o.contains(key)) {
                    error = where(kv.first) + "key \"" + key + "\" already set in map";
                    return false;
                }
                if (!convert(kv.second, o[key], depth + 1)) return false;
            }
            // `<<: *base` or `<<: [*a, *b]`: keys not set here come from the merged maps, earlier first.
            for (auto const& m : merges) {
                std::vector<YAML::Node> sources;
                if (m.IsMap()) sources.push_back(m);
                else if (m.IsSequence())
                    for (auto const& e : m) sources.push_back(e);
                for (auto const& src : sources) {
                    if (!src.IsMap()) {
                        error = where(src) + "map merge requires map or sequence of maps as the value";
                        return false;
                    }
                    json::value merged;
                    if (!convert(src, merged, depth + 1)) return false;
                    for (auto& kv : merged.get_object())
                        if (!o.contains(kv.key())) o[kv.key()] = std::move(kv.value());
                }
            }
            return true;
        }
        }
        out = nullptr;
        return true;
    }

    bool scalar(YAML::Node const& n, json::value& out) {
        std::string const& tag = n.Tag();
        std::string const& s = n.Scalar();
        if (tag == "?") {
            out = plain_scalar(s);
            if (options.plain_scalars_as_text && !out.is_null()) out = s;
            return true;
        }
        if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") {
            out = s;
            return true;
        }
        auto resolved = plain_scalar(s);
        auto kind_ok = [&](bool ok, char const* what) {
            if (ok) {
                out = resolved;
                return true;
            }
            // The scalar itself stays out of the message: it may be a Secret's value.
            error = where(n) + "cannot decode the scalar as " + what + " (tag " + tag + ")";
            return false;
        };
        if (tag == "tag:yaml.org,2002:int") return kind_ok(resolved.is_int64() || resolved.is_uint64(), "an int");
        if (tag == "tag:yaml.org,2002:float") {
            if (resolved.is_int64()) resolved = double(resolved.get_int64());
            return kind_ok(resolved.is_double(), "a float");
        }
        if (tag == "tag:yaml.org,2002:bool") return kind_ok(resolved.is_bool(), "a bool");
        if (tag == "tag:yaml.org,2002:null") return kind_ok(resolved.is_null(), "null");
        // Other tags (`!!binary`, custom ones): the text, as kubectl's reader keeps it.
        out = s;
        return true;
    }
};

/// yaml-cpp 0.7's `LoadAll` loops for ever, adding a null document per turn until memory runs
/// out, when its parser stops advancing inside a stream (a document that starts with `,`, or
/// an unclosed `(` list as in falcosecurity/falco#3281: jbeder/yaml-cpp#1040, fixed after 0.8.0
/// by #1319). A first pass over the events finds that: a document that starts where the one
/// before it started means the parser is stuck.
struct progress_check final : YAML::EventHandler {
    std::optional<YAML::Mark> last, stuck;
    void OnDocumentStart(YAML::Mark const& m) override {
        if (last && last->pos == m.pos) stuck = m;
        last = m;
    }
    void OnDocumentEnd() override {}
    void OnNull(YAML::Mark const&, YAML::anchor_t) override {}
    void OnAlias(YAML::Mark const&, YAML::anchor_t) override {}
    void OnScalar(YAML::Mark const&, std::string const&, YAML::anchor_t, std::string const&) override {}
    void OnSequenceStart(YAML::Mark const&, std::string const&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(YAML::Mark const&, std::string const&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

/// Where yaml-cpp's parser would stop advancing in `text`, if it would (throws its parse errors).
inline std::optional<YAML::Mark> stalled_at(std::string const& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    progress_check check;
    while (!check.stuck && parser.HandleNextDocument(check)) {}
    return check.stuck;
}

} // namespace detail::yaml_impl

/// Every document of a YAML stream (`---`-separated), as JSON values; empty documents included
/// as null so indexes match the file. Errors name the line and column.
inline result<std::vector<boost::json::value>, failure> yaml_documents(std::string_view text,
                                                                        yaml_options const& options = {}) {
    auto fail = [](std::string m) { return failure{make_error_code(error::invalid_option), std::move(m)}; };
    std::vector<YAML::Node> nodes;
    try {
        std::string const copy(text);
        if (auto const at = detail::yaml_impl::stalled_at(copy))
            return fail("yaml: line " + std::to_string(at->line + 1 + options.line_offset) + ", column " +
                        std::to_string(at->column + 1) + ": unexpected character (the parser cannot go on)");
        nodes = YAML::LoadAll(copy);
    } catch (YAML::Exception const& e) {
        return fail("yaml: line " + std::to_string(e.mark.line + 1 + options.line_offset) + ", column " +
                    std::to_string(e.mark.column + 1) +
                    ": " + e.msg);
    } catch (std::exception const& e) {
        return fail(std::string("yaml: ") + e.what());
    }
    std::vector<boost::json::value> out;
    out.reserve(nodes.size());
    for (auto const& n : nodes) {
        detail::yaml_impl::converter c;
        c.options = options;
        out.emplace_back(nullptr);
        try {
            if (!c.convert(n, out.back(), 0)) return fail(std::move(c.error));
        } catch (YAML::Exception const& e) {
            return fail(std::string("yaml: ") + e.what());
        }
    }
    return out;
}

} // namespace esx

#endif
