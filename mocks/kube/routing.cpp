// esx mocks/kube: the front door of the API: unauthenticated endpoints, discovery and
// OpenAPI URLs, then resource paths taken apart into a route and the verb they mean.
#include "handler.hpp"

#include "text.hpp"

#include <boost/json/serialize.hpp>

#include <exception>

namespace esx::mocks::kube::detail {

query_params parse_query(std::string_view q) {
    query_params p;
    if (q.empty())
        return p;
    for (auto const& part : split(q, '&')) {
        if (part.empty())
            continue;
        std::size_t const eq = part.find('=');
        std::string const k = percent_decode(part.substr(0, eq), true);
        std::string const v = eq == std::string::npos ? std::string() : percent_decode(part.substr(eq + 1), true);
        p.values[k] = v;
    }
    return p;
}

http_reply api_handler::handle(api_request const& req, request_record& rec) {
    warnings_.clear();
    try {
        http_reply r = dispatch(req, rec);
        // Warnings as kube-apiserver sends them (kubectl prints "Warning: ..." for each).
        for (auto const& w : warnings_)
            r.headers.emplace_back("Warning", "299 - " + quote_json(w));
        return r;
    } catch (api_error const& e) {
        http_reply r;
        r.code = e.code;
        r.body = json::serialize(e.status);
        r.headers = e.headers;
        return r;
    } catch (std::exception const& e) {
        http_reply r;
        r.code = 500;
        r.body = json::serialize(make_error(500, "InternalError", std::string("mock apiserver: ") + e.what()).status);
        return r;
    }
}

http_reply api_handler::ok_json(json::value const& v, unsigned code) {
    http_reply r;
    r.code = code;
    r.body = json::serialize(v);
    return r;
}

http_reply api_handler::ok_json(json::object const& o, unsigned code) {
    http_reply r;
    r.code = code;
    r.body = json::serialize(o);
    return r;
}

http_reply api_handler::ok_text(std::string json_text, unsigned code) {
    http_reply r;
    r.code = code;
    r.body = std::move(json_text);
    return r;
}

http_reply api_handler::dispatch(api_request const& req, request_record& rec) {
    std::string_view const target = req.target;
    std::size_t const qpos = target.find('?');
    std::string const path = std::string(target.substr(0, qpos));
    query_params const q = parse_query(qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1));
    std::string const method = req.method;

    // Unauthenticated endpoints (anonymous access on a real cluster).
    if (method == "GET") {
        if (path == "/version")
            return ok_json(json::object{{"major", "1"},         {"minor", "31"},
                                        {"gitVersion", "v1.31.0"}, {"gitCommit", "esx-mock"},
                                        {"gitTreeState", "clean"}, {"buildDate", "2024-08-13T00:00:00Z"},
                                        {"goVersion", "go1.22.5"}, {"compiler", "gc"},
                                        {"platform", "linux/amd64"}});
        if (path == "/healthz" || path == "/livez" || path == "/readyz") {
            http_reply r;
            r.content_type = "text/plain; charset=utf-8";
            r.body = "ok";
            return r;
        }
        if (path == "/.well-known/openid-configuration")
            return ok_json(json::object{{"issuer", st_.server_url},
                                        {"jwks_uri", st_.server_url + "/openid/v1/jwks"},
                                        {"response_types_supported", json::array{"id_token"}},
                                        {"subject_types_supported", json::array{"public"}},
                                        {"id_token_signing_alg_values_supported", json::array{"RS256"}}});
        if (path == "/openid/v1/jwks")
            return ok_json(st_.jwks());
    }

    auto user = authenticate(req);
    if (!user)
        throw make_error(401, "Unauthorized", "Unauthorized");
    rec.user = user->name;

    if (method == "GET") {
        bool const root_api = path == "/api" || path == "/api/";
        bool const root_apis = path == "/apis" || path == "/apis/";
        if ((root_api || root_apis) && wants_aggregated(req)) {
            http_reply r = ok_json(st_.aggregated(root_api));
            r.content_type = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
            return r;
        }
        if (root_api)
            return ok_json(st_.api_versions());
        if (root_apis)
            return ok_json(st_.api_group_list());
        if (path == "/api/v1")
            return ok_json(st_.resource_list("v1"));
        if (path == "/openapi/v3")
            return ok_json(st_.openapi_root());
        if (path.starts_with("/openapi/v3/")) {
            std::string rest = path.substr(12);
            std::string gv = rest.starts_with("api/") ? rest.substr(4) : rest.starts_with("apis/") ? rest.substr(5) : "";
            if (st_.gvs.count(gv))
                return ok_json(st_.openapi_doc(gv));
            throw not_found_path();
        }
        if (path.starts_with("/apis/")) {
            auto parts = split(std::string_view(path).substr(6), '/');
            if (parts.size() == 1 && !st_.versions_of(parts[0]).empty())
                return ok_json(st_.api_group(parts[0]));
            if (parts.size() == 2 && st_.gvs.count(parts[0] + "/" + parts[1]))
                return ok_json(st_.resource_list(parts[0] + "/" + parts[1]));
        }
    }

    route rt = resolve(path);
    if (!rt.ri)
        throw not_found_path();
    return serve_resource(req, q, rt, *user, method);
}

route api_handler::resolve(std::string const& path) {
    route rt;
    std::vector<std::string> segs;
    std::string group, version;
    if (path.starts_with("/api/v1/")) {
        version = "v1";
        segs = split(std::string_view(path).substr(8), '/');
    } else if (path.starts_with("/apis/")) {
        auto parts = split(std::string_view(path).substr(6), '/');
        if (parts.size() < 3)
            return rt;
        group = parts[0];
        version = parts[1];
        segs.assign(parts.begin() + 2, parts.end());
    } else {
        return rt;
    }
    if (!segs.empty() && segs.back().empty())
        segs.pop_back();
    for (auto& s : segs)
        s = percent_decode(s, false);
    if (segs.empty())
        return rt;
    // /namespaces/{ns}/{plural}... when {plural} is a namespaced resource
    if (segs[0] == "namespaces" && segs.size() >= 3) {
        if (auto const* ri = st_.find(group, version, segs[2]); ri && ri->namespaced) {
            rt.ri = ri;
            rt.ns = segs[1];
            rt.ns_in_path = true;
            if (segs.size() >= 4)
                rt.name = segs[3];
            if (segs.size() >= 5)
                rt.sub = segs[4];
            if (segs.size() > 5)
                rt.ri = nullptr;
            return rt;
        }
    }
    auto const* ri = st_.find(group, version, segs[0]);
    if (!ri)
        return rt;
    if (segs.size() > 3)
        return rt;
    rt.ri = ri;
    if (segs.size() >= 2)
        rt.name = segs[1];
    if (segs.size() >= 3)
        rt.sub = segs[2];
    return rt;
}

http_reply api_handler::serve_resource(api_request const& req, query_params const& q, route const& rt, user_entry const& user,
                          std::string const& method) {
    resource_info const& ri = *rt.ri;
    if (!rt.sub.empty()) {
        bool const ok = (rt.sub == "status" && ri.status_sub) ||
                        (rt.sub == "token" && ri.plural == "serviceaccounts" && ri.group.empty());
        if (!ok || rt.name.empty())
            throw not_found_path();
    }
    if (ri.namespaced && !rt.ns_in_path && !rt.name.empty())
        throw not_found_path();  // a namespaced object needs its namespace
    bool const collection = rt.name.empty();
    bool const watch = parse_bool(q.get("watch"));
    std::string verb;
    if (method == "GET")
        verb = collection ? (watch ? "watch" : "list") : "get";
    else if (method == "POST")
        verb = "create";
    else if (method == "PUT")
        verb = "update";
    else if (method == "PATCH")
        verb = "patch";
    else if (method == "DELETE")
        verb = collection ? "deletecollection" : "delete";
    else
        throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    if (ri.plural == "selfsubjectaccessreviews" && ri.group == "authorization.k8s.io") {
        if (method != "POST" || !collection)
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return access_review(req, user);
    }
    if (ri.plural == "selfsubjectreviews" && ri.group == "authentication.k8s.io") {
        if (method != "POST" || !collection)
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return self_review(req, user);  // `kubectl auth whoami`
    }
    authorize(user, verb, ri, rt.sub, rt.ns, rt.name);

    if (collection && (method == "PUT" || method == "PATCH"))
        throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    if (!collection && method == "POST" && rt.sub != "token")
        throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    if (rt.sub == "token") {
        if (method != "POST")
            throw make_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return token_request(req, rt);
    }
    update_manager_.clear();
    // Unknown fields of custom resources: Strict refuses them, Warn (the default) and Ignore drop them.
    field_validation_ = q.has("fieldValidation") ? q.get("fieldValidation") : "Warn";
    if (field_validation_ != "Strict" && field_validation_ != "Warn" && field_validation_ != "Ignore")
        throw bad_request("fieldValidation must be Ignore, Warn or Strict, not " + quote_json(field_validation_));
    if (method == "POST" || method == "PUT" || method == "PATCH") {
        std::string ct = lower(req.content_type);
        if (ct.find("apply-patch") == std::string::npos) {
            update_manager_ = q.get("fieldManager");
            if (update_manager_.empty()) {
                std::string const& ua = req.user_agent;
                update_manager_ = ua.substr(0, ua.find('/'));
            }
            if (update_manager_.empty())
                update_manager_ = "unknown";
        }
    }
    bool const dry = q.get("dryRun") == "All";
    if (!q.get("dryRun").empty() && !dry)
        throw bad_request("Invalid dryRun value: " + q.get("dryRun"));

    if (method == "GET" && watch)
        return start_watch(req, q, rt);
    if (method == "GET" && collection)
        return list(req, q, rt);
    if (method == "GET")
        return get(req, rt);
    if (method == "POST")
        return create(parse_body(req, ri, rt.name), q, rt, dry);
    if (method == "PUT")
        return replace(parse_body(req, ri, rt.name), q, rt, dry);
    if (method == "PATCH")
        return patch(req, q, rt, dry);
    if (method == "DELETE" && collection)
        return delete_collection(req, q, rt, dry);
    return remove(req, q, rt, dry);
}

bool api_handler::wants_aggregated(api_request const& req) {
    return req.accept.find("v=v2;as=APIGroupDiscoveryList") != std::string::npos;
}

bool api_handler::wants_table(api_request const& req) {
    return req.accept.find("as=Table") != std::string::npos;
}

http_reply api_handler::table_reply(json::object table) {
    http_reply r = ok_json(table);
    r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
    return r;
}

}  // namespace esx::mocks::kube::detail
