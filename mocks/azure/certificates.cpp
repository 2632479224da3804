// esx mocks/azure: Key Vault certificates: the JSON of a certificate and import (PKCS#12 or
// PEM), which creates the backing key and secret as Key Vault does.
#include "state.hpp"

#include <boost/json/parse.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace esx::mocks::azure::detail {

json::object cloud::cert_json(vault_state const& v, cert_entry const& e, cert_version const& cv, bool with_version,
                       bool full) const {
    std::string const base = vault_base(v) + "/certificates/";
    json::object o;
    o["id"] = base + e.name + (with_version ? "/" + cv.version : std::string());
    if (full) {
        o["kid"] = vault_base(v) + "/keys/" + e.name + "/" + cv.version;
        o["sid"] = vault_base(v) + "/secrets/" + e.name + "/" + cv.version;
    }
    o["x5t"] = base64url(digest(cv.der, EVP_sha1()));
    if (full)
        o["cer"] = base64_std(cv.der);
    o["attributes"] = attrs(cv.enabled, cv.nbf, cv.exp, cv.created, cv.updated, v);
    if (full) {
        json::object policy = cv.policy;
        policy["id"] = base + e.name + "/policy";
        o["policy"] = policy;
    }
    if (!cv.tags.empty())
        o["tags"] = cv.tags;
    return o;
}

// POST /certificates/{name}/import: a PKCS#12 (base64) or PEM (plain or
// base64, as the Python SDK sends it) holding the key and the certificate.
response cloud::import_certificate(request const& req, vault_state& v, std::string const& name,
                            std::string const& identity, json::object const& claims) {
    if (!allowed(identity, v, "import", "certificates"))
        return forbidden(claims, v, "import", "certificates");
    if (!valid_object_name(name))
        return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
    json::error_code ec;
    json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object())
        return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
    auto const& o = body.as_object();
    auto const* value = o.if_contains("value");
    if (!value || !value->is_string())
        return kv_error(400, "BadParameter", "Property 'value' is required and must be a string.");
    if (v.deleted_certificates.contains(lower(name)))
        return kv_error(409, "Conflict",
                        "Certificate " + name + " is currently in a deleted but recoverable state, and its name "
                        "cannot be reused; in this state, the certificate can only be recovered or purged.",
                        "ObjectIsDeletedButRecoverable");
    std::string pwd;
    if (auto const* p = o.if_contains("pwd"); p && p->is_string())
        pwd = std::string(p->as_string());
    std::string material(value->as_string());
    if (!material.starts_with("-----")) {
        // standard base64, possibly with line breaks
        std::string clean;
        for (char c : material)
            if (!std::isspace(static_cast<unsigned char>(c)))
                clean += c;
        std::string raw(clean.size(), '\0');
        int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<unsigned char const*>(clean.data()), static_cast<int>(clean.size()));
        if (n < 0 || clean.size() % 4 != 0)
            return kv_error(400, "BadParameter", "The certificate value is neither PEM nor base64.");
        if (clean.ends_with("=="))
            n -= 2;
        else if (clean.ends_with("="))
            n -= 1;
        raw.resize(static_cast<std::size_t>(n));
        material = raw;
    }
    pkey_ptr key(nullptr, &EVP_PKEY_free);
    x509_ptr cert(nullptr, &X509_free);
    bool pem = material.starts_with("-----");
    if (pem) {
        std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new_mem_buf(material.data(), static_cast<int>(material.size())),
                                                     &BIO_free);
        key.reset(kb ? PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, pwd.data()) : nullptr);
        std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_mem_buf(material.data(), static_cast<int>(material.size())),
                                                     &BIO_free);
        cert.reset(cb ? PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr) : nullptr);
    } else {
        pkcs12_read(material, pwd, key, cert);
    }
    ERR_clear_error();
    if (!key || !cert)
        return kv_error(400, "BadParameter",
                        pem ? "The specified PEM X.509 certificate content is in an unexpected format. Please "
                              "check if certificate is in valid PEM format."
                            : "The specified PFX content could not be read: a private key and a certificate "
                              "(with the right password) are required.");
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        return kv_error(400, "BadParameter", "The private key does not match the certificate.");
    }
    std::string ctype = pem ? "application/x-pem-file" : "application/x-pkcs12";
    if (auto const* pol = o.if_contains("policy"); pol && pol->is_object())
        if (auto const* sp = pol->as_object().if_contains("secret_props"); sp && sp->is_object())
            if (auto const* ct = sp->as_object().if_contains("contentType"); ct && ct->is_string())
                ctype = std::string(ct->as_string());
    if (ctype != "application/x-pem-file" && ctype != "application/x-pkcs12")
        return kv_error(400, "BadParameter", "secret_props.contentType must be application/x-pkcs12 or "
                                             "application/x-pem-file.");
    cert_version cv;
    std::optional<std::int64_t> unused_nbf, unused_exp;  // a certificate's validity comes from the certificate
    if (auto err = read_common(o, cv.enabled, unused_nbf, unused_exp, cv.tags))
        return kv_error(400, "BadParameter", *err);
    std::int64_t const now = now_s();
    auto asn1_unix = [](ASN1_TIME const* t) {
        std::tm tm{};
        ASN1_TIME_to_tm(t, &tm);
        return static_cast<std::int64_t>(timegm(&tm));
    };
    cv.version = random_hex(16);
    cv.der = cert_der(cert.get());
    cv.nbf = asn1_unix(X509_get0_notBefore(cert.get()));
    cv.exp = asn1_unix(X509_get0_notAfter(cert.get()));
    cv.created = cv.updated = now;
    char subject[512] = {};
    X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
    json::object jwk = public_jwk(key.get());
    json::object key_props{{"exportable", true}, {"kty", jwk["kty"]}, {"reuse_key", false}};
    if (jwk.contains("crv"))
        key_props["crv"] = jwk["crv"];
    else
        key_props["key_size"] = EVP_PKEY_get_bits(key.get());
    cv.policy = json::object{{"key_props", key_props},
                             {"secret_props", json::object{{"contentType", ctype}}},
                             {"x509_props", json::object{{"subject", subject}, {"ekus", json::array{}},
                                                         {"key_usage", json::array{}},
                                                         {"validity_months", (cv.exp - cv.nbf) / (30 * 86400)}}},
                             {"issuer", json::object{{"name", "Unknown"}}},
                             {"attributes", json::object{{"enabled", true}, {"created", now}, {"updated", now}}}};
    key_version kv;
    kv.version = cv.version;
    kv.jwk = jwk;
    kv.managed = true;
    kv.tags = cv.tags;
    kv.nbf = cv.nbf;
    kv.exp = cv.exp;
    kv.created = kv.updated = now;
    secret_version sv;
    sv.version = cv.version;
    sv.value = ctype == "application/x-pem-file" ? private_key_pem(key.get()) + cert_pem(cert.get())
                                                 : pkcs12_base64(key.get(), cert.get());
    sv.content_type = ctype;
    sv.tags = cv.tags;
    sv.nbf = cv.nbf;
    sv.exp = cv.exp;
    sv.created = sv.updated = now;
    sv.managed = true;
    sv.kid = "keys/" + name + "/" + cv.version;
    auto& ke = v.keys[lower(name)];
    if (ke.name.empty())
        ke.name = name;
    ke.versions.push_back(std::move(kv));
    auto& se = v.secrets[lower(name)];
    if (se.name.empty())
        se.name = name;
    se.versions.push_back(std::move(sv));
    auto& ce = v.certificates[lower(name)];
    if (ce.name.empty())
        ce.name = name;
    ce.versions.push_back(std::move(cv));
    return json_response(200, cert_json(v, ce, ce.versions.back(), true, true));
}

}  // namespace esx::mocks::azure::detail
