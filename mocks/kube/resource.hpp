// esx mocks/kube: what the mock knows of one served resource (a group, version and plural),
// built in (core/v1 secrets, ...) or defined by a CustomResourceDefinition.
#ifndef ESX_MOCKS_KUBE_RESOURCE_HPP
#define ESX_MOCKS_KUBE_RESOURCE_HPP

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace esx::mocks::kube::detail {

namespace json = boost::json;

struct resource_info {
    std::string group, version, plural, singular, kind;
    bool namespaced = true;
    std::vector<std::string> short_names, categories;
    bool status_sub = false;  // <plural>/status served, status split from the main resource
    bool custom = false;      // a CRD-defined resource: generation, status dropped on create
    bool generation = false;  // metadata.generation maintained
    json::array printer_columns;  // CRD additionalPrinterColumns
    std::vector<std::string> extra_subresources;  // e.g. "token" for serviceaccounts
    json::object schema;      // CRD versions[].schema.openAPIV3Schema; empty: no validation

    // events.k8s.io/v1 events share core/v1's storage (stored in the core shape).
    bool new_events() const { return group == "events.k8s.io" && plural == "events"; }
    std::string storage() const { return new_events() ? std::string("/events") : group + "/" + plural; }
    std::string group_version() const { return group.empty() ? version : group + "/" + version; }
    std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
    std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
};

inline std::vector<std::string> const all_verbs = {"create", "delete",  "deletecollection", "get",
                                                   "list",   "patch",   "update",           "watch"};

// Kubernetes version priority: GA > beta > alpha, higher numbers first;
// anything else sorts last, alphabetically.
bool version_before(std::string const& a, std::string const& b);

// core/v1 Event <-> events.k8s.io/v1 Event: the same object under other field names.
json::object convert_event(json::object o, bool to_core);

}  // namespace esx::mocks::kube::detail

#endif
