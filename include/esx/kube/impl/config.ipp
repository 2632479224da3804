#ifndef ESX_KUBE_IMPL_CONFIG_IPP
#define ESX_KUBE_IMPL_CONFIG_IPP

#include <esx/kube/config.hpp>
#include <esx/kube/detail/text.hpp>
#include <esx/yaml.hpp>

#include <boost/json/value.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace esx::kube {
namespace detail {

namespace json = boost::json;

inline failure config_failure(std::string message) {
    return failure(make_error_code(error::invalid_option), std::move(message));
}

inline result<std::string, failure> read_text_file(std::filesystem::path const& p, std::string_view what) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return config_failure(std::string(what) + " " + p.string() + ": cannot be read");
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

// One named entry of a kubeconfig list and the folder of the file it came from.
struct named_entry {
    json::object body;
    std::filesystem::path dir;
    std::string file;
};

struct merged_kubeconfig {
    std::map<std::string, named_entry> clusters, users, contexts;
    std::string current_context;
};

/// A kubeconfig file's one document (YAML or JSON); null when the file is empty.
inline result<boost::json::value, failure> read_kubeconfig_document(std::string_view text) {
    yaml_options o;
    o.plain_scalars_as_text = true;
    o.max_nodes = 100'000;
    auto docs = yaml_documents(text, o);
    if (!docs) return docs.error();
    for (auto& d : *docs)
        if (!d.is_null()) return std::move(d);
    return boost::json::value(nullptr);
}

inline result<void, failure> merge_file(merged_kubeconfig& m, std::string_view text, std::filesystem::path const& dir,
                                        std::string const& file) {
    auto doc = read_kubeconfig_document(text);
    if (!doc) {
        auto f = doc.error();
        f.message = "kubeconfig " + file + ": " + f.message;
        return f;
    }
    if (doc->is_null()) return {};
    if (!doc->is_object()) return config_failure("kubeconfig " + file + ": not a mapping");
    auto const& o = doc->as_object();
    if (auto const* cc = o.if_contains("current-context"); cc && cc->is_string() && m.current_context.empty())
        m.current_context = std::string(cc->as_string());
    struct section { char const* list; char const* item; std::map<std::string, named_entry>* into; };
    for (auto const& s : {section{"clusters", "cluster", &m.clusters}, section{"users", "user", &m.users},
                          section{"contexts", "context", &m.contexts}}) {
        auto const* list = o.if_contains(s.list);
        if (!list || list->is_null()) continue;
        if (!list->is_array()) return config_failure("kubeconfig " + file + ": " + s.list + " must be a list");
        for (auto const& entry : list->as_array()) {
            auto const* name = entry.is_object() ? entry.as_object().if_contains("name") : nullptr;
            if (!name || !name->is_string())
                return config_failure("kubeconfig " + file + ": every entry of " + s.list + " needs a name");
            auto const* body = entry.as_object().if_contains(s.item);
            json::object b = body && body->is_object() ? body->as_object() : json::object{};
            // First file wins for a name, as kubectl merges.
            s.into->try_emplace(std::string(name->as_string()), named_entry{std::move(b), dir, file});
        }
    }
    return {};
}

// A string field, or an error naming it when it has another type.
inline result<std::string, failure> text_field(named_entry const& e, std::string_view section, std::string const& name,
                                               std::string_view key) {
    auto const* v = e.body.if_contains(key);
    if (!v || v->is_null()) return std::string();
    if (v->is_string()) return std::string(v->as_string());
    return config_failure("kubeconfig " + e.file + ": " + std::string(section) + " `" + name + "`: " +
                          std::string(key) + " must be a string");
}

inline result<bool, failure> bool_field(named_entry const& e, std::string_view section, std::string const& name,
                                        std::string_view key) {
    auto const* v = e.body.if_contains(key);
    if (!v || v->is_null()) return false;
    if (v->is_bool()) return v->as_bool();
    if (v->is_string() && (v->as_string() == "true" || v->as_string() == "false")) return v->as_string() == "true";
    return config_failure("kubeconfig " + e.file + ": " + std::string(section) + " `" + name + "`: " +
                          std::string(key) + " must be true or false");
}

inline std::filesystem::path resolve_path(named_entry const& e, std::string const& p) {
    std::filesystem::path const path(p);
    if (path.is_absolute() || e.dir.empty()) return path;
    return e.dir / path;
}

// `<key>-data` (base64) or `<key>` (a file), as PEM text.
inline result<std::string, failure> pem_field(named_entry const& e, std::string_view section, std::string const& name,
                                              std::string const& key) {
    auto data = text_field(e, section, name, key + "-data");
    if (!data) return data.error();
    if (!data->empty()) {
        auto decoded = base64_decode(*data);
        if (!decoded)
            return config_failure("kubeconfig " + e.file + ": " + std::string(section) + " `" + name + "`: " + key +
                                  "-data is not valid base64");
        return std::move(*decoded);
    }
    auto file = text_field(e, section, name, key);
    if (!file) return file.error();
    if (file->empty()) return std::string();
    return read_text_file(resolve_path(e, *file), std::string(section) + " `" + name + "` " + key);
}

inline result<exec_config, failure> exec_field(named_entry const& user, std::string const& name) {
    auto const& v = user.body.at("exec");
    std::string const where = "kubeconfig " + user.file + ": user `" + name + "`: exec";
    if (!v.is_object()) return config_failure(where + " must be a mapping");
    named_entry const e{v.as_object(), user.dir, user.file};
    exec_config out;
    auto api = text_field(e, "user", name, "apiVersion");
    if (!api) return api.error();
    if (*api != "client.authentication.k8s.io/v1" && *api != "client.authentication.k8s.io/v1beta1")
        return config_failure(where + ".apiVersion must be client.authentication.k8s.io/v1 (or v1beta1), not `" + *api +
                              "`");
    out.api_version = *api;
    auto cmd = text_field(e, "user", name, "command");
    if (!cmd) return cmd.error();
    if (cmd->empty()) return config_failure(where + ".command is required");
    // client-go: a command with a path separator is relative to the kubeconfig's folder.
    out.command = cmd->find('/') != std::string::npos ? resolve_path(e, *cmd).string() : *cmd;
    if (auto const* args = e.body.if_contains("args"); args && !args->is_null()) {
        if (!args->is_array()) return config_failure(where + ".args must be a list of strings");
        for (auto const& a : args->as_array()) {
            if (!a.is_string()) return config_failure(where + ".args must be a list of strings");
            out.args.emplace_back(a.as_string());
        }
    }
    if (auto const* env = e.body.if_contains("env"); env && !env->is_null()) {
        if (!env->is_array()) return config_failure(where + ".env must be a list of {name, value}");
        for (auto const& kv : env->as_array()) {
            auto const* n = kv.is_object() ? kv.as_object().if_contains("name") : nullptr;
            auto const* val = kv.is_object() ? kv.as_object().if_contains("value") : nullptr;
            if (!n || !n->is_string() || (val && !val->is_string() && !val->is_null()))
                return config_failure(where + ".env must be a list of {name, value}");
            out.env.emplace_back(std::string(n->as_string()),
                                 val && val->is_string() ? std::string(val->as_string()) : std::string());
        }
    }
    auto pci = bool_field(e, "user", name, "provideClusterInfo");
    if (!pci) return pci.error();
    out.provide_cluster_info = *pci;
    auto hint = text_field(e, "user", name, "installHint");
    if (!hint) return hint.error();
    out.install_hint = *hint;
    return out;
}

inline result<config, failure> resolve(merged_kubeconfig const& m, std::string const& context_override) {
    std::string const context = context_override.empty() ? m.current_context : context_override;
    if (context.empty()) return config_failure("kubeconfig: no current-context and no context given");
    auto const ctx = m.contexts.find(context);
    if (ctx == m.contexts.end()) return config_failure("kubeconfig: context `" + context + "` not found");
    auto cluster_name = text_field(ctx->second, "context", context, "cluster");
    if (!cluster_name) return cluster_name.error();
    auto user_name = text_field(ctx->second, "context", context, "user");
    if (!user_name) return user_name.error();
    auto ns = text_field(ctx->second, "context", context, "namespace");
    if (!ns) return ns.error();
    auto const cl = m.clusters.find(*cluster_name);
    if (cl == m.clusters.end())
        return config_failure("kubeconfig: context `" + context + "`: cluster `" + *cluster_name + "` not found");

    config c;
    c.context = context;
    if (!ns->empty()) c.default_namespace = *ns;
    auto server = text_field(cl->second, "cluster", *cluster_name, "server");
    if (!server) return server.error();
    if (server->empty()) return config_failure("kubeconfig: cluster `" + *cluster_name + "`: server is required");
    while (server->size() > 1 && server->back() == '/') server->pop_back();
    c.server = *server;
    auto ca = pem_field(cl->second, "cluster", *cluster_name, "certificate-authority");
    if (!ca) return ca.error();
    c.ca_pem = std::move(*ca);
    auto insecure = bool_field(cl->second, "cluster", *cluster_name, "insecure-skip-tls-verify");
    if (!insecure) return insecure.error();
    c.insecure_skip_tls_verify = *insecure;
    auto proxy = text_field(cl->second, "cluster", *cluster_name, "proxy-url");
    if (!proxy) return proxy.error();
    c.proxy_url = *proxy;

    if (user_name->empty()) return c; // anonymous
    auto const us = m.users.find(*user_name);
    if (us == m.users.end())
        return config_failure("kubeconfig: context `" + context + "`: user `" + *user_name + "` not found");
    named_entry const& u = us->second;
    auto cert = pem_field(u, "user", *user_name, "client-certificate");
    if (!cert) return cert.error();
    auto key = pem_field(u, "user", *user_name, "client-key");
    if (!key) return key.error();
    if (cert->empty() != key->empty())
        return config_failure("kubeconfig: user `" + *user_name +
                              "`: client-certificate and client-key must be given together");
    c.client_certificate_pem = std::move(*cert);
    c.client_key_pem = secret_bytes(*key);
    esx::detail::secure_wipe(key->data(), key->size());

    auto token = text_field(u, "user", *user_name, "token");
    if (!token) return token.error();
    auto token_file = text_field(u, "user", *user_name, "tokenFile");
    if (!token_file) return token_file.error();
    bool const has_exec = u.body.contains("exec") && !u.body.at("exec").is_null();
    if (!token->empty()) {
        c.token = token_source::fixed(secret_bytes(*token));
        esx::detail::secure_wipe(token->data(), token->size());
    } else if (!token_file->empty()) {
        c.token = token_source::from_file(resolve_path(u, *token_file));
    } else if (has_exec) {
        auto e = exec_field(u, *user_name);
        if (!e) return e.error();
        e->cluster_server = c.server;
        e->cluster_ca_pem = c.ca_pem;
        c.token = token_source::from_exec(std::move(*e));
    }
    if (u.body.contains("auth-provider"))
        return config_failure("kubeconfig: user `" + *user_name +
                              "`: auth-provider is not supported (it was removed from kubectl; use exec)");
    return c;
}

} // namespace detail

ESX_DECL env_lookup process_environment() {
    return [](std::string const& name) -> std::optional<std::string> {
        if (char const* v = std::getenv(name.c_str())) return std::string(v);
        return std::nullopt;
    };
}

ESX_DECL result<config, failure> config::in_cluster(in_cluster_options const& o) {
    auto const host = o.env("KUBERNETES_SERVICE_HOST");
    auto const port = o.env("KUBERNETES_SERVICE_PORT");
    if (!host || host->empty() || !port || port->empty())
        return detail::config_failure(
            "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not in a cluster)");
    config c;
    bool const ipv6 = host->find(':') != std::string::npos;
    c.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
    auto const token_path = o.service_account_dir / "token";
    c.token = token_source::from_file(token_path);
    // Fail at start-up rather than at the first request when the token is missing.
    if (auto t = c.token->token(std::chrono::system_clock::now()); !t) return t.error();
    auto ca = detail::read_text_file(o.service_account_dir / "ca.crt", "in-cluster CA");
    if (!ca) return ca.error();
    c.ca_pem = std::move(*ca);
    if (auto ns = detail::read_text_file(o.service_account_dir / "namespace", "in-cluster namespace"); ns) {
        while (!ns->empty() && (ns->back() == '\n' || ns->back() == ' ')) ns->pop_back();
        if (!ns->empty()) c.default_namespace = std::move(*ns);
    }
    return c;
}

ESX_DECL result<config, failure> config::from_kubeconfig_text(std::string_view yaml, std::string const& context,
                                                              std::filesystem::path const& dir) {
    detail::merged_kubeconfig m;
    if (auto r = detail::merge_file(m, yaml, dir, "(text)"); !r) return r.error();
    return detail::resolve(m, context);
}

ESX_DECL result<config, failure> config::from_kubeconfig(kubeconfig_options const& o) {
    std::string paths = o.paths;
    if (paths.empty()) {
        if (auto env = o.env("KUBECONFIG"); env && !env->empty()) paths = *env;
        else if (auto home = o.env("HOME"); home && !home->empty()) paths = *home + "/.kube/config";
        else return detail::config_failure("kubeconfig: KUBECONFIG and HOME are unset");
    }
    detail::merged_kubeconfig m;
    std::size_t read = 0;
    std::size_t start = 0;
    while (start <= paths.size()) {
        auto end = paths.find(':', start);
        if (end == std::string::npos) end = paths.size();
        std::string const path = paths.substr(start, end - start);
        start = end + 1;
        if (path.empty()) continue;
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) continue; // kubectl skips missing files of the list
        auto text = detail::read_text_file(path, "kubeconfig");
        if (!text) return text.error();
        std::filesystem::path const dir = std::filesystem::absolute(path, ec).parent_path();
        if (auto r = detail::merge_file(m, *text, dir, path); !r) return r.error();
        ++read;
    }
    if (read == 0) return detail::config_failure("kubeconfig: none of `" + paths + "` exists");
    return detail::resolve(m, o.context);
}

ESX_DECL result<config, failure> config::load(kubeconfig_options const& o, in_cluster_options const& in) {
    auto const host = in.env("KUBERNETES_SERVICE_HOST");
    if (host && !host->empty() && o.paths.empty() && o.context.empty()) return in_cluster(in);
    return from_kubeconfig(o);
}

} // namespace esx::kube

#endif
