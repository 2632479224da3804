// esx::auth::service_principal: an app registration's client secret or client certificate.
#ifndef ESX_AUTH_SERVICE_PRINCIPAL_HPP
#define ESX_AUTH_SERVICE_PRINCIPAL_HPP

#include <esx/auth/concept.hpp>
#include <esx/auth/detail/entra.hpp>
#include <esx/auth/detail/jwt.hpp>
#include <esx/auth/detail/tenant.hpp>
#include <esx/auth/token_cache.hpp>
#include <esx/cloud.hpp>

#include <memory>
#include <string>
#include <variant>

namespace esx::auth {

/// A client secret (the secret's value, not its id).
struct client_secret {
    secret_bytes value;
};

/// A client certificate: the loaded certificate and key (`load`) and how to sign assertions.
struct client_certificate {
    std::shared_ptr<detail::client_certificate const> certificate;
    jwt_algorithm algorithm = jwt_algorithm::ps256;

    /// PEM (CERTIFICATE + PRIVATE KEY / RSA PRIVATE KEY, any order) or unencrypted PKCS#12.
    static result<client_certificate, failure> load(secret_bytes const& data,
                                                    jwt_algorithm alg = jwt_algorithm::ps256) {
        auto c = detail::load_client_certificate(data);
        if (!c) return c.error();
        return client_certificate{std::move(*c), alg};
    }
};

struct service_principal_options {
    std::string tenant_id;
    std::string client_id;
    std::variant<client_secret, client_certificate> credential;
    esx::cloud cloud = clouds::public_cloud();
    /// Use the tenant a Key Vault challenge names instead of `tenant_id` (multi-tenant apps).
    bool allow_challenge_tenant = false;
};

/** `authType: ServicePrincipal`: client credentials at `{authority}{tenant}/oauth2/v2.0/token`,
    with `client_secret` or a signed `client_assertion` (`x5t#S256`, PS256 or RS256).

    @par Errors (as `failure`)
    HTTP codes of Entra ID with its `error` as `reason` (`invalid_client` for a wrong secret or
    certificate: `condition::auth_failed`; `unauthorized_client` for an unknown client), transport
    codes, `error::malformed_response`, `error::invalid_option` for bad options. */
template <class Clock = transport::steady_clock>
class service_principal {
public:
    using policy_kind = tag;
    static constexpr std::string_view auth_type = "ServicePrincipal";

    /// Checks the options (tenant id characters, client id, https authority). `cache` may be
    /// shared with other policies; a private one is made when it is null.
    static result<service_principal, failure> make(service_principal_options o,
                                                   std::shared_ptr<token_cache<Clock>> cache = nullptr) {
        auto invalid = [](std::string m) { return failure{make_error_code(error::invalid_option), std::move(m)}; };
        if (!detail::is_valid_tenant_id(o.tenant_id))
            return invalid("ServicePrincipal: tenantId \"" + o.tenant_id + "\" is not a valid tenant id ([A-Za-z0-9.-]+)");
        if (o.client_id.empty()) return invalid("ServicePrincipal: clientId is empty");
        if (!o.cloud.authority_host.starts_with("https://"))
            return invalid("ServicePrincipal: the authority host must be an https:// URL");
        if (auto* s = std::get_if<client_secret>(&o.credential); s && s->value.empty())
            return invalid("ServicePrincipal: clientSecret is empty");
        if (auto* c = std::get_if<client_certificate>(&o.credential); c && !c->certificate)
            return invalid("ServicePrincipal: clientCertificate is not loaded");
        if (!cache) cache = std::make_shared<token_cache<Clock>>();
        std::string fingerprint = std::holds_alternative<client_secret>(o.credential)
            ? "secret:" + detail::credential_fingerprint(std::get<client_secret>(o.credential).value.reveal())
            : "certificate:" + detail::credential_fingerprint(std::get<client_certificate>(o.credential).certificate->der());
        return service_principal(std::move(o), std::move(cache), std::move(fingerprint));
    }

    template <transport::transport_policy Transport>
    boost::asio::awaitable<result<access_token, failure>> token(Transport& transport, token_request const& r) {
        // A vault whose challenge names another tenant gets no token of ours unless that is
        // wanted (as azidentity's AdditionallyAllowedTenants, which ESO's new SDK path uses).
        if (auto refused = detail::foreign_tenant("ServicePrincipal", options_.tenant_id, r.tenant_id,
                                                  options_.allow_challenge_tenant))
            co_return std::move(*refused);
        cache_key const key = key_for(r);
        std::string const& tenant = key.tenant;
        if (!detail::is_valid_tenant_id(tenant))
            co_return failure{make_error_code(error::invalid_option),
                              "ServicePrincipal: the challenge's tenant is not a valid tenant id"};
        if (r.scope.empty())
            co_return failure{make_error_code(error::invalid_option), "ServicePrincipal: the token scope is empty"};
        // Named, not a temporary inside co_await: g++ 12 mishandles those.
        auto fetch = [&]() { return request(transport, tenant, r.scope); };
        co_return co_await cache_->get(key, fetch);
    }

    /// The cache entry `token(_, r)` uses.
    cache_key key_for(token_request const& r) const {
        std::string tenant = options_.allow_challenge_tenant && !r.tenant_id.empty() ? r.tenant_id : options_.tenant_id;
        return {options_.cloud.authority_host, std::move(tenant), options_.client_id, r.scope, fingerprint_};
    }
    /// Forgets the cached token for `r` (a service refused it).
    void invalidate(token_request const& r) { cache_->invalidate(key_for(r)); }

    service_principal_options const& options() const noexcept { return options_; }
    std::shared_ptr<token_cache<Clock>> const& cache() const noexcept { return cache_; }

private:
    service_principal(service_principal_options o, std::shared_ptr<token_cache<Clock>> c, std::string fingerprint)
        : options_(std::move(o)), cache_(std::move(c)), fingerprint_(std::move(fingerprint)) {}

    template <class Transport>
    boost::asio::awaitable<result<access_token, failure>> request(Transport& transport, std::string tenant,
                                                                  std::string scope) {
        std::string const url = detail::token_endpoint(options_.cloud.authority_host, tenant);
        transport::body_string body = detail::client_credentials_form(options_.client_id, scope);
        std::string what = "ServicePrincipal: token request for client \"" + options_.client_id + "\" in tenant \"" +
                           tenant + "\"";
        if (auto const* s = std::get_if<client_secret>(&options_.credential)) {
            body += "&client_secret=";
            detail::append_form_encoded(body, s->value.reveal());
        } else {
            auto const& c = std::get<client_certificate>(options_.credential);
            auto assertion = detail::make_client_assertion(*c.certificate, c.algorithm, options_.client_id, url,
                                                           cache_->clock().utc_now());
            if (!assertion) co_return assertion.error();
            detail::append_assertion(body, *assertion);
        }
        co_return co_await detail::post_token_request(transport, cache_->clock(), url, std::move(body), std::move(what));
    }

    service_principal_options options_;
    std::shared_ptr<token_cache<Clock>> cache_;
    std::string fingerprint_;
};

static_assert(auth_policy<service_principal<>>);

} // namespace esx::auth

#endif
