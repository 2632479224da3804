// esx mocks/kube: the API handler: one request in, one reply out, under the state's lock.
//
// It sees requests as plain strings (api_request), not as Beast messages, so only the
// connection code (http_session.cpp) and the server wiring compile Beast. Its member
// functions are defined by concern:
//   routing.cpp     the front door: discovery URLs, resource paths, verb choice
//   rbac.cpp        authentication (bearer tokens, client certificates) and authorisation
//   verbs.cpp       get, list, create, update, delete, deletecollection and the write path
//   validation.cpp  names, labels, Secrets and ConfigMaps
//   schema.cpp      custom resources against their CRD's structural schema
//   crds.cpp        CustomResourceDefinition rules and status
//   patch.cpp       JSON, merge and strategic merge patches
//   apply.cpp       server-side apply and managedFields
//   watch.cpp       watch streams
//   gc.cpp          objects created already orphaned
//   tokens.cpp      TokenRequest
#ifndef ESX_MOCKS_KUBE_HANDLER_HPP
#define ESX_MOCKS_KUBE_HANDLER_HPP

#include "server.hpp"
#include "state.hpp"
#include "status.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::mocks::kube::detail {

// The TLS client certificate a request came with, as the connection saw it.
struct client_certificate {
    bool verified = false;            // signed by the mock's CA, in its validity, for client auth
    std::string common_name;          // the user
    std::vector<std::string> organizations;  // the groups
};

// One HTTP request as the handler needs it.
struct api_request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query, as sent
    std::string content_type, accept, authorization, user_agent;
    std::string body;
    std::optional<client_certificate> certificate;  // none presented: nullopt
};

// One HTTP reply; a watch also carries what the stream needs.
struct http_reply {
    unsigned code = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};
    bool close = false;
    // Set for a watch: the stream registers this sink and keeps the connection.
    std::shared_ptr<watch_state> watch;
    std::vector<std::string> initial_chunks;
    bool end_after_initial = false;  // the stream ends after the initial events (an ERROR event)
    std::chrono::seconds watch_timeout{0};
};

struct query_params {
    std::map<std::string, std::string> values;
    bool has(std::string const& k) const { return values.count(k) != 0; }
    std::string get(std::string const& k) const {
        auto it = values.find(k);
        return it == values.end() ? std::string() : it->second;
    }
};

query_params parse_query(std::string_view q);

// A resource URL taken apart.
struct route {
    resource_info const* ri = nullptr;
    std::string ns, name, sub;
    bool ns_in_path = false;
};

class api_handler {
public:
    explicit api_handler(api_state& st) : st_(st) {}

    // Never throws: errors become Status replies. Call with the state's lock held.
    http_reply handle(api_request const& req, request_record& rec);

private:
    static http_reply ok_json(json::value const& v, unsigned code = 200);
    static http_reply ok_json(json::object const& o, unsigned code = 200);  // without a copy into a value
    static http_reply ok_text(std::string json_text, unsigned code = 200);  // already serialised

    // ----- routing.cpp
    http_reply dispatch(api_request const& req, request_record& rec);
    route resolve(std::string const& path);
    http_reply serve_resource(api_request const& req, query_params const& q, route const& rt, user_entry const& user,
                              std::string const& method);
    static bool wants_aggregated(api_request const& req);
    static bool wants_table(api_request const& req);
    http_reply table_reply(json::object table);

    // ----- rbac.cpp
    std::optional<user_entry> authenticate(api_request const& req);
    std::optional<user_entry> certificate_user(client_certificate const& cert) const;
    bool allowed(user_entry const& u, std::string const& verb, std::string const& group, std::string const& resource,
                 std::string const& ns) const;
    void authorize(user_entry const& u, std::string const& verb, resource_info const& ri, std::string const& sub,
                   std::string const& ns, std::string const& name) const;
    http_reply access_review(api_request const& req, user_entry const& user);
    http_reply self_review(api_request const& req, user_entry const& user);

    // ----- verbs.cpp
    http_reply get(api_request const& req, route const& rt);
    std::vector<json::object const*> select(query_params const& q, route const& rt);
    http_reply list(api_request const& req, query_params const& q, route const& rt);
    http_reply create(json::object o, query_params const& q, route const& rt, bool dry,
                      json::array const* managed = nullptr);
    http_reply replace(json::object o, query_params const& q, route const& rt, bool dry);
    http_reply remove(api_request const& req, query_params const& q, route const& rt, bool dry);
    http_reply delete_collection(api_request const& req, query_params const& q, route const& rt, bool dry);
    static json::object parse_body(api_request const& req, resource_info const& ri, std::string const& name);
    static json::object parse_json_object(std::string const& body, resource_info const& ri, std::string const& name);
    void check_kind(json::object const& o, resource_info const& ri);
    void require_namespace(resource_info const& ri, std::string const& ns);
    object_ptr live(route const& rt);  // never null: 404 when absent
    void check_rv(route const& rt, json::object const& body, json::object const& current);
    // Everything create, replace, patch and apply share once the body is final.
    http_reply commit(resource_info const& ri, route const& rt, json::object o, json::object const* old, bool dry,
                      bool status_write, unsigned created_code = 201);

    // ----- validation.cpp
    // Names, labels, finalizers, Secret / ConfigMap rules; `old` is the live object on update.
    // Throws 422 Invalid with these causes and `schema_causes` (custom resources) after them.
    void validate(resource_info const& ri, json::object& o, json::object const* old,
                  std::vector<cause> const& schema_causes);
    void validate_data(resource_info const& ri, json::object& o, json::object const* old, std::vector<cause>& causes);

    // ----- schema.cpp
    // A custom resource against its version's openAPIV3Schema: prunes unknown fields (or
    // refuses them under fieldValidation=Strict), applies defaults, collects violations.
    void validate_schema(resource_info const& ri, json::object& o, std::vector<cause>& causes);

    // ----- crds.cpp
    void validate_crd(json::object const& o, std::vector<cause>& causes);
    static void crd_status(json::object& o);

    // ----- patch.cpp, apply.cpp
    http_reply patch(api_request const& req, query_params const& q, route const& rt, bool dry);
    http_reply apply(json::value body, query_params const& q, route const& rt, bool dry);
    void record_update(json::object& o, json::object const* old);

    // ----- watch.cpp
    http_reply start_watch(api_request const& req, query_params const& q, route const& rt);

    // ----- gc.cpp
    void collect_if_orphaned(resource_info const& ri, std::string const& ns, std::string const& name);

    // ----- tokens.cpp
    http_reply token_request(api_request const& req, route const& rt);
    std::string sign_rs256(std::string const& input);

    api_state& st_;
    // Per request (the handler runs one request at a time, under the state's lock):
    std::string update_manager_;    // the manager of a non-apply write, "" for apply and reads
    std::string field_validation_;  // fieldValidation: Strict, Warn or Ignore
    std::vector<std::string> warnings_;  // Warning headers to send (299 "...")
};

}  // namespace esx::mocks::kube::detail

#endif
