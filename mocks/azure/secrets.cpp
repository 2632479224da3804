// esx mocks/azure: Key Vault secrets: get (latest or a version), list, list versions, set,
// update, soft delete, and the deleted secrets (get, list, recover, purge).
#include "state.hpp"

#include <boost/json/parse.hpp>

namespace esx::mocks::azure::detail {

response cloud::handle_secrets(request const& req, vault_state& v, std::vector<std::string> const& segs,
                              params const& query, std::string const& api, std::string const& identity,
                              json::object const& claims) {
    auto const method = req.method();
    bool const deleted_coll = segs[0] == "deletedsecrets";
    // "/secrets/n/" and "/secrets/n/%2F" mean the latest version.
    std::string name = segs.size() > 1 ? segs[1] : std::string();
    std::string version = segs.size() > 2 ? segs[2] : std::string();
    if (version == "/")
        version.clear();
    std::size_t const depth = segs.size() - (segs.size() > 2 && (segs[2].empty() || segs[2] == "/") ? 1 : 0);

    auto need = [&](std::string const& perm) -> std::optional<response> {
        if (!allowed(identity, v, perm))
            return forbidden(claims, v, perm);
        return std::nullopt;
    };
    auto bad_name = [&]() { return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name); };

    if (!deleted_coll) {
        // GET /secrets
        if (segs.size() == 1 || (segs.size() == 2 && name.empty())) {
            if (method != http::verb::get)
                return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
            if (auto f = need("list"))
                return *f;
            std::vector<json::value> items;
            for (auto const& [k, e] : v.secrets)
                items.emplace_back(bundle(v, e, e.versions.back(), false, false));
            return page(items, v, "secrets", query, api);
        }
        if (!valid_object_name(name))
            return bad_name();
        auto sit = v.secrets.find(lower(name));
        // GET /secrets/n/versions
        if (segs.size() == 3 && version == "versions" && method == http::verb::get) {
            if (auto f = need("list"))
                return *f;
            if (sit == v.secrets.end())
                return not_found(name);
            std::vector<json::value> items;
            for (auto const& sv : sit->second.versions)
                items.emplace_back(bundle(v, sit->second, sv, false, true));
            return page(items, v, "secrets/" + sit->second.name + "/versions", query, api);
        }
        if (depth > 3)
            return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
        if (!version.empty() && !valid_version(version))
            return not_found(name + "/" + version);
        switch (method) {
        case http::verb::get: {
            if (auto f = need("get"))
                return *f;
            if (sit == v.secrets.end())
                return not_found(version.empty() ? name : name + "/" + version);
            secret_entry const& e = sit->second;
            secret_version const* sv = &e.versions.back();
            if (!version.empty()) {
                auto it = std::find_if(e.versions.begin(), e.versions.end(),
                                       [&](auto const& x) { return x.version == lower(version); });
                if (it == e.versions.end())
                    return not_found(name + "/" + version);
                sv = &*it;
            }
            if (!sv->enabled)
                return kv_error(403, "Forbidden", "Operation get is not allowed on a disabled secret.",
                                "SecretDisabled");
            return json_response(200, bundle(v, e, *sv, true, true));
        }
        case http::verb::put: {
            if (!version.empty() || depth != 2)
                return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
            if (auto f = need("set"))
                return *f;
            json::error_code ec;
            json::value body = json::parse(req.body(), ec);
            if (ec || !body.is_object())
                return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
            auto const* val = body.as_object().if_contains("value");
            if (!val || !val->is_string())
                return kv_error(400, "BadParameter", "Property 'value' is required and must be a string.");
            if (val->as_string().size() > 25 * 1024)
                return kv_error(400, "BadParameter",
                                "The secret value exceeds the maximum size of 25 KB allowed by Key Vault.");
            if (v.deleted.contains(lower(name)))
                return kv_error(409, "Conflict",
                                "Secret " + name +
                                    " is currently in a deleted but recoverable state, and its name cannot be "
                                    "reused; in this state, the secret can only be recovered or purged.",
                                "ObjectIsDeletedButRecoverable");
            secret_version sv;
            sv.version = random_hex(16);
            sv.value = std::string(val->as_string());
            if (auto err = apply_attributes(body.as_object(), sv))
                return kv_error(400, "BadParameter", *err);
            sv.created = sv.updated = now_s();
            auto& e = v.secrets[lower(name)];
            if (e.name.empty())
                e.name = name;
            e.versions.push_back(std::move(sv));
            return json_response(200, bundle(v, e, e.versions.back(), true, true));
        }
        case http::verb::patch: {
            if (auto f = need("set"))
                return *f;
            if (sit == v.secrets.end())
                return not_found(version.empty() ? name : name + "/" + version);
            secret_entry& e = sit->second;
            secret_version* sv = &e.versions.back();
            if (!version.empty()) {
                auto it = std::find_if(e.versions.begin(), e.versions.end(),
                                       [&](auto const& x) { return x.version == lower(version); });
                if (it == e.versions.end())
                    return not_found(name + "/" + version);
                sv = &*it;
            }
            json::error_code ec;
            json::value body = json::parse(req.body(), ec);
            if (ec || !body.is_object())
                return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
            secret_version copy = *sv;
            if (auto err = apply_attributes(body.as_object(), copy))
                return kv_error(400, "BadParameter", *err);
            copy.updated = now_s();
            *sv = std::move(copy);
            return json_response(200, bundle(v, e, *sv, false, true));
        }
        case http::verb::delete_: {
            if (!version.empty() || depth != 2)
                return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
            if (auto f = need("delete"))
                return *f;
            if (sit == v.secrets.end())
                return not_found(name);
            secret_entry e = std::move(sit->second);
            v.secrets.erase(sit);
            e.deleted_date = now_s();
            e.scheduled_purge = e.deleted_date + 86400LL * v.recoverable_days;
            auto& d = v.deleted[lower(name)] = std::move(e);
            return json_response(200, deleted_bundle(v, d, true));
        }
        default:
            return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
        }
    }

    // deletedsecrets
    if (segs.size() == 1 || (segs.size() == 2 && name.empty())) {
        if (method != http::verb::get)
            return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
        if (auto f = need("list"))
            return *f;
        std::vector<json::value> items;
        for (auto const& [k, e] : v.deleted)
            items.emplace_back(deleted_bundle(v, e, false));
        return page(items, v, "deletedsecrets", query, api);
    }
    if (!valid_object_name(name))
        return bad_name();
    auto dit = v.deleted.find(lower(name));
    if (segs.size() == 3 && version == "recover" && method == http::verb::post) {
        if (auto f = need("recover"))
            return *f;
        if (dit == v.deleted.end())
            return deleted_not_found(name);
        if (v.secrets.contains(lower(name)))
            return kv_error(409, "Conflict", "Secret " + name + " already exists.");
        secret_entry e = std::move(dit->second);
        v.deleted.erase(dit);
        e.deleted_date = e.scheduled_purge = 0;
        auto& r = v.secrets[lower(name)] = std::move(e);
        return json_response(200, bundle(v, r, r.versions.back(), false, true));
    }
    if (segs.size() != 2)
        return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
    if (method == http::verb::get) {
        if (auto f = need("get"))  // the SDKs document secrets/get for this
            return *f;
        if (dit == v.deleted.end())
            return deleted_not_found(name);
        return json_response(200, deleted_bundle(v, dit->second, true));
    }
    if (method == http::verb::delete_) {
        if (auto f = need("purge"))
            return *f;
        if (dit == v.deleted.end())
            return deleted_not_found(name);
        v.deleted.erase(dit);
        response r;
        r.result(204);
        return r;
    }
    return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
}

response cloud::not_found(std::string const& what) {
    return kv_error(404, "SecretNotFound",
                    "A secret with (name/id) " + what +
                        " was not found in this key vault. If you recently deleted this secret you may be able "
                        "to recover it using the correct recovery command. For help resolving this issue, please "
                        "see https://go.microsoft.com/fwlink/?linkid=2125182");
}

response cloud::deleted_not_found(std::string const& name) {
    return kv_error(404, "SecretNotFound", "Deleted Secret not found: " + name);
}

json::object cloud::bundle(vault_state const& v, secret_entry const& e, secret_version const& sv, bool with_value,
                    bool with_version) const {
    json::object b;
    if (with_value)
        b["value"] = sv.value;
    b["id"] = vault_base(v) + "/secrets/" + e.name + (with_version ? "/" + sv.version : std::string());
    if (sv.content_type)
        b["contentType"] = *sv.content_type;
    b["attributes"] = attributes(sv, v);
    if (!sv.tags.empty())
        b["tags"] = sv.tags;
    if (sv.kid && with_value)
        b["kid"] = vault_base(v) + "/" + *sv.kid;
    if (sv.managed)
        b["managed"] = true;
    return b;
}

json::object cloud::deleted_bundle(vault_state const& v, secret_entry const& e, bool with_version) const {
    json::object b = bundle(v, e, e.versions.back(), false, with_version);
    b["recoveryId"] = vault_base(v) + "/deletedsecrets/" + e.name;
    b["deletedDate"] = e.deleted_date;
    b["scheduledPurgeDate"] = e.scheduled_purge;
    return b;
}

}  // namespace esx::mocks::azure::detail
