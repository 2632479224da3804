// esx mocks/azure: Key Vault keys: the JSON of a key (public JWK members only) and import.
#include "state.hpp"

#include <boost/json/parse.hpp>

namespace esx::mocks::azure::detail {

namespace {

// JsonWebKeyOperation.
bool known_key_operation(json::value const& op) {
    static char const* const known[] = {"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"};
    return op.is_string() &&
           std::any_of(std::begin(known), std::end(known), [&](char const* k) { return op.as_string() == k; });
}

}  // namespace

json::object cloud::key_json(vault_state const& v, key_entry const& e, key_version const& kv, bool with_version,
                      bool full) const {
    std::string const base = vault_base(v) + "/keys/";
    json::object o;
    if (full) {
        json::object jwk = kv.jwk;
        jwk["kid"] = base + e.name + "/" + kv.version;
        o["key"] = jwk;
    } else {
        o["kid"] = base + e.name + (with_version ? "/" + kv.version : std::string());
    }
    json::object a = attrs(kv.enabled, kv.nbf, kv.exp, kv.created, kv.updated, v);
    a["exportable"] = false;
    o["attributes"] = a;
    if (!kv.tags.empty())
        o["tags"] = kv.tags;
    if (kv.managed)
        o["managed"] = true;
    return o;
}

// PUT /keys/{name}: import a JWK (only its public members are kept).
response cloud::import_key(request const& req, vault_state& v, std::string const& name, std::string const& identity,
                    json::object const& claims) {
    if (!allowed(identity, v, "import", "keys"))
        return forbidden(claims, v, "import", "keys");
    if (!valid_object_name(name))
        return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
    json::error_code ec;
    json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object())
        return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
    auto const* k = body.as_object().if_contains("key");
    std::shared_ptr<EVP_PKEY> key = k && k->is_object() ? key_from_jwk(k->as_object()) : nullptr;
    if (!key)
        return kv_error(400, "BadParameter", "Property 'key' must be a valid RSA or EC JSON web key.");
    if (v.deleted_keys.contains(lower(name)))
        return kv_error(409, "Conflict",
                        "Key " + name + " is currently in a deleted but recoverable state, and its name cannot be "
                        "reused; in this state, the key can only be recovered or purged.",
                        "ObjectIsDeletedButRecoverable");
    key_version kv;
    kv.version = random_hex(16);
    kv.jwk = public_jwk(key.get());
    // The operations the key was imported with stay its operations (the default is every one
    // its type allows).
    if (auto const* ops = k->as_object().if_contains("key_ops"); ops && !ops->is_null()) {
        bool const valid =
            ops->is_array() && std::all_of(ops->as_array().begin(), ops->as_array().end(), known_key_operation);
        if (!valid)
            return kv_error(400, "BadParameter",
                            "Property 'key.key_ops' must be an array of: encrypt, decrypt, sign, verify, wrapKey, "
                            "unwrapKey, import, export.");
        kv.jwk["key_ops"] = ops->as_array();
    }
    if (auto const* hsm = body.as_object().if_contains("hsm"); hsm && hsm->is_bool() && hsm->as_bool())
        kv.jwk["kty"] = std::string(kv.jwk["kty"].as_string()) + "-HSM";
    if (auto err = read_common(body.as_object(), kv.enabled, kv.nbf, kv.exp, kv.tags))
        return kv_error(400, "BadParameter", *err);
    kv.created = kv.updated = now_s();
    auto& e = v.keys[lower(name)];
    if (e.name.empty())
        e.name = name;
    e.versions.push_back(std::move(kv));
    return json_response(200, key_json(v, e, e.versions.back(), true, true));
}

}  // namespace esx::mocks::azure::detail
