// esx::controller: the ClusterExternalSecret reconciler (ESO's pkg/controllers/clusterexternalsecret).
//
// One ExternalSecret per selected namespace, named `externalSecretName` (else the CES's name),
// with `externalSecretMetadata`'s labels and annotations (ESO sets no others), the CES's
// `external-secrets.io/force-sync` annotation mirrored, the CES's `externalSecretSpec`, and a
// controller ownerReference to the CES (so the API server's garbage collector removes them with
// it). A namespace is selected by `namespaces[]` (by name), the deprecated `namespaceSelector`
// or any of `namespaceSelectors[]` (label selectors: matchLabels and matchExpressions), ORed, as
// ESO's `GetTargetNamespaces`; a terminating namespace is skipped. (ESO's CES has no
// `namespaceRegexes`: those belong to ClusterSecretStore `conditions`, see <esx/spec/conditions.hpp>.)
//
// Per reconcile, in ESO's order and with its texts:
// - the finalizer `externalsecrets.external-secrets.io/clusterexternalsecret-cleanup` is added;
//   on deletion the owned ExternalSecrets of `status.provisionedNamespaces` are deleted and the
//   finalizer removed;
// - a renamed `externalSecretName` deletes the ExternalSecrets of the old name;
// - namespaces no longer selected lose the ExternalSecret (only one this CES owns);
// - an ExternalSecret of that name this CES does not own is left alone and the namespace fails
//   with `external secret already exists in namespace`; other failures read
//   `could not create or update ExternalSecret: ...`;
// - status: `externalSecretName`, `provisionedNamespaces` (sorted), `failedNamespaces`
//   (`{namespace, reason}`, sorted), condition `Ready` `True`, or `False` with
//   `one or more namespaces failed`; written (one merge patch) only when it changes. A child is
//   written only when its labels, annotations, owner or spec differ, so a steady state writes
//   nothing.
//
// Namespaces are listed once per reconcile. The controller re-queues every ClusterExternalSecret
// when a Namespace is added, deleted or relabelled (there are few of them; ESO maps namespace
// events through the selectors, which misses a namespace that stopped matching). ESO's
// per-namespace finalizers (`externalsecrets.external-secrets.io/ces-<name>` on Namespaces) are
// not written: ownership and the CES finalizer do the cleanup without write access to Namespaces.
//
// Use from the controller's executor (one strand), like the cache it reads.
#ifndef ESX_CONTROLLER_CLUSTER_EXTERNAL_SECRET_HPP
#define ESX_CONTROLLER_CLUSTER_EXTERNAL_SECRET_HPP

#include <esx/config.hpp>
#include <esx/controller/detail/store_status.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/refresh.hpp>  // force_sync_annotation_eso
#include <esx/controller/work_queue.hpp>
#include <esx/failure.hpp>
#include <esx/kube/client.hpp>
#include <esx/kube/resource.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/spec/json.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace esx::controller {

inline constexpr std::string_view ces_finalizer = "externalsecrets.external-secrets.io/clusterexternalsecret-cleanup";

struct cluster_external_secret_options {
    /// Refresh when the CES sets no `refreshTime` (ESO's controller default, 1 hour).
    std::chrono::nanoseconds requeue_interval = std::chrono::hours(1);
};

/// Counters for tests and metrics.
struct cluster_external_secret_stats {
    std::uint64_t namespace_lists = 0;
    std::uint64_t created = 0, updated = 0, deleted = 0;  ///< child ExternalSecrets
    std::uint64_t status_writes = 0, finalizer_writes = 0;
};

/// A CES's `status` as esx compares it.
struct cluster_external_secret_status {
    std::string external_secret_name;
    std::vector<std::string> provisioned_namespaces;                      ///< sorted
    std::vector<std::pair<std::string, std::string>> failed_namespaces;  ///< (namespace, reason), sorted
    std::optional<spec::status_condition> ready;
    friend bool operator==(cluster_external_secret_status const&, cluster_external_secret_status const&) = default;
};

/// A namespace as the selectors see it.
struct namespace_info {
    std::string name;
    std::map<std::string, std::string> labels;
    bool terminating = false;
};

namespace detail {

/// Whether `ces` selects namespace `ns` with `labels` (ESO's `GetTargetNamespaces`).
ESX_DECL bool selects(spec::cluster_external_secret_spec const& ces, std::string_view ns,
                      std::map<std::string, std::string> const& labels);

/// The namespace items of a list page.
ESX_DECL std::vector<namespace_info> namespaces_of(boost::json::array const& items);

/// `status` of a ClusterExternalSecret document's `status` value (lenient: what is not
/// understood is left empty).
ESX_DECL cluster_external_secret_status read_ces_status(boost::json::value const* status);

/// The merge patch `{"status": ...}` that makes the server's status `s` (empty lists as null).
ESX_DECL boost::json::object ces_status_patch(cluster_external_secret_status const& s);

/// True if `es` (a document) has a controller ownerReference to the ClusterExternalSecret `ces_name`.
ESX_DECL bool owned_by_ces(boost::json::object const& es, std::string_view ces_name);

/// The child ExternalSecret of `ces` in `ns` named `name`, as a whole document.
ESX_DECL boost::json::object child_external_secret(spec::cluster_external_secret const& ces, std::string_view ns,
                                                   std::string_view name);

/// True if `existing` (a document) already has what `ces` wants of its child (labels,
/// annotations, controller owner, spec).
ESX_DECL bool child_up_to_date(boost::json::object const& existing, spec::cluster_external_secret const& ces);

/// `existing` with `desired`'s labels, annotations, spec and controller owner (other owners kept).
ESX_DECL boost::json::object child_updated(boost::json::object existing, boost::json::object const& desired);

} // namespace detail

/** The ClusterExternalSecret reconciler: a `reconciler` of the worker pool for CES keys (cluster
    scoped: `name`), reading CESs from the reflector's cache and writing through `Client`.
    Cheap to copy (one shared state).
    @tparam Client `kube::client<...>` */
template <class Client = kube::client<>>
class basic_cluster_external_secret_reconciler {
public:
    using cache_type = object_cache<spec::cluster_external_secret>;

    basic_cluster_external_secret_reconciler(std::shared_ptr<Client> kube, cache_type const& cache,
                                             cluster_external_secret_options o)
        : s_(std::make_shared<state>(std::move(kube), cache, std::move(o))) {}
    basic_cluster_external_secret_reconciler(std::shared_ptr<Client> kube, cache_type const& cache)
        : basic_cluster_external_secret_reconciler(std::move(kube), cache, cluster_external_secret_options{}) {}

    template <class Item>
        requires requires(Item i) { { i.key } -> std::convertible_to<object_key>; }
    boost::asio::awaitable<sync_outcome> operator()(Item item) {
        return reconcile(object_key(std::move(item.key)));
    }

    boost::asio::awaitable<sync_outcome> reconcile(object_key key) { return reconcile_in(s_, std::move(key)); }

    /// The status last read or written for the CES under `key`, if any.
    std::optional<cluster_external_secret_status> status_of(object_key const& key) const {
        auto it = s_->records.find(key);
        if (it == s_->records.end() || !it->second.status_known) return std::nullopt;
        return it->second.status;
    }

    cluster_external_secret_stats const& stats() const noexcept { return s_->stats; }

private:
    struct record {
        std::string uid;
        bool status_known = false;
        cluster_external_secret_status status;
    };

    struct state {
        state(std::shared_ptr<Client> k, cache_type const& c, cluster_external_secret_options o)
            : kube(std::move(k)), cache(&c), options(std::move(o)) {}

        boost::asio::awaitable<result<std::vector<namespace_info>, failure>> list_namespaces() {
            std::vector<namespace_info> out;
            kube::list_options o;
            for (;;) {
                ++stats.namespace_lists;
                auto page = co_await kube->list(kube::resources::namespaces, "", o);
                if (!page) co_return page.error();
                auto more = detail::namespaces_of(page->items);
                for (auto& n : more) out.push_back(std::move(n));
                if (page->continue_token.empty()) break;
                o.continue_token = std::move(page->continue_token);
            }
            co_return out;
        }

        /// Creates the child in `ns`, or updates it when it differs; refuses one it does not own.
        boost::asio::awaitable<result<void, failure>> apply_child(spec::cluster_external_secret const& ces,
                                                                  std::string es_name, std::string ns) {
            auto existing = co_await kube->get(kube::resources::external_secrets, ns, es_name);
            if (!existing && !(existing.error() == condition::not_found)) {
                failure f = existing.error();
                f.message = "could not get existing ExternalSecret: " + f.what();
                co_return f;
            }
            if (existing && !detail::owned_by_ces(*existing, ces.metadata.name))
                co_return failure{make_error_code(error::invalid_option), "external secret already exists in namespace"};
            auto desired = detail::child_external_secret(ces, ns, es_name);
            if (!existing) {
                auto made = co_await kube->create(kube::resources::external_secrets, ns, desired);
                if (!made) co_return wrapped(made.error());
                ++stats.created;
                co_return result<void, failure>{};
            }
            if (detail::child_up_to_date(*existing, ces)) co_return result<void, failure>{};
            auto body = detail::child_updated(std::move(*existing), desired);
            auto put = co_await kube->replace(kube::resources::external_secrets, ns, es_name, body);
            if (!put) co_return wrapped(put.error());
            ++stats.updated;
            co_return result<void, failure>{};
        }

        static failure wrapped(failure f) {
            f.message = "could not create or update ExternalSecret: " + f.what();
            return f;
        }

        /// Deletes `es_name` in `ns` if this CES owns it; gone or not ours is success.
        boost::asio::awaitable<result<void, failure>> delete_owned(std::string es_name, std::string ces_name, std::string ns) {
            auto existing = co_await kube->get(kube::resources::external_secrets, ns, es_name);
            if (!existing) {
                if (existing.error() == condition::not_found) co_return result<void, failure>{};
                co_return existing.error();
            }
            if (!detail::owned_by_ces(*existing, ces_name)) co_return result<void, failure>{};
            kube::delete_options o;
            kube::delete_preconditions pre;
            if (auto const* m = existing->if_contains("metadata"); m && m->is_object())
                if (auto const* uid = m->as_object().if_contains("uid"); uid && uid->is_string())
                    pre.uid = std::string(uid->as_string());
            o.preconditions = pre;
            auto gone = co_await kube->remove(kube::resources::external_secrets, ns, es_name, o);
            if (!gone && !(gone.error() == condition::not_found)) co_return gone.error();
            ++stats.deleted;
            co_return result<void, failure>{};
        }

        /// On deletion: the owned children of every provisioned namespace.
        boost::asio::awaitable<result<void, failure>> cleanup(spec::cluster_external_secret const& ces,
                                                              cluster_external_secret_status const& status) {
            std::string const es_name = status.external_secret_name.empty() ? ces.metadata.name
                                                                             : status.external_secret_name;
            result<void, failure> out;
            for (auto const& ns : status.provisioned_namespaces) {
                auto gone = co_await delete_owned(es_name, ces.metadata.name, ns);
                if (!gone) out = gone.error();
            }
            co_return out;
        }

        /// Adds or removes the CES finalizer: a merge patch conditional on the cached resourceVersion.
        boost::asio::awaitable<result<void, failure>> set_finalizer(spec::cluster_external_secret const& ces, bool add) {
            boost::json::array list;
            for (auto const& f : ces.metadata.finalizers)
                if (f != ces_finalizer) list.emplace_back(f);
            if (add) list.emplace_back(ces_finalizer);
            boost::json::object meta{{"finalizers", std::move(list)}};
            if (!ces.metadata.resource_version.empty()) meta["resourceVersion"] = ces.metadata.resource_version;
            boost::json::value const body = boost::json::object{{"metadata", std::move(meta)}};
            ++stats.finalizer_writes;
            auto patched = co_await kube->patch(kube::resources::cluster_external_secrets, "", ces.metadata.name,
                                                kube::patch_type::merge, body);
            if (!patched) co_return patched.error();
            co_return result<void, failure>{};
        }

        /// Completes `next` (failures, condition) and writes it if it differs from what the
        /// server holds.
        boost::asio::awaitable<result<void, failure>> finish(object_key key, spec::cluster_external_secret const& ces,
                                                             cluster_external_secret_status next,
                                                             std::map<std::string, std::string> const& failed) {
            for (auto const& [ns, why] : failed) next.failed_namespaces.emplace_back(ns, why);
            spec::status_condition ready;
            ready.type = "Ready";
            ready.status = failed.empty() ? "True" : "False";
            if (!failed.empty()) ready.message = "one or more namespaces failed";
            next.ready = std::move(ready);
            if (records[key].status == next) co_return result<void, failure>{};
            boost::json::value const body = detail::ces_status_patch(next);
            ++stats.status_writes;
            auto patched = co_await kube->patch_status(kube::resources::cluster_external_secrets, "", ces.metadata.name,
                                                       kube::patch_type::merge, body);
            if (!patched) {
                records[key].status_known = false;
                co_return patched.error();
            }
            records[key].status = std::move(next);
            co_return result<void, failure>{};
        }

        std::shared_ptr<Client> kube;
        cache_type const* cache;
        cluster_external_secret_options options;
        std::unordered_map<object_key, record> records;
        cluster_external_secret_stats stats;
    };

    /// The coroutine behind `reconcile`: it holds the state itself, not `this` (the reconciler a
    /// caller awaited through may be a copy that is gone before the coroutine ends).
    static boost::asio::awaitable<sync_outcome> reconcile_in(std::shared_ptr<state> s, object_key key) {
        auto const found = s->cache->find(key);
        if (!found) {
            s->records.erase(key);  // deleted: the garbage collector removes the owned children
            co_return sync_outcome::synced(std::nullopt);
        }
        auto const& ces = *found;
        {
            auto& rec = s->records[key];
            if (rec.uid != ces.metadata.uid) {
                rec = record{};
                rec.uid = ces.metadata.uid;
            }
        }
        if (!s->records[key].status_known) {
            auto current = co_await s->kube->get(kube::resources::cluster_external_secrets, "", ces.metadata.name);
            if (!current) {
                if (current.error() == condition::not_found) co_return sync_outcome::synced(std::nullopt);
                co_return sync_outcome::retryable_failure();
            }
            auto& rec = s->records[key];
            rec.status = detail::read_ces_status(current->if_contains("status"));
            rec.status_known = true;
        }
        cluster_external_secret_status const before = s->records[key].status;

        bool const has_finalizer = std::find(ces.metadata.finalizers.begin(), ces.metadata.finalizers.end(),
                                             ces_finalizer) != ces.metadata.finalizers.end();
        if (ces.metadata.deletion_timestamp) {
            auto cleaned = co_await s->cleanup(ces, before);
            if (!cleaned) co_return sync_outcome::retryable_failure();
            if (has_finalizer) {
                auto removed = co_await s->set_finalizer(ces, false);
                if (!removed && !(removed.error() == condition::not_found)) co_return sync_outcome::retryable_failure();
            }
            s->records.erase(key);
            co_return sync_outcome::synced(std::nullopt);
        }
        if (!has_finalizer) {
            auto added = co_await s->set_finalizer(ces, true);
            if (!added) co_return sync_outcome::retryable_failure();
        }

        std::string const es_name = ces.spec.external_secret_name.empty() ? ces.metadata.name
                                                                          : ces.spec.external_secret_name;
        cluster_external_secret_status next;
        next.external_secret_name = es_name;
        std::map<std::string, std::string> failed;

        if (!before.external_secret_name.empty() && before.external_secret_name != es_name) {
            for (auto const& ns : before.provisioned_namespaces) {
                auto gone = co_await s->delete_owned(before.external_secret_name, ces.metadata.name, ns);
                if (!gone) failed[ns] = gone.error().what();
            }
            if (!failed.empty()) {
                next.provisioned_namespaces = before.provisioned_namespaces;
                auto w = co_await s->finish(key, ces, std::move(next), failed);
                (void)w;
                co_return sync_outcome::retryable_failure();
            }
        }

        auto listed = co_await s->list_namespaces();
        if (!listed) {
            failed["unknown"] = "failed to list namespaces: " + listed.error().what();
            next.external_secret_name = es_name;
            next.provisioned_namespaces = before.provisioned_namespaces;
            auto w = co_await s->finish(key, ces, std::move(next), failed);
            (void)w;
            co_return sync_outcome::retryable_failure();
        }

        std::set<std::string> selected;
        std::vector<std::string> targets;
        for (auto const& n : *listed) {
            if (!detail::selects(ces.spec, n.name, n.labels)) continue;
            selected.insert(n.name);
            if (!n.terminating) targets.push_back(n.name);
        }
        for (auto const& ns : before.provisioned_namespaces) {
            if (selected.count(ns)) continue;
            auto gone = co_await s->delete_owned(es_name, ces.metadata.name, ns);
            if (!gone)
                failed[ns] = "external secret in non matching namespace could not be deleted: " + gone.error().what();
        }
        bool conflict = false;
        for (auto const& ns : targets) {
            auto applied = co_await s->apply_child(ces, es_name, ns);
            if (!applied) {
                conflict = conflict || applied.error() == condition::conflict;
                failed[ns] = applied.error().what();
                continue;
            }
            next.provisioned_namespaces.push_back(ns);
        }
        std::sort(next.provisioned_namespaces.begin(), next.provisioned_namespaces.end());
        auto written = co_await s->finish(key, ces, std::move(next), failed);
        if (!written || conflict) co_return sync_outcome::retryable_failure();
        auto every = s->options.requeue_interval;
        if (ces.spec.refresh_time && ces.spec.refresh_time->count() > 0) every = *ces.spec.refresh_time;
        co_return sync_outcome::synced(every);
    }

    std::shared_ptr<state> s_;
};

using cluster_external_secret_reconciler = basic_cluster_external_secret_reconciler<>;

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/cluster_external_secret.ipp>
#endif

#endif
