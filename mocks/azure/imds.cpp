// esx mocks/azure: IMDS, the managed-identity token endpoint of a VM (plain HTTP, the Metadata
// header, identities picked by client_id, object_id or resource id, or the system-assigned one).
#include "state.hpp"

namespace esx::mocks::azure::detail {

response cloud::imds_error(unsigned status, std::string const& error, std::string const& description) const {
    return json_response(status, json::object{{"error", error}, {"error_description", description}});
}

response cloud::handle_imds(request const& req, request_record& rec) {
    std::string const target(req.target());
    auto q = target.find('?');
    std::string const path = target.substr(0, q);
    if (path != "/metadata/identity/oauth2/token")
        return imds_error(404, "not_found", "The requested resource was not found.");
    auto metadata = req.find("Metadata");
    if (metadata == req.end() || metadata->value() != "true")
        return imds_error(400, "bad_request_102", "Required metadata header not specified");
    if (req.method() != http::verb::get)
        return imds_error(405, "method_not_allowed", "The request method is not supported.");
    auto query = parse_pairs(q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1),
                             false);
    if (!query)
        return imds_error(400, "invalid_request", "Malformed query string");
    auto api = get(*query, "api-version");
    if (!api)
        return imds_error(400, "invalid_request", "Required queryparameter api-version not specified");
    auto res = get(*query, "resource");
    if (!res || res->empty())
        return imds_error(400, "invalid_request", "Required queryparameter resource not specified");
    managed_identity const* mi = nullptr;
    auto cid = get(*query, "client_id");
    auto oid = get(*query, "object_id");
    auto rid = get(*query, "msi_res_id");
    if (!rid)
        rid = get(*query, "mi_res_id");
    for (auto const& m : identities) {
        if ((cid && m.client_id == *cid) || (oid && m.object_id == *oid) ||
            (rid && !m.resource_id.empty() && lower(m.resource_id) == lower(*rid)) ||
            (!cid && !oid && !rid && m.system_assigned)) {
            mi = &m;
            break;
        }
    }
    if (!mi)
        return imds_error(400, "invalid_request", "Identity not found");
    rec.identity = mi->client_id;
    auto aud = canonical_resource(*res);
    if (!aud)
        return imds_error(400, "invalid_resource",
                          "AADSTS500011: The resource principal named " + *res +
                              " was not found in the tenant named " + mi->tenant +
                              ". This can happen if the application has not been installed by the administrator "
                              "of the tenant or consented to by any user in the tenant. You might have sent your "
                              "authentication request to the wrong tenant.");
    std::int64_t const t = now_s();
    json::object body{{"access_token", issue_token(mi->tenant, mi->client_id, mi->object_id, *aud)},
                      {"client_id", mi->client_id},
                      {"expires_in", std::to_string(token_lifetime)},
                      {"expires_on", std::to_string(t + token_lifetime)},
                      {"ext_expires_in", std::to_string(token_lifetime)},
                      {"not_before", std::to_string(t)},
                      {"resource", *res},
                      {"token_type", "Bearer"}};
    return json_response(200, body);
}

}  // namespace esx::mocks::azure::detail
