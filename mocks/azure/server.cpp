// esx mocks/azure: the server's wiring: the PKI made at start-up, the three loopback
// listeners (Entra ID + Key Vault over TLS, IMDS and the control endpoint over plain HTTP),
// forwarders for fixed ports, and server.hpp's public functions. What the listeners serve is
// the `cloud` (state.hpp); README.md maps its files.
#include "server.hpp"

#include "state.hpp"

#include "mocks/common/pki.hpp"
#include "mocks/common/scripted_server.hpp"
#include "mocks/common/tcp_forwarder.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <stdexcept>

namespace esx::mocks::azure {

namespace json = boost::json;
using detail::fault;
using detail::lower;
using detail::request;

struct server::impl {
    detail::cloud cloud;

    std::filesystem::path tls_dir;
    bool own_tls_dir = false;
    std::string ca_pem;
    unsigned short port = 0, imds_port = 0, control_port = 0;

    std::unique_ptr<esx::test::scripted_server> main_server, imds_server, control_server;
    std::unique_ptr<esx::mocks::tcp_forwarder> main_forwarder, imds_forwarder, control_forwarder;
};

std::string default_seed() {
    return R"({
  "tenants": [{"id": "esx-tenant"}],
  "service_principals": [{"tenant": "esx-tenant", "client_id": "esx-client", "secrets": ["esx-secret"]}],
  "vaults": [{"name": "v1", "tenant": "esx-tenant",
              "secrets": [{"name": "hello", "versions": [{"value": "world", "contentType": "text/plain"}]}]}],
  "access": [{"identity": "esx-client", "vault": "v1", "secrets": ["all"]}]
})";
}

server::server(options opts) : impl_(std::make_unique<impl>()) {
    impl& m = *impl_;
    m.cloud.load_seed(opts.seed_json.empty() ? default_seed() : opts.seed_json);

    if (opts.tls_dir.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "esx-mock-azure-XXXXXX").string();
        if (!::mkdtemp(tmpl.data()))
            throw std::runtime_error("mkdtemp failed");
        m.tls_dir = tmpl;
        m.own_tls_dir = true;
    } else {
        m.tls_dir = opts.tls_dir;
        std::filesystem::create_directories(m.tls_dir);
    }
    try {
        start(opts);
    } catch (...) {
        stop();
        if (m.own_tls_dir) {
            std::error_code ec;
            std::filesystem::remove_all(m.tls_dir, ec);
        }
        throw;
    }
}

void server::start(options const& opts) {
    impl& m = *impl_;
    auto ca = pki::authority::generate("esx mock Azure CA");
    auto leaf = ca.issue_server({"localhost", "*." + m.cloud.suffix, m.cloud.suffix}, {"127.0.0.1"}, std::chrono::hours(24 * 30));
    m.ca_pem = ca.cert_pem();
    pki::write_file(m.tls_dir / "ca.pem", ca.cert_pem());
    pki::write_file(m.tls_dir / "server.pem", leaf.cert_pem);
    pki::write_file(m.tls_dir / "server-key.pem", leaf.key_pem);

    esx::test::server_options tls;
    tls.tls = true;
    tls.cert_pem = leaf.cert_pem;
    tls.key_pem = leaf.key_pem;
    impl* self = &m;
    std::exception_ptr failed;
    {
        // Handlers take the mutex, so ports are published under it too.
        std::lock_guard lock(m.cloud.mutex);
        m.main_server = std::make_unique<esx::test::scripted_server>(
            tls, [self](request const& req) { return self->cloud.serve(req, false); });
        m.imds_server = std::make_unique<esx::test::scripted_server>(
            [self](request const& req) { return self->cloud.serve(req, true); });
        m.control_server = std::make_unique<esx::test::scripted_server>(
            [self](request const& req) { return self->cloud.control(req); });
        m.port = m.main_server->port();
        m.imds_port = m.imds_server->port();
        m.control_port = m.control_server->port();
        // Fixed ports: a forwarder in front of the ephemeral listener; URLs name the fixed port.
        auto front = [](unsigned short wanted, unsigned short& port, std::unique_ptr<esx::mocks::tcp_forwarder>& fw) {
            if (wanted == 0)
                return;
            try {
                fw = std::make_unique<esx::mocks::tcp_forwarder>(wanted, port);
            } catch (std::exception const& e) {
                throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(wanted) + ": " + e.what());
            }
            port = fw->port();
        };
        try {
            front(opts.port, m.port, m.main_forwarder);
            front(opts.imds_port, m.imds_port, m.imds_forwarder);
            front(opts.control_port, m.control_port, m.control_forwarder);
        } catch (...) {
            failed = std::current_exception();
        }
        m.cloud.port = m.port;  // what clients reach: the URLs and challenges name it
    }
    if (failed) {
        // Outside the lock: a handler already waiting for it must finish before its thread can be joined.
        stop();
        std::rethrow_exception(failed);
    }
}

server::~server() {
    stop();
    if (impl_->own_tls_dir) {
        std::error_code ec;
        std::filesystem::remove_all(impl_->tls_dir, ec);
    }
}

void server::stop() {
    // Each stop() is idempotent and joins its thread; forwarders first.
    for (auto* f : {impl_->main_forwarder.get(), impl_->imds_forwarder.get(), impl_->control_forwarder.get()})
        if (f)
            f->stop();
    for (auto* s : {impl_->main_server.get(), impl_->imds_server.get(), impl_->control_server.get()})
        if (s)
            s->stop();
}

unsigned short server::port() const noexcept { return impl_->port; }
unsigned short server::imds_port() const noexcept { return impl_->imds_port; }
unsigned short server::control_port() const noexcept { return impl_->control_port; }
std::string server::authority() const { return impl_->cloud.authority(); }
std::string server::imds_url() const { return "http://127.0.0.1:" + std::to_string(impl_->imds_port); }
std::string server::control_url() const { return "http://127.0.0.1:" + std::to_string(impl_->control_port); }
std::string server::vault_suffix() const { return impl_->cloud.suffix; }
std::string server::vault_url(std::string const& name) const {
    return "https://" + lower(name) + "." + impl_->cloud.suffix + ":" + std::to_string(impl_->port);
}
std::vector<std::string> server::vault_names() const {
    std::vector<std::string> out;
    for (auto const& [k, v] : impl_->cloud.vaults)
        out.push_back(k);
    return out;
}
std::string server::tenant() const { return impl_->cloud.tenants.front(); }
std::filesystem::path server::ca_file() const { return impl_->tls_dir / "ca.pem"; }
std::string const& server::ca_pem() const { return impl_->ca_pem; }

std::string server::startup_json() const {
    json::object vaults;
    for (auto const& name : vault_names())
        vaults[name] = vault_url(name);
    json::object o{{"authority", authority()},        {"imds", imds_url()},      {"control", control_url()},
                   {"vault_suffix", vault_suffix()}, {"vaults", vaults},        {"ca", ca_file().string()},
                   {"tenant", tenant()}};
    return json::serialize(o);
}

std::vector<request_record> server::requests() const {
    std::lock_guard lock(impl_->cloud.mutex);
    return impl_->cloud.log;
}

void server::reset_log() {
    std::lock_guard lock(impl_->cloud.mutex);
    impl_->cloud.log.clear();
}

void server::add_fault(std::string const& fault_json) {
    fault f = impl_->cloud.parse_fault(fault_json);
    std::lock_guard lock(impl_->cloud.mutex);
    impl_->cloud.faults.push_back(f);
}

namespace {
json::object parse_object(std::string const& text, char const* what) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        throw std::invalid_argument(std::string(what) + ": not a JSON object");
    return v.as_object();
}
}  // namespace

void server::add_issuer(std::string const& issuer_json) {
    json::object o = parse_object(issuer_json, "issuer");
    std::lock_guard lock(impl_->cloud.mutex);
    impl_->cloud.add_issuer(o);
}

void server::add_federated_credential(std::string const& credential_json) {
    json::object o = parse_object(credential_json, "federated credential");
    std::lock_guard lock(impl_->cloud.mutex);
    impl_->cloud.add_federated_credential(o);
}

void server::set_throttle(std::string const& throttle_json) {
    json::object o = parse_object(throttle_json, "throttle");
    std::lock_guard lock(impl_->cloud.mutex);
    impl_->cloud.set_throttle(o);
}

void server::clear_faults() {
    std::lock_guard lock(impl_->cloud.mutex);
    impl_->cloud.faults.clear();
}

}  // namespace esx::mocks::azure
