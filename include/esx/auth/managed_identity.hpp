// esx::auth::managed_identity: the node's or pod's Azure managed identity through IMDS.
#ifndef ESX_AUTH_MANAGED_IDENTITY_HPP
#define ESX_AUTH_MANAGED_IDENTITY_HPP

#include <esx/auth/concept.hpp>
#include <esx/auth/detail/oauth.hpp>
#include <esx/auth/token_cache.hpp>
#include <esx/log.hpp>
#include <esx/transport/detail/retry_after.hpp>
#include <esx/transport/http.hpp>

#include <memory>
#include <optional>
#include <string>

namespace esx::auth {

/// IMDS's own retry guidance (azure-wire-protocols.md § 4.3): retry 404 (IMDS updating), 410
/// (updating, back within 70 s), 429 (throttled) and 5xx, with exponential backoff; other
/// 4xx are final. Waits are `base_delay * 2^(n-1)` (2, 4, 8, 16, 32 s: 62 s in all), or
/// what `Retry-After` asks when that is longer.
struct imds_retry {
    unsigned max_retries = 5;
    std::chrono::milliseconds base_delay{2000};
    std::chrono::milliseconds max_delay{60'000};
};

struct managed_identity_options {
    /// `identityId`: the client id of a user-assigned identity; empty: the system-assigned one.
    std::optional<std::string> identity_id;
    /// The IMDS token endpoint. Tests point it at a mock's IMDS listener.
    std::string endpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
    imds_retry retry;
};

/** `authType: ManagedIdentity`: `GET {endpoint}?api-version=2018-02-01&resource=...[&client_id=...]`
    with `Metadata: true` over the policy's own IMDS transport (IMDS is plain HTTP on a
    link-local address, so it never shares the caller's HTTPS transport).

    @tparam ImdsTransport a transport for `endpoint` (`transport::http`)
    @tparam Clock waits between IMDS retries and times the cache */
template <class ImdsTransport = transport::http, class Clock = transport::steady_clock>
class managed_identity {
    static_assert(transport::detail::diagnose<ImdsTransport>());

public:
    using policy_kind = tag;
    static constexpr std::string_view auth_type = "ManagedIdentity";

    static result<managed_identity, failure> make(std::shared_ptr<ImdsTransport> imds, managed_identity_options o,
                                                  std::shared_ptr<token_cache<Clock>> cache = nullptr) {
        auto invalid = [](std::string m) { return failure{make_error_code(error::invalid_option), std::move(m)}; };
        if (!imds) return invalid("ManagedIdentity: no IMDS transport");
        if (!o.endpoint.starts_with("http://") && !o.endpoint.starts_with("https://"))
            return invalid("ManagedIdentity: the IMDS endpoint must be an http:// URL");
        if (o.endpoint.find('?') != std::string::npos)
            return invalid("ManagedIdentity: the IMDS endpoint must not have a query");
        if (o.identity_id && o.identity_id->empty()) o.identity_id.reset();
        if (!cache) cache = std::make_shared<token_cache<Clock>>();
        return managed_identity(std::move(imds), std::move(o), std::move(cache));
    }

    /// The caller's transport is not used: the token comes from IMDS.
    template <transport::transport_policy Transport>
    boost::asio::awaitable<result<access_token, failure>> token(Transport&, token_request const& r) {
        if (r.scope.empty())
            co_return failure{make_error_code(error::invalid_option), "ManagedIdentity: the token scope is empty"};
        cache_key const key = key_for(r);
        // Named, not a temporary inside co_await: g++ 12 mishandles those.
        auto fetch = [&]() { return request(r.scope); };
        co_return co_await cache_->get(key, fetch);
    }

    /// The cache entry `token(_, r)` uses.
    cache_key key_for(token_request const& r) const {
        return {options_.endpoint, "", options_.identity_id.value_or(""), r.scope, "imds"};
    }
    /// Forgets the cached token for `r` (a service refused it).
    void invalidate(token_request const& r) { cache_->invalidate(key_for(r)); }

    managed_identity_options const& options() const noexcept { return options_; }
    std::shared_ptr<token_cache<Clock>> const& cache() const noexcept { return cache_; }

private:
    managed_identity(std::shared_ptr<ImdsTransport> imds, managed_identity_options o,
                     std::shared_ptr<token_cache<Clock>> c)
        : imds_(std::move(imds)), options_(std::move(o)), cache_(std::move(c)) {}

    static bool retried(unsigned status) {
        return status == 404 || status == 410 || status == 429 || (status >= 500 && status <= 599);
    }

    boost::asio::awaitable<result<access_token, failure>> request(std::string scope) {
        std::string url = options_.endpoint + "?api-version=2018-02-01&resource=";
        detail::append_form_encoded(url, detail::scope_to_resource(scope));
        std::string who = "the system-assigned identity";
        if (options_.identity_id) {
            url += "&client_id=";
            detail::append_form_encoded(url, *options_.identity_id);
            who = "identity \"" + *options_.identity_id + "\"";
        }
        std::string const what = "ManagedIdentity: IMDS token request for " + who;
        auto& clock = cache_->clock();
        for (unsigned attempt = 0;; ++attempt) {
            transport::request req;
            req.url = url;
            req.headers.set("Metadata", "true");
            auto r = co_await imds_->send(std::move(req));
            bool const last = attempt >= options_.retry.max_retries;
            std::optional<std::chrono::milliseconds> asked;
            if (!r) {
                if (last || r.error() != condition::retryable)
                    co_return failure{r.error(), what + " failed: cannot reach " + options_.endpoint + ": " +
                                                     log::field::describe(r.error())};
            } else if (!retried(r->result_int()) || last) {
                auto token = detail::parse_token_response(r->result_int(), r->body(), clock.utc_now(), what);
                esx::detail::secure_wipe(r->body().data(), r->body().size());
                co_return token;
            } else {
                asked = transport::detail::server_retry_delay(r->base(), clock.utc_now());
            }
            auto const shift = std::min(attempt, 20u);
            auto wait = std::min<std::chrono::milliseconds>(options_.retry.base_delay * (1LL << shift), options_.retry.max_delay);
            if (asked && *asked > wait) wait = std::min(*asked, options_.retry.max_delay);
            co_await clock.sleep_for(wait);
        }
    }

    std::shared_ptr<ImdsTransport> imds_;
    managed_identity_options options_;
    std::shared_ptr<token_cache<Clock>> cache_;
};

static_assert(auth_policy<managed_identity<>>);

} // namespace esx::auth

#endif
