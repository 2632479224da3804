// esx mocks/kube: an in-process mock of the Kubernetes API server subset that
// esx, kubectl and python3-kubernetes use (see mocks/kube/README.md and
// shared/reference/kubernetes-api.md § 8).
//
// One TLS listener on 127.0.0.1 serves the API (bearer tokens from the seed
// and from TokenRequest, client certificates signed by the mock's CA); a
// plain-HTTP loopback listener serves the control
// endpoint (request log, fault injection, dropping watch streams). State is
// in memory. Written independently of esx's client code: it follows only the
// wire protocol in the reference.
//
// This header is deliberately light (no Beast, no OpenSSL, no JSON) so that a
// test or the standalone binary compiles fast; README.md maps the files behind it.
#ifndef ESX_MOCKS_KUBE_SERVER_HPP
#define ESX_MOCKS_KUBE_SERVER_HPP

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::json {
class object;
}

namespace esx::mocks::kube {

// A committed write, as an observer in the same process sees it (`server::observe_changes`).
struct change {
    std::string_view type;        // ADDED, MODIFIED or DELETED
    std::string_view resource;    // <group>/<plural> as the store keys it: "/secrets",
                                  // "external-secrets.io/externalsecrets"
    std::string_view namespace_;  // "" for cluster-scoped objects
    boost::json::object const& object;  // as stored after the write (its last state, for DELETED)
};

struct options {
    // The seed document (JSON text, see README.md). Empty: default_seed().
    std::string seed_json;
    // TCP ports on 127.0.0.1; 0 picks an ephemeral port.
    unsigned short port = 0;
    unsigned short control_port = 0;
    // Where ca.pem, server.pem and server-key.pem are written. Empty: a fresh
    // directory under the system temporary directory, removed by the destructor.
    std::filesystem::path tls_dir;
    // Where the kubeconfig is written. Empty: <tls_dir>/kubeconfig.
    std::filesystem::path kubeconfig;
    // How many past events watches can resume from (overrides the seed's
    // "watch_window" when non-zero); older resourceVersions get 410 Expired.
    std::size_t watch_window = 0;
    // Interval of BOOKMARK events on watches that allow them (one is also sent
    // right after the initial events).
    std::chrono::milliseconds bookmark_interval{5000};
};

// One line of the request log.
struct request_record {
    std::string method;
    std::string path;          // request target without the query
    std::string query;         // raw query string
    std::string user;          // authenticated user name, "" when anonymous
    std::string content_type;  // request Content-Type, "" if none
    std::string user_agent;
    unsigned status = 0;       // status sent (200 for a watch stream)
    std::string fault;         // the injected fault that applied, "" if none
};

// A client certificate and its key (PEM), for mutual TLS against the mock.
struct client_credentials {
    std::string cert_pem;
    std::string key_pem;
};

// A seed with one user "admin" (token "esx-admin-token", no RBAC limits) and
// the namespaces "default" and "kube-system".
std::string default_seed();

class server {
public:
    // Generates the PKI and the service-account signing key, loads the seed
    // (throws std::runtime_error on an invalid seed) and serves before it returns.
    explicit server(options opts = {});
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    unsigned short port() const noexcept;
    unsigned short control_port() const noexcept;

    std::string url() const;                       // https://127.0.0.1:P
    std::string control_url() const;               // http://127.0.0.1:P2
    std::string issuer() const;                    // service-account token issuer (== url())
    std::string jwks_uri() const;                  // <issuer>/openid/v1/jwks
    std::string jwks_json() const;                 // the document served at jwks_uri(), for
                                                   // wiring another mock's trust in-process
    std::string token() const;                     // the seed's first bearer token
    std::filesystem::path ca_file() const;         // <tls_dir>/ca.pem
    std::filesystem::path kubeconfig_file() const;
    std::string const& ca_pem() const;

    // A client certificate signed by the mock's CA, as kube-apiserver's x509 authentication
    // reads one: CN = the user, O = its groups. Any user name works: the seed's rules for that
    // user (or its groups) apply, an unknown one may do what its groups allow.
    client_credentials issue_client_certificate(std::string const& user,
                                                std::vector<std::string> const& groups = {}) const;
    // The certificate issued at start-up for a seed user with "certificate": true (also in the
    // kubeconfig as the context named after the user); throws std::invalid_argument otherwise.
    client_credentials client_certificate(std::string const& user) const;

    // The one-line JSON document the standalone binary prints.
    std::string startup_json() const;

    // The request log (also GET /requests on the control endpoint).
    std::vector<request_record> requests() const;
    void reset_log();
    // Adds a fault exactly as POST /faults does (JSON text); throws
    // std::invalid_argument when it is malformed.
    void add_fault(std::string const& fault_json);
    void clear_faults();
    // Closes every open watch stream abruptly (no terminating chunk).
    void drop_watches();
    // Calls `observer` for every write from now on, in resourceVersion order, on the server's
    // thread while its store is locked (keep it short; never call the server from it). For a
    // benchmark in the same process, which would otherwise watch over TLS and parse every
    // event on the cores it measures. An empty function stops the calls.
    void observe_changes(std::function<void(change const&)> observer);
    // The current (global) resourceVersion.
    std::uint64_t resource_version() const;
    /// Blocks until the resourceVersion passes `since` (any write) or `max` elapsed; returns the
    /// version then. Tests wait on this instead of sleeping between polls.
    std::uint64_t wait_for_change(std::uint64_t since, std::chrono::milliseconds max) const;

    // Stops both listeners, closes every connection and joins the thread. Idempotent.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace esx::mocks::kube

#endif
