// esx::auth::policy_for_store: the `any_of<...>` policy a SecretStore or ClusterSecretStore asks for.
#ifndef ESX_AUTH_FROM_STORE_HPP
#define ESX_AUTH_FROM_STORE_HPP

#include <esx/auth/any_of.hpp>
#include <esx/auth/store_credentials.hpp>

#include <memory>
#include <optional>
#include <string>

namespace esx::auth {

/** What building a store's policy needs besides the store.
    @tparam Kube a `kube_access`
    @tparam Clock the clock of the shared token cache
    @tparam ImdsTransport the transport `managed_identity` uses */
template <class Kube, class Clock = transport::steady_clock, class ImdsTransport = transport::http>
struct store_auth_context {
    std::shared_ptr<Kube> kube;
    /// Shared by every store of the process, so one identity costs one token request per
    /// scope however many stores and pipelines use it. Made on first use when null.
    std::shared_ptr<token_cache<Clock>> cache;
    std::shared_ptr<ImdsTransport> imds;        ///< needed only for ManagedIdentity
    std::string imds_endpoint;                  ///< empty: the real IMDS address
    bool allow_controller_identity = false;     ///< ManagedIdentity / mounted WI from a namespaced store
    jwt_algorithm certificate_algorithm = jwt_algorithm::ps256;
    getenv_function getenv = &std::getenv;
};

/** The one cloud of a store: `environmentType` and `customCloudConfig`, with
    `AZURE_AUTHORITY_HOST` read through `getenv` (see `esx::cloud_for`). Work it out once per
    store and give the same value to `policy_for_store` (Entra ID authority) and to
    `keyvault::client::make` (vault suffix, challenge resource): two separate computations
    could disagree (one of them seeing another environment). */
inline result<esx::cloud, failure> cloud_for_store(spec::azurekv_provider const& p, getenv_function const& getenv) {
    return esx::cloud_for(spec::to_string(p.environment_type), p.custom_cloud_config,
                          [&](char const* name) -> char const* { return getenv ? getenv(name) : nullptr; });
}

namespace detail {

template <class P, class Kube, class Clock, class ImdsTransport>
boost::asio::awaitable<result<P, failure>> build_for_store(store_auth_context<Kube, Clock, ImdsTransport>& ctx,
                                                           spec::azurekv_provider const& p,
                                                           credential_scope const& scope, esx::cloud const& c) {
    // A named copy for the coroutine frame: the credential functions take the cloud by value.
    std::optional<esx::cloud> cloud(c);
    if constexpr (P::auth_type == std::string_view("ServicePrincipal")) {
        auto o = co_await service_principal_credentials(*ctx.kube, p, scope, std::move(*cloud), ctx.certificate_algorithm);
        if (!o) co_return o.error();
        co_return P::make(std::move(*o), ctx.cache);
    } else if constexpr (P::auth_type == std::string_view("ManagedIdentity")) {
        auto o = managed_identity_credentials(p, scope, ctx.imds_endpoint);
        if (!o) co_return o.error();
        co_return P::make(ctx.imds, std::move(*o), ctx.cache);
    } else if constexpr (P::auth_type == std::string_view("WorkloadIdentity")) {
        auto o = co_await workload_identity_credentials(ctx.kube, p, scope, std::move(*cloud), ctx.getenv);
        if (!o) co_return o.error();
        co_return P::make(std::move(*o), ctx.cache);
    } else {
        static_assert(sizeof(P) == 0, "esx::auth::policy_for_store: no store mapping for this policy's auth_type");
    }
}

template <class AnyOf, class First, class... Rest, class Ctx>
boost::asio::awaitable<result<AnyOf, failure>> build_named(std::string_view name, Ctx& ctx,
                                                           spec::azurekv_provider const& p,
                                                           credential_scope const& scope, esx::cloud const& c) {
    if (First::auth_type == name) {
        auto r = co_await build_for_store<First>(ctx, p, scope, c);
        if (!r) co_return r.error();
        co_return AnyOf(std::move(*r));
    }
    if constexpr (sizeof...(Rest) > 0) co_return co_await build_named<AnyOf, Rest...>(name, ctx, p, scope, c);
    else co_return AnyOf::not_available(name);
}

template <class AnyOf>
struct any_of_builder;
template <class... Policies>
struct any_of_builder<any_of<Policies...>> {
    template <class Ctx>
    static boost::asio::awaitable<result<any_of<Policies...>, failure>>
    build(std::string_view name, Ctx& ctx, spec::azurekv_provider const& p, credential_scope const& scope,
          esx::cloud const& c) {
        return build_named<any_of<Policies...>, Policies...>(name, ctx, p, scope, c);
    }
};

template <class AnyOf, class Kube, class Clock, class ImdsTransport>
boost::asio::awaitable<result<AnyOf, failure>> policy_for_store_in(store_auth_context<Kube, Clock, ImdsTransport>& ctx,
                                                                   spec::secret_store const& store, esx::cloud c,
                                                                   std::string external_secret_namespace) {
    if (!ctx.cache) ctx.cache = std::make_shared<token_cache<Clock>>();
    auto const scope = credential_scope::of(store, external_secret_namespace, ctx.allow_controller_identity);
    auto const& provider = store.spec.provider;
    // The controller-identity rule comes before any credential is read.
    if (auto allowed = check_controller_identity(provider, scope); !allowed) co_return allowed.error();
    co_return co_await any_of_builder<AnyOf>::build(spec::to_string(provider.auth_type), ctx, provider, scope, c);
}

} // namespace detail

/** The policy `store` names in `spec.provider.azurekv.authType`, with its credentials read
    under the namespace rules of `credential_scope` (`external_secret_namespace` is the
    namespace of the ExternalSecret being synced; empty when validating the store itself), for
    the cloud `c` the caller worked out once with `cloud_for_store` (the same value the vault
    client gets). The controller-identity rule is checked before any credential is read.
    @tparam AnyOf an `any_of<...>` of the policies compiled into the program */
template <class AnyOf, class Kube, class Clock, class ImdsTransport>
boost::asio::awaitable<result<AnyOf, failure>> policy_for_store(store_auth_context<Kube, Clock, ImdsTransport>& ctx,
                                                                spec::secret_store const& store, esx::cloud c,
                                                                std::string external_secret_namespace) {
    return detail::policy_for_store_in<AnyOf>(ctx, store, std::move(c), std::move(external_secret_namespace));
}

/** The same, working the cloud out itself with `cloud_for_store(provider, ctx.getenv)`. A
    caller that also builds a vault client should call `cloud_for_store` once and use the
    overload above, so both get the same cloud. */
template <class AnyOf, class Kube, class Clock, class ImdsTransport>
boost::asio::awaitable<result<AnyOf, failure>> policy_for_store(store_auth_context<Kube, Clock, ImdsTransport>& ctx,
                                                                spec::secret_store const& store,
                                                                std::string external_secret_namespace = {}) {
    auto c = cloud_for_store(store.spec.provider, ctx.getenv);
    if (!c) co_return c.error();
    co_return co_await detail::policy_for_store_in<AnyOf>(ctx, store, std::move(*c), std::move(external_secret_namespace));
}

} // namespace esx::auth

#endif
