// esx mocks/kube: Table output (`Accept: ...;as=Table`, what kubectl get prints): columns
// per built-in type, a CRD's additionalPrinterColumns, PartialObjectMetadata rows.
#include "state.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <functional>

namespace esx::mocks::kube::detail {

namespace {

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

}  // namespace

json::object api_state::table_for(resource_info const& ri, std::vector<json::object> const& items, bool partial_meta) const {
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

}  // namespace esx::mocks::kube::detail
