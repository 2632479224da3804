// esx::keyvault::client: the Key Vault data plane for one vault.
#ifndef ESX_KEYVAULT_CLIENT_HPP
#define ESX_KEYVAULT_CLIENT_HPP

#include <esx/auth/access_token.hpp>
#include <esx/cloud.hpp>
#include <esx/failure.hpp>
#include <esx/keyvault/bundles.hpp>
#include <esx/keyvault/challenge.hpp>
#include <esx/keyvault/error.hpp>
#include <esx/keyvault/pager.hpp>
#include <esx/keyvault/vault_url.hpp>
#include <esx/log.hpp>
#include <esx/object/kinds.hpp>
#include <esx/transport/concept.hpp>
#include <esx/transport/detail/url.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::keyvault {

struct client_options {
    /// Sent as `api-version` on every request. 7.4 is what the Azure SDKs of 2023-2024 send;
    /// the response shapes esx reads are the same from 7.0 to 2025-07-01.
    std::string api_version = "7.4";
    /// A listing stops with `error::too_many_pages` after this many pages (a vault that
    /// keeps sending `nextLink` would otherwise keep the client busy for ever).
    std::size_t max_pages = 10'000;
    log::logger logger = log::default_logger();
    /// Called once per operation (a read, a listing page, a write; its challenge round trips
    /// and token included) with ESO's call name (`GetSecret`, `GetSecrets`, `GetKey`,
    /// `GetCertificate`, `SetSecret`, `DeleteSecret`, ...; see `call_name`) and whether it
    /// succeeded: ESO's `externalsecret_provider_api_calls_count`. Never given a value or a URL.
    std::function<void(std::string_view call, bool ok)> on_call;
};

/// ESO's name (`runtime/constants`, `CallAzureKV*`) of the Key Vault operation `method` on
/// `path` (`/secrets/x`, `/keys`, `/certificates/x/versions`...; no origin, no query).
inline std::string_view call_name(transport::verb method, std::string_view path) noexcept {
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    auto const slash = path.find('/');
    std::string_view const collection = path.substr(0, slash);
    std::string_view const rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    int const kind = collection == "secrets" ? 0 : collection == "keys" ? 1 : collection == "certificates" ? 2 : 3;
    if (kind == 3) return "Other";
    bool const listing = rest.empty() || rest.ends_with("/versions");
    static constexpr std::string_view get[] = {"GetSecret", "GetKey", "GetCertificate"};
    static constexpr std::string_view list[] = {"GetSecrets", "GetKeys", "GetCertificates"};
    static constexpr std::string_view set[] = {"SetSecret", "ImportKey", "ImportCertificate"};
    static constexpr std::string_view update[] = {"UpdateSecret", "UpdateKey", "UpdateCertificate"};
    static constexpr std::string_view remove[] = {"DeleteSecret", "DeleteKey", "DeleteCertificate"};
    switch (method) {
    case transport::verb::get: return listing ? list[kind] : get[kind];
    case transport::verb::put: return set[kind];
    case transport::verb::patch: return update[kind];
    case transport::verb::delete_: return remove[kind];
    default: return "Other";
    }
}

/// What the client needs of an auth policy (the auth kind's own concept says more).
template <class A, class Transport>
concept token_source = requires(A& a, Transport& t, auth::token_request const& r) {
    { a.token(t, r) } -> std::same_as<boost::asio::awaitable<result<auth::access_token, failure>>>;
};

namespace detail {

/// Whether the client passes the tenant a vault's challenge names in `token_request::tenant_id`.
/// By default it does, and the policy decides whether to use it (a service principal uses it
/// only when configured for multi-tenant use); a policy that must never see a discovered
/// tenant says `static constexpr bool allows_tenant_discovery = false;`.
template <class A>
constexpr bool allows_tenant_discovery() {
    if constexpr (requires { { A::allows_tenant_discovery } -> std::convertible_to<bool>; })
        return static_cast<bool>(A::allows_tenant_discovery);
    else
        return true;
}

} // namespace detail

/** A Key Vault client bound to one vault URL.

    The client holds *references* to its auth policy and transport: a program has one
    transport (one connection pool) and one auth policy per identity (one token cache), shared
    by every vault client built on them; both must outlive the client. A client is cheap
    (a URL, the cached challenge, options) and is made per (store, vault).

    @par Security
    - `make` refuses a vault URL that is not `https://` or whose host is not under the
      cloud's vault suffix; requests go only to that origin, and a paging `nextLink` that
      points elsewhere is refused, so a token never reaches another host.
    - The first request goes out without a token; the 401 challenge names the resource and
      tenant. A resource that is not the vault's (§ 2.3) is refused before any token is
      asked for. The scope and tenant are then cached, later requests carry the token at
      once, and a 401 to a request with a token re-runs the challenge once: a foreign
      re-challenge is refused without touching the identity's cached token, an accepted one
      drops that token and retries once with a fresh one (a vault answering 401 for ever costs
      one extra token, never a loop).
    - No redirect is followed: a 3xx from the vault is an error, its `Location` never asked.

    @par Errors
    Every operation returns `result<T, failure>`: Key Vault answers as HTTP codes with the
    service's `reason` (see `keyvault::classify`: not_found, disabled, forbidden, ...), the
    client's own checks as `keyvault::error`, transport failures as their codes, and the
    auth policy's failures unchanged. Secret values never appear in a failure.

    Use a client from one executor (one thread or a strand), like its transport.

    @tparam Auth a `token_source<Auth, Transport>`
    @tparam Transport a `transport::transport_policy`; wrap it in `transport::retry` to
    ride out throttling (429 with or without `Retry-After`) and transient failures.
*/
template <class Auth, class Transport>
class client {
    static_assert(transport::detail::diagnose<Transport>());
    static_assert(token_source<Auth, Transport>,
                  "esx::keyvault::client: the Auth policy needs a member "
                  "`boost::asio::awaitable<esx::result<esx::auth::access_token, esx::failure>> "
                  "token(Transport&, esx::auth::token_request const&)` (see esx/keyvault/client.hpp)");

public:
    /// A client for `vault_url` in cloud `c`; see the class documentation for what is refused.
    /// @par Errors `keyvault::error::vault_url_refused`.
    static result<client, failure> make(Auth& auth, Transport& transport, cloud c, std::string_view vault_url,
                                        client_options o = {}) {
        auto endpoint = parse_vault_url(c, vault_url);
        if (!endpoint) return endpoint.error();
        return client(auth, transport, std::move(c), std::move(*endpoint), std::move(o));
    }

    vault_endpoint const& endpoint() const noexcept { return endpoint_; }
    esx::cloud const& cloud() const noexcept { return cloud_; }
    /// The challenge accepted so far, if any (scope and tenant of the vault).
    std::optional<keyvault::challenge> const& cached_challenge() const noexcept { return challenge_; }

    // ---- reads ------------------------------------------------------------------------------

    /// `GET /secrets/{name}[/{version}]`; an empty version is the latest.
    boost::asio::awaitable<result<secret_bundle, failure>> get_secret(std::string name, std::string version = {}) {
        auto body = co_await read_object("secrets", name, version);
        if (!body) co_return body.error();
        auto bundle = keyvault::detail::parse_secret_bundle(*body);
        wipe_value(*body);
        co_return bundle;
    }

    /// `GET /keys/{name}[/{version}]`.
    boost::asio::awaitable<result<key_bundle, failure>> get_key(std::string name, std::string version = {}) {
        auto body = co_await read_object("keys", name, version);
        if (!body) co_return body.error();
        co_return keyvault::detail::parse_key_bundle(*body);
    }

    /// `GET /certificates/{name}[/{version}]`.
    boost::asio::awaitable<result<certificate_bundle, failure>> get_certificate(std::string name,
                                                                                std::string version = {}) {
        auto body = co_await read_object("certificates", name, version);
        if (!body) co_return body.error();
        co_return keyvault::detail::parse_certificate_bundle(*body);
    }

    /// The object of kind `P` decoded by `P::decode` (ESO's bytes for that kind).
    template <object::object_policy P>
    boost::asio::awaitable<result<typename P::value_type, failure>> get_object(P, std::string name,
                                                                               std::string version = {}) {
        auto body = co_await read_object(P::collection, name, version);
        if (!body) co_return body.error();
        auto value = P::decode(*body);
        wipe_value(*body);
        co_return value;
    }

    /** A remote reference as ESO reads `remoteRef.key`: `secret/name`, `key/name`,
        `cert/name` or a bare secret name, dispatched over `Kinds` (see `object::visit_by_prefix`). */
    template <class Kinds = object::default_kinds_t>
    auto fetch(std::string ref, std::string version = {}, Kinds kinds = {}) {
        using fallback = typename decltype(+boost::hana::back(Kinds{}))::type;
        return fetch_impl<Kinds, result<typename fallback::value_type, failure>>(std::move(ref), std::move(version),
                                                                                 kinds);
    }

    // ---- listings ---------------------------------------------------------------------------
    //
    // Each listing comes in two forms: `*_paged` hands out one page per `pager::next()` (what
    // `dataFrom.find` uses, so a vault is never held whole), and the vector form collects every
    // page (following `nextLink` through empty pages until it is null). `maxresults` (1-25) is
    // the page size asked for.

    /// `GET /secrets`, one page at a time.
    pager list_secrets_paged(std::optional<unsigned> maxresults = {}) {
        return make_pager("/secrets", maxresults, "list secrets");
    }
    /// `GET /secrets/{name}/versions`, one page at a time.
    pager list_secret_versions_paged(std::string const& name, std::optional<unsigned> maxresults = {}) {
        if (!keyvault::detail::is_valid_name(name)) return pager::failed(invalid_name("secret", name));
        return make_pager("/secrets/" + name + "/versions", maxresults, "list versions of secrets/" + name);
    }
    /// `GET /keys`, one page at a time.
    pager list_keys_paged(std::optional<unsigned> maxresults = {}) { return make_pager("/keys", maxresults, "list keys"); }
    /// `GET /keys/{name}/versions`, one page at a time.
    pager list_key_versions_paged(std::string const& name, std::optional<unsigned> maxresults = {}) {
        if (!keyvault::detail::is_valid_name(name)) return pager::failed(invalid_name("key", name));
        return make_pager("/keys/" + name + "/versions", maxresults, "list versions of keys/" + name);
    }
    /// `GET /certificates`, one page at a time.
    pager list_certificates_paged(std::optional<unsigned> maxresults = {}) {
        return make_pager("/certificates", maxresults, "list certificates");
    }
    /// `GET /certificates/{name}/versions`, one page at a time.
    pager list_certificate_versions_paged(std::string const& name, std::optional<unsigned> maxresults = {}) {
        if (!keyvault::detail::is_valid_name(name)) return pager::failed(invalid_name("certificate", name));
        return make_pager("/certificates/" + name + "/versions", maxresults, "list versions of certificates/" + name);
    }

    /// `GET /secrets`, every page.
    boost::asio::awaitable<result<std::vector<item>, failure>> list_secrets(std::optional<unsigned> maxresults = {}) {
        return collect(list_secrets_paged(maxresults));
    }
    /// `GET /secrets/{name}/versions`, every page.
    boost::asio::awaitable<result<std::vector<item>, failure>> list_secret_versions(
        std::string name, std::optional<unsigned> maxresults = {}) {
        return collect(list_secret_versions_paged(name, maxresults));
    }
    /// `GET /keys`, every page.
    boost::asio::awaitable<result<std::vector<item>, failure>> list_keys(std::optional<unsigned> maxresults = {}) {
        return collect(list_keys_paged(maxresults));
    }
    /// `GET /certificates`, every page.
    boost::asio::awaitable<result<std::vector<item>, failure>> list_certificates(
        std::optional<unsigned> maxresults = {}) {
        return collect(list_certificates_paged(maxresults));
    }
    /// `GET /keys/{name}/versions`, every page.
    boost::asio::awaitable<result<std::vector<item>, failure>> list_key_versions(
        std::string name, std::optional<unsigned> maxresults = {}) {
        return collect(list_key_versions_paged(name, maxresults));
    }
    /// `GET /certificates/{name}/versions`, every page.
    boost::asio::awaitable<result<std::vector<item>, failure>> list_certificate_versions(
        std::string name, std::optional<unsigned> maxresults = {}) {
        return collect(list_certificate_versions_paged(name, maxresults));
    }

    // ---- raw bundles ------------------------------------------------------------------------

    /** `GET /{collection}/{name}[/{version}]` as the JSON object Key Vault sent, for callers that
        need more than one kind's decoded bytes (tags and attributes for `metadataPolicy: Fetch`,
        the JWK in another member order). A secret bundle holds its `value`: the caller wipes it
        (`esx::detail::secure_wipe`) or keeps it only as long as it must. */
    boost::asio::awaitable<result<boost::json::object, failure>> get_bundle(std::string collection, std::string name,
                                                                           std::string version = {}) {
        return read_object_owned(std::move(collection), std::move(name), std::move(version));
    }

    // ---- writes -----------------------------------------------------------------------------

    /// `PUT /secrets/{name}`: a new version with `value` and `properties`. The answer holds the value.
    boost::asio::awaitable<result<secret_bundle, failure>> set_secret(std::string name, secret_bytes value,
                                                                      secret_properties properties = {}) {
        if (!keyvault::detail::is_valid_name(name)) co_return invalid_name("secret", name);
        std::string body = keyvault::detail::properties_body(properties, &value);
        auto r = co_await call(transport::verb::put, url("/secrets/" + name), std::move(body), "set secrets/" + name);
        if (!r) co_return r.error();
        auto bundle = keyvault::detail::parse_secret_bundle(*r);
        wipe_value(*r);
        co_return bundle;
    }

    /// `PATCH /secrets/{name}/{version}` (or the latest when `version` is empty): changes
    /// `contentType`, tags and attributes; the value cannot change this way.
    boost::asio::awaitable<result<secret_bundle, failure>> update_secret(std::string name, std::string version,
                                                                         secret_properties properties) {
        if (!keyvault::detail::is_valid_name(name)) co_return invalid_name("secret", name);
        if (!keyvault::detail::is_valid_version(version)) co_return invalid_version(name, version);
        auto path = "/secrets/" + name + (version.empty() ? "" : "/" + version);
        auto r = co_await call(transport::verb::patch, url(path), keyvault::detail::properties_body(properties, nullptr),
                               "update " + path.substr(1));
        if (!r) co_return r.error();
        co_return keyvault::detail::parse_secret_bundle(*r);
    }

    /// `DELETE /secrets/{name}`: every version (soft delete where the vault has it on).
    boost::asio::awaitable<result<deleted_secret, failure>> delete_secret(std::string name) {
        if (!keyvault::detail::is_valid_name(name)) co_return invalid_name("secret", name);
        auto r = co_await call(transport::verb::delete_, url("/secrets/" + name), {}, "delete secrets/" + name);
        if (!r) co_return r.error();
        co_return keyvault::detail::parse_deleted_secret(*r);
    }

private:
    client(Auth& auth, Transport& transport, esx::cloud c, vault_endpoint e, client_options o)
        : auth_(&auth), transport_(&transport), cloud_(std::move(c)), endpoint_(std::move(e)), options_(std::move(o)) {}

    std::string url(std::string const& path, std::string_view query = {}) const {
        std::string u = endpoint_.origin + path + "?api-version=" + options_.api_version;
        if (!query.empty()) (u += '&') += query;
        return u;
    }

    static failure invalid_name(std::string_view kind, std::string_view name) {
        return failure{make_error_code(error::invalid_name),
                       "Key Vault " + std::string(kind) + " name \"" + std::string(name.substr(0, 200)) +
                           "\": must be 1-127 characters of [0-9a-zA-Z-]"};
    }
    static failure invalid_version(std::string_view name, std::string_view version) {
        return failure{make_error_code(error::invalid_name),
                       "Key Vault version \"" + std::string(version.substr(0, 100)) + "\" of \"" + std::string(name) +
                           "\": must be up to 64 characters of [0-9a-zA-Z]"};
    }

    /// Drops the copy of a secret value a parsed JSON tree holds.
    static void wipe_value(boost::json::object& o) noexcept {
        if (auto* v = o.if_contains("value"); v && v->is_string())
            esx::detail::secure_wipe(v->get_string().data(), v->get_string().size());
    }

    template <class Kinds, class R>
    boost::asio::awaitable<R> fetch_impl(std::string ref, std::string version, Kinds kinds) {
        auto read = object::visit_by_prefix(
            ref, [&](auto policy, std::string_view name) { return get_object(policy, std::string(name), version); },
            kinds);
        if (!read) co_return read.error();
        co_return co_await std::move(*read);
    }

    boost::asio::awaitable<result<boost::json::object, failure>> read_object(std::string_view collection,
                                                                            std::string const& name,
                                                                            std::string const& version) {
        std::string_view const kind = collection == "secrets" ? "secret" : collection == "keys" ? "key" : "certificate";
        if (!keyvault::detail::is_valid_name(name)) co_return invalid_name(kind, name);
        if (!keyvault::detail::is_valid_version(version)) co_return invalid_version(name, version);
        std::string path = "/" + std::string(collection) + "/" + name;
        if (!version.empty()) (path += '/') += version;
        co_return co_await call(transport::verb::get, url(path), {}, "get " + path.substr(1));
    }

    pager make_pager(std::string const& path, std::optional<unsigned> maxresults, std::string what) {
        if (maxresults && (*maxresults < 1 || *maxresults > 25))
            return pager::failed(failure{make_error_code(esx::error::invalid_option),
                                         what + ": maxresults must be between 1 and 25, not " +
                                             std::to_string(*maxresults)});
        std::string first = url(path, maxresults ? "maxresults=" + std::to_string(*maxresults) : std::string());
        pager::source src;
        src.get = [this, what](std::string page_url) {
            return call(transport::verb::get, std::move(page_url), {}, what);
        };
        src.check_next_link = [this, what](std::string_view link) { return check_next_link(link, what); };
        return pager(std::move(src), std::move(first), std::move(what), options_.max_pages);
    }

    static boost::asio::awaitable<result<std::vector<item>, failure>> collect(pager pages) {
        std::vector<item> items;
        for (;;) {
            auto p = co_await pages.next();
            if (!p) co_return p.error();
            if (!*p) break;
            for (auto& i : (*p)->items) items.push_back(std::move(i));
        }
        co_return items;
    }

    boost::asio::awaitable<result<boost::json::object, failure>> read_object_owned(std::string collection,
                                                                                  std::string name,
                                                                                  std::string version) {
        co_return co_await read_object(collection, name, version);
    }

    /// A nextLink is followed only to this vault's origin over https: it will carry the token.
    result<std::string, failure> check_next_link(std::string_view link, std::string const& what) const {
        auto refused = [&] {
            return failure{make_error_code(error::next_link_refused),
                           what + ": nextLink \"" + std::string(link.substr(0, 200)) +
                               "\" does not point at " + endpoint_.origin + "; it was not followed"};
        };
        auto parts = transport::detail::parse_url(link);
        if (!parts || parts->scheme != "https" || parts->host != endpoint_.host || parts->port != endpoint_.port)
            return refused();
        return std::string(link);
    }

    /// `exchange`, told to `options_.on_call` (one observation per operation).
    boost::asio::awaitable<result<boost::json::object, failure>> call(transport::verb method, std::string target_url,
                                                                     std::string body, std::string what) {
        if (!options_.on_call) co_return co_await exchange(method, std::move(target_url), std::move(body), std::move(what));
        std::string_view path = target_url;
        if (path.starts_with(endpoint_.origin)) path.remove_prefix(endpoint_.origin.size());
        path = path.substr(0, path.find('?'));
        std::string_view const name = call_name(method, path);  // static text: outlives the url
        auto r = co_await exchange(method, std::move(target_url), std::move(body), std::move(what));
        options_.on_call(name, static_cast<bool>(r));
        co_return std::move(r);
    }

    /// One request with the challenge protocol; a 2xx body parsed as a JSON object.
    boost::asio::awaitable<result<boost::json::object, failure>> exchange(transport::verb method, std::string target_url,
                                                                         std::string body, std::string what) {
        transport::request req;
        req.method = method;
        req.url = std::move(target_url);
        req.headers.set(transport::field::accept, "application/json");
        if (method == transport::verb::put || method == transport::verb::patch || method == transport::verb::post)
            req.headers.set(transport::field::content_type, "application/json");
        req.body = std::move(body);
        auto r = co_await send_authorized(std::move(req), what);
        if (!r) co_return r.error();
        auto& response = *r;
        if (!is_success(response.result_int())) {
            co_return keyvault::detail::error_from_response(response.result_int(), response.body(), what);
        }
        boost::system::error_code ec;
        // A bundle holds the value: the parsed document is wiped when freed, and nesting is bounded.
        auto v = transport::parse_wiped(response.body(), ec);
        esx::detail::secure_wipe(response.body().data(), response.body().size());
        if (ec || !v.is_object())
            co_return failure{make_error_code(error::malformed_response),
                              what + ": Key Vault answered " + std::to_string(response.result_int()) +
                                  " with a body that " + (ec ? transport::describe_json_error(ec) : "is not a JSON object")};
        co_return std::move(v.get_object());
    }

    boost::asio::awaitable<result<transport::response, failure>> send_authorized(transport::request req,
                                                                               std::string const& what) {
        auto transport_failed = [&](error_code ec) {
            return failure{ec, what + ": " + ec.message()};
        };
        if (!challenge_) {
            // Without a cached challenge the request goes out without a token and without its
            // body (as the Azure SDKs do), to learn which resource and tenant the vault wants.
            transport::request probe;
            probe.method = req.method;
            probe.url = req.url;
            probe.headers = req.headers;
            probe.idempotent = true; // a body-less, token-less request cannot change anything
            auto r = co_await transport_->send(std::move(probe));
            if (!r) co_return transport_failed(r.error());
            if (r->result_int() != 401) co_return std::move(*r);
            auto accepted = accept_challenge(*r, what, challenge_step::first);
            if (!accepted) co_return accepted.error();
        }
        for (int attempt = 0;; ++attempt) {
            auth::token_request const ask{challenge_->scope,
                                          detail::allows_tenant_discovery<Auth>() ? challenge_->tenant : std::string()};
            auto token = co_await auth_->token(*transport_, ask);
            if (!token) co_return token.error();
            std::string header = "Bearer ";
            header += token->value.reveal();
            req.headers.set(transport::field::authorization, header);
            esx::detail::secure_wipe(header.data(), header.size());
            result<transport::response> r = error_code{};
            if (attempt == 0) r = co_await transport_->send(req);
            else r = co_await transport_->send(std::move(req));
            if (!r) co_return transport_failed(r.error());
            if (r->result_int() == 401 && attempt == 0 && r->find(transport::field::www_authenticate) != r->end()) {
                // The vault refused a token it asked for: it may have moved tenant, or the token was
                // revoked. The new challenge is checked first: a refused one leaves the identity's
                // shared token cached (a vault that answers every token with a foreign challenge
                // would otherwise cost every store of that identity a token request per
                // operation). Only an accepted one drops the token from the policy's cache (if it
                // has one), so the single retry gets a fresh token rather than the same one.
                auto accepted = accept_challenge(*r, what, challenge_step::after_token);
                if (!accepted) co_return accepted.error();
                if constexpr (requires { auth_->invalidate(ask); }) auth_->invalidate(ask);
                continue;
            }
            co_return std::move(*r);
        }
    }

    /// Where a challenge came: the answer to the token-less probe, or to a request with a token.
    enum class challenge_step { first, after_token };

    /// Verifies and caches a challenge; a refused one leaves the cached challenge as it was.
    result<void, failure> accept_challenge(transport::response const& r, std::string const& what, challenge_step step) {
        auto const it = r.find(transport::field::www_authenticate);
        std::string_view const header = it == r.end() ? std::string_view() : std::string_view(it->value());
        auto c = verify_challenge(header, cloud_, endpoint_);
        if (!c) {
            failure f = c.error();
            f.message = what + ": " + f.message +
                        (step == challenge_step::first
                             ? "; no token was asked for or sent"
                             : "; this re-challenge answered a request that carried the vault's token (sent to the "
                               "vault's own host only); no new token was asked for and the cached one was kept");
            options_.logger.warn("refused a Key Vault challenge",
                                 {{"component", "esx.keyvault"}, {"vault", endpoint_.host}, {"reason", f.message}});
            return f;
        }
        if (options_.logger.enabled(log::level::debug))
            options_.logger.debug("accepted a Key Vault challenge", {{"component", "esx.keyvault"},
                                                                     {"vault", endpoint_.host},
                                                                     {"resource", c->resource},
                                                                     {"tenant", c->tenant}});
        challenge_ = std::move(*c);
        return {};
    }

    Auth* auth_;
    Transport* transport_;
    esx::cloud cloud_;
    vault_endpoint endpoint_;
    client_options options_;
    std::optional<keyvault::challenge> challenge_;
};

} // namespace esx::keyvault

#endif
