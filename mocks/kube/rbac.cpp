// esx mocks/kube: who is asking and what they may do. Bearer tokens (the seed's and those
// TokenRequest minted) and client certificates signed by the mock's CA (CN = user, O =
// groups) authenticate; the seed's rules per user and per group authorise, worded as
// kube-apiserver's RBAC denials; SelfSubjectAccessReview answers `kubectl auth can-i`.
#include "handler.hpp"

#include "text.hpp"

namespace esx::mocks::kube::detail {

namespace {

// What a user may do once its groups are known: "system:masters" may do everything (as the
// cluster-admin binding grants); each group the seed gives rules adds them.
user_entry with_group_rules(user_entry u, std::map<std::string, std::vector<user_rule>> const& group_rules) {
    for (auto const& g : u.groups) {
        if (g == "system:masters")
            u.rules.reset();
        if (!u.rules)
            continue;
        if (auto it = group_rules.find(g); it != group_rules.end())
            u.rules->insert(u.rules->end(), it->second.begin(), it->second.end());
    }
    return u;
}

}  // namespace

// As kube-apiserver's union authenticator: a verified client certificate first, then the
// bearer token; neither is a 401.
std::optional<user_entry> api_handler::authenticate(api_request const& req) {
    if (req.certificate)
        if (auto u = certificate_user(*req.certificate))
            return u;
    std::string_view const v = req.authorization;
    if (v.size() < 7 || lower(v.substr(0, 7)) != "bearer ")
        return std::nullopt;
    std::string const token = trim(v.substr(7));
    if (auto t = st_.tokens.find(token); t != st_.tokens.end())
        return with_group_rules(t->second, st_.group_rules);
    if (auto m = st_.minted.find(token); m != st_.minted.end() && m->second.expires > now_s()) {
        if (auto u = st_.users.find(m->second.user); u != st_.users.end())
            return with_group_rules(u->second, st_.group_rules);
        user_entry e;
        e.name = m->second.user;
        e.rules = std::vector<user_rule>{};  // a service account without rules may do nothing
        return e;
    }
    return std::nullopt;
}

// kube-apiserver's x509 authenticator: a certificate that does not verify is a 401 (the
// handshake itself accepts any certificate); CN is the user, each O a group. A user the seed
// names gets its rules; any other may do what its groups allow, and nothing else.
std::optional<user_entry> api_handler::certificate_user(client_certificate const& cert) const {
    if (!cert.verified || cert.common_name.empty())
        return std::nullopt;
    user_entry u;
    if (auto it = st_.users.find(cert.common_name); it != st_.users.end())
        u = it->second;
    else
        u.rules = std::vector<user_rule>{};
    u.name = cert.common_name;
    u.groups = cert.organizations;
    return with_group_rules(std::move(u), st_.group_rules);
}

bool api_handler::allowed(user_entry const& u, std::string const& verb, std::string const& group,
                          std::string const& resource, std::string const& ns) const {
    if (!u.rules)
        return true;
    for (auto const& r : *u.rules) {
        bool const ns_ok = r.namespaces.empty() || (!ns.empty() && list_has(r.namespaces, ns));
        if (list_has(r.verbs, verb) && list_has(r.resources, resource) && list_has(r.api_groups, group) && ns_ok)
            return true;
    }
    return false;
}

void api_handler::authorize(user_entry const& u, std::string const& verb, resource_info const& ri,
                            std::string const& sub, std::string const& ns, std::string const& name) const {
    std::string const resource = sub.empty() ? ri.plural : ri.plural + "/" + sub;
    if (allowed(u, verb, ri.group, resource, ns))
        return;
    std::string msg = ri.qualified() + (name.empty() ? "" : " \"" + name + "\"") + " is forbidden: User \"" + u.name +
                      "\" cannot " + verb + " resource \"" + resource + "\" in API group \"" + ri.group + "\"";
    msg += ns.empty() ? " at the cluster scope" : " in the namespace \"" + ns + "\"";
    json::object d{{"name", name}};
    if (!ri.group.empty())
        d["group"] = ri.group;
    d["kind"] = ri.plural;
    throw make_error(403, "Forbidden", msg, std::move(d));
}

http_reply api_handler::access_review(api_request const& req, user_entry const& user) {
    json::object body = parse_body(req, *st_.find("authorization.k8s.io", "v1", "selfsubjectaccessreviews"), "");
    json::object const* spec = obj_of(body, "spec");
    json::object const* ra = spec ? obj_of(*spec, "resourceAttributes") : nullptr;
    bool ok = false;
    std::string reason;
    if (ra) {
        std::string resource = str_of(*ra, "resource");
        if (!str_of(*ra, "subresource").empty())
            resource += "/" + str_of(*ra, "subresource");
        ok = allowed(user, str_of(*ra, "verb"), str_of(*ra, "group"), resource, str_of(*ra, "namespace"));
    } else {
        ok = !user.rules.has_value();  // non-resource URLs: only unrestricted users
    }
    reason = ok ? (user.rules ? "allowed by a seed rule" : "unrestricted user") : "";  // kubectl prints a denial reason after "no"
    body["apiVersion"] = "authorization.k8s.io/v1";
    body["kind"] = "SelfSubjectAccessReview";
    body["metadata"] = json::object{{"creationTimestamp", nullptr}};
    body["status"] = json::object{{"allowed", ok}, {"reason", reason}};
    return ok_json(body, 201);
}

// SelfSubjectReview (`kubectl auth whoami`): the authenticated user and groups.
http_reply api_handler::self_review(api_request const& req, user_entry const& user) {
    json::object body = parse_body(req, *st_.find("authentication.k8s.io", "v1", "selfsubjectreviews"), "");
    json::array groups;
    for (auto const& g : user.groups)
        groups.push_back(json::value(g));
    groups.push_back("system:authenticated");
    body["apiVersion"] = "authentication.k8s.io/v1";
    body["kind"] = "SelfSubjectReview";
    body["metadata"] = json::object{{"creationTimestamp", nullptr}};
    body["status"] = json::object{{"userInfo", json::object{{"username", user.name}, {"groups", groups}}}};
    return ok_json(body, 201);
}

}  // namespace esx::mocks::kube::detail
