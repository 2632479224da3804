// esx mocks/kube: the whole mock API server in one translation unit (Beast,
// Boost.JSON and OpenSSL are expensive to compile; see server.hpp).
//
// Layout of this file:
//   1. helpers: strings, base64, time, ids, Status errors
//   2. resource registry (built-ins + CRD-driven) and discovery documents
//   3. selectors, JSON path, patches (merge, JSON patch, strategic, apply)
//   4. the store: objects, resourceVersion, events, watchers, GC
//   5. validation (names, Secrets, ConfigMaps, CRDs)
//   6. the API handler (verbs, auth, RBAC, Table output, TokenRequest, OIDC)
//   7. connections (TLS + plain), watch streaming, control endpoint
//   8. server: listeners, PKI, kubeconfig, wiring
#include "server.hpp"
#include "yaml_json.hpp"

#include "mocks/common/pki.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <future>
#include <tuple>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace esx::mocks::kube {

namespace {

namespace json = boost::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using request = http::request<http::string_body>;

// ---------------------------------------------------------------------------
// 1. helpers

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t const p = s.find(sep, start);
        out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
        if (p == std::string_view::npos)
            break;
        start = p + 1;
    }
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return std::string(s);
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            auto hex = [](char h) -> int {
                if (h >= '0' && h <= '9') return h - '0';
                if (h >= 'a' && h <= 'f') return h - 'a' + 10;
                if (h >= 'A' && h <= 'F') return h - 'A' + 10;
                return -1;
            };
            int const hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += (plus_is_space && c == '+') ? ' ' : c;
    }
    return out;
}

char const b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
char const b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64_encode(std::string_view in, bool url = false) {
    char const* alphabet = url ? b64_url : b64_std;
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        std::uint32_t const v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                                std::uint8_t(in[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    std::size_t const rest = in.size() - i;
    if (rest > 0) {
        std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
        if (rest == 2)
            v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (rest == 2)
            out += alphabet[(v >> 6) & 63];
        if (!url)
            out += rest == 2 ? "=" : "==";
    }
    return out;
}

// Standard, padded base64 as Go's encoding/json decodes []byte: anything else
// (bad characters, missing padding) fails.
std::optional<std::string> base64_decode_std(std::string_view in) {
    if (in.size() % 4 != 0)
        return std::nullopt;
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char const c = in[i + k];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                v[k] = 0;
                ++pad;
            } else {
                if (pad)
                    return std::nullopt;
                v[k] = val(c);
                if (v[k] < 0)
                    return std::nullopt;
            }
        }
        std::uint32_t const n = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) | (std::uint32_t(v[2]) << 6) |
                                std::uint32_t(v[3]);
        out += static_cast<char>((n >> 16) & 255);
        if (pad < 2)
            out += static_cast<char>((n >> 8) & 255);
        if (pad < 1)
            out += static_cast<char>(n & 255);
    }
    return out;
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(std::int64_t t) {
    std::time_t const tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Parses RFC 3339 with "Z" or a numeric offset and optional fractions
// (python3-kubernetes sends "+00:00"). Returns nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    std::tm tm{};
    int y, mo, d, h, mi, se;
    if (s.size() < 20 || std::sscanf(std::string(s.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
                                     &se) != 6)
        return std::nullopt;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    std::int64_t t = timegm(&tm);
    std::size_t i = 19;
    if (i < s.size() && s[i] == '.')
        for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
        }
    if (i < s.size() && (s[i] == '+' || s[i] == '-') && i + 6 <= s.size()) {
        int oh = 0, om = 0;
        if (std::sscanf(std::string(s.substr(i + 1, 5)).c_str(), "%2d:%2d", &oh, &om) != 2)
            return std::nullopt;
        int const sign = s[i] == '+' ? 1 : -1;
        t -= sign * (oh * 3600 + om * 60);
    }
    return t;
}

// kubectl-like human age: 45s, 3m12s, 25m, 5h10m, 30h, 3d.
std::string human_age(std::int64_t secs) {
    if (secs < 0)
        secs = 0;
    if (secs < 120)
        return std::to_string(secs) + "s";
    std::int64_t const m = secs / 60;
    if (m < 10)
        return std::to_string(m) + "m" + (secs % 60 ? std::to_string(secs % 60) + "s" : "");
    if (m < 180)
        return std::to_string(m) + "m";
    std::int64_t const h = m / 60;
    if (h < 8)
        return std::to_string(h) + "h" + (m % 60 ? std::to_string(m % 60) + "m" : "");
    if (h < 48)
        return std::to_string(h) + "h";
    return std::to_string(h / 24) + "d";
}

std::string random_bytes(std::size_t n) {
    std::string b(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return b;
}

std::string uuid() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
    static char const digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        out += digits[static_cast<unsigned char>(b[i]) >> 4];
        out += digits[static_cast<unsigned char>(b[i]) & 15];
    }
    return out;
}

// generateName suffix: 5 characters from the apiserver's alphabet (no vowels).
std::string name_suffix() {
    static char const alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string b = random_bytes(5), out;
    for (char c : b)
        out += alphabet[static_cast<unsigned char>(c) % (sizeof alphabet - 1)];
    return out;
}

template <class Pred>
void erase_values(json::array& a, Pred pred) {
    for (std::size_t i = a.size(); i-- > 0;)
        if (pred(a[i]))
            a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
}

bool parse_bool(std::string_view v) {
    return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
}

std::string str_of(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

json::object const* obj_of(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

json::object& ensure_obj(json::object& o, std::string_view key) {
    json::value& v = o[key];
    if (!v.is_object())
        v.emplace_object();
    return v.as_object();
}

json::object& meta(json::object& o) { return ensure_obj(o, "metadata"); }

json::object const& cmeta(json::object const& o) {
    static json::object const empty;
    auto const* m = obj_of(o, "metadata");
    return m ? *m : empty;
}

// A non-2xx answer as the apiserver builds it (a meta/v1 Status).
struct api_error {
    unsigned code;
    json::object status;
    std::vector<std::pair<std::string, std::string>> headers;
};

struct cause {
    std::string reason;   // FieldValueInvalid, FieldValueRequired, ...
    std::string message;  // e.g. Invalid value: "x": ...
    std::string field;
};

api_error make_error(unsigned code, std::string reason, std::string message, json::object details = {}) {
    json::object s;
    s["kind"] = "Status";
    s["apiVersion"] = "v1";
    s["metadata"] = json::object();
    s["status"] = "Failure";
    s["message"] = message;
    s["reason"] = reason;
    if (!details.empty())
        s["details"] = std::move(details);
    s["code"] = code;
    return api_error{code, std::move(s), {}};
}

api_error bad_request(std::string message) { return make_error(400, "BadRequest", std::move(message)); }

api_error not_found_path() {
    return make_error(404, "NotFound", "the server could not find the requested resource",
                      json::object{{"causes", json::array{json::object{{"reason", "UnexpectedServerResponse"},
                                                                       {"message", "404 page not found"}}}}});
}

// ---------------------------------------------------------------------------
// 2. resource registry

struct resource_info {
    std::string group, version, plural, singular, kind;
    bool namespaced = true;
    std::vector<std::string> short_names, categories;
    bool status_sub = false;  // <plural>/status served, status split from the main resource
    bool custom = false;      // a CRD-defined resource: generation, status dropped on create
    bool generation = false;  // metadata.generation maintained
    json::array printer_columns;  // CRD additionalPrinterColumns
    std::vector<std::string> extra_subresources;  // e.g. "token" for serviceaccounts

    // events.k8s.io/v1 events share core/v1's storage (stored in the core shape).
    bool new_events() const { return group == "events.k8s.io" && plural == "events"; }
    std::string storage() const { return new_events() ? std::string("/events") : group + "/" + plural; }
    std::string group_version() const { return group.empty() ? version : group + "/" + version; }
    std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
    std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
};

json::object name_details(resource_info const& ri, std::string const& name) {
    json::object d{{"name", name}};
    if (!ri.group.empty())
        d["group"] = ri.group;
    d["kind"] = ri.plural;
    return d;
}

api_error not_found(resource_info const& ri, std::string const& name) {
    return make_error(404, "NotFound", ri.qualified() + " \"" + name + "\" not found", name_details(ri, name));
}

api_error already_exists(resource_info const& ri, std::string const& name) {
    return make_error(409, "AlreadyExists", ri.qualified() + " \"" + name + "\" already exists", name_details(ri, name));
}

api_error conflict(resource_info const& ri, std::string const& name,
                   std::string const& why = "the object has been modified; please apply your changes to the latest "
                                            "version and try again") {
    return make_error(409, "Conflict", "Operation cannot be fulfilled on " + ri.qualified() + " \"" + name + "\": " + why,
                      name_details(ri, name));
}

api_error invalid(resource_info const& ri, std::string const& name, std::vector<cause> const& causes) {
    std::string detail;
    if (causes.size() > 1)
        detail += "[";
    json::array cs;
    for (std::size_t i = 0; i < causes.size(); ++i) {
        if (i)
            detail += ", ";
        detail += causes[i].field + ": " + causes[i].message;
        cs.push_back(json::object{{"reason", causes[i].reason}, {"message", causes[i].message}, {"field", causes[i].field}});
    }
    if (causes.size() > 1)
        detail += "]";
    json::object d{{"name", name}};
    if (!ri.group.empty())
        d["group"] = ri.group;
    d["kind"] = ri.kind;
    d["causes"] = std::move(cs);
    return make_error(422, "Invalid", ri.qualified_kind() + " \"" + name + "\" is invalid: " + detail, std::move(d));
}

std::vector<std::string> const all_verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};

// Kubernetes version priority: GA > beta > alpha, higher numbers first;
// anything else sorts last, alphabetically.
bool version_before(std::string const& a, std::string const& b) {
    auto key = [](std::string const& v) {
        int major = 0, minor = 0, level = 0;  // level: 3 GA, 2 beta, 1 alpha, 0 other
        char kind[8] = {0};
        if (std::sscanf(v.c_str(), "v%d%7[a-z]%d", &major, kind, &minor) >= 1) {
            std::string const k = kind;
            level = k.empty() ? 3 : k == "beta" ? 2 : k == "alpha" ? 1 : 0;
            if (level == 3 && v != "v" + std::to_string(major))
                level = 0;
        }
        return std::tuple(level, major, minor);
    };
    auto const ka = key(a), kb = key(b);
    if (ka != kb)
        return ka > kb;
    return a < b;
}

// core/v1 Event <-> events.k8s.io/v1 Event: the same object under other field names.
json::object convert_event(json::object o, bool to_core) {
    static std::pair<char const*, char const*> const names[] = {
        {"involvedObject", "regarding"},      {"message", "note"},
        {"reportingComponent", "reportingController"}, {"source", "deprecatedSource"},
        {"firstTimestamp", "deprecatedFirstTimestamp"}, {"lastTimestamp", "deprecatedLastTimestamp"},
        {"count", "deprecatedCount"}};
    json::object out;
    for (auto const& [k, v] : o) {
        std::string key(k);
        for (auto const& [core, next] : names) {
            if (to_core && key == next) {
                key = core;
                break;
            }
            if (!to_core && key == core) {
                key = next;
                break;
            }
        }
        out[key] = v;
    }
    if (to_core && !out.contains("involvedObject"))
        out["involvedObject"] = json::object{};  // a struct, never absent, in core/v1
    return out;
}

// ---------------------------------------------------------------------------
// 3. selectors, JSON path, patches

struct label_requirement {
    enum op_t { eq, ne, in, notin, exists, not_exists } op;
    std::string key;
    std::vector<std::string> values;
};

// labelSelector: a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a; comma-separated.
std::vector<label_requirement> parse_label_selector(std::string const& s) {
    std::vector<label_requirement> out;
    std::vector<std::string> terms;
    int depth = 0;
    std::string cur;
    for (char c : s) {
        if (c == '(')
            ++depth;
        if (c == ')')
            --depth;
        if (c == ',' && depth == 0) {
            terms.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    terms.push_back(cur);
    for (auto const& raw : terms) {
        std::string const t = trim(raw);
        if (t.empty())
            continue;
        label_requirement r{};
        auto set_values = [&](std::string const& rest) {
            std::string v = trim(rest);
            if (v.size() < 2 || v.front() != '(' || v.back() != ')')
                throw bad_request("unable to parse requirement: found '" + v + "', expected: '('");
            for (auto const& x : split(v.substr(1, v.size() - 2), ','))
                r.values.push_back(trim(x));
        };
        std::size_t p;
        if (t[0] == '!') {
            r.op = label_requirement::not_exists;
            r.key = trim(t.substr(1));
        } else if ((p = t.find("!=")) != std::string::npos) {
            r.op = label_requirement::ne;
            r.key = trim(t.substr(0, p));
            r.values.push_back(trim(t.substr(p + 2)));
        } else if ((p = t.find("==")) != std::string::npos) {
            r.op = label_requirement::eq;
            r.key = trim(t.substr(0, p));
            r.values.push_back(trim(t.substr(p + 2)));
        } else if ((p = t.find('=')) != std::string::npos) {
            r.op = label_requirement::eq;
            r.key = trim(t.substr(0, p));
            r.values.push_back(trim(t.substr(p + 1)));
        } else if ((p = t.find(" notin ")) != std::string::npos) {
            r.op = label_requirement::notin;
            r.key = trim(t.substr(0, p));
            set_values(t.substr(p + 7));
        } else if ((p = t.find(" in ")) != std::string::npos) {
            r.op = label_requirement::in;
            r.key = trim(t.substr(0, p));
            set_values(t.substr(p + 4));
        } else {
            r.op = label_requirement::exists;
            r.key = t;
        }
        if (r.key.empty())
            throw bad_request("unable to parse requirement: \"" + t + "\"");
        out.push_back(std::move(r));
    }
    return out;
}

bool labels_match(std::vector<label_requirement> const& sel, json::object const& obj) {
    json::object const* labels = obj_of(cmeta(obj), "labels");
    for (auto const& r : sel) {
        json::value const* v = labels ? labels->if_contains(r.key) : nullptr;
        std::optional<std::string> val;
        if (v && v->is_string())
            val = std::string(v->as_string());
        bool const in_values = val && std::find(r.values.begin(), r.values.end(), *val) != r.values.end();
        switch (r.op) {
        case label_requirement::eq:
        case label_requirement::in:
            if (!in_values)
                return false;
            break;
        case label_requirement::ne:
        case label_requirement::notin:
            if (in_values)
                return false;
            break;
        case label_requirement::exists:
            if (!val)
                return false;
            break;
        case label_requirement::not_exists:
            if (val)
                return false;
            break;
        }
    }
    return true;
}

struct field_requirement {
    std::string field;
    bool equal;
    std::string value;
};

std::vector<field_requirement> parse_field_selector(std::string const& s, resource_info const& ri) {
    std::vector<field_requirement> out;
    for (auto const& raw : split(s, ',')) {
        std::string const t = trim(raw);
        if (t.empty())
            continue;
        field_requirement r;
        std::size_t p;
        if ((p = t.find("!=")) != std::string::npos) {
            r = {trim(t.substr(0, p)), false, trim(t.substr(p + 2))};
        } else if ((p = t.find("==")) != std::string::npos) {
            r = {trim(t.substr(0, p)), true, trim(t.substr(p + 2))};
        } else if ((p = t.find('=')) != std::string::npos) {
            r = {trim(t.substr(0, p)), true, trim(t.substr(p + 1))};
        } else {
            throw bad_request("invalid selector: '" + t + "'; can't understand '" + t + "'");
        }
        // The selectable fields of the real types (metadata.* for all; a few per type).
        bool const core_events = ri.plural == "events" && ri.group.empty();
        bool const ok = r.field == "metadata.name" || r.field == "metadata.namespace" ||
                        (ri.plural == "secrets" && ri.group.empty() && r.field == "type") ||
                        (ri.plural == "namespaces" && ri.group.empty() && r.field == "status.phase") ||
                        (core_events && (r.field.starts_with("involvedObject.") || r.field == "reason" ||
                                         r.field == "type" || r.field == "source" || r.field == "reportingComponent"));
        if (!ok)
            throw bad_request("field label not supported: " + r.field);
        out.push_back(std::move(r));
    }
    return out;
}

bool fields_match(std::vector<field_requirement> const& sel, json::object const& obj) {
    for (auto const& r : sel) {
        std::string v;
        if (r.field == "source") {
            if (auto const* src = obj_of(obj, "source"))
                v = str_of(*src, "component");
        } else {
            json::object const* cur = &obj;
            auto const parts = split(r.field, '.');
            for (std::size_t i = 0; cur && i < parts.size(); ++i) {
                if (i + 1 == parts.size()) {
                    v = str_of(*cur, parts[i]);
                } else {
                    cur = obj_of(*cur, parts[i]);
                }
            }
        }
        if ((v == r.value) != r.equal)
            return false;
    }
    return true;
}

// The JSONPath subset of CRD printer columns: .a.b, [n], [?(@.k=="v")].
json::value const* eval_json_path(json::value const& root, std::string const& path) {
    json::value const* cur = &root;
    std::size_t i = 0;
    while (i < path.size() && cur) {
        if (path[i] == '.') {
            std::size_t j = i + 1;
            while (j < path.size() && path[j] != '.' && path[j] != '[')
                ++j;
            std::string const key = path.substr(i + 1, j - i - 1);
            if (key.empty()) {
                i = j;
                continue;
            }
            cur = cur->is_object() ? cur->as_object().if_contains(key) : nullptr;
            i = j;
        } else if (path[i] == '[') {
            std::size_t const j = path.find(']', i);
            if (j == std::string::npos)
                return nullptr;
            std::string const inner = path.substr(i + 1, j - i - 1);
            if (!cur->is_array())
                return nullptr;
            auto const& arr = cur->as_array();
            if (!inner.empty() && inner[0] == '?') {
                // ?(@.key=="value")
                std::size_t const at = inner.find("@.");
                std::size_t const eq = inner.find("==");
                if (at == std::string::npos || eq == std::string::npos)
                    return nullptr;
                std::string const key = inner.substr(at + 2, eq - at - 2);
                std::string value = trim(inner.substr(eq + 2));
                while (!value.empty() && value.back() == ')')
                    value.pop_back();
                if (value.size() >= 2 && (value.front() == '"' || value.front() == '\''))
                    value = value.substr(1, value.size() - 2);
                json::value const* found = nullptr;
                for (auto const& e : arr)
                    if (e.is_object() && str_of(e.as_object(), key) == value) {
                        found = &e;
                        break;
                    }
                cur = found;
            } else {
                std::size_t const n = static_cast<std::size_t>(std::atoi(inner.c_str()));
                cur = n < arr.size() ? &arr[n] : nullptr;
            }
            i = j + 1;
        } else {
            return nullptr;
        }
    }
    return cur;
}

// RFC 7386.
void merge_patch(json::value& target, json::value const& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object())
        target.emplace_object();
    auto& t = target.as_object();
    for (auto const& [k, v] : patch.as_object()) {
        if (v.is_null()) {
            t.erase(k);
        } else {
            merge_patch(t[k], v);
        }
    }
}

// Strategic merge patch, reduced to what built-in objects in this mock need:
// merge-patch semantics, plus the ObjectMeta lists that merge by key
// (ownerReferences by uid, finalizers as a set) and `$patch: delete|replace`.
void strategic_merge(json::value& target, json::value const& patch, std::string const& path) {
    if (!patch.is_object()) {
        if (patch.is_array() && target.is_array() && (path == "/metadata/finalizers")) {
            auto& t = target.as_array();
            for (auto const& e : patch.as_array())
                if (std::find(t.begin(), t.end(), e) == t.end())
                    t.push_back(e);
            return;
        }
        // Lists of objects that merge by a key (the patchMergeKey of the Go types served here).
        std::string const merge_key = path == "/metadata/ownerReferences"                     ? "uid"
                                      : path == "/secrets" || path == "/imagePullSecrets" ? "name"
                                                                                          : "";
        if (patch.is_array() && target.is_array() && !merge_key.empty()) {
            auto& t = target.as_array();
            for (auto const& e : patch.as_array()) {
                if (!e.is_object())
                    continue;
                std::string const uid = str_of(e.as_object(), merge_key);
                bool const del = str_of(e.as_object(), "$patch") == "delete";
                auto it = std::find_if(t.begin(), t.end(), [&](json::value const& x) {
                    return x.is_object() && str_of(x.as_object(), merge_key) == uid;
                });
                if (del) {
                    if (it != t.end())
                        t.erase(it);
                } else if (it != t.end()) {
                    merge_patch(*it, e);
                } else {
                    t.push_back(e);
                }
            }
            return;
        }
        target = patch;
        return;
    }
    auto const& p = patch.as_object();
    std::string const directive = str_of(p, "$patch");
    if (directive == "replace") {
        json::object copy = p;
        copy.erase("$patch");
        target = std::move(copy);
        return;
    }
    if (directive == "delete") {
        target = nullptr;
        return;
    }
    if (!target.is_object())
        target.emplace_object();
    auto& t = target.as_object();
    for (auto const& [k, v] : p) {
        if (k.starts_with("$"))
            continue;
        if (v.is_null())
            t.erase(k);
        else
            strategic_merge(t[k], v, path + "/" + std::string(k));
    }
}

// RFC 6901 pointer resolution for RFC 6902.
std::vector<std::string> parse_pointer(std::string const& ptr) {
    if (ptr.empty())
        return {};
    if (ptr[0] != '/')
        throw bad_request("the server rejected our request due to an error in our request: invalid JSON pointer " + ptr);
    std::vector<std::string> parts = split(std::string_view(ptr).substr(1), '/');
    for (auto& p : parts) {
        std::string out;
        for (std::size_t i = 0; i < p.size(); ++i) {
            if (p[i] == '~' && i + 1 < p.size()) {
                out += p[i + 1] == '1' ? '/' : '~';
                ++i;
            } else {
                out += p[i];
            }
        }
        p = out;
    }
    return parts;
}

[[noreturn]] void json_patch_fail(std::string const& what) {
    throw make_error(422, "Invalid", "the server rejected our request due to an error in our request: " + what);
}

json::value* pointer_parent(json::value& doc, std::vector<std::string> const& parts) {
    json::value* cur = &doc;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        if (cur->is_object()) {
            cur = cur->as_object().if_contains(parts[i]);
        } else if (cur->is_array()) {
            std::size_t const n = static_cast<std::size_t>(std::atoll(parts[i].c_str()));
            cur = n < cur->as_array().size() ? &cur->as_array()[n] : nullptr;
        } else {
            cur = nullptr;
        }
        if (!cur)
            json_patch_fail("doc is missing path: /" + parts[i]);
    }
    return cur;
}

json::value json_pointer_get(json::value& doc, std::string const& ptr) {
    auto parts = parse_pointer(ptr);
    if (parts.empty())
        return doc;
    json::value* parent = pointer_parent(doc, parts);
    if (parent->is_object()) {
        if (auto* v = parent->as_object().if_contains(parts.back()))
            return *v;
    } else if (parent->is_array()) {
        std::size_t const n = static_cast<std::size_t>(std::atoll(parts.back().c_str()));
        if (n < parent->as_array().size())
            return parent->as_array()[n];
    }
    json_patch_fail("doc is missing path: " + ptr);
}

void json_pointer_remove(json::value& doc, std::string const& ptr) {
    auto parts = parse_pointer(ptr);
    json::value* parent = pointer_parent(doc, parts);
    if (parent->is_object() && parent->as_object().erase(parts.back()))
        return;
    if (parent->is_array()) {
        std::size_t const n = static_cast<std::size_t>(std::atoll(parts.back().c_str()));
        if (n < parent->as_array().size()) {
            parent->as_array().erase(parent->as_array().begin() + static_cast<std::ptrdiff_t>(n));
            return;
        }
    }
    json_patch_fail("unable to remove nonexistent key: " + ptr);
}

void json_pointer_add(json::value& doc, std::string const& ptr, json::value v, bool replace) {
    auto parts = parse_pointer(ptr);
    if (parts.empty()) {
        doc = std::move(v);
        return;
    }
    json::value* parent = pointer_parent(doc, parts);
    if (parent->is_object()) {
        auto& o = parent->as_object();
        if (replace && !o.contains(parts.back()))
            json_patch_fail("doc is missing key: " + ptr);
        o[parts.back()] = std::move(v);
    } else if (parent->is_array()) {
        auto& a = parent->as_array();
        if (parts.back() == "-") {
            a.push_back(std::move(v));
            return;
        }
        std::size_t const n = static_cast<std::size_t>(std::atoll(parts.back().c_str()));
        if (replace) {
            if (n >= a.size())
                json_patch_fail("doc is missing key: " + ptr);
            a[n] = std::move(v);
        } else {
            if (n > a.size())
                json_patch_fail("index out of bounds: " + ptr);
            a.insert(a.begin() + static_cast<std::ptrdiff_t>(n), std::move(v));
        }
    } else {
        json_patch_fail("doc is missing path: " + ptr);
    }
}

void json_patch(json::value& doc, json::value const& patch) {
    if (!patch.is_array())
        throw bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    for (auto const& opv : patch.as_array()) {
        if (!opv.is_object())
            throw bad_request("json: cannot unmarshal into Go value of type jsonpatch.Operation");
        auto const& op = opv.as_object();
        std::string const kind = str_of(op, "op"), path = str_of(op, "path");
        json::value const* value = op.if_contains("value");
        if (kind == "add" || kind == "replace") {
            if (!value)
                json_patch_fail("missing value for " + kind);
            json_pointer_add(doc, path, *value, kind == "replace");
        } else if (kind == "remove") {
            json_pointer_remove(doc, path);
        } else if (kind == "move" || kind == "copy") {
            json::value v = json_pointer_get(doc, str_of(op, "from"));
            if (kind == "move")
                json_pointer_remove(doc, str_of(op, "from"));
            json_pointer_add(doc, path, std::move(v), false);
        } else if (kind == "test") {
            if (!value || json_pointer_get(doc, path) != *value)
                json_patch_fail("testing value " + path + " failed");
        } else {
            json_patch_fail("Unexpected kind: " + kind);
        }
    }
}

// Leaf field paths of an object, as managedFields "f:" paths (server-side
// apply ownership). Maps recurse; lists and scalars are leaves.
// Field paths join keys with a unit separator: keys may contain '.' and '/'.
constexpr char sep = '\x1f';

std::string dotted(std::string p) {
    std::replace(p.begin(), p.end(), sep, '.');
    return p;
}

void leaf_paths(json::value const& v, std::string const& prefix, std::set<std::string>& out) {
    if (v.is_object() && !v.as_object().empty()) {
        for (auto const& [k, x] : v.as_object())
            leaf_paths(x, prefix + sep + std::string(k), out);
    } else {
        out.insert(prefix);
    }
}

json::object fields_v1(std::set<std::string> const& paths) {
    json::object root;
    for (auto const& p : paths) {
        json::object* cur = &root;
        for (auto const& part : split(std::string_view(p).substr(1), sep))
            cur = &ensure_obj(*cur, "f:" + part);
    }
    return root;
}

void fields_v1_paths(json::object const& f, std::string const& prefix, std::set<std::string>& out) {
    if (f.empty()) {
        out.insert(prefix);
        return;
    }
    for (auto const& [k, v] : f) {
        std::string_view key = k;
        if (!key.starts_with("f:") || !v.is_object())
            continue;
        fields_v1_paths(v.as_object(), prefix + sep + std::string(key.substr(2)), out);
    }
}

json::value const* value_at_path(json::value const& doc, std::string const& path) {
    json::value const* cur = &doc;
    for (auto const& part : split(std::string_view(path).substr(1), sep)) {
        if (!cur->is_object())
            return nullptr;
        cur = cur->as_object().if_contains(part);
        if (!cur)
            return nullptr;
    }
    return cur;
}

// ---------------------------------------------------------------------------
// 4. store

struct event_record {
    std::uint64_t rv;
    std::string type;  // ADDED, MODIFIED, DELETED
    std::string storage;
    std::string ns;
    std::shared_ptr<json::object const> old_obj;  // before (MODIFIED), null otherwise
    std::shared_ptr<json::object const> obj;
    std::size_t bytes = 0;  // approximate memory held, for the history cap
};

class stream_sink {
public:
    virtual ~stream_sink() = default;
    virtual void send_chunk(std::string payload) = 0;
    virtual void end_stream() = 0;
    virtual void abort_stream() = 0;
};

struct watch_state {
    resource_info ri;  // the version that was asked for (apiVersion of events)
    std::string ns;    // "" = all namespaces
    std::vector<label_requirement> labels;
    std::vector<field_requirement> fields;
    bool bookmarks = false;
    bool table = false;
    std::weak_ptr<stream_sink> sink;
};

struct fault {
    unsigned status = 0;         // 0 = latency only
    std::size_t count = 1;       // how many matching requests it applies to
    std::string method;          // "" = any
    std::string path_prefix;     // "" = any
    std::chrono::milliseconds latency{0};
    std::size_t retry_after = 1; // seconds, for 429/503
};

struct user_rule {
    std::vector<std::string> verbs, resources, api_groups, namespaces;
};

struct user_entry {
    std::string name;
    std::vector<std::string> groups;
    std::optional<std::vector<user_rule>> rules;  // nullopt: unrestricted
};

struct issued_token {
    std::string user;
    std::int64_t expires;
};

bool list_has(std::vector<std::string> const& l, std::string const& v) {
    return l.empty() || std::find(l.begin(), l.end(), "*") != l.end() || std::find(l.begin(), l.end(), v) != l.end();
}

struct http_reply {
    unsigned code = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};
    bool close = false;
    // Set for a watch: the stream registers this sink and keeps the connection.
    std::shared_ptr<watch_state> watch;
    std::vector<std::string> initial_chunks;
    std::chrono::seconds watch_timeout{0};
};

// ---------------------------------------------------------------------------
// 5 + 6. the API (state, validation, verbs)

struct api_state {
    mutable std::mutex m;
    std::map<std::string, std::vector<resource_info>> gvs;  // group-version -> resources
    std::vector<std::string> group_order;                     // groups as first registered ("" first)
    std::map<std::string, json::object> objects;              // storage/ns/name -> object
    std::set<std::string> uids;                               // of every stored object (GC lookups)
    std::uint64_t rv = 1;
    std::deque<event_record> history;
    std::uint64_t compacted_rv = 0;
    std::size_t window = 1000;
    std::size_t history_bytes = 0;
    static constexpr std::size_t max_history_bytes = 64 * 1024 * 1024;
    std::vector<std::shared_ptr<watch_state>> watches;
    std::uint64_t discovery_generation = 1;
    std::map<std::string, user_entry> tokens;                 // bearer -> user
    std::map<std::string, user_entry> users;                  // name -> user (rules for minted SA tokens)
    std::map<std::string, issued_token> minted;
    std::string first_token;
    std::deque<request_record> log;
    std::vector<fault> faults;
    std::string server_url;
    // service-account signing key
    std::shared_ptr<EVP_PKEY> sa_key;
    std::string kid, jwk_n, jwk_e;

    // The service-account issuer's public keys, as served at /openid/v1/jwks.
    json::object jwks() const {
        return json::object{{"keys", json::array{json::object{
                                         {"use", "sig"}, {"kty", "RSA"}, {"kid", kid}, {"alg", "RS256"}, {"n", jwk_n}, {"e", jwk_e}}}}};
    }

    // ----- registry

    void add_resource(resource_info ri) {
        std::string const gv = ri.group_version();
        if (std::find(group_order.begin(), group_order.end(), ri.group) == group_order.end())
            group_order.push_back(ri.group);
        auto& list = gvs[gv];
        std::erase_if(list, [&](resource_info const& x) { return x.plural == ri.plural; });
        list.push_back(std::move(ri));
        ++discovery_generation;
    }

    resource_info const* find(std::string const& group, std::string const& version, std::string const& plural) const {
        auto it = gvs.find(group.empty() ? version : group + "/" + version);
        if (it == gvs.end())
            return nullptr;
        for (auto const& r : it->second)
            if (r.plural == plural)
                return &r;
        return nullptr;
    }

    std::vector<std::string> versions_of(std::string const& group) const {
        std::vector<std::string> out;
        for (auto const& [gv, list] : gvs) {
            if (list.empty())
                continue;
            if (list.front().group == group)
                out.push_back(list.front().version);
        }
        std::sort(out.begin(), out.end(), version_before);
        return out;
    }

    void register_builtins() {
        auto add = [&](std::string g, std::string v, std::string plural, std::string singular, std::string kind, bool ns,
                       std::vector<std::string> shorts, bool status = false) {
            resource_info ri;
            ri.group = std::move(g);
            ri.version = std::move(v);
            ri.plural = std::move(plural);
            ri.singular = std::move(singular);
            ri.kind = std::move(kind);
            ri.namespaced = ns;
            ri.short_names = std::move(shorts);
            ri.status_sub = status;
            add_resource(std::move(ri));
        };
        add("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, true);
        add("", "v1", "secrets", "secret", "Secret", true, {});
        add("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"});
        add("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"});
        gvs["v1"].back().extra_subresources = {"token"};
        add("", "v1", "events", "event", "Event", true, {"ev"});
        add("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
            "CustomResourceDefinition", false, {"crd", "crds"}, true);
        gvs["apiextensions.k8s.io/v1"].back().generation = true;
        add("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {});
        add("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"});
        add("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
            "SelfSubjectAccessReview", false, {});
    }

    // ----- discovery documents

    json::object api_versions() const {
        return json::object{{"kind", "APIVersions"},
                            {"versions", json::array{"v1"}},
                            {"serverAddressByClientCIDRs",
                             json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                                      {"serverAddress", server_url.substr(server_url.find("//") + 2)}}}}};
    }

    json::object api_group(std::string const& g) const {
        json::array versions;
        auto const vs = versions_of(g);
        for (auto const& v : vs)
            versions.push_back(json::object{{"groupVersion", g + "/" + v}, {"version", v}});
        json::object out{{"name", g}, {"versions", versions}};
        if (!vs.empty())
            out["preferredVersion"] = json::object{{"groupVersion", g + "/" + vs.front()}, {"version", vs.front()}};
        return out;
    }

    json::object api_group_list() const {
        json::array groups;
        for (auto const& g : group_order)
            if (!g.empty() && !versions_of(g).empty())
                groups.push_back(api_group(g));
        return json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
    }

    json::object resource_list(std::string const& gv) const {
        json::array resources;
        auto it = gvs.find(gv);
        for (auto const& r : it->second) {
            json::array const verbs = verbs_of(r);
            json::object e{{"name", r.plural}, {"singularName", r.singular}, {"namespaced", r.namespaced},
                           {"kind", r.kind},   {"verbs", verbs}};
            if (!r.short_names.empty()) {
                json::array s;
                for (auto const& x : r.short_names)
                    s.push_back(json::value(x));
                e["shortNames"] = s;
            }
            if (!r.categories.empty()) {
                json::array s;
                for (auto const& x : r.categories)
                    s.push_back(json::value(x));
                e["categories"] = s;
            }
            e["storageVersionHash"] = base64_encode(r.storage()).substr(0, 11);
            resources.push_back(e);
            if (r.status_sub)
                resources.push_back(json::object{{"name", r.plural + "/status"},
                                                 {"singularName", ""},
                                                 {"namespaced", r.namespaced},
                                                 {"kind", r.kind},
                                                 {"verbs", json::array{"get", "patch", "update"}}});
            for (auto const& sub : r.extra_subresources)
                if (sub == "token")
                    resources.push_back(json::object{{"name", r.plural + "/token"},
                                                     {"singularName", ""},
                                                     {"namespaced", true},
                                                     {"group", "authentication.k8s.io"},
                                                     {"version", "v1"},
                                                     {"kind", "TokenRequest"},
                                                     {"verbs", json::array{"create"}}});
        }
        return json::object{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", resources}};
    }

    static json::array verbs_of(resource_info const& r) {
        json::array verbs;
        if (r.plural == "selfsubjectaccessreviews") {
            verbs.push_back("create");
            return verbs;
        }
        for (auto const& v : all_verbs)
            verbs.push_back(json::value(v));
        return verbs;
    }

    // Aggregated discovery (apidiscovery.k8s.io/v2): everything in one answer
    // for /api (core) or /apis (groups), versions in preference order.
    json::object aggregated(bool core) const {
        json::array items;
        for (auto const& g : group_order) {
            if (core != g.empty())
                continue;
            auto const vs = versions_of(g);
            if (vs.empty())
                continue;
            json::array versions;
            for (auto const& v : vs) {
                json::array resources;
                for (auto const& r : gvs.at(g.empty() ? v : g + "/" + v)) {
                    json::object kind{{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
                    json::object e{{"resource", r.plural},
                                   {"singularResource", r.singular},
                                   {"scope", r.namespaced ? "Namespaced" : "Cluster"},
                                   {"responseKind", kind},
                                   {"verbs", verbs_of(r)}};
                    json::array shorts, cats, subs;
                    for (auto const& x : r.short_names)
                        shorts.push_back(json::value(x));
                    for (auto const& x : r.categories)
                        cats.push_back(json::value(x));
                    if (!shorts.empty())
                        e["shortNames"] = shorts;
                    if (!cats.empty())
                        e["categories"] = cats;
                    if (r.status_sub)
                        subs.push_back(json::object{{"subresource", "status"},
                                                    {"responseKind", kind},
                                                    {"verbs", json::array{"get", "patch", "update"}}});
                    for (auto const& sub : r.extra_subresources)
                        if (sub == "token")
                            subs.push_back(json::object{
                                {"subresource", "token"},
                                {"responseKind",
                                 json::object{{"group", "authentication.k8s.io"}, {"version", "v1"}, {"kind", "TokenRequest"}}},
                                {"verbs", json::array{"create"}}});
                    if (!subs.empty())
                        e["subresources"] = subs;
                    resources.push_back(e);
                }
                versions.push_back(json::object{{"version", v}, {"freshness", "Current"}, {"resources", resources}});
            }
            items.push_back(json::object{{"metadata", json::object{{"name", g}}}, {"versions", versions}});
        }
        return json::object{{"kind", "APIGroupDiscoveryList"},
                            {"apiVersion", "apidiscovery.k8s.io/v2"},
                            {"metadata", json::object{}},
                            {"items", items}};
    }

    std::string openapi_hash(std::string const& gv) const {
        std::size_t h = std::hash<std::string>{}(gv + "#" + std::to_string(discovery_generation));
        char buf[32];
        std::snprintf(buf, sizeof buf, "%016zX", h);
        return buf;
    }

    json::object openapi_root() const {
        json::object paths;
        for (auto const& [gv, list] : gvs) {
            if (list.empty())
                continue;
            std::string const key = list.front().group.empty() ? "api/" + gv : "apis/" + gv;
            paths[key] = json::object{{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + openapi_hash(gv)}};
        }
        return json::object{{"paths", paths}};
    }

    // The stub kubectl needs for server-side field validation (reference § 1.2):
    // one PATCH operation per kind, advertising the fieldValidation parameter.
    json::object openapi_doc(std::string const& gv) const {
        json::object paths;
        auto it = gvs.find(gv);
        for (auto const& r : it->second) {
            std::string const prefix = r.group.empty() ? "/api/" + gv : "/apis/" + gv;
            std::string const path =
                prefix + (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.plural + "/{name}";
            json::object op{{"x-kubernetes-group-version-kind",
                             json::object{{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
                            {"parameters", json::array{json::object{{"name", "fieldValidation"},
                                                                    {"in", "query"},
                                                                    {"schema", json::object{{"type", "string"}}}}}},
                            {"responses", json::object{{"200", json::object{{"description", "OK"}}}}}};
            paths[path] = json::object{{"patch", op}};
        }
        return json::object{{"openapi", "3.0.0"},
                            {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.31.0"}}},
                            {"paths", paths},
                            {"components", json::object{{"schemas", json::object{}}}}};
    }

    // ----- store

    static std::string key_of(resource_info const& ri, std::string const& ns, std::string const& name) {
        return ri.storage() + "/" + ns + "/" + name;
    }

    json::object* lookup(resource_info const& ri, std::string const& ns, std::string const& name) {
        auto it = objects.find(key_of(ri, ns, name));
        return it == objects.end() ? nullptr : &it->second;
    }

    // A copy as served in `ri`'s version (apiVersion rewritten; no conversion).
    static json::object served(resource_info const& ri, json::object o) {
        if (ri.new_events())
            o = convert_event(std::move(o), false);
        o["apiVersion"] = ri.group_version();
        o["kind"] = ri.kind;
        return o;
    }

    void record(std::string type, std::string const& storage, std::string const& ns, json::object const* old_obj,
                json::object const& obj, std::uint64_t rv_) {
        event_record e{rv_, std::move(type), storage, ns,
                       old_obj ? std::make_shared<json::object const>(*old_obj) : nullptr,
                       std::make_shared<json::object const>(obj), 0};
        e.bytes = json::serialize(obj).size() * (old_obj ? 2 : 1);
        history.push_back(e);
        history_bytes += e.bytes;
        // Bounded by count (watch_window) and by memory, so a test writing many
        // 1 MiB Secrets cannot make the mock hold gigabytes of history.
        while (history.size() > window || (history_bytes > max_history_bytes && history.size() > 1)) {
            compacted_rv = history.front().rv;
            history_bytes -= history.front().bytes;
            history.pop_front();
        }
        notify(e);
    }

    std::string event_line(watch_state const& w, std::string const& type, json::object const& obj) const {
        json::object o = served(w.ri, obj);
        json::value payload = w.table ? json::value(table_for(w.ri, {o}, true)) : json::value(std::move(o));
        return json::serialize(json::object{{"type", type}, {"object", payload}}) + "\n";
    }

    // Which event (if any) a watcher sees for this change, given its filters.
    std::optional<std::string> visible_type(watch_state const& w, event_record const& e) const {
        if (e.storage != w.ri.storage())
            return std::nullopt;
        if (!w.ns.empty() && e.ns != w.ns)
            return std::nullopt;
        auto matches = [&](json::object const& o) { return labels_match(w.labels, o) && fields_match(w.fields, o); };
        bool const now = matches(*e.obj);
        if (e.type == "MODIFIED") {
            bool const before = e.old_obj && matches(*e.old_obj);
            if (now && before)
                return std::string("MODIFIED");
            if (now)
                return std::string("ADDED");
            if (before)
                return std::string("DELETED");
            return std::nullopt;
        }
        if (!now)
            return std::nullopt;
        return e.type;
    }

    void notify(event_record const& e) {
        std::erase_if(watches, [](auto const& w) { return w->sink.expired(); });
        for (auto const& w : watches) {
            auto type = visible_type(*w, e);
            if (!type)
                continue;
            if (auto s = w->sink.lock())
                s->send_chunk(event_line(*w, *type, *e.obj));
        }
    }

    std::string bookmark_line(watch_state const& w) const {
        return json::serialize(json::object{
                   {"type", "BOOKMARK"},
                   {"object", json::object{{"kind", w.ri.kind},
                                           {"apiVersion", w.ri.group_version()},
                                           {"metadata", json::object{{"resourceVersion", std::to_string(rv)}}}}}}) +
               "\n";
    }

    void send_bookmarks() {
        std::erase_if(watches, [](auto const& w) { return w->sink.expired(); });
        for (auto const& w : watches)
            if (w->bookmarks)
                if (auto s = w->sink.lock())
                    s->send_chunk(bookmark_line(*w));
    }

    std::size_t live_watches() {
        std::erase_if(watches, [](auto const& w) { return w->sink.expired(); });
        return watches.size();
    }

    std::size_t drop_watches() {
        std::size_t n = 0;
        for (auto const& w : watches)
            if (auto s = w->sink.lock()) {
                s->abort_stream();
                ++n;
            }
        watches.clear();
        return n;
    }

    std::uint64_t next_rv() { return ++rv; }

    void put_object(resource_info const& ri, std::string const& ns, std::string const& name, json::object obj,
                    bool created) {
        std::string const key = key_of(ri, ns, name);
        std::uint64_t const r = next_rv();
        meta(obj)["resourceVersion"] = std::to_string(r);
        if (created) {
            uids.insert(str_of(cmeta(obj), "uid"));
            objects[key] = obj;
            record("ADDED", ri.storage(), ns, nullptr, obj, r);
        } else {
            json::object old = objects[key];
            objects[key] = obj;
            record("MODIFIED", ri.storage(), ns, &old, obj, r);
        }
    }

    void erase_object(resource_info const& ri, std::string const& ns, std::string const& name) {
        auto it = objects.find(key_of(ri, ns, name));
        if (it == objects.end())
            return;
        json::object obj = std::move(it->second);
        objects.erase(it);
        uids.erase(str_of(cmeta(obj), "uid"));
        std::uint64_t const r = next_rv();
        meta(obj)["resourceVersion"] = std::to_string(r);
        record("DELETED", ri.storage(), ns, nullptr, obj, r);
        after_removal(ri, ns, obj);
    }

    resource_info const* info_for_storage(std::string const& storage) const {
        for (auto const& [gv, list] : gvs)
            for (auto const& r : list)
                if (r.storage() == storage)
                    return &r;
        return nullptr;
    }

    // Background garbage collection and namespace/CRD cleanup once an object is gone.
    void after_removal(resource_info const& ri, std::string const& ns, json::object const& obj) {
        std::string const uid = str_of(cmeta(obj), "uid");
        if (ri.storage() == "/namespaces") {
            std::string const name = str_of(cmeta(obj), "name");
            std::vector<std::pair<std::string, std::string>> doomed;  // storage, name
            for (auto const& [k, o] : objects)
                if (str_of(cmeta(o), "namespace") == name)
                    doomed.emplace_back(k.substr(0, k.find('/', k.find('/') + 1)), str_of(cmeta(o), "name"));
            for (auto const& [storage, n] : doomed)
                if (auto const* r = info_for_storage(storage))
                    erase_object(*r, name, n);
        }
        if (ri.storage() == "apiextensions.k8s.io/customresourcedefinitions")
            unregister_crd(obj);
        collect_dependents(uid, ns);
    }

    // Dependents of `uid` whose every owner is now gone are deleted (background).
    void collect_dependents(std::string const& uid, std::string const& owner_ns) {
        if (uid.empty())
            return;
        std::vector<std::tuple<std::string, std::string, std::string>> doomed;
        for (auto const& [k, o] : objects) {
            auto const* refs_v = cmeta(o).if_contains("ownerReferences");
            if (!refs_v || !refs_v->is_array())
                continue;
            bool refers = false, other_owner_alive = false;
            std::string const dep_ns = str_of(cmeta(o), "namespace");
            for (auto const& r : refs_v->as_array()) {
                if (!r.is_object())
                    continue;
                std::string const ruid = str_of(r.as_object(), "uid");
                if (ruid == uid)
                    refers = true;
                else if (uid_exists(ruid))
                    other_owner_alive = true;
            }
            if (refers && !other_owner_alive && (owner_ns.empty() || owner_ns == dep_ns))
                doomed.emplace_back(k.substr(0, k.find('/', k.find('/') + 1)), dep_ns, str_of(cmeta(o), "name"));
        }
        for (auto const& [storage, ns, name] : doomed)
            if (auto const* r = info_for_storage(storage))
                delete_object(*r, ns, name, "Background");
    }

    bool uid_exists(std::string const& uid) const { return uids.count(uid) != 0; }

    // Deletes honouring finalizers and the propagation policy. Returns the
    // object if it still exists afterwards (finalizers pending).
    std::optional<json::object> delete_object(resource_info const& ri, std::string const& ns, std::string const& name,
                                              std::string const& policy) {
        json::object* cur = lookup(ri, ns, name);
        if (!cur)
            return std::nullopt;
        std::string const uid = str_of(cmeta(*cur), "uid");
        if (policy == "Orphan") {
            // Dependents lose their reference to this owner first.
            std::vector<std::string> keys;
            for (auto const& [k, o] : objects) {
                auto const* refs = cmeta(o).if_contains("ownerReferences");
                if (refs && refs->is_array())
                    for (auto const& r : refs->as_array())
                        if (r.is_object() && str_of(r.as_object(), "uid") == uid)
                            keys.push_back(k);
            }
            for (auto const& k : keys) {
                json::object o = objects[k];
                auto& refs = meta(o)["ownerReferences"].as_array();
                erase_values(refs, [&](json::value const& r) { return r.is_object() && str_of(r.as_object(), "uid") == uid; });
                if (refs.empty())
                    meta(o).erase("ownerReferences");
                std::string const dep_ns = str_of(cmeta(o), "namespace"), dep_name = str_of(cmeta(o), "name");
                if (auto const* r = info_for_storage(k.substr(0, k.find('/', k.find('/') + 1))))
                    put_object(*r, dep_ns, dep_name, std::move(o), false);
            }
        }
        cur = lookup(ri, ns, name);
        auto const* fin = cmeta(*cur).if_contains("finalizers");
        bool const has_finalizers = fin && fin->is_array() && !fin->as_array().empty();
        if (has_finalizers) {
            if (!cmeta(*cur).contains("deletionTimestamp")) {
                json::object o = *cur;
                meta(o)["deletionTimestamp"] = rfc3339(now_s());
                meta(o)["deletionGracePeriodSeconds"] = 0;
                put_object(ri, ns, name, o, false);
            }
            return *lookup(ri, ns, name);
        }
        if (policy == "Foreground") {
            json::object o = *cur;
            meta(o)["deletionTimestamp"] = rfc3339(now_s());
            meta(o)["deletionGracePeriodSeconds"] = 0;
            meta(o)["finalizers"] = json::array{"foregroundDeletion"};
            put_object(ri, ns, name, o, false);
            collect_dependents(uid, ns);
        }
        erase_object(ri, ns, name);
        return std::nullopt;
    }

    void register_crd(json::object const& crd) {
        auto const* spec = obj_of(crd, "spec");
        auto const* names = spec ? obj_of(*spec, "names") : nullptr;
        auto const* versions = spec ? spec->if_contains("versions") : nullptr;
        if (!spec || !names || !versions || !versions->is_array())
            return;
        for (auto const& vv : versions->as_array()) {
            if (!vv.is_object())
                continue;
            auto const& v = vv.as_object();
            auto const* served_v = v.if_contains("served");
            if (served_v && served_v->is_bool() && !served_v->as_bool())
                continue;
            resource_info ri;
            ri.group = str_of(*spec, "group");
            ri.version = str_of(v, "name");
            ri.plural = str_of(*names, "plural");
            ri.singular = str_of(*names, "singular");
            if (ri.singular.empty())
                ri.singular = lower(str_of(*names, "kind"));
            ri.kind = str_of(*names, "kind");
            ri.namespaced = str_of(*spec, "scope") != "Cluster";
            for (char const* field : {"shortNames", "categories"}) {
                auto const* a = names->if_contains(field);
                if (a && a->is_array())
                    for (auto const& s : a->as_array())
                        if (s.is_string())
                            (std::string_view(field) == "shortNames" ? ri.short_names : ri.categories)
                                .emplace_back(s.as_string());
            }
            auto const* subs = obj_of(v, "subresources");
            ri.status_sub = subs && subs->contains("status");
            ri.custom = true;
            ri.generation = true;
            if (auto const* cols = v.if_contains("additionalPrinterColumns"); cols && cols->is_array())
                ri.printer_columns = cols->as_array();
            add_resource(std::move(ri));
        }
    }

    void unregister_crd(json::object const& crd) {
        auto const* spec = obj_of(crd, "spec");
        auto const* names = spec ? obj_of(*spec, "names") : nullptr;
        if (!spec || !names)
            return;
        std::string const group = str_of(*spec, "group"), plural = str_of(*names, "plural");
        std::string const storage = group + "/" + plural;
        std::vector<std::pair<std::string, std::string>> doomed;
        for (auto const& [k, o] : objects)
            if (k.starts_with(storage + "/"))
                doomed.emplace_back(str_of(cmeta(o), "namespace"), str_of(cmeta(o), "name"));
        if (auto const* ri = info_for_storage(storage)) {
            resource_info const copy = *ri;
            for (auto const& [ns, n] : doomed)
                erase_object(copy, ns, n);
        }
        for (auto it = gvs.begin(); it != gvs.end();) {
            std::erase_if(it->second, [&](resource_info const& r) { return r.storage() == storage; });
            it = it->second.empty() ? gvs.erase(it) : std::next(it);
        }
        ++discovery_generation;
    }

    // ----- Table output

    json::object table_for(resource_info const& ri, std::vector<json::object> const& items, bool partial_meta) const {
        struct col {
            std::string name, type, format, description;
            int priority;
            std::function<json::value(json::object const&)> get;
        };
        std::int64_t const now = now_s();
        auto age = [now](json::object const& o) -> json::value {
            auto t = parse_rfc3339(str_of(cmeta(o), "creationTimestamp"));
            return json::value(t ? human_age(now - *t) : std::string("<unknown>"));
        };
        auto count_map = [](json::object const& o, std::initializer_list<char const*> fields) -> json::value {
            std::int64_t n = 0;
            for (auto f : fields)
                if (auto const* m = obj_of(o, f))
                    n += static_cast<std::int64_t>(m->size());
            return n;
        };
        std::vector<col> cols;
        cols.push_back({"Name", "string", "name", "Name must be unique within a namespace.", 0,
                        [](json::object const& o) { return json::value(str_of(cmeta(o), "name")); }});
        bool add_age = true;
        if (ri.group.empty() && ri.plural == "secrets") {
            cols.push_back({"Type", "string", "", "", 0, [](json::object const& o) { return json::value(str_of(o, "type")); }});
            cols.push_back({"Data", "string", "", "", 0, [count_map](json::object const& o) { return count_map(o, {"data"}); }});
        } else if (ri.group.empty() && ri.plural == "configmaps") {
            cols.push_back({"Data", "string", "", "", 0,
                            [count_map](json::object const& o) { return count_map(o, {"data", "binaryData"}); }});
        } else if (ri.group.empty() && ri.plural == "namespaces") {
            cols.push_back({"Status", "string", "", "", 0, [](json::object const& o) {
                                auto const* st = obj_of(o, "status");
                                return json::value(st ? str_of(*st, "phase") : std::string());
                            }});
        } else if (ri.plural == "customresourcedefinitions") {
            cols.push_back({"Created At", "date", "", "", 0,
                            [](json::object const& o) { return json::value(str_of(cmeta(o), "creationTimestamp")); }});
            add_age = false;
        } else if (ri.custom && !ri.printer_columns.empty()) {
            add_age = false;
            for (auto const& cv : ri.printer_columns) {
                if (!cv.is_object())
                    continue;
                auto const& c = cv.as_object();
                std::string const path = str_of(c, "jsonPath"), type = str_of(c, "type");
                int prio = 0;
                if (auto const* p = c.if_contains("priority"); p && p->is_int64())
                    prio = static_cast<int>(p->as_int64());
                cols.push_back({str_of(c, "name"), type, str_of(c, "format"), str_of(c, "description"), prio,
                                [path, type, age](json::object const& o) -> json::value {
                                    json::value const root = o;
                                    json::value const* v = eval_json_path(root, path);
                                    if (type == "date") {
                                        if (v && v->is_string()) {
                                            json::object tmp{{"metadata", json::object{{"creationTimestamp", *v}}}};
                                            return age(tmp);
                                        }
                                        return json::value("<unknown>");
                                    }
                                    if (!v || v->is_null())
                                        return json::value(nullptr);
                                    if (v->is_string() || v->is_number() || v->is_bool())
                                        return *v;
                                    return json::value(json::serialize(*v));
                                }});
            }
        }
        if (add_age)
            cols.push_back({"Age", "string", "", "", 0, age});
        json::array defs, rows;
        for (auto const& c : cols)
            defs.push_back(json::object{{"name", c.name}, {"type", c.type}, {"format", c.format},
                                        {"description", c.description}, {"priority", c.priority}});
        for (auto const& o : items) {
            json::array cells;
            for (auto const& c : cols)
                cells.push_back(c.get(o));
            json::object row{{"cells", cells}};
            if (partial_meta)
                row["object"] = json::object{{"kind", "PartialObjectMetadata"},
                                             {"apiVersion", "meta.k8s.io/v1"},
                                             {"metadata", cmeta(o)}};
            rows.push_back(row);
        }
        return json::object{{"kind", "Table"},
                            {"apiVersion", "meta.k8s.io/v1"},
                            {"metadata", json::object{{"resourceVersion", std::to_string(rv)}}},
                            {"columnDefinitions", defs},
                            {"rows", rows}};
    }
};

// ---------------------------------------------------------------------------
// 5. validation

bool is_dns_label(std::string const& s) {
    if (s.empty() || s.size() > 63)
        return false;
    for (char c : s)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
            return false;
    return std::isalnum(static_cast<unsigned char>(s.front())) && std::isalnum(static_cast<unsigned char>(s.back()));
}

bool is_dns_subdomain(std::string const& s) {
    if (s.empty() || s.size() > 253)
        return false;
    for (auto const& part : split(s, '.'))
        if (part.empty() || part.size() > 63 || !is_dns_label(part))
            return false;
    return true;
}

std::string const subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
std::string const label_msg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

bool is_config_key(std::string const& k) {
    if (k.empty() || k.size() > 253 || k == "." || k == ".." || k.starts_with(".."))
        return false;
    for (char c : k)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

std::string quote_json(std::string const& s) { return json::serialize(json::value(s)); }

constexpr std::size_t max_secret_size = 1024 * 1024;

// ---------------------------------------------------------------------------
// 6. request handling

struct query_params {
    std::map<std::string, std::string> values;
    bool has(std::string const& k) const { return values.count(k) != 0; }
    std::string get(std::string const& k) const {
        auto it = values.find(k);
        return it == values.end() ? std::string() : it->second;
    }
};

query_params parse_query(std::string_view q) {
    query_params p;
    if (q.empty())
        return p;
    for (auto const& part : split(q, '&')) {
        if (part.empty())
            continue;
        std::size_t const eq = part.find('=');
        std::string const k = percent_decode(part.substr(0, eq), true);
        std::string const v = eq == std::string::npos ? std::string() : percent_decode(part.substr(eq + 1), true);
        p.values[k] = v;
    }
    return p;
}

struct route {
    resource_info const* ri = nullptr;
    std::string ns, name, sub;
    bool ns_in_path = false;
};

class api_handler {
public:
    explicit api_handler(api_state& st) : st_(st) {}

    http_reply handle(request const& req, request_record& rec) {
        try {
            return dispatch(req, rec);
        } catch (api_error const& e) {
            http_reply r;
            r.code = e.code;
            r.body = json::serialize(e.status);
            r.headers = e.headers;
            return r;
        } catch (std::exception const& e) {
            http_reply r;
            r.code = 500;
            r.body = json::serialize(make_error(500, "InternalError", std::string("mock apiserver: ") + e.what()).status);
            return r;
        }
    }

private:
    static http_reply ok_json(json::value const& v, unsigned code = 200) {
        http_reply r;
        r.code = code;
        r.body = json::serialize(v);
        return r;
    }

    // ----- authentication and authorisation

    std::optional<user_entry> authenticate(request const& req) {
        auto const it = req.find(http::field::authorization);
        if (it == req.end())
            return std::nullopt;
        std::string_view const v = it->value();
        if (v.size() < 7 || lower(v.substr(0, 7)) != "bearer ")
            return std::nullopt;
        std::string const token = trim(v.substr(7));
        if (auto t = st_.tokens.find(token); t != st_.tokens.end())
            return t->second;
        if (auto m = st_.minted.find(token); m != st_.minted.end() && m->second.expires > now_s()) {
            if (auto u = st_.users.find(m->second.user); u != st_.users.end())
                return u->second;
            user_entry e;
            e.name = m->second.user;
            e.rules = std::vector<user_rule>{};  // a service account without rules may do nothing
            return e;
        }
        return std::nullopt;
    }

    static bool allowed(user_entry const& u, std::string const& verb, std::string const& group,
                        std::string const& resource, std::string const& ns) {
        if (!u.rules)
            return true;
        for (auto const& r : *u.rules) {
            bool const ns_ok = r.namespaces.empty() || (!ns.empty() && list_has(r.namespaces, ns));
            if (list_has(r.verbs, verb) && list_has(r.resources, resource) && list_has(r.api_groups, group) && ns_ok)
                return true;
        }
        return false;
    }

    static void authorize(user_entry const& u, std::string const& verb, resource_info const& ri, std::string const& sub,
                          std::string const& ns, std::string const& name) {
        std::string const resource = sub.empty() ? ri.plural : ri.plural + "/" + sub;
        if (allowed(u, verb, ri.group, resource, ns))
            return;
        std::string msg = ri.qualified() + (name.empty() ? "" : " \"" + name + "\"") + " is forbidden: User \"" + u.name +
                          "\" cannot " + verb + " resource \"" + resource + "\" in API group \"" + ri.group + "\"";
        msg += ns.empty() ? " at the cluster scope" : " in the namespace \"" + ns + "\"";
        json::object d{{"name", name}};
        if (!ri.group.empty())
            d["group"] = ri.group;
        d["kind"] = ri.plural;
        throw make_error(403, "Forbidden", msg, std::move(d));
    }

    // ----- routing

    http_reply dispatch(request const& req, request_record& rec) {
        std::string_view const target = req.target();
        std::size_t const qpos = target.find('?');
        std::string const path = std::string(target.substr(0, qpos));
        query_params const q = parse_query(qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1));
        std::string const method = std::string(req.method_string());

        // Unauthenticated endpoints (anonymous access on a real cluster).
        if (method == "GET") {
            if (path == "/version")
                return ok_json(json::object{{"major", "1"},         {"minor", "31"},
                                            {"gitVersion", "v1.31.0"}, {"gitCommit", "esx-mock"},
                                            {"gitTreeState", "clean"}, {"buildDate", "2024-08-13T00:00:00Z"},
                                            {"goVersion", "go1.22.5"}, {"compiler", "gc"},
                                            {"platform", "linux/amd64"}});
            if (path == "/healthz" || path == "/livez" || path == "/readyz") {
                http_reply r;
                r.content_type = "text/plain; charset=utf-8";
                r.body = "ok";
                return r;
            }
            if (path == "/.well-known/openid-configuration")
                return ok_json(json::object{{"issuer", st_.server_url},
                                            {"jwks_uri", st_.server_url + "/openid/v1/jwks"},
                                            {"response_types_supported", json::array{"id_token"}},
                                            {"subject_types_supported", json::array{"public"}},
                                            {"id_token_signing_alg_values_supported", json::array{"RS256"}}});
            if (path == "/openid/v1/jwks")
                return ok_json(st_.jwks());
        }

        auto user = authenticate(req);
        if (!user)
            throw make_error(401, "Unauthorized", "Unauthorized");
        rec.user = user->name;

        if (method == "GET") {
            bool const root_api = path == "/api" || path == "/api/";
            bool const root_apis = path == "/apis" || path == "/apis/";
            if ((root_api || root_apis) && wants_aggregated(req)) {
                http_reply r = ok_json(st_.aggregated(root_api));
                r.content_type = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
                return r;
            }
            if (root_api)
                return ok_json(st_.api_versions());
            if (root_apis)
                return ok_json(st_.api_group_list());
            if (path == "/api/v1")
                return ok_json(st_.resource_list("v1"));
            if (path == "/openapi/v3")
                return ok_json(st_.openapi_root());
            if (path.starts_with("/openapi/v3/")) {
                std::string rest = path.substr(12);
                std::string gv = rest.starts_with("api/") ? rest.substr(4) : rest.starts_with("apis/") ? rest.substr(5) : "";
                if (st_.gvs.count(gv))
                    return ok_json(st_.openapi_doc(gv));
                throw not_found_path();
            }
            if (path.starts_with("/apis/")) {
                auto parts = split(std::string_view(path).substr(6), '/');
                if (parts.size() == 1 && !st_.versions_of(parts[0]).empty())
                    return ok_json(st_.api_group(parts[0]));
                if (parts.size() == 2 && st_.gvs.count(parts[0] + "/" + parts[1]))
                    return ok_json(st_.resource_list(parts[0] + "/" + parts[1]));
            }
        }

        route rt = resolve(path);
        if (!rt.ri)
            throw not_found_path();
        return serve_resource(req, q, rt, *user, method);
    }

    route resolve(std::string const& path) {
        route rt;
        std::vector<std::string> segs;
        std::string group, version;
        if (path.starts_with("/api/v1/")) {
            version = "v1";
            segs = split(std::string_view(path).substr(8), '/');
        } else if (path.starts_with("/apis/")) {
            auto parts = split(std::string_view(path).substr(6), '/');
            if (parts.size() < 3)
                return rt;
            group = parts[0];
            version = parts[1];
            segs.assign(parts.begin() + 2, parts.end());
        } else {
            return rt;
        }
        if (!segs.empty() && segs.back().empty())
            segs.pop_back();
        for (auto& s : segs)
            s = percent_decode(s, false);
        if (segs.empty())
            return rt;
        // /namespaces/{ns}/{plural}... when {plural} is a namespaced resource
        if (segs[0] == "namespaces" && segs.size() >= 3) {
            if (auto const* ri = st_.find(group, version, segs[2]); ri && ri->namespaced) {
                rt.ri = ri;
                rt.ns = segs[1];
                rt.ns_in_path = true;
                if (segs.size() >= 4)
                    rt.name = segs[3];
                if (segs.size() >= 5)
                    rt.sub = segs[4];
                if (segs.size() > 5)
                    rt.ri = nullptr;
                return rt;
            }
        }
        auto const* ri = st_.find(group, version, segs[0]);
        if (!ri)
            return rt;
        if (segs.size() > 3)
            return rt;
        rt.ri = ri;
        if (segs.size() >= 2)
            rt.name = segs[1];
        if (segs.size() >= 3)
            rt.sub = segs[2];
        return rt;
    }

    // ----- verbs

    http_reply serve_resource(request const& req, query_params const& q, route const& rt, user_entry const& user,
                              std::string const& method) {
        resource_info const& ri = *rt.ri;
        if (!rt.sub.empty()) {
            bool const ok = (rt.sub == "status" && ri.status_sub) ||
                            (rt.sub == "token" && ri.plural == "serviceaccounts" && ri.group.empty());
            if (!ok || rt.name.empty())
                throw not_found_path();
        }
        if (ri.namespaced && !rt.ns_in_path && !rt.name.empty())
            throw not_found_path();  // a namespaced object needs its namespace
        bool const collection = rt.name.empty();
        bool const watch = parse_bool(q.get("watch"));
        std::string verb;
        if (method == "GET")
            verb = collection ? (watch ? "watch" : "list") : "get";
        else if (method == "POST")
            verb = "create";
        else if (method == "PUT")
            verb = "update";
        else if (method == "PATCH")
            verb = "patch";
        else if (method == "DELETE")
            verb = collection ? "deletecollection" : "delete";
        else
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        if (ri.plural == "selfsubjectaccessreviews" && ri.group == "authorization.k8s.io") {
            if (method != "POST" || !collection)
                throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
            return access_review(req, user);
        }
        authorize(user, verb, ri, rt.sub, rt.ns, rt.name);

        if (collection && (method == "PUT" || method == "PATCH"))
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        if (!collection && method == "POST" && rt.sub != "token")
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        if (rt.sub == "token") {
            if (method != "POST")
                throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
            return token_request(req, rt);
        }
        update_manager_.clear();
        if (method == "POST" || method == "PUT" || method == "PATCH") {
            std::string ct = lower(std::string(req[http::field::content_type]));
            if (ct.find("apply-patch") == std::string::npos) {
                update_manager_ = q.get("fieldManager");
                if (update_manager_.empty()) {
                    std::string const ua(req[http::field::user_agent]);
                    update_manager_ = ua.substr(0, ua.find('/'));
                }
                if (update_manager_.empty())
                    update_manager_ = "unknown";
            }
        }
        bool const dry = q.get("dryRun") == "All";
        if (!q.get("dryRun").empty() && !dry)
            throw bad_request("Invalid dryRun value: " + q.get("dryRun"));

        if (method == "GET" && watch)
            return start_watch(req, q, rt);
        if (method == "GET" && collection)
            return list(req, q, rt);
        if (method == "GET")
            return get(req, rt);
        if (method == "POST")
            return create(parse_body(req, ri, rt.name), q, rt, dry);
        if (method == "PUT")
            return replace(parse_body(req, ri, rt.name), q, rt, dry);
        if (method == "PATCH")
            return patch(req, q, rt, dry);
        if (method == "DELETE" && collection)
            return delete_collection(req, q, rt, dry);
        return remove(req, q, rt, dry);
    }

    static bool wants_aggregated(request const& req) {
        auto it = req.find(http::field::accept);
        return it != req.end() && it->value().find("v=v2;as=APIGroupDiscoveryList") != std::string_view::npos;
    }

    static bool wants_table(request const& req) {
        auto it = req.find(http::field::accept);
        return it != req.end() && it->value().find("as=Table") != std::string_view::npos;
    }

    http_reply table_reply(json::object table) {
        http_reply r = ok_json(table);
        r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
        return r;
    }

    http_reply get(request const& req, route const& rt) {
        json::object* o = st_.lookup(*rt.ri, rt.ns, rt.name);
        if (!o)
            throw not_found(*rt.ri, rt.name);
        json::object out = api_state::served(*rt.ri, *o);
        if (wants_table(req) && rt.sub.empty())
            return table_reply(st_.table_for(*rt.ri, {out}, true));
        return ok_json(out);
    }

    std::vector<json::object const*> select(query_params const& q, route const& rt) {
        auto labels = parse_label_selector(q.get("labelSelector"));
        auto fields = parse_field_selector(q.get("fieldSelector"), *rt.ri);
        std::string const prefix = rt.ri->storage() + "/" + (rt.ns_in_path ? rt.ns + "/" : "");
        std::vector<json::object const*> out;
        for (auto it = st_.objects.lower_bound(prefix); it != st_.objects.end() && it->first.starts_with(prefix); ++it) {
            if (labels_match(labels, it->second) && fields_match(fields, it->second))
                out.push_back(&it->second);
        }
        return out;
    }

    http_reply list(request const& req, query_params const& q, route const& rt) {
        resource_info const& ri = *rt.ri;
        auto items = select(q, rt);
        std::string list_rv = std::to_string(st_.rv);
        // continue token: "<rv>/<index key>" base64url; the key sorts after the last item sent
        std::string start_after;
        if (q.has("continue") && !q.get("continue").empty()) {
            std::string tok = q.get("continue");
            for (auto& c : tok) {
                if (c == '-') c = '+';
                if (c == '_') c = '/';
            }
            while (tok.size() % 4)
                tok += '=';
            auto decoded = base64_decode_std(tok);
            std::size_t slash = decoded ? decoded->find('/') : std::string::npos;
            if (!decoded || slash == std::string::npos)
                throw bad_request("continue key is not valid: illegal base64 data");
            std::uint64_t const tok_rv = std::strtoull(decoded->substr(0, slash).c_str(), nullptr, 10);
            if (tok_rv < st_.compacted_rv)
                throw make_error(410, "Expired",
                                 "The provided continue parameter is too old to display a consistent list result. You "
                                 "can start a new list without the continue parameter.");
            list_rv = decoded->substr(0, slash);
            start_after = decoded->substr(slash + 1);
        }
        std::size_t limit = 0;
        if (q.has("limit"))
            limit = static_cast<std::size_t>(std::strtoull(q.get("limit").c_str(), nullptr, 10));
        std::vector<json::object> page;
        std::string next;
        std::size_t remaining = 0;
        for (auto const* o : items) {
            std::string const key = str_of(cmeta(*o), "namespace") + "/" + str_of(cmeta(*o), "name");
            if (!start_after.empty() && key <= start_after)
                continue;
            if (limit && page.size() == limit) {
                ++remaining;
                continue;
            }
            page.push_back(api_state::served(ri, *o));
        }
        json::object md{{"resourceVersion", list_rv}};
        if (remaining) {
            json::object const& last = page.back();
            std::string const key = str_of(cmeta(last), "namespace") + "/" + str_of(cmeta(last), "name");
            md["continue"] = base64_encode(list_rv + "/" + key, true);
            md["remainingItemCount"] = remaining;
        }
        if (wants_table(req)) {
            json::object t = st_.table_for(ri, page, true);
            t["metadata"] = md;
            return table_reply(std::move(t));
        }
        json::array arr;
        for (auto& o : page)
            arr.push_back(std::move(o));
        return ok_json(json::object{{"kind", ri.kind + "List"}, {"apiVersion", ri.group_version()}, {"metadata", md},
                                    {"items", std::move(arr)}});
    }

    http_reply start_watch(request const& req, query_params const& q, route const& rt) {
        if (parse_bool(q.get("sendInitialEvents")))
            throw make_error(422, "Invalid", "sendInitialEvents is not supported by this server (use list+watch)");
        auto w = std::make_shared<watch_state>();
        w->ri = *rt.ri;
        w->ns = rt.ns_in_path ? rt.ns : "";
        w->labels = parse_label_selector(q.get("labelSelector"));
        w->fields = parse_field_selector(q.get("fieldSelector"), *rt.ri);
        w->bookmarks = parse_bool(q.get("allowWatchBookmarks"));
        w->table = wants_table(req);
        http_reply r;
        r.watch = w;
        if (w->table)
            r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
        std::string const rv = q.get("resourceVersion");
        if (rv.empty() || rv == "0") {
            for (auto const* o : select(q, rt))
                r.initial_chunks.push_back(st_.event_line(*w, "ADDED", *o));
        } else {
            char* end = nullptr;
            std::uint64_t const from = std::strtoull(rv.c_str(), &end, 10);
            if (!end || *end != '\0')
                throw bad_request("invalid resource version: " + rv);
            if (from < st_.compacted_rv)
                throw make_error(410, "Expired",
                                 "too old resource version: " + rv + " (" + std::to_string(st_.compacted_rv + 1) + ")");
            for (auto const& e : st_.history) {
                if (e.rv <= from)
                    continue;
                if (auto type = st_.visible_type(*w, e))
                    r.initial_chunks.push_back(st_.event_line(*w, *type, *e.obj));
            }
        }
        if (w->bookmarks)
            r.initial_chunks.push_back(st_.bookmark_line(*w));
        std::int64_t timeout = 1800;
        if (q.has("timeoutSeconds"))
            timeout = std::clamp<std::int64_t>(std::atoll(q.get("timeoutSeconds").c_str()), 0, 24 * 3600);
        r.watch_timeout = std::chrono::seconds(timeout);
        st_.watches.push_back(w);
        return r;
    }

    // ----- bodies

    static json::object parse_body(request const& req, resource_info const& ri, std::string const& name) {
        std::string ct = lower(std::string(req[http::field::content_type]));
        ct = trim(ct.substr(0, ct.find(';')));
        if (!(ct.empty() || ct == "application/json" || ct == "application/yaml" || ct == "*/*"))
            throw make_error(415, "UnsupportedMediaType",
                             "the body of the request was in an unknown format - accepted media types include: "
                             "application/json, application/yaml");
        if (ct == "application/yaml") {
            json::value v;
            try {
                v = yaml_to_json(req.body());
            } catch (std::runtime_error const& e) {
                throw bad_request(std::string("error converting YAML to JSON: ") + e.what());
            }
            if (!v.is_object())
                throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " + ri.kind +
                                  ": the body is not an object");
            return std::move(v.as_object());
        }
        return parse_json_object(req.body(), ri, name);
    }

    static json::object parse_json_object(std::string const& body, resource_info const& ri, std::string const&) {
        boost::system::error_code ec;
        json::value v = json::parse(body, ec);
        if (ec || !v.is_object())
            throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " + ri.kind +
                              ": " + (ec ? "invalid JSON: " + ec.message() : "the body is not a JSON object") +
                              "");
        return std::move(v.as_object());
    }

    // ----- write path shared by create/replace/patch

    void check_kind(json::object const& o, resource_info const& ri) {
        std::string const kind = str_of(o, "kind"), api = str_of(o, "apiVersion");
        if (!kind.empty() && kind != ri.kind)
            throw bad_request("the API version in the data (" + api + ") does not match the expected API version (" +
                              ri.group_version() + ")");
        if (!api.empty() && api != ri.group_version()) {
            // Another served version of the same group is fine (no conversion is done).
            std::string const g = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
            if (g != ri.group)
                throw bad_request("the API version in the data (" + api + ") does not match the expected API version (" +
                                  ri.group_version() + ")");
        }
    }

    // Secret / ConfigMap / CRD rules; `old` is the live object on update.
    void validate(resource_info const& ri, json::object& o, json::object const* old) {
        std::vector<cause> causes;
        std::string const name = str_of(cmeta(o), "name");
        if (name.empty())
            causes.push_back({"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"});
        else if (ri.plural == "namespaces" && ri.group.empty() ? !is_dns_label(name) : !is_dns_subdomain(name))
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + quote_json(name) + ": " + (ri.plural == "namespaces" ? label_msg : subdomain_msg),
                              "metadata.name"});
        for (char const* f : {"labels", "annotations"}) {
            auto const* m = cmeta(o).if_contains(f);
            if (m && !m->is_object() && !m->is_null())
                throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " + ri.kind +
                                  ": metadata." + f + " must be a map of strings");
            if (m && m->is_object())
                for (auto const& [k, v] : m->as_object())
                    if (!v.is_string())
                        throw bad_request(ri.kind + " in version \"" + ri.version + "\" cannot be handled as a " +
                                          ri.kind + ": json: cannot unmarshal " + std::string(v.is_number() ? "number" : "value") +
                                          " into Go struct field ObjectMeta.metadata." + f + " of type string");
        }
        if (old) {
            auto const* dt = cmeta(*old).if_contains("deletionTimestamp");
            if (dt) {
                auto names = [](json::object const& x) {
                    std::set<std::string> s;
                    auto const* f = cmeta(x).if_contains("finalizers");
                    if (f && f->is_array())
                        for (auto const& e : f->as_array())
                            if (e.is_string())
                                s.emplace(e.as_string());
                    return s;
                };
                auto const before = names(*old), after = names(o);
                std::string added;
                for (auto const& n : after)
                    if (!before.count(n))
                        added += (added.empty() ? "" : ", ") + quote_json(n);
                if (!added.empty())
                    causes.push_back({"FieldValueForbidden",
                                      "Forbidden: no new finalizers can be added if the object is being deleted, found "
                                      "new finalizers []string{" + added + "}",
                                      "metadata.finalizers"});
            }
        }
        if (ri.group.empty() && (ri.plural == "secrets" || ri.plural == "configmaps"))
            validate_data(ri, o, old, causes);
        if (ri.plural == "customresourcedefinitions")
            validate_crd(o, causes);
        if (!causes.empty())
            throw invalid(ri, name, causes);
    }

    void validate_data(resource_info const& ri, json::object& o, json::object const* old, std::vector<cause>& causes) {
        bool const secret = ri.plural == "secrets";
        auto const unmarshal_error = [&](std::string const& what) {
            return bad_request(ri.kind + " in version \"v1\" cannot be handled as a " + ri.kind + ": " + what);
        };
        if (secret) {
            // stringData is write-only: folded into data (overriding), never stored.
            if (auto const* sd = o.if_contains("stringData")) {
                if (!sd->is_object() && !sd->is_null())
                    throw unmarshal_error("json: cannot unmarshal into Go struct field Secret.stringData of type map[string]string");
                if (sd->is_object()) {
                    json::object& data = ensure_obj(o, "data");
                    for (auto const& [k, v] : sd->as_object()) {
                        if (!v.is_string())
                            throw unmarshal_error("json: cannot unmarshal into Go struct field Secret.stringData of type string");
                        data[k] = base64_encode(v.as_string());
                    }
                }
                o.erase("stringData");
            }
            if (str_of(o, "type").empty())
                o["type"] = "Opaque";
        }
        std::size_t total = 0;
        std::map<std::string, std::string> decoded;
        for (char const* field : {"data", "binaryData"}) {
            if (secret && std::string_view(field) == "binaryData")
                continue;
            auto const* d = o.if_contains(field);
            if (!d || d->is_null())
                continue;
            if (!d->is_object())
                throw unmarshal_error(std::string("json: cannot unmarshal into Go struct field ") + ri.kind + "." + field +
                                      " of type map[string]" + (secret ? "[]byte" : "string"));
            for (auto const& [k, v] : d->as_object()) {
                std::string const key(k);
                if (!v.is_string())
                    throw unmarshal_error(std::string("json: cannot unmarshal into Go struct field ") + ri.kind + "." +
                                          field + " of type string");
                if (!is_config_key(key))
                    causes.push_back({"FieldValueInvalid",
                                      "Invalid value: " + quote_json(key) +
                                          ": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                                          "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                                          "is '[-._a-zA-Z0-9]+')",
                                      std::string(field) + "[" + key + "]"});
                if (secret || std::string_view(field) == "binaryData") {
                    auto bytes = base64_decode_std(v.as_string());
                    if (!bytes)
                        throw unmarshal_error("illegal base64 data at input byte 0");
                    total += bytes->size();
                    decoded[key] = *bytes;
                } else {
                    total += v.as_string().size();
                }
            }
        }
        if (total > max_secret_size)
            causes.push_back({"FieldValueTooLong", "Too long: must have at most 1048576 bytes", "data"});
        if (secret) {
            std::string const type = str_of(o, "type");
            auto require = [&](std::string const& key) {
                if (!decoded.count(key))
                    causes.push_back({"FieldValueRequired", "Required value", "data[" + key + "]"});
            };
            if (type == "kubernetes.io/tls") {
                require("tls.crt");
                require("tls.key");
            } else if (type == "kubernetes.io/basic-auth") {
                if (!decoded.count("username") && !decoded.count("password"))
                    causes.push_back({"FieldValueRequired", "Required value", "data[username]"});
            } else if (type == "kubernetes.io/ssh-auth") {
                require("ssh-privatekey");
            } else if (type == "kubernetes.io/dockerconfigjson") {
                require(".dockerconfigjson");
            } else if (type == "kubernetes.io/dockercfg") {
                require(".dockercfg");
            } else if (type == "kubernetes.io/service-account-token") {
                auto const* ann = obj_of(cmeta(o), "annotations");
                if (!ann || str_of(*ann, "kubernetes.io/service-account.name").empty())
                    causes.push_back({"FieldValueRequired", "Required value",
                                      "metadata.annotations[kubernetes.io/service-account.name]"});
            }
        }
        if (old) {
            if (secret && str_of(o, "type") != str_of(*old, "type"))
                causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(str_of(o, "type")) + ": field is immutable",
                                  "type"});
            auto const* was_immutable = old->if_contains("immutable");
            if (was_immutable && was_immutable->is_bool() && was_immutable->as_bool()) {
                auto const* now_immutable = o.if_contains("immutable");
                if (!now_immutable || !now_immutable->is_bool() || !now_immutable->as_bool())
                    causes.push_back({"FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set",
                                      "immutable"});
                auto data_of = [](json::object const& x, char const* f) {
                    auto const* d = x.if_contains(f);
                    return d && d->is_object() ? d->as_object() : json::object();
                };
                if (data_of(o, "data") != data_of(*old, "data"))
                    causes.push_back({"FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "data"});
                if (!secret && data_of(o, "binaryData") != data_of(*old, "binaryData"))
                    causes.push_back(
                        {"FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "binaryData"});
            }
        }
    }

    void validate_crd(json::object const& o, std::vector<cause>& causes) {
        auto const* spec = obj_of(o, "spec");
        if (!spec) {
            causes.push_back({"FieldValueRequired", "Required value", "spec"});
            return;
        }
        std::string const group = str_of(*spec, "group");
        auto const* names = obj_of(*spec, "names");
        std::string const plural = names ? str_of(*names, "plural") : "";
        if (group.empty() || group.find('.') == std::string::npos)
            causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(group) + ": should be a domain with at least one dot",
                              "spec.group"});
        if (!names || plural.empty())
            causes.push_back({"FieldValueRequired", "Required value", "spec.names.plural"});
        if (!names || str_of(*names, "kind").empty())
            causes.push_back({"FieldValueRequired", "Required value", "spec.names.kind"});
        std::string const scope = str_of(*spec, "scope");
        if (scope != "Namespaced" && scope != "Cluster")
            causes.push_back({"FieldValueNotSupported",
                              "Unsupported value: " + quote_json(scope) + ": supported values: \"Cluster\", \"Namespaced\"",
                              "spec.scope"});
        std::string const name = str_of(cmeta(o), "name");
        if (!plural.empty() && !group.empty() && name != plural + "." + group)
            causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(name) + ": must be spec.names.plural+\".\"+spec.group",
                              "metadata.name"});
        auto const* versions = spec->if_contains("versions");
        int storage = 0;
        if (!versions || !versions->is_array() || versions->as_array().empty()) {
            causes.push_back({"FieldValueInvalid", "Invalid value: null: must have exactly one version marked as storage version",
                              "spec.versions"});
        } else {
            for (auto const& v : versions->as_array())
                if (v.is_object())
                    if (auto const* s = v.as_object().if_contains("storage"); s && s->is_bool() && s->as_bool())
                        ++storage;
            if (storage != 1)
                causes.push_back({"FieldValueInvalid",
                                  "Invalid value: \"" + std::to_string(storage) +
                                      "\": must have exactly one version marked as storage version",
                                  "spec.versions"});
        }
    }

    // Server-owned fields of a CRD: Established, NamesAccepted, accepted names, stored versions.
    static void crd_status(json::object& o) {
        auto const* spec = obj_of(o, "spec");
        json::array stored;
        if (auto const* vs = spec ? spec->if_contains("versions") : nullptr; vs && vs->is_array())
            for (auto const& v : vs->as_array())
                if (v.is_object())
                    if (auto const* s = v.as_object().if_contains("storage"); s && s->is_bool() && s->as_bool())
                        stored.push_back(json::value(str_of(v.as_object(), "name")));
        std::string const now = rfc3339(now_s());
        auto cond = [&](char const* type, char const* reason, char const* message) {
            return json::object{{"type", type},     {"status", "True"},     {"lastTransitionTime", now},
                                {"reason", reason}, {"message", message}};
        };
        json::object status;
        status["conditions"] = json::array{cond("NamesAccepted", "NoConflicts", "no conflicts found"),
                                           cond("Established", "InitialNamesAccepted", "the initial names have been accepted")};
        status["acceptedNames"] = spec && obj_of(*spec, "names") ? json::value(*obj_of(*spec, "names")) : json::value(json::object());
        status["storedVersions"] = stored;
        o["status"] = std::move(status);
    }

    void require_namespace(resource_info const& ri, std::string const& ns) {
        if (!ri.namespaced)
            return;
        auto const* nsri = st_.find("", "v1", "namespaces");
        if (!st_.lookup(*nsri, "", ns))
            throw not_found(*nsri, ns);
    }

    // Everything create and replace share after the body is final.
    http_reply commit(resource_info const& ri, route const& rt, json::object o, json::object const* old, bool dry,
                      bool status_write, unsigned created_code = 201) {
        if (ri.new_events())
            o = convert_event(std::move(o), true);
        std::string const name = str_of(cmeta(o), "name");
        if (old) {
            // Server-owned metadata survives any update.
            json::object& m = meta(o);
            json::object const& om = cmeta(*old);
            for (char const* f : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
                if (auto const* v = om.if_contains(f))
                    m[f] = *v;
                else
                    m.erase(f);
            }
            if (ri.namespaced)
                m["namespace"] = rt.ns;
            if (status_write) {
                // Only status changes; everything else is the live object (metadata may change on /status in
                // a real server only in limited ways; this mock keeps it).
                json::object merged = *old;
                if (auto const* s = o.if_contains("status"))
                    merged["status"] = *s;
                else
                    merged.erase("status");
                json::object& mm = meta(merged);
                mm["resourceVersion"] = str_of(cmeta(*old), "resourceVersion");
                o = std::move(merged);
            } else if (ri.status_sub && ri.plural != "customresourcedefinitions") {
                if (auto const* s = old->if_contains("status"))
                    o["status"] = *s;
                else
                    o.erase("status");
            }
            if (ri.generation && !status_write) {
                auto strip = [](json::object x) {
                    x.erase("metadata");
                    x.erase("status");
                    x.erase("apiVersion");
                    x.erase("kind");
                    return x;
                };
                if (strip(o) != strip(*old)) {
                    std::int64_t g = 1;
                    if (auto const* gv = om.if_contains("generation"); gv && gv->is_int64())
                        g = gv->as_int64();
                    meta(o)["generation"] = g + 1;
                }
            }
        }
        validate(ri, o, old);
        if (!old && st_.lookup(ri, ri.namespaced ? rt.ns : "", name))
            throw already_exists(ri, name);
        if (ri.plural == "customresourcedefinitions")
            crd_status(o);
        o["apiVersion"] = ri.group_version();
        o["kind"] = ri.kind;
        if (!update_manager_.empty())
            record_update(o, old);
        if (old && !status_write && o == *old) {
            // No-op update: real servers skip the write and keep the resourceVersion.
            return ok_json(api_state::served(ri, o));
        }
        std::string const ns = ri.namespaced ? rt.ns : "";
        if (dry) {
            if (!old)
                meta(o)["resourceVersion"] = "";
            return ok_json(api_state::served(ri, o), old ? 200 : created_code);
        }
        // Removing the last finalizer of an object being deleted completes the deletion.
        if (old && cmeta(o).contains("deletionTimestamp")) {
            auto const* f = cmeta(o).if_contains("finalizers");
            if (!f || !f->is_array() || f->as_array().empty()) {
                st_.put_object(ri, ns, name, o, false);
                st_.erase_object(ri, ns, name);
                return ok_json(api_state::served(ri, o));
            }
        }
        st_.put_object(ri, ns, name, o, old == nullptr);
        if (ri.plural == "customresourcedefinitions")
            st_.register_crd(o);
        json::object const& stored = *st_.lookup(ri, ns, name);
        json::object out = api_state::served(ri, stored);
        if (!old)
            collect_if_orphaned(ri, ns, name);
        return ok_json(out, old ? 200 : created_code);
    }

    // Non-apply writes own the fields they set, as "Update" entries in
    // managedFields (manager = fieldManager, else the User-Agent's product);
    // other managers lose those fields.
    void record_update(json::object& o, json::object const* old) {
        auto fields_of = [](json::object const& x) {
            json::object y = x;
            y.erase("apiVersion");
            y.erase("kind");
            json::object keep;
            if (auto const* m = obj_of(x, "metadata"))
                for (char const* f : {"labels", "annotations", "finalizers", "ownerReferences"})
                    if (auto const* v = m->if_contains(f))
                        keep[f] = *v;
            y.erase("metadata");
            if (!keep.empty())
                y["metadata"] = std::move(keep);
            std::set<std::string> out;
            leaf_paths(y, "", out);
            out.erase("");
            return out;
        };
        json::value const nv = o;
        json::value const ov = old ? json::value(*old) : json::value(nullptr);
        std::set<std::string> changed;
        for (auto const& p : fields_of(o)) {
            json::value const* a = old ? value_at_path(ov, p) : nullptr;
            json::value const* b = value_at_path(nv, p);
            if (!a || !b || *a != *b)
                changed.insert(p);
        }
        if (changed.empty())
            return;
        json::array managed;
        if (auto const* mf = cmeta(o).if_contains("managedFields"); mf && mf->is_array())
            managed = mf->as_array();
        std::set<std::string> mine;
        for (auto& ev : managed) {
            if (!ev.is_object())
                continue;
            auto& e = ev.as_object();
            std::set<std::string> theirs;
            if (auto const* f = obj_of(e, "fieldsV1"))
                fields_v1_paths(*f, "", theirs);
            if (str_of(e, "manager") == update_manager_ && str_of(e, "operation") == "Update") {
                mine = theirs;
                continue;
            }
            for (auto const& p : changed)
                theirs.erase(p);
            e["fieldsV1"] = fields_v1(theirs);
        }
        erase_values(managed, [&](json::value const& e) {
            if (!e.is_object())
                return true;
            auto const* f = obj_of(e.as_object(), "fieldsV1");
            bool const me = str_of(e.as_object(), "manager") == update_manager_ &&
                            str_of(e.as_object(), "operation") == "Update";
            return me || !f || f->empty();
        });
        mine.insert(changed.begin(), changed.end());
        managed.push_back(json::object{{"manager", update_manager_},
                                       {"operation", "Update"},
                                       {"apiVersion", str_of(o, "apiVersion")},
                                       {"time", rfc3339(now_s())},
                                       {"fieldsType", "FieldsV1"},
                                       {"fieldsV1", fields_v1(mine)}});
        meta(o)["managedFields"] = std::move(managed);
    }

    // An object created with ownerReferences whose owners all do not exist is
    // collected at once, as the garbage collector would shortly after.
    void collect_if_orphaned(resource_info const& ri, std::string const& ns, std::string const& name) {
        json::object const* o = st_.lookup(ri, ns, name);
        auto const* refs = o ? cmeta(*o).if_contains("ownerReferences") : nullptr;
        if (!refs || !refs->is_array() || refs->as_array().empty())
            return;
        for (auto const& r : refs->as_array())
            if (r.is_object() && st_.uid_exists(str_of(r.as_object(), "uid")))
                return;
        st_.delete_object(ri, ns, name, "Background");
    }

    http_reply create(json::object o, query_params const&, route const& rt, bool dry, json::array const* managed = nullptr) {
        resource_info const& ri = *rt.ri;
        check_kind(o, ri);
        json::object& m = meta(o);
        if (ri.namespaced) {
            std::string const body_ns = str_of(m, "namespace");
            if (!body_ns.empty() && body_ns != rt.ns)
                throw bad_request("the namespace of the provided object does not match the namespace sent on the request");
            m["namespace"] = rt.ns;
        } else {
            m.erase("namespace");
        }
        if (str_of(m, "name").empty() && !str_of(m, "generateName").empty()) {
            std::string name;
            do
                name = str_of(m, "generateName") + name_suffix();
            while (st_.lookup(ri, rt.ns, name));
            m["name"] = name;
        }
        std::string const name = str_of(m, "name");
        require_namespace(ri, rt.ns);
        for (char const* f : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"})
            m.erase(f);
        if (managed)
            m["managedFields"] = *managed;
        m["uid"] = uuid();
        m["creationTimestamp"] = rfc3339(now_s());
        if (ri.generation)
            m["generation"] = 1;
        if (ri.status_sub && ri.custom)
            o.erase("status");
        if (ri.group.empty() && ri.plural == "namespaces") {
            o["spec"] = json::object{{"finalizers", json::array{"kubernetes"}}};
            o["status"] = json::object{{"phase", "Active"}};
            ensure_obj(meta(o), "labels")["kubernetes.io/metadata.name"] = name;  // o changed: m may dangle
        }
        return commit(ri, rt, std::move(o), nullptr, dry, false);
    }

    json::object const& live(route const& rt) {
        json::object const* cur = st_.lookup(*rt.ri, rt.ri->namespaced ? rt.ns : "", rt.name);
        if (!cur)
            throw not_found(*rt.ri, rt.name);
        return *cur;
    }

    void check_rv(route const& rt, json::object const& body, json::object const& current) {
        std::string const want = str_of(cmeta(body), "resourceVersion");
        if (!want.empty() && want != str_of(cmeta(current), "resourceVersion"))
            throw conflict(*rt.ri, rt.name);
    }

    http_reply replace(json::object o, query_params const&, route const& rt, bool dry) {
        resource_info const& ri = *rt.ri;
        check_kind(o, ri);
        json::object const old = live(rt);
        std::string const body_name = str_of(cmeta(o), "name");
        if (body_name != rt.name)
            throw bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" + rt.name + ")");
        if (ri.namespaced) {
            std::string const body_ns = str_of(cmeta(o), "namespace");
            if (!body_ns.empty() && body_ns != rt.ns)
                throw bad_request("the namespace of the provided object does not match the namespace sent on the request");
        }
        check_rv(rt, o, old);
        meta(o).erase("managedFields");
        if (auto const* mf = cmeta(old).if_contains("managedFields"))
            meta(o)["managedFields"] = *mf;
        return commit(ri, rt, std::move(o), &old, dry, rt.sub == "status");
    }

    http_reply patch(request const& req, query_params const& q, route const& rt, bool dry) {
        resource_info const& ri = *rt.ri;
        std::string ct = lower(std::string(req[http::field::content_type]));
        ct = trim(ct.substr(0, ct.find(';')));
        boost::system::error_code ec;
        json::value body = json::parse(req.body(), ec);
        bool const known = ct == "application/merge-patch+json" || ct == "application/json-patch+json" ||
                           ct == "application/strategic-merge-patch+json" || ct == "application/apply-patch+yaml";
        if (!known || (ct == "application/strategic-merge-patch+json" && ri.custom))
            throw make_error(415, "UnsupportedMediaType",
                             "the body of the request was in an unknown format - accepted media types include: "
                             "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
        if (ec && ct == "application/apply-patch+yaml") {
            // Apply configurations may be YAML (JSON is the subset kubectl sends).
            try {
                body = yaml_to_json(req.body());
                ec = {};
            } catch (std::runtime_error const& e) {
                throw bad_request(std::string("error decoding YAML: ") + e.what());
            }
        }
        if (ec)
            throw bad_request("error decoding patch: " + ec.message());
        if (ct == "application/apply-patch+yaml")
            return apply(std::move(body), q, rt, dry);
        json::object const old = live(rt);
        json::value doc = api_state::served(ri, old);
        if (ct == "application/json-patch+json")
            json_patch(doc, body);
        else if (!body.is_object())
            throw bad_request("error decoding patch: the patch is not a JSON object");
        else if (ct == "application/merge-patch+json")
            merge_patch(doc, body);
        else
            strategic_merge(doc, body, "");
        if (!doc.is_object())
            throw bad_request("the patch produced a value that is not an object");
        json::object o = std::move(doc.as_object());
        if (str_of(cmeta(o), "name") != rt.name)
            throw bad_request("the name of the object (" + str_of(cmeta(o), "name") +
                              ") does not match the name on the URL (" + rt.name + ")");
        check_rv(rt, o, old);
        return commit(ri, rt, std::move(o), &old, dry, rt.sub == "status");
    }

    // Server-side apply, simplified: create-if-missing, merge, per-manager
    // ownership of leaf fields recorded in managedFields, conflicts with other
    // Apply managers unless force=true.
    http_reply apply(json::value body, query_params const& q, route const& rt, bool dry) {
        resource_info const& ri = *rt.ri;
        std::string const manager = q.get("fieldManager");
        if (manager.empty())
            throw make_error(422, "Invalid",
                             "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for "
                             "apply patch");
        if (!body.is_object())
            throw bad_request("error decoding YAML: the apply patch is not an object");
        json::object& b = body.as_object();
        if (auto const* mf = cmeta(b).if_contains("managedFields"); mf && !mf->is_null())
            throw bad_request("metadata.managedFields must be nil");
        bool const force = parse_bool(q.get("force"));
        std::set<std::string> mine;
        {
            json::object stripped = b;
            stripped.erase("apiVersion");
            stripped.erase("kind");
            json::object& m = ensure_obj(stripped, "metadata");
            for (char const* f : {"name", "namespace", "resourceVersion", "uid", "creationTimestamp"})
                m.erase(f);
            if (m.empty())
                stripped.erase("metadata");
            if (rt.sub == "status") {
                json::object only;
                if (auto const* s = stripped.if_contains("status"))
                    only["status"] = *s;
                stripped = only;
            }
            leaf_paths(stripped, "", mine);
            mine.erase("");
        }
        auto managed_entry = [&](std::set<std::string> const& paths) {
            return json::object{{"manager", manager},
                                {"operation", "Apply"},
                                {"apiVersion", ri.group_version()},
                                {"time", rfc3339(now_s())},
                                {"fieldsType", "FieldsV1"},
                                {"fieldsV1", fields_v1(paths)}};
        };
        json::object const* cur = st_.lookup(ri, ri.namespaced ? rt.ns : "", rt.name);
        if (!cur) {
            if (!rt.sub.empty())
                throw not_found(ri, rt.name);
            if (str_of(b, "kind").empty() || str_of(b, "apiVersion").empty())
                throw bad_request("apply patches must specify kind and apiVersion");
            std::string const body_name = str_of(cmeta(b), "name");
            if (!body_name.empty() && body_name != rt.name)
                throw bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" +
                                  rt.name + ")");
            meta(b)["name"] = rt.name;
            json::array const managed{managed_entry(mine)};
            return create(std::move(b), q, rt, dry, &managed);
        }
        json::object const old = *cur;
        check_kind(b, ri);
        std::string const want_rv = str_of(cmeta(b), "resourceVersion");
        if (!want_rv.empty() && want_rv != str_of(cmeta(old), "resourceVersion"))
            throw conflict(ri, rt.name);
        // Conflicts: a leaf owned by another Apply manager whose value would change.
        json::array managed;
        if (auto const* mf = cmeta(old).if_contains("managedFields"); mf && mf->is_array())
            managed = mf->as_array();
        json::value const old_v = old;
        json::value const new_v = b;
        std::vector<cause> conflicts;
        std::set<std::string> previously_mine;
        std::optional<json::object> my_entry;
        for (auto& ev : managed) {
            if (!ev.is_object())
                continue;
            auto& e = ev.as_object();
            std::set<std::string> theirs;
            if (auto const* f = obj_of(e, "fieldsV1"))
                fields_v1_paths(*f, "", theirs);
            if (str_of(e, "manager") == manager) {
                previously_mine = theirs;
                my_entry = e;
                continue;
            }
            std::set<std::string> remaining;
            for (auto const& p : theirs) {
                if (mine.count(p)) {
                    json::value const* a = value_at_path(old_v, p);
                    json::value const* c = value_at_path(new_v, p);
                    bool const differs = !a || !c || *a != *c;
                    if (differs && !force)
                        conflicts.push_back({"FieldManagerConflict",
                                             "conflict with " + quote_json(str_of(e, "manager")) + " using " +
                                                 str_of(e, "apiVersion"),
                                             dotted(p)});
                    if (differs)
                        continue;  // forced: ownership moves to us
                }
                remaining.insert(p);
            }
            e["fieldsV1"] = fields_v1(remaining);
        }
        if (!conflicts.empty()) {
            std::string msg = "Apply failed with " + std::to_string(conflicts.size()) + " conflict" +
                              (conflicts.size() > 1 ? "s" : "") + ": ";
            json::array cs;
            for (std::size_t i = 0; i < conflicts.size(); ++i) {
                msg += (i ? "; " : "") + conflicts[i].message + ": " + conflicts[i].field;
                cs.push_back(json::object{{"reason", conflicts[i].reason},
                                          {"message", conflicts[i].message},
                                          {"field", conflicts[i].field}});
            }
            throw make_error(409, "Conflict", msg, json::object{{"causes", cs}});
        }
        // Merge, and drop fields this manager applied before but no longer does
        // (unless another manager owns them).
        json::value doc = api_state::served(ri, old);
        json::object patch_body = b;
        meta(patch_body).erase("resourceVersion");
        merge_patch(doc, patch_body);
        for (auto const& p : previously_mine) {
            if (mine.count(p))
                continue;
            bool other = false;
            for (auto const& ev : managed)
                if (ev.is_object() && str_of(ev.as_object(), "manager") != manager)
                    if (auto const* f = obj_of(ev.as_object(), "fieldsV1")) {
                        std::set<std::string> t;
                        fields_v1_paths(*f, "", t);
                        other = other || t.count(p);
                    }
            if (other)
                continue;
            auto parts = split(std::string_view(p).substr(1), sep);
            json::value* parent = &doc;
            for (std::size_t i = 0; i + 1 < parts.size() && parent; ++i)
                parent = parent->is_object() ? parent->as_object().if_contains(parts[i]) : nullptr;
            if (parent && parent->is_object())
                parent->as_object().erase(parts.back());
        }
        erase_values(managed, [&](json::value const& e) {
            if (!e.is_object())
                return true;
            auto const* f = obj_of(e.as_object(), "fieldsV1");
            return str_of(e.as_object(), "manager") == manager || !f || f->empty();
        });
        // Unchanged ownership keeps the old entry (and its time), so a repeated
        // identical apply is a no-op that keeps the resourceVersion.
        managed.push_back(my_entry && previously_mine == mine ? *my_entry : managed_entry(mine));
        json::object o = std::move(doc.as_object());
        meta(o)["managedFields"] = std::move(managed);
        meta(o)["resourceVersion"] = str_of(cmeta(old), "resourceVersion");
        return commit(ri, rt, std::move(o), &old, dry, rt.sub == "status");
    }

    http_reply remove(request const& req, query_params const& q, route const& rt, bool dry) {
        resource_info const& ri = *rt.ri;
        if (!rt.sub.empty())
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        json::object const old = live(rt);
        std::string policy = q.get("propagationPolicy");
        if (!req.body().empty()) {
            boost::system::error_code ec;
            json::value opts = json::parse(req.body(), ec);
            if (ec || !opts.is_object())
                throw bad_request("DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: invalid JSON");
            auto const& o = opts.as_object();
            if (!str_of(o, "propagationPolicy").empty())
                policy = str_of(o, "propagationPolicy");
            if (auto const* pre = obj_of(o, "preconditions")) {
                std::string const uid = str_of(*pre, "uid"), rv = str_of(*pre, "resourceVersion");
                if (!uid.empty() && uid != str_of(cmeta(old), "uid"))
                    throw conflict(ri, rt.name,
                                   "Precondition failed: UID in precondition: " + uid +
                                       ", UID in object meta: " + str_of(cmeta(old), "uid"));
                if (!rv.empty() && rv != str_of(cmeta(old), "resourceVersion"))
                    throw conflict(ri, rt.name,
                                   "Precondition failed: ResourceVersion in precondition: " + rv +
                                       ", ResourceVersion in object meta: " + str_of(cmeta(old), "resourceVersion"));
            }
            if (auto const* dr = o.if_contains("dryRun"); dr && dr->is_array() && !dr->as_array().empty())
                dry = true;
        }
        if (policy.empty())
            policy = "Background";
        if (policy != "Background" && policy != "Foreground" && policy != "Orphan")
            throw invalid(ri, rt.name, {{"FieldValueNotSupported",
                                         "Unsupported value: " + quote_json(policy) +
                                             ": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                                         "propagationPolicy"}});
        json::object details = name_details(ri, rt.name);
        details["uid"] = str_of(cmeta(old), "uid");
        json::object success{{"kind", "Status"},     {"apiVersion", "v1"},  {"metadata", json::object()},
                             {"status", "Success"}, {"details", details}};
        if (dry)
            return ok_json(success);
        auto remaining = st_.delete_object(ri, ri.namespaced ? rt.ns : "", rt.name, policy);
        if (remaining)
            return ok_json(api_state::served(ri, *remaining));
        return ok_json(success);
    }

    http_reply delete_collection(request const& req, query_params const& q, route const& rt, bool dry) {
        resource_info const& ri = *rt.ri;
        std::vector<std::pair<std::string, std::string>> doomed;
        for (auto const* o : select(q, rt))
            doomed.emplace_back(str_of(cmeta(*o), "namespace"), str_of(cmeta(*o), "name"));
        json::array items;
        for (auto const& [ns, name] : doomed) {
            if (json::object const* o = st_.lookup(ri, ns, name))
                items.push_back(api_state::served(ri, *o));
            if (!dry)
                st_.delete_object(ri, ns, name, "Background");
        }
        (void)req;
        return ok_json(json::object{{"kind", ri.kind + "List"},
                                    {"apiVersion", ri.group_version()},
                                    {"metadata", json::object{{"resourceVersion", std::to_string(st_.rv)}}},
                                    {"items", items}});
    }

    // ----- SelfSubjectAccessReview (kubectl auth can-i)

    http_reply access_review(request const& req, user_entry const& user) {
        json::object body = parse_body(req, *st_.find("authorization.k8s.io", "v1", "selfsubjectaccessreviews"), "");
        json::object const* spec = obj_of(body, "spec");
        json::object const* ra = spec ? obj_of(*spec, "resourceAttributes") : nullptr;
        bool ok = false;
        std::string reason;
        if (ra) {
            std::string resource = str_of(*ra, "resource");
            if (!str_of(*ra, "subresource").empty())
                resource += "/" + str_of(*ra, "subresource");
            ok = allowed(user, str_of(*ra, "verb"), str_of(*ra, "group"), resource, str_of(*ra, "namespace"));
        } else {
            ok = !user.rules.has_value();  // non-resource URLs: only unrestricted users
        }
        reason = ok ? (user.rules ? "allowed by a seed rule" : "unrestricted user") : "";  // kubectl prints a denial reason after "no"
        body["apiVersion"] = "authorization.k8s.io/v1";
        body["kind"] = "SelfSubjectAccessReview";
        body["metadata"] = json::object{{"creationTimestamp", nullptr}};
        body["status"] = json::object{{"allowed", ok}, {"reason", reason}};
        return ok_json(body, 201);
    }

    // ----- TokenRequest

    http_reply token_request(request const& req, route const& rt) {
        resource_info const& ri = *rt.ri;
        json::object const& sa = live(rt);
        static resource_info const tr_info = [] {
            resource_info r;
            r.group = "authentication.k8s.io";
            r.version = "v1";
            r.plural = "tokenrequests";
            r.kind = "TokenRequest";
            return r;
        }();
        json::object body = parse_body(req, tr_info, rt.name);
        json::object spec = obj_of(body, "spec") ? *obj_of(body, "spec") : json::object();
        std::int64_t exp = 3600;
        if (auto const* e = spec.if_contains("expirationSeconds"); e && e->is_number())
            exp = e->to_number<std::int64_t>();
        if (exp < 600)
            throw invalid(tr_info, "", {{"FieldValueInvalid",
                                         "Invalid value: " + std::to_string(exp) +
                                             ": may not specify a duration less than 10 minutes",
                                         "spec.expirationSeconds"}});
        if (exp > (std::int64_t(1) << 32))
            throw invalid(tr_info, "", {{"FieldValueInvalid",
                                         "Invalid value: " + std::to_string(exp) +
                                             ": may not specify a duration larger than 2^32 seconds",
                                         "spec.expirationSeconds"}});
        json::array aud;
        if (auto const* a = spec.if_contains("audiences"); a && a->is_array() && !a->as_array().empty())
            aud = a->as_array();
        else
            aud.push_back(json::value(st_.server_url));
        std::int64_t const now = now_s();
        std::string const sub = "system:serviceaccount:" + rt.ns + ":" + rt.name;
        json::object claims{{"aud", aud},
                            {"exp", now + exp},
                            {"iat", now},
                            {"nbf", now},
                            {"iss", st_.server_url},
                            {"sub", sub},
                            {"jti", uuid()},
                            {"kubernetes.io",
                             json::object{{"namespace", rt.ns},
                                          {"serviceaccount", json::object{{"name", rt.name}, {"uid", str_of(cmeta(sa), "uid")}}}}}};
        json::object header{{"alg", "RS256"}, {"kid", st_.kid}, {"typ", "JWT"}};
        std::string const input = base64_encode(json::serialize(header), true) + "." + base64_encode(json::serialize(claims), true);
        std::string const token = input + "." + sign_rs256(input);
        st_.minted[token] = issued_token{sub, now + exp};
        spec["expirationSeconds"] = exp;
        spec["audiences"] = aud;
        json::object out{{"kind", "TokenRequest"},
                         {"apiVersion", "authentication.k8s.io/v1"},
                         {"metadata", json::object{{"name", rt.name}, {"namespace", rt.ns}, {"creationTimestamp", nullptr}}},
                         {"spec", spec},
                         {"status", json::object{{"token", token}, {"expirationTimestamp", rfc3339(now + exp)}}}};
        (void)ri;
        return ok_json(out, 201);
    }

    std::string sign_rs256(std::string const& input) {
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        std::size_t len = 0;
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, st_.sa_key.get()) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
            throw std::runtime_error("RS256 signing failed");
        std::string sig(len, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
            throw std::runtime_error("RS256 signing failed");
        sig.resize(len);
        return base64_encode(sig, true);
    }

    api_state& st_;
    std::string update_manager_;  // the manager of the current non-apply write, "" for apply/reads
};

// ---------------------------------------------------------------------------
// 7. connections

std::string serialize_head(unsigned code, std::string const& content_type,
                           std::vector<std::pair<std::string, std::string>> const& headers, bool keep_alive,
                           std::optional<std::size_t> length) {
    std::string out = "HTTP/1.1 " + std::to_string(code) + " " +
                      std::string(http::obsolete_reason(http::int_to_status(code))) + "\r\n";
    out += "Content-Type: " + content_type + "\r\n";
    out += "Cache-Control: no-cache, private\r\n";
    for (auto const& [k, v] : headers)
        out += k + ": " + v + "\r\n";
    if (length)
        out += "Content-Length: " + std::to_string(*length) + "\r\n";
    else
        out += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive)
        out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

std::string chunk(std::string const& payload) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
    return size + payload + "\r\n";
}

class connection_base : public stream_sink {
public:
    virtual void abort() noexcept = 0;
};

using handler_fn = std::function<http_reply(request const&, request_record&)>;
using record_fn = std::function<void(request_record)>;

struct conn_env {
    handler_fn handle;
    record_fn record;
    std::mutex* mutex;  // held while the handler runs and while watches are unregistered
};

template <class Stream>
class connection final : public connection_base, public std::enable_shared_from_this<connection<Stream>> {
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
    template <class... Args>
    explicit connection(conn_env const& env, Args&&... args)
        : env_(env), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {}

    void start() {
        if constexpr (is_tls) {
            stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (!ec)
                    self->read_request();
            });
        } else {
            read_request();
        }
    }

    void abort() noexcept override {
        closed_ = true;
        try {
            timer_.cancel();
        } catch (...) {
        }
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

    // stream_sink (called on the io thread, with the state mutex held)
    void send_chunk(std::string payload) override {
        if (!streaming_ || closed_)
            return;
        enqueue(chunk(payload));
    }
    void end_stream() override {
        if (!streaming_ || closed_)
            return;
        streaming_ = false;
        enqueue("0\r\n\r\n");
        // A read is still pending on the socket (to notice clients leaving),
        // so the connection cannot be reused: close it once the end is sent.
        after_queue_ = after::abort;
    }
    void abort_stream() override { abort(); }

private:
    enum class after { nothing, read_next, close, abort, drain };

    void read_request() {
        parser_.emplace();
        parser_->body_limit(3 * 1024 * 1024);
        parser_->header_limit(64 * 1024);
        http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            json::object s{{"kind", "Status"},
                           {"apiVersion", "v1"},
                           {"metadata", json::object()},
                           {"status", "Failure"},
                           {"message", "the request body is larger than 3145728 bytes"},
                           {"reason", "RequestEntityTooLarge"},
                           {"code", 413}};
            std::string const body = json::serialize(s);
            keep_alive_ = false;
            after_queue_ = after::drain;
            enqueue(serialize_head(413, "application/json", {}, false, body.size()) + body);
            return;
        }
        if (ec) {
            if (ec != http::error::end_of_stream && ec != net::error::eof && !closed_ && ec != net::error::operation_aborted &&
                ec != net::ssl::error::stream_truncated) {
                // Malformed request: answer 400 and close.
                std::string const body = json::serialize(bad_request("malformed HTTP request: " + ec.message()).status);
                keep_alive_ = false;
                after_queue_ = after::close;
                enqueue(serialize_head(400, "application/json", {}, false, body.size()) + body);
            }
            return;
        }
        request req = parser_->release();
        keep_alive_ = req.keep_alive();
        request_record rec;
        rec.method = std::string(req.method_string());
        std::string_view const target = req.target();
        std::size_t const q = target.find('?');
        rec.path = std::string(target.substr(0, q));
        rec.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
        rec.content_type = std::string(req[http::field::content_type]);
        rec.user_agent = std::string(req[http::field::user_agent]);
        http_reply reply;
        {
            std::lock_guard lock(*env_.mutex);
            reply = env_.handle(req, rec);
            rec.status = reply.code;
            if (reply.watch) {
                reply.watch->sink = std::weak_ptr<stream_sink>(
                    std::static_pointer_cast<stream_sink>(this->shared_from_this()));
            }
        }
        env_.record(rec);
        if (reply.close)
            keep_alive_ = false;
        if (reply.watch) {
            begin_watch(std::move(reply));
            return;
        }
        std::string out = serialize_head(reply.code, reply.content_type, reply.headers, keep_alive_, reply.body.size()) +
                          reply.body;
        after_queue_ = keep_alive_ ? after::read_next : after::close;
        if (reply.delay.count() > 0) {
            timer_.expires_after(reply.delay);
            timer_.async_wait([self = this->shared_from_this(), out = std::move(out)](beast::error_code e) mutable {
                if (!e)
                    self->enqueue(std::move(out));
            });
        } else {
            enqueue(std::move(out));
        }
    }

    void begin_watch(http_reply reply) {
        streaming_ = true;
        after_queue_ = after::nothing;
        keep_alive_ = false;
        std::string head = serialize_head(200, reply.content_type, reply.headers, false, std::nullopt);
        for (auto const& c : reply.initial_chunks)
            head += chunk(c);
        enqueue(std::move(head));
        // Keep reading so a client that goes away is noticed at once.
        watch_read();
        timer_.expires_after(reply.watch_timeout);
        timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec)
                return;
            std::lock_guard lock(*self->env_.mutex);
            self->end_stream();
        });
    }

    void drain() {
        beast::get_lowest_layer(stream_).socket().async_read_some(
            net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                self->drained_ += n;
                if (ec || self->drained_ > 64 * 1024 * 1024) {
                    self->abort();
                    return;
                }
                self->drain();
            });
    }

    void watch_read() {
        stream_.async_read_some(net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                if (self->streaming_)
                    self->abort();
                return;
            }
            if (self->streaming_)
                self->watch_read();
        });
    }

    void enqueue(std::string data) {
        queue_.push_back(std::move(data));
        if (!writing_)
            write_next();
    }

    void write_next() {
        if (queue_.empty()) {
            writing_ = false;
            auto const next = after_queue_;
            after_queue_ = after::nothing;
            if (next == after::read_next && !closed_) {
                timer_.cancel();
                read_request();
            } else if (next == after::close) {
                graceful_close();
            } else if (next == after::abort) {
                abort();
            } else if (next == after::drain) {
                // The client may still be sending the rest of an oversized body: FIN our side and
                // read (discard) until it is done, so it gets to read the answer instead of a reset.
                beast::error_code ec;
                beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
                drain();
            }
            return;
        }
        writing_ = true;
        current_ = std::move(queue_.front());
        queue_.pop_front();
        net::async_write(stream_, net::buffer(current_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->abort();
                return;
            }
            self->write_next();
        });
    }

    void graceful_close() {
        if constexpr (is_tls) {
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->abort(); });
        } else {
            beast::error_code ec;
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    conn_env const& env_;
    Stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::deque<std::string> queue_;
    std::string current_;
    bool writing_ = false;
    bool keep_alive_ = true;
    bool streaming_ = false;
    bool closed_ = false;
    after after_queue_ = after::nothing;
    std::array<char, 16 * 1024> discard_{};
    std::size_t drained_ = 0;
};

std::string records_json(std::deque<request_record> const& log) {
    json::array a;
    for (auto const& r : log)
        a.push_back(json::object{{"method", r.method},         {"path", r.path},       {"query", r.query},
                                 {"user", r.user},             {"status", r.status},   {"content_type", r.content_type},
                                 {"user_agent", r.user_agent}, {"fault", r.fault}});
    return json::serialize(a);
}

fault parse_fault(std::string const& text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        throw std::invalid_argument("fault: expected a JSON object");
    auto const& o = v.as_object();
    fault f;
    auto num = [&](char const* k, std::int64_t def) -> std::int64_t {
        auto const* x = o.if_contains(k);
        if (!x)
            return def;
        if (!x->is_int64() && !x->is_uint64())
            throw std::invalid_argument(std::string("fault: ") + k + " must be an integer");
        return x->to_number<std::int64_t>();
    };
    f.status = static_cast<unsigned>(num("status", 0));
    f.count = static_cast<std::size_t>(num("count", 1));
    f.latency = std::chrono::milliseconds(num("latency_ms", 0));
    f.retry_after = static_cast<std::size_t>(num("retry_after", 1));
    f.method = str_of(o, "method");
    f.path_prefix = str_of(o, "path_prefix");
    if (f.status == 0 && f.latency.count() == 0)
        throw std::invalid_argument("fault: give status (429, 5xx) and/or latency_ms");
    if (f.status != 0 && (f.status < 400 || f.status > 599))
        throw std::invalid_argument("fault: status must be 4xx or 5xx");
    return f;
}

}  // namespace

// ---------------------------------------------------------------------------
// 8. server

std::string default_seed() {
    return R"({
  "users": [{"name": "admin", "token": "esx-admin-token", "groups": ["system:masters"]}],
  "namespaces": ["default", "kube-system"]
})";
}

struct server::impl {
    options opts;
    api_state st;
    api_handler handler{st};
    std::filesystem::path tls_dir;
    bool own_tls_dir = false;
    std::filesystem::path kubeconfig;
    std::string ca_pem;
    std::string cert_pem, key_pem;
    // Declaration order matters: what connections refer to must outlive ioc,
    // whose destructor releases the connections still held by handlers.
    std::optional<net::ssl::context> ssl_ctx;
    conn_env api_env, control_env;
    std::mutex conns_mutex;
    std::vector<std::weak_ptr<connection_base>> conns;
    net::io_context ioc{1};
    tcp::acceptor api_acceptor{ioc};
    tcp::acceptor control_acceptor{ioc};
    net::steady_timer bookmark_timer{ioc};
    unsigned short api_port = 0, ctl_port = 0;
    std::thread thread;
    std::mutex stop_mutex;
    bool stopped = false;
    mutable std::mutex log_mutex;

    explicit impl(options o) : opts(std::move(o)) {}

    void load_seed(std::string const& text) {
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        if (ec || !v.is_object())
            throw std::runtime_error("esx-mock-kube: the seed is not a JSON object: " + (ec ? ec.message() : std::string()));
        auto const& seed = v.as_object();
        auto strings = [](json::object const& o, char const* key) {
            std::vector<std::string> out;
            if (auto const* a = o.if_contains(key); a && a->is_array()) {
                for (auto const& s : a->as_array()) {
                    if (!s.is_string())
                        throw std::runtime_error(std::string("esx-mock-kube: seed: ") + key + " must hold strings");
                    out.emplace_back(s.as_string());
                }
            }
            return out;
        };
        if (auto const* users = seed.if_contains("users"); users && users->is_array()) {
            for (auto const& uv : users->as_array()) {
                if (!uv.is_object())
                    throw std::runtime_error("esx-mock-kube: seed: users[] entries must be objects");
                auto const& u = uv.as_object();
                user_entry e;
                e.name = str_of(u, "name");
                if (e.name.empty())
                    throw std::runtime_error("esx-mock-kube: seed: every user needs a name");
                e.groups = strings(u, "groups");
                if (auto const* rules = u.if_contains("rules"); rules && rules->is_array()) {
                    e.rules.emplace();
                    for (auto const& rv : rules->as_array()) {
                        if (!rv.is_object())
                            throw std::runtime_error("esx-mock-kube: seed: rules[] entries must be objects");
                        auto const& r = rv.as_object();
                        e.rules->push_back(user_rule{strings(r, "verbs"), strings(r, "resources"), strings(r, "apiGroups"),
                                                     strings(r, "namespaces")});
                    }
                }
                st.users[e.name] = e;
                std::string const token = str_of(u, "token");
                if (!token.empty()) {
                    st.tokens[token] = e;
                    if (st.first_token.empty())
                        st.first_token = token;
                }
            }
        }
        if (st.tokens.empty())
            throw std::runtime_error("esx-mock-kube: seed: at least one user with a token is required");
        if (auto const* w = seed.if_contains("watch_window"); w && w->is_int64() && w->as_int64() > 0)
            st.window = static_cast<std::size_t>(w->as_int64());
        if (opts.watch_window)
            st.window = opts.watch_window;

        std::vector<std::string> namespaces = strings(seed, "namespaces");
        if (std::find(namespaces.begin(), namespaces.end(), "default") == namespaces.end())
            namespaces.insert(namespaces.begin(), "default");
        request_record rec;
        auto post = [&](std::string const& path, json::object const& body) {
            request req{http::verb::post, path + "?fieldManager=esx-mock-seed", 11};
            req.set(http::field::authorization, "Bearer " + st.first_token);
            req.set(http::field::content_type, "application/json");
            req.body() = json::serialize(body);
            http_reply r = handler.handle(req, rec);
            if (r.code >= 300 && r.code != 409)
                throw std::runtime_error("esx-mock-kube: seed object at " + path + " rejected: " + r.body);
        };
        for (auto const& ns : namespaces)
            post("/api/v1/namespaces", json::object{{"apiVersion", "v1"}, {"kind", "Namespace"},
                                                    {"metadata", json::object{{"name", ns}}}});
        if (auto const* objs = seed.if_contains("objects"); objs && objs->is_array()) {
            for (auto const& ov : objs->as_array()) {
                if (!ov.is_object())
                    throw std::runtime_error("esx-mock-kube: seed: objects[] entries must be objects");
                auto const& o = ov.as_object();
                std::string const api = str_of(o, "apiVersion"), kind = str_of(o, "kind");
                std::string const group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
                std::string const version = api.substr(api.find('/') == std::string::npos ? 0 : api.find('/') + 1);
                resource_info const* ri = nullptr;
                auto it = st.gvs.find(api);
                if (it != st.gvs.end())
                    for (auto const& r : it->second)
                        if (r.kind == kind)
                            ri = &r;
                if (!ri)
                    throw std::runtime_error("esx-mock-kube: seed: unknown kind " + kind + " in " + api +
                                             " (list CRDs before their objects)");
                std::string path = group.empty() ? "/api/v1" : "/apis/" + group + "/" + version;
                if (ri->namespaced) {
                    std::string ns = str_of(cmeta(o), "namespace");
                    path += "/namespaces/" + (ns.empty() ? std::string("default") : ns);
                }
                std::string const plural = ri->plural;
                post(path + "/" + plural, o);
                // Seeded status (e.g. a Ready ExternalSecret) goes through /status too.
                if (o.contains("status") && ri->status_sub && ri->custom) {
                    request req{http::verb::patch,
                                path + "/" + plural + "/" + str_of(cmeta(o), "name") + "/status?fieldManager=esx-mock-seed", 11};
                    req.set(http::field::authorization, "Bearer " + st.first_token);
                    req.set(http::field::content_type, "application/merge-patch+json");
                    req.body() = json::serialize(json::object{{"status", *o.if_contains("status")}});
                    handler.handle(req, rec);
                }
            }
        }
        // Seeding is not part of the watch history a test can observe as "new".
    }

    void make_sa_key() {
        EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
        if (!key)
            throw std::runtime_error("esx-mock-kube: RSA key generation failed");
        st.sa_key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
        auto bn_param = [&](char const* name) {
            BIGNUM* bn = nullptr;
            if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
                throw std::runtime_error("esx-mock-kube: reading RSA parameters failed");
            std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
            BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
            BN_free(bn);
            return out;
        };
        std::string const n = bn_param(OSSL_PKEY_PARAM_RSA_N);
        st.jwk_n = base64_encode(n, true);
        st.jwk_e = base64_encode(bn_param(OSSL_PKEY_PARAM_RSA_E), true);
        st.kid = base64_encode(std::to_string(std::hash<std::string>{}(n)), true);
    }

    void write_files() {
        if (opts.tls_dir.empty()) {
            std::string tmpl = (std::filesystem::temp_directory_path() / "esx-mock-kube-XXXXXX").string();
            if (!::mkdtemp(tmpl.data()))
                throw std::runtime_error("esx-mock-kube: mkdtemp failed");
            tls_dir = tmpl;
            own_tls_dir = true;
        } else {
            tls_dir = opts.tls_dir;
            std::filesystem::create_directories(tls_dir);
        }
        pki::write_file(tls_dir / "ca.pem", ca_pem);
        pki::write_file(tls_dir / "server.pem", cert_pem);
        pki::write_file(tls_dir / "server-key.pem", key_pem);
        kubeconfig = opts.kubeconfig.empty() ? tls_dir / "kubeconfig" : opts.kubeconfig;
        std::string kc;
        kc += "apiVersion: v1\nkind: Config\n";
        kc += "clusters:\n- name: esx-mock\n  cluster:\n    server: " + st.server_url + "\n";
        kc += "    certificate-authority-data: " + base64_encode(ca_pem) + "\n";
        kc += "users:\n- name: esx-mock-admin\n  user:\n    token: " + st.first_token + "\n";
        kc += "contexts:\n- name: esx-mock\n  context:\n    cluster: esx-mock\n    user: esx-mock-admin\n    namespace: default\n";
        kc += "current-context: esx-mock\n";
        pki::write_file(kubeconfig, kc);
    }

    void listen(tcp::acceptor& a, unsigned short port) {
        tcp::endpoint const ep(net::ip::make_address_v4("127.0.0.1"), port);
        a.open(ep.protocol());
        a.set_option(net::socket_base::reuse_address(true));
        a.bind(ep);
        a.listen(net::socket_base::max_listen_connections);
    }

    template <bool Tls>
    void accept(tcp::acceptor& a, conn_env const& env) {
        a.async_accept([this, &a, &env](beast::error_code ec, tcp::socket s) {
            if (!a.is_open())
                return;
            if (!ec) {
                beast::error_code ignored;
                s.set_option(tcp::no_delay(true), ignored);
                std::shared_ptr<connection_base> c;
                if constexpr (Tls) {
                    auto tc = std::make_shared<connection<beast::ssl_stream<beast::tcp_stream>>>(env, std::move(s), *ssl_ctx);
                    tc->start();
                    c = tc;
                } else {
                    auto pc = std::make_shared<connection<beast::tcp_stream>>(env, std::move(s));
                    pc->start();
                    c = pc;
                }
                std::lock_guard lock(conns_mutex);
                if (conns.size() > 256)
                    std::erase_if(conns, [](auto const& w) { return w.expired(); });
                conns.push_back(c);
            }
            accept<Tls>(a, env);
        });
    }

    void schedule_bookmarks() {
        bookmark_timer.expires_after(opts.bookmark_interval);
        bookmark_timer.async_wait([this](beast::error_code ec) {
            if (ec)
                return;
            {
                std::lock_guard lock(st.m);
                st.send_bookmarks();
            }
            schedule_bookmarks();
        });
    }

    void record(request_record r) {
        std::lock_guard lock(log_mutex);
        st.log.push_back(std::move(r));
        if (st.log.size() > 100000)
            st.log.pop_front();
    }

    // The API's front door: faults first (they are the point of a fault), then the handler.
    http_reply api_request(request const& req, request_record& rec) {
        std::chrono::milliseconds delay{0};
        for (auto& f : st.faults) {
            if (f.count == 0)
                continue;
            if (!f.method.empty() && f.method != rec.method)
                continue;
            if (!f.path_prefix.empty() && !rec.path.starts_with(f.path_prefix))
                continue;
            --f.count;
            delay += f.latency;
            if (f.status) {
                rec.fault = "status " + std::to_string(f.status);
                std::string reason = f.status == 429 ? "TooManyRequests" : f.status == 503 ? "ServiceUnavailable"
                                                                       : f.status == 500 ? "InternalError" : "Unknown";
                std::string message = f.status == 429 ? "Too many requests, please try again later."
                                                      : "mock apiserver: injected failure " + std::to_string(f.status);
                api_error e = make_error(f.status, reason, message,
                                         json::object{{"causes", json::array{}}, {"retryAfterSeconds", f.retry_after}});
                http_reply r;
                r.code = f.status;
                r.body = json::serialize(e.status);
                if (f.status == 429 || f.status == 503)
                    r.headers.emplace_back("Retry-After", std::to_string(f.retry_after));
                r.delay = delay;
                std::erase_if(st.faults, [](fault const& x) { return x.count == 0; });
                return r;
            }
            rec.fault = "latency " + std::to_string(f.latency.count()) + "ms";
        }
        std::erase_if(st.faults, [](fault const& x) { return x.count == 0; });
        http_reply r = handler.handle(req, rec);
        r.delay += delay;
        return r;
    }

    http_reply control_request(request const& req, request_record&) {
        std::string const target(req.target());
        std::string const path = target.substr(0, target.find('?'));
        http_reply r;
        auto text = [&](unsigned code, std::string body) {
            r.code = code;
            r.content_type = "application/json";
            r.body = std::move(body);
            return r;
        };
        if (req.method() == http::verb::get && path == "/requests") {
            std::lock_guard lock(log_mutex);
            return text(200, records_json(st.log));
        }
        if (req.method() == http::verb::delete_ && path == "/requests") {
            std::lock_guard lock(log_mutex);
            st.log.clear();
            return text(200, "{}");
        }
        if (req.method() == http::verb::post && path == "/faults") {
            try {
                st.faults.push_back(parse_fault(req.body()));
            } catch (std::exception const& e) {
                return text(400, json::serialize(json::object{{"error", e.what()}}));
            }
            return text(201, "{}");
        }
        if (req.method() == http::verb::delete_ && path == "/faults") {
            st.faults.clear();
            return text(200, "{}");
        }
        if (req.method() == http::verb::post && path == "/drop-watches") {
            std::size_t const n = st.drop_watches();
            return text(200, json::serialize(json::object{{"dropped", n}}));
        }
        if (req.method() == http::verb::get && path == "/state")
            return text(200, json::serialize(json::object{{"resourceVersion", st.rv},
                                                          {"objects", st.objects.size()},
                                                          {"watches", st.live_watches()}}));
        return text(404, R"({"error":"unknown control endpoint; see mocks/kube/README.md"})");
    }

    void start() {
        st.register_builtins();
        make_sa_key();
        auto ca = pki::authority::generate("esx mock kube CA");
        auto leaf = ca.issue_server({"localhost", "kubernetes.default.svc"}, {"127.0.0.1"});
        ca_pem = ca.cert_pem();
        cert_pem = leaf.cert_pem;
        key_pem = leaf.key_pem;
        ssl_ctx.emplace(net::ssl::context::tls_server);
        ssl_ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                             net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
        ssl_ctx->use_certificate_chain(net::buffer(cert_pem));
        ssl_ctx->use_private_key(net::buffer(key_pem), net::ssl::context::pem);

        listen(api_acceptor, opts.port);
        listen(control_acceptor, opts.control_port);
        api_port = api_acceptor.local_endpoint().port();
        ctl_port = control_acceptor.local_endpoint().port();
        st.server_url = "https://127.0.0.1:" + std::to_string(api_port);

        {
            std::lock_guard lock(st.m);
            load_seed(opts.seed_json.empty() ? default_seed() : opts.seed_json);
            st.history.clear();
            st.history_bytes = 0;
            st.compacted_rv = st.rv;
        }
        write_files();

        api_env.handle = [this](request const& req, request_record& rec) { return api_request(req, rec); };
        api_env.record = [this](request_record r) { record(std::move(r)); };
        api_env.mutex = &st.m;
        control_env.handle = [this](request const& req, request_record& rec) { return control_request(req, rec); };
        control_env.record = [](request_record) {};
        control_env.mutex = &st.m;
        accept<true>(api_acceptor, api_env);
        accept<false>(control_acceptor, control_env);
        schedule_bookmarks();
        thread = std::thread([this] { ioc.run(); });
    }

    void stop() {
        std::lock_guard lock(stop_mutex);
        if (stopped)
            return;
        stopped = true;
        net::post(ioc, [this] {
            beast::error_code ec;
            api_acceptor.close(ec);
            control_acceptor.close(ec);
            bookmark_timer.cancel();
            std::lock_guard l(conns_mutex);
            for (auto& w : conns)
                if (auto c = w.lock())
                    c->abort();
            conns.clear();
            ioc.stop();
        });
        if (thread.joinable())
            thread.join();
    }

    ~impl() {
        stop();
        if (own_tls_dir) {
            std::error_code ec;
            std::filesystem::remove_all(tls_dir, ec);
        }
    }
};

server::server(options opts) : impl_(std::make_unique<impl>(std::move(opts))) { impl_->start(); }
server::~server() { stop(); }

unsigned short server::port() const noexcept { return impl_->api_port; }
unsigned short server::control_port() const noexcept { return impl_->ctl_port; }
std::string server::url() const { return impl_->st.server_url; }
std::string server::control_url() const { return "http://127.0.0.1:" + std::to_string(impl_->ctl_port); }
std::string server::issuer() const { return impl_->st.server_url; }
std::string server::jwks_uri() const { return impl_->st.server_url + "/openid/v1/jwks"; }
std::string server::jwks_json() const { return json::serialize(impl_->st.jwks()); }
std::string server::token() const { return impl_->st.first_token; }
std::filesystem::path server::ca_file() const { return impl_->tls_dir / "ca.pem"; }
std::filesystem::path server::kubeconfig_file() const { return impl_->kubeconfig; }
std::string const& server::ca_pem() const { return impl_->ca_pem; }

std::string server::startup_json() const {
    return json::serialize(json::object{{"server", url()},
                                        {"kubeconfig", kubeconfig_file().string()},
                                        {"ca", ca_file().string()},
                                        {"token", token()},
                                        {"issuer", issuer()},
                                        {"jwks_uri", jwks_uri()},
                                        {"control", control_url()}});
}

std::vector<request_record> server::requests() const {
    std::lock_guard lock(impl_->log_mutex);
    return {impl_->st.log.begin(), impl_->st.log.end()};
}

void server::reset_log() {
    std::lock_guard lock(impl_->log_mutex);
    impl_->st.log.clear();
}

void server::add_fault(std::string const& fault_json) {
    fault f = parse_fault(fault_json);
    std::lock_guard lock(impl_->st.m);
    impl_->st.faults.push_back(f);
}

void server::clear_faults() {
    std::lock_guard lock(impl_->st.m);
    impl_->st.faults.clear();
}

void server::drop_watches() {
    {
        std::lock_guard lock(impl_->stop_mutex);
        if (impl_->stopped)
            return;
    }
    // Aborting sockets must happen on the io thread; the state lock orders it
    // after any handler that is running.
    std::promise<void> done;
    auto fut = done.get_future();
    net::post(impl_->ioc, [this, &done] {
        {
            std::lock_guard lock(impl_->st.m);
            impl_->st.drop_watches();
        }
        done.set_value();
    });
    fut.wait();
}

std::uint64_t server::resource_version() const {
    std::lock_guard lock(impl_->st.m);
    return impl_->st.rv;
}

void server::stop() { impl_->stop(); }

}  // namespace esx::mocks::kube
