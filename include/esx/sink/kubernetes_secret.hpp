// esx::sink::kubernetes_secret: the target becomes a Kubernetes Secret, as ESO writes it.
#ifndef ESX_SINK_KUBERNETES_SECRET_HPP
#define ESX_SINK_KUBERNETES_SECRET_HPP

#include <esx/kube/client.hpp>
#include <esx/sink/concept.hpp>
#include <esx/sink/detail/secret_json.hpp>
#include <esx/sink/detail/secret_model.hpp>
#include <esx/sink/error.hpp>
#include <esx/transform/hash.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace esx::sink {

struct kubernetes_secret_options {
    /// With creationPolicy Owner, delete the Secrets this ExternalSecret created under another
    /// name before (label `created-by`, as ESO's `deleteOrphanedSecrets`). Costs one LIST of
    /// Secrets per apply and needs `list` on Secrets.
    bool delete_orphans = true;
    /// Conditional writes tried before giving up when the Secret keeps changing (409 Conflict).
    int conflict_attempts = 3;
};

/** Writes targets as `v1` Secrets through an `esx::kube::client`, with ESO's semantics
    (`pkg/controllers/externalsecret/externalsecret_controller.go`, v2.9):

    - `creationPolicy` Owner (create or update, our controller ownerReference when
      `target.owner` is set, label `reconcile.external-secrets.io/created-by`), Orphan (create
      or update, our ownerReference removed), Merge (update only: existing keys kept; no Secret
      -> `skipped`, "secret will not be created due to CreationPolicy=Merge"), CreateOrMerge
      (create, or update keeping existing keys), None (nothing read or written: `skipped`).
    - Every write carries label `reconcile.external-secrets.io/managed=true` and annotation
      `reconcile.external-secrets.io/data-hash`, `target.labels`/`annotations`, `type` and
      `immutable`; writes are made under ESO's field manager
      (`externalsecrets.external-secrets.io/<es-name>`, sha3 form past 63 characters), so
      the keys this ExternalSecret wrote before are found in `managedFields` and removed when
      it stops producing them (the same bookkeeping ESO uses: a Secret ESO wrote is taken
      over without a rewrite, and the other way round).
    - Nothing is written when the resulting Secret equals the live one (`unchanged`).
    - Writes are whole objects and conditional: create for a new Secret, update with the
      `resourceVersion` read for an existing one; a 409 Conflict re-reads and retries, at most
      `conflict_attempts` times in all. A failed write leaves the Secret as it was; esx never
      writes part of a change (ESO writes the metadata of an immutable Secret before failing;
      esx does not).
    - Failures: `error::owned_by_another_external_secret`, `error::cannot_take_ownership`,
      `error::target_immutable`, `error::type_immutable`, `error::conflict_retries_exhausted`,
      or the API server's own (with "could not update secret: " in front).
    - `remove`: Retain -> `retained`; Merge -> `apply` with no data; Delete -> deletes the
      Secret (conditionally on its uid and resourceVersion) when creationPolicy is Owner and
      the Secret belongs to this ExternalSecret (`detail::belongs_to`), else
      `error::delete_not_allowed` with ESO's wording.
    - A dry run reads, computes and reports; it writes (and deletes) nothing.
    - What the caller knows (`apply_options::known`, a controller's cache of managed Secrets)
      saves reads: a target known absent is created without a GET (Owner, Orphan; a 409
      AlreadyExists falls back to the read), known orphans are deleted without the LIST, and a
      target known to be as this sink left it (`unchanged_since`: same fingerprint, same data
      hash, no write since) is `unchanged` without a GET, so a refresh with nothing changed
      reads nothing from the API server.

    The client is shared (`std::shared_ptr`) or borrowed (a reference that must outlive the
    sink). Use the sink on the client's executor.
*/
template <class Kube = kube::client<>>
class kubernetes_secret {
public:
    using policy_kind = tag;
    using client_type = Kube;
    template <class T>
    using awaitable = boost::asio::awaitable<T>;

    explicit kubernetes_secret(Kube& client) : kubernetes_secret(borrow(client), kubernetes_secret_options{}) {}
    kubernetes_secret(Kube& client, kubernetes_secret_options o) : kubernetes_secret(borrow(client), o) {}
    explicit kubernetes_secret(std::shared_ptr<Kube> client)
        : kubernetes_secret(std::move(client), kubernetes_secret_options{}) {}
    kubernetes_secret(std::shared_ptr<Kube> client, kubernetes_secret_options o)
        : client_(std::move(client)), options_(o) {}

    Kube& client() noexcept { return *client_; }

    awaitable<result<outcome, failure>> apply(target t, apply_options o) {
        outcome out;
        out.location = detail::describe(t);
        if (t.creation == spec::creation_policy::none) {
            out.action = action::skipped;
            out.note = "secret creation skipped due to CreationPolicy=None";
            out.data_hash = transform::data_hash(t.data);
            out.keys = detail::keys_of(t.data);
            co_return out;
        }
        std::string const manager = detail::field_manager(t.external_secret_name);
        if (t.creation == spec::creation_policy::owner && options_.delete_orphans && !o.dry_run) {
            // Not `known ? co_await a : co_await b`: g++ 12 miscompiles co_await in a conditional.
            result<void, failure> cleaned;
            if (o.known.orphans) cleaned = co_await delete_known_orphans(t, *o.known.orphans);
            else cleaned = co_await delete_orphans(t);
            if (!cleaned) co_return cleaned.error();
        }
        auto const fingerprint = detail::fingerprint_of(t);
        if (auto const& left = o.known.unchanged_since; left && !o.dry_run && left->fingerprint == fingerprint) {
            auto hash = transform::data_hash(t.data);
            if (hash == left->data_hash) {  // the Secret holds exactly this data, as it was left: no read
                out.action = action::unchanged;
                out.data_hash = std::move(hash);
                out.keys = detail::keys_of(t.data);
                out.version = left->version;
                out.fingerprint = fingerprint;
                co_return out;
            }
        }
        // The caller's cache says there is no such Secret: create without reading first (Owner
        // and Orphan create whatever is there; Merge and CreateOrMerge must see the live keys;
        // a dry run writes nothing, so no 409 would correct a wrong hint: it reads).
        bool trust_absent = o.known.absent && !o.dry_run &&
                            (t.creation == spec::creation_policy::owner || t.creation == spec::creation_policy::orphan);
        int const attempts = options_.conflict_attempts < 1 ? 1 : options_.conflict_attempts;
        for (int attempt = 1;; ++attempt) {
            result<live_secret, failure> live = live_secret{};
            if (!trust_absent) live = co_await read(t);
            if (!live) co_return live.error();
            auto plan = detail::plan_write(live->model ? &*live->model : nullptr, live->mine, t);
            if (!plan) co_return plan.error();
            out = detail::outcome_of(*plan, t);
            if (plan->action == action::unchanged && !o.dry_run) {
                out.version = text_at(live->object, "resourceVersion");
                out.fingerprint = fingerprint;
            }
            if (plan->action == action::skipped || plan->action == action::unchanged || o.dry_run) co_return out;

            auto body = detail::secret_to_json(plan->secret, std::move(live->object));
            kube::write_options w;
            w.field_manager = manager;
            awaitable<result<boost::json::object, failure>> write =
                live->model ? client_->replace(kube::resources::secrets, t.namespace_, t.name, body, w)
                            : client_->create(kube::resources::secrets, t.namespace_, body, w);
            detail::wipe_data(body);
            auto written = co_await std::move(write);
            if (written) {
                detail::wipe_data(*written);
                out.version = text_at(*written, "resourceVersion");
                out.fingerprint = fingerprint;
                co_return out;
            }
            failure f = written.error();
            if (trust_absent && f == condition::conflict) {
                // AlreadyExists: the cache did not know it (no managed label, or made meanwhile).
                // Read it and write as usual; this attempt does not count as a conflict.
                trust_absent = false;
                --attempt;
                continue;
            }
            if (f == condition::conflict) {
                if (attempt < attempts) continue;
                co_return failure(make_error_code(error::conflict_retries_exhausted),
                                  "could not update secret: " + detail::describe(t) + " changed during each of " +
                                      std::to_string(attempts) + " conditional writes (409 Conflict)",
                                  f.reason);
            }
            f.message = "could not update secret: " + detail::describe(t) + ": " + f.what();
            co_return f;
        }
    }

    awaitable<result<outcome, failure>> remove(target t, apply_options o) {
        outcome out;
        out.location = detail::describe(t);
        if (t.deletion == spec::deletion_policy::retain) {
            out.action = action::retained;
            out.note = "secret retained due to DeletionPolicy=Retain";
            co_return out;
        }
        if (t.deletion == spec::deletion_policy::merge) {
            target emptied = std::move(t);
            emptied.data.clear();
            auto merged = co_await apply(std::move(emptied), o);
            co_return merged;
        }
        if (auto allowed = detail::check_delete_allowed(t); !allowed) co_return allowed.error();
        int const attempts = options_.conflict_attempts < 1 ? 1 : options_.conflict_attempts;
        for (int attempt = 1;; ++attempt) {
            auto live = co_await read(t);
            if (!live) co_return live.error();
            if (!live->model) {
                out.action = action::deleted;
                out.note = "secret deleted due to DeletionPolicy=Delete (it did not exist)";
                co_return out;
            }
            if (!detail::belongs_to(*live->model, t)) co_return detail::not_ours(t);
            out.action = action::deleted;
            out.note = "secret deleted due to DeletionPolicy=Delete";
            out.keys = detail::keys_of(live->model->data);
            out.data_hash = transform::data_hash(live->model->data);
            if (o.dry_run) co_return out;
            kube::delete_options d;
            d.preconditions = kube::delete_preconditions{text_at(live->object, "uid"), text_at(live->object, "resourceVersion")};
            auto gone = co_await client_->remove(kube::resources::secrets, t.namespace_, t.name, d);
            if (gone || gone.error() == condition::not_found) co_return out;
            failure f = gone.error();
            if (f == condition::conflict && attempt < attempts) continue;
            f.message = "could not delete secret: " + detail::describe(t) + ": " + f.what();
            co_return f;
        }
    }

private:
    struct live_secret {
        boost::json::object object;                // as read (empty when absent)
        std::optional<detail::secret_model> model;  // unset when absent
        detail::managed_keys mine;
    };

    static std::shared_ptr<Kube> borrow(Kube& k) { return std::shared_ptr<Kube>(std::shared_ptr<Kube>(), &k); }

    static std::string text_at(boost::json::object const& o, std::string_view key) {
        auto const* meta = o.if_contains("metadata");
        auto const* v = meta && meta->is_object() ? meta->as_object().if_contains(key) : nullptr;
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    }

    awaitable<result<live_secret, failure>> read(target const& t) {
        live_secret live;
        auto got = co_await client_->get(kube::resources::secrets, t.namespace_, t.name);
        if (!got) {
            if (got.error() == condition::not_found) co_return live;
            failure f = got.error();
            f.message = "could not read " + detail::describe(t) + ": " + f.what();
            co_return f;
        }
        auto model = detail::secret_from_json(*got);
        if (!model) {
            detail::wipe_data(*got);
            co_return model.error();
        }
        live.mine = detail::managed_keys_from_json(*got, detail::field_manager(t.external_secret_name));
        detail::wipe_data(*got);
        live.model = std::move(*model);
        live.object = std::move(*got);
        co_return live;
    }

    // The same with the Secrets the caller's cache gave: no LIST. Each is deleted only if it is
    // still at the version the cache saw: one changed since (recreated by someone else, say)
    // answers 409 and stays; the next sync sees it as it is now.
    awaitable<result<void, failure>> delete_known_orphans(target const& t,
                                                          std::vector<target_knowledge::orphan> const& known) {
        for (auto const& orphan : known) {
            auto const& name = orphan.name;
            if (name.empty() || name == t.name) continue;
            kube::delete_options d;
            if (!orphan.resource_version.empty()) d.preconditions = kube::delete_preconditions{{}, orphan.resource_version};
            auto gone = co_await client_->remove(kube::resources::secrets, t.namespace_, name, d);
            if (!gone && gone.error() == condition::conflict) continue;
            if (!gone && gone.error() != condition::not_found) {
                failure f = gone.error();
                f.message = "could not delete orphaned secrets: Secret " + t.namespace_ + "/" + name + ": " + f.what();
                co_return f;
            }
        }
        co_return result<void, failure>();
    }

    // ESO's deleteOrphanedSecrets: Secrets labelled as created by this ExternalSecret under
    // another name.
    awaitable<result<void, failure>> delete_orphans(target const& t) {
        kube::list_options l;
        l.label_selector = std::string(detail::created_by_label) + "=" +
                           transform::created_by_label(t.namespace_, t.external_secret_name);
        for (;;) {
            auto page = co_await client_->list(kube::resources::secrets, t.namespace_, l);
            if (!page) {
                failure f = page.error();
                f.message = "could not delete orphaned secrets: listing Secrets in " + t.namespace_ + ": " + f.what();
                co_return f;
            }
            for (auto& item : page->items) {
                if (!item.is_object()) continue;
                auto& obj = item.as_object();
                detail::wipe_data(obj);
                std::string const name = text_at(obj, "name");
                if (name.empty() || name == t.name) continue;
                kube::delete_options d;
                d.preconditions = kube::delete_preconditions{text_at(obj, "uid"), {}};
                auto gone = co_await client_->remove(kube::resources::secrets, t.namespace_, name, d);
                if (!gone && gone.error() != condition::not_found) {
                    failure f = gone.error();
                    f.message = "could not delete orphaned secrets: Secret " + t.namespace_ + "/" + name + ": " + f.what();
                    co_return f;
                }
            }
            if (page->continue_token.empty()) co_return result<void, failure>();
            l.continue_token = page->continue_token;
        }
    }

    std::shared_ptr<Kube> client_;
    kubernetes_secret_options options_;
};

static_assert(detail::diagnose<kubernetes_secret<>>());

} // namespace esx::sink

#endif
