// esx mocks/azure: an in-process mock of Entra ID (token endpoint, OIDC
// discovery), IMDS and the Key Vault secrets data plane.
//
// One TLS listener on 127.0.0.1 serves both Entra ID (Host 127.0.0.1:P or
// localhost:P) and every vault (Host <vault>.<suffix>:P); IMDS gets a plain
// HTTP listener and the control endpoint (request log, fault injection)
// another. All ports are ephemeral. The server is written independently of
// esx's client code: it only follows the wire protocols in
// shared/reference/azure-wire-protocols.md.
//
// This header is deliberately light (no Beast, no OpenSSL) so a test or the
// standalone binary that only starts and stops the server compiles quickly;
// README.md maps the files behind it.
#ifndef ESX_MOCKS_AZURE_SERVER_HPP
#define ESX_MOCKS_AZURE_SERVER_HPP

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace esx::mocks::azure {

struct options {
    // The seed document (JSON text, see mocks/azure/README.md). Empty: default_seed().
    std::string seed_json;
    // Where ca.pem, server.pem and server-key.pem are written. Empty: a fresh
    // directory under the system temporary directory, removed by the destructor.
    std::filesystem::path tls_dir;
    // Fixed loopback ports; 0 (the default) picks free ones. A fixed port is
    // served through a tcp_forwarder (mocks/common) in front of the listener,
    // and construction throws if the port cannot be bound.
    unsigned short port = 0;          // Entra ID + Key Vault
    unsigned short imds_port = 0;
    unsigned short control_port = 0;
};

// One line of the request log.
struct request_record {
    std::string service;   // "aad", "vault", "imds"
    std::string method;
    std::string path;      // request target without the query
    std::string query;
    std::string host;      // Host header as sent
    std::string identity;  // client id that authenticated (vault/imds) or asked (aad); "" if none
    unsigned status = 0;   // status sent; 0 when a fault closed or stalled the connection
    std::string fault;     // the injected fault that applied, "" if none
    bool authorization = false;  // the request carried an Authorization header (its value is never kept)
};

// A small seed that the standalone binary uses without --seed: tenant
// "esx-tenant", client "esx-client" / secret "esx-secret" with full access to
// vault "v1", which holds one secret "hello".
std::string default_seed();

class server {
public:
    // Generates the PKI and the token-signing key, loads the seed (throws
    // std::runtime_error on an invalid seed) and starts serving before it
    // returns.
    explicit server(options opts = {});
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    unsigned short port() const noexcept;          // Entra ID + Key Vault (TLS)
    unsigned short imds_port() const noexcept;     // plain HTTP
    unsigned short control_port() const noexcept;  // plain HTTP

    std::string authority() const;                  // https://127.0.0.1:P
    std::string imds_url() const;                   // http://127.0.0.1:P2
    std::string control_url() const;                // http://127.0.0.1:P3
    std::string vault_suffix() const;               // e.g. vault.esx.test
    std::string vault_url(std::string const& name) const;  // https://name.<suffix>:P
    std::vector<std::string> vault_names() const;
    std::string tenant() const;                     // the seed's first tenant
    std::filesystem::path ca_file() const;          // <tls_dir>/ca.pem
    std::string const& ca_pem() const;

    // The one-line JSON document the standalone binary prints.
    std::string startup_json() const;

    // The request log (also GET /requests on the control port).
    std::vector<request_record> requests() const;
    void reset_log();
    // Adds a fault exactly as POST /faults does (JSON text); throws
    // std::invalid_argument when it is malformed.
    void add_fault(std::string const& fault_json);
    void clear_faults();
    // Registers (or replaces) an OIDC issuer's JWKS for federated credentials,
    // as POST /issuers does: {"issuer": "...", "jwks": {"keys": [...]}}.
    void add_issuer(std::string const& issuer_json);
    // Adds a federated credential to a service principal, as POST
    // /federated-credentials does: {"client_id", "issuer", "subject", "audiences"}.
    void add_federated_credential(std::string const& credential_json);
    // Changes a vault's rate limit, as POST /throttle does:
    // {"vault", "limit", "window_seconds", "retry_after"}.
    void set_throttle(std::string const& throttle_json);

    // Stops every listener and joins their threads. Idempotent.
    void stop();

private:
    void start(options const& opts);  // the constructor's work after the seed and the TLS directory

    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace esx::mocks::azure

#endif
