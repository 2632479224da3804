// esx::manifest_access: credentials and ServiceAccounts from the manifest files first, else
// from the cluster (an `auth::kube_access`).
//
// `esx sync -f stores.yaml` may carry the Secret with a service principal's credentials in the
// same files; then no cluster is needed for it. What the files do not hold is read from the
// cluster, made only when first needed. A TokenRequest always goes to the cluster.
#ifndef ESX_PIPELINE_MANIFEST_ACCESS_HPP
#define ESX_PIPELINE_MANIFEST_ACCESS_HPP

#include <esx/auth/kube_access.hpp>
#include <esx/auth/kube_client_access.hpp>
#include <esx/kube/client.hpp>
#include <esx/kube/detail/text.hpp>
#include <esx/spec/manifest.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace esx {

/** Reads Secrets, ServiceAccounts and Namespaces from a `manifest_set` first, and from the
    cluster when the files do not hold them. A Secret or ServiceAccount found in the files is
    the answer (a missing key is missing; the cluster is not asked). Counts what it read where,
    for tests and reports. Use it from one executor. */
template <class Client = kube::client<>>
class manifest_access {
public:
    /// Gives the cluster client, or why there is none; called on first need.
    using cluster_source = std::function<result<std::shared_ptr<Client>, failure>()>;

    manifest_access(std::shared_ptr<spec::manifest_set const> manifests, cluster_source cluster)
        : manifests_(std::move(manifests)), cluster_(std::move(cluster)) {}

    boost::asio::awaitable<result<std::optional<secret_bytes>, failure>> read_secret_key(std::string ns,
                                                                                         std::string name,
                                                                                         std::string key) {
        if (auto const* s = find("Secret", ns, name)) {
            ++from_files_;
            co_return secret_key_of(*s, key, ns, name);
        }
        auto c = cluster_access();
        if (!c) co_return c.error();
        ++from_cluster_;
        co_return co_await (*c)->read_secret_key(std::move(ns), std::move(name), std::move(key));
    }

    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>>
    service_account_annotations(std::string ns, std::string name) {
        if (auto const* sa = find("ServiceAccount", ns, name)) {
            ++from_files_;
            co_return string_map(*sa, "annotations");
        }
        auto c = cluster_access();
        if (!c) co_return c.error();
        ++from_cluster_;
        co_return co_await (*c)->service_account_annotations(std::move(ns), std::move(name));
    }

    boost::asio::awaitable<result<secret_bytes, failure>> request_service_account_token(std::string ns, std::string name,
                                                                                      std::vector<std::string> audiences) {
        auto c = cluster_access();
        if (!c) co_return c.error();
        ++from_cluster_;
        co_return co_await (*c)->request_service_account_token(std::move(ns), std::move(name), std::move(audiences));
    }

    /// A namespace's labels (ClusterSecretStore `namespaceSelector`): from a Namespace in the
    /// files, else from the cluster; always with `kubernetes.io/metadata.name`, which the API
    /// server sets.
    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>> namespace_labels(std::string ns) {
        std::map<std::string, std::string> labels;
        if (auto const* n = find("Namespace", "", ns)) {
            ++from_files_;
            labels = string_map(*n, "labels");
        } else {
            auto c = cluster_client();
            if (!c) co_return c.error();
            ++from_cluster_;
            auto o = co_await (*c)->get(kube::resources::namespaces, "", ns);
            if (!o) {
                failure f = o.error();
                f.message = "cannot read the labels of namespace \"" + ns + "\": " + f.what();
                co_return f;
            }
            labels = string_map(*o, "labels");
        }
        labels["kubernetes.io/metadata.name"] = ns;
        co_return labels;
    }

    /// A ConfigMap's `data` (`target.template.templateFrom[].configMap`): from a ConfigMap in
    /// the files, else from the cluster (the API server's message when it is not there).
    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>> config_map_data(std::string ns,
                                                                                              std::string name) {
        if (auto const* cm = find("ConfigMap", ns, name)) {
            ++from_files_;
            co_return data_of(*cm);
        }
        auto c = cluster_client();
        if (!c) co_return c.error();
        ++from_cluster_;
        auto o = co_await (*c)->get(kube::resources::config_maps, ns, name);
        if (!o) co_return o.error();
        co_return data_of(*o);
    }

    std::size_t reads_from_files() const noexcept { return from_files_; }
    std::size_t reads_from_cluster() const noexcept { return from_cluster_; }
    spec::manifest_set const& manifests() const noexcept { return *manifests_; }

    /// The cluster client (for stores and ExternalSecrets that are not in the files).
    result<std::shared_ptr<Client>, failure> cluster_client() {
        if (!cluster_) return failure{make_error_code(error::invalid_option), "no Kubernetes cluster is configured"};
        return cluster_();
    }

private:
    result<std::shared_ptr<auth::kube_client_access<Client>>, failure> cluster_access() {
        if (!access_) {
            auto c = cluster_client();
            if (!c) return c.error();
            access_ = std::make_shared<auth::kube_client_access<Client>>(*c);
        }
        return access_;
    }

    static std::string_view text_of(boost::json::object const& o, std::string_view member) {
        if (auto const* v = o.if_contains(member); v && v->is_string()) return v->get_string();
        return {};
    }

    boost::json::object const* find(std::string_view kind, std::string_view ns, std::string_view name) const {
        if (!manifests_) return nullptr;
        for (auto const& o : manifests_->core_objects) {
            if (text_of(o, "kind") != kind) continue;
            auto const* meta = o.if_contains("metadata");
            if (!meta || !meta->is_object()) continue;
            if (text_of(meta->get_object(), "name") != name) continue;
            if (!ns.empty() && text_of(meta->get_object(), "namespace") != ns) continue;
            return &o;
        }
        return nullptr;
    }

    static std::map<std::string, std::string> string_map(boost::json::object const& o, std::string_view member) {
        std::map<std::string, std::string> out;
        if (auto const* meta = o.if_contains("metadata"); meta && meta->is_object())
            if (auto const* m = meta->get_object().if_contains(member); m && m->is_object())
                for (auto const& [k, v] : m->get_object())
                    if (v.is_string()) out.emplace(std::string(k), std::string(v.get_string()));
        return out;
    }

    static std::map<std::string, std::string> data_of(boost::json::object const& o) {
        std::map<std::string, std::string> out;
        if (auto const* d = o.if_contains("data"); d && d->is_object())
            for (auto const& [k, v] : d->get_object())
                if (v.is_string()) out.emplace(std::string(k), std::string(v.get_string()));
        return out;
    }

    /// `stringData` wins over `data`, as the API server folds them.
    static result<std::optional<secret_bytes>, failure> secret_key_of(boost::json::object const& s, std::string const& key,
                                                                      std::string const& ns, std::string const& name) {
        if (auto const* sd = s.if_contains("stringData"); sd && sd->is_object())
            if (auto const* v = sd->get_object().if_contains(key); v && v->is_string())
                return std::optional<secret_bytes>(secret_bytes(std::string_view(v->get_string())));
        if (auto const* d = s.if_contains("data"); d && d->is_object())
            if (auto const* v = d->get_object().if_contains(key); v && v->is_string()) {
                auto decoded = kube::detail::base64_decode(v->get_string());
                if (!decoded)
                    return failure{make_error_code(error::invalid_option),
                                   "data." + key + " of Secret " + ns + "/" + name + " in the manifests is not valid base64"};
                std::optional<secret_bytes> out{secret_bytes(*decoded)};
                esx::detail::secure_wipe(decoded->data(), decoded->size());
                return out;
            }
        return std::optional<secret_bytes>();
    }

    std::shared_ptr<spec::manifest_set const> manifests_;
    cluster_source cluster_;
    std::shared_ptr<auth::kube_client_access<Client>> access_;
    std::size_t from_files_ = 0, from_cluster_ = 0;
};

static_assert(auth::kube_access<manifest_access<>>);

} // namespace esx

#endif
