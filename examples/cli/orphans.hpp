// esx CLI: ESO's deleteOrphanedSecrets for a whole run, with one LIST per namespace.
//
// With creationPolicy Owner, ESO deletes the Secrets labelled as created by an ExternalSecret
// (`reconcile.external-secrets.io/created-by`) other than its current target, e.g. after
// `target.name` changed. ESO lists them from its informer cache; the sink, which has no cache,
// lists per ExternalSecret (one LIST each). A one-shot run of thousands of ExternalSecrets
// lists each namespace once here instead, and deletes after the run the orphans of each
// ExternalSecret that synced (ESO deletes them just before its write, and only when the
// provider's data was read: the same Secrets end up deleted). A namespace that cannot be listed
// leaves the job to the sink (`kubernetes_secret_options::delete_orphans`).
#ifndef ESX_EXAMPLES_CLI_ORPHANS_HPP
#define ESX_EXAMPLES_CLI_ORPHANS_HPP

#include <esx/secret.hpp>
#include <esx/kube/client.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/transform/hash.hpp>

#include <boost/asio/awaitable.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace esx::cli {

inline constexpr char const* created_by_label_key = "reconcile.external-secrets.io/created-by";

/// The Secrets of some namespaces that carry the created-by label, by (namespace, label value).
struct orphan_index {
    struct secret {
        std::string name, uid;
    };
    std::map<std::pair<std::string, std::string>, std::vector<secret>> by_creator;
    bool complete = true;  ///< false: a namespace could not be listed
};

/// The ExternalSecret facts the post-pass needs (the pipeline consumes the specs).
struct owner_target {
    std::string namespace_, name, target;
    bool owner = false;  ///< creationPolicy Owner
};

inline std::vector<owner_target> owner_targets(std::vector<spec::external_secret> const& list) {
    std::vector<owner_target> out;
    out.reserve(list.size());
    for (auto const& es : list)
        out.push_back({es.metadata.namespace_, es.metadata.name,
                       es.spec.target.name.empty() ? es.metadata.name : es.spec.target.name,
                       es.spec.target.creation == spec::creation_policy::owner});
    return out;
}

/// Lists, in every namespace with an Owner ExternalSecret, the Secrets with the created-by label.
template <class Client>
boost::asio::awaitable<orphan_index> index_created_secrets(Client& kube, std::vector<owner_target> const& targets) {
    orphan_index index;
    std::set<std::string> namespaces;
    for (auto const& t : targets)
        if (t.owner) namespaces.insert(t.namespace_);
    for (auto const& ns : namespaces) {
        kube::list_options o;
        o.label_selector = created_by_label_key;  // exists
        o.limit = 500;
        for (;;) {
            auto page = co_await kube.list(kube::resources::secrets, ns, o);
            if (!page) {
                index.complete = false;
                co_return index;
            }
            for (auto& item : page->items) {
                if (!item.is_object()) continue;
                auto& obj = item.as_object();
                // Only names and labels are kept; the values go at once.
                if (auto* data = obj.if_contains("data"); data && data->is_object())
                    for (auto& kv : data->as_object())
                        if (kv.value().is_string())
                            esx::detail::secure_wipe(kv.value().as_string().data(), kv.value().as_string().size());
                auto const* m = obj.if_contains("metadata");
                if (!m || !m->is_object()) continue;
                auto const& meta = m->get_object();
                auto const* labels = meta.if_contains("labels");
                auto const* name = meta.if_contains("name");
                auto const* uid = meta.if_contains("uid");
                if (!labels || !labels->is_object() || !name || !name->is_string()) continue;
                auto const* creator = labels->get_object().if_contains(created_by_label_key);
                if (!creator || !creator->is_string()) continue;
                index.by_creator[{ns, std::string(creator->get_string())}].push_back(
                    {std::string(name->get_string()), uid && uid->is_string() ? std::string(uid->get_string()) : ""});
            }
            if (page->continue_token.empty()) break;
            o.continue_token = page->continue_token;
        }
    }
    co_return index;
}

/// One line per orphan deleted (or, in a dry run, that would be), and whether all went well.
struct orphan_report {
    std::vector<std::string> lines;
    bool ok = true;
};

/// Deletes the orphans of each Owner ExternalSecret whose sync wrote or kept its target.
template <class Client>
boost::asio::awaitable<orphan_report> delete_orphans(Client& kube, orphan_index const& index,
                                                     std::vector<owner_target> const& targets,
                                                     std::vector<sync_result> const& results, bool dry_run) {
    orphan_report report;
    for (std::size_t i = 0; i < targets.size() && i < results.size(); ++i) {
        auto const& t = targets[i];
        auto const& r = results[i];
        if (!t.owner || !r.ok() || !r.outcome) continue;
        auto const a = r.outcome->action;
        if (a != sink::action::created && a != sink::action::updated && a != sink::action::unchanged) continue;
        auto it = index.by_creator.find({t.namespace_, transform::created_by_label(t.namespace_, t.name)});
        if (it == index.by_creator.end()) continue;
        for (auto const& s : it->second) {
            if (s.name == t.target) continue;
            std::string const who = t.namespace_ + "/" + t.name + ": ";
            std::string const what = "orphaned Secret " + t.namespace_ + "/" + s.name + " (the target is now " + t.target + ")";
            if (dry_run) {
                report.lines.push_back(who + "would delete " + what);
                continue;
            }
            kube::delete_options d;
            if (!s.uid.empty()) d.preconditions = kube::delete_preconditions{s.uid, {}};
            auto gone = co_await kube.remove(kube::resources::secrets, t.namespace_, s.name, d);
            if (gone || gone.error() == condition::not_found) {
                report.lines.push_back(who + "deleted " + what);
            } else {
                report.ok = false;
                report.lines.push_back(who + "failed: could not delete " + what + ": " + gone.error().what());
            }
        }
    }
    co_return report;
}

} // namespace esx::cli

#endif
