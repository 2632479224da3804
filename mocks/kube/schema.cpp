// esx mocks/kube: custom resources against their version's structural schema
// (versions[].schema.openAPIV3Schema of the CRD), as kube-apiserver treats them on every
// write (create, update, patch, apply, status):
//   1. pruning: fields the schema does not declare are dropped, unless
//      x-kubernetes-preserve-unknown-fields (or an additionalProperties schema, or
//      apiVersion/kind/metadata at the root and in embedded resources) keeps them; under
//      fieldValidation=Strict they are a 400 instead, under Warn (the default) a Warning;
//   2. nulls of fields that are not nullable are dropped (or replaced by their default);
//   3. defaults fill missing fields, nested ones included;
//   4. validation: type (x-kubernetes-int-or-string), format, enum, pattern (RE2, the engine
//      of Go's regexp), min/maxLength, min/maxItems, uniqueItems, min/maxProperties,
//      minimum/maximum, multipleOf, required, allOf/anyOf/oneOf/not,
// with each violation worded as kube-openapi words it and turned into a cause as
// apiextensions-apiserver does (kubeOpenAPIResultToFieldErrors).
// Not checked: x-kubernetes-validations (CEL), list-type set/map uniqueness.
#include "handler.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

namespace esx::mocks::kube::detail {

namespace {

// Go's %v of a JSON number: integers as integers, floats in their shortest form.
std::string number_text(json::value const& v) {
    if (v.is_int64())
        return std::to_string(v.as_int64());
    if (v.is_uint64())
        return std::to_string(v.as_uint64());
    double const d = v.as_double();
    char buf[64];
    auto const r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

// How a bad value is printed in "Invalid value: ...": strings quoted, numbers and booleans bare.
std::string value_text(json::value const& v) {
    if (v.is_string())
        return quote_json(std::string(v.as_string()));
    if (v.is_number())
        return number_text(v);
    if (v.is_bool())
        return v.as_bool() ? "true" : "false";
    if (v.is_null())
        return "null";
    return quote_json(json::serialize(v));
}

// The JSON type of a value, as kube-openapi names it.
std::string type_of(json::value const& v) {
    switch (v.kind()) {
    case json::kind::object: return "object";
    case json::kind::array: return "array";
    case json::kind::string: return "string";
    case json::kind::bool_: return "boolean";
    case json::kind::null: return "null";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    }
    return "null";
}

double as_double(json::value const& v) {
    return v.is_int64() ? static_cast<double>(v.as_int64())
                        : v.is_uint64() ? static_cast<double>(v.as_uint64()) : v.as_double();
}

bool flag(json::object const& s, char const* key) {
    auto const* v = s.if_contains(key);
    return v && v->is_bool() && v->as_bool();
}

std::optional<double> number_of(json::object const& s, char const* key) {
    auto const* v = s.if_contains(key);
    if (!v || !v->is_number())
        return std::nullopt;
    return as_double(*v);
}

std::optional<std::int64_t> count_of(json::object const& s, char const* key) {
    auto const* v = s.if_contains(key);
    if (!v || !v->is_number())
        return std::nullopt;
    return static_cast<std::int64_t>(as_double(*v));
}

// Schema patterns compiled once per process; RE2 is thread-safe once built.
RE2 const& compiled(std::string const& pattern) {
    static std::mutex m;
    static std::map<std::string, std::unique_ptr<RE2>> cache;
    std::lock_guard lock(m);
    auto& re = cache[pattern];
    if (!re) {
        RE2::Options o;
        o.set_log_errors(false);
        re = std::make_unique<RE2>(pattern, o);
    }
    return *re;
}

// Go's regexp.MatchString: a match anywhere unless the pattern anchors itself.
bool matches(std::string const& pattern, std::string const& text) { return RE2::PartialMatch(text, compiled(pattern)); }

// The string formats kube-openapi's registry checks (others are accepted as they are).
bool format_ok(std::string format, std::string const& s) {
    std::erase(format, '-');
    std::erase(format, '_');
    static std::map<std::string, std::string> const patterns = {
        {"datetime", R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)"},
        {"date", R"(^\d{4}-\d{2}-\d{2}$)"},
        {"uuid", R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)"},
        {"uuid3", R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-3[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)"},
        {"uuid4", R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$)"},
        {"uuid5", R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-5[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$)"},
        {"ipv4", R"(^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$)"},
        {"hostname", R"(^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\.?$)"},
        {"duration", R"(^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w))+$|^0$)"},
    };
    if (format == "byte")
        return base64_decode_std(s).has_value();
    if (format == "ipv6")
        return s.find(':') != std::string::npos && matches(R"(^[0-9a-fA-F:.]+$)", s);
    auto it = patterns.find(format);
    return it == patterns.end() || matches(it->second, s);
}

class walker {
public:
    walker(std::vector<cause>& causes, std::vector<std::string>& unknown) : causes_(causes), unknown_(unknown) {}

    // Prunes, defaults and validates `v` (at `path`, "" for the root) against `s`.
    void walk(json::value& v, json::object const& s, std::string const& path, bool root) {
        if (!check_type(v, s, path))
            return;
        if (v.is_object())
            walk_object(v.as_object(), s, path, root || flag(s, "x-kubernetes-embedded-resource"));
        else if (v.is_array())
            walk_array(v.as_array(), s, path);
        check_values(v, s, path);
        check_combinators(v, s, path);
    }

private:
    // "<path> in body ..." as kube-openapi's messages start.
    static std::string subject(std::string const& path) { return path + " in body"; }

    void add(std::string reason, std::string message, std::string const& path) {
        causes_.push_back({std::move(reason), std::move(message), path});
    }
    void invalid(json::value const& v, std::string const& path, std::string const& why) {
        add("FieldValueInvalid", "Invalid value: " + value_text(v) + ": " + why, path);
    }

    bool check_type(json::value const& v, json::object const& s, std::string const& path) {
        std::string const want = str_of(s, "type");
        bool const int_or_string = flag(s, "x-kubernetes-int-or-string");
        if (v.is_null()) {
            if (flag(s, "nullable") || (want.empty() && !int_or_string))
                return false;  // nothing else to check of a null
            std::string const types = int_or_string ? "integer,string" : want;
            add("FieldValueTypeInvalid",
                "Invalid value: \"null\": " + subject(path) + " must be of type " + types + ": \"null\"", path);
            return false;
        }
        std::string const got = type_of(v);
        bool ok = want.empty() || got == want;
        if (!ok && want == "integer" && v.is_double())
            ok = std::floor(v.as_double()) == v.as_double();  // 1.0 is an integer to kube
        if (!ok && want == "number" && got == "integer")
            ok = true;
        if (int_or_string)
            ok = got == "integer" || got == "string";
        if (!ok) {
            std::string const types = int_or_string ? "integer,string" : want;
            add("FieldValueTypeInvalid",
                "Invalid value: \"" + got + "\": " + subject(path) + " must be of type " + types + ": \"" + got + "\"",
                path);
            return false;
        }
        return true;
    }

    void walk_object(json::object& o, json::object const& s, std::string const& path, bool keeps_meta) {
        json::object const* props = obj_of(s, "properties");
        json::object const* additional = obj_of(s, "additionalProperties");
        bool const preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
        auto child_path = [&](std::string_view key) {
            return path.empty() ? std::string(key) : path + "." + std::string(key);
        };
        // 1. prune unknown fields, 2. nulls
        std::vector<std::string> doomed;
        for (auto& [k, child] : o) {
            json::object const* cs = props ? obj_of(*props, k) : nullptr;
            if (!cs && additional)
                cs = additional;
            if (!cs) {
                bool const kept = preserve || (keeps_meta && (k == "apiVersion" || k == "kind" || k == "metadata"));
                if (!kept) {
                    unknown_.push_back(child_path(k));
                    doomed.emplace_back(k);
                }
                continue;
            }
            if (child.is_null() && !flag(*cs, "nullable")) {
                if (auto const* d = cs->if_contains("default"))
                    child = *d;
                else
                    doomed.emplace_back(k);
            }
        }
        for (auto const& k : doomed)
            o.erase(k);
        // 3. defaults
        if (props)
            for (auto const& [k, cs] : *props)
                if (cs.is_object() && !o.contains(k))
                    if (auto const* d = cs.as_object().if_contains("default"))
                        o[k] = *d;
        // 4. the fields themselves, then the object's own rules
        for (auto& [k, child] : o) {
            if (keeps_meta && k == "metadata" && path.empty())
                continue;  // ObjectMeta is validated as such, not by the schema
            json::object const* cs = props ? obj_of(*props, k) : nullptr;
            if (!cs && additional)
                cs = additional;
            if (cs)
                walk(child, *cs, child_path(k), false);
        }
        if (auto const* required = s.if_contains("required"); required && required->is_array())
            for (auto const& r : required->as_array())
                if (r.is_string() && !o.contains(r.as_string()))
                    add("FieldValueRequired", "Required value", child_path(r.as_string()));
        auto const n = static_cast<std::int64_t>(o.size());
        if (auto max = count_of(s, "maxProperties"); max && n > *max)
            add("FieldValueTooMany",
                "Too many: " + std::to_string(n) + ": must have at most " + std::to_string(*max) + " items", path);
        if (auto min = count_of(s, "minProperties"); min && n < *min)
            invalid(json::value(*min), path,
                    subject(path) + " should have at least " + std::to_string(*min) + " properties");
    }

    void walk_array(json::array& a, json::object const& s, std::string const& path) {
        if (json::object const* items = obj_of(s, "items"))
            for (std::size_t i = 0; i < a.size(); ++i)
                walk(a[i], *items, path + "[" + std::to_string(i) + "]", false);
        auto const n = static_cast<std::int64_t>(a.size());
        if (auto min = count_of(s, "minItems"); min && n < *min)
            invalid(json::value(n), path, subject(path) + " should have at least " + std::to_string(*min) + " items");
        if (auto max = count_of(s, "maxItems"); max && n > *max)
            add("FieldValueTooMany",
                "Too many: " + std::to_string(n) + ": must have at most " + std::to_string(*max) + " items", path);
        if (flag(s, "uniqueItems"))
            for (std::size_t i = 0; i < a.size(); ++i)
                for (std::size_t j = i + 1; j < a.size(); ++j)
                    if (a[i] == a[j]) {
                        invalid(json::value(""), path, subject(path) + " shouldn't contain duplicates");
                        return;
                    }
    }

    void check_values(json::value const& v, json::object const& s, std::string const& path) {
        if (auto const* e = s.if_contains("enum"); e && e->is_array()) {
            auto const& values = e->as_array();
            if (std::find(values.begin(), values.end(), v) == values.end()) {
                std::string supported;
                for (auto const& x : values)
                    supported += (supported.empty() ? "" : ", ") +
                                 quote_json(x.is_string() ? std::string(x.as_string()) : json::serialize(x));
                add("FieldValueNotSupported",
                    "Unsupported value: " + value_text(v) + (supported.empty() ? "" : ": supported values: " + supported),
                    path);
            }
        }
        if (v.is_string()) {
            std::string const str(v.as_string());
            // Lengths count characters (runes), not bytes.
            auto const runes = static_cast<std::int64_t>(
                std::count_if(str.begin(), str.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
            if (auto max = count_of(s, "maxLength"); max && runes > *max)
                add("FieldValueTooLong", "Too long: may not be longer than " + std::to_string(*max), path);
            if (auto min = count_of(s, "minLength"); min && runes < *min)
                invalid(v, path, subject(path) + " should be at least " + std::to_string(*min) + " chars long");
            if (std::string const p = str_of(s, "pattern"); !p.empty() && !matches(p, str))
                invalid(v, path, subject(path) + " should match '" + p + "'");
            if (std::string const f = str_of(s, "format"); !f.empty() && !format_ok(f, str))
                add("FieldValueTypeInvalid",
                    "Invalid value: " + value_text(v) + ": " + subject(path) + " must be of type " + f + ": " + value_text(v),
                    path);
        }
        if (v.is_number()) {
            double const d = as_double(v);
            auto bound = [&](char const* key, char const* exclusive_key, bool upper) {
                auto limit = number_of(s, key);
                if (!limit)
                    return;
                bool const exclusive = flag(s, exclusive_key);
                bool const bad = upper ? (exclusive ? d >= *limit : d > *limit) : (exclusive ? d <= *limit : d < *limit);
                if (bad)
                    invalid(v, path,
                            subject(path) + " should be " + (upper ? "less than" : "greater than") +
                                (exclusive ? "" : " or equal to") + " " + number_text(json::value(*limit)));
            };
            bound("maximum", "exclusiveMaximum", true);
            bound("minimum", "exclusiveMinimum", false);
            if (auto m = number_of(s, "multipleOf"); m && *m > 0) {
                double const q = d / *m;
                if (std::floor(q) != q)
                    invalid(v, path, subject(path) + " should be a multiple of " + number_text(json::value(*m)));
            }
        }
    }

    // Value validations in allOf/anyOf/oneOf/not (structural schemas allow nothing else there).
    void check_combinators(json::value const& v, json::object const& s, std::string const& path) {
        auto passes = [&](json::object const& sub) {
            std::vector<cause> scratch;
            std::vector<std::string> ignored;
            json::value copy = v;
            walker(scratch, ignored).check(copy, sub, path);
            return scratch.empty();
        };
        if (auto const* all = s.if_contains("allOf"); all && all->is_array())
            for (auto const& sub : all->as_array())
                if (sub.is_object()) {
                    json::value copy = v;
                    check(copy, sub.as_object(), path);
                }
        if (auto const* any = s.if_contains("anyOf"); any && any->is_array()) {
            bool ok = false;
            for (auto const& sub : any->as_array())
                ok = ok || (sub.is_object() && passes(sub.as_object()));
            if (!ok)
                invalid(v, path, "\"" + path + "\" must validate at least one schema (anyOf)");
        }
        if (auto const* one = s.if_contains("oneOf"); one && one->is_array()) {
            int n = 0;
            for (auto const& sub : one->as_array())
                n += sub.is_object() && passes(sub.as_object()) ? 1 : 0;
            if (n != 1)
                invalid(v, path, "\"" + path + "\" must validate one and only one schema (oneOf)");
        }
        if (auto const* no = obj_of(s, "not"); no && passes(*no))
            invalid(v, path, "\"" + path + "\" must not validate the schema (not)");
    }

    // Validation only (no pruning or defaults): what a combinator branch asks of the value.
    void check(json::value& v, json::object const& s, std::string const& path) {
        std::string const want = str_of(s, "type");
        if (!want.empty() && !check_type(v, s, path))
            return;
        check_values(v, s, path);
        check_combinators(v, s, path);
    }

    std::vector<cause>& causes_;
    std::vector<std::string>& unknown_;
};

}  // namespace

void api_handler::validate_schema(resource_info const& ri, json::object& o, std::vector<cause>& causes) {
    if (ri.schema.empty())
        return;
    json::value doc = std::move(o);
    std::vector<std::string> unknown;
    walker(causes, unknown).walk(doc, ri.schema, "", true);
    o = std::move(doc.as_object());
    if (unknown.empty() || field_validation_ == "Ignore")
        return;
    if (field_validation_ == "Strict") {
        std::string list;
        for (auto const& f : unknown)
            list += (list.empty() ? "" : ", ") + std::string("unknown field \"") + f + "\"";
        throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " + ri.kind +
                          ": strict decoding error: " + list);
    }
    for (auto const& f : unknown)
        warnings_.push_back("unknown field \"" + f + "\"");
}

}  // namespace esx::mocks::kube::detail
