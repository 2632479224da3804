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
            ++counts_->files;
            co_return secret_key_of(*s, key, ns, name);
        }
        if (memoize_) co_return co_await memoized_secret_key(std::move(ns), std::move(name), std::move(key));
        auto c = cluster_access();
        if (!c) co_return c.error();
        ++counts_->cluster;
        co_return co_await (*c)->read_secret_key(std::move(ns), std::move(name), std::move(key));
    }

    /** A copy for one store resolution: a Secret it reads from the cluster is read once, however
        many of its keys are asked for (a client id and secret are two keys of one Secret: one
        GET), until `forget_reads()`, which wipes what it kept and reads afresh from then on. The
        counters are shared with this one. */
    std::shared_ptr<manifest_access> for_one_resolution() const {
        auto copy = std::make_shared<manifest_access>(manifests_, cluster_);
        copy->access_ = access_;
        copy->counts_ = counts_;
        copy->memoize_ = true;
        return copy;
    }

    /// Ends what `for_one_resolution` started: the kept Secrets are wiped (`secret_bytes`).
    void forget_reads() {
        memoize_ = false;
        memo_.clear();
    }

    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>>
    service_account_annotations(std::string ns, std::string name) {
        if (auto const* sa = find("ServiceAccount", ns, name)) {
            ++counts_->files;
            co_return string_map(*sa, "annotations");
        }
        auto c = cluster_access();
        if (!c) co_return c.error();
        ++counts_->cluster;
        co_return co_await (*c)->service_account_annotations(std::move(ns), std::move(name));
    }

    boost::asio::awaitable<result<secret_bytes, failure>> request_service_account_token(std::string ns, std::string name,
                                                                                      std::vector<std::string> audiences) {
        auto c = cluster_access();
        if (!c) co_return c.error();
        ++counts_->cluster;
        co_return co_await (*c)->request_service_account_token(std::move(ns), std::move(name), std::move(audiences));
    }

    /// A namespace's labels (ClusterSecretStore `namespaceSelector`): from a Namespace in the
    /// files, else from the cluster; always with `kubernetes.io/metadata.name`, which the API
    /// server sets.
    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>> namespace_labels(std::string ns) {
        std::map<std::string, std::string> labels;
        if (auto const* n = find("Namespace", "", ns)) {
            ++counts_->files;
            labels = string_map(*n, "labels");
        } else {
            auto c = cluster_client();
            if (!c) co_return c.error();
            ++counts_->cluster;
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
            ++counts_->files;
            co_return data_of(*cm);
        }
        auto c = cluster_client();
        if (!c) co_return c.error();
        ++counts_->cluster;
        auto o = co_await (*c)->get(kube::resources::config_maps, ns, name);
        if (!o) co_return o.error();
        co_return data_of(*o);
    }

    std::size_t reads_from_files() const noexcept { return counts_->files; }
    std::size_t reads_from_cluster() const noexcept { return counts_->cluster; }
    spec::manifest_set const& manifests() const noexcept { return *manifests_; }

    /// The cluster client (for stores and ExternalSecrets that are not in the files).
    result<std::shared_ptr<Client>, failure> cluster_client() {
        if (!cluster_) return failure{make_error_code(error::invalid_option), "no Kubernetes cluster is configured"};
        return cluster_();
    }

private:
    /// A Secret's keys as one cluster read gave them; nothing for a value that is not base64.
    using secret_keys = std::map<std::string, std::optional<secret_bytes>, std::less<>>;

    boost::asio::awaitable<result<std::optional<secret_bytes>, failure>> memoized_secret_key(std::string ns,
                                                                                            std::string name,
                                                                                            std::string key) {
        std::string const id = ns + '/' + name;
        auto kept = memo_.find(id);
        if (kept == memo_.end()) {
            auto c = cluster_client();
            if (!c) co_return c.error();
            ++counts_->cluster;
            auto secret = co_await (*c)->get(kube::resources::secrets, ns, name);
            if (!secret) co_return secret.error();
            secret_keys keys;
            if (auto* data = secret->if_contains("data"); data && data->is_object()) {
                for (auto& [k, v] : data->as_object()) {
                    if (!v.is_string()) continue;
                    auto decoded = kube::detail::base64_decode(v.as_string());
                    std::optional<secret_bytes> value;
                    if (decoded) {
                        value.emplace(*decoded);
                        esx::detail::secure_wipe(decoded->data(), decoded->size());
                    }
                    keys.emplace(std::string(k), std::move(value));
                    esx::detail::secure_wipe(v.as_string().data(), v.as_string().size());
                }
            }
            kept = memo_.emplace(id, std::move(keys)).first;
        }
        auto const it = kept->second.find(key);
        if (it == kept->second.end()) co_return std::optional<secret_bytes>();
        if (!it->second)
            co_return failure{make_error_code(error::malformed_response),
                              "data." + key + " of Secret " + ns + "/" + name + " is not valid base64"};
        co_return std::optional<secret_bytes>(*it->second);
    }

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
    struct counters {
        std::size_t files = 0, cluster = 0;
    };
    std::shared_ptr<counters> counts_ = std::make_shared<counters>();
    bool memoize_ = false;                      ///< `for_one_resolution`
    std::map<std::string, secret_keys> memo_;  ///< "ns/name" -> keys, while memoizing
};

static_assert(auth::kube_access<manifest_access<>>);

} // namespace esx

#endif
