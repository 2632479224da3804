// esx::runtime: the wiring a program needs once, whatever it syncs.
//
// Where the cluster is (in-cluster or kubeconfig), whom to trust for Azure (the system store
// plus an optional CA), where vault hosts really are (`--resolve`), where IMDS is, the Azure
// SDK variables, and the things there must be one of per process: the Azure transport (one
// connection pool), the token cache (one token per identity), the IMDS transport.
#ifndef ESX_PIPELINE_RUNTIME_HPP
#define ESX_PIPELINE_RUNTIME_HPP

#include <esx/auth/store_credentials.hpp>
#include <esx/auth/token_cache.hpp>
#include <esx/failure.hpp>
#include <esx/kube/client.hpp>
#include <esx/kube/config.hpp>
#include <esx/log.hpp>
#include <esx/transport/http.hpp>
#include <esx/transport/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>

namespace esx {

/** What a `runtime` is told. Every member has a working default; `from_environment` fills
    the rest from the process environment, as the Azure SDKs and kubectl read it.

    | member | default | CLI flag / variable |
    |---|---|---|
    | `kubeconfig`, `context` | in-cluster when `KUBERNETES_SERVICE_HOST` is set, else `KUBECONFIG` or `~/.kube/config` and its current context | `--kubeconfig`, `--context` |
    | `ca_file`, `ca_pem` | none: the system trust store alone | `--cacert`, `ESX_CACERT` |
    | `trust_system_store` | true: a CA given is trusted *besides* the system store | |
    | `resolve` | none | `--resolve HOST:PORT:ADDR`, `ESX_RESOLVE` (comma-separated) |
    | `imds_endpoint` | `AZURE_POD_IDENTITY_AUTHORITY_HOST` or `IMDS_ENDPOINT` (a base URL), else `http://169.254.169.254` | |
    | `allow_controller_identity` | false | `--allow-controller-identity` |
    | `getenv` | `std::getenv` (`AZURE_AUTHORITY_HOST`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, proxies) | tests pass their own |
*/
struct runtime_options {
    std::string kubeconfig;  ///< `:`-separated kubeconfig paths; empty: in-cluster, `KUBECONFIG`, `~/.kube/config`
    std::string context;     ///< kubeconfig context; empty: the current one
    std::string ca_file;     ///< PEM CA bundle trusted for Azure hosts
    std::string ca_pem;      ///< PEM text trusted for Azure hosts
    bool trust_system_store = true;
    std::map<std::string, std::string> resolve;  ///< `host:port` -> address to connect to (TLS still checks `host`)
    std::string imds_endpoint;  ///< the IMDS token URL; empty: from the environment or the standard address
    /// ManagedIdentity, and WorkloadIdentity without a serviceAccountRef, from a namespaced
    /// SecretStore (they authenticate as the controller itself; see `auth::check_controller_identity`).
    bool allow_controller_identity = false;
    auth::getenv_function getenv = &std::getenv;
    log::logger logger = log::default_logger();
    /// Client-side rate limit of Kubernetes requests (`kube::config::qps`/`burst`; ESO's
    /// `--client-qps`/`--client-burst` defaults); `kube_qps <= 0` turns it off.
    double kube_qps = 50;
    std::size_t kube_burst = 100;

    /// Adds one `HOST:PORT:ADDR` (curl's `--resolve`; `ADDR` may be an IPv6 literal in brackets).
    /// @par Errors `error::invalid_option` naming the text and what is wrong with it.
    ESX_DECL result<void, failure> add_resolve(std::string_view host_port_addr);

    /// Defaults plus `ESX_CACERT` (a CA file) and `ESX_RESOLVE` (`HOST:PORT:ADDR[,...]`) read
    /// through `getenv`. @par Errors as `add_resolve`.
    ESX_DECL static result<runtime_options, failure> from_environment(auth::getenv_function getenv = &std::getenv);
};

namespace detail {
/// The IMDS token endpoint `o` asks for (see `runtime_options::imds_endpoint`).
ESX_DECL std::string imds_endpoint_for(runtime_options const& o);
/// The PEM text to trust for Azure: the system bundle (when asked) plus `ca_file` and `ca_pem`;
/// empty when neither is given (the transport then loads the system store itself).
ESX_DECL result<std::string, failure> azure_trust_pem(runtime_options const& o);
/// `getenv` as the Kubernetes config loaders want it.
ESX_DECL kube::env_lookup env_lookup_of(auth::getenv_function getenv);
} // namespace detail

/** The process-wide wiring (see `runtime_options`). Usually one per program:

    @code
    esx::runtime rt;                                   // options from the environment
    esx::pipeline<esx::sink::kubernetes_secret<>> sync(rt, ...);
    auto results = rt.run(sync.sync_all(...));
    @endcode

    A runtime made without an executor owns an `io_context` and `run()` drives it; a
    controller passes its own executor and `co_spawn`s. Everything a runtime hands out is
    made on first use and then shared (one Azure transport per type, one token cache, one
    Kubernetes client), and must be used from its executor.

    Nothing here throws, except `run()` rethrowing what the task threw. Problems with the
    options (a bad `ESX_RESOLVE`, an unreadable CA file) are kept in `status()` and reported by
    every sync. */
class runtime {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Owns an `io_context`; options from the environment (`runtime_options::from_environment`).
    runtime() : runtime(runtime_options::from_environment()) {}
    /// Owns an `io_context`.
    explicit runtime(runtime_options o) : owned_(std::make_unique<boost::asio::io_context>()) {
        ex_ = owned_->get_executor();
        init(std::move(o));
    }
    /// Uses the caller's executor (a controller); `run()` is then not available.
    runtime(executor_type ex, runtime_options o) : ex_(std::move(ex)) { init(std::move(o)); }

    runtime(runtime const&) = delete;
    runtime& operator=(runtime const&) = delete;

    executor_type get_executor() const noexcept { return ex_; }
    runtime_options const& options() const noexcept { return options_; }
    /// A problem with the options, reported by every sync; success when there is none.
    result<void, failure> const& status() const noexcept { return status_; }

    /// Runs `task` to completion on the runtime's own `io_context` and returns its value.
    template <class T>
    T run(boost::asio::awaitable<T> task) {
        if (!owned_) throw std::logic_error("esx::runtime::run: this runtime uses the caller's executor");
        std::optional<T> out;
        std::exception_ptr thrown;
        boost::asio::co_spawn(*owned_, std::move(task), [&](std::exception_ptr e, T v) {
            thrown = e;
            if (!e) out.emplace(std::move(v));
        });
        owned_->restart();
        owned_->run();
        if (thrown) std::rethrow_exception(thrown);
        if (!out) throw std::logic_error("esx::runtime::run: the task did not finish");
        return std::move(*out);
    }

    /** The Kubernetes client, made on first use from the options (in-cluster or kubeconfig).
        @par Errors the config loader's (no kubeconfig, unknown context, ...), remembered: a
        program that reads everything from files never needs a cluster. */
    result<std::shared_ptr<kube::client<>>, failure> kube() {
        if (!kube_) {
            kube::kubeconfig_options k;
            k.paths = options_.kubeconfig;
            k.context = options_.context;
            k.env = detail::env_lookup_of(options_.getenv);
            kube::in_cluster_options in;
            in.env = k.env;
            auto c = kube::config::load(k, in);
            if (c) {
                c->qps = options_.kube_qps;
                c->burst = options_.kube_burst;
            }
            if (!c) {
                failure f = c.error();
                f.message = "no Kubernetes cluster to read from: " + f.what();
                kube_.emplace(std::move(f));
            } else {
                kube_.emplace(std::make_shared<kube::client<>>(ex_, std::move(*c)));
            }
        }
        return *kube_;
    }

    /// Use `client` as the Kubernetes client (tests, or a program that made its own).
    void set_kube(std::shared_ptr<kube::client<>> client) { kube_.emplace(std::move(client)); }

    /// The transport options for Azure hosts: trust, `resolve`, proxies from `getenv`.
    transport::options const& azure_transport_options() const noexcept { return azure_options_; }

    /// The one `T` of this runtime, made with `make()` on first use (`T` is the key).
    template <class T, class Make>
    std::shared_ptr<T> shared(Make&& make) {
        auto& slot = shared_[std::type_index(typeid(T))];
        if (!slot) slot = std::shared_ptr<T>(make());
        return std::static_pointer_cast<T>(slot);
    }

    /// The one Azure transport of type `Transport`, made from `(executor, azure_transport_options())`.
    template <class Transport>
    std::shared_ptr<Transport> azure_transport() {
        static_assert(std::is_constructible_v<Transport, executor_type, transport::options>,
                      "esx::runtime: the Azure transport must be constructible from (executor, "
                      "esx::transport::options), as transport::https and transport::retry<https> are; or give "
                      "the pipeline a transport you made yourself");
        return shared<Transport>([&] { return new Transport(ex_, azure_options_); });
    }

    /** Every Azure request of this runtime's transports (token endpoints, IMDS, Key Vault; each
        attempt of a retried one) awaits `pace()` first: a controller's Azure call limit
        (`controller::call_limit_options::azure_qps`). It may be set after the transports were
        made (they hold a shared slot); an empty function removes it. Not the Kubernetes
        client's: that one has its own limiter (`runtime_options::kube_qps`). */
    void pace_azure_requests(std::function<boost::asio::awaitable<void>()> pace) { *azure_pace_ = std::move(pace); }

    /// The IMDS transport (plain HTTP, never through a proxy) and endpoint.
    std::shared_ptr<transport::http> imds_transport() {
        return shared<transport::http>([&] {
            transport::options o;
            o.proxy = transport::proxy_settings{};
            o.logger = options_.logger;
            o.pace = azure_options_.pace;
            return new transport::http(ex_, std::move(o));
        });
    }
    std::string const& imds_endpoint() const noexcept { return imds_endpoint_; }

    /// The token cache every auth policy of the process shares.
    template <class Clock = transport::steady_clock>
    std::shared_ptr<auth::token_cache<Clock>> token_cache() {
        return shared<auth::token_cache<Clock>>([] { return new auth::token_cache<Clock>(); });
    }

private:
    // The default constructor's: the environment could not be read (a bad ESX_RESOLVE); the
    // problem is kept in status() so that every sync reports it.
    explicit runtime(result<runtime_options, failure> o) : owned_(std::make_unique<boost::asio::io_context>()) {
        ex_ = owned_->get_executor();
        if (o) {
            init(std::move(*o));
        } else {
            init(runtime_options{});
            status_ = o.error();
        }
    }

    using pace_function = std::function<boost::asio::awaitable<void>()>;

    /// Awaits the pace set by `pace_azure_requests`, if any (a coroutine of its own, holding the
    /// slot: the transports' copies of the options outlive no runtime, but need not know it).
    static boost::asio::awaitable<void> paced(std::shared_ptr<pace_function const> slot) {
        if (*slot) {
            auto wait = (*slot)();
            co_await std::move(wait);
        }
    }

    void init(runtime_options o) {
        options_ = std::move(o);
        azure_options_.pace = [slot = std::shared_ptr<pace_function const>(azure_pace_)] { return paced(slot); };
        imds_endpoint_ = detail::imds_endpoint_for(options_);
        azure_options_.resolve = options_.resolve;
        azure_options_.logger = options_.logger;
        azure_options_.proxy = transport::proxy_settings::from_environment(
            [&](char const* n) -> char const* { return options_.getenv ? options_.getenv(n) : nullptr; });
        auto trust = detail::azure_trust_pem(options_);
        if (!trust) {
            if (status_) status_ = trust.error();
        } else {
            azure_options_.ca_pem = std::move(*trust);
        }
    }

    std::unique_ptr<boost::asio::io_context> owned_;
    executor_type ex_;
    runtime_options options_;
    result<void, failure> status_;
    transport::options azure_options_;
    std::string imds_endpoint_;
    std::shared_ptr<pace_function> azure_pace_ = std::make_shared<pace_function>();
    std::optional<result<std::shared_ptr<kube::client<>>, failure>> kube_;
    std::map<std::type_index, std::shared_ptr<void>> shared_;
};

} // namespace esx

#if ESX_HEADER_ONLY
#  include <esx/pipeline/impl/runtime.ipp>
#endif

#endif
