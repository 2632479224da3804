// esx CLI: which ExternalSecrets of the files exist in the cluster, and their UIDs, with one LIST
// per namespace instead of one GET per ExternalSecret (`pipeline_options::owner_from_cluster`).
//
// An ExternalSecret that is in the cluster owns its Secret as ESO's does; one that is only in the
// files has no UID to own it (the garbage collector would delete a Secret owned by a UID that
// does not exist). A namespace that cannot be listed (no CRD: nothing is there; forbidden) is
// left to the pipeline, which asks per ExternalSecret.
#ifndef ESX_EXAMPLES_CLI_OWNERS_HPP
#define ESX_EXAMPLES_CLI_OWNERS_HPP

#include <esx/kube/client.hpp>
#include <esx/spec/external_secret.hpp>

#include <boost/asio/awaitable.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace esx::cli {

/// Fills `metadata.uid` of each ExternalSecret found in the cluster under the same namespace and
/// name. Returns false when some namespace could not be listed: then let the pipeline look those
/// up itself (`owner_from_cluster`).
template <class Client>
boost::asio::awaitable<bool> fill_owner_uids(Client& kube, std::vector<spec::external_secret>& list) {
    std::set<std::string> namespaces;
    for (auto const& es : list)
        if (es.metadata.uid.empty()) namespaces.insert(es.metadata.namespace_);
    std::map<std::pair<std::string, std::string>, std::string> uids;
    bool complete = true;
    for (auto const& ns : namespaces) {
        kube::list_options o;
        o.limit = 500;
        for (;;) {
            auto page = co_await kube.list(kube::resources::external_secrets, ns, o);
            if (!page) {
                // No CRD (404): no ExternalSecret can be in the cluster. Anything else: unknown.
                if (page.error() != condition::not_found) complete = false;
                break;
            }
            for (auto const& item : page->items) {
                auto const* m = item.is_object() ? item.get_object().if_contains("metadata") : nullptr;
                if (!m || !m->is_object()) continue;
                auto const* name = m->get_object().if_contains("name");
                auto const* uid = m->get_object().if_contains("uid");
                if (name && uid && name->is_string() && uid->is_string())
                    uids[{ns, std::string(name->get_string())}] = std::string(uid->get_string());
            }
            if (page->continue_token.empty()) break;
            o.continue_token = page->continue_token;
        }
    }
    for (auto& es : list)
        if (auto it = uids.find({es.metadata.namespace_, es.metadata.name}); it != uids.end()) es.metadata.uid = it->second;
    co_return complete;
}

} // namespace esx::cli

#endif
