// esx mocks/kube: merge, strategic merge and JSON patches (see patches.hpp).
#include "patches.hpp"

#include "status.hpp"
#include "text.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace esx::mocks::kube::detail {

namespace {

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

}  // namespace

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

}  // namespace esx::mocks::kube::detail
