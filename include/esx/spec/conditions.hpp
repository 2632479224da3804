// esx::spec: may an ExternalSecret in namespace N use this store? (ESO's `shouldProcessSecret`.)
//
// A SecretStore serves its own namespace (an ExternalSecret can only name a store of its own
// namespace). A ClusterSecretStore without `conditions` serves every namespace; with conditions,
// a namespace is allowed if any condition allows it, and a condition allows it if its
// `namespaceSelector` matches the namespace's labels, or `namespaces` lists it (ESO matches the
// `kubernetes.io/metadata.name` label, which the API server sets to the name), or one of its
// `namespaceRegexes` matches the name (unanchored, as Go's `regexp.MatchString`).
#ifndef ESX_SPEC_CONDITIONS_HPP
#define ESX_SPEC_CONDITIONS_HPP

#include <esx/failure.hpp>
#include <esx/regex.hpp>
#include <esx/spec/store.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

namespace esx::spec {

/// Kubernetes label-selector semantics: every matchLabels pair and every expression must hold;
/// an empty selector matches everything.
inline bool matches(label_selector const& s, std::map<std::string, std::string> const& labels) {
    for (auto const& [k, v] : s.match_labels) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
    }
    for (auto const& e : s.match_expressions) {
        auto it = labels.find(e.key);
        bool in = it != labels.end() && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
        if (e.operator_ == "In" && !in) return false;
        if (e.operator_ == "NotIn" && in) return false;
        if (e.operator_ == "Exists" && it == labels.end()) return false;
        if (e.operator_ == "DoesNotExist" && it != labels.end()) return false;
        if (e.operator_ != "In" && e.operator_ != "NotIn" && e.operator_ != "Exists" && e.operator_ != "DoesNotExist")
            return false;  // validation refuses these; never match on one
    }
    return true;
}

/// True if `condition` lets namespace `ns` (with `ns_labels`) use the store.
inline bool allows(cluster_store_condition const& condition, std::string_view ns,
                   std::map<std::string, std::string> const& ns_labels) {
    if (condition.namespace_selector && matches(*condition.namespace_selector, ns_labels)) return true;
    for (auto const& n : condition.namespaces)
        if (n == ns) return true;
    // RE2 (linear time): a namespace user's pattern cannot stall the controller.
    for (auto const& pattern : condition.namespace_regexes) {
        auto re = esx::regex::compile(pattern);
        if (re && re->search(ns)) return true;
    }
    return false;
}

/** Whether an ExternalSecret in `ns` may use `store`; refused with ESO's message
    (`using cluster store "X" is not allowed from namespace "Y": denied by spec.condition`,
    condition `invalid_input`, reason `Forbidden`: a configuration problem that retrying will not
    fix) or, for a SecretStore of another namespace, esx's own. */
inline result<void, failure> check_store_access(secret_store const& store, std::string_view ns,
                                                std::map<std::string, std::string> const& ns_labels = {}) {
    if (store.kind == store_kind::secret_store) {
        if (store.metadata.namespace_.empty() || store.metadata.namespace_ == ns) return {};
        return failure(make_error_code(error::invalid_option),
                       "SecretStore \"" + store.metadata.name + "\" of namespace \"" + store.metadata.namespace_ +
                           "\" cannot be used from namespace \"" + std::string(ns) + "\"",
                       "Forbidden");
    }
    if (store.spec.conditions.empty()) return {};
    for (auto const& c : store.spec.conditions)
        if (allows(c, ns, ns_labels)) return {};
    return failure(make_error_code(error::invalid_option),
                   "using cluster store \"" + store.metadata.name + "\" is not allowed from namespace \"" +
                       std::string(ns) + "\": denied by spec.condition",
                   "Forbidden");
}

} // namespace esx::spec

#endif
