// esx mocks/kube: the server's wiring: the PKI made at start-up (CA, serving certificate,
// client certificates), the two loopback listeners (TLS API, plain control endpoint) on one
// thread, the kubeconfig, bookmarks on a timer, and server.hpp's public functions.
//
// Where the rest lives (see README.md, "Files"): the state and its parts in state.hpp, the
// API handler in handler.hpp, connections in http_session.cpp.
#include "server.hpp"

#include "control.hpp"
#include "handler.hpp"
#include "http_session.hpp"
#include "seed.hpp"
#include "state.hpp"
#include "text.hpp"

#include "mocks/common/loopback_server.hpp"
#include "mocks/common/pki.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <future>
#include <optional>
#include <stdexcept>

namespace esx::mocks::kube {

namespace net = boost::asio;
namespace json = boost::json;

std::string default_seed() { return detail::default_seed_json(); }

struct server::impl {
    using tcp = net::ip::tcp;

    options opts;
    detail::api_state st;
    detail::api_handler handler{st};
    std::filesystem::path tls_dir;
    bool own_tls_dir = false;
    std::filesystem::path kubeconfig;
    std::optional<pki::authority> ca;
    std::string ca_pem;
    std::string cert_pem, key_pem;
    std::vector<std::pair<std::string, client_credentials>> seeded_certificates;  // user -> its certificate
    // Declaration order matters: what connections refer to must outlive the io_context
    // (inside `server`), whose destructor releases the connections still held by handlers.
    std::optional<net::ssl::context> ssl_ctx;
    detail::conn_env api_env, control_env;
    loopback_server server;
    net::steady_timer bookmark_timer{server.context()};
    unsigned short api_port = 0, ctl_port = 0;
    std::mutex stop_mutex;
    bool stopped = false;

    explicit impl(options o) : opts(std::move(o)) {}

    client_credentials issue(std::string const& user, std::vector<std::string> const& groups) const {
        auto const leaf = ca->issue_user(user, groups);
        return {leaf.cert_pem, leaf.key_pem};
    }

    void write_files() {
        if (opts.tls_dir.empty()) {
            std::string tmpl = (std::filesystem::temp_directory_path() / "esx-mock-kube-XXXXXX").string();
            if (!::mkdtemp(tmpl.data()))
                throw std::runtime_error("esx-mock-kube: mkdtemp failed");
            tls_dir = tmpl;
            own_tls_dir = true;
        } else {
            tls_dir = opts.tls_dir;
            std::filesystem::create_directories(tls_dir);
        }
        pki::write_file(tls_dir / "ca.pem", ca_pem);
        pki::write_file(tls_dir / "server.pem", cert_pem);
        pki::write_file(tls_dir / "server-key.pem", key_pem);
        for (auto const& [user, c] : seeded_certificates) {
            pki::write_file(tls_dir / "users" / (user + ".pem"), c.cert_pem);
            pki::write_file(tls_dir / "users" / (user + "-key.pem"), c.key_pem);
        }
        kubeconfig = opts.kubeconfig.empty() ? tls_dir / "kubeconfig" : opts.kubeconfig;
        // One context per credential: "esx-mock" for the first token, one named after each
        // user with a certificate. The token's is current when there is one.
        std::string users, contexts;
        if (!st.first_token.empty()) {
            users += "- name: esx-mock-admin\n  user:\n    token: " + st.first_token + "\n";
            contexts += "- name: esx-mock\n  context:\n    cluster: esx-mock\n    user: esx-mock-admin\n    namespace: default\n";
        }
        for (auto const& [user, c] : seeded_certificates) {
            users += "- name: " + user + "\n  user:\n    client-certificate-data: " + detail::base64_encode(c.cert_pem) +
                     "\n    client-key-data: " + detail::base64_encode(c.key_pem) + "\n";
            contexts += "- name: " + user + "\n  context:\n    cluster: esx-mock\n    user: " + user +
                        "\n    namespace: default\n";
        }
        std::string const current = st.first_token.empty() ? seeded_certificates.front().first : "esx-mock";
        std::string kc;
        kc += "apiVersion: v1\nkind: Config\n";
        kc += "clusters:\n- name: esx-mock\n  cluster:\n    server: " + st.server_url + "\n";
        kc += "    certificate-authority-data: " + detail::base64_encode(ca_pem) + "\n";
        kc += "users:\n" + users;
        kc += "contexts:\n" + contexts;
        kc += "current-context: " + current + "\n";
        pki::write_file(kubeconfig, kc);
    }

    void schedule_bookmarks() {
        bookmark_timer.expires_after(opts.bookmark_interval);
        bookmark_timer.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return;
            {
                std::lock_guard lock(st.m);
                st.send_bookmarks();
            }
            schedule_bookmarks();
        });
    }

    void record(request_record r) {
        std::lock_guard lock(st.log_mutex);
        st.log.push_back(std::move(r));
        if (st.log.size() > 100000)
            st.log.pop_front();
    }

    void start() {
        st.register_builtins();
        st.make_sa_key();
        ca.emplace(pki::authority::generate("esx mock kube CA"));
        auto leaf = ca->issue_server({"localhost", "kubernetes.default.svc"}, {"127.0.0.1"});
        ca_pem = ca->cert_pem();
        cert_pem = leaf.cert_pem;
        key_pem = leaf.key_pem;
        ssl_ctx.emplace(net::ssl::context::tls_server);
        ssl_ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                             net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
        ssl_ctx->use_certificate_chain(net::buffer(cert_pem));
        ssl_ctx->use_private_key(net::buffer(key_pem), net::ssl::context::pem);
        // Client certificates, as kube-apiserver with --client-ca-file asks for them: requested
        // (naming the CA), never required, and any certificate passes the handshake; whether it
        // verified decides authentication (a 401 for one that does not).
        ssl_ctx->add_certificate_authority(net::buffer(ca_pem));
        {
            auto ca_cert = pki::detail::cert_from_pem(ca_pem);
            SSL_CTX_add_client_CA(ssl_ctx->native_handle(), ca_cert.get());
        }
        ssl_ctx->set_verify_mode(net::ssl::verify_peer);
        ssl_ctx->set_verify_callback([](bool, net::ssl::verify_context&) { return true; });
        // Sessions resume, as kube-apiserver's do (Go's crypto/tls, client certificate kept in
        // the session). OpenSSL refuses to resume, failing the handshake, on a server that
        // asks for client certificates without a session id context.
        static constexpr unsigned char sid_context[] = "esx-mock-kube";
        SSL_CTX_set_session_id_context(ssl_ctx->native_handle(), sid_context, sizeof sid_context - 1);

        api_env.handle = [this](detail::api_request const& req, request_record& rec) {
            return detail::with_faults(st, handler, req, rec);
        };
        api_env.record = [this](request_record r) { record(std::move(r)); };
        api_env.mutex = &st.m;
        control_env.handle = [this](detail::api_request const& req, request_record&) {
            return detail::control_request(st, req);
        };
        control_env.record = [](request_record) {};
        control_env.mutex = &st.m;
        api_port = server.listen(opts.port, [this](tcp::socket s) {
            return detail::start_session(api_env, std::move(s), &*ssl_ctx);
        });
        ctl_port = server.listen(opts.control_port, [this](tcp::socket s) {
            return detail::start_session(control_env, std::move(s), nullptr);
        });
        st.server_url = "https://127.0.0.1:" + std::to_string(api_port);

        {
            std::lock_guard lock(st.m);
            auto const certificate_users =
                detail::load_seed(st, handler, opts.seed_json.empty() ? default_seed() : opts.seed_json, opts.watch_window);
            for (auto const& user : certificate_users)
                seeded_certificates.emplace_back(user, issue(user, st.users.at(user).groups));
            st.history.clear();
            st.history_bytes = 0;
            st.compacted_rv = st.rv;
        }
        write_files();
        schedule_bookmarks();
        server.run();
    }

    void stop() {
        {
            std::lock_guard lock(stop_mutex);
            stopped = true;
        }
        server.stop();
    }

    ~impl() {
        stop();
        if (own_tls_dir) {
            std::error_code ec;
            std::filesystem::remove_all(tls_dir, ec);
        }
    }
};

server::server(options opts) : impl_(std::make_unique<impl>(std::move(opts))) { impl_->start(); }
server::~server() { stop(); }

unsigned short server::port() const noexcept { return impl_->api_port; }
unsigned short server::control_port() const noexcept { return impl_->ctl_port; }
std::string server::url() const { return impl_->st.server_url; }
std::string server::control_url() const { return "http://127.0.0.1:" + std::to_string(impl_->ctl_port); }
std::string server::issuer() const { return impl_->st.server_url; }
std::string server::jwks_uri() const { return impl_->st.server_url + "/openid/v1/jwks"; }
std::string server::jwks_json() const { return json::serialize(impl_->st.jwks()); }
std::string server::token() const { return impl_->st.first_token; }
std::filesystem::path server::ca_file() const { return impl_->tls_dir / "ca.pem"; }
std::filesystem::path server::kubeconfig_file() const { return impl_->kubeconfig; }
std::string const& server::ca_pem() const { return impl_->ca_pem; }

client_credentials server::issue_client_certificate(std::string const& user, std::vector<std::string> const& groups) const {
    return impl_->issue(user, groups);
}

client_credentials server::client_certificate(std::string const& user) const {
    for (auto const& [name, c] : impl_->seeded_certificates)
        if (name == user)
            return c;
    throw std::invalid_argument("esx-mock-kube: the seed gives user " + user + " no certificate");
}

std::string server::startup_json() const {
    return json::serialize(json::object{{"server", url()},
                                        {"kubeconfig", kubeconfig_file().string()},
                                        {"ca", ca_file().string()},
                                        {"token", token()},
                                        {"issuer", issuer()},
                                        {"jwks_uri", jwks_uri()},
                                        {"control", control_url()}});
}

std::vector<request_record> server::requests() const {
    std::lock_guard lock(impl_->st.log_mutex);
    return {impl_->st.log.begin(), impl_->st.log.end()};
}

void server::reset_log() {
    std::lock_guard lock(impl_->st.log_mutex);
    impl_->st.log.clear();
}

void server::add_fault(std::string const& fault_json) {
    detail::fault f = detail::parse_fault(fault_json);
    std::lock_guard lock(impl_->st.m);
    impl_->st.faults.push_back(f);
}

void server::clear_faults() {
    std::lock_guard lock(impl_->st.m);
    impl_->st.faults.clear();
}

void server::drop_watches() {
    {
        std::lock_guard lock(impl_->stop_mutex);
        if (impl_->stopped)
            return;
    }
    // Aborting sockets must happen on the io thread; the state lock orders it
    // after any handler that is running.
    std::promise<void> done;
    auto fut = done.get_future();
    net::post(impl_->server.context(), [this, &done] {
        {
            std::lock_guard lock(impl_->st.m);
            impl_->st.drop_watches();
        }
        done.set_value();
    });
    fut.wait();
}

void server::observe_changes(std::function<void(change const&)> observer) {
    std::lock_guard lock(impl_->st.m);
    impl_->st.observer = std::move(observer);
}

std::uint64_t server::resource_version() const {
    std::lock_guard lock(impl_->st.m);
    return impl_->st.rv;
}

std::uint64_t server::wait_for_change(std::uint64_t since, std::chrono::milliseconds max) const {
    std::unique_lock lock(impl_->st.m);
    impl_->st.changed.wait_for(lock, max, [&] { return impl_->st.rv > since; });
    return impl_->st.rv;
}

void server::stop() { impl_->stop(); }

}  // namespace esx::mocks::kube
