// esx::basic_pipeline: one ExternalSecret in, its target out.
//
// ExternalSecret -> its store (namespace rules, ClusterSecretStore conditions) -> the store's
// cloud, vault URL and controller-identity rule, checked before any credential is read ->
// credentials (from the manifest files, else the cluster) -> a vault client per (identity,
// vault) -> Key Vault reads, deduplicated per (identity, vault, object, version) across every
// entry and ExternalSecret of a run -> ESO's transforms -> target checks -> the sink.
#ifndef ESX_PIPELINE_BASIC_PIPELINE_HPP
#define ESX_PIPELINE_BASIC_PIPELINE_HPP

#include <esx/auth.hpp>
#include <esx/keyvault/client.hpp>
#include <esx/object/kinds.hpp>
#include <esx/pipeline/detail/flight.hpp>
#include <esx/pipeline/detail/identity.hpp>
#include <esx/pipeline/detail/listing.hpp>
#include <esx/pipeline/detail/object_value.hpp>
#include <esx/pipeline/manifest_access.hpp>
#include <esx/pipeline/options.hpp>
#include <esx/pipeline/read_cache.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/pipeline/runtime.hpp>
#include <esx/pipeline/store_source.hpp>
#include <esx/pipeline/target_checks.hpp>
#include <esx/sink/concept.hpp>
#include <esx/spec/conditions.hpp>
#include <esx/spec/manifest.hpp>
#include <esx/transform.hpp>
#include <esx/transform/template.hpp>
#include <esx/transport/concept.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/hana/unpack.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace esx {

namespace detail {

template <class Kinds>
consteval bool kinds_decode_to_bytes() {
    return boost::hana::unpack(Kinds{}, [](auto... t) {
        return (std::is_same_v<typename decltype(t)::type::value_type, secret_bytes> && ...);
    });
}

inline failure prefixed(std::string const& where, failure f) {
    f.message = where + ": " + f.what();
    return f;
}

inline failure spec_failure(std::string field, std::string message) {
    failure f{make_error_code(error::invalid_option), field + ": " + message, "Invalid"};
    f.causes.push_back({std::move(field), "FieldValueInvalid", std::move(message)});
    return f;
}

} // namespace detail

/** Syncs ExternalSecrets (ESO's `external-secrets.io/v1` and `v1beta1`, provider `azurekv`)
    into targets through a sink.

    @tparam Auth an `auth::any_of<...>` of the auth policies compiled in (a store's `authType`
            picks one at run time)
    @tparam Transport the Azure transport (`transport::retry<transport::https>`), one per runtime
    @tparam Sink a `sink::sink_policy` (`sink::kubernetes_secret<>`, `files`, `dotenv`, ...)
    @tparam Kinds the object kinds `remoteRef.key` may name (`object::default_kinds_t`)
    @tparam Clock the read cache's clock (`esx::testing::fake_clock` in tests)

    @par What one sync does (ESO's semantics; eso-behaviour.md §§ 3-4)
    - The store: `sourceRef.storeRef` of an entry, else `spec.secretStoreRef`; a SecretStore of
      the ExternalSecret's namespace, or a ClusterSecretStore whose `conditions` allow the
      namespace. From the manifest files first, else from the cluster.
    - Before any credential is read: the store's cloud (worked out once and given to both the
      auth policy and the vault client), its vault URL against the cloud's vault suffix, and
      the controller-identity rule (`runtime_options::allow_controller_identity`).
    - `dataFrom[]` in order (`extract`, `find`; `rewrite`, else `conversionStrategy`; key
      checks; `decodingStrategy`; `nullBytePolicy`), then `data[]` (prefix dispatch over
      `Kinds`, `version`, `property`, `metadataPolicy`, `decodingStrategy`,
      `nullBytePolicy`); a later entry wins a key.
    - An object Key Vault does not have (404): with `deletionPolicy: Retain` the sync fails;
      otherwise the entry is skipped. With no data at all: Retain keeps the target, Delete
      removes it (`sink.remove`), Merge writes the empty data.
    - The target (name, type, data, the ExternalSecret's own labels and annotations, owner,
      policies) is checked (key names, 1 MiB, ESO's type rules) before the sink is called; a
      failure anywhere calls no sink, so an existing target stays as it was.
    - `target.template` (ESO's v2 engine; transform/template/target.hpp): its restrictions are
      checked first; it renders after every entry, before the target checks, with its
      `templateFrom` ConfigMaps and Secrets read from the ExternalSecret's namespace; the
      templates are compiled once per ExternalSecret generation (`template_cache`).
    - Not supported yet, refused clearly: `sourceRef.generatorRef`.

    @par Stores and credentials
    A store is looked up in the `store_source` first (`serve_stores_from`: a controller's
    reflector caches), then the manifests, then the cluster. Its resolution (the auth policy,
    i.e. the credentials read from their Secret, at most one GET per Secret, and the vault
    client) is kept across runs per (store, ExternalSecret namespace) and reused while the
    store's spec and uid are unchanged, for `pipeline_options::store_revalidation` (5 minutes,
    ESO's store requeue interval); it is made again after that, after `forget_store`, and at
    once after Azure refuses its credential (`condition::auth_failed`). A rotated credential
    Secret is therefore used within one period, or on the first sync after Azure stops
    accepting the old one. Namespace rules and a ClusterSecretStore's conditions are checked
    on every run. Concurrent runs needing the same resolution wait for one.

    @par Reads
    One Key Vault read per distinct (identity, vault, collection, object, version) per run
    (`sync_all` is one run; `sync` is a run of one), identical reads in flight coalesce, and a
    `read_cache` shared across runs (`share_reads`) serves a controller. A `find` lists a vault
    once per (identity, vault) per run, page by page. The identity (policy and credential
    fingerprint) is part of every key: a value read by one identity never serves another.

    Use a pipeline from its runtime's executor. */
template <class Auth, class Transport, class Sink, class Kinds = object::default_kinds_t,
          class Clock = transport::steady_clock>
class basic_pipeline {
    static_assert(auth::detail::diagnose<Auth>());
    static_assert(detail::is_any_of<Auth>::value,
                  "esx::basic_pipeline: Auth must be an esx::auth::any_of<...> of the auth policies to compile in "
                  "(a store's authType picks one at run time), e.g. "
                  "esx::auth::any_of<esx::auth::service_principal<>, esx::auth::workload_identity<>>");
    static_assert(transport::detail::diagnose<Transport>());
    static_assert(sink::detail::diagnose<Sink>());
    static_assert(object::detail::diagnose_kinds<Kinds>());
    static_assert(detail::kinds_decode_to_bytes<Kinds>(),
                  "esx::basic_pipeline: every object kind must decode to esx::secret_bytes "
                  "(`using value_type = esx::secret_bytes;`): a Secret's values are bytes");

public:
    using auth_type = Auth;
    using transport_type = Transport;
    using sink_type = Sink;
    using kube_access_type = manifest_access<kube::client<>>;
    using vault_client = keyvault::client<Auth, Transport>;

    /** A pipeline on `rt`'s wiring (its Azure transport, token cache, IMDS, cluster), writing
        through `sink` (shared with the caller, who may look at it afterwards). Stores,
        credential Secrets and ServiceAccounts come from `manifests` first (documents without a
        namespace get `options.default_namespace`), then from the cluster. */
    basic_pipeline(runtime& rt, std::shared_ptr<Sink> sink, spec::manifest_set manifests = {}, pipeline_options o = {},
                   Clock clock = Clock())
        : basic_pipeline(rt, std::move(sink), rt.azure_transport<Transport>(), std::move(manifests), std::move(o),
                         std::move(clock)) {}

    /// The same, with a sink the pipeline keeps.
    basic_pipeline(runtime& rt, Sink sink, spec::manifest_set manifests = {}, pipeline_options o = {}, Clock clock = Clock())
        requires std::move_constructible<Sink>
        : basic_pipeline(rt, std::make_shared<Sink>(std::move(sink)), std::move(manifests), std::move(o), std::move(clock)) {}

    /// The same with an Azure transport made by the caller (a test double, special TLS settings).
    basic_pipeline(runtime& rt, std::shared_ptr<Sink> sink, std::shared_ptr<Transport> transport,
                   spec::manifest_set manifests, pipeline_options o, Clock clock = Clock())
        : rt_(&rt), sink_(std::move(sink)), transport_(std::move(transport)), options_(std::move(o)),
          clock_(std::move(clock)) {
        manifests.default_namespace(options_.default_namespace);
        manifests_ = std::make_shared<spec::manifest_set const>(std::move(manifests));
        access_ = std::make_shared<kube_access_type>(manifests_, [r = rt_] { return r->kube(); });
        ctx_.kube = access_;
        ctx_.cache = rt.token_cache<>();
        ctx_.imds = rt.imds_transport();
        ctx_.imds_endpoint = rt.imds_endpoint();
        ctx_.allow_controller_identity = rt.options().allow_controller_identity;
        ctx_.getenv = rt.options().getenv;
        options_.vault.logger = rt.options().logger;
        templates_ = std::make_shared<transform::templating::template_cache>(transform::templating::eso_functions(),
                                                                             options_.templates);
    }

    basic_pipeline(basic_pipeline const&) = delete;
    basic_pipeline& operator=(basic_pipeline const&) = delete;

    /// Syncs one ExternalSecret (a run of one: its reads are shared by its own entries only,
    /// plus a shared `read_cache` if there is one).
    boost::asio::awaitable<sync_result> sync(spec::external_secret es) {
        run_state run(clock_);
        auto out = co_await sync_in(run, std::move(es));
        std::vector<sync_result> one;
        one.push_back(std::move(out));
        flush_into(one);
        co_return std::move(one.front());
    }

    /// Syncs many at once (at most `pipeline_options::concurrency`), in one run: every read is
    /// made once however many of them use it. Results come in the order given.
    boost::asio::awaitable<std::vector<sync_result>> sync_all(std::vector<spec::external_secret> list) {
        run_state run(clock_);
        std::vector<sync_result> out(list.size());
        if (!list.empty()) {
            auto ex = co_await boost::asio::this_coro::executor;
            detail::flight<bool> all_done(ex);
            std::size_t next = 0;
            std::size_t running = std::max<std::size_t>(1, std::min(options_.concurrency, list.size()));
            std::size_t const workers = running;
            for (std::size_t w = 0; w < workers; ++w)
                boost::asio::co_spawn(ex, work(run, list, out, next), [&](std::exception_ptr) {
                    if (--running == 0) all_done.finish(true);
                });
            co_await all_done.wait();
        }
        flush_into(out);
        co_return out;
    }

    /// Every ExternalSecret of the manifests the pipeline was made with.
    boost::asio::awaitable<std::vector<sync_result>> sync_all() { return sync_all(manifests_->external_secrets); }

    /** Forgets a deleted store (eviction): the vault clients only it used, and the cached tokens
        of identities no other store of this pipeline uses. A sync in flight keeps what it holds
        until it ends. `ns` is a SecretStore's namespace (ignored for a ClusterSecretStore).
        Returns how many vault clients were dropped. */
    std::size_t forget_store(spec::store_kind kind, std::string_view ns, std::string_view name) {
        std::string const prefix = store_id(kind, ns, name) + '\n';
        for (auto r = resolutions_.lower_bound(prefix); r != resolutions_.end() && r->first.starts_with(prefix);)
            r = resolutions_.erase(r);
        auto const it = store_vaults_.find(store_id(kind, ns, name));
        if (it == store_vaults_.end()) return 0;
        auto const keys = std::move(it->second);
        store_vaults_.erase(it);
        std::size_t dropped = 0;
        for (auto const& key : keys) {
            bool used = false;
            for (auto const& [other, their] : store_vaults_) used = used || their.count(key) > 0;
            auto v = vaults_.find(key);
            if (used || v == vaults_.end()) continue;
            auth::cache_key const who = v->second->policy.key_for(auth::token_request{});
            vaults_.erase(v);
            ++dropped;
            bool identity_used = false;
            for (auto const& [other_key, other] : vaults_)
                identity_used = identity_used || other->policy.key_for(auth::token_request{}) == who;
            if (!identity_used && !(who.authority.empty() && who.client.empty())) ctx_.cache->forget(who);
        }
        return dropped;
    }

    /// Vault clients held now (`pipeline_stats::vault_clients` counts those ever made).
    std::size_t vault_clients() const noexcept { return vaults_.size(); }

    /** Where stores and Namespace labels are looked up first (a controller's reflector caches):
        a store the source knows costs no request to the API server. See <esx/pipeline/store_source.hpp>. */
    void serve_stores_from(store_source source) { source_ = std::move(source); }

    /** What the caller knows of each target before the sink looks (`sink::target_knowledge`:
        a controller's managed-Secret cache says a target does not exist, or which orphans
        an ExternalSecret left), asked once per sink call. Empty: nothing known. */
    void hint_targets(std::function<sink::target_knowledge(sink::target const&)> hints) { target_hints_ = std::move(hints); }

    /// Kept store resolutions (see `pipeline_options::store_revalidation`).
    std::size_t kept_resolutions() const noexcept { return resolutions_.size(); }

    /// A read cache shared across runs (a controller's); null: none.
    void share_reads(std::shared_ptr<read_cache<Clock>> cache) { shared_reads_ = std::move(cache); }

    /// Tells `observer` of every Key Vault operation of the vault clients made from now on
    /// (`keyvault::client_options::on_call`: a controller's provider-call metric).
    void observe_vault_calls(std::function<void(std::string_view call, bool ok)> observer) {
        options_.vault.on_call = std::move(observer);
    }

    Sink& sink() noexcept { return *sink_; }
    Transport& transport() noexcept { return *transport_; }
    kube_access_type& access() noexcept { return *access_; }
    spec::manifest_set const& manifests() const noexcept { return *manifests_; }
    pipeline_stats const& stats() const noexcept { return stats_; }
    pipeline_options const& options() const noexcept { return options_; }

private:
    // ---- run state --------------------------------------------------------------------------

    /// A policy and the vault client that holds a reference to it; one per (identity, vault).
    struct vault_entry {
        explicit vault_entry(Auth p) : policy(std::move(p)) {}
        Auth policy;
        std::optional<vault_client> client;
    };

    /// A store ready to read: its spec, its identity and its vault client.
    struct store_handle {
        std::shared_ptr<spec::secret_store const> store;  ///< shared with the store source's cache, not copied
        std::string label;  ///< `SecretStore "kv"` for messages
        std::string identity;
        std::shared_ptr<vault_entry> vault;  ///< shared: `forget_store` may drop the map's copy mid-run
        bool use_azure_sdk() const noexcept { return store->spec.provider.use_azure_sdk; }
        vault_client& client() const { return *vault->client; }
    };
    using store_result = result<std::shared_ptr<store_handle>, failure>;

    struct run_state {
        explicit run_state(Clock c) : reads(read_cache_options::for_one_run(), std::move(c)) {}
        read_cache<Clock> reads;
        std::map<std::string, std::shared_ptr<detail::flight<store_result>>> stores;
        std::map<std::string, std::shared_ptr<detail::listing>> listings;
    };

    /// What one entry produced: keys and values, or "the provider has no such object".
    struct entry_answer {
        transform::secret_map map;
        std::optional<failure> missing;
    };
    using entry_result = result<entry_answer, failure>;

    /// The data of one ExternalSecret, with the entry that wrote each key.
    struct produced {
        transform::secret_map data;
        std::map<std::string, std::string> origin;
        std::size_t entries = 0, skipped = 0;
        std::vector<skipped_entry> skipped_entries;  ///< which ones (a controller's MissingProviderSecret events)
    };

    // ---- batch ------------------------------------------------------------------------------

    boost::asio::awaitable<void> work(run_state& run, std::vector<spec::external_secret>& list,
                                      std::vector<sync_result>& out, std::size_t& next) {
        while (next < list.size()) {
            std::size_t const i = next++;
            out[i] = co_await sync_in(run, std::move(list[i]));
            if (options_.on_result) options_.on_result(out[i]);
        }
    }

    void flush_into(std::vector<sync_result>& results) {
        if constexpr (requires(Sink& s) { { s.flush() } -> std::convertible_to<result<void, failure>>; }) {
            result<void, failure> flushed = sink_->flush();
            if (!flushed)
                for (auto& r : results)
                    if (r.ok()) r.error = detail::prefixed("the sink could not write its output", flushed.error());
        }
    }

    // ---- one ExternalSecret -----------------------------------------------------------------

    boost::asio::awaitable<sync_result> sync_in(run_state& run, spec::external_secret es) {
        sync_result out;
        if (es.metadata.namespace_.empty()) es.metadata.namespace_ = options_.default_namespace;
        out.namespace_ = es.metadata.namespace_;
        out.name = es.metadata.name;
        try {
            if (!rt_->status()) {
                out.error = rt_->status().error();
                co_return out;
            }
            auto data = co_await produce(run, es);
            if (!data) {
                out.error = data.error();
                co_return out;
            }
            out.counts.entries = data->entries;
            out.counts.skipped = data->skipped;
            out.counts.keys = data->data.size();
            out.skipped_entries = std::move(data->skipped_entries);
            auto written = co_await deliver(es, std::move(*data));
            if (!written) out.error = written.error();
            else out.outcome = std::move(*written);
        } catch (std::exception const& e) {
            out.error = failure{make_error_code(error::unexpected_exception),
                                std::string("unexpected exception while syncing: ") + e.what()};
        } catch (...) {
            out.error = failure{make_error_code(error::unexpected_exception), "unexpected exception while syncing"};
        }
        co_return out;
    }

    /// ESO's refusals that need no remote data.
    static result<void, failure> check_supported(spec::external_secret const& es) {
        auto const& s = es.spec;
        if (s.target.template_)
            if (auto ok = transform::templating::check_template(*s.target.template_); !ok) return ok.error();
        if (s.data.empty() && s.data_from.empty())
            return detail::spec_failure("spec", "either data or dataFrom should be specified");
        for (std::size_t i = 0; i < s.data_from.size(); ++i) {
            auto const& e = s.data_from[i];
            std::string const at = "spec.dataFrom[" + std::to_string(i) + "]";
            if (e.source && e.source->generator)
                return detail::spec_failure(at + ".sourceRef.generatorRef", "generators are not supported by esx yet");
            if (e.extract && e.find)
                return detail::spec_failure(at, "extract, find, or generatorRef cannot be set at the same time");
            if (!e.extract && !e.find)
                return detail::spec_failure(at, "either extract, find, or sourceRef must be set to dataFrom");
        }
        for (std::size_t i = 0; i < s.data.size(); ++i)
            if (s.data[i].source && s.data[i].source->generator)
                return detail::spec_failure("spec.data[" + std::to_string(i) + "].sourceRef.generatorRef",
                                            "generators are not supported by esx yet");
        return check_duplicate_keys(s);
    }

    boost::asio::awaitable<result<produced, failure>> produce(run_state& run, spec::external_secret const& es) {
        if (auto ok = check_supported(es); !ok) co_return ok.error();
        auto const& s = es.spec;
        bool const skip_missing = s.target.deletion != spec::deletion_policy::retain;
        produced p;
        for (std::size_t i = 0; i < s.data_from.size(); ++i) {
            auto const& e = s.data_from[i];
            std::string label = "spec.dataFrom[" + std::to_string(i) + "]";
            if (e.find) label += ".find";
            else label += ".extract (key: " + e.extract->key + ")";
            auto a = co_await data_from_entry(run, es, i);
            ++p.entries;
            if (!a) co_return detail::prefixed(label, a.error());
            if (a->missing) {
                if (!skip_missing) co_return detail::prefixed(label, std::move(*a->missing));
                ++p.skipped;
                p.skipped_entries.push_back({true, i, std::string()});
                continue;
            }
            for (auto& [k, v] : a->map) {
                p.origin[k] = label;
                p.data.insert_or_assign(k, std::move(v));
            }
        }
        for (std::size_t i = 0; i < s.data.size(); ++i) {
            auto const& d = s.data[i];
            std::string const label = "spec.data[" + std::to_string(i) + "] (key: " + d.remote.key + ")";
            auto a = co_await data_entry(run, es, i);
            ++p.entries;
            if (!a) co_return detail::prefixed(label, a.error());
            if (a->missing) {
                if (!skip_missing) co_return detail::prefixed(label, std::move(*a->missing));
                ++p.skipped;
                p.skipped_entries.push_back({false, i, d.remote.key});
                continue;
            }
            for (auto& [k, v] : a->map) {
                p.origin[k] = label;
                p.data.insert_or_assign(k, std::move(v));
            }
        }
        co_return p;
    }

    /// The target, checked, then the sink.
    boost::asio::awaitable<result<sink::outcome, failure>> deliver(spec::external_secret const& es, produced p) {
        auto const& s = es.spec;
        sink::target t;
        t.namespace_ = es.metadata.namespace_;
        t.name = s.target.name.empty() ? es.metadata.name : s.target.name;
        t.external_secret_name = es.metadata.name;
        t.labels = es.metadata.labels;            // ESO without a template: the ES's own metadata
        t.annotations = es.metadata.annotations;
        t.immutable = s.target.immutable;
        t.creation = s.target.creation;
        t.deletion = s.target.deletion;
        if (s.target.creation == spec::creation_policy::owner) {
            std::string uid = es.metadata.uid;
            if (uid.empty() && options_.owner_from_cluster) uid = co_await uid_in_cluster(es);
            if (!uid.empty()) t.owner = sink::owner_reference{"external-secrets.io/v1", "ExternalSecret", es.metadata.name, uid};
        }
        // ESO decides on deletionPolicy by the provider's data, before any template.
        bool const provider_empty = p.data.empty();
        if (s.target.template_) {
            auto from = co_await template_sources(es);
            if (!from) co_return from.error();
            transform::templating::template_owner const owner{es.metadata.namespace_ + "/" + es.metadata.name,
                                                              es.metadata.generation};
            auto applied =
                transform::templating::apply_template(*s.target.template_, p.data, p.origin, *from, *templates_, owner);
            if (!applied) co_return applied.error();
            t.labels = std::move(applied->labels);  // ESO with a template: the template's metadata only
            t.annotations = std::move(applied->annotations);
            t.finalizers = std::move(applied->finalizers);
            if (applied->type) t.type = *applied->type;
            p.data = std::move(applied->data);
            p.origin = std::move(applied->origin);
        }
        if (auto ok = check_target_data(p.data, p.origin); !ok) co_return ok.error();
        if (auto ok = check_target_type(t.type, t.annotations); !ok) co_return ok.error();
        t.data = std::move(p.data);

        result<sink::outcome, failure> r = failure{};
        if (provider_empty && s.target.deletion == spec::deletion_policy::retain) {
            sink::outcome o;
            o.action = sink::action::retained;
            o.location = t.namespace_ + "/" + t.name;
            o.note = "secret retained due to DeletionPolicy=Retain";
            co_return o;
        }
        sink::apply_options how = options_.apply;
        if (target_hints_) how.known = target_hints_(t);
        if (provider_empty && s.target.deletion == spec::deletion_policy::delete_) {
            r = co_await sink_->remove(std::move(t), how);
        } else {
            r = co_await sink_->apply(std::move(t), how);
        }
        co_return r;
    }

    /// The items `target.template.templateFrom[]` names, from the ExternalSecret's namespace only.
    boost::asio::awaitable<result<std::vector<transform::templating::template_from_items>, failure>>
    template_sources(spec::external_secret const& es) {
        std::vector<transform::templating::template_from_items> out;
        auto const& from = es.spec.target.template_->from;
        std::string const ns = es.metadata.namespace_;
        for (std::size_t i = 0; i < from.size(); ++i) {
            transform::templating::template_from_items items;
            std::string const field = "spec.target.template.templateFrom[" + std::to_string(i) + "]";
            if (from[i].config_map) {
                auto const& cm = *from[i].config_map;
                auto data = co_await access_->config_map_data(ns, cm.name);
                if (!data)
                    co_return detail::prefixed(field + ".configMap: error fetching templateFrom data from ConfigMap " +
                                                   ns + "/" + cm.name,
                                               data.error());
                for (auto const& item : cm.items)
                    if (auto it = data->find(item.key); it != data->end())
                        items.insert_or_assign(item.key, secret_bytes(it->second));
            }
            if (from[i].secret) {
                auto const& sec = *from[i].secret;
                for (auto const& item : sec.items) {
                    auto v = co_await access_->read_secret_key(ns, sec.name, item.key);
                    if (!v)
                        co_return detail::prefixed(field + ".secret: error fetching templateFrom data from Secret " + ns +
                                                       "/" + sec.name,
                                                   v.error());
                    if (*v) items.insert_or_assign(item.key, std::move(**v));
                }
            }
            out.push_back(std::move(items));
        }
        co_return out;
    }

    boost::asio::awaitable<std::string> uid_in_cluster(spec::external_secret const& es) {
        auto c = access_->cluster_client();
        if (!c) co_return std::string();
        auto o = co_await (*c)->get(kube::resources::external_secrets, es.metadata.namespace_, es.metadata.name);
        if (!o) co_return std::string();
        if (auto const* m = o->if_contains("metadata"); m && m->is_object())
            if (auto const* u = m->get_object().if_contains("uid"); u && u->is_string())
                co_return std::string(u->get_string());
        co_return std::string();
    }

    // ---- entries ----------------------------------------------------------------------------

    boost::asio::awaitable<entry_result> data_entry(run_state& run, spec::external_secret const& es, std::size_t i) {
        auto const& d = es.spec.data[i];
        auto store = co_await store_for(run, es, d.source, "spec.data[" + std::to_string(i) + "].sourceRef.storeRef");
        if (!store) co_return store.error();
        auto h = *store;
        auto read = object::visit_by_prefix(
            d.remote.key,
            [&](auto kind, std::string_view name) { return data_value(run, h, kind, std::string(name), d.remote, d.secret_key); },
            Kinds{});
        if (!read) co_return read.error();
        co_return co_await std::move(*read);
    }

    template <class P>
    boost::asio::awaitable<entry_result> data_value(run_state& run, std::shared_ptr<store_handle> h, P kind,
                                                    std::string name, spec::remote_ref ref, std::string secret_key) {
        auto obj = co_await read(run, *h, std::string(P::collection), std::move(name), ref.version);
        if (!obj) co_return missing_or(obj.error());
        result<secret_bytes, failure> value = failure{};
        if (ref.metadata == spec::metadata_policy::fetch) {
            value = transform::fetch_metadata((*obj)->bundle, h->use_azure_sdk(), ref.property);
        } else {
            value = detail::object_value(kind, **obj, h->use_azure_sdk());
            // ESO ignores `property` for certificates (their value is DER, not JSON).
            if (value && !ref.property.empty() && !std::is_same_v<P, object::certificate>) {
                auto at = transform::get_property(value->reveal(), ref.property, ref.key);
                value = std::move(at);
            }
        }
        if (!value) co_return value.error();
        auto decoded = transform::decode(ref.decoding, std::move(*value));
        if (!decoded) co_return decoded.error();
        entry_answer a;
        a.map.emplace(std::move(secret_key), std::move(*decoded));
        if (auto ok = transform::check_null_bytes(ref.null_bytes, a.map); !ok) co_return ok.error();
        co_return a;
    }

    boost::asio::awaitable<entry_result> data_from_entry(run_state& run, spec::external_secret const& es, std::size_t i) {
        auto const& e = es.spec.data_from[i];
        auto store = co_await store_for(run, es, e.source, "spec.dataFrom[" + std::to_string(i) + "].sourceRef.storeRef");
        if (!store) co_return store.error();
        auto h = *store;
        entry_result got = failure{};
        spec::conversion_strategy conversion{};
        spec::decoding_strategy decoding{};
        spec::null_byte_policy null_bytes{};
        if (e.extract) {
            auto const& ref = *e.extract;
            conversion = ref.conversion;
            decoding = ref.decoding;
            null_bytes = ref.null_bytes;
            auto read = object::visit_by_prefix(
                ref.key, [&](auto kind, std::string_view name) { return extract_value(run, h, kind, std::string(name), ref); },
                Kinds{});
            if (!read) co_return read.error();
            got = co_await std::move(*read);
        } else {
            conversion = e.find->conversion;
            decoding = e.find->decoding;
            null_bytes = e.find->null_bytes;
            got = co_await find_values(run, h, *e.find);
        }
        if (!got) co_return got.error();
        if (got->missing) co_return got;
        transform::secret_map map = std::move(got->map);
        if (!e.rewrites.empty()) {
            auto rewritten = transform::apply_rewrites(e.rewrites, std::move(map));
            if (!rewritten) {
                failure f = rewritten.error();
                f.message = "spec.dataFrom[" + std::to_string(i) + "]." + f.what();
                // The caller prefixes the entry again; keep one path.
                co_return f;
            }
            map = std::move(*rewritten);
        } else {
            map = transform::convert_keys(conversion, std::move(map));
        }
        map.erase(std::string());  // ESO drops empty keys ("did not exist upstream")
        if (auto ok = transform::validate_keys(map); !ok) co_return ok.error();
        for (auto& [k, v] : map) {
            auto d = transform::decode(decoding, std::move(v));
            if (!d) co_return detail::prefixed("failure decoding key " + k, d.error());
            v = std::move(*d);
        }
        if (auto ok = transform::check_null_bytes(null_bytes, map); !ok) co_return ok.error();
        entry_answer a;
        a.map = std::move(map);
        co_return a;
    }

    template <class P>
    boost::asio::awaitable<entry_result> extract_value(run_state& run, std::shared_ptr<store_handle> h, P kind,
                                                       std::string name, spec::remote_ref ref) {
        if constexpr (std::is_same_v<P, object::certificate>) {
            co_return failure{make_error_code(error::invalid_option), "cannot get use dataFrom to get certificate secret"};
        } else if constexpr (std::is_same_v<P, object::key>) {
            co_return failure{make_error_code(error::invalid_option), "cannot get use dataFrom to get key secret"};
        } else {
            auto obj = co_await read(run, *h, std::string(P::collection), std::move(name), ref.version);
            if (!obj) co_return missing_or(obj.error());
            entry_answer a;
            if (ref.metadata == spec::metadata_policy::fetch) {
                // ESO's GetSecretMap with Fetch: the tag lookup first (its error counts), then the map.
                auto check = transform::fetch_metadata((*obj)->bundle, h->use_azure_sdk(), ref.property);
                if (!check) co_return check.error();
                auto m = transform::fetch_metadata_map((*obj)->bundle, h->use_azure_sdk(), ref.key, ref.property);
                if (!m) co_return m.error();
                a.map = std::move(*m);
                co_return a;
            }
            auto value = detail::object_value(kind, **obj, h->use_azure_sdk());
            if (!value) co_return value.error();
            if (!ref.property.empty()) {
                auto at = transform::get_property(value->reveal(), ref.property, ref.key);
                if (!at) co_return at.error();
                value = std::move(at);
            }
            auto m = transform::extract_json_object(*value);
            if (!m) co_return m.error();
            a.map = std::move(*m);
            co_return a;
        }
    }

    /// `dataFrom.find`: the vault's enabled secrets whose tags and name match, page by page.
    boost::asio::awaitable<entry_result> find_values(run_state& run, std::shared_ptr<store_handle> h, spec::find_ref find) {
        auto filter = transform::find_filter::make(find);
        if (!filter) co_return filter.error();
        auto l = listing_for(run, *h);
        entry_answer a;
        for (std::size_t index = 0;; ++index) {
            auto page = co_await detail::listing_page(l, index);
            if (!page && page.error() == condition::auth_failed) drop_resolutions_of(h->identity);
            if (!page) co_return missing_or(page.error());
            if (!*page) break;
            for (auto const& item : (*page)->items) {
                if (!filter->matches(item)) continue;
                auto obj = co_await read(run, *h, "secrets", item.name, std::string());
                if (!obj) co_return missing_or(obj.error());
                auto value = detail::object_value(object::secret{}, **obj, h->use_azure_sdk());
                if (!value) co_return value.error();
                a.map.insert_or_assign(item.name, std::move(*value));
            }
        }
        co_return a;
    }

    /// Key Vault's 404 is ESO's NoSecretError: the entry is "missing" (deletionPolicy decides).
    static entry_result missing_or(failure f) {
        if (f == condition::not_found && f.code.category() == http_category()) {
            entry_answer a;
            a.missing = std::move(f);
            return a;
        }
        return f;
    }

    std::shared_ptr<detail::listing> listing_for(run_state& run, store_handle const& h) {
        auto& slot = run.listings[h.identity + '\n' + h.client().endpoint().origin];
        if (!slot) slot = std::make_shared<detail::listing>(h.client().list_secrets_paged(), &stats_.list_pages);
        return slot;
    }

    // ---- reads ------------------------------------------------------------------------------

    boost::asio::awaitable<typename read_cache<Clock>::read_result> read(run_state& run, store_handle const& h,
                                                                         std::string collection, std::string name,
                                                                         std::string version) {
        read_key key{h.identity, h.client().endpoint().origin, collection, detail::ascii_lower(name), version};
        vault_client* client = &h.client();
        auto fetch = [this, client, collection, name, version] { return fetch_object(client, collection, name, version); };
        typename read_cache<Clock>::read_result got = failure{};
        if (shared_reads_) {
            auto shared = shared_reads_;
            auto through = [shared, key, fetch] { return shared->get(key, fetch); };
            got = co_await run.reads.get(std::move(key), through);
        } else {
            got = co_await run.reads.get(std::move(key), fetch);
        }
        if (!got && got.error() == condition::auth_failed) drop_resolutions_of(h.identity);
        co_return got;
    }

    boost::asio::awaitable<typename read_cache<Clock>::read_result> fetch_object(vault_client* client, std::string collection,
                                                                                 std::string name, std::string version) {
        ++stats_.vault_reads;
        auto body = co_await client->get_bundle(std::move(collection), std::move(name), std::move(version));
        if (!body) co_return body.error();
        auto obj = std::make_shared<fetched_object>();
        if (auto* v = body->if_contains("value"); v && v->is_string()) {
            auto& s = v->get_string();
            obj->value = secret_bytes(std::string_view(s.data(), s.size()));
            obj->has_value = true;
            esx::detail::secure_wipe(s.data(), s.size());
        }
        body->erase("value");
        obj->bundle = std::move(*body);
        co_return std::shared_ptr<fetched_object const>(std::move(obj));
    }

    // ---- stores -----------------------------------------------------------------------------

    /// The store an entry reads from, ready, once per (store, namespace) and run.
    boost::asio::awaitable<store_result> store_for(run_state& run, spec::external_secret const& es,
                                                   spec::boxed<spec::source_ref> const& source, std::string source_field) {
        spec::store_ref ref = es.spec.secret_store_ref;
        std::string field = "spec.secretStoreRef";
        if (source && source->store) {
            ref = *source->store;
            field = std::move(source_field);
        }
        if (ref.name.empty())
            co_return detail::spec_failure(field + ".name", "names no store (set spec.secretStoreRef or the entry's sourceRef.storeRef)");
        std::string const& ns = es.metadata.namespace_;
        std::string const key = std::string(spec::to_string(ref.kind)) + '/' + ref.name + '/' + ns;
        auto& slot = run.stores[key];
        if (slot) {
            auto f = slot;
            co_await f->wait();
            co_return f->value();
        }
        auto f = std::make_shared<detail::flight<store_result>>(co_await boost::asio::this_coro::executor);
        slot = f;
        detail::flight_guard<store_result> guard{*f, failure{make_error_code(error::unexpected_exception),
                                                             "resolving the store was abandoned"}};
        store_result r = failure{};
        try {
            r = co_await resolve_store(ref, ns);
        } catch (...) {
            r = failure{make_error_code(error::unexpected_exception), "resolving the store threw an exception"};
        }
        f->finish(r);
        co_return r;
    }

    boost::asio::awaitable<store_result> resolve_store(spec::store_ref ref, std::string ns) {
        ++stats_.stores_resolved;
        bool const cluster = ref.kind == spec::store_kind::cluster_secret_store;
        std::string const label = std::string(spec::to_string(ref.kind)) + " \"" + ref.name + "\"";
        auto found = co_await find_store(ref, ns);
        if (!found) co_return detail::prefixed(label, found.error());
        std::shared_ptr<spec::secret_store const> const store = std::move(*found);
        auto const& provider = store->spec.provider;

        // Who may use it: ESO's namespace rules and a ClusterSecretStore's conditions. Checked
        // on every run, kept resolution or not (a Namespace's labels may change).
        std::map<std::string, std::string> ns_labels{{"kubernetes.io/metadata.name", ns}};
        if (cluster) {
            bool selectors = false;
            for (auto const& c : store->spec.conditions) selectors |= c.namespace_selector.has_value();
            if (selectors) {
                auto labels = co_await namespace_labels(ns);
                if (!labels) co_return detail::prefixed(label, labels.error());
                ns_labels = std::move(*labels);
            }
        }
        if (auto ok = spec::check_store_access(*store, ns, ns_labels); !ok) co_return ok.error();

        // Checked before any credential is read: cloud, vault URL, controller identity.
        auto cloud = auth::cloud_for_store(provider, ctx_.getenv);
        if (!cloud) co_return detail::prefixed(label, cloud.error());
        auto endpoint = keyvault::parse_vault_url(*cloud, provider.vault_url);
        if (!endpoint) co_return detail::prefixed(label, endpoint.error());
        auto const scope = auth::credential_scope::of(*store, ns, ctx_.allow_controller_identity);
        if (auto ok = auth::check_controller_identity(provider, scope); !ok) co_return detail::prefixed(label, ok.error());

        // The credentials: a resolution an earlier run made, while it holds, else read now.
        std::string const kept_key = resolution_key(*store, ref.kind, ns, ref.name);
        auto kept = co_await kept_resolution(kept_key, *store);
        if (kept) co_return std::move(*kept);
        auto made = std::make_shared<resolution>(co_await boost::asio::this_coro::executor);
        made->store = store;
        made->at = clock_.now();
        if (options_.store_revalidation.count() > 0) resolutions_[kept_key] = made;
        detail::flight_guard<store_result> guard{*made->flight, failure{make_error_code(error::unexpected_exception),
                                                                        "resolving the store was abandoned"}};
        std::string const origin = endpoint->origin;
        store_result r = co_await resolve_credentials(ref, ns, store, *cloud, origin, label);
        made->flight->finish(r);
        if (!r) drop_resolution(kept_key, made);  // a failure is not kept: the next run tries again
        co_return r;
    }

    /// The policy (credentials read here) and the vault client of a store that passed its checks.
    boost::asio::awaitable<store_result> resolve_credentials(spec::store_ref ref, std::string ns,
                                                             std::shared_ptr<spec::secret_store const> store,
                                                             esx::cloud cloud, std::string origin, std::string label) {
        ++stats_.credentials_resolved;
        auto const& provider = store->spec.provider;
        // One read of each Secret per resolution (a client id and secret are two keys of one
        // Secret); what it kept is wiped once the policy holds its credential.
        auto ctx = ctx_;
        auto reading = access_->for_one_resolution();
        ctx.kube = reading;
        auto policy = co_await auth::policy_for_store<Auth>(ctx, *store, cloud, ns);
        reading->forget_reads();
        if (!policy) co_return detail::prefixed(label, policy.error());

        std::string identity = detail::identity_of(*policy);
        std::string vault_key = identity + '\n' + origin + '\n' + cloud.authority_host + '\n' + cloud.vault_suffix + '\n' +
                                cloud.vault_resource;
        if (identity.empty()) vault_key = "unkeyed " + std::to_string(unkeyed_++) + '\n' + vault_key;
        auto& entry = vaults_[vault_key];
        if (!entry) {
            auto made = std::make_shared<vault_entry>(std::move(*policy));
            auto c = vault_client::make(made->policy, *transport_, cloud, provider.vault_url, options_.vault);
            if (!c) {
                vaults_.erase(vault_key);
                co_return detail::prefixed(label, c.error());
            }
            made->client.emplace(std::move(*c));
            entry = std::move(made);
            ++stats_.vault_clients;
        }
        if (identity.empty()) identity = "unkeyed policy " + std::to_string(reinterpret_cast<std::uintptr_t>(entry.get()));
        auto h = std::make_shared<store_handle>();
        h->store = store;
        h->label = label;
        h->identity = std::move(identity);
        h->vault = entry;
        store_vaults_[store_id(ref.kind, ns, ref.name)].insert(vault_key);
        co_return h;
    }

    // ---- resolutions kept across runs ------------------------------------------------------------

    /// One store's resolution (for one ExternalSecret namespace where its credentials depend on
    /// it, see `resolution_key`), as an earlier run made it, and what it was made from.
    struct resolution {
        explicit resolution(boost::asio::any_io_executor ex) : flight(std::make_shared<detail::flight<store_result>>(std::move(ex))) {}
        std::shared_ptr<detail::flight<store_result>> flight;  ///< unfinished while a run makes it
        /// The store it was made from: another `metadata.uid` (deleted and made again) or any
        /// change of its spec makes it stale.
        std::shared_ptr<spec::secret_store const> store;
        std::chrono::steady_clock::time_point at{};  ///< when it was made (`Clock::now()`)
    };

    /// Per store, and per ExternalSecret namespace only where the credentials depend on it: a
    /// ClusterSecretStore reference without a namespace is read in the ExternalSecret's
    /// namespace (ESO), so each namespace has its own; with every namespace named, one
    /// resolution serves them all (one credential read instead of one per namespace).
    static std::string resolution_key(spec::secret_store const& store, spec::store_kind kind, std::string_view ns,
                                      std::string_view name) {
        std::string key = store_id(kind, ns, name);
        key += '\n';
        if (kind == spec::store_kind::cluster_secret_store && !credentials_depend_on_namespace(store)) return key += '*';
        return key += ns;
    }

    static bool credentials_depend_on_namespace(spec::secret_store const& store) {
        auto const& p = store.spec.provider;
        auto unnamed = [](auto const& ref) { return ref && (!ref->namespace_ || ref->namespace_->empty()); };
        if (p.auth_secret_ref) {
            auto const& r = *p.auth_secret_ref;
            if (unnamed(r.client_id) || unnamed(r.client_secret) || unnamed(r.client_certificate) || unnamed(r.tenant_id))
                return true;
        }
        return unnamed(p.service_account_ref);
    }

    /// The resolution kept for `key` if it still holds for `store` (waiting for it if a run is
    /// making it now); nothing if there is none, it expired, the store changed or it failed.
    boost::asio::awaitable<std::optional<store_result>> kept_resolution(std::string const& key, spec::secret_store const& store) {
        auto const it = resolutions_.find(key);
        if (it == resolutions_.end()) co_return std::nullopt;
        std::shared_ptr<resolution> const r = it->second;
        // The same object (a cache that did not change), or an equal spec of the same store.
        bool const same = r->store.get() == &store ||
                          (r->store->metadata.uid == store.metadata.uid && r->store->spec == store.spec);
        bool const fresh = !r->flight->finished() || clock_.now() - r->at < options_.store_revalidation;
        if (!same || !fresh) {
            resolutions_.erase(it);
            co_return std::nullopt;
        }
        co_await r->flight->wait();
        store_result const& v = r->flight->value();
        if (!v) co_return std::nullopt;  // that run failed (and dropped it): this one tries itself
        co_return v;
    }

    void drop_resolution(std::string const& key, std::shared_ptr<resolution> const& which) {
        auto const it = resolutions_.find(key);
        if (it != resolutions_.end() && it->second == which) resolutions_.erase(it);
    }

    /// Azure refused `identity`'s credential: every kept resolution using it goes, so that the
    /// next run reads the credential again (a rotated Secret is picked up at once).
    void drop_resolutions_of(std::string const& identity) {
        for (auto it = resolutions_.begin(); it != resolutions_.end();) {
            auto const& f = *it->second->flight;
            if (f.finished() && f.value() && (*f.value())->identity == identity) {
                it = resolutions_.erase(it);
                ++stats_.resolutions_dropped;
            } else {
                ++it;
            }
        }
    }

    /// A Namespace's labels: from the store source (a controller's cache), else the manifests or the cluster.
    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>> namespace_labels(std::string ns) {
        if (source_.namespace_labels) {
            if (auto known = source_.namespace_labels(ns)) {
                (*known)["kubernetes.io/metadata.name"] = ns;
                co_return std::move(*known);
            }
        }
        co_return co_await access_->namespace_labels(std::move(ns));
    }

    /// A store as `forget_store` names it: a ClusterSecretStore by name, a SecretStore by namespace and name.
    static std::string store_id(spec::store_kind kind, std::string_view ns, std::string_view name) {
        std::string id(spec::to_string(kind));
        id += '/';
        if (kind == spec::store_kind::secret_store) (id += ns) += '/';
        return id += name;
    }

    /// The store's spec: from the store source (a controller's caches), else the manifests,
    /// else the cluster.
    boost::asio::awaitable<result<std::shared_ptr<spec::secret_store const>, failure>> find_store(spec::store_ref ref,
                                                                                                  std::string ns) {
        bool const cluster = ref.kind == spec::store_kind::cluster_secret_store;
        if (source_.find) {
            std::string_view const in_namespace = cluster ? std::string_view() : std::string_view(ns);
            if (auto known = source_.find(ref.kind, in_namespace, ref.name)) co_return known;
        }
        for (auto const& s : manifests_->stores)
            if (s.kind == ref.kind && s.metadata.name == ref.name && (cluster || s.metadata.namespace_ == ns))
                co_return std::make_shared<spec::secret_store const>(s);
        auto c = access_->cluster_client();
        std::string where;
        if (!cluster) where = " in namespace \"" + ns + "\"";
        if (!c)
            co_return failure{make_error_code(error::invalid_option),
                              "not found in the manifests" + where + ", and " + c.error().what()};
        auto const& resource = cluster ? kube::resources::cluster_secret_stores : kube::resources::secret_stores;
        // Named, not `cluster ? std::string() : ns` inside the co_await: g++ 12 miscompiles
        // temporaries in a conditional there.
        std::string const in_namespace = cluster ? std::string() : ns;
        auto o = co_await (*c)->get(resource, in_namespace, ref.name);
        if (!o) {
            failure f = o.error();
            f.message = "not found in the manifests" + where + ", and could not get it from the cluster: " + f.what();
            co_return f;
        }
        boost::json::value doc(std::move(*o));
        auto parsed = spec::parse_as<spec::secret_store>(doc);
        if (!parsed) co_return detail::prefixed("the cluster's copy is not valid", parsed.error());
        co_return std::make_shared<spec::secret_store const>(std::move(*parsed));
    }

    runtime* rt_;
    std::shared_ptr<Sink> sink_;
    std::shared_ptr<Transport> transport_;
    pipeline_options options_;
    Clock clock_;
    std::shared_ptr<spec::manifest_set const> manifests_;
    std::shared_ptr<kube_access_type> access_;
    auth::store_auth_context<kube_access_type> ctx_;
    std::map<std::string, std::shared_ptr<vault_entry>> vaults_;
    std::map<std::string, std::set<std::string>> store_vaults_;  ///< store_id -> the vault_keys it used
    std::map<std::string, std::shared_ptr<resolution>> resolutions_;  ///< resolution_key -> kept across runs
    store_source source_;
    std::function<sink::target_knowledge(sink::target const&)> target_hints_;
    std::uint64_t unkeyed_ = 0;
    std::shared_ptr<read_cache<Clock>> shared_reads_;
    std::shared_ptr<transform::templating::template_cache> templates_;  ///< compiled templates, per ES generation
    pipeline_stats stats_;
};

} // namespace esx

#endif
