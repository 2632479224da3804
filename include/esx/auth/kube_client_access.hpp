// esx::auth::kube_client_access: `kube_access` over `esx::kube::client`.
#ifndef ESX_AUTH_KUBE_CLIENT_ACCESS_HPP
#define ESX_AUTH_KUBE_CLIENT_ACCESS_HPP

#include <esx/auth/kube_access.hpp>
#include <esx/kube/client.hpp>

#include <memory>

namespace esx::auth {

/** Reads Secrets and ServiceAccounts and makes TokenRequests through a `kube::client`.
    Failures are the client's (the API server's Status message, e.g. `secrets "x" not found`).
    Secret data is decoded into `secret_bytes`, and the parsed copies are wiped. */
template <class Client>
class kube_client_access {
public:
    explicit kube_client_access(std::shared_ptr<Client> client) : client_(std::move(client)) {}

    boost::asio::awaitable<result<std::optional<secret_bytes>, failure>> read_secret_key(std::string ns,
                                                                                         std::string name,
                                                                                         std::string key) {
        auto secret = co_await client_->get(kube::resources::secrets, ns, name);
        if (!secret) co_return secret.error();
        std::optional<secret_bytes> out;
        if (auto* data = secret->if_contains("data"); data && data->is_object()) {
            if (auto* v = data->as_object().if_contains(key); v && v->is_string()) {
                auto decoded = kube::detail::base64_decode(v->as_string());
                if (!decoded)
                    co_return failure{make_error_code(error::malformed_response),
                                      "data." + key + " of Secret " + ns + "/" + name + " is not valid base64"};
                out.emplace(*decoded);
                esx::detail::secure_wipe(decoded->data(), decoded->size());
            }
            for (auto& [k, v] : data->as_object())
                if (v.is_string()) esx::detail::secure_wipe(v.as_string().data(), v.as_string().size());
        }
        co_return out;
    }

    boost::asio::awaitable<result<std::map<std::string, std::string>, failure>>
    service_account_annotations(std::string ns, std::string name) {
        auto sa = co_await client_->get(kube::resources::service_accounts, ns, name);
        if (!sa) co_return sa.error();
        std::map<std::string, std::string> out;
        if (auto* meta = sa->if_contains("metadata"); meta && meta->is_object())
            if (auto* ann = meta->as_object().if_contains("annotations"); ann && ann->is_object())
                for (auto const& [k, v] : ann->as_object())
                    if (v.is_string()) out.emplace(std::string(k), std::string(v.as_string()));
        co_return out;
    }

    boost::asio::awaitable<result<secret_bytes, failure>> request_service_account_token(std::string ns,
                                                                                      std::string name,
                                                                                      std::vector<std::string> audiences) {
        kube::token_request_options o;
        o.audiences = std::move(audiences); // no expiration: the server's default, as ESO
        auto issued = co_await client_->create_token(ns, name, std::move(o));
        if (!issued) {
            failure f = issued.error();
            f.message = "TokenRequest for service account " + ns + "/" + name + " failed: " + f.what();
            co_return f;
        }
        co_return std::move(issued->token);
    }

    Client& client() noexcept { return *client_; }

private:
    std::shared_ptr<Client> client_;
};

static_assert(kube_access<kube_client_access<kube::client<>>>);

} // namespace esx::auth

#endif
