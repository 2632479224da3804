// esx mocks/azure: what keys and certificates share: reads (latest, by version, versions, a
// certificate's policy), soft deletion (a certificate takes its backing key and secret with
// it), and the deleted collections (get, list, purge, recover).
#include "state.hpp"

namespace esx::mocks::azure::detail {

// Reads "attributes" (enabled, nbf, exp) and "tags" of a key or
// certificate request body; an error text for a bad one.
std::optional<std::string> cloud::read_common(json::object const& body, bool& enabled,
                                              std::optional<std::int64_t>& nbf, std::optional<std::int64_t>& exp,
                                              json::object& tags) {
    secret_version sv;
    sv.enabled = enabled;
    json::object filtered;
    if (auto const* a = body.if_contains("attributes"))
        filtered["attributes"] = *a;
    if (auto const* t = body.if_contains("tags"))
        filtered["tags"] = *t;
    if (auto err = apply_attributes(filtered, sv))
        return err;
    enabled = sv.enabled;
    nbf = sv.nbf;
    exp = sv.exp;
    tags = sv.tags;
    return std::nullopt;
}

response cloud::kc_not_found(bool keys, std::string const& id) const {
    std::string const what = keys ? "key" : "certificate";
    return kv_error(404, keys ? "KeyNotFound" : "CertificateNotFound",
                    "A " + what + " with (name/id) " + id + " was not found in this key vault. If you recently "
                    "deleted this " + what + " you may be able to recover it using the correct recovery "
                    "command. For help resolving this issue, please see "
                    "https://go.microsoft.com/fwlink/?linkid=2125182");
}

response cloud::kc_deleted_not_found(bool keys, std::string const& name) const {
    return kv_error(404, keys ? "KeyNotFound" : "CertificateNotFound",
                    std::string(keys ? "Deleted Key" : "Deleted Certificate") + " not found: " + name);
}

json::object cloud::deleted_json(vault_state const& v, bool keys, std::string const& name, std::int64_t deleted,
                          std::int64_t purge, json::object o) const {
    o["recoveryId"] = vault_base(v) + (keys ? "/deletedkeys/" : "/deletedcertificates/") + name;
    o["deletedDate"] = deleted;
    o["scheduledPurgeDate"] = purge;
    return o;
}

// DELETE /keys/{n}, /certificates/{n}: soft delete (a certificate takes its backing key and secret with it).
response cloud::delete_key_or_certificate(vault_state& v, bool keys, std::string const& name, std::string const& identity,
                                   json::object const& claims) {
    std::string const kind = keys ? "keys" : "certificates";
    if (!allowed(identity, v, "delete", kind))
        return forbidden(claims, v, "delete", kind);
    if (!valid_object_name(name))
        return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
    std::int64_t const now = now_s();
    std::int64_t const purge = now + 86400LL * v.recoverable_days;
    if (keys) {
        auto it = v.keys.find(lower(name));
        if (it == v.keys.end())
            return kc_not_found(true, name);
        if (it->second.versions.back().managed)
            return kv_error(403, "Forbidden", "Operation delete is not allowed on a managed key; delete the "
                                              "certificate " + it->second.name + " instead.");
        key_entry e = std::move(it->second);
        v.keys.erase(it);
        e.deleted_date = now;
        e.scheduled_purge = purge;
        auto& d = v.deleted_keys[lower(name)] = std::move(e);
        return json_response(200, deleted_json(v, true, d.name, now, purge,
                                               key_json(v, d, d.versions.back(), true, true)));
    }
    auto it = v.certificates.find(lower(name));
    if (it == v.certificates.end())
        return kc_not_found(false, name);
    cert_entry e = std::move(it->second);
    v.certificates.erase(it);
    if (auto k = v.keys.find(lower(name)); k != v.keys.end()) {
        e.backing_key = std::move(k->second);
        v.keys.erase(k);
    }
    if (auto sec = v.secrets.find(lower(name)); sec != v.secrets.end()) {
        e.backing_secret = std::move(sec->second);
        v.secrets.erase(sec);
    }
    e.deleted_date = now;
    e.scheduled_purge = purge;
    auto& d = v.deleted_certificates[lower(name)] = std::move(e);
    return json_response(200, deleted_json(v, false, d.name, now, purge,
                                           cert_json(v, d, d.versions.back(), true, true)));
}

// /deletedkeys, /deletedcertificates: list, get, purge (204), recover.
response cloud::handle_deleted_key_or_certificate(http::verb method, vault_state& v, std::vector<std::string> const& segs,
                                           params const& query, std::string const& api,
                                           std::string const& identity, json::object const& claims) {
    bool const keys = segs[0] == "deletedkeys";
    std::string const kind = keys ? "keys" : "certificates";
    std::string const name = segs.size() > 1 ? segs[1] : std::string();
    auto need = [&](std::string const& perm) -> std::optional<response> {
        if (!allowed(identity, v, perm, kind))
            return forbidden(claims, v, perm, kind);
        return std::nullopt;
    };
    if (name.empty()) {
        if (method != http::verb::get)
            return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
        if (auto f = need("list"))
            return *f;
        std::vector<json::value> items;
        if (keys)
            for (auto const& [k, e] : v.deleted_keys)
                items.emplace_back(deleted_json(v, true, e.name, e.deleted_date, e.scheduled_purge,
                                                key_json(v, e, e.versions.back(), false, false)));
        else
            for (auto const& [k, e] : v.deleted_certificates)
                items.emplace_back(deleted_json(v, false, e.name, e.deleted_date, e.scheduled_purge,
                                                cert_json(v, e, e.versions.back(), false, false)));
        return page(items, v, segs[0], query, api);
    }
    if (!valid_object_name(name))
        return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
    bool const recover = segs.size() == 3 && segs[2] == "recover" && method == http::verb::post;
    if (!recover && segs.size() != 2)
        return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
    std::string const key = lower(name);
    bool const present = keys ? v.deleted_keys.contains(key) : v.deleted_certificates.contains(key);
    if (recover) {
        if (auto f = need("recover"))
            return *f;
        if (!present)
            return kc_deleted_not_found(keys, name);
        if (keys) {
            key_entry e = std::move(v.deleted_keys[key]);
            v.deleted_keys.erase(key);
            e.deleted_date = e.scheduled_purge = 0;
            auto& r = v.keys[key] = std::move(e);
            return json_response(200, key_json(v, r, r.versions.back(), true, true));
        }
        cert_entry e = std::move(v.deleted_certificates[key]);
        v.deleted_certificates.erase(key);
        if (e.backing_key)
            v.keys[key] = std::move(*e.backing_key);
        if (e.backing_secret)
            v.secrets[key] = std::move(*e.backing_secret);
        e.backing_key.reset();
        e.backing_secret.reset();
        e.deleted_date = e.scheduled_purge = 0;
        auto& r = v.certificates[key] = std::move(e);
        return json_response(200, cert_json(v, r, r.versions.back(), true, true));
    }
    if (method == http::verb::get) {
        if (auto f = need("get"))
            return *f;
        if (!present)
            return kc_deleted_not_found(keys, name);
        if (keys) {
            auto const& e = v.deleted_keys.at(key);
            return json_response(200, deleted_json(v, true, e.name, e.deleted_date, e.scheduled_purge,
                                                   key_json(v, e, e.versions.back(), true, true)));
        }
        auto const& e = v.deleted_certificates.at(key);
        return json_response(200, deleted_json(v, false, e.name, e.deleted_date, e.scheduled_purge,
                                               cert_json(v, e, e.versions.back(), true, true)));
    }
    if (method == http::verb::delete_) {
        if (auto f = need("purge"))
            return *f;
        if (!present)
            return kc_deleted_not_found(keys, name);
        if (keys)
            v.deleted_keys.erase(key);
        else
            v.deleted_certificates.erase(key);
        response r;
        r.result(204);
        return r;
    }
    return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
}

// Keys and certificates: get (latest or by version), list, list versions,
// and a certificate's policy. Creation, import and deletion are not mocked.
response cloud::handle_read_only(http::verb method, vault_state const& v, std::vector<std::string> const& segs,
                          params const& query, std::string const& api, std::string const& identity,
                          json::object const& claims) const {
    bool const keys = segs[0] == "keys";
    std::string const kind = keys ? "keys" : "certificates";
    std::string const what = keys ? "key" : "certificate";
    auto nf = [&](std::string const& id) {
        return kv_error(404, keys ? "KeyNotFound" : "CertificateNotFound",
                        "A " + what + " with (name/id) " + id + " was not found in this key vault. If you recently "
                        "deleted this " + what + " you may be able to recover it using the correct recovery "
                        "command. For help resolving this issue, please see "
                        "https://go.microsoft.com/fwlink/?linkid=2125182");
    };
    if (method != http::verb::get)
        return kv_error(405, "MethodNotAllowed",
                        "The mock serves " + kind + " read-only apart from import (get, list, list versions).");
    std::string const name = segs.size() > 1 ? segs[1] : std::string();
    std::string version = segs.size() > 2 ? segs[2] : std::string();
    if (version == "/")
        version.clear();
    if (segs.size() > 3)
        return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
    std::string const base = vault_base(v) + "/" + kind + "/";
    auto key_item = [&](key_entry const& e, key_version const& kv, bool with_version, bool full) {
        return key_json(v, e, kv, with_version, full);
    };
    auto cert_item = [&](cert_entry const& e, cert_version const& cv, bool with_version, bool full) {
        return cert_json(v, e, cv, with_version, full);
    };
    if (name.empty()) {
        if (!allowed(identity, v, "list", kind))
            return forbidden(claims, v, "list", kind);
        std::vector<json::value> items;
        if (keys)
            for (auto const& [k, e] : v.keys)
                items.emplace_back(key_item(e, e.versions.back(), false, false));
        else
            for (auto const& [k, e] : v.certificates)
                items.emplace_back(cert_item(e, e.versions.back(), false, false));
        return page(items, v, kind, query, api);
    }
    if (!valid_object_name(name))
        return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
    bool const listing = version == "versions";
    bool const policy = !keys && version == "policy";
    if (!listing && !policy && !version.empty() && !valid_version(version))
        return nf(name + "/" + version);
    if (!allowed(identity, v, listing ? "list" : "get", kind))
        return forbidden(claims, v, listing ? "list" : "get", kind);
    std::string const id = version.empty() || listing || policy ? name : name + "/" + version;
    if (keys) {
        auto it = v.keys.find(lower(name));
        if (it == v.keys.end())
            return nf(id);
        key_entry const& e = it->second;
        if (listing) {
            std::vector<json::value> items;
            for (auto const& kv : e.versions)
                items.emplace_back(key_item(e, kv, true, false));
            return page(items, v, "keys/" + e.name + "/versions", query, api);
        }
        for (auto const& kv : e.versions)
            if (version.empty() ? &kv == &e.versions.back() : kv.version == lower(version))
                return json_response(200, key_item(e, kv, true, true));
        return nf(id);
    }
    auto it = v.certificates.find(lower(name));
    if (it == v.certificates.end())
        return nf(id);
    cert_entry const& e = it->second;
    if (listing) {
        std::vector<json::value> items;
        for (auto const& cv : e.versions)
            items.emplace_back(cert_item(e, cv, true, false));
        return page(items, v, "certificates/" + e.name + "/versions", query, api);
    }
    if (policy) {
        json::object p = e.versions.back().policy;
        p["id"] = base + e.name + "/policy";
        return json_response(200, p);
    }
    for (auto const& cv : e.versions)
        if (version.empty() ? &cv == &e.versions.back() : cv.version == lower(version))
            return json_response(200, cert_item(e, cv, true, true));
    return nf(id);
}

}  // namespace esx::mocks::azure::detail
