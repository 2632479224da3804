// esx mocks/azure: Entra ID: the token endpoint (client_credentials with a client secret, a
// certificate assertion or a federated assertion such as a Kubernetes service-account token),
// OIDC discovery and the JWKS of the token-signing key, with AADSTS errors as Entra words them.
#include "state.hpp"

#include <boost/json/parse.hpp>

#include <openssl/evp.h>

namespace esx::mocks::azure::detail {

std::string cloud::authority() const { return "https://127.0.0.1:" + std::to_string(port); }

std::string cloud::resource() const { return "https://" + suffix + ":" + std::to_string(port); }

std::string cloud::vault_base(vault_state const& v) const {
    return "https://" + lower(v.name) + "." + suffix + ":" + std::to_string(port);
}

bool cloud::tenant_known(std::string const& t) const {
    return std::find(tenants.begin(), tenants.end(), t) != tenants.end();
}

// The resource a token may be issued for: https://<suffix> with or
// without the port and a trailing slash. Returns the canonical form.
std::optional<std::string> cloud::canonical_resource(std::string r) const {
    if (!r.empty() && r.back() == '/')
        r.pop_back();
    r = lower(r);
    if (r == "https://" + suffix || r == resource())
        return r;
    return std::nullopt;
}

response cloud::aad_error(unsigned status, std::string const& error, int code, std::string const& text) const {
    std::string const trace = uuid(), correlation = uuid();
    std::int64_t const t = now_s();
    json::object body{
        {"error", error},
        {"error_description", "AADSTS" + std::to_string(code) + ": " + text + "\r\nTrace ID: " + trace +
                                  "\r\nCorrelation ID: " + correlation + "\r\nTimestamp: " + utc_stamp(t)},
        {"error_codes", json::array{code}},
        {"timestamp", utc_stamp(t)},
        {"trace_id", trace},
        {"correlation_id", correlation},
        {"error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(code)}};
    response r = json_response(status, body);
    r.set(http::field::cache_control, "no-store, no-cache");
    r.set(http::field::pragma, "no-cache");
    r.set("x-ms-request-id", trace);
    return r;
}

std::string cloud::issue_token(std::string const& tenant, std::string const& client_id, std::string const& object_id,
                        std::string const& aud) {
    std::int64_t const t = now_s();
    json::object claims{{"aud", aud},
                        {"iss", "https://sts.windows.net/" + tenant + "/"},
                        {"iat", t},
                        {"nbf", t},
                        {"exp", t + token_lifetime},
                        {"appid", client_id},
                        {"appidacr", "1"},
                        {"idtyp", "app"},
                        {"oid", object_id},
                        {"sub", object_id},
                        {"tid", tenant},
                        {"uti", random_hex(8)},
                        {"ver", "1.0"}};
    return jwt.sign(claims);
}

// The exp/nbf check shared by certificate and federated assertions. Times may come as
// integers or floats (MSAL Python sends float times). nullopt when within range.
std::optional<response> cloud::check_assertion_times(json::object const& co) const {
    auto malformed = [&](std::string const& why) {
        return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed. " + why);
    };
    auto num = [&](char const* k) -> std::optional<std::int64_t> {
        auto const* x = co.if_contains(k);
        if (x && x->is_int64())
            return x->as_int64();
        if (x && x->is_uint64() && x->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
            return static_cast<std::int64_t>(x->as_uint64());
        if (x && x->is_double() && x->as_double() > -1e15 && x->as_double() < 1e15)
            return static_cast<std::int64_t>(x->as_double());  // MSAL Python sends float times
        return std::nullopt;
    };
    std::int64_t const now = now_s();
    auto const exp = num("exp");
    auto const nbf = num("nbf");
    if (!exp)
        return malformed("The assertion has no exp claim.");
    if (*exp <= now || (nbf && *nbf > now + 300))
        return aad_error(401, "invalid_client", 700024,
                         "Client assertion is not within its valid time range. Current time: " + utc_stamp(now) +
                             ", assertion valid from " + (nbf ? utc_stamp(*nbf) : std::string("(unset)")) +
                             ", expiry time of assertion " + utc_stamp(*exp) + ".");
    return std::nullopt;
}

// A client assertion naming a certificate (x5t / x5t#S256) is a
// certificate credential; any other is a federated credential (e.g. a
// Kubernetes service-account token).
std::optional<response> cloud::check_assertion(std::string const& assertion, std::optional<std::string> const& type,
                                        principal const& p, std::string const& tenant,
                                        std::string_view host) const {
    auto parts = split(assertion, '.');
    if (parts.size() == 3) {
        if (auto h = base64url_decode(parts[0])) {
            json::error_code ec;
            json::value header = json::parse(*h, ec);
            if (!ec && header.is_object() && !header.as_object().contains("x5t") &&
                !header.as_object().contains("x5t#S256"))
                return check_federated_assertion(parts, header.as_object(), type, p);
        }
    }
    return check_certificate_assertion(assertion, type, p, tenant, host);
}

std::optional<response> cloud::check_federated_assertion(std::vector<std::string> const& parts,
                                                  json::object const& header,
                                                  std::optional<std::string> const& type,
                                                  principal const& p) const {
    if (!type || *type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        return aad_error(400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'client_assertion_type'.");
    auto malformed = [&](std::string const& why) {
        return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed. " + why);
    };
    auto payload = base64url_decode(parts[1]);
    auto sig = base64url_decode(parts[2]);
    if (!payload || !sig)
        return malformed("A segment is not base64url.");
    json::error_code ec;
    json::value claims = json::parse(*payload, ec);
    if (ec || !claims.is_object())
        return malformed("The payload is not a JSON object.");
    auto const& co = claims.as_object();
    auto cs = [&](char const* k) {
        auto const* x = co.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::vector<std::string> auds;
    if (auto const* a = co.if_contains("aud")) {
        if (a->is_string())
            auds.emplace_back(a->as_string());
        else if (a->is_array())
            for (auto const& x : a->as_array())
                if (x.is_string())
                    auds.emplace_back(x.as_string());
    }
    std::string const iss = cs("iss"), sub = cs("sub");
    bool matched = false;
    for (auto const& fc : p.federated_credentials)
        if (fc.issuer == iss && fc.subject == sub &&
            std::any_of(auds.begin(), auds.end(), [&](auto const& a) {
                return std::find(fc.audiences.begin(), fc.audiences.end(), a) != fc.audiences.end();
            }))
            matched = true;
    if (!matched)
        return aad_error(401, "invalid_client", 70021,
                         "No matching federated identity record found for presented assertion. Assertion "
                         "Issuer: '" + iss + "'. Assertion Subject: '" + sub + "'. Assertion Audience: '" +
                             (auds.empty() ? std::string() : auds.front()) +
                             "'. https://docs.microsoft.com/en-us/azure/active-directory/develop/"
                             "workload-identity-federation");
    auto const* alg = header.if_contains("alg");
    auto const* kid = header.if_contains("kid");
    std::string const kid_s = kid && kid->is_string() ? std::string(kid->as_string()) : std::string();
    bool verified = false;
    if (auto it = issuers.find(iss); it != issuers.end() && alg && alg->is_string())
        for (auto const& k : it->second)
            if ((kid_s.empty() || k.kid.empty() || k.kid == kid_s) &&
                verify_jws(k.key.get(), std::string(alg->as_string()), parts[0] + "." + parts[1], *sig))
                verified = true;
    if (!verified)
        return aad_error(401, "invalid_client", 700027,
                         "Client assertion failed signature validation. [Reason - The key was not found., Key "
                         "ID: '" + kid_s + "', issuer: '" + iss + "']");
    return check_assertion_times(co);
}

// private_key_jwt: the assertion must be signed (RS256 or PS256) by a
// certificate registered for the application, named by x5t (SHA-1) or
// x5t#S256, with aud = this token endpoint, iss = sub = client id and a
// current exp/nbf. nullopt when it is acceptable.
std::optional<response> cloud::check_certificate_assertion(std::string const& assertion,
                                                    std::optional<std::string> const& type, principal const& p,
                                                    std::string const& tenant, std::string_view host) const {
    if (!type || *type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        return aad_error(400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'client_assertion_type'.");
    auto malformed = [&](std::string const& why) {
        return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed. " + why);
    };
    auto parts = split(assertion, '.');
    if (parts.size() != 3)
        return malformed("The token does not have three segments.");
    auto h = base64url_decode(parts[0]);
    auto c = base64url_decode(parts[1]);
    auto sig = base64url_decode(parts[2]);
    if (!h || !c || !sig)
        return malformed("A segment is not base64url.");
    json::error_code ec;
    json::value header = json::parse(*h, ec);
    if (ec || !header.is_object())
        return malformed("The header is not a JSON object.");
    json::value claims = json::parse(*c, ec);
    if (ec || !claims.is_object())
        return malformed("The payload is not a JSON object.");
    auto const& ho = header.as_object();
    auto const& co = claims.as_object();
    auto hs = [&](char const* k) {
        auto const* x = ho.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    auto cs = [&](char const* k) {
        auto const* x = co.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    auto strip = [](std::string t) {
        while (!t.empty() && t.back() == '=')
            t.pop_back();
        return t;
    };
    std::string const x5t = strip(hs("x5t")), x5t256 = strip(hs("x5t#S256"));
    if (x5t.empty() && x5t256.empty())
        return malformed("The header names no certificate (x5t or x5t#S256).");
    std::string const* der = nullptr;
    for (auto const& d : p.certificates)
        if ((!x5t.empty() && base64url(digest(d, EVP_sha1())) == x5t) ||
            (!x5t256.empty() && base64url(digest(d, EVP_sha256())) == x5t256))
            der = &d;
    if (!der)
        return aad_error(401, "invalid_client", 700027,
                         "Client assertion failed signature validation. [Reason - The key was not found., "
                         "Thumbprint of key used by client: '" + thumbprint_hex(x5t.empty() ? x5t256 : x5t) +
                             "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
                             "configured keys for app Id '" + p.client_id + "'.]");
    x509_ptr cert = cert_from_der(*der);
    if (!cert || !verify_with_cert(cert.get(), hs("alg"), parts[0] + "." + parts[1], *sig))
        return aad_error(401, "invalid_client", 700027,
                         "Client assertion failed signature validation. [Reason - The provided signature value "
                         "did not match the expected signature value.]");
    std::string const path = "/" + tenant + "/oauth2/v2.0/token";
    std::string const aud = cs("aud");
    if (aud != authority() + path && aud != "https://" + std::string(host) + path &&
        aud != "https://localhost:" + std::to_string(port) + path)
        return aad_error(401, "invalid_client", 700212,
                         "The client assertion's audience '" + aud + "' is not the token endpoint '" +
                             authority() + path + "'.");
    if (cs("iss") != p.client_id || cs("sub") != p.client_id)
        return aad_error(401, "invalid_client", 700021,
                         "Client assertion application identifier doesn't match 'client_id' parameter. Review "
                         "the documentation at https://docs.microsoft.com/azure/active-directory/develop/"
                         "active-directory-certificate-credentials .");
    return check_assertion_times(co);
}

response cloud::handle_aad(request const& req, request_record& rec) {
    std::string const target(req.target());
    std::string const path = target.substr(0, target.find('?'));
    auto segs = split(path, '/');  // "", tenant, ...
    std::string const tenant = segs.size() > 1 ? segs[1] : std::string();
    bool const is_token = segs.size() == 5 && segs[2] == "oauth2" && segs[3] == "v2.0" && segs[4] == "token";
    bool const is_oidc = segs.size() == 5 && segs[2] == "v2.0" && segs[3] == ".well-known" &&
                         segs[4] == "openid-configuration";
    bool const is_jwks = segs.size() == 5 && segs[2] == "discovery" && segs[3] == "v2.0" && segs[4] == "keys";
    if (!is_token && !is_oidc && !is_jwks) {
        response r = json_response(404, json::object{{"error", "not_found"}});
        return r;
    }
    auto unknown_tenant = [&](char const* error) {
        return aad_error(400, error, 90002,
                         "Tenant '" + tenant +
                             "' not found. Check to make sure you have the correct tenant ID and are signing "
                             "into the correct cloud. Check with your subscription administrator, this may "
                             "happen if there are no active subscriptions for the tenant.");
    };
    if (is_oidc || is_jwks) {
        if (req.method() != http::verb::get)
            return aad_error(405, "invalid_request", 900561, "The endpoint only accepts GET requests.");
        if (!tenant_known(tenant))
            return unknown_tenant("invalid_tenant");
        if (is_jwks)
            return json_response(200, jwt.jwks());
        std::string const base = authority() + "/" + tenant;
        json::object body{
            {"token_endpoint", base + "/oauth2/v2.0/token"},
            {"token_endpoint_auth_methods_supported",
             json::array{"client_secret_post", "private_key_jwt", "client_secret_basic"}},
            {"jwks_uri", base + "/discovery/v2.0/keys"},
            {"response_modes_supported", json::array{"query", "fragment", "form_post"}},
            {"subject_types_supported", json::array{"pairwise"}},
            {"id_token_signing_alg_values_supported", json::array{"RS256"}},
            {"response_types_supported", json::array{"code", "id_token", "code id_token", "id_token token"}},
            {"scopes_supported", json::array{"openid", "profile", "email", "offline_access"}},
            {"issuer", base + "/v2.0"},
            {"request_uri_parameter_supported", false},
            {"userinfo_endpoint", authority() + "/oidc/userinfo"},
            {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
            {"device_authorization_endpoint", base + "/oauth2/v2.0/devicecode"},
            {"http_logout_supported", true},
            {"frontchannel_logout_supported", true},
            {"end_session_endpoint", base + "/oauth2/v2.0/logout"},
            {"claims_supported", json::array{"sub", "iss", "aud", "exp", "iat", "nbf", "tid"}},
            {"tenant_region_scope", "WW"},
            {"cloud_instance_name", "microsoftonline.com"},
            {"cloud_graph_host_name", "graph.windows.net"},
            {"msgraph_host", "graph.microsoft.com"},
            {"rbac_url", "https://pas.windows.net"}};
        return json_response(200, body);
    }
    // token endpoint
    if (req.method() != http::verb::post)
        return aad_error(405, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a " +
                                                             std::string(req.method_string()) + " request.");
    if (!tenant_known(tenant))
        return unknown_tenant("invalid_request");
    std::string const ctype = lower(req[http::field::content_type]);
    std::optional<params> form;
    if (ctype.starts_with("application/x-www-form-urlencoded"))
        form = parse_pairs(req.body(), true);
    if (!form)
        return aad_error(400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'grant_type'.");
    auto grant = get(*form, "grant_type");
    if (!grant)
        return aad_error(400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'grant_type'.");
    if (*grant != "client_credentials")
        return aad_error(400, "unsupported_grant_type", 70003,
                         "The app requested an unsupported grant type '" + *grant + "'.");
    auto client_id = get(*form, "client_id");
    if (!client_id)
        return aad_error(400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'client_id'.");
    rec.identity = *client_id;
    auto scope = get(*form, "scope");
    if (!scope)
        return aad_error(400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'scope'.");
    auto pit = principals.find(*client_id);
    if (pit == principals.end() || pit->second.tenant != tenant)
        return aad_error(400, "unauthorized_client", 700016,
                         "Application with identifier '" + *client_id + "' was not found in the directory '" +
                             tenant +
                             "'. This can happen if the application has not been installed by the administrator "
                             "of the tenant or consented to by any user in the tenant. You may have sent your "
                             "authentication request to the wrong tenant.");
    principal const& p = pit->second;
    auto secret = get(*form, "client_secret");
    auto assertion = get(*form, "client_assertion");
    if (assertion) {
        if (auto err = check_assertion(*assertion, get(*form, "client_assertion_type"), p, tenant,
                                       req[http::field::host]))
            return *err;
    } else if (!secret) {
        return aad_error(401, "invalid_client", 7000216,
                         "'client_assertion', 'client_secret' or 'request' is required for the "
                         "'client_credentials' grant type.");
    } else if (std::find(p.secrets.begin(), p.secrets.end(), *secret) == p.secrets.end())
        return aad_error(401, "invalid_client", 7000215,
                         "Invalid client secret provided. Ensure the secret being sent in the request is the "
                         "client secret value, not the client secret ID, for a secret added to app '" +
                             *client_id + "'.");
    // scope: exactly one "<resource>/.default"
    std::string const& sc = *scope;
    if (sc.find(' ') != std::string::npos || !sc.ends_with("/.default"))
        return aad_error(400, "invalid_scope", 1002012,
                         "The provided value for scope " + sc +
                             " is not valid. Client credential flows must have a scope value with /.default "
                             "suffixed to the resource identifier (application ID URI).");
    auto aud = canonical_resource(sc.substr(0, sc.size() - std::string_view("/.default").size()));
    if (!aud)
        return aad_error(400, "invalid_resource", 500011,
                         "The resource principal named " + sc.substr(0, sc.size() - 9) +
                             " was not found in the tenant named " + tenant +
                             ". This can happen if the application has not been installed by the administrator "
                             "of the tenant or consented to by any user in the tenant. You might have sent your "
                             "authentication request to the wrong tenant.");
    json::object body{{"token_type", "Bearer"},
                      {"expires_in", token_lifetime},
                      {"ext_expires_in", token_lifetime},
                      {"access_token", issue_token(tenant, p.client_id, p.object_id, *aud)}};
    response r = json_response(200, body);
    r.set(http::field::cache_control, "no-store, no-cache");
    r.set(http::field::pragma, "no-cache");
    r.set("x-ms-request-id", uuid());
    r.set("x-ms-ests-server", "esx-mock-azure");
    return r;
}

}  // namespace esx::mocks::azure::detail
