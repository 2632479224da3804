// esx::store_source: where a pipeline may find stores and Namespace labels before it reads the
// manifests or asks the API server.
//
// A controller already holds every SecretStore, ClusterSecretStore (and, with ClusterExternalSecrets
// on, every Namespace) in its reflector caches; asking the API server again for each sync cost
// one GET per ExternalSecret (two with a `namespaceSelector`). The pipeline consults these
// functions first. "Not known" (null, nullopt) is never "absent": the pipeline then goes on to the
// manifests and the cluster as before, so a cache that is not synced yet, or a store created a
// moment ago, costs a request instead of a wrong "not found".
#ifndef ESX_PIPELINE_STORE_SOURCE_HPP
#define ESX_PIPELINE_STORE_SOURCE_HPP

#include <esx/spec/store.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace esx {

struct store_source {
    /// The store `kind`/`name` (`ns`: a SecretStore's namespace; empty for a
    /// ClusterSecretStore); null: not known here. The object must not change once returned
    /// (a reflector replaces its entries, it does not edit them).
    std::function<std::shared_ptr<spec::secret_store const>(spec::store_kind kind, std::string_view ns,
                                                            std::string_view name)>
        find;
    /// The labels of Namespace `ns` (a ClusterSecretStore's `namespaceSelector`); nullopt: not
    /// known here. `kubernetes.io/metadata.name` is added by the pipeline.
    std::function<std::optional<std::map<std::string, std::string>>(std::string_view ns)> namespace_labels;
};

} // namespace esx

#endif
