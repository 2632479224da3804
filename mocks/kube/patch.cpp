// esx mocks/kube: PATCH: merge, JSON and strategic merge patches applied to the object as
// served, then written like an update; apply patches go to apply.cpp.
#include "handler.hpp"

#include "patches.hpp"
#include "text.hpp"
#include "yaml_json.hpp"

#include <boost/json/parse.hpp>

#include <stdexcept>

namespace esx::mocks::kube::detail {

http_reply api_handler::patch(api_request const& req, query_params const& q, route const& rt, bool dry) {
    resource_info const& ri = *rt.ri;
    std::string ct = lower(req.content_type);
    ct = trim(ct.substr(0, ct.find(';')));
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    bool const known = ct == "application/merge-patch+json" || ct == "application/json-patch+json" ||
                       ct == "application/strategic-merge-patch+json" || ct == "application/apply-patch+yaml";
    if (!known || (ct == "application/strategic-merge-patch+json" && ri.custom))
        throw make_error(415, "UnsupportedMediaType",
                         "the body of the request was in an unknown format - accepted media types include: "
                         "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
    if (ec && ct == "application/apply-patch+yaml") {
        // Apply configurations may be YAML (JSON is the subset kubectl sends).
        try {
            body = yaml_to_json(req.body);
            ec = {};
        } catch (std::runtime_error const& e) {
            throw bad_request(std::string("error decoding YAML: ") + e.what());
        }
    }
    if (ec)
        throw bad_request("error decoding patch: " + ec.message());
    if (ct == "application/apply-patch+yaml")
        return apply(std::move(body), q, rt, dry);
    object_ptr const old_ptr = live(rt);  // the stored version, unchanged by the write below
    json::object const& old = *old_ptr;
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

}  // namespace esx::mocks::kube::detail
