// esx mocks/azure: the Key Vault data plane's front: authentication first (challenge.cpp),
// then the request URI (api-version, collection, name, version), throttling, and the handler
// of the collection; plus what all collections share: attributes, paging, response headers.
#include "state.hpp"

namespace esx::mocks::azure::detail {

response cloud::handle_vault(request const& req, std::string const& vault_name, request_record& rec) {
    auto vit = vaults.find(vault_name);
    if (vit == vaults.end())
        return kv_error(404, "VaultNotFound", "The vault '" + vault_name + "' does not exist in this mock.");
    vault_state& v = vit->second;

    // Authenticate before looking at anything else (clients send a body-less probe first).
    json::object claims;
    if (auto refused = authenticate(req, v, claims))
        return *refused;
    auto claim = [&](char const* k) {
        auto const* x = claims.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::string const identity = claim("appid");
    rec.identity = identity;

    // Route.
    std::string const target(req.target());
    auto q = target.find('?');
    auto query = parse_pairs(q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1),
                             false);
    if (!query)
        return kv_error(400, "BadParameter", "The request URI contains a malformed query string.");
    auto api = get(*query, "api-version");
    if (!api)
        return kv_error(400, "BadParameter", "The 'api-version' query parameter is required.");
    if (std::find(api_versions.begin(), api_versions.end(), *api) == api_versions.end())
        return kv_error(400, "BadParameter", "The specified version (" + *api +
                                                 ") is not recognized. Consider using the latest supported "
                                                 "version (" + latest_api_version + ").");
    auto raw = split(std::string_view(target).substr(0, q), '/');  // "", collection, ...
    std::vector<std::string> segs;
    for (std::size_t i = 1; i < raw.size(); ++i) {
        auto d = percent_decode(raw[i], false);
        if (!d)
            return kv_error(400, "BadParameter", "The request URI is malformed.");
        segs.push_back(*d);
    }
    static std::string const collections[] = {"secrets", "deletedsecrets", "keys", "deletedkeys",
                                              "certificates", "deletedcertificates"};
    if (segs.empty() || std::find(std::begin(collections), std::end(collections), segs[0]) == std::end(collections))
        return kv_error(404, "NotFound", "The requested operation is not supported by the mock: " +
                                             std::string(req.method_string()) + " " + target.substr(0, q));
    if (throttled(v))
        return throttled_response(v.throttle_retry_after);
    if (segs[0] == "keys" && segs.size() == 2 && req.method() == http::verb::put)
        return import_key(req, v, segs[1], identity, claims);
    if (segs[0] == "certificates" && segs.size() == 3 && segs[2] == "import" && req.method() == http::verb::post)
        return import_certificate(req, v, segs[1], identity, claims);
    if ((segs[0] == "keys" || segs[0] == "certificates") && segs.size() == 2 && !segs[1].empty() &&
        req.method() == http::verb::delete_)
        return delete_key_or_certificate(v, segs[0] == "keys", segs[1], identity, claims);
    if (segs[0] == "deletedkeys" || segs[0] == "deletedcertificates")
        return handle_deleted_key_or_certificate(req.method(), v, segs, *query, *api, identity, claims);
    if (segs[0] == "keys" || segs[0] == "certificates")
        return handle_read_only(req.method(), v, segs, *query, *api, identity, claims);
    return handle_secrets(req, v, segs, *query, *api, identity, claims);
}

json::object cloud::attributes(secret_version const& sv, vault_state const& v) const {
    return attrs(sv.enabled, sv.nbf, sv.exp, sv.created, sv.updated, v);
}

json::object cloud::attrs(bool enabled, std::optional<std::int64_t> nbf, std::optional<std::int64_t> exp,
                          std::int64_t created, std::int64_t updated, vault_state const& v) {
    json::object a{{"enabled", enabled}};
    if (nbf)
        a["nbf"] = *nbf;
    if (exp)
        a["exp"] = *exp;
    a["created"] = created;
    a["updated"] = updated;
    a["recoveryLevel"] = v.recoverable_days == 90 ? "Recoverable+Purgeable" : "CustomizedRecoverable+Purgeable";
    a["recoverableDays"] = v.recoverable_days;
    return a;
}

// One page of `items` starting at the skiptoken's offset.
response cloud::page(std::vector<json::value> const& items, vault_state const& v, std::string const& collection,
              params const& query, std::string const& api) const {
    std::size_t max = 25;
    bool max_given = false;
    if (auto m = get(query, "maxresults")) {
        char* end = nullptr;
        long n = std::strtol(m->c_str(), &end, 10);
        if (m->empty() || *end != '\0' || n < 1 || n > 25)
            return kv_error(400, "BadParameter", "Invalid value for the parameter maxresults: " + *m +
                                                     ". It must be an integer between 1 and 25.");
        max = static_cast<std::size_t>(n);
        max_given = true;
    }
    std::size_t offset = 0;
    bool empty_served = false;
    if (auto tok = get(query, "$skiptoken")) {
        auto decoded = base64url_decode(*tok);
        if (!decoded || !decoded->starts_with("esx-offset:"))
            return kv_error(400, "BadParameter", "The skip token is invalid.");
        char* end = nullptr;
        offset = std::strtoul(decoded->c_str() + 11, &end, 10);
        empty_served = std::string_view(end) == ":e";
    }
    auto link_to = [&](std::string const& token) {
        std::string link = vault_base(v) + "/" + collection + "?api-version=" + percent_encode(api) +
                           "&$skiptoken=" + base64url(token);
        if (max_given)
            link += "&maxresults=" + std::to_string(max);
        return link;
    };
    if (v.empty_pages && offset > 0 && !empty_served)
        return json_response(200, json::object{{"value", json::array{}},
                                               {"nextLink", link_to("esx-offset:" + std::to_string(offset) + ":e")}});
    json::array value;
    for (std::size_t i = offset; i < items.size() && i < offset + max; ++i)
        value.push_back(items[i]);
    json::object body{{"value", value}};
    if (offset + max < items.size()) {
        body["nextLink"] = link_to("esx-offset:" + std::to_string(offset + max));
    } else {
        body["nextLink"] = nullptr;
    }
    return json_response(200, body);
}

// Applies a SecretSetParameters / SecretUpdateParameters "attributes" object.
std::optional<std::string> cloud::apply_attributes(json::object const& body, secret_version& sv) {
    if (auto const* ct = body.if_contains("contentType"); ct && !ct->is_null()) {
        if (!ct->is_string())
            return "contentType must be a string";
        if (ct->as_string().size() > 255)
            return "contentType is longer than 255 characters";
        sv.content_type = std::string(ct->as_string());
    }
    if (auto const* tg = body.if_contains("tags"); tg && !tg->is_null()) {
        if (!tg->is_object())
            return "tags must be an object";
        for (auto const& kv : tg->as_object())
            if (!kv.value().is_string())
                return "tag values must be strings";
        sv.tags = tg->as_object();
    }
    if (auto const* at = body.if_contains("attributes"); at && !at->is_null()) {
        if (!at->is_object())
            return "attributes must be an object";
        auto const& a = at->as_object();
        if (auto const* en = a.if_contains("enabled"); en && !en->is_null()) {
            if (!en->is_bool())
                return "attributes.enabled must be a boolean";
            sv.enabled = en->as_bool();
        }
        for (char const* k : {"nbf", "exp"}) {
            auto const* x = a.if_contains(k);
            if (!x || x->is_null())
                continue;
            if (!x->is_int64() && !x->is_uint64())
                return std::string("attributes.") + k + " must be an integer (Unix time)";
            (k[0] == 'n' ? sv.nbf : sv.exp) = x->to_number<std::int64_t>();
        }
    }
    return std::nullopt;
}

void cloud::decorate_vault(response& r, request const& req) {
    r.set(http::field::cache_control, "no-cache");
    r.set(http::field::pragma, "no-cache");
    r.set(http::field::expires, "-1");
    r.set("x-ms-keyvault-region", "eastus");
    r.set("x-ms-request-id", uuid());
    if (auto id = req.find("x-ms-client-request-id"); id != req.end())
        r.set("x-ms-client-request-id", id->value());
    r.set("x-ms-keyvault-service-version", "1.9.378.1");
    r.set("x-ms-keyvault-network-info", "conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;");
    r.set(http::field::strict_transport_security, "max-age=31536000;includeSubDomains");
    r.set("X-Content-Type-Options", "nosniff");
}

}  // namespace esx::mocks::azure::detail
