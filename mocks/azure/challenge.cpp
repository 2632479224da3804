// esx mocks/azure: who may use a vault: the bearer token (signed by the mock's Entra ID, for
// the vault resource, from the vault's tenant, not expired) or a 401 challenge naming where to
// get one (authorization = the tenant's authority, resource = the vault resource), then the
// access rules per identity, vault and object kind (403 Forbidden as Key Vault words it).
#include "state.hpp"

namespace esx::mocks::azure::detail {

response cloud::kv_error(unsigned status, std::string const& code, std::string const& message,
                         std::optional<std::string> inner) {
    json::object err{{"code", code}, {"message", message}};
    if (inner)
        err["innererror"] = json::object{{"code", *inner}};
    return json_response(status, json::object{{"error", err}});
}

response cloud::challenge(vault_state const& v, std::string const& message) const {
    return challenge(v, message, v.tenant, resource());
}

response cloud::challenge(vault_state const&, std::string const& message, std::string const& tenant,
                          std::string const& resource) const {
    response r = kv_error(401, "Unauthorized", message);
    r.set(http::field::www_authenticate,
          "Bearer authorization=\"" + authority() + "/" + tenant + "\", resource=\"" + resource + "\"");
    return r;
}

std::optional<response> cloud::authenticate(request const& req, vault_state const& v, json::object& claims) const {
    auto authz = req[http::field::authorization];
    if (authz.empty())
        return challenge(v, "AKV10000: Request is missing a Bearer or PoP token.");
    if (authz.size() < 7 || lower(authz.substr(0, 7)) != "bearer ")
        return challenge(v, "AKV10000: Request is missing a Bearer or PoP token.");
    std::string_view token = authz.substr(7);
    auto verified = jwt.verify(token);
    if (!verified)
        return challenge(v, "AKV10046: Unable to resolve the key used for signature validation");
    claims = std::move(*verified);
    auto claim = [&](char const* k) {
        auto const* x = claims.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::int64_t exp = 0;
    if (auto const* e = claims.if_contains("exp"); e && e->is_int64())
        exp = e->as_int64();
    if (exp <= now_s())
        return challenge(v, "The access token has expired.");  // live wording not captured
    if (!canonical_resource(claim("aud")))
        return challenge(v, "AKV10022: Invalid audience. Expected https://" + suffix + ", found: " +
                                claim("aud") + ".");
    if (claim("tid") != v.tenant)
        return challenge(v, "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + v.tenant +
                                "/, found " + claim("iss") + ".");
    return std::nullopt;
}

bool cloud::allowed(std::string const& identity, vault_state const& v, std::string const& perm,
             std::string const& kind) const {
    auto it = access.find({identity, lower(v.name), kind});
    return it != access.end() && std::find(it->second.begin(), it->second.end(), perm) != it->second.end();
}

response cloud::forbidden(json::object const& claims, vault_state const& v, std::string const& perm,
                   std::string const& kind) const {
    auto s = [&](char const* k) {
        auto const* x = claims.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    return kv_error(403, "Forbidden",
                    "The user, group or application 'appid=" + s("appid") + ";oid=" + s("oid") + ";iss=" +
                        s("iss") + "' does not have " + kind + " " + perm + " permission on key vault '" + v.name +
                        ";location=eastus'. For help resolving this issue, please see "
                        "https://go.microsoft.com/fwlink/?linkid=2125287",
                    "AccessDenied");
}

}  // namespace esx::mocks::azure::detail
