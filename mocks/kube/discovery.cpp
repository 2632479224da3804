// esx mocks/kube: the resources served (built-ins and CRD-defined) and the documents that
// describe them: legacy and aggregated discovery, and the OpenAPI v3 stubs kubectl reads to
// decide on server-side field validation.
#include "state.hpp"

#include "text.hpp"

#include <cstdio>
#include <functional>

namespace esx::mocks::kube::detail {

void api_state::add_resource(resource_info ri) {
    std::string const gv = ri.group_version();
    if (std::find(group_order.begin(), group_order.end(), ri.group) == group_order.end())
        group_order.push_back(ri.group);
    auto& list = gvs[gv];
    std::erase_if(list, [&](resource_info const& x) { return x.plural == ri.plural; });
    list.push_back(std::move(ri));
    ++discovery_generation;
}

resource_info const* api_state::find(std::string const& group, std::string const& version, std::string const& plural) const {
    auto it = gvs.find(group.empty() ? version : group + "/" + version);
    if (it == gvs.end())
        return nullptr;
    for (auto const& r : it->second)
        if (r.plural == plural)
            return &r;
    return nullptr;
}

std::vector<std::string> api_state::versions_of(std::string const& group) const {
    std::vector<std::string> out;
    for (auto const& [gv, list] : gvs) {
        if (list.empty())
            continue;
        if (list.front().group == group)
            out.push_back(list.front().version);
    }
    std::sort(out.begin(), out.end(), version_before);
    return out;
}

void api_state::register_builtins() {
    auto add = [&](std::string g, std::string v, std::string plural, std::string singular, std::string kind, bool ns,
                   std::vector<std::string> shorts, bool status = false) {
        resource_info ri;
        ri.group = std::move(g);
        ri.version = std::move(v);
        ri.plural = std::move(plural);
        ri.singular = std::move(singular);
        ri.kind = std::move(kind);
        ri.namespaced = ns;
        ri.short_names = std::move(shorts);
        ri.status_sub = status;
        add_resource(std::move(ri));
    };
    add("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, true);
    add("", "v1", "secrets", "secret", "Secret", true, {});
    add("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"});
    add("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"});
    gvs["v1"].back().extra_subresources = {"token"};
    add("", "v1", "events", "event", "Event", true, {"ev"});
    add("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
        "CustomResourceDefinition", false, {"crd", "crds"}, true);
    gvs["apiextensions.k8s.io/v1"].back().generation = true;
    add("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {});
    add("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"});
    // Stored only, so a controller's deploy/ (RBAC objects, its Deployment) applies and reads
    // back; authorisation still comes from the seed's rules, and no Deployment runs a pod.
    add("apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, true);
    gvs["apps/v1"].back().generation = true;
    add("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, {});
    add("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, {});
    add("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {});
    add("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, {});
    add("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
        "SelfSubjectAccessReview", false, {});
    add("authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, {});
}


json::object api_state::api_versions() const {
    return json::object{{"kind", "APIVersions"},
                        {"versions", json::array{"v1"}},
                        {"serverAddressByClientCIDRs",
                         json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                                  {"serverAddress", server_url.substr(server_url.find("//") + 2)}}}}};
}

json::object api_state::api_group(std::string const& g) const {
    json::array versions;
    auto const vs = versions_of(g);
    for (auto const& v : vs)
        versions.push_back(json::object{{"groupVersion", g + "/" + v}, {"version", v}});
    json::object out{{"name", g}, {"versions", versions}};
    if (!vs.empty())
        out["preferredVersion"] = json::object{{"groupVersion", g + "/" + vs.front()}, {"version", vs.front()}};
    return out;
}

json::object api_state::api_group_list() const {
    json::array groups;
    for (auto const& g : group_order)
        if (!g.empty() && !versions_of(g).empty())
            groups.push_back(api_group(g));
    return json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json::object api_state::resource_list(std::string const& gv) const {
    json::array resources;
    auto it = gvs.find(gv);
    for (auto const& r : it->second) {
        json::array const verbs = verbs_of(r);
        json::object e{{"name", r.plural}, {"singularName", r.singular}, {"namespaced", r.namespaced},
                       {"kind", r.kind},   {"verbs", verbs}};
        if (!r.short_names.empty()) {
            json::array s;
            for (auto const& x : r.short_names)
                s.push_back(json::value(x));
            e["shortNames"] = s;
        }
        if (!r.categories.empty()) {
            json::array s;
            for (auto const& x : r.categories)
                s.push_back(json::value(x));
            e["categories"] = s;
        }
        e["storageVersionHash"] = base64_encode(r.storage()).substr(0, 11);
        resources.push_back(e);
        if (r.status_sub)
            resources.push_back(json::object{{"name", r.plural + "/status"},
                                             {"singularName", ""},
                                             {"namespaced", r.namespaced},
                                             {"kind", r.kind},
                                             {"verbs", json::array{"get", "patch", "update"}}});
        for (auto const& sub : r.extra_subresources)
            if (sub == "token")
                resources.push_back(json::object{{"name", r.plural + "/token"},
                                                 {"singularName", ""},
                                                 {"namespaced", true},
                                                 {"group", "authentication.k8s.io"},
                                                 {"version", "v1"},
                                                 {"kind", "TokenRequest"},
                                                 {"verbs", json::array{"create"}}});
    }
    return json::object{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", resources}};
}

json::array api_state::verbs_of(resource_info const& r) {
    json::array verbs;
    if (r.plural == "selfsubjectaccessreviews" || r.plural == "selfsubjectreviews") {
        verbs.push_back("create");
        return verbs;
    }
    for (auto const& v : all_verbs)
        verbs.push_back(json::value(v));
    return verbs;
}

// Aggregated discovery (apidiscovery.k8s.io/v2): everything in one answer
// for /api (core) or /apis (groups), versions in preference order.
json::object api_state::aggregated(bool core) const {
    json::array items;
    for (auto const& g : group_order) {
        if (core != g.empty())
            continue;
        auto const vs = versions_of(g);
        if (vs.empty())
            continue;
        json::array versions;
        for (auto const& v : vs) {
            json::array resources;
            for (auto const& r : gvs.at(g.empty() ? v : g + "/" + v)) {
                json::object kind{{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
                json::object e{{"resource", r.plural},
                               {"singularResource", r.singular},
                               {"scope", r.namespaced ? "Namespaced" : "Cluster"},
                               {"responseKind", kind},
                               {"verbs", verbs_of(r)}};
                json::array shorts, cats, subs;
                for (auto const& x : r.short_names)
                    shorts.push_back(json::value(x));
                for (auto const& x : r.categories)
                    cats.push_back(json::value(x));
                if (!shorts.empty())
                    e["shortNames"] = shorts;
                if (!cats.empty())
                    e["categories"] = cats;
                if (r.status_sub)
                    subs.push_back(json::object{{"subresource", "status"},
                                                {"responseKind", kind},
                                                {"verbs", json::array{"get", "patch", "update"}}});
                for (auto const& sub : r.extra_subresources)
                    if (sub == "token")
                        subs.push_back(json::object{
                            {"subresource", "token"},
                            {"responseKind",
                             json::object{{"group", "authentication.k8s.io"}, {"version", "v1"}, {"kind", "TokenRequest"}}},
                            {"verbs", json::array{"create"}}});
                if (!subs.empty())
                    e["subresources"] = subs;
                resources.push_back(e);
            }
            versions.push_back(json::object{{"version", v}, {"freshness", "Current"}, {"resources", resources}});
        }
        items.push_back(json::object{{"metadata", json::object{{"name", g}}}, {"versions", versions}});
    }
    return json::object{{"kind", "APIGroupDiscoveryList"},
                        {"apiVersion", "apidiscovery.k8s.io/v2"},
                        {"metadata", json::object{}},
                        {"items", items}};
}

std::string api_state::openapi_hash(std::string const& gv) const {
    std::size_t h = std::hash<std::string>{}(gv + "#" + std::to_string(discovery_generation));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016zX", h);
    return buf;
}

json::object api_state::openapi_root() const {
    json::object paths;
    for (auto const& [gv, list] : gvs) {
        if (list.empty())
            continue;
        std::string const key = list.front().group.empty() ? "api/" + gv : "apis/" + gv;
        paths[key] = json::object{{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + openapi_hash(gv)}};
    }
    return json::object{{"paths", paths}};
}

// The stub kubectl needs for server-side field validation (reference § 1.2):
// one PATCH operation per kind, advertising the fieldValidation parameter.
json::object api_state::openapi_doc(std::string const& gv) const {
    json::object paths;
    auto it = gvs.find(gv);
    for (auto const& r : it->second) {
        std::string const prefix = r.group.empty() ? "/api/" + gv : "/apis/" + gv;
        std::string const path =
            prefix + (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.plural + "/{name}";
        json::object op{{"x-kubernetes-group-version-kind",
                         json::object{{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
                        {"parameters", json::array{json::object{{"name", "fieldValidation"},
                                                                {"in", "query"},
                                                                {"schema", json::object{{"type", "string"}}}}}},
                        {"responses", json::object{{"200", json::object{{"description", "OK"}}}}}};
        paths[path] = json::object{{"patch", op}};
    }
    return json::object{{"openapi", "3.0.0"},
                        {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.31.0"}}},
                        {"paths", paths},
                        {"components", json::object{{"schemas", json::object{}}}}};
}

}  // namespace esx::mocks::kube::detail
