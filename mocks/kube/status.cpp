// esx mocks/kube: Status errors (see status.hpp).
#include "status.hpp"

namespace esx::mocks::kube::detail {

api_error make_error(unsigned code, std::string reason, std::string message, json::object details) {
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

api_error conflict(resource_info const& ri, std::string const& name, std::string const& why) {
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

}  // namespace esx::mocks::kube::detail
