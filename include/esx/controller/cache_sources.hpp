// esx::controller: what the reflector caches answer for the pipeline, so that a sync asks the
// API server only for what it writes.
//
// - `store_source_from`: stores from the SecretStore and ClusterSecretStore caches, Namespace
//   labels from the Namespace cache (`basic_pipeline::serve_stores_from`). A cache that has not
//   held its first list yet answers "not known" (the pipeline then asks the API server), never
//   "absent".
// - `target_knowledge_from`: for the Secret sink (`basic_pipeline::hint_targets`), whether the
//   managed-Secret cache holds the target, whether it is still as the sink left it
//   (<targets_as_left.hpp>), and the ExternalSecret's orphans (<created_by_index.hpp>).
#ifndef ESX_CONTROLLER_CACHE_SOURCES_HPP
#define ESX_CONTROLLER_CACHE_SOURCES_HPP

#include <esx/controller/created_by_index.hpp>
#include <esx/controller/managed_secret.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/targets_as_left.hpp>
#include <esx/pipeline/store_source.hpp>
#include <esx/sink/target.hpp>
#include <esx/spec/store.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace esx::controller {

/// The labels of a cached Namespace object.
inline std::map<std::string, std::string> namespace_labels_of(boost::json::object const& ns) {
    std::map<std::string, std::string> labels;
    if (auto const* m = ns.if_contains("metadata"); m && m->is_object())
        if (auto const* l = m->as_object().if_contains("labels"); l && l->is_object())
            for (auto const& [k, v] : l->as_object())
                if (v.is_string()) labels.emplace(std::string(k), std::string(v.as_string()));
    return labels;
}

/// A store source over the caches (which must outlive it).
inline store_source store_source_from(object_cache<spec::secret_store> const& secret_stores,
                                      object_cache<spec::secret_store> const& cluster_secret_stores,
                                      object_cache<boost::json::object> const& namespaces) {
    store_source s;
    s.find = [ss = &secret_stores, cs = &cluster_secret_stores](spec::store_kind kind, std::string_view ns,
                                                                 std::string_view name) -> std::shared_ptr<spec::secret_store const> {
        auto const& cache = kind == spec::store_kind::cluster_secret_store ? *cs : *ss;
        if (!cache.synced()) return nullptr;
        return cache.find(object_key(ns, name));
    };
    s.namespace_labels = [n = &namespaces](std::string_view ns) -> std::optional<std::map<std::string, std::string>> {
        if (!n->synced()) return std::nullopt;
        auto const found = n->find(object_key(std::string_view(), ns));
        if (!found) return std::nullopt;
        return namespace_labels_of(*found);
    };
    return s;
}

/// What the managed-Secret cache knows of target `t` (nothing before its first list), and
/// whether the Secret is still as the sink left it (`left`).
inline sink::target_knowledge target_knowledge_from(object_cache<managed_secret> const& managed,
                                                    created_by_index const& index, targets_as_left const& left,
                                                    sink::target const& t) {
    sink::target_knowledge known;
    if (!managed.synced()) return known;
    object_key const secret(t.namespace_, t.name);
    auto const current = managed.find(secret);
    known.absent = !current;
    if (current)
        if (auto fingerprint = left.unchanged_since(secret, current->resource_version))
            known.unchanged_since = sink::target_knowledge::as_left{*fingerprint, current->resource_version,
                                                                    to_hex(current->data_hash)};
    auto& orphans = known.orphans.emplace();
    for (auto& name : index.orphans(managed, t.namespace_, t.external_secret_name, t.name)) {
        auto const cached = managed.find(object_key(t.namespace_, name));
        std::string version = cached ? cached->resource_version : std::string();
        orphans.push_back(sink::target_knowledge::orphan{std::move(name), std::move(version)});
    }
    return known;
}

} // namespace esx::controller

#endif
