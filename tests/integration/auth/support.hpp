// Shared by the auth integration tests: test key material, the mock Azure seed, a JWT maker
// for federated tokens and small helpers to run coroutines and read the mock's log.
#ifndef ESX_TESTS_INTEGRATION_AUTH_SUPPORT_HPP
#define ESX_TESTS_INTEGRATION_AUTH_SUPPORT_HPP

#include <esx/auth.hpp>
#include <esx/transport/http.hpp>
#include <esx/transport/https.hpp>

#include "../../../mocks/azure/fixture.hpp"
#include "../../../mocks/common/pki.hpp"
#include "../../support/run.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <openssl/core_names.h>
#include <openssl/pkcs12.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace esx::auth_test {

namespace net = boost::asio;
namespace pki = esx::mocks::pki;

inline std::string const suffix = "vault.esx.test";
inline std::string const scope = "https://vault.esx.test/.default";
inline std::string const fed_issuer = "https://kube.esx.test/oidc";

/// Keys are slow to make: one set per test program.
struct key_material {
    pki::authority ca = pki::authority::generate("esx auth test CA");
    pki::issued client = ca.issue_client("cert-app", std::chrono::hours(24), pki::key_type::rsa_2048);
    pki::issued stranger = ca.issue_client("cert-app", std::chrono::hours(24), pki::key_type::rsa_2048);
    pki::issued ec_client = ca.issue_client("cert-app", std::chrono::hours(24), pki::key_type::ec_p256);
    pki::detail::pkey_ptr issuer_key = pki::detail::generate_key(pki::key_type::rsa_2048);
};
inline key_material const& keys() {
    static key_material const k;
    return k;
}

inline std::string base64url_of_bn(EVP_PKEY* key, char const* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key, name, &bn);
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return esx::auth::detail::base64url(bytes);
}

/// The JWKS of the test issuer key (kid "k1").
inline boost::json::object issuer_jwks() {
    EVP_PKEY* k = keys().issuer_key.get();
    return {{"keys", boost::json::array{boost::json::object{{"kty", "RSA"}, {"kid", "k1"}, {"alg", "RS256"},
                                                             {"use", "sig"}, {"n", base64url_of_bn(k, "n")},
                                                             {"e", base64url_of_bn(k, "e")}}}}};
}

/// A service-account-like JWT signed by the test issuer.
inline std::string federated_token(std::string const& subject, std::string const& audience, long lifetime_seconds,
                                   long issued_ago = 0, std::string const& issuer = fed_issuer) {
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count() - issued_ago;
    static std::atomic<int> serial{0};
    boost::json::object claims{{"iss", issuer}, {"sub", subject}, {"aud", boost::json::array{boost::json::value(audience)}},
                               {"iat", now}, {"nbf", now}, {"exp", now + lifetime_seconds},
                               {"jti", "t" + std::to_string(++serial)}};
    boost::json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "k1"}};
    return esx::auth::detail::sign_jwt(keys().issuer_key.get(), esx::auth::jwt_algorithm::rs256,
                                       boost::json::serialize(header), boost::json::serialize(claims))
        .value();
}

/// An unencrypted PKCS#12 of a PEM certificate and key (no password, no MAC).
inline std::string pkcs12_of(pki::issued const& leaf) {
    auto cert = pki::detail::cert_from_pem(leaf.cert_pem);
    auto key = pki::detail::key_from_pem(leaf.key_pem);
    PKCS12* p12 = PKCS12_create(nullptr, "cert-app", key.get(), cert.get(), nullptr, -1, -1, 0, -1, 0);
    BOOST_REQUIRE(p12 != nullptr);
    unsigned char* der = nullptr;
    int const n = i2d_PKCS12(p12, &der);
    PKCS12_free(p12);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

inline std::string azure_seed() {
    boost::json::object seed{
        {"vault_suffix", suffix},
        {"token_lifetime", 3600},
        {"tenants", boost::json::array{boost::json::object{{"id", "esx-tenant"}}}},
        {"service_principals",
         boost::json::array{
             boost::json::object{{"client_id", "esx-client"}, {"secrets", boost::json::array{"esx-secret"}}},
             boost::json::object{{"client_id", "cert-app"}, {"certificates", boost::json::array{
                                                                 boost::json::value(keys().client.cert_pem)}}},
             boost::json::object{{"client_id", "wi-app"},
                                 {"federated_credentials",
                                  boost::json::array{boost::json::object{
                                      {"issuer", fed_issuer},
                                      {"subject", "system:serviceaccount:apps:sync"},
                                      {"audiences", boost::json::array{"api://AzureADTokenExchange"}}}}}}}},
        {"issuers", boost::json::array{boost::json::object{{"issuer", fed_issuer}, {"jwks", issuer_jwks()}}}},
        {"managed_identities",
         boost::json::array{boost::json::object{{"client_id", "mi-system"}, {"system_assigned", true}},
                            boost::json::object{{"client_id", "mi-user"}}}},
        {"vaults", boost::json::array{boost::json::object{
                       {"name", "v1"},
                       {"secrets", boost::json::array{boost::json::object{
                                       {"name", "hello"},
                                       {"versions", boost::json::array{boost::json::object{{"value", "world"}}}}}}}}}},
    };
    return boost::json::serialize(seed);
}

inline esx::mocks::azure::options azure_options() {
    esx::mocks::azure::options o;
    o.seed_json = azure_seed();
    return o;
}

/// The mock Azure server, an io_context and an https transport that trusts the mock's CA.
struct azure_fixture {
    esx::mocks::azure::server azure{azure_options()};
    net::io_context ioc;
    esx::transport::https https{ioc.get_executor(), tls_options()};

    esx::transport::options tls_options() const {
        esx::transport::options o;
        o.ca_pem = azure.ca_pem();
        return o;
    }
    /// The mock as a cloud: its authority and vault suffix.
    esx::cloud cloud() const {
        return {"MockCloud", azure.authority() + "/", suffix, "https://" + suffix};
    }
    std::string imds_endpoint() const { return azure.imds_url() + "/metadata/identity/oauth2/token"; }

    template <class T>
    T run(net::awaitable<T> task) { return esx::test::run(ioc, std::move(task)); }

    std::size_t count(std::string const& service) const {
        std::size_t n = 0;
        for (auto const& r : azure.requests()) n += r.service == service;
        return n;
    }
    std::size_t token_requests() const { return count("aad"); }
    std::vector<esx::mocks::azure::request_record> log(std::string const& service) const {
        std::vector<esx::mocks::azure::request_record> out;
        for (auto const& r : azure.requests())
            if (r.service == service) out.push_back(r);
        return out;
    }
};

/// A temporary file that is removed again.
struct temp_file {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("esx-auth-test-" + std::to_string(::getpid()) + "-" + std::to_string(next()));
    ~temp_file() { std::filesystem::remove(path); }
    void write(std::string const& text) const {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    }
    static int next() {
        static std::atomic<int> n{0};
        return ++n;
    }
};

/// True if `text` contains none of `secrets`.
inline bool free_of(std::string const& text, std::initializer_list<std::string_view> secrets) {
    for (auto s : secrets)
        if (!s.empty() && text.find(s) != std::string::npos) return false;
    return true;
}

} // namespace esx::auth_test

#endif
