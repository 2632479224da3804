// esx::kube::client: the REST verbs of the Kubernetes API over a transport policy.
#ifndef ESX_KUBE_CLIENT_HPP
#define ESX_KUBE_CLIENT_HPP

#include <esx/failure.hpp>
#include <esx/kube/config.hpp>
#include <esx/kube/detail/paths.hpp>
#include <esx/kube/detail/text.hpp>
#include <esx/kube/rate_limiter.hpp>
#include <esx/kube/resource.hpp>
#include <esx/kube/status.hpp>
#include <esx/kube/verbs.hpp>
#include <esx/kube/watch.hpp>
#include <esx/transport/clock.hpp>
#include <esx/transport/concept.hpp>
#include <esx/transport/https.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace esx::kube {

/** A Kubernetes API client: REST verbs on JSON objects, TokenRequest, and watches.

    Every request waits for the client-side rate limiter (`config::qps`/`burst`, on `Clock`),
    carries the bearer token of the moment (a rotated token file or an expired exec token is
    fetched again; a 401 refreshes it once and retries), and returns either the server's JSON
    object or a `failure`.

    A namespaced resource with an empty `ns` uses `config::default_namespace` for single-object
    verbs; `list` and `watch` with an empty `ns` cover all namespaces.

    @par Errors (as `esx::failure`)
    - A non-2xx answer: `code = make_http_error(status)` (404 matches `condition::not_found`,
      409 `condition::conflict`, 401 `auth_failed`, 403 `forbidden`, 429 `throttled`, 5xx
      `retryable`), `message`/`reason`/`causes` from the server's Status object.
    - Transport errors pass through as `failure{ec}` (see `transport::https`).
    - `error::invalid_option`: a bad name or namespace (message names which), a credential that
      cannot be obtained (token file, exec plugin), apply without a field manager.
    - `error::malformed_response`: a 2xx body that is not a JSON object.
    Nothing from a request or response body reaches a failure or a log, so Secret `data`
    cannot leak through errors.

    Use it from the executor of its transport (one thread or a strand).
*/
/// The options a verb uses when none are given (an lvalue, see the note in `client`).
template <class Options>
inline Options const defaults{};

template <class Transport = transport::https, class Clock = transport::steady_clock>
class client {
    static_assert(transport::detail::diagnose<Transport>());

public:
    using transport_type = Transport;
    using clock_type = Clock;
    using object = boost::json::object;
    template <class T>
    using awaitable = boost::asio::awaitable<T>;

    /// Builds its own transport from `base` plus the config's CA, client certificate, proxy
    /// and verification setting.
    client(boost::asio::any_io_executor ex, config c, transport::options base = {}, Clock clock = Clock())
        requires std::constructible_from<Transport, boost::asio::any_io_executor, transport::options>
        : config_(std::move(c)), options_(merged_options(config_, std::move(base))), transport_(ex, options_),
          limiter_(config_.qps, config_.burst, std::move(clock)) {
        warn_if_insecure();
    }

    /// Uses a transport made elsewhere (a test double, a `retry<https>`); `base` still
    /// describes TLS for watch connections.
    client(Transport t, config c, transport::options base = {}, Clock clock = Clock())
        : config_(std::move(c)), options_(merged_options(config_, std::move(base))), transport_(std::move(t)),
          limiter_(config_.qps, config_.burst, std::move(clock)) {
        warn_if_insecure();
    }

    config const& settings() const noexcept { return config_; }
    transport::options const& transport_options() const noexcept { return options_; }
    Transport& transport() noexcept { return transport_; }
    rate_limiter<Clock>& limiter() noexcept { return limiter_; }

    /// Called with the verb of every request sent (`get`, `list`, `watch`, `create`, `update`,
    /// `patch`, `delete`; a retried one counts again): a metric (`esx_kube_requests_total`).
    /// Never given a path, a body or a header. Empty: nobody is told.
    void observe_requests(std::function<void(std::string_view verb)> observer) { observer_ = std::move(observer); }
    /// Tells the observer of one request (the watcher calls it for each watch it opens).
    void observed(std::string_view verb) const {
        if (observer_) observer_(verb);
    }

    // A note on the shape of the verbs: they are plain functions that build the path, query
    // and body, and return the awaitable of one coroutine (`call` and a few `*_impl`) whose
    // parameters are lvalues or moved locals, and their options default to a static object,
    // not `= {}`. g++ 12 mishandles a default argument with a non-trivial destructor in and
    // around coroutines (the temporary is destroyed twice: heap corruption at -O2, seen in
    // bench/kube_watch.cpp). Callers on g++ 12 should likewise pass named options objects
    // rather than `{...}` temporaries inside a `co_await` expression.

    /// GET one object.
    awaitable<result<object, failure>> get(resource const& r, std::string_view ns, std::string_view name) {
        return object_request(transport::verb::get, detail::object_path_for(r, namespace_for(r, ns), name), {}, {});
    }
    /// GET the `/status` subresource.
    awaitable<result<object, failure>> get_status(resource const& r, std::string_view ns, std::string_view name) {
        return object_request(transport::verb::get, detail::object_path_for(r, namespace_for(r, ns), name, "status"),
                              {}, {});
    }

    /// GET one page of a collection. Follow `continue_token` for the next page.
    awaitable<result<list_page, failure>> list(resource const& r, std::string_view ns, list_options const& o = defaults<list_options>) {
        auto path = detail::path_for(r, ns);
        if (!path) {
            failure f = path.error();
            return failed<list_page>(std::move(f));
        }
        std::string target = std::move(*path);
        if (!o.label_selector.empty()) detail::add_query(target, "labelSelector", o.label_selector);
        if (!o.field_selector.empty()) detail::add_query(target, "fieldSelector", o.field_selector);
        if (o.limit) detail::add_query(target, "limit", std::to_string(o.limit));
        if (!o.continue_token.empty()) detail::add_query(target, "continue", o.continue_token);
        if (!o.resource_version.empty()) detail::add_query(target, "resourceVersion", o.resource_version);
        std::string kind = r.kind;
        std::string api_version = r.api_version();
        return list_impl(std::move(kind), std::move(api_version), std::move(target));
    }

    /// POST a new object into the collection (the name comes from `metadata.name` or
    /// `metadata.generateName`).
    awaitable<result<object, failure>> create(resource const& r, std::string_view ns, object const& body,
                                              write_options const& o = defaults<write_options>) {
        auto path = detail::path_for(r, namespace_for(r, ns));
        if (path) add_write_query(*path, o.field_manager, o.dry_run);
        return object_request(transport::verb::post, std::move(path), boost::json::serialize(body), "application/json");
    }

    /// PUT the whole object. With `metadata.resourceVersion` set the write is conditional
    /// (409 Conflict when the object changed since); without it, unconditional.
    awaitable<result<object, failure>> replace(resource const& r, std::string_view ns, std::string_view name,
                                               object const& body, write_options const& o = defaults<write_options>) {
        return put_impl(r, ns, name, {}, body, o);
    }
    /// PUT the `/status` subresource (only `.status` changes).
    awaitable<result<object, failure>> replace_status(resource const& r, std::string_view ns, std::string_view name,
                                                      object const& body, write_options const& o = defaults<write_options>) {
        return put_impl(r, ns, name, "status", body, o);
    }

    /// PATCH: merge (RFC 7386, an object), json (RFC 6902, an array of operations), strategic
    /// (built-in types), or apply (server-side apply; `field_manager` required, `force` takes
    /// fields from other managers).
    awaitable<result<object, failure>> patch(resource const& r, std::string_view ns, std::string_view name,
                                             patch_type type, boost::json::value const& body,
                                             patch_options const& o = defaults<patch_options>) {
        return patch_impl(r, ns, name, {}, type, body, o);
    }
    awaitable<result<object, failure>> patch_status(resource const& r, std::string_view ns, std::string_view name,
                                                    patch_type type, boost::json::value const& body,
                                                    patch_options const& o = defaults<patch_options>) {
        return patch_impl(r, ns, name, "status", type, body, o);
    }

    /// DELETE. Returns the server's answer: a success Status, or the object itself when
    /// finalizers keep it (with `metadata.deletionTimestamp` set).
    awaitable<result<object, failure>> remove(resource const& r, std::string_view ns, std::string_view name,
                                              delete_options const& o = defaults<delete_options>) {
        auto path = detail::object_path_for(r, namespace_for(r, ns), name);
        if (path && o.dry_run) detail::add_query(*path, "dryRun", "All");
        std::string body;
        if (o.propagation_policy || o.preconditions || o.grace_period_seconds) {
            object d{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
            if (o.propagation_policy) {
                static constexpr char const* names[] = {"Background", "Foreground", "Orphan"};
                d["propagationPolicy"] = names[static_cast<int>(*o.propagation_policy)];
            }
            if (o.preconditions) {
                object p;
                if (!o.preconditions->uid.empty()) p["uid"] = o.preconditions->uid;
                if (!o.preconditions->resource_version.empty())
                    p["resourceVersion"] = o.preconditions->resource_version;
                d["preconditions"] = std::move(p);
            }
            if (o.grace_period_seconds) d["gracePeriodSeconds"] = *o.grace_period_seconds;
            body = boost::json::serialize(d);
        }
        std::string_view const content_type = body.empty() ? std::string_view{} : std::string_view("application/json");
        return object_request(transport::verb::delete_, std::move(path), std::move(body), content_type);
    }

    /// TokenRequest: a token for service account `service_account` in `ns`, for `audiences`,
    /// living `expiration` (the server may shorten it: read `expires_at`).
    awaitable<result<issued_token, failure>> create_token(std::string_view ns, std::string_view service_account,
                                                         token_request_options const& o = defaults<token_request_options>) {
        auto path = detail::object_path_for(resources::service_accounts,
                                            namespace_for(resources::service_accounts, ns), service_account, "token");
        if (!path) {
            failure f = path.error();
            return failed<issued_token>(std::move(f));
        }
        object spec;
        if (!o.audiences.empty()) {
            boost::json::array a;
            for (auto const& aud : o.audiences) a.emplace_back(aud);
            spec["audiences"] = std::move(a);
        }
        if (o.expiration) spec["expirationSeconds"] = o.expiration->count();
        object req{{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", std::move(spec)}};
        std::string target = std::move(*path);
        std::string payload = boost::json::serialize(req);
        return token_impl(std::move(target), std::move(payload));
    }

    /// A watch of `r` in `ns` (all namespaces when empty) delivering `T` (a JSON object by
    /// default, or any type Boost.JSON converts to). See `basic_watcher`.
    template <class T = boost::json::object>
    basic_watcher<T, client> watch(resource const& r, std::string_view ns, watch_options o = {}) {
        return basic_watcher<T, client>(*this, r, std::string(ns), std::move(o));
    }

    /// One request with the client's auth, rate limit and error mapping; `target` is the path
    /// and query. The building block of the verbs, for resources or calls they do not cover.
    awaitable<result<object, failure>> call(transport::verb method, std::string target, std::string body,
                                            std::string_view content_type) {
        return counted_call(verb_name(method), method, std::move(target), std::move(body), content_type);
    }

    /// Kubernetes' verb for a request that is not a list or a watch.
    static constexpr std::string_view verb_name(transport::verb method) noexcept {
        switch (method) {
        case transport::verb::get: return "get";
        case transport::verb::post: return "create";
        case transport::verb::put: return "update";
        case transport::verb::patch: return "patch";
        case transport::verb::delete_: return "delete";
        default: return "other";
        }
    }

    /// The same, told to the observer as `verb` (a string literal: `list` is a GET).
    awaitable<result<object, failure>> counted_call(std::string_view verb, transport::verb method, std::string target,
                                                    std::string body, std::string_view content_type) {
        for (int attempt = 0;; ++attempt) {
            co_await limiter_.acquire();
            observed(verb);
            transport::request req;
            req.method = method;
            req.url = config_.server + target;
            req.headers.set(transport::field::accept, "application/json");
            if (!content_type.empty()) req.headers.set(transport::field::content_type, content_type);
            auto auth = authorization();
            if (!auth) co_return auth.error();
            if (!auth->empty()) req.headers.set(transport::field::authorization, auth->reveal());
            req.body = body;
            auto res = co_await transport_.send(std::move(req));
            if (!res) co_return failure(res.error());
            unsigned const status = res->result_int();
            if (status == 401 && attempt == 0 && config_.token && config_.token->type() != token_source::kind::fixed) {
                config_.token->invalidate(); // a rotated file or an expired exec token: fetch again, once
                continue;
            }
            if (!is_success(status)) co_return status_failure(status, res->body());
            boost::system::error_code ec;
            // A Secret's data: the parsed document is wiped when freed, and nesting is bounded.
            auto doc = transport::parse_wiped(res->body(), ec);
            if (ec || !doc.is_object())
                co_return failure(ESX_ERROR(error::malformed_response),
                                  "the API server answered " + std::to_string(status) + " with a body that " +
                                      (ec ? transport::describe_json_error(ec) : "is not a JSON object"));
            co_return std::move(doc.as_object());
        }
    }

    /// The `Authorization` header value of the moment (empty without a token).
    result<secret_bytes, failure> authorization() {
        if (!config_.token) return secret_bytes();
        auto t = config_.token->token(limiter_.clock().utc_now());
        if (!t) return t.error();
        secret_bytes header("Bearer ");
        header.append(t->reveal());
        return header;
    }

    /// The executor-independent TLS context watches use (made once, from the same options).
    result<std::shared_ptr<boost::asio::ssl::context>, failure> watch_tls() {
        if (!watch_tls_) {
            auto ctx = transport::detail::make_client_context(options_);
            if (!ctx) return failure(ctx.error(), "TLS settings of the kube client are invalid (CA or client certificate)");
            watch_tls_ = std::move(*ctx);
        }
        return watch_tls_;
    }

    std::string_view namespace_for(resource const& r, std::string_view ns) const {
        if (!r.namespaced) return {};
        return ns.empty() ? std::string_view(config_.default_namespace) : ns;
    }

private:
    static transport::options merged_options(config const& c, transport::options o) {
        if (!c.ca_pem.empty()) o.ca_pem = c.ca_pem;
        if (!c.client_certificate_pem.empty()) {
            o.client_certificate_pem = c.client_certificate_pem;
            o.client_key_pem = c.client_key_pem;
        }
        if (c.insecure_skip_tls_verify) o.verify_peer = false;
        if (!c.proxy_url.empty()) o.proxy = transport::proxy_settings{c.proxy_url, c.proxy_url, {}};
        return o;
    }

    void warn_if_insecure() const {
        if (config_.insecure_skip_tls_verify)
            options_.logger.warn("kubeconfig sets insecure-skip-tls-verify: the API server's certificate is not checked",
                                 {{"component", "esx.kube"}, {"context", config_.context}, {"server", config_.server}});
    }

    static std::string text_of(object const& o, std::string_view key) {
        auto const* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    }

    void add_write_query(std::string& target, std::string const& field_manager, bool dry_run) const {
        if (dry_run) detail::add_query(target, "dryRun", "All");
        if (!field_manager.empty()) detail::add_query(target, "fieldManager", field_manager);
    }

    template <class T>
    static awaitable<result<T, failure>> failed(failure f) {
        co_return f;
    }

    // Not a coroutine: see the note above the verbs.
    awaitable<result<object, failure>> object_request(transport::verb method, result<std::string, failure> target,
                                                      std::string body, std::string_view content_type) {
        if (!target) {
            failure f = target.error();
            return failed<object>(std::move(f));
        }
        return call(method, std::move(*target), std::move(body), content_type);
    }

    awaitable<result<list_page, failure>> list_impl(std::string kind, std::string api_version, std::string target) {
        std::string no_body;
        auto body = co_await counted_call("list", transport::verb::get, std::move(target), std::move(no_body), {});
        if (!body) co_return body.error();
        list_page page;
        if (auto* meta = body->if_contains("metadata"); meta && meta->is_object()) {
            page.resource_version = text_of(meta->as_object(), "resourceVersion");
            page.continue_token = text_of(meta->as_object(), "continue");
        }
        if (auto* items = body->if_contains("items"); items && items->is_array()) {
            page.items = std::move(items->as_array());
            // List items come without kind/apiVersion; fill them in so each item stands alone.
            if (!kind.empty())
                for (auto& item : page.items)
                    if (item.is_object()) {
                        auto& io = item.as_object();
                        if (!io.contains("kind")) io["kind"] = kind;
                        if (!io.contains("apiVersion")) io["apiVersion"] = api_version;
                    }
        } else if (auto* items_null = body->if_contains("items"); !items_null || !items_null->is_null()) {
            co_return failure(ESX_ERROR(error::malformed_response), "list response without an items array");
        }
        co_return page;
    }

    awaitable<result<issued_token, failure>> token_impl(std::string target, std::string payload) {
        auto answer = co_await call(transport::verb::post, std::move(target), std::move(payload), "application/json");
        if (!answer) co_return answer.error();
        auto* status = answer->if_contains("status");
        if (!status || !status->is_object())
            co_return failure(ESX_ERROR(error::malformed_response), "TokenRequest answer has no status");
        auto* token = status->as_object().if_contains("token");
        auto const expires = text_of(status->as_object(), "expirationTimestamp");
        auto const at = detail::parse_rfc3339(expires);
        if (!token || !token->is_string() || token->as_string().empty() || !at)
            co_return failure(ESX_ERROR(error::malformed_response),
                              "TokenRequest answer needs status.token and an RFC 3339 status.expirationTimestamp");
        issued_token out{secret_bytes(std::string_view(token->as_string())), *at};
        // Leave no copy of the token in the parsed document.
        auto& s = token->as_string();
        esx::detail::secure_wipe(s.data(), s.size());
        co_return out;
    }

    awaitable<result<object, failure>> put_impl(resource const& r, std::string_view ns, std::string_view name,
                                                std::string_view sub, object const& body, write_options const& o) {
        auto path = detail::object_path_for(r, namespace_for(r, ns), name, sub);
        if (path) add_write_query(*path, o.field_manager, o.dry_run);
        return object_request(transport::verb::put, std::move(path), boost::json::serialize(body), "application/json");
    }

    awaitable<result<object, failure>> patch_impl(resource const& r, std::string_view ns, std::string_view name,
                                                  std::string_view sub, patch_type type, boost::json::value const& body,
                                                  patch_options const& o) {
        auto path = detail::object_path_for(r, namespace_for(r, ns), name, sub);
        std::string_view content_type;
        switch (type) {
        case patch_type::merge: content_type = "application/merge-patch+json"; break;
        case patch_type::json: content_type = "application/json-patch+json"; break;
        case patch_type::strategic: content_type = "application/strategic-merge-patch+json"; break;
        case patch_type::apply: content_type = "application/apply-patch+yaml"; break;
        }
        auto invalid = [](char const* why) { return failure(ESX_ERROR(error::invalid_option), why); };
        if (path && type == patch_type::json && !body.is_array())
            path = invalid("patch: a JSON patch body must be an array of operations");
        else if (path && type != patch_type::json && !body.is_object())
            path = invalid("patch: a merge, strategic or apply body must be an object");
        else if (path && type == patch_type::apply && o.field_manager.empty())
            path = invalid("patch: server-side apply needs field_manager");
        else if (path && o.force && type != patch_type::apply)
            path = invalid("patch: force applies to server-side apply only");
        if (path) {
            add_write_query(*path, o.field_manager, o.dry_run);
            if (o.force) detail::add_query(*path, "force", "true");
        }
        // JSON is YAML, so an apply body goes as JSON text under the apply content type.
        return object_request(transport::verb::patch, std::move(path), boost::json::serialize(body), content_type);
    }

    config config_;
    transport::options options_;
    Transport transport_;
    rate_limiter<Clock> limiter_;
    std::function<void(std::string_view)> observer_;
    std::shared_ptr<boost::asio::ssl::context> watch_tls_;
};

} // namespace esx::kube

#endif
