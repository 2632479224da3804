// esx mocks/azure: the seed document (README.md, "Seed format"), and what the control
// endpoint adds at run time: OIDC issuers to trust and federated credentials.
#include "state.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace esx::mocks::azure::detail {

void cloud::load_seed(std::string const& text) {
    json::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object())
        throw std::runtime_error("seed: not a JSON object" + (ec ? ": " + ec.message() : std::string()));
    json::object const& root = doc.as_object();
    suffix = lower(str_field(root, "vault_suffix", suffix));
    if (auto t = int_field(root, "token_lifetime"))
        token_lifetime = *t;
    // Faults in force from the first request (the control endpoint adds more at run time).
    std::size_t fault_index = 0;
    for (auto const& f : arr_field(root, "faults")) {
        try {
            faults.push_back(parse_fault(json::serialize(f)));
        } catch (std::invalid_argument const& e) {
            throw std::runtime_error("seed: faults[" + std::to_string(fault_index) + "]: " + e.what());
        }
        ++fault_index;
    }
    for (auto const& t : arr_field(root, "tenants")) {
        if (t.is_string())
            tenants.emplace_back(t.as_string());
        else
            tenants.push_back(str_field(obj_of(t, "tenants"), "id", {}, true));
    }
    if (tenants.empty())
        throw std::runtime_error("seed: at least one tenant is required");
    for (auto const& v : arr_field(root, "service_principals")) {
        auto const& o = obj_of(v, "service_principals");
        principal p;
        p.tenant = str_field(o, "tenant", tenants.front());
        p.client_id = str_field(o, "client_id", {}, true);
        p.object_id = str_field(o, "object_id", uuid());
        for (auto const& s : arr_field(o, "secrets")) {
            if (!s.is_string())
                throw std::runtime_error("seed: service principal secrets must be strings");
            p.secrets.emplace_back(s.as_string());
        }
        for (auto const& c : arr_field(o, "certificates")) {
            if (!c.is_string())
                throw std::runtime_error("seed: service principal certificates must be PEM strings");
            p.certificates.push_back(der_from_pem(std::string(c.as_string())));
        }
        for (auto const& f : arr_field(o, "federated_credentials")) {
            auto const& fo = obj_of(f, "federated_credentials");
            principal::federated fc;
            fc.issuer = str_field(fo, "issuer", {}, true);
            fc.subject = str_field(fo, "subject", {}, true);
            for (auto const& a : arr_field(fo, "audiences"))
                if (a.is_string())
                    fc.audiences.emplace_back(a.as_string());
            if (fc.audiences.empty())
                fc.audiences.emplace_back("api://AzureADTokenExchange");
            p.federated_credentials.push_back(std::move(fc));
        }
        principals[p.client_id] = p;
    }
    for (auto const& i : arr_field(root, "issuers"))
        add_issuer(obj_of(i, "issuers"));
    for (auto const& v : arr_field(root, "managed_identities")) {
        auto const& o = obj_of(v, "managed_identities");
        managed_identity m;
        m.tenant = str_field(o, "tenant", tenants.front());
        m.client_id = str_field(o, "client_id", {}, true);
        m.object_id = str_field(o, "object_id", uuid());
        m.resource_id = str_field(o, "resource_id");
        auto const* sa = o.if_contains("system_assigned");
        m.system_assigned = sa && sa->is_bool() && sa->as_bool();
        identities.push_back(m);
    }
    std::int64_t const now = now_s();
    for (auto const& v : arr_field(root, "vaults")) {
        auto const& o = obj_of(v, "vaults");
        vault_state vs;
        vs.name = str_field(o, "name", {}, true);
        vs.tenant = str_field(o, "tenant", tenants.front());
        if (auto const* ep = o.if_contains("empty_pages"); ep && ep->is_bool())
            vs.empty_pages = ep->as_bool();
        if (auto d = int_field(o, "recoverable_days"))
            vs.recoverable_days = static_cast<int>(*d);
        if (auto const* th = o.if_contains("throttle"); th && th->is_object()) {
            auto const& t = th->as_object();
            if (auto l = int_field(t, "limit"))
                vs.throttle_limit = static_cast<std::size_t>(*l);
            if (auto w = int_field(t, "window_seconds"))
                vs.throttle_window_ms = *w * 1000;
            if (auto r = int_field(t, "retry_after"))
                vs.throttle_retry_after = static_cast<int>(*r);
        }
        for (auto const& s : arr_field(o, "secrets")) {
            auto const& so = obj_of(s, "secrets");
            secret_entry e;
            e.name = str_field(so, "name", {}, true);
            if (!valid_object_name(e.name))
                throw std::runtime_error("seed: invalid secret name '" + e.name + "'");
            auto const& versions = arr_field(so, "versions");
            if (versions.empty())
                throw std::runtime_error("seed: secret '" + e.name + "' needs at least one version");
            std::int64_t t = now - static_cast<std::int64_t>(versions.size());
            for (auto const& vv : versions) {
                auto const& vo = obj_of(vv, "versions");
                secret_version sv;
                sv.version = lower(str_field(vo, "version", random_hex(16)));
                if (!valid_version(sv.version))
                    throw std::runtime_error("seed: version must be 32 hex characters");
                sv.value = str_field(vo, "value", {}, true);
                if (vo.contains("contentType"))
                    sv.content_type = str_field(vo, "contentType");
                if (auto const* tg = vo.if_contains("tags"); tg && tg->is_object())
                    sv.tags = tg->as_object();
                if (auto const* en = vo.if_contains("enabled"); en && en->is_bool())
                    sv.enabled = en->as_bool();
                sv.nbf = int_field(vo, "nbf");
                sv.exp = int_field(vo, "exp");
                sv.created = int_field(vo, "created").value_or(++t);
                sv.updated = int_field(vo, "updated").value_or(sv.created);
                e.versions.push_back(std::move(sv));
            }
            bool const deleted = so.contains("deleted") && so.at("deleted").is_bool() && so.at("deleted").as_bool();
            if (deleted) {
                e.deleted_date = now;
                e.scheduled_purge = now + 86400LL * vs.recoverable_days;
                vs.deleted[lower(e.name)] = std::move(e);
            } else {
                vs.secrets[lower(e.name)] = std::move(e);
            }
        }
        for (auto const& k : arr_field(o, "keys")) {
            auto const& ko = obj_of(k, "keys");
            key_entry e;
            e.name = str_field(ko, "name", {}, true);
            if (!valid_object_name(e.name))
                throw std::runtime_error("seed: invalid key name '" + e.name + "'");
            std::string const kty = str_field(ko, "kty", "RSA");
            std::int64_t const count = int_field(ko, "versions").value_or(1);
            for (std::int64_t i = 0; i < count; ++i) {
                pkey_ptr key = generate_key(kty, int_field(ko, "size").value_or(2048), str_field(ko, "crv", "P-256"));
                key_version kv;
                kv.version = random_hex(16);
                kv.jwk = public_jwk(key.get());
                if (kty.ends_with("-HSM"))
                    kv.jwk["kty"] = kty;
                if (auto const* tg = ko.if_contains("tags"); tg && tg->is_object())
                    kv.tags = tg->as_object();
                if (auto const* en = ko.if_contains("enabled"); en && en->is_bool())
                    kv.enabled = en->as_bool();
                kv.created = kv.updated = now - count + i;
                e.versions.push_back(std::move(kv));
            }
            vs.keys[lower(e.name)] = std::move(e);
        }
        for (auto const& c : arr_field(o, "certificates")) {
            auto const& co = obj_of(c, "certificates");
            std::string const name = str_field(co, "name", {}, true);
            if (!valid_object_name(name))
                throw std::runtime_error("seed: invalid certificate name '" + name + "'");
            std::string const kty = str_field(co, "kty", "RSA");
            std::int64_t const size = int_field(co, "size").value_or(2048);
            std::string const crv = str_field(co, "crv", "P-256");
            std::string const subject = str_field(co, "subject", "CN=" + name);
            std::int64_t const months = int_field(co, "validity_months").value_or(12);
            std::string const ctype = str_field(co, "content_type", "application/x-pkcs12");
            if (ctype != "application/x-pkcs12" && ctype != "application/x-pem-file")
                throw std::runtime_error("seed: content_type must be application/x-pkcs12 or application/x-pem-file");
            json::object tags;
            if (auto const* tg = co.if_contains("tags"); tg && tg->is_object())
                tags = tg->as_object();
            pkey_ptr key = generate_key(kty, size, crv);
            x509_ptr cert = self_signed(key.get(), subject, months);
            std::string const version = random_hex(16);
            cert_version cv;
            cv.version = version;
            cv.der = cert_der(cert.get());
            cv.tags = tags;
            cv.created = cv.updated = now;
            cv.nbf = now;
            cv.exp = now + months * 30 * 86400;
            json::object key_props{{"exportable", true}, {"kty", kty}, {"reuse_key", false}};
            if (kty.starts_with("RSA"))
                key_props["key_size"] = size;
            else
                key_props["crv"] = crv;
            cv.policy = json::object{
                {"key_props", key_props},
                {"secret_props", json::object{{"contentType", ctype}}},
                {"x509_props", json::object{{"subject", subject},
                                            {"ekus", json::array{"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"}},
                                            {"key_usage", json::array{"digitalSignature", "keyEncipherment"}},
                                            {"validity_months", months},
                                            {"basic_constraints", json::object{{"ca", false}}}}},
                {"lifetime_actions",
                 json::array{json::object{{"trigger", json::object{{"lifetime_percentage", 80}}},
                                          {"action", json::object{{"action_type", "EmailContacts"}}}}}},
                {"issuer", json::object{{"name", "Self"}}},
                {"attributes", json::object{{"enabled", true}, {"created", now}, {"updated", now}}}};
            vs.certificates[lower(name)] = cert_entry{name, {cv}, 0, 0, std::nullopt, std::nullopt};
            // The key and the secret behind the certificate, as in Azure: same name and version.
            key_version kv;
            kv.version = version;
            kv.jwk = public_jwk(key.get());
            kv.managed = true;
            kv.tags = tags;
            kv.nbf = cv.nbf;
            kv.exp = cv.exp;
            kv.created = kv.updated = now;
            vs.keys[lower(name)] = key_entry{name, {kv}, 0, 0};
            secret_version sv;
            sv.version = version;
            sv.value = ctype == "application/x-pem-file" ? private_key_pem(key.get()) + cert_pem(cert.get())
                                                         : pkcs12_base64(key.get(), cert.get());
            sv.content_type = ctype;
            sv.tags = tags;
            sv.nbf = cv.nbf;
            sv.exp = cv.exp;
            sv.created = sv.updated = now;
            sv.managed = true;
            sv.kid = "keys/" + name + "/" + version;  // made absolute per response
            vs.secrets[lower(name)] = secret_entry{name, {sv}, 0, 0};
        }
        vaults[lower(vs.name)] = std::move(vs);
    }
    for (auto const& v : arr_field(root, "access")) {
        auto const& o = obj_of(v, "access");
        std::string const id = str_field(o, "identity", {}, true);
        std::string const vault = lower(str_field(o, "vault", {}, true));
        if (!vaults.contains(vault))
            throw std::runtime_error("seed: access rule for unknown vault '" + vault + "'");
        for (char const* kind : {"secrets", "keys", "certificates"}) {
            auto& perms = access[{id, vault, kind}];
            for (auto const& p : arr_field(o, kind)) {
                if (!p.is_string())
                    throw std::runtime_error("seed: permissions must be strings");
                std::string s = lower(p.as_string());
                if (s == "all")
                    perms.insert(perms.end(), std::begin(all_secret_permissions), std::end(all_secret_permissions));
                else
                    perms.push_back(s);
            }
        }
    }
}

// {"issuer": "...", "jwks": {"keys": [...]}}: replaces that issuer's keys.
void cloud::add_issuer(json::object const& o) {
    std::string const iss = str_field(o, "issuer", {}, true);
    auto const* jwks = o.if_contains("jwks");
    if (!jwks || !jwks->is_object() || !jwks->as_object().contains("keys") ||
        !jwks->as_object().at("keys").is_array())
        throw std::runtime_error("issuer '" + iss + "': 'jwks' must be an object with a 'keys' array");
    std::vector<issuer_key> keys;
    for (auto const& k : jwks->as_object().at("keys").as_array()) {
        if (!k.is_object())
            throw std::runtime_error("issuer '" + iss + "': each JWK must be an object");
        auto key = key_from_jwk(k.as_object());
        if (!key)
            throw std::runtime_error("issuer '" + iss + "': unsupported or malformed JWK");
        auto const* kid = k.as_object().if_contains("kid");
        keys.push_back({kid && kid->is_string() ? std::string(kid->as_string()) : std::string(), key});
    }
    issuers[iss] = std::move(keys);
}

// {"client_id": "...", "issuer": "...", "subject": "...", "audiences": [...]}
void cloud::add_federated_credential(json::object const& o) {
    std::string const cid = str_field(o, "client_id", {}, true);
    auto it = principals.find(cid);
    if (it == principals.end())
        throw std::runtime_error("federated credential for unknown client_id '" + cid + "'");
    principal::federated fc;
    fc.issuer = str_field(o, "issuer", {}, true);
    fc.subject = str_field(o, "subject", {}, true);
    for (auto const& a : arr_field(o, "audiences"))
        if (a.is_string())
            fc.audiences.emplace_back(a.as_string());
    if (fc.audiences.empty())
        fc.audiences.emplace_back("api://AzureADTokenExchange");
    it->second.federated_credentials.push_back(std::move(fc));
}

}  // namespace esx::mocks::azure::detail
