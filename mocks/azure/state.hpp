// esx mocks/azure: the mock cloud behind one lock: tenants, service principals, managed
// identities, trusted OIDC issuers, vaults and their access rules (from the seed), the
// request log, the faults to inject, and the handlers of each service.
//
// Its member functions are defined by concern:
//   seed.cpp          the seed document, issuers and federated credentials added at run time
//   entra.cpp         Entra ID: token endpoint, client assertions, OIDC discovery, JWKS
//   imds.cpp          IMDS (managed identities)
//   challenge.cpp     Key Vault authentication: bearer tokens, challenge 401s, access rules
//   throttling.cpp    Key Vault's request rate limit
//   vault.cpp         Key Vault routing, attributes, paging, response headers
//   secrets.cpp       secrets and deleted secrets
//   keys.cpp          keys (JWK import)
//   certificates.cpp  certificates (PKCS#12 and PEM import)
//   keys_and_certificates.cpp  reads, deletion and recovery shared by keys and certificates
//   control.cpp       the front door of every listener (faults, request log), the control endpoint
#ifndef ESX_MOCKS_AZURE_STATE_HPP
#define ESX_MOCKS_AZURE_STATE_HPP

#include "jwt.hpp"
#include "server.hpp"
#include "text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace esx::test {
struct action;  // what a scripted_server listener does with a request (mocks/common/scripted_action.hpp)
}

namespace esx::mocks::azure::detail {

using esx::test::action;

struct secret_version {
    std::string version;
    std::string value;
    std::optional<std::string> content_type;
    json::object tags;
    bool enabled = true;
    std::optional<std::int64_t> nbf, exp;
    std::int64_t created = 0, updated = 0;
    std::optional<std::string> kid;  // certificate-backed secrets point at their key
    bool managed = false;            // true for certificate-backed secrets
};

struct key_version {
    std::string version;
    json::object jwk;  // public members only; "kid" is added per response
    json::object tags;
    bool enabled = true;
    std::optional<std::int64_t> nbf, exp;
    std::int64_t created = 0, updated = 0;
    bool managed = false;
};

struct key_entry {
    std::string name;
    std::vector<key_version> versions;
    std::int64_t deleted_date = 0, scheduled_purge = 0;  // only for deleted entries
};

struct cert_version {
    std::string version;
    std::string der;
    json::object tags;
    json::object policy;  // without "id"
    bool enabled = true;
    std::int64_t nbf = 0, exp = 0, created = 0, updated = 0;
};

struct secret_entry {
    std::string name;                     // as first created (ids keep this case)
    std::vector<secret_version> versions;  // creation order; back() is the latest
    std::int64_t deleted_date = 0, scheduled_purge = 0;  // only for deleted entries
};

struct cert_entry {
    std::string name;
    std::vector<cert_version> versions;
    std::int64_t deleted_date = 0, scheduled_purge = 0;  // only for deleted entries
    // While deleted, the backing key and secret are held here (gone from the vault, back on recover).
    std::optional<key_entry> backing_key;
    std::optional<secret_entry> backing_secret;
};

struct vault_state {
    std::string name;
    std::string tenant;
    int recoverable_days = 90;
    std::map<std::string, secret_entry> secrets;  // key: lower-case name
    std::map<std::string, secret_entry> deleted;
    std::map<std::string, key_entry> keys;  // key: lower-case name
    std::map<std::string, cert_entry> certificates;
    std::map<std::string, key_entry> deleted_keys;
    std::map<std::string, cert_entry> deleted_certificates;
    // throttling: Azure's 4,000 secret operations per 10 s by default
    std::size_t throttle_limit = 4000;
    std::int64_t throttle_window_ms = 10000;
    std::optional<int> throttle_retry_after;
    std::deque<std::chrono::steady_clock::time_point> recent;
    bool empty_pages = false;  // serve an empty page (with a nextLink) before every page after the first
};

struct principal {
    std::string tenant;
    std::string client_id;
    std::string object_id;
    std::vector<std::string> secrets;
    std::vector<std::string> certificates;  // DER of each registered certificate
    struct federated {
        std::string issuer, subject;
        std::vector<std::string> audiences;
    };
    std::vector<federated> federated_credentials;
};

struct managed_identity {
    std::string tenant;
    std::string client_id;
    std::string object_id;
    std::string resource_id;
    bool system_assigned = false;
};

struct fault {
    std::string target = "all";  // all, aad, vault, imds
    std::string vault;           // only this vault (vault target), "" = any
    std::string kind = "status";  // status, reset, truncate, hang, delay, challenge
    unsigned status = 503;
    std::optional<int> retry_after;
    long long count = 1;  // remaining; -1 = unlimited
    double fraction = 1.0;
    std::int64_t latency_ms = 0;
    // challenge: the 401's WWW-Authenticate names this resource and/or tenant instead of the vault's
    std::string challenge_resource, challenge_tenant;
    // only requests that carry an Authorization header (a vault that accepts the first, token-less
    // probe as usual and answers every request with a token otherwise)
    bool authorized_only = false;
    // redirect: the 3xx's Location
    std::string location;
};

inline std::string const all_secret_permissions[] = {"get", "list", "set", "delete", "recover", "purge", "import"};

inline std::vector<std::string> const api_versions = {
    "2015-06-01", "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.4-preview.1", "7.5", "7.5-preview.1",
    "7.6", "7.6-preview.1", "7.6-preview.2", "2025-06-01-preview", "2025-07-01"};
inline char const latest_api_version[] = "2025-07-01";

inline bool valid_object_name(std::string_view n) {
    if (n.empty() || n.size() > 127)
        return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
}

inline bool valid_version(std::string_view v) {
    return v.size() == 32 && std::all_of(v.begin(), v.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

class cloud {
public:
    // configuration
    std::string suffix = "vault.esx.test";
    std::int64_t token_lifetime = 3600;
    std::vector<std::string> tenants;  // first is the default
    std::map<std::string, principal> principals;          // key: client id
    std::vector<managed_identity> identities;
    struct issuer_key {
        std::string kid;
        std::shared_ptr<EVP_PKEY> key;
    };
    std::map<std::string, std::vector<issuer_key>> issuers;  // OIDC issuer -> its JWKS
    std::map<std::string, vault_state> vaults;            // key: lower-case vault name
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> access;  // (identity, vault, kind) -> perms
    unsigned short port = 0;  // of the Entra ID + Key Vault listener, as clients reach it

    // run time
    mutable std::mutex mutex;
    std::vector<request_record> log;
    std::vector<fault> faults;
    std::mt19937_64 rng{12345};
    signer jwt;

    // ----- seed.cpp
    void load_seed(std::string const& text);
    // {"issuer": "...", "jwks": {"keys": [...]}}: replaces that issuer's keys.
    void add_issuer(json::object const& o);
    // {"client_id": "...", "issuer": "...", "subject": "...", "audiences": [...]}
    void add_federated_credential(json::object const& o);

    // ----- entra.cpp
    std::string authority() const;  // https://127.0.0.1:P
    std::string resource() const;   // https://<suffix>:P
    std::string vault_base(vault_state const& v) const;
    bool tenant_known(std::string const& t) const;
    // The resource a token may be issued for: https://<suffix> with or without the port and a
    // trailing slash. Returns the canonical form.
    std::optional<std::string> canonical_resource(std::string r) const;
    response aad_error(unsigned status, std::string const& error, int code, std::string const& text) const;
    std::string issue_token(std::string const& tenant, std::string const& client_id, std::string const& object_id,
                            std::string const& aud);
    std::optional<response> check_assertion_times(json::object const& co) const;
    std::optional<response> check_assertion(std::string const& assertion, std::optional<std::string> const& type,
                                            principal const& p, std::string const& tenant, std::string_view host) const;
    std::optional<response> check_federated_assertion(std::vector<std::string> const& parts, json::object const& header,
                                                      std::optional<std::string> const& type, principal const& p) const;
    std::optional<response> check_certificate_assertion(std::string const& assertion,
                                                        std::optional<std::string> const& type, principal const& p,
                                                        std::string const& tenant, std::string_view host) const;
    response handle_aad(request const& req, request_record& rec);

    // ----- imds.cpp
    response imds_error(unsigned status, std::string const& error, std::string const& description) const;
    response handle_imds(request const& req, request_record& rec);

    // ----- challenge.cpp
    static response kv_error(unsigned status, std::string const& code, std::string const& message,
                             std::optional<std::string> inner = std::nullopt);
    // A 401 whose WWW-Authenticate names the vault's tenant and resource (or, for a challenge
    // fault, others).
    response challenge(vault_state const& v, std::string const& message) const;
    response challenge(vault_state const& v, std::string const& message, std::string const& tenant,
                       std::string const& resource) const;  // `v` only names whose challenge it is
    // The bearer token of a vault request: nullopt and `claims` filled when it is good for
    // this vault, else the challenge to answer with.
    std::optional<response> authenticate(request const& req, vault_state const& v, json::object& claims) const;
    bool allowed(std::string const& identity, vault_state const& v, std::string const& perm,
                 std::string const& kind = "secrets") const;
    response forbidden(json::object const& claims, vault_state const& v, std::string const& perm,
                       std::string const& kind = "secrets") const;

    // ----- throttling.cpp
    // {"vault": "v1", "limit": N, "window_seconds": S, "retry_after": R|null}
    void set_throttle(json::object const& o);
    bool throttled(vault_state& v);
    static response throttled_response(std::optional<int> retry_after);

    // ----- vault.cpp
    response handle_vault(request const& req, std::string const& vault_name, request_record& rec);
    json::object attributes(secret_version const& sv, vault_state const& v) const;
    static json::object attrs(bool enabled, std::optional<std::int64_t> nbf, std::optional<std::int64_t> exp,
                              std::int64_t created, std::int64_t updated, vault_state const& v);
    // One page of `items` starting at the skiptoken's offset.
    response page(std::vector<json::value> const& items, vault_state const& v, std::string const& collection,
                  params const& query, std::string const& api) const;
    // Applies a SecretSetParameters / SecretUpdateParameters "attributes" object.
    static std::optional<std::string> apply_attributes(json::object const& body, secret_version& sv);
    static void decorate_vault(response& r, request const& req);

    // ----- secrets.cpp
    response handle_secrets(request const& req, vault_state& v, std::vector<std::string> const& segs,
                            params const& query, std::string const& api, std::string const& identity,
                            json::object const& claims);
    static response not_found(std::string const& what);
    static response deleted_not_found(std::string const& name);
    json::object bundle(vault_state const& v, secret_entry const& e, secret_version const& sv, bool with_value,
                        bool with_version) const;
    json::object deleted_bundle(vault_state const& v, secret_entry const& e, bool with_version) const;

    // ----- keys.cpp
    json::object key_json(vault_state const& v, key_entry const& e, key_version const& kv, bool with_version,
                          bool full) const;
    // PUT /keys/{name}: import a JWK (only its public members are kept).
    response import_key(request const& req, vault_state& v, std::string const& name, std::string const& identity,
                        json::object const& claims);

    // ----- certificates.cpp
    json::object cert_json(vault_state const& v, cert_entry const& e, cert_version const& cv, bool with_version,
                           bool full) const;
    // POST /certificates/{name}/import: a PKCS#12 (base64) or PEM (plain or base64, as the
    // Python SDK sends it) holding the key and the certificate.
    response import_certificate(request const& req, vault_state& v, std::string const& name,
                                std::string const& identity, json::object const& claims);

    // ----- keys_and_certificates.cpp
    // Reads "attributes" (enabled, nbf, exp) and "tags" of a key or certificate request body;
    // an error text for a bad one.
    static std::optional<std::string> read_common(json::object const& body, bool& enabled,
                                                  std::optional<std::int64_t>& nbf, std::optional<std::int64_t>& exp,
                                                  json::object& tags);
    response kc_not_found(bool keys, std::string const& id) const;
    response kc_deleted_not_found(bool keys, std::string const& name) const;
    json::object deleted_json(vault_state const& v, bool keys, std::string const& name, std::int64_t deleted,
                              std::int64_t purge, json::object o) const;
    // DELETE /keys/{n}, /certificates/{n}: soft delete (a certificate takes its backing key and secret with it).
    response delete_key_or_certificate(vault_state& v, bool keys, std::string const& name, std::string const& identity,
                                       json::object const& claims);
    // /deletedkeys, /deletedcertificates: list, get, purge (204), recover.
    response handle_deleted_key_or_certificate(http::verb method, vault_state& v, std::vector<std::string> const& segs,
                                               params const& query, std::string const& api,
                                               std::string const& identity, json::object const& claims);
    // Keys and certificates: get (latest or by version), list, list versions, and a
    // certificate's policy.
    response handle_read_only(http::verb method, vault_state const& v, std::vector<std::string> const& segs,
                              params const& query, std::string const& api, std::string const& identity,
                              json::object const& claims) const;

    // ----- control.cpp
    // Picks (and consumes) the first fault matching this request.
    std::optional<fault> take_fault(std::string const& service, std::string const& vault, bool authorized);
    static std::string serialize(response r);
    response fault_status(fault const& f, std::string const& service) const;
    // The common path of the TLS (aad/vault) and IMDS listeners.
    action serve(request const& req, bool imds);
    fault parse_fault(std::string const& text) const;
    static json::object record_json(request_record const& r);
    action control(request const& req);
};

}  // namespace esx::mocks::azure::detail

#endif
