// esx::controller: the store reconciler (SecretStore and ClusterSecretStore).
//
// ESO's store controller (pkg/controllers/secretstore) builds a client and calls `Validate()`,
// which for Azure never talks to Azure: a store is `Ready` as soon as its credentials resolve,
// and its ExternalSecrets then each fetch a token of their own. Here `Ready` means usable:
//
// 1. the spec follows the admission rules (`spec::validate`), the cloud resolves and the vault
//    URL belongs to it (`keyvault::parse_vault_url`), the controller-identity rule holds
//    (ManagedIdentity and WorkloadIdentity without serviceAccountRef only from a
//    ClusterSecretStore unless `allow_controller_identity`); these are permanent failures: only a
//    change of the store fixes them;
// 2. the credentials are present: every Secret key `authSecretRef` names exists (a namespaced
//    store reads only its own namespace), the ServiceAccount of `serviceAccountRef` exists;
// 3. the vault answers a request without a token (and without a body, as the Key Vault client's
//    first request) with a 401 challenge that passes the challenge checks for the store's cloud
//    and vault (so no token of the store is ever made for a vault that would not pass them);
//    the challenge header is kept per vault origin for the process's life
//    (`detail::vault_challenges`, one per runtime), so N stores on one vault cost one 401 and a
//    revalidation none; each store still verifies the kept header against its own cloud;
// 4. one token is acquired through the runtime's shared token cache, for the scope and tenant
//    that challenge names (the ones the sync's vault client will ask for), so the first sync of
//    every ExternalSecret of the store finds it cached. A revalidation within the token's life
//    asks neither Entra ID nor Key Vault anything.
// Failures of 2 to 4 are retried with the queue's backoff (a Secret may appear, an outage pass).
//
// A ClusterSecretStore whose references name no namespace ("referent authentication") is
// resolved per ExternalSecret namespace; as in ESO it is `Ready` without a token.
//
// Status (ESO's `common.go`): condition `Ready` with `True/Valid/"store validated"`, or
// `False/InvalidProviderConfig/"unable to create client"` (spec, cloud, vault URL, identity,
// credentials) or `"unable to validate store"` (the challenge, the token); esx appends `: <detail>` naming the
// field and the cause (never a value). `lastTransitionTime` is kept while the status value holds;
// `capabilities: ReadWrite` (Azure's) once valid. The status subresource is written only when
// the condition or the capabilities change; the first reconcile of a store after a start reads
// the status the API server holds instead of writing blindly. Events: Normal `Valid` /
// Warning `InvalidProviderConfig` with the detail (the recorder deduplicates them).
//
// `ready(store)` answers whether ExternalSecrets of a store may sync now; `on_readiness` tells the
// controller when it changes (it re-queues the store's users from `store_index`). When the
// store is gone from the cache its record is dropped, the token-cache entries of an identity no
// other store uses are evicted, and `on_deleted` lets the controller evict the pipeline's vault
// clients (`basic_pipeline::forget_store`).
//
// Use from the runtime's executor (one strand), like the caches it reads.
#ifndef ESX_CONTROLLER_STORE_RECONCILE_HPP
#define ESX_CONTROLLER_STORE_RECONCILE_HPP

#include <esx/auth/from_store.hpp>
#include <esx/controller/detail/store_status.hpp>
#include <esx/controller/events.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/store_index.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/keyvault/challenge.hpp>
#include <esx/keyvault/client.hpp>
#include <esx/keyvault/vault_url.hpp>
#include <esx/kube/resource.hpp>
#include <esx/pipeline/aliases.hpp>
#include <esx/pipeline/manifest_access.hpp>
#include <esx/pipeline/runtime.hpp>
#include <esx/spec/json.hpp>
#include <esx/spec/validate.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace esx::controller {

struct store_reconcile_options {
    /// ManagedIdentity / WorkloadIdentity without serviceAccountRef from a namespaced
    /// SecretStore (`--allow-controller-identity`); unset: the runtime's setting.
    std::optional<bool> allow_controller_identity;
    /// How often a valid store is validated again when it sets no `refreshInterval`
    /// (ESO's `--store-requeue-interval`, 5 minutes).
    std::chrono::nanoseconds requeue_interval = std::chrono::minutes(5);
    /// `--controller-class`: a store whose `spec.controller` names another class is left alone.
    std::string controller_class;
};

/// Posts one event (an `event_recorder`'s `record`, type-erased so reconcilers need not name it).
using event_poster = std::function<boost::asio::awaitable<void>(involved_object, event_type, std::string, std::string)>;

/// An `event_poster` that posts through `recorder` (a `basic_event_recorder`), which must outlive it.
template <class Recorder>
event_poster post_through(Recorder& recorder) {
    return [r = &recorder](involved_object o, event_type t, std::string reason, std::string message) {
        return r->record(std::move(o), t, std::move(reason), std::move(message));
    };
}

/// How the last validation of a store ended.
struct store_verdict {
    bool ready = false;
    bool retryable = false;  ///< a failure the backoff may fix (credentials, network, Entra ID)
    std::string reason;      ///< `Valid` or `InvalidProviderConfig`
    std::string message;     ///< the condition message (ESO's text, then `: detail`)
    std::string detail;      ///< what failed and why, for the event and logs (never a value)
};

/// Counters for tests and metrics.
struct store_reconcile_stats {
    std::uint64_t validations = 0;    ///< reconciles that validated a store
    std::uint64_t probes = 0;         ///< token-less requests for the vault's challenge
    std::uint64_t probes_saved = 0;   ///< validations that verified a challenge already known for their vault
    std::uint64_t token_asks = 0;     ///< tokens asked of the cache (a cached one costs no request)
    std::uint64_t status_reads = 0;   ///< status subresource reads (first reconcile after a start)
    std::uint64_t status_writes = 0;  ///< status patches sent
    std::uint64_t tokens_evicted = 0; ///< token-cache entries dropped for deleted stores
};

namespace detail {

/// `SecretStore` for a namespaced key, `ClusterSecretStore` for a cluster-scoped one.
inline store_key store_key_of(object_key const& k) {
    return {k.namespace_().empty() ? spec::store_kind::cluster_secret_store : spec::store_kind::secret_store, k};
}

/// A ClusterSecretStore whose references leave the namespace to the ExternalSecret.
inline bool referent(spec::secret_store const& s) {
    if (s.kind != spec::store_kind::cluster_secret_store) return false;
    auto const& p = s.spec.provider;
    auto open = [](auto const& sel) { return sel && (!sel->namespace_ || sel->namespace_->empty()); };
    if (p.auth_type == spec::azure_auth_type::workload_identity && open(p.service_account_ref)) return true;
    if (p.auth_type == spec::azure_auth_type::managed_identity || !p.auth_secret_ref) return false;
    auto const& a = *p.auth_secret_ref;
    return open(a.client_id) || open(a.client_secret) || open(a.client_certificate) || open(a.tenant_id);
}

/// The challenge header each vault (by origin) answered the token-less probe with, for the
/// process's life (one per runtime, `runtime::shared`): a vault's challenge names its resource
/// and tenant, which do not change between validations, so N stores on one vault cost one 401.
/// The header, not the verdict, is kept: every store verifies it against its own cloud and vault.
/// An entry is dropped when a token asked for with it fails (the vault may have moved tenant).
struct vault_challenges {
    std::unordered_map<std::string, std::string> by_origin;
};

/// Same identity (authority, tenant, client, credential), whatever the scope.
inline bool same_identity(auth::cache_key const& a, auth::cache_key const& b) {
    return a.authority == b.authority && a.tenant == b.tenant && a.client == b.client && a.credential == b.credential;
}

} // namespace detail

/** The store reconciler: a `reconciler` of the worker pool for the keys of SecretStores
    (`namespace/name`) and ClusterSecretStores (`name`), reading them from the reflectors'
    caches. Cheap to copy (one shared state), as the worker pool wants.

    @tparam Auth the auth policies compiled in (as the pipeline's)
    @tparam Transport the Azure transport (the runtime's one, shared with the pipeline)
    @tparam Clock time of `lastTransitionTime` (`esx::testing::fake_clock` in tests) */
template <class Auth = default_auth, class Transport = default_vault_transport,
          transport::waiting_clock Clock = transport::steady_clock>
class basic_store_reconciler {
public:
    using store_cache = object_cache<spec::secret_store>;
    using kube_access_type = manifest_access<kube::client<>>;

    basic_store_reconciler(runtime& rt, store_cache const& secret_stores, store_cache const& cluster_stores,
                           store_reconcile_options o, Clock clock)
        : s_(std::make_shared<state>(rt, secret_stores, cluster_stores, std::move(o), std::move(clock))) {}
    basic_store_reconciler(runtime& rt, store_cache const& secret_stores, store_cache const& cluster_stores,
                           store_reconcile_options o)
        : basic_store_reconciler(rt, secret_stores, cluster_stores, std::move(o), Clock()) {}
    basic_store_reconciler(runtime& rt, store_cache const& secret_stores, store_cache const& cluster_stores)
        : basic_store_reconciler(rt, secret_stores, cluster_stores, store_reconcile_options{}, Clock()) {}

    /// The worker pool's entry: reconciles `item.key`.
    template <class Item>
        requires requires(Item i) { { i.key } -> std::convertible_to<object_key>; }
    boost::asio::awaitable<sync_outcome> operator()(Item item) {
        return reconcile(object_key(std::move(item.key)));
    }

    /** Validates the store under `key` and writes its status; a key the caches no longer hold
        is a deleted store (see `forget`). Valid: refresh after the store's `refreshInterval`
        (else `requeue_interval`); invalid: retryable or permanent (see the file comment). */
    boost::asio::awaitable<sync_outcome> reconcile(object_key key) { return reconcile_in(s_, std::move(key)); }

    /// True if the store's last validation succeeded (false for a store not validated yet).
    bool ready(store_key const& k) const {
        auto it = s_->records.find(k);
        return it != s_->records.end() && it->second.verdict && it->second.verdict->ready;
    }

    /// The last validation's verdict, if the store was validated.
    std::optional<store_verdict> verdict(store_key const& k) const {
        auto it = s_->records.find(k);
        if (it == s_->records.end()) return std::nullopt;
        return it->second.verdict;
    }

    /// Forgets a deleted store: its record and readiness, and the cached tokens of its identity
    /// if no other store validated here uses it; then calls `on_deleted`.
    void forget(store_key const& k) { s_->forget(k); }

    /// Where events go (`post_through(recorder)`); none by default.
    void on_event(event_poster f) { s_->events = std::move(f); }
    /// Called with the new value each time `ready(store)` changes (and the first time it is known).
    void on_readiness(std::function<void(store_key const&, bool)> f) { s_->readiness = std::move(f); }
    /// Called when a store is found gone (evict the pipeline's clients: `forget_store`).
    void on_deleted(std::function<void(store_key const&)> f) { s_->deleted = std::move(f); }

    store_reconcile_stats const& stats() const noexcept { return s_->stats; }

private:
    struct checked_store {
        store_verdict verdict;
        std::optional<auth::cache_key> identity;  ///< whose token the store uses (for eviction)
    };

    struct record {
        std::string uid;
        bool status_known = false;  ///< `ready_condition` and `capabilities` are the API server's
        std::optional<spec::status_condition> ready_condition;
        std::string capabilities;
        std::optional<store_verdict> verdict;
        std::optional<auth::cache_key> identity;
    };

    struct state {
        state(runtime& r, store_cache const& ss, store_cache const& css, store_reconcile_options o, Clock c)
            : rt(&r), secret_stores(&ss), cluster_stores(&css), options(std::move(o)), clock(std::move(c)) {
            access = std::make_shared<kube_access_type>(std::make_shared<spec::manifest_set const>(),
                                                        [rp = rt] { return rp->kube(); });
            ctx.kube = access;
            ctx.cache = r.token_cache<>();
            ctx.imds = r.imds_transport();
            ctx.imds_endpoint = r.imds_endpoint();
            ctx.allow_controller_identity = options.allow_controller_identity.value_or(r.options().allow_controller_identity);
            ctx.getenv = r.options().getenv;
            transport = r.azure_transport<Transport>();
            challenges = r.shared<detail::vault_challenges>([] { return new detail::vault_challenges(); });
        }

        // ---- validation ---------------------------------------------------------------------

        static checked_store failed(bool retryable, std::string_view eso_message, std::string detail) {
            checked_store c;
            c.verdict.retryable = retryable;
            c.verdict.reason = "InvalidProviderConfig";
            c.verdict.message = std::string(eso_message) + ": " + detail;
            c.verdict.detail = std::move(detail);
            return c;
        }

        boost::asio::awaitable<checked_store> validate(spec::secret_store const& store) {
            constexpr std::string_view no_client = "unable to create client";
            auto const& provider = store.spec.provider;
            spec::validate_options vo;
            vo.default_namespace = store.metadata.namespace_;
            if (auto ok = spec::validate(store, vo); !ok) co_return failed(false, no_client, ok.error().what());
            auto cloud = auth::cloud_for_store(provider, ctx.getenv);
            if (!cloud) co_return failed(false, no_client, "spec.provider.azurekv.environmentType: " + cloud.error().what());
            auto endpoint = keyvault::parse_vault_url(*cloud, provider.vault_url);
            if (!endpoint) co_return failed(false, no_client, endpoint.error().what());  // names vaultUrl
            auto const scope = auth::credential_scope::of(store, {}, ctx.allow_controller_identity);
            if (auto ok = auth::check_controller_identity(provider, scope); !ok)
                co_return failed(false, no_client, ok.error().what());

            checked_store out;
            if (detail::referent(store)) {  // credentials resolve per ExternalSecret namespace
                out.verdict = valid();
                co_return out;
            }
            auto present = co_await credentials_present(store, scope);
            if (!present) co_return failed(true, no_client, present.error().what());
            std::string const no_external_secret;  // validating the store itself: no referent namespace
            auto policy = co_await auth::policy_for_store<Auth>(ctx, store, *cloud, no_external_secret);
            if (!policy) co_return failed(true, no_client, policy.error().what());
            // The vault's own challenge names the scope (and tenant) of the token: the same the
            // sync's vault client will ask for, so it finds this very token in the shared cache;
            // and the challenge checks apply to the store before any token exists for it.
            auto challenge = co_await probe(*cloud, *endpoint);
            if (!challenge) co_return failed(true, "unable to validate store", challenge.error().what());
            auth::token_request ask;
            ask.scope = challenge->scope;
            if (keyvault::detail::allows_tenant_discovery<Auth>()) ask.tenant_id = challenge->tenant;
            ++stats.token_asks;
            auto token = co_await policy->token(*transport, ask);
            if (!token) {
                challenges->by_origin.erase(endpoint->origin);  // ask the vault again next time
                co_return failed(true, "unable to validate store", token.error().what());
            }
            out.identity = policy->key_for(ask);
            out.verdict = valid();
            co_return out;
        }

        /// The vault's challenge, verified against the store's cloud and vault: the one cached
        /// for its origin, else asked for by one request without a token (and without a body),
        /// as the Key Vault client's first one.
        boost::asio::awaitable<result<keyvault::challenge, failure>> probe(esx::cloud const& cloud,
                                                                           keyvault::vault_endpoint const& endpoint) {
            std::string const where = "spec.provider.azurekv.vaultUrl: " + endpoint.origin;
            if (auto known = challenges->by_origin.find(endpoint.origin); known != challenges->by_origin.end()) {
                auto verified = keyvault::verify_challenge(known->second, cloud, endpoint);
                if (verified) {
                    ++stats.probes_saved;
                    co_return std::move(*verified);
                }
                // Refused for this store's cloud: it gets its own answer and verdict below.
            }
            transport::request req;
            req.method = transport::verb::get;
            req.url = endpoint.origin + "/secrets?api-version=" + keyvault::client_options{}.api_version;
            req.headers.set(transport::field::accept, "application/json");
            req.idempotent = true;
            ++stats.probes;
            auto answer = co_await transport->send(std::move(req));
            if (!answer) co_return failure{answer.error(), where + ": " + answer.error().message()};
            if (answer->result_int() != 401)
                co_return failure{make_error_code(error::malformed_response),
                                  where + ": the vault answered " + std::to_string(answer->result_int()) +
                                      " to a request without a token, not a 401 challenge"};
            auto const it = answer->find(transport::field::www_authenticate);
            std::string_view const header = it == answer->end() ? std::string_view() : std::string_view(it->value());
            auto verified = keyvault::verify_challenge(header, cloud, endpoint);
            if (!verified) {
                failure f = verified.error();
                f.message = where + ": " + f.what() + "; no token was asked for or sent";
                co_return f;
            }
            challenges->by_origin.insert_or_assign(endpoint.origin, std::string(header));
            co_return std::move(*verified);
        }

        static store_verdict valid() {
            store_verdict v;
            v.ready = true;
            v.reason = "Valid";
            v.message = "store validated";
            return v;
        }

        /// Every Secret key and the ServiceAccount the store names exist, read in the
        /// namespaces `scope` allows; a failure names the field.
        boost::asio::awaitable<result<void, failure>> credentials_present(spec::secret_store const& store,
                                                                          auth::credential_scope const& scope) {
            auto const& p = store.spec.provider;
            if (p.auth_type != spec::azure_auth_type::managed_identity && p.auth_secret_ref) {
                auto const& a = *p.auth_secret_ref;
                std::string const base = "spec.provider.azurekv.authSecretRef.";
                if (a.client_id) {
                    auto r = co_await secret_key_present(scope, base + "clientId", *a.client_id);
                    if (!r) co_return r.error();
                }
                if (a.client_secret) {
                    auto r = co_await secret_key_present(scope, base + "clientSecret", *a.client_secret);
                    if (!r) co_return r.error();
                }
                if (a.client_certificate) {
                    auto r = co_await secret_key_present(scope, base + "clientCertificate", *a.client_certificate);
                    if (!r) co_return r.error();
                }
                if (a.tenant_id) {
                    auto r = co_await secret_key_present(scope, base + "tenantId", *a.tenant_id);
                    if (!r) co_return r.error();
                }
            }
            if (p.auth_type == spec::azure_auth_type::workload_identity && p.service_account_ref) {
                std::string const field = "spec.provider.azurekv.serviceAccountRef";
                auto ns = scope.namespace_for(field, p.service_account_ref->namespace_);
                if (!ns) co_return ns.error();
                auto sa = co_await access->service_account_annotations(*ns, p.service_account_ref->name);
                if (!sa) {
                    failure f = sa.error();
                    f.message = field + ": cannot get ServiceAccount \"" + p.service_account_ref->name +
                                "\" from namespace \"" + *ns + "\": " + f.what();
                    co_return f;
                }
            }
            co_return result<void, failure>{};
        }

        boost::asio::awaitable<result<void, failure>> secret_key_present(auth::credential_scope const& scope,
                                                                         std::string field,
                                                                         spec::secret_key_selector sel) {
            auto ns = scope.namespace_for(field, sel.namespace_);
            if (!ns) co_return ns.error();
            auto value = co_await access->read_secret_key(*ns, sel.name, sel.key);
            if (!value) {
                failure f = value.error();
                f.message = field + ": cannot get Kubernetes secret \"" + sel.name + "\" from namespace \"" + *ns +
                            "\": " + f.what();
                co_return f;
            }
            if (!*value) {
                failure f{make_error_code(error::invalid_option),
                          field + ".key: cannot find secret data for key: \"" + sel.key + "\""};
                f.causes.push_back({field + ".key", "FieldValueNotFound", "no such key in Secret \"" + sel.name + "\""});
                co_return f;
            }
            co_return result<void, failure>{};  // the value itself is dropped (wiped) here
        }

        // ---- status -------------------------------------------------------------------------

        /// Writes the status if it changed: true when the store exists (written or not), false
        /// when the API server no longer has it.
        boost::asio::awaitable<result<bool, failure>> write_status(store_key sk, spec::secret_store const& store,
                                                                   store_verdict const& v) {
            auto cluster = rt->kube();
            if (!cluster) co_return cluster.error();
            auto const& resource = sk.kind == spec::store_kind::cluster_secret_store
                                       ? kube::resources::cluster_secret_stores
                                       : kube::resources::secret_stores;
            std::string const ns(sk.key.namespace_());
            std::string const name(sk.key.name());
            {
                auto& rec = records[sk];
                if (rec.uid != store.metadata.uid) {
                    rec = record{};
                    rec.uid = store.metadata.uid;
                }
            }
            if (!records[sk].status_known) {
                ++stats.status_reads;
                auto current = co_await (*cluster)->get_status(resource, ns, name);
                if (!current) {
                    if (current.error() == condition::not_found) co_return false;
                    co_return current.error();
                }
                auto& rec = records[sk];
                auto const* status = current->if_contains("status");
                rec.ready_condition = detail::condition_of(status, "Ready");
                rec.capabilities.clear();
                if (status && status->is_object())
                    if (auto const* c = status->as_object().if_contains("capabilities"); c && c->is_string())
                        rec.capabilities = std::string(c->as_string());
                rec.status_known = true;
            }
            auto& rec = records[sk];
            spec::status_condition want;
            want.type = "Ready";
            want.status = v.ready ? "True" : "False";
            want.reason = v.reason;
            want.message = v.message;
            std::string const capabilities = v.ready ? std::string("ReadWrite") : rec.capabilities;
            if (detail::same_condition(rec.ready_condition, want) && capabilities == rec.capabilities) co_return true;
            want = detail::transition(std::move(want), rec.ready_condition, clock.utc_now());

            boost::json::object status{{"conditions", boost::json::array{detail::to_json(want)}}};
            if (!capabilities.empty()) status["capabilities"] = capabilities;
            boost::json::value const body = boost::json::object{{"status", std::move(status)}};
            ++stats.status_writes;
            auto patched = co_await (*cluster)->patch_status(resource, ns, name, kube::patch_type::merge, body);
            if (!patched) {
                records[sk].status_known = false;  // read it again next time
                if (patched.error() == condition::not_found) co_return false;
                co_return patched.error();
            }
            auto& after = records[sk];
            after.ready_condition = std::move(want);
            after.capabilities = capabilities;
            co_return true;
        }

        /// ESO's events: Normal `Valid` "store validated", or Warning `InvalidProviderConfig`
        /// with what failed (the recorder folds repeats into one Event).
        boost::asio::awaitable<void> emit(spec::secret_store const& store, store_verdict const& v) {
            if (!events) co_return;
            auto const& resource = store.kind == spec::store_kind::cluster_secret_store
                                       ? kube::resources::cluster_secret_stores
                                       : kube::resources::secret_stores;
            involved_object object = involved_object::of(resource, store.metadata);
            event_type const type = v.ready ? event_type::normal : event_type::warning;
            std::string message = v.ready ? v.message : v.detail;
            std::string reason = v.reason;
            // The call's by-value arguments end with this statement, not across the await (g++ 12).
            auto posting = events(std::move(object), type, std::move(reason), std::move(message));
            co_await std::move(posting);
        }

        void settle(store_key const& sk, checked_store const& c) {
            auto& rec = records[sk];
            bool const was_known = rec.verdict.has_value();
            bool const was_ready = was_known && rec.verdict->ready;
            rec.verdict = c.verdict;
            auto const before = rec.identity;
            if (c.identity) rec.identity = c.identity;
            else if (c.verdict.ready) rec.identity.reset();  // referent: no identity of its own
            // Credentials changed: the old identity's tokens go unless another store uses them.
            if (before && (!rec.identity || !detail::same_identity(*before, *rec.identity))) evict_if_unused(*before);
            if ((!was_known || was_ready != c.verdict.ready) && readiness) readiness(sk, c.verdict.ready);
        }

        void evict_if_unused(auth::cache_key const& identity) {
            for (auto const& [other, rec] : records)
                if (rec.identity && detail::same_identity(*rec.identity, identity)) return;
            stats.tokens_evicted += ctx.cache->forget(identity);
        }

        void forget(store_key const& sk) {
            auto it = records.find(sk);
            if (it != records.end()) {
                auto const identity = it->second.identity;
                records.erase(it);
                if (identity) evict_if_unused(*identity);
            }
            if (deleted) deleted(sk);
        }

        runtime* rt;
        store_cache const* secret_stores;
        store_cache const* cluster_stores;
        store_reconcile_options options;
        Clock clock;
        std::shared_ptr<kube_access_type> access;
        auth::store_auth_context<kube_access_type> ctx;
        std::shared_ptr<Transport> transport;
        std::shared_ptr<detail::vault_challenges> challenges;
        std::unordered_map<store_key, record> records;
        event_poster events;
        std::function<void(store_key const&, bool)> readiness;
        std::function<void(store_key const&)> deleted;
        store_reconcile_stats stats;
    };

    /// The coroutine behind `reconcile`: it holds the state itself, not `this` (the reconciler a
    /// caller awaited through may be a copy that is gone before the coroutine ends).
    static boost::asio::awaitable<sync_outcome> reconcile_in(std::shared_ptr<state> s, object_key key) {
        store_key const sk = detail::store_key_of(key);
        auto const& cache = sk.kind == spec::store_kind::cluster_secret_store ? *s->cluster_stores : *s->secret_stores;
        auto const found = cache.find(key);
        if (!found) {
            s->forget(sk);
            co_return sync_outcome::synced(std::nullopt);
        }
        auto const& store = *found;  // `found` keeps the snapshot alive across the awaits
        if (!store.spec.controller.empty() && store.spec.controller != s->options.controller_class)
            co_return sync_outcome::synced(std::nullopt);
        if (store.metadata.deletion_timestamp) co_return sync_outcome::synced(std::nullopt);

        ++s->stats.validations;
        auto checked = co_await s->validate(store);
        auto written = co_await s->write_status(sk, store, checked.verdict);
        if (written && !*written) co_return sync_outcome::synced(std::nullopt);  // deleted meanwhile
        co_await s->emit(store, checked.verdict);
        s->settle(sk, checked);
        if (!written) co_return sync_outcome::retryable_failure();
        if (checked.verdict.ready) {
            auto every = s->options.requeue_interval;
            if (store.spec.refresh_interval && store.spec.refresh_interval->count() > 0)
                every = std::chrono::duration_cast<std::chrono::nanoseconds>(*store.spec.refresh_interval);
            if (every.count() <= 0) co_return sync_outcome::synced(std::nullopt);  // no periodic revalidation
            co_return sync_outcome::synced(every);
        }
        co_return checked.verdict.retryable ? sync_outcome::retryable_failure() : sync_outcome::permanent_failure();
    }

    std::shared_ptr<state> s_;
};

/// The store reconciler with every auth type and the retrying HTTPS transport (the pipeline's).
using store_reconciler = basic_store_reconciler<>;

} // namespace esx::controller

#endif
