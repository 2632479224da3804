// esx mocks/kube: what kube-apiserver validates of every object (names, labels and
// annotations, finalizers while deleting) and of Secrets and ConfigMaps (keys, base64,
// size, type-specific keys, immutability).
#include "handler.hpp"

#include "text.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <map>
#include <set>

namespace esx::mocks::kube::detail {

namespace {

// apimachinery's validation messages, as the API server words them.
std::string const subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
std::string const label_msg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
std::string const qualified_name_msg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
    "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
std::string const label_value_msg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

std::string max_len(std::size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

bool lower_alnum(char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, any length.
bool label_shape(std::string_view s) {
    if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back()))
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

// IsDNS1123Label: namespaces.
std::vector<std::string> dns_label_errors(std::string const& s) {
    std::vector<std::string> out;
    if (s.size() > 63)
        out.push_back(max_len(63));
    if (!label_shape(s))
        out.push_back(label_msg);
    return out;
}

// IsDNS1123Subdomain: most other names. Up to 253 characters, and no limit per dot-separated
// part (that is a label's rule, not a subdomain name's).
std::vector<std::string> dns_subdomain_errors(std::string const& s) {
    std::vector<std::string> out;
    if (s.size() > 253)
        out.push_back(max_len(253));
    auto const parts = split(s, '.');
    if (!std::all_of(parts.begin(), parts.end(), [](std::string const& p) { return label_shape(p); }))
        out.push_back(subdomain_msg);
    return out;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], non-empty.
bool qualified_shape(std::string_view s) {
    if (s.empty() || !alnum(s.front()) || !alnum(s.back()))
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// IsQualifiedName: label keys ([prefix/]name, name up to 63 characters).
std::vector<std::string> qualified_name_errors(std::string const& key) {
    std::vector<std::string> out;
    auto const parts = split(key, '/');
    std::string name = parts.back();
    if (parts.size() > 2)
        return {"a qualified name " + qualified_name_msg +
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    if (parts.size() == 2) {
        if (parts[0].empty())
            out.push_back("prefix part must be non-empty");
        else
            for (auto const& m : dns_subdomain_errors(parts[0]))
                out.push_back("prefix part " + m);
    }
    if (name.empty())
        out.push_back("name part must be non-empty");
    else if (name.size() > 63)
        out.push_back("name part " + max_len(63));
    if (!qualified_shape(name))
        out.push_back("name part " + qualified_name_msg);
    return out;
}

// IsValidLabelValue: empty, or a qualified name's shape up to 63 characters.
std::vector<std::string> label_value_errors(std::string const& v) {
    std::vector<std::string> out;
    if (v.size() > 63)
        out.push_back(max_len(63));
    if (!v.empty() && !qualified_shape(v))
        out.push_back(label_value_msg);
    return out;
}

bool is_config_key(std::string const& k) {
    if (k.empty() || k.size() > 253 || k == "." || k == ".." || k.starts_with(".."))
        return false;
    for (char c : k)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

constexpr std::size_t max_secret_size = 1024 * 1024;

}  // namespace

void api_handler::validate(resource_info const& ri, json::object& o, json::object const* old,
                           std::vector<cause> const& schema_causes) {
    std::vector<cause> causes;
    std::string const name = str_of(cmeta(o), "name");
    if (name.empty()) {
        causes.push_back({"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"});
    } else {
        bool const namespace_name = ri.plural == "namespaces" && ri.group.empty();
        for (auto const& m : namespace_name ? dns_label_errors(name) : dns_subdomain_errors(name))
            causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(name) + ": " + m, "metadata.name"});
    }
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
    if (auto const* labels = obj_of(cmeta(o), "labels")) {
        for (auto const& [k, v] : *labels) {
            std::string const key(k);
            for (auto const& m : qualified_name_errors(key))
                causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(key) + ": " + m, "metadata.labels"});
            std::string const value(v.as_string());
            for (auto const& m : label_value_errors(value))
                causes.push_back({"FieldValueInvalid", "Invalid value: " + quote_json(value) + ": " + m, "metadata.labels"});
        }
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
    causes.insert(causes.end(), schema_causes.begin(), schema_causes.end());
    if (!causes.empty())
        throw invalid(ri, name, causes);
}

void api_handler::validate_data(resource_info const& ri, json::object& o, json::object const* old, std::vector<cause>& causes) {
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

}  // namespace esx::mocks::kube::detail
