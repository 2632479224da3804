// esx mocks/kube: the API server's state behind one lock: the resources it serves, the
// objects and their resourceVersions, the change history watches resume from, the open
// watches, the identities the seed defines, the request log and the faults to inject.
//
// Its member functions are defined by concern: registry and discovery documents in
// discovery.cpp, CRD registration in crds.cpp, the object store in store.cpp, watch
// fan-out in watch.cpp, garbage collection in gc.cpp, Table output in table.cpp.
#ifndef ESX_MOCKS_KUBE_STATE_HPP
#define ESX_MOCKS_KUBE_STATE_HPP

#include "resource.hpp"
#include "selectors.hpp"
#include "server.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <openssl/types.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace esx::mocks::kube::detail {

// Stored objects are immutable and shared: the store, the history and a request that still
// reads the previous version hold the same object, so a write copies nothing it does not change.
using object_ptr = std::shared_ptr<json::object const>;

// One change, as watches replay it.
struct event_record {
    std::uint64_t rv;
    std::string type;  // ADDED, MODIFIED, DELETED
    std::string storage;
    std::string ns;
    std::shared_ptr<json::object const> old_obj;  // before (MODIFIED), null otherwise
    std::shared_ptr<json::object const> obj;
    std::size_t bytes = 0;  // approximate memory held, for the history cap
};

// Where a watch's events go: the connection streaming it (http_session.hpp).
class stream_sink {
public:
    virtual ~stream_sink() = default;
    virtual void send_chunk(std::string payload) = 0;
    virtual void end_stream() = 0;
    virtual void abort_stream() = 0;
};

struct watch_state {
    resource_info ri;  // the version that was asked for (apiVersion of events)
    std::string ns;    // "" = all namespaces
    std::vector<label_requirement> labels;
    std::vector<field_requirement> fields;
    bool bookmarks = false;
    bool table = false;
    std::weak_ptr<stream_sink> sink;
};

struct fault {
    unsigned status = 0;         // 0 = latency only
    std::size_t count = 1;       // how many matching requests it applies to
    std::string method;          // "" = any
    std::string path_prefix;     // "" = any
    std::chrono::milliseconds latency{0};
    std::size_t retry_after = 1; // seconds, for 429/503
};

struct user_rule {
    std::vector<std::string> verbs, resources, api_groups, namespaces;
};

// An authenticated identity and what it may do.
struct user_entry {
    std::string name;
    std::vector<std::string> groups;
    std::optional<std::vector<user_rule>> rules;  // nullopt: unrestricted
};

struct issued_token {
    std::string user;
    std::int64_t expires;
};

// An RBAC list matches `v` when it is empty, holds "*" or holds `v`.
inline bool list_has(std::vector<std::string> const& l, std::string const& v) {
    return l.empty() || std::find(l.begin(), l.end(), "*") != l.end() || std::find(l.begin(), l.end(), v) != l.end();
}

struct api_state {
    mutable std::mutex m;
    std::condition_variable changed;  // signalled on every new resourceVersion (tests wait on it)
    std::map<std::string, std::vector<resource_info>> gvs;  // group-version -> resources
    std::vector<std::string> group_order;                     // groups as first registered ("" first)
    std::map<std::string, object_ptr> objects;                // storage/ns/name -> object
    std::unordered_set<std::string> uids;                     // of every stored object (GC lookups)
    std::uint64_t rv = 1;
    std::deque<event_record> history;
    std::uint64_t compacted_rv = 0;
    std::size_t window = 1000;
    std::size_t history_bytes = 0;
    static constexpr std::size_t max_history_bytes = 64 * 1024 * 1024;
    std::vector<std::shared_ptr<watch_state>> watches;
    std::function<void(change const&)> observer;  // server::observe_changes
    std::uint64_t discovery_generation = 1;
    std::map<std::string, user_entry> tokens;                 // bearer -> user
    std::map<std::string, user_entry> users;                  // name -> user (rules for minted SA tokens and certificates)
    std::map<std::string, std::vector<user_rule>> group_rules;  // group -> rules (certificate users' O)
    std::map<std::string, issued_token> minted;
    std::string first_token;
    mutable std::mutex log_mutex;  // guards `log` alone: the log is read without taking `m`
    std::deque<request_record> log;
    std::vector<fault> faults;
    std::string server_url;
    // service-account signing key
    std::shared_ptr<EVP_PKEY> sa_key;
    std::string kid, jwk_n, jwk_e;

    // ----- service-account issuer (tokens.cpp)

    void make_sa_key();
    // The issuer's public keys, as served at /openid/v1/jwks.
    json::object jwks() const;

    // ----- registry and discovery (discovery.cpp)

    void add_resource(resource_info ri);
    resource_info const* find(std::string const& group, std::string const& version, std::string const& plural) const;
    std::vector<std::string> versions_of(std::string const& group) const;  // preferred first
    void register_builtins();

    json::object api_versions() const;
    json::object api_group(std::string const& g) const;
    json::object api_group_list() const;
    json::object resource_list(std::string const& gv) const;
    static json::array verbs_of(resource_info const& r);
    // Aggregated discovery (apidiscovery.k8s.io/v2) for /api (core) or /apis (groups).
    json::object aggregated(bool core) const;
    std::string openapi_hash(std::string const& gv) const;
    json::object openapi_root() const;
    json::object openapi_doc(std::string const& gv) const;

    // ----- CustomResourceDefinitions (crds.cpp)

    void register_crd(json::object const& crd);    // serves every served version
    void unregister_crd(json::object const& crd);  // and deletes its objects

    // ----- the object store (store.cpp)

    static std::string key_of(resource_info const& ri, std::string const& ns, std::string const& name);
    json::object const* lookup(resource_info const& ri, std::string const& ns, std::string const& name) const;
    // The stored object itself (null when absent): it stays valid however the store changes.
    object_ptr lookup_ptr(resource_info const& ri, std::string const& ns, std::string const& name) const;
    // A copy as served in `ri`'s version: only apiVersion changes between the versions of a
    // resource (conversion strategy None); events.k8s.io events rename their fields.
    static json::object served(resource_info const& ri, json::object o);
    // Whether served(ri, o) is `o` unchanged (the version it was written in), so that its text can
    // be shared instead of copying and serialising the object once more.
    static bool served_as_stored(resource_info const& ri, json::object const& o);
    // json::serialize(served(ri, o)), without the copy when served_as_stored(ri, o).
    static std::string served_text(resource_info const& ri, json::object const& o);
    resource_info const* info_for_storage(std::string const& storage) const;
    std::uint64_t next_rv() {
        changed.notify_all();
        return ++rv;
    }
    // Stores `obj` under a new resourceVersion and records the change (ADDED or MODIFIED).
    // Returns the stored object's JSON text (serialised once, for the history's size, the
    // watches and the reply).
    std::string put_object(resource_info const& ri, std::string const& ns, std::string const& name, json::object obj,
                           bool created);
    // Removes the object now (DELETED), then what goes with it (namespace contents, CRD
    // objects, dependents).
    void erase_object(resource_info const& ri, std::string const& ns, std::string const& name);
    // Records the change and fans it out; returns `obj`'s JSON text.
    std::string record(std::string type, std::string const& storage, std::string const& ns, object_ptr old_obj,
                       object_ptr obj, std::uint64_t rv_);

    // ----- watches (watch.cpp)

    std::string event_line(watch_state const& w, std::string const& type, json::object const& obj) const;
    // Which event (if any) a watcher sees for this change, given its filters.
    std::optional<std::string> visible_type(watch_state const& w, event_record const& e) const;
    // `text` is json::serialize(*e.obj): watches that are served the stored version share it.
    void notify(event_record const& e, std::string const& text);
    std::string bookmark_line(watch_state const& w) const;
    void send_bookmarks();
    std::size_t live_watches();
    std::size_t drop_watches();

    // ----- garbage collection and deletion (gc.cpp)

    void after_removal(resource_info const& ri, std::string const& ns, json::object const& obj);
    void collect_dependents(std::string const& uid, std::string const& owner_ns);
    bool uid_exists(std::string const& uid) const { return uids.count(uid) != 0; }
    // Deletes honouring finalizers and the propagation policy. Returns the object if it
    // still exists afterwards (finalizers pending).
    std::optional<json::object> delete_object(resource_info const& ri, std::string const& ns, std::string const& name,
                                              std::string const& policy);

    // ----- Table output (table.cpp)

    json::object table_for(resource_info const& ri, std::vector<json::object> const& items, bool partial_meta) const;
};

}  // namespace esx::mocks::kube::detail

#endif
