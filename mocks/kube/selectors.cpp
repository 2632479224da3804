// esx mocks/kube: label and field selectors (see selectors.hpp).
#include "selectors.hpp"

#include "status.hpp"
#include "text.hpp"

#include <algorithm>
#include <optional>

namespace esx::mocks::kube::detail {

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

}  // namespace esx::mocks::kube::detail
