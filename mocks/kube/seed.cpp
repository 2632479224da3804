// esx mocks/kube: the seed document: users (tokens, client certificates, rules), groups
// (rules), namespaces, the watch window and objects created through the normal write path
// (see README.md, "Seed format").
#include "seed.hpp"

#include "text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>

namespace esx::mocks::kube::detail {

namespace {

std::vector<std::string> strings(json::object const& o, char const* key) {
    std::vector<std::string> out;
    if (auto const* a = o.if_contains(key); a && a->is_array()) {
        for (auto const& s : a->as_array()) {
            if (!s.is_string())
                throw std::runtime_error(std::string("esx-mock-kube: seed: ") + key + " must hold strings");
            out.emplace_back(s.as_string());
        }
    }
    return out;
}

// The "rules" of a user or group entry.
std::vector<user_rule> rules_of(json::object const& entry) {
    std::vector<user_rule> out;
    if (auto const* rules = entry.if_contains("rules"); rules && rules->is_array()) {
        for (auto const& rv : rules->as_array()) {
            if (!rv.is_object())
                throw std::runtime_error("esx-mock-kube: seed: rules[] entries must be objects");
            auto const& r = rv.as_object();
            out.push_back(
                user_rule{strings(r, "verbs"), strings(r, "resources"), strings(r, "apiGroups"), strings(r, "namespaces")});
        }
    }
    return out;
}

// Seed objects go through the API like any client's, as an unrestricted identity of the
// mock's own (not the first seed user, who may have rules or no token).
api_request seed_request(std::string method, std::string target, std::string content_type) {
    api_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.content_type = std::move(content_type);
    req.certificate = client_certificate{true, "esx-mock-seed", {"system:masters"}};
    return req;
}

}  // namespace

std::string default_seed_json() {
    return R"({
  "users": [{"name": "admin", "token": "esx-admin-token", "groups": ["system:masters"]}],
  "namespaces": ["default", "kube-system"]
})";
}

std::vector<std::string> load_seed(api_state& st, api_handler& handler, std::string const& text,
                                   std::size_t watch_window) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        throw std::runtime_error("esx-mock-kube: the seed is not a JSON object: " + (ec ? ec.message() : std::string()));
    auto const& seed = v.as_object();
    std::vector<std::string> certificate_users;
    if (auto const* users = seed.if_contains("users"); users && users->is_array()) {
        for (auto const& uv : users->as_array()) {
            if (!uv.is_object())
                throw std::runtime_error("esx-mock-kube: seed: users[] entries must be objects");
            auto const& u = uv.as_object();
            user_entry e;
            e.name = str_of(u, "name");
            if (e.name.empty())
                throw std::runtime_error("esx-mock-kube: seed: every user needs a name");
            e.groups = strings(u, "groups");
            if (auto const* rules = u.if_contains("rules"); rules && rules->is_array())
                e.rules = rules_of(u);
            st.users[e.name] = e;
            std::string const token = str_of(u, "token");
            if (!token.empty()) {
                st.tokens[token] = e;
                if (st.first_token.empty())
                    st.first_token = token;
            }
            if (auto const* c = u.if_contains("certificate"); c && c->is_bool() && c->as_bool())
                certificate_users.push_back(e.name);
        }
    }
    if (st.tokens.empty() && certificate_users.empty())
        throw std::runtime_error("esx-mock-kube: seed: at least one user with a token or a certificate is required");
    if (auto const* groups = seed.if_contains("groups"); groups && groups->is_array()) {
        for (auto const& gv : groups->as_array()) {
            if (!gv.is_object() || str_of(gv.as_object(), "name").empty())
                throw std::runtime_error("esx-mock-kube: seed: groups[] entries must be objects with a name");
            auto& rules = st.group_rules[str_of(gv.as_object(), "name")];
            for (auto const& r : rules_of(gv.as_object()))
                rules.push_back(r);
        }
    }
    if (auto const* w = seed.if_contains("watch_window"); w && w->is_int64() && w->as_int64() > 0)
        st.window = static_cast<std::size_t>(w->as_int64());
    if (watch_window)
        st.window = watch_window;

    std::vector<std::string> namespaces = strings(seed, "namespaces");
    if (std::find(namespaces.begin(), namespaces.end(), "default") == namespaces.end())
        namespaces.insert(namespaces.begin(), "default");
    request_record rec;
    auto post = [&](std::string const& path, json::object const& body) {
        api_request req = seed_request("POST", path + "?fieldManager=esx-mock-seed", "application/json");
        req.body = json::serialize(body);
        http_reply r = handler.handle(req, rec);
        if (r.code >= 300 && r.code != 409)
            throw std::runtime_error("esx-mock-kube: seed object at " + path + " rejected: " + r.body);
    };
    for (auto const& ns : namespaces)
        post("/api/v1/namespaces", json::object{{"apiVersion", "v1"}, {"kind", "Namespace"},
                                                {"metadata", json::object{{"name", ns}}}});
    if (auto const* objs = seed.if_contains("objects"); objs && objs->is_array()) {
        for (auto const& ov : objs->as_array()) {
            if (!ov.is_object())
                throw std::runtime_error("esx-mock-kube: seed: objects[] entries must be objects");
            auto const& o = ov.as_object();
            std::string const api = str_of(o, "apiVersion"), kind = str_of(o, "kind");
            std::string const group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
            std::string const version = api.substr(api.find('/') == std::string::npos ? 0 : api.find('/') + 1);
            resource_info const* ri = nullptr;
            auto it = st.gvs.find(api);
            if (it != st.gvs.end())
                for (auto const& r : it->second)
                    if (r.kind == kind)
                        ri = &r;
            if (!ri)
                throw std::runtime_error("esx-mock-kube: seed: unknown kind " + kind + " in " + api +
                                         " (list CRDs before their objects)");
            std::string path = group.empty() ? "/api/v1" : "/apis/" + group + "/" + version;
            if (ri->namespaced) {
                std::string ns = str_of(cmeta(o), "namespace");
                path += "/namespaces/" + (ns.empty() ? std::string("default") : ns);
            }
            std::string const plural = ri->plural;
            post(path + "/" + plural, o);
            // Seeded status (e.g. a Ready ExternalSecret) goes through /status too.
            if (o.contains("status") && ri->status_sub && ri->custom) {
                api_request req = seed_request(
                    "PATCH", path + "/" + plural + "/" + str_of(cmeta(o), "name") + "/status?fieldManager=esx-mock-seed",
                    "application/merge-patch+json");
                req.body = json::serialize(json::object{{"status", *o.if_contains("status")}});
                handler.handle(req, rec);
            }
        }
    }
    // Seeding is not part of the watch history a test can observe as "new" (the caller clears it).
    return certificate_users;
}

}  // namespace esx::mocks::kube::detail
