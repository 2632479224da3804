// A test double of an auth policy: a real client-credentials POST to the mock's Entra ID
// token endpoint, a token cache per (scope, tenant), and counters. The real auth policies
// (include/esx/auth/) are written separately; this double only meets the contract the Key
// Vault client relies on.
#ifndef ESX_TESTS_INTEGRATION_KEYVAULT_COUNTING_CLIENT_SECRET_HPP
#define ESX_TESTS_INTEGRATION_KEYVAULT_COUNTING_CLIENT_SECRET_HPP

#include <esx/auth/access_token.hpp>
#include <esx/failure.hpp>
#include <esx/transport/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace esx::test {

class counting_client_secret {
public:
    /// The client accepts the vault's tenant from its challenge.
    static constexpr bool allows_tenant_discovery = true;

    counting_client_secret(std::string authority, std::string tenant, std::string client_id, std::string secret)
        : authority_(std::move(authority)), tenant_(std::move(tenant)), client_id_(std::move(client_id)),
          secret_(std::move(secret)) {
        if (!authority_.empty() && authority_.back() == '/') authority_.pop_back();
    }

    template <class Transport>
    boost::asio::awaitable<result<auth::access_token, failure>> token(Transport& transport,
                                                                      auth::token_request const& r) {
        ++calls_;
        asked_.push_back(r);
        auto const tenant = r.tenant_id.empty() ? tenant_ : r.tenant_id;
        auto key = std::make_pair(r.scope, tenant);
        if (auto it = cache_.find(key);
            it != cache_.end() && it->second.expires_on > std::chrono::system_clock::now() + std::chrono::minutes(5))
            co_return it->second;

        ++token_posts_;
        transport::request req;
        req.method = transport::verb::post;
        req.url = authority_ + "/" + tenant + "/oauth2/v2.0/token";
        req.idempotent = true;
        req.headers.set(transport::field::content_type, "application/x-www-form-urlencoded");
        req.body = "grant_type=client_credentials&client_id=" + encode(client_id_) +
                   "&client_secret=" + encode(secret_) + "&scope=" + encode(r.scope);
        auto res = co_await transport.send(std::move(req));
        if (!res) co_return failure{res.error(), "token request: " + res.error().message()};
        if (res->result_int() != 200)
            co_return failure{make_http_error(res->result_int()), "token request answered " +
                                                                      std::to_string(res->result_int())};
        boost::system::error_code ec;
        auto v = boost::json::parse(res->body(), ec);
        if (ec || !v.is_object() || !v.get_object().contains("access_token"))
            co_return failure{make_error_code(error::malformed_response), "token response is not JSON"};
        auto const& o = v.get_object();
        auto const& t = o.at("access_token").get_string();
        std::int64_t const lifetime = o.contains("expires_in") && o.at("expires_in").is_int64()
                                          ? o.at("expires_in").get_int64() : 3600;
        auth::access_token out{secret_bytes(std::string_view(t.data(), t.size())),
                               std::chrono::system_clock::now() + std::chrono::seconds(lifetime)};
        cache_[key] = out;
        co_return out;
    }

    /// As the real policies: forget the cached token a vault refused.
    void invalidate(auth::token_request const& r) {
        ++invalidations_;
        cache_.erase(std::make_pair(r.scope, r.tenant_id.empty() ? tenant_ : r.tenant_id));
    }

    std::size_t calls() const noexcept { return calls_; }
    std::size_t token_posts() const noexcept { return token_posts_; }
    std::size_t invalidations() const noexcept { return invalidations_; }
    std::vector<auth::token_request> const& asked() const noexcept { return asked_; }

private:
    static std::string encode(std::string_view s) {
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string out;
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
            else (out += '%') += hex[c >> 4], out += hex[c & 15];
        }
        return out;
    }

    std::string authority_, tenant_, client_id_, secret_;
    std::map<std::pair<std::string, std::string>, auth::access_token> cache_;
    std::vector<auth::token_request> asked_;
    std::size_t calls_ = 0, token_posts_ = 0, invalidations_ = 0;
};

} // namespace esx::test

#endif
