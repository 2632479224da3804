// esx::auth::workload_identity: a Kubernetes service-account token exchanged at Entra ID
// for the federated identity it is trusted by.
#ifndef ESX_AUTH_WORKLOAD_IDENTITY_HPP
#define ESX_AUTH_WORKLOAD_IDENTITY_HPP

#include <esx/auth/concept.hpp>
#include <esx/auth/detail/entra.hpp>
#include <esx/auth/detail/tenant.hpp>
#include <esx/auth/token_cache.hpp>
#include <esx/cloud.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

namespace esx::auth {

/// Where the federated (service-account) token comes from. Called once per exchange, so a
/// rotated token is always the one sent.
using assertion_source = std::function<boost::asio::awaitable<result<secret_bytes, failure>>()>;

namespace detail {
inline boost::asio::awaitable<result<secret_bytes, failure>> read_token_file(std::filesystem::path path) {
    auto fail = [&](std::string why) {
        return failure{make_error_code(error::invalid_option),
                       "unable to read token file " + path.string() + ": " + std::move(why)};
    };
    // Unbuffered: the stream's own buffer would keep a copy of the token after it is freed.
    std::ifstream in;
    in.rdbuf()->pubsetbuf(nullptr, 0);
    in.open(path, std::ios::binary);
    if (!in) co_return fail(std::strerror(errno));
    secret_bytes token;
    char buf[4096];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        token.append(std::string_view(buf, static_cast<std::size_t>(in.gcount())));
        if (token.size() > 64 * 1024) break;
    }
    esx::detail::secure_wipe(buf, sizeof buf);
    if (token.size() > 64 * 1024) co_return fail("the file is larger than 64 KiB");
    // Trailing whitespace is not part of a JWT.
    std::string_view t = token.reveal();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.remove_suffix(1);
    if (t.empty()) co_return fail("the file is empty");
    co_return secret_bytes(t);
}
} // namespace detail

/** Reads the projected token file on every call (kubelet rotates it; the Azure C++ SDK
    re-reads it on every token request too).
    @par Errors `unable to read token file <path>: <reason>`, `error::invalid_option`. */
inline assertion_source token_file(std::filesystem::path path) {
    // Not a coroutine lambda: the coroutine gets its own copy of the path.
    return [path = std::move(path)] { return detail::read_token_file(path); };
}

struct workload_identity_options {
    std::string tenant_id;
    std::string client_id;
    esx::cloud cloud = clouds::public_cloud();
    assertion_source assertion;
    /// Names the token's source in errors and in the cache key: `token file /var/run/...` or
    /// `service account ns/name`.
    std::string source_description;

    /** The mounted-token mode, from the variables the workload-identity webhook injects:
        `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE` (never a hard-coded
        path). `AZURE_AUTHORITY_HOST` is applied by `esx::cloud_for`, not here.
        @par Errors ESO's `missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and
        AZURE_FEDERATED_TOKEN_FILE must be set`. */
    template <class Getenv = decltype(&std::getenv)>
    static result<workload_identity_options, failure> from_environment(esx::cloud c, Getenv getenv = &std::getenv) {
        auto get = [&](char const* name) -> std::string {
            char const* v = getenv(name);
            return v ? std::string(v) : std::string();
        };
        workload_identity_options o;
        o.client_id = get("AZURE_CLIENT_ID");
        o.tenant_id = get("AZURE_TENANT_ID");
        std::string const file = get("AZURE_FEDERATED_TOKEN_FILE");
        if (o.client_id.empty() || o.tenant_id.empty() || file.empty())
            return failure{make_error_code(error::invalid_option),
                           "missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and "
                           "AZURE_FEDERATED_TOKEN_FILE must be set"};
        o.cloud = std::move(c);
        o.assertion = token_file(file);
        o.source_description = "token file " + file;
        return o;
    }
};

/** `authType: WorkloadIdentity`: the service-account token (from a file or a TokenRequest)
    is the `client_assertion` of a client-credentials request at
    `{authority}{tenant}/oauth2/v2.0/token`.

    @par Errors
    Those of the assertion source (unreadable file, TokenRequest refused), then Entra ID's
    (`invalid_client` 70021 when no federated credential matches the issuer, subject and
    audience; 700024 for an expired token; `unauthorized_client` for an unknown client). */
template <class Clock = transport::steady_clock>
class workload_identity {
public:
    using policy_kind = tag;
    static constexpr std::string_view auth_type = "WorkloadIdentity";

    static result<workload_identity, failure> make(workload_identity_options o,
                                                   std::shared_ptr<token_cache<Clock>> cache = nullptr) {
        auto invalid = [](std::string m) { return failure{make_error_code(error::invalid_option), std::move(m)}; };
        if (!detail::is_valid_tenant_id(o.tenant_id))
            return invalid("WorkloadIdentity: tenantId \"" + o.tenant_id + "\" is not a valid tenant id ([A-Za-z0-9.-]+)");
        if (o.client_id.empty()) return invalid("WorkloadIdentity: clientId is empty");
        if (!o.cloud.authority_host.starts_with("https://"))
            return invalid("WorkloadIdentity: the authority host must be an https:// URL");
        if (!o.assertion) return invalid("WorkloadIdentity: no service-account token source");
        if (o.source_description.empty())
            return invalid("WorkloadIdentity: source_description must name the token's source (it keys the cache)");
        if (!cache) cache = std::make_shared<token_cache<Clock>>();
        return workload_identity(std::move(o), std::move(cache));
    }

    template <transport::transport_policy Transport>
    boost::asio::awaitable<result<access_token, failure>> token(Transport& transport, token_request const& r) {
        if (r.scope.empty())
            co_return failure{make_error_code(error::invalid_option), "WorkloadIdentity: the token scope is empty"};
        if (auto refused = detail::foreign_tenant("WorkloadIdentity", options_.tenant_id, r.tenant_id, false))
            co_return std::move(*refused);
        cache_key const key = key_for(r);
        // Named, not a temporary inside co_await: g++ 12 mishandles those.
        auto fetch = [&]() { return request(transport, r.scope); };
        co_return co_await cache_->get(key, fetch);
    }

    /// The cache entry `token(_, r)` uses. The token's source tells apart service accounts
    /// federated to the same client.
    cache_key key_for(token_request const& r) const {
        return {options_.cloud.authority_host, options_.tenant_id, options_.client_id, r.scope,
                "assertion:" + options_.source_description};
    }
    /// Forgets the cached token for `r` (a service refused it).
    void invalidate(token_request const& r) { cache_->invalidate(key_for(r)); }

    workload_identity_options const& options() const noexcept { return options_; }
    std::shared_ptr<token_cache<Clock>> const& cache() const noexcept { return cache_; }

private:
    workload_identity(workload_identity_options o, std::shared_ptr<token_cache<Clock>> c)
        : options_(std::move(o)), cache_(std::move(c)) {}

    template <class Transport>
    boost::asio::awaitable<result<access_token, failure>> request(Transport& transport, std::string scope) {
        auto assertion = co_await options_.assertion();
        if (!assertion) co_return assertion.error();
        std::string const url = detail::token_endpoint(options_.cloud.authority_host, options_.tenant_id);
        transport::body_string body = detail::client_credentials_form(options_.client_id, scope);
        detail::append_assertion(body, *assertion);
        std::string what = "WorkloadIdentity: token exchange for client \"" + options_.client_id + "\" in tenant \"" +
                           options_.tenant_id + "\"";
        if (!options_.source_description.empty()) what += " with the " + options_.source_description;
        co_return co_await detail::post_token_request(transport, cache_->clock(), url, std::move(body), std::move(what));
    }

    workload_identity_options options_;
    std::shared_ptr<token_cache<Clock>> cache_;
};

static_assert(auth_policy<workload_identity<>>);

} // namespace esx::auth

#endif
