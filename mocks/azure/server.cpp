// esx mocks/azure: the whole mock in one translation unit (Beast, Boost.JSON
// and OpenSSL are expensive to compile; see server.hpp for the overview).
//
// Layout of this file:
//   1. small helpers: encoding, time, ids, HTTP responses
//   2. the state loaded from the seed
//   3. JWT issue / verify (RS256 with a key generated at start-up)
//   4. Entra ID: token endpoint, OIDC discovery, JWKS
//   5. IMDS
//   6. Key Vault secrets data plane
//   7. faults, request log, control endpoint
//   8. server: listeners and wiring
#include "server.hpp"

#include "mocks/common/pki.hpp"
#include "mocks/common/scripted_server.hpp"
#include "mocks/common/tcp_forwarder.hpp"

#include <boost/json.hpp>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <tuple>

namespace esx::mocks::azure {

namespace {

namespace json = boost::json;
namespace http = boost::beast::http;
using esx::test::action;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// ---------------------------------------------------------------------------
// 1. helpers

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> b(bytes);
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");
    static char const digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string uuid() {
    std::string h = random_hex(16);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string base64url(std::string_view in) {
    static char const alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    while (i + 3 <= in.size()) {
        std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
        i += 3;
    }
    if (in.size() - i == 1) {
        std::uint32_t v = std::uint8_t(in[i]) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
    } else if (in.size() - i == 2) {
        std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
    }
    return out;
}

// Accepts base64url without padding (and, leniently, with '=' padding, which
// older azure-identity code paths emit). nullopt for any other character.
std::optional<std::string> base64url_decode(std::string_view in) {
    while (!in.empty() && in.back() == '=')
        in.remove_suffix(1);
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-')
            v = 62;
        else if (c == '_')
            v = 63;
        else
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if (in.size() % 4 == 1)
        return std::nullopt;
    return out;
}

// Percent-decoding; with `plus_is_space` for form bodies. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9')
            return h - '0';
        if (h >= 'a' && h <= 'f')
            return h - 'a' + 10;
        if (h >= 'A' && h <= 'F')
            return h - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char const c = in[i];
        if (c == '%') {
            if (in.size() - i < 3)
                return std::nullopt;
            int const hi = hex(in[i + 1]);
            int const lo = hex(in[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string percent_encode(std::string_view in) {
    static char const digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : in) {
        unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out;
}

using params = std::multimap<std::string, std::string>;

// Parses "a=b&c=d". nullopt when an escape is malformed.
std::optional<params> parse_pairs(std::string_view s, bool plus_is_space) {
    params out;
    while (!s.empty()) {
        auto amp = s.find('&');
        std::string_view pair = s.substr(0, amp);
        s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
        if (pair.empty())
            continue;
        auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq), plus_is_space);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), plus_is_space);
        if (!key || !value)
            return std::nullopt;
        out.emplace(std::move(*key), std::move(*value));
    }
    return out;
}

std::optional<std::string> get(params const& p, std::string const& key) {
    auto it = p.find(key);
    if (it == p.end())
        return std::nullopt;
    return it->second;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos)
            break;
        start = pos + 1;
    }
    return out;
}

std::string utc_stamp(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
    return buf;
}

response json_response(unsigned status, json::value const& body) {
    response r;
    r.result(status);
    r.set(http::field::content_type, "application/json; charset=utf-8");
    r.body() = json::serialize(body);
    return r;
}

// ---------------------------------------------------------------------------
// 2. state

struct secret_version {
    std::string version;
    std::string value;
    std::optional<std::string> content_type;
    json::object tags;
    bool enabled = true;
    std::optional<std::int64_t> nbf, exp;
    std::int64_t created = 0, updated = 0;
    std::optional<std::string> kid;  // certificate-backed secrets point at their key
    bool managed = false;            // true for certificate-backed secrets
};

struct key_version {
    std::string version;
    json::object jwk;  // public members only; "kid" is added per response
    json::object tags;
    bool enabled = true;
    std::optional<std::int64_t> nbf, exp;
    std::int64_t created = 0, updated = 0;
    bool managed = false;
};

struct key_entry {
    std::string name;
    std::vector<key_version> versions;
    std::int64_t deleted_date = 0, scheduled_purge = 0;  // only for deleted entries
};

struct cert_version {
    std::string version;
    std::string der;
    json::object tags;
    json::object policy;  // without "id"
    bool enabled = true;
    std::int64_t nbf = 0, exp = 0, created = 0, updated = 0;
};

struct secret_entry {
    std::string name;                     // as first created (ids keep this case)
    std::vector<secret_version> versions;  // creation order; back() is the latest
    std::int64_t deleted_date = 0, scheduled_purge = 0;  // only for deleted entries
};

struct cert_entry {
    std::string name;
    std::vector<cert_version> versions;
    std::int64_t deleted_date = 0, scheduled_purge = 0;  // only for deleted entries
    // While deleted, the backing key and secret are held here (gone from the vault, back on recover).
    std::optional<key_entry> backing_key;
    std::optional<secret_entry> backing_secret;
};

struct vault_state {
    std::string name;
    std::string tenant;
    int recoverable_days = 90;
    std::map<std::string, secret_entry> secrets;  // key: lower-case name
    std::map<std::string, secret_entry> deleted;
    std::map<std::string, key_entry> keys;  // key: lower-case name
    std::map<std::string, cert_entry> certificates;
    std::map<std::string, key_entry> deleted_keys;
    std::map<std::string, cert_entry> deleted_certificates;
    // throttling: Azure's 4,000 secret operations per 10 s by default
    std::size_t throttle_limit = 4000;
    std::int64_t throttle_window_ms = 10000;
    std::optional<int> throttle_retry_after;
    std::deque<std::chrono::steady_clock::time_point> recent;
    bool empty_pages = false;  // serve an empty page (with a nextLink) before every page after the first
};

struct principal {
    std::string tenant;
    std::string client_id;
    std::string object_id;
    std::vector<std::string> secrets;
    std::vector<std::string> certificates;  // DER of each registered certificate
    struct federated {
        std::string issuer, subject;
        std::vector<std::string> audiences;
    };
    std::vector<federated> federated_credentials;
};

struct managed_identity {
    std::string tenant;
    std::string client_id;
    std::string object_id;
    std::string resource_id;
    bool system_assigned = false;
};

struct fault {
    std::string target = "all";  // all, aad, vault, imds
    std::string vault;           // only this vault (vault target), "" = any
    std::string kind = "status";  // status, reset, truncate, hang, delay
    unsigned status = 503;
    std::optional<int> retry_after;
    long long count = 1;  // remaining; -1 = unlimited
    double fraction = 1.0;
    std::int64_t latency_ms = 0;
};

std::string const all_secret_permissions[] = {"get", "list", "set", "delete", "recover", "purge", "import"};

std::vector<std::string> const api_versions = {
    "2015-06-01", "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.4-preview.1", "7.5", "7.5-preview.1",
    "7.6", "7.6-preview.1", "7.6-preview.2", "2025-06-01-preview", "2025-07-01"};
char const latest_api_version[] = "2025-07-01";

bool valid_object_name(std::string_view n) {
    if (n.empty() || n.size() > 127)
        return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
}

bool valid_version(std::string_view v) {
    return v.size() == 32 && std::all_of(v.begin(), v.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

// Seed access helpers: strict types, std::runtime_error naming the field.
std::string str_field(json::object const& o, char const* key, std::string const& def = {}, bool required = false) {
    auto const* v = o.if_contains(key);
    if (!v || v->is_null()) {
        if (required)
            throw std::runtime_error(std::string("seed: missing string field '") + key + "'");
        return def;
    }
    if (!v->is_string())
        throw std::runtime_error(std::string("seed: field '") + key + "' must be a string");
    return std::string(v->as_string());
}

std::optional<std::int64_t> int_field(json::object const& o, char const* key) {
    auto const* v = o.if_contains(key);
    if (!v || v->is_null())
        return std::nullopt;
    if (v->is_int64())
        return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->as_uint64());
    throw std::runtime_error(std::string("seed: field '") + key + "' must be an integer");
}

json::array const& arr_field(json::object const& o, char const* key) {
    static json::array const empty;
    auto const* v = o.if_contains(key);
    if (!v || v->is_null())
        return empty;
    if (!v->is_array())
        throw std::runtime_error(std::string("seed: field '") + key + "' must be an array");
    return v->as_array();
}

json::object const& obj_of(json::value const& v, char const* what) {
    if (!v.is_object())
        throw std::runtime_error(std::string("seed: each entry of '") + what + "' must be an object");
    return v.as_object();
}

// ---------------------------------------------------------------------------
// 3. JWT

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string bn_param(EVP_PKEY* key, char const* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
        throw std::runtime_error("EVP_PKEY_get_bn_param failed");
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

class signer {
public:
    signer() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), &EVP_PKEY_free) {
        if (!key_)
            throw std::runtime_error("RSA key generation failed");
        n_ = base64url(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N));
        e_ = base64url(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E));
        kid_ = random_hex(10);
    }

    std::string sign(json::object const& claims) const {
        json::object header{{"typ", "JWT"}, {"alg", "RS256"}, {"kid", kid_}};
        std::string input = base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        std::size_t len = 0;
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<unsigned char const*>(input.data()),
                           input.size()) != 1)
            throw std::runtime_error("JWT signing failed");
        std::string sig(len, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
            throw std::runtime_error("JWT signing failed");
        sig.resize(len);
        return input + "." + base64url(sig);
    }

    // Signature and structure only; the caller checks the claims.
    std::optional<json::object> verify(std::string_view token) const {
        auto parts = split(token, '.');
        if (parts.size() != 3)
            return std::nullopt;
        auto header = base64url_decode(parts[0]);
        auto payload = base64url_decode(parts[1]);
        auto sig = base64url_decode(parts[2]);
        if (!header || !payload || !sig)
            return std::nullopt;
        json::error_code ec;
        json::value h = json::parse(*header, ec);
        if (ec || !h.is_object())
            return std::nullopt;
        auto const* alg = h.as_object().if_contains("alg");
        if (!alg || !alg->is_string() || alg->as_string() != "RS256")
            return std::nullopt;
        std::string input = parts[0] + "." + parts[1];
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1)
            return std::nullopt;
        if (EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig->data()), sig->size(),
                             reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1) {
            ERR_clear_error();
            return std::nullopt;
        }
        json::value p = json::parse(*payload, ec);
        if (ec || !p.is_object())
            return std::nullopt;
        return p.as_object();
    }

    json::object jwks() const {
        return json::object{{"keys", json::array{json::object{{"kty", "RSA"},
                                                               {"use", "sig"},
                                                               {"kid", kid_},
                                                               {"alg", "RS256"},
                                                               {"n", n_},
                                                               {"e", e_}}}}};
    }

private:
    pkey_ptr key_;
    std::string n_, e_, kid_;
};


// ---------------------------------------------------------------------------
// 3b. X.509 and keys: client certificates, Key Vault keys and certificates

using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string digest(std::string_view data, EVP_MD const* md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string base64_std(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string cert_der(X509* cert) {
    int const len = i2d_X509(cert, nullptr);
    if (len <= 0)
        throw std::runtime_error("i2d_X509 failed");
    std::string out(static_cast<std::size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    i2d_X509(cert, &p);
    return out;
}

x509_ptr cert_from_der(std::string const& der) {
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    return x509_ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
}

// DER of the first certificate in a PEM string; throws for anything else.
std::string der_from_pem(std::string const& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    x509_ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
    if (!cert)
        throw std::runtime_error("seed: a service principal certificate is not a PEM certificate");
    return cert_der(cert.get());
}

std::string bn_param_padded(EVP_PKEY* key, char const* name, int size) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
        throw std::runtime_error("EVP_PKEY_get_bn_param failed");
    std::string out(static_cast<std::size_t>(size), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
    BN_free(bn);
    return out;
}

// The public JWK members of an RSA or EC key, as Key Vault returns them.
json::object public_jwk(EVP_PKEY* key) {
    json::object jwk;
    if (EVP_PKEY_is_a(key, "RSA")) {
        jwk["kty"] = "RSA";
        jwk["key_ops"] = json::array{"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"};
        jwk["n"] = base64url(bn_param(key, OSSL_PKEY_PARAM_RSA_N));
        jwk["e"] = base64url(bn_param(key, OSSL_PKEY_PARAM_RSA_E));
        return jwk;
    }
    char group[64] = {};
    std::size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1)
        throw std::runtime_error("EC group name unavailable");
    std::string const g = lower(group);
    std::string crv;
    int size = 0;
    if (g == "prime256v1" || g == "p-256") {
        crv = "P-256";
        size = 32;
    } else if (g == "secp384r1" || g == "p-384") {
        crv = "P-384";
        size = 48;
    } else if (g == "secp521r1" || g == "p-521") {
        crv = "P-521";
        size = 66;
    } else {
        throw std::runtime_error("unsupported EC curve " + g);
    }
    jwk["kty"] = "EC";
    jwk["key_ops"] = json::array{"sign", "verify"};
    jwk["crv"] = crv;
    jwk["x"] = base64url(bn_param_padded(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
    jwk["y"] = base64url(bn_param_padded(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
    return jwk;
}

// kty "RSA" with size 2048/3072/4096 or "EC" with crv P-256/P-384/P-521.
pkey_ptr generate_key(std::string const& kty, std::int64_t size, std::string const& crv) {
    EVP_PKEY* key = nullptr;
    if (kty == "RSA" || kty == "RSA-HSM") {
        if (size != 2048 && size != 3072 && size != 4096)
            throw std::runtime_error("seed: RSA key size must be 2048, 3072 or 4096");
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(size));
    } else if (kty == "EC" || kty == "EC-HSM") {
        if (crv != "P-256" && crv != "P-384" && crv != "P-521")
            throw std::runtime_error("seed: EC curve must be P-256, P-384 or P-521");
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", crv.c_str());
    } else {
        throw std::runtime_error("seed: key type must be RSA or EC");
    }
    if (!key)
        throw std::runtime_error("key generation failed");
    return pkey_ptr(key, &EVP_PKEY_free);
}

std::string private_key_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("PEM_write_bio_PrivateKey failed");
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string cert_pem(X509* cert) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        throw std::runtime_error("PEM_write_bio_X509 failed");
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed certificate the way Key Vault's "Self" issuer makes one:
// subject = issuer, serverAuth + clientAuth, validity from now.
x509_ptr self_signed(EVP_PKEY* key, std::string const& subject, std::int64_t validity_months) {
    x509_ptr cert(X509_new(), &X509_free);
    if (!cert)
        throw std::runtime_error("X509_new failed");
    X509_set_version(cert.get(), X509_VERSION_3);
    std::string serial = random_hex(16);
    serial[0] = '4';
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, serial.c_str());
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity_months * 30 * 86400));
    X509_NAME* name = X509_get_subject_name(cert.get());
    for (auto const& rdn : split(subject, ',')) {
        std::string part = rdn;
        while (!part.empty() && part.front() == ' ')
            part.erase(part.begin());
        auto eq = part.find('=');
        if (eq == std::string::npos ||
            X509_NAME_add_entry_by_txt(name, part.substr(0, eq).c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<unsigned char const*>(part.c_str() + eq + 1), -1, -1, 0) != 1)
            throw std::runtime_error("seed: certificate subject must look like CN=name[,O=org]: " + subject);
    }
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                              std::pair{NID_ext_key_usage, "serverAuth,clientAuth"},
                              std::pair{NID_subject_key_identifier, "hash"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (!ext)
            throw std::runtime_error("X509V3_EXT_conf_nid failed");
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
        throw std::runtime_error("X509_sign failed");
    return cert;
}

// PKCS#12 (no password) of key + certificate, standard base64: the value of
// the secret behind a certificate with contentType application/x-pkcs12.
std::string pkcs12_base64(EVP_PKEY* key, X509* cert) {
    std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
        PKCS12_create(nullptr, nullptr, key, cert, nullptr, 0, 0, 0, 0, 0), &PKCS12_free);
    if (!p12)
        throw std::runtime_error("PKCS12_create failed");
    int const len = i2d_PKCS12(p12.get(), nullptr);
    std::string der(static_cast<std::size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    i2d_PKCS12(p12.get(), &p);
    return base64_std(der);
}

// An RSA or EC public key from a JWK (as a Kubernetes issuer publishes them);
// null for anything else or anything malformed.
std::shared_ptr<EVP_PKEY> key_from_jwk(json::object const& jwk) {
    auto str = [&](char const* k) {
        auto const* x = jwk.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    std::vector<std::unique_ptr<BIGNUM, decltype(&BN_free)>> bns;
    auto bn = [&](std::string const& bytes) {
        bns.emplace_back(BN_bin2bn(reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<int>(bytes.size()),
                                   nullptr),
                         &BN_free);
        return bns.back().get();
    };
    char const* type = nullptr;
    std::string point;  // must outlive the param build
    std::string group;
    if (str("kty") == "RSA") {
        auto n = base64url_decode(str("n"));
        auto e = base64url_decode(str("e"));
        if (!n || !e || n->empty() || e->empty())
            return nullptr;
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn(*n));
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn(*e));
        type = "RSA";
    } else if (str("kty") == "EC") {
        std::string const crv = str("crv");
        std::size_t const size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : crv == "P-521" ? 66 : 0;
        auto x = base64url_decode(str("x"));
        auto y = base64url_decode(str("y"));
        if (size == 0 || !x || !y || x->size() != size || y->size() != size)
            return nullptr;
        group = crv;
        point = std::string(1, '\x04') + *x + *y;
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
        type = "EC";
    } else {
        return nullptr;
    }
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld.get());
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                     &EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    bool const ok = params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    ERR_clear_error();
    if (!ok)
        return nullptr;
    return std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
}

// "x5t" as AAD prints it in errors: upper-case hex.
std::string thumbprint_hex(std::string const& b64url) {
    auto raw = base64url_decode(b64url);
    if (!raw)
        return b64url;
    static char const digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : *raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// Verifies a JWS signature made with RS256, PS256 or ES256/384/512.
bool verify_jws(EVP_PKEY* key, std::string const& alg, std::string_view input, std::string sig) {
    EVP_MD const* md = alg.ends_with("384") ? EVP_sha384() : alg.ends_with("512") ? EVP_sha512() : EVP_sha256();
    bool const rsa = EVP_PKEY_is_a(key, "RSA");
    if ((alg.starts_with("RS") || alg.starts_with("PS")) != rsa || !(alg.starts_with("RS") || alg.starts_with("PS") ||
                                                                     alg.starts_with("ES")))
        return false;
    if (!rsa) {
        // JWS carries r||s; OpenSSL wants a DER ECDSA-Sig-Value.
        if (sig.empty() || sig.size() % 2 != 0)
            return false;
        std::size_t const half = sig.size() / 2;
        ECDSA_SIG* es = ECDSA_SIG_new();
        BIGNUM* r = BN_bin2bn(reinterpret_cast<unsigned char const*>(sig.data()), static_cast<int>(half), nullptr);
        BIGNUM* s = BN_bin2bn(reinterpret_cast<unsigned char const*>(sig.data() + half), static_cast<int>(half), nullptr);
        ECDSA_SIG_set0(es, r, s);
        unsigned char* der = nullptr;
        int const len = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        if (len <= 0)
            return false;
        sig.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
        OPENSSL_free(der);
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1)
        return false;
    if (alg.starts_with("PS") && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        return false;
    bool const ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                                     reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
    ERR_clear_error();
    return ok;
}

// Verifies an RS256 / PS256 JWS with a certificate's public key.
bool verify_with_cert(X509* cert, std::string const& alg, std::string_view input, std::string const& sig) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key || !EVP_PKEY_is_a(key, "RSA"))
        return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1)
        return false;
    if (alg == "PS256") {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
            return false;
    } else if (alg != "RS256") {
        return false;
    }
    bool const ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                                     reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace

// ---------------------------------------------------------------------------
// the implementation object; its handlers are sections 4-7

struct server::impl {
    // configuration
    std::string suffix = "vault.esx.test";
    std::int64_t token_lifetime = 3600;
    std::vector<std::string> tenants;  // first is the default
    std::map<std::string, principal> principals;          // key: client id
    std::vector<managed_identity> identities;
    struct issuer_key {
        std::string kid;
        std::shared_ptr<EVP_PKEY> key;
    };
    std::map<std::string, std::vector<issuer_key>> issuers;  // OIDC issuer -> its JWKS
    std::map<std::string, vault_state> vaults;            // key: lower-case vault name
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> access;  // (identity, vault, kind) -> perms

    // run time
    mutable std::mutex mutex;
    std::vector<request_record> log;
    std::vector<fault> faults;
    std::mt19937_64 rng{12345};
    signer jwt;

    std::filesystem::path tls_dir;
    bool own_tls_dir = false;
    std::string ca_pem;
    unsigned short port = 0, imds_port = 0, control_port = 0;

    std::unique_ptr<esx::test::scripted_server> main_server, imds_server, control_server;
    std::unique_ptr<esx::mocks::tcp_forwarder> main_forwarder, imds_forwarder, control_forwarder;

    // -------------------------------------------------------------------
    // seed

    void load_seed(std::string const& text) {
        json::error_code ec;
        json::value doc = json::parse(text, ec);
        if (ec || !doc.is_object())
            throw std::runtime_error("seed: not a JSON object" + (ec ? ": " + ec.message() : std::string()));
        json::object const& root = doc.as_object();
        suffix = lower(str_field(root, "vault_suffix", suffix));
        if (auto t = int_field(root, "token_lifetime"))
            token_lifetime = *t;
        // Faults in force from the first request (the control endpoint adds more at run time).
        std::size_t fault_index = 0;
        for (auto const& f : arr_field(root, "faults")) {
            try {
                faults.push_back(parse_fault(json::serialize(f)));
            } catch (std::invalid_argument const& e) {
                throw std::runtime_error("seed: faults[" + std::to_string(fault_index) + "]: " + e.what());
            }
            ++fault_index;
        }
        for (auto const& t : arr_field(root, "tenants")) {
            if (t.is_string())
                tenants.emplace_back(t.as_string());
            else
                tenants.push_back(str_field(obj_of(t, "tenants"), "id", {}, true));
        }
        if (tenants.empty())
            throw std::runtime_error("seed: at least one tenant is required");
        for (auto const& v : arr_field(root, "service_principals")) {
            auto const& o = obj_of(v, "service_principals");
            principal p;
            p.tenant = str_field(o, "tenant", tenants.front());
            p.client_id = str_field(o, "client_id", {}, true);
            p.object_id = str_field(o, "object_id", uuid());
            for (auto const& s : arr_field(o, "secrets")) {
                if (!s.is_string())
                    throw std::runtime_error("seed: service principal secrets must be strings");
                p.secrets.emplace_back(s.as_string());
            }
            for (auto const& c : arr_field(o, "certificates")) {
                if (!c.is_string())
                    throw std::runtime_error("seed: service principal certificates must be PEM strings");
                p.certificates.push_back(der_from_pem(std::string(c.as_string())));
            }
            for (auto const& f : arr_field(o, "federated_credentials")) {
                auto const& fo = obj_of(f, "federated_credentials");
                principal::federated fc;
                fc.issuer = str_field(fo, "issuer", {}, true);
                fc.subject = str_field(fo, "subject", {}, true);
                for (auto const& a : arr_field(fo, "audiences"))
                    if (a.is_string())
                        fc.audiences.emplace_back(a.as_string());
                if (fc.audiences.empty())
                    fc.audiences.emplace_back("api://AzureADTokenExchange");
                p.federated_credentials.push_back(std::move(fc));
            }
            principals[p.client_id] = p;
        }
        for (auto const& i : arr_field(root, "issuers"))
            add_issuer(obj_of(i, "issuers"));
        for (auto const& v : arr_field(root, "managed_identities")) {
            auto const& o = obj_of(v, "managed_identities");
            managed_identity m;
            m.tenant = str_field(o, "tenant", tenants.front());
            m.client_id = str_field(o, "client_id", {}, true);
            m.object_id = str_field(o, "object_id", uuid());
            m.resource_id = str_field(o, "resource_id");
            auto const* sa = o.if_contains("system_assigned");
            m.system_assigned = sa && sa->is_bool() && sa->as_bool();
            identities.push_back(m);
        }
        std::int64_t const now = now_s();
        for (auto const& v : arr_field(root, "vaults")) {
            auto const& o = obj_of(v, "vaults");
            vault_state vs;
            vs.name = str_field(o, "name", {}, true);
            vs.tenant = str_field(o, "tenant", tenants.front());
            if (auto const* ep = o.if_contains("empty_pages"); ep && ep->is_bool())
                vs.empty_pages = ep->as_bool();
            if (auto d = int_field(o, "recoverable_days"))
                vs.recoverable_days = static_cast<int>(*d);
            if (auto const* th = o.if_contains("throttle"); th && th->is_object()) {
                auto const& t = th->as_object();
                if (auto l = int_field(t, "limit"))
                    vs.throttle_limit = static_cast<std::size_t>(*l);
                if (auto w = int_field(t, "window_seconds"))
                    vs.throttle_window_ms = *w * 1000;
                if (auto r = int_field(t, "retry_after"))
                    vs.throttle_retry_after = static_cast<int>(*r);
            }
            for (auto const& s : arr_field(o, "secrets")) {
                auto const& so = obj_of(s, "secrets");
                secret_entry e;
                e.name = str_field(so, "name", {}, true);
                if (!valid_object_name(e.name))
                    throw std::runtime_error("seed: invalid secret name '" + e.name + "'");
                auto const& versions = arr_field(so, "versions");
                if (versions.empty())
                    throw std::runtime_error("seed: secret '" + e.name + "' needs at least one version");
                std::int64_t t = now - static_cast<std::int64_t>(versions.size());
                for (auto const& vv : versions) {
                    auto const& vo = obj_of(vv, "versions");
                    secret_version sv;
                    sv.version = lower(str_field(vo, "version", random_hex(16)));
                    if (!valid_version(sv.version))
                        throw std::runtime_error("seed: version must be 32 hex characters");
                    sv.value = str_field(vo, "value", {}, true);
                    if (vo.contains("contentType"))
                        sv.content_type = str_field(vo, "contentType");
                    if (auto const* tg = vo.if_contains("tags"); tg && tg->is_object())
                        sv.tags = tg->as_object();
                    if (auto const* en = vo.if_contains("enabled"); en && en->is_bool())
                        sv.enabled = en->as_bool();
                    sv.nbf = int_field(vo, "nbf");
                    sv.exp = int_field(vo, "exp");
                    sv.created = int_field(vo, "created").value_or(++t);
                    sv.updated = int_field(vo, "updated").value_or(sv.created);
                    e.versions.push_back(std::move(sv));
                }
                bool const deleted = so.contains("deleted") && so.at("deleted").is_bool() && so.at("deleted").as_bool();
                if (deleted) {
                    e.deleted_date = now;
                    e.scheduled_purge = now + 86400LL * vs.recoverable_days;
                    vs.deleted[lower(e.name)] = std::move(e);
                } else {
                    vs.secrets[lower(e.name)] = std::move(e);
                }
            }
            for (auto const& k : arr_field(o, "keys")) {
                auto const& ko = obj_of(k, "keys");
                key_entry e;
                e.name = str_field(ko, "name", {}, true);
                if (!valid_object_name(e.name))
                    throw std::runtime_error("seed: invalid key name '" + e.name + "'");
                std::string const kty = str_field(ko, "kty", "RSA");
                std::int64_t const count = int_field(ko, "versions").value_or(1);
                for (std::int64_t i = 0; i < count; ++i) {
                    pkey_ptr key = generate_key(kty, int_field(ko, "size").value_or(2048), str_field(ko, "crv", "P-256"));
                    key_version kv;
                    kv.version = random_hex(16);
                    kv.jwk = public_jwk(key.get());
                    if (kty.ends_with("-HSM"))
                        kv.jwk["kty"] = kty;
                    if (auto const* tg = ko.if_contains("tags"); tg && tg->is_object())
                        kv.tags = tg->as_object();
                    if (auto const* en = ko.if_contains("enabled"); en && en->is_bool())
                        kv.enabled = en->as_bool();
                    kv.created = kv.updated = now - count + i;
                    e.versions.push_back(std::move(kv));
                }
                vs.keys[lower(e.name)] = std::move(e);
            }
            for (auto const& c : arr_field(o, "certificates")) {
                auto const& co = obj_of(c, "certificates");
                std::string const name = str_field(co, "name", {}, true);
                if (!valid_object_name(name))
                    throw std::runtime_error("seed: invalid certificate name '" + name + "'");
                std::string const kty = str_field(co, "kty", "RSA");
                std::int64_t const size = int_field(co, "size").value_or(2048);
                std::string const crv = str_field(co, "crv", "P-256");
                std::string const subject = str_field(co, "subject", "CN=" + name);
                std::int64_t const months = int_field(co, "validity_months").value_or(12);
                std::string const ctype = str_field(co, "content_type", "application/x-pkcs12");
                if (ctype != "application/x-pkcs12" && ctype != "application/x-pem-file")
                    throw std::runtime_error("seed: content_type must be application/x-pkcs12 or application/x-pem-file");
                json::object tags;
                if (auto const* tg = co.if_contains("tags"); tg && tg->is_object())
                    tags = tg->as_object();
                pkey_ptr key = generate_key(kty, size, crv);
                x509_ptr cert = self_signed(key.get(), subject, months);
                std::string const version = random_hex(16);
                cert_version cv;
                cv.version = version;
                cv.der = cert_der(cert.get());
                cv.tags = tags;
                cv.created = cv.updated = now;
                cv.nbf = now;
                cv.exp = now + months * 30 * 86400;
                json::object key_props{{"exportable", true}, {"kty", kty}, {"reuse_key", false}};
                if (kty.starts_with("RSA"))
                    key_props["key_size"] = size;
                else
                    key_props["crv"] = crv;
                cv.policy = json::object{
                    {"key_props", key_props},
                    {"secret_props", json::object{{"contentType", ctype}}},
                    {"x509_props", json::object{{"subject", subject},
                                                {"ekus", json::array{"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"}},
                                                {"key_usage", json::array{"digitalSignature", "keyEncipherment"}},
                                                {"validity_months", months},
                                                {"basic_constraints", json::object{{"ca", false}}}}},
                    {"lifetime_actions",
                     json::array{json::object{{"trigger", json::object{{"lifetime_percentage", 80}}},
                                              {"action", json::object{{"action_type", "EmailContacts"}}}}}},
                    {"issuer", json::object{{"name", "Self"}}},
                    {"attributes", json::object{{"enabled", true}, {"created", now}, {"updated", now}}}};
                vs.certificates[lower(name)] = cert_entry{name, {cv}, 0, 0, std::nullopt, std::nullopt};
                // The key and the secret behind the certificate, as in Azure: same name and version.
                key_version kv;
                kv.version = version;
                kv.jwk = public_jwk(key.get());
                kv.managed = true;
                kv.tags = tags;
                kv.nbf = cv.nbf;
                kv.exp = cv.exp;
                kv.created = kv.updated = now;
                vs.keys[lower(name)] = key_entry{name, {kv}, 0, 0};
                secret_version sv;
                sv.version = version;
                sv.value = ctype == "application/x-pem-file" ? private_key_pem(key.get()) + cert_pem(cert.get())
                                                             : pkcs12_base64(key.get(), cert.get());
                sv.content_type = ctype;
                sv.tags = tags;
                sv.nbf = cv.nbf;
                sv.exp = cv.exp;
                sv.created = sv.updated = now;
                sv.managed = true;
                sv.kid = "keys/" + name + "/" + version;  // made absolute per response
                vs.secrets[lower(name)] = secret_entry{name, {sv}, 0, 0};
            }
            vaults[lower(vs.name)] = std::move(vs);
        }
        for (auto const& v : arr_field(root, "access")) {
            auto const& o = obj_of(v, "access");
            std::string const id = str_field(o, "identity", {}, true);
            std::string const vault = lower(str_field(o, "vault", {}, true));
            if (!vaults.contains(vault))
                throw std::runtime_error("seed: access rule for unknown vault '" + vault + "'");
            for (char const* kind : {"secrets", "keys", "certificates"}) {
                auto& perms = access[{id, vault, kind}];
                for (auto const& p : arr_field(o, kind)) {
                    if (!p.is_string())
                        throw std::runtime_error("seed: permissions must be strings");
                    std::string s = lower(p.as_string());
                    if (s == "all")
                        perms.insert(perms.end(), std::begin(all_secret_permissions), std::end(all_secret_permissions));
                    else
                        perms.push_back(s);
                }
            }
        }
    }

    // {"issuer": "...", "jwks": {"keys": [...]}}: replaces that issuer's keys.
    void add_issuer(json::object const& o) {
        std::string const iss = str_field(o, "issuer", {}, true);
        auto const* jwks = o.if_contains("jwks");
        if (!jwks || !jwks->is_object() || !jwks->as_object().contains("keys") ||
            !jwks->as_object().at("keys").is_array())
            throw std::runtime_error("issuer '" + iss + "': 'jwks' must be an object with a 'keys' array");
        std::vector<issuer_key> keys;
        for (auto const& k : jwks->as_object().at("keys").as_array()) {
            if (!k.is_object())
                throw std::runtime_error("issuer '" + iss + "': each JWK must be an object");
            auto key = key_from_jwk(k.as_object());
            if (!key)
                throw std::runtime_error("issuer '" + iss + "': unsupported or malformed JWK");
            auto const* kid = k.as_object().if_contains("kid");
            keys.push_back({kid && kid->is_string() ? std::string(kid->as_string()) : std::string(), key});
        }
        issuers[iss] = std::move(keys);
    }

    // {"vault": "v1", "limit": N, "window_seconds": S, "retry_after": R|null}
    void set_throttle(json::object const& o) {
        std::string const name = lower(str_field(o, "vault", {}, true));
        auto it = vaults.find(name);
        if (it == vaults.end())
            throw std::runtime_error("throttle: unknown vault '" + name + "'");
        vault_state& v = it->second;
        auto const limit = int_field(o, "limit");
        auto const window = int_field(o, "window_seconds");
        if ((limit && *limit < 0) || (window && *window <= 0))
            throw std::runtime_error("throttle: limit must be >= 0 and window_seconds > 0");
        if (limit)
            v.throttle_limit = static_cast<std::size_t>(*limit);
        if (window)
            v.throttle_window_ms = *window * 1000;
        if (o.contains("retry_after")) {
            auto const r = int_field(o, "retry_after");
            v.throttle_retry_after = r ? std::optional<int>(static_cast<int>(*r)) : std::nullopt;
        }
        v.recent.clear();
    }

    // {"client_id": "...", "issuer": "...", "subject": "...", "audiences": [...]}
    void add_federated_credential(json::object const& o) {
        std::string const cid = str_field(o, "client_id", {}, true);
        auto it = principals.find(cid);
        if (it == principals.end())
            throw std::runtime_error("federated credential for unknown client_id '" + cid + "'");
        principal::federated fc;
        fc.issuer = str_field(o, "issuer", {}, true);
        fc.subject = str_field(o, "subject", {}, true);
        for (auto const& a : arr_field(o, "audiences"))
            if (a.is_string())
                fc.audiences.emplace_back(a.as_string());
        if (fc.audiences.empty())
            fc.audiences.emplace_back("api://AzureADTokenExchange");
        it->second.federated_credentials.push_back(std::move(fc));
    }

    // -------------------------------------------------------------------
    // addresses

    std::string authority() const { return "https://127.0.0.1:" + std::to_string(port); }
    std::string resource() const { return "https://" + suffix + ":" + std::to_string(port); }
    std::string vault_base(vault_state const& v) const {
        return "https://" + lower(v.name) + "." + suffix + ":" + std::to_string(port);
    }
    bool tenant_known(std::string const& t) const {
        return std::find(tenants.begin(), tenants.end(), t) != tenants.end();
    }
    // The resource a token may be issued for: https://<suffix> with or
    // without the port and a trailing slash. Returns the canonical form.
    std::optional<std::string> canonical_resource(std::string r) const {
        if (!r.empty() && r.back() == '/')
            r.pop_back();
        r = lower(r);
        if (r == "https://" + suffix || r == resource())
            return r;
        return std::nullopt;
    }

    // -------------------------------------------------------------------
    // 4. Entra ID

    response aad_error(unsigned status, std::string const& error, int code, std::string const& text) const {
        std::string const trace = uuid(), correlation = uuid();
        std::int64_t const t = now_s();
        json::object body{
            {"error", error},
            {"error_description", "AADSTS" + std::to_string(code) + ": " + text + "\r\nTrace ID: " + trace +
                                      "\r\nCorrelation ID: " + correlation + "\r\nTimestamp: " + utc_stamp(t)},
            {"error_codes", json::array{code}},
            {"timestamp", utc_stamp(t)},
            {"trace_id", trace},
            {"correlation_id", correlation},
            {"error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(code)}};
        response r = json_response(status, body);
        r.set(http::field::cache_control, "no-store, no-cache");
        r.set(http::field::pragma, "no-cache");
        r.set("x-ms-request-id", trace);
        return r;
    }

    std::string issue_token(std::string const& tenant, std::string const& client_id, std::string const& object_id,
                            std::string const& aud) {
        std::int64_t const t = now_s();
        json::object claims{{"aud", aud},
                            {"iss", "https://sts.windows.net/" + tenant + "/"},
                            {"iat", t},
                            {"nbf", t},
                            {"exp", t + token_lifetime},
                            {"appid", client_id},
                            {"appidacr", "1"},
                            {"idtyp", "app"},
                            {"oid", object_id},
                            {"sub", object_id},
                            {"tid", tenant},
                            {"uti", random_hex(8)},
                            {"ver", "1.0"}};
        return jwt.sign(claims);
    }

    // The exp/nbf check shared by certificate and federated assertions. Times may come as
    // integers or floats (MSAL Python sends float times). nullopt when within range.
    std::optional<response> check_assertion_times(json::object const& co) const {
        auto malformed = [&](std::string const& why) {
            return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed. " + why);
        };
        auto num = [&](char const* k) -> std::optional<std::int64_t> {
            auto const* x = co.if_contains(k);
            if (x && x->is_int64())
                return x->as_int64();
            if (x && x->is_uint64() && x->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
                return static_cast<std::int64_t>(x->as_uint64());
            if (x && x->is_double() && x->as_double() > -1e15 && x->as_double() < 1e15)
                return static_cast<std::int64_t>(x->as_double());  // MSAL Python sends float times
            return std::nullopt;
        };
        std::int64_t const now = now_s();
        auto const exp = num("exp");
        auto const nbf = num("nbf");
        if (!exp)
            return malformed("The assertion has no exp claim.");
        if (*exp <= now || (nbf && *nbf > now + 300))
            return aad_error(401, "invalid_client", 700024,
                             "Client assertion is not within its valid time range. Current time: " + utc_stamp(now) +
                                 ", assertion valid from " + (nbf ? utc_stamp(*nbf) : std::string("(unset)")) +
                                 ", expiry time of assertion " + utc_stamp(*exp) + ".");
        return std::nullopt;
    }

    // A client assertion naming a certificate (x5t / x5t#S256) is a
    // certificate credential; any other is a federated credential (e.g. a
    // Kubernetes service-account token).
    std::optional<response> check_assertion(std::string const& assertion, std::optional<std::string> const& type,
                                            principal const& p, std::string const& tenant,
                                            std::string_view host) const {
        auto parts = split(assertion, '.');
        if (parts.size() == 3) {
            if (auto h = base64url_decode(parts[0])) {
                json::error_code ec;
                json::value header = json::parse(*h, ec);
                if (!ec && header.is_object() && !header.as_object().contains("x5t") &&
                    !header.as_object().contains("x5t#S256"))
                    return check_federated_assertion(parts, header.as_object(), type, p);
            }
        }
        return check_certificate_assertion(assertion, type, p, tenant, host);
    }

    std::optional<response> check_federated_assertion(std::vector<std::string> const& parts,
                                                      json::object const& header,
                                                      std::optional<std::string> const& type,
                                                      principal const& p) const {
        if (!type || *type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            return aad_error(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'client_assertion_type'.");
        auto malformed = [&](std::string const& why) {
            return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed. " + why);
        };
        auto payload = base64url_decode(parts[1]);
        auto sig = base64url_decode(parts[2]);
        if (!payload || !sig)
            return malformed("A segment is not base64url.");
        json::error_code ec;
        json::value claims = json::parse(*payload, ec);
        if (ec || !claims.is_object())
            return malformed("The payload is not a JSON object.");
        auto const& co = claims.as_object();
        auto cs = [&](char const* k) {
            auto const* x = co.if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        std::vector<std::string> auds;
        if (auto const* a = co.if_contains("aud")) {
            if (a->is_string())
                auds.emplace_back(a->as_string());
            else if (a->is_array())
                for (auto const& x : a->as_array())
                    if (x.is_string())
                        auds.emplace_back(x.as_string());
        }
        std::string const iss = cs("iss"), sub = cs("sub");
        bool matched = false;
        for (auto const& fc : p.federated_credentials)
            if (fc.issuer == iss && fc.subject == sub &&
                std::any_of(auds.begin(), auds.end(), [&](auto const& a) {
                    return std::find(fc.audiences.begin(), fc.audiences.end(), a) != fc.audiences.end();
                }))
                matched = true;
        if (!matched)
            return aad_error(401, "invalid_client", 70021,
                             "No matching federated identity record found for presented assertion. Assertion "
                             "Issuer: '" + iss + "'. Assertion Subject: '" + sub + "'. Assertion Audience: '" +
                                 (auds.empty() ? std::string() : auds.front()) +
                                 "'. https://docs.microsoft.com/en-us/azure/active-directory/develop/"
                                 "workload-identity-federation");
        auto const* alg = header.if_contains("alg");
        auto const* kid = header.if_contains("kid");
        std::string const kid_s = kid && kid->is_string() ? std::string(kid->as_string()) : std::string();
        bool verified = false;
        if (auto it = issuers.find(iss); it != issuers.end() && alg && alg->is_string())
            for (auto const& k : it->second)
                if ((kid_s.empty() || k.kid.empty() || k.kid == kid_s) &&
                    verify_jws(k.key.get(), std::string(alg->as_string()), parts[0] + "." + parts[1], *sig))
                    verified = true;
        if (!verified)
            return aad_error(401, "invalid_client", 700027,
                             "Client assertion failed signature validation. [Reason - The key was not found., Key "
                             "ID: '" + kid_s + "', issuer: '" + iss + "']");
        return check_assertion_times(co);
    }

    // private_key_jwt: the assertion must be signed (RS256 or PS256) by a
    // certificate registered for the application, named by x5t (SHA-1) or
    // x5t#S256, with aud = this token endpoint, iss = sub = client id and a
    // current exp/nbf. nullopt when it is acceptable.
    std::optional<response> check_certificate_assertion(std::string const& assertion,
                                                        std::optional<std::string> const& type, principal const& p,
                                                        std::string const& tenant, std::string_view host) const {
        if (!type || *type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            return aad_error(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'client_assertion_type'.");
        auto malformed = [&](std::string const& why) {
            return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed. " + why);
        };
        auto parts = split(assertion, '.');
        if (parts.size() != 3)
            return malformed("The token does not have three segments.");
        auto h = base64url_decode(parts[0]);
        auto c = base64url_decode(parts[1]);
        auto sig = base64url_decode(parts[2]);
        if (!h || !c || !sig)
            return malformed("A segment is not base64url.");
        json::error_code ec;
        json::value header = json::parse(*h, ec);
        if (ec || !header.is_object())
            return malformed("The header is not a JSON object.");
        json::value claims = json::parse(*c, ec);
        if (ec || !claims.is_object())
            return malformed("The payload is not a JSON object.");
        auto const& ho = header.as_object();
        auto const& co = claims.as_object();
        auto hs = [&](char const* k) {
            auto const* x = ho.if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        auto cs = [&](char const* k) {
            auto const* x = co.if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        auto strip = [](std::string t) {
            while (!t.empty() && t.back() == '=')
                t.pop_back();
            return t;
        };
        std::string const x5t = strip(hs("x5t")), x5t256 = strip(hs("x5t#S256"));
        if (x5t.empty() && x5t256.empty())
            return malformed("The header names no certificate (x5t or x5t#S256).");
        std::string const* der = nullptr;
        for (auto const& d : p.certificates)
            if ((!x5t.empty() && base64url(digest(d, EVP_sha1())) == x5t) ||
                (!x5t256.empty() && base64url(digest(d, EVP_sha256())) == x5t256))
                der = &d;
        if (!der)
            return aad_error(401, "invalid_client", 700027,
                             "Client assertion failed signature validation. [Reason - The key was not found., "
                             "Thumbprint of key used by client: '" + thumbprint_hex(x5t.empty() ? x5t256 : x5t) +
                                 "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
                                 "configured keys for app Id '" + p.client_id + "'.]");
        x509_ptr cert = cert_from_der(*der);
        if (!cert || !verify_with_cert(cert.get(), hs("alg"), parts[0] + "." + parts[1], *sig))
            return aad_error(401, "invalid_client", 700027,
                             "Client assertion failed signature validation. [Reason - The provided signature value "
                             "did not match the expected signature value.]");
        std::string const path = "/" + tenant + "/oauth2/v2.0/token";
        std::string const aud = cs("aud");
        if (aud != authority() + path && aud != "https://" + std::string(host) + path &&
            aud != "https://localhost:" + std::to_string(port) + path)
            return aad_error(401, "invalid_client", 700212,
                             "The client assertion's audience '" + aud + "' is not the token endpoint '" +
                                 authority() + path + "'.");
        if (cs("iss") != p.client_id || cs("sub") != p.client_id)
            return aad_error(401, "invalid_client", 700021,
                             "Client assertion application identifier doesn't match 'client_id' parameter. Review "
                             "the documentation at https://docs.microsoft.com/azure/active-directory/develop/"
                             "active-directory-certificate-credentials .");
        return check_assertion_times(co);
    }

    response handle_aad(request const& req, request_record& rec) {
        std::string const target(req.target());
        std::string const path = target.substr(0, target.find('?'));
        auto segs = split(path, '/');  // "", tenant, ...
        std::string const tenant = segs.size() > 1 ? segs[1] : std::string();
        bool const is_token = segs.size() == 5 && segs[2] == "oauth2" && segs[3] == "v2.0" && segs[4] == "token";
        bool const is_oidc = segs.size() == 5 && segs[2] == "v2.0" && segs[3] == ".well-known" &&
                             segs[4] == "openid-configuration";
        bool const is_jwks = segs.size() == 5 && segs[2] == "discovery" && segs[3] == "v2.0" && segs[4] == "keys";
        if (!is_token && !is_oidc && !is_jwks) {
            response r = json_response(404, json::object{{"error", "not_found"}});
            return r;
        }
        auto unknown_tenant = [&](char const* error) {
            return aad_error(400, error, 90002,
                             "Tenant '" + tenant +
                                 "' not found. Check to make sure you have the correct tenant ID and are signing "
                                 "into the correct cloud. Check with your subscription administrator, this may "
                                 "happen if there are no active subscriptions for the tenant.");
        };
        if (is_oidc || is_jwks) {
            if (req.method() != http::verb::get)
                return aad_error(405, "invalid_request", 900561, "The endpoint only accepts GET requests.");
            if (!tenant_known(tenant))
                return unknown_tenant("invalid_tenant");
            if (is_jwks)
                return json_response(200, jwt.jwks());
            std::string const base = authority() + "/" + tenant;
            json::object body{
                {"token_endpoint", base + "/oauth2/v2.0/token"},
                {"token_endpoint_auth_methods_supported",
                 json::array{"client_secret_post", "private_key_jwt", "client_secret_basic"}},
                {"jwks_uri", base + "/discovery/v2.0/keys"},
                {"response_modes_supported", json::array{"query", "fragment", "form_post"}},
                {"subject_types_supported", json::array{"pairwise"}},
                {"id_token_signing_alg_values_supported", json::array{"RS256"}},
                {"response_types_supported", json::array{"code", "id_token", "code id_token", "id_token token"}},
                {"scopes_supported", json::array{"openid", "profile", "email", "offline_access"}},
                {"issuer", base + "/v2.0"},
                {"request_uri_parameter_supported", false},
                {"userinfo_endpoint", authority() + "/oidc/userinfo"},
                {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
                {"device_authorization_endpoint", base + "/oauth2/v2.0/devicecode"},
                {"http_logout_supported", true},
                {"frontchannel_logout_supported", true},
                {"end_session_endpoint", base + "/oauth2/v2.0/logout"},
                {"claims_supported", json::array{"sub", "iss", "aud", "exp", "iat", "nbf", "tid"}},
                {"tenant_region_scope", "WW"},
                {"cloud_instance_name", "microsoftonline.com"},
                {"cloud_graph_host_name", "graph.windows.net"},
                {"msgraph_host", "graph.microsoft.com"},
                {"rbac_url", "https://pas.windows.net"}};
            return json_response(200, body);
        }
        // token endpoint
        if (req.method() != http::verb::post)
            return aad_error(405, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a " +
                                                                 std::string(req.method_string()) + " request.");
        if (!tenant_known(tenant))
            return unknown_tenant("invalid_request");
        std::string const ctype = lower(req[http::field::content_type]);
        std::optional<params> form;
        if (ctype.starts_with("application/x-www-form-urlencoded"))
            form = parse_pairs(req.body(), true);
        if (!form)
            return aad_error(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'grant_type'.");
        auto grant = get(*form, "grant_type");
        if (!grant)
            return aad_error(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'grant_type'.");
        if (*grant != "client_credentials")
            return aad_error(400, "unsupported_grant_type", 70003,
                             "The app requested an unsupported grant type '" + *grant + "'.");
        auto client_id = get(*form, "client_id");
        if (!client_id)
            return aad_error(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'client_id'.");
        rec.identity = *client_id;
        auto scope = get(*form, "scope");
        if (!scope)
            return aad_error(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'scope'.");
        auto pit = principals.find(*client_id);
        if (pit == principals.end() || pit->second.tenant != tenant)
            return aad_error(400, "unauthorized_client", 700016,
                             "Application with identifier '" + *client_id + "' was not found in the directory '" +
                                 tenant +
                                 "'. This can happen if the application has not been installed by the administrator "
                                 "of the tenant or consented to by any user in the tenant. You may have sent your "
                                 "authentication request to the wrong tenant.");
        principal const& p = pit->second;
        auto secret = get(*form, "client_secret");
        auto assertion = get(*form, "client_assertion");
        if (assertion) {
            if (auto err = check_assertion(*assertion, get(*form, "client_assertion_type"), p, tenant,
                                           req[http::field::host]))
                return *err;
        } else if (!secret) {
            return aad_error(401, "invalid_client", 7000216,
                             "'client_assertion', 'client_secret' or 'request' is required for the "
                             "'client_credentials' grant type.");
        } else if (std::find(p.secrets.begin(), p.secrets.end(), *secret) == p.secrets.end())
            return aad_error(401, "invalid_client", 7000215,
                             "Invalid client secret provided. Ensure the secret being sent in the request is the "
                             "client secret value, not the client secret ID, for a secret added to app '" +
                                 *client_id + "'.");
        // scope: exactly one "<resource>/.default"
        std::string const& sc = *scope;
        if (sc.find(' ') != std::string::npos || !sc.ends_with("/.default"))
            return aad_error(400, "invalid_scope", 1002012,
                             "The provided value for scope " + sc +
                                 " is not valid. Client credential flows must have a scope value with /.default "
                                 "suffixed to the resource identifier (application ID URI).");
        auto aud = canonical_resource(sc.substr(0, sc.size() - std::string_view("/.default").size()));
        if (!aud)
            return aad_error(400, "invalid_resource", 500011,
                             "The resource principal named " + sc.substr(0, sc.size() - 9) +
                                 " was not found in the tenant named " + tenant +
                                 ". This can happen if the application has not been installed by the administrator "
                                 "of the tenant or consented to by any user in the tenant. You might have sent your "
                                 "authentication request to the wrong tenant.");
        json::object body{{"token_type", "Bearer"},
                          {"expires_in", token_lifetime},
                          {"ext_expires_in", token_lifetime},
                          {"access_token", issue_token(tenant, p.client_id, p.object_id, *aud)}};
        response r = json_response(200, body);
        r.set(http::field::cache_control, "no-store, no-cache");
        r.set(http::field::pragma, "no-cache");
        r.set("x-ms-request-id", uuid());
        r.set("x-ms-ests-server", "esx-mock-azure");
        return r;
    }

    // -------------------------------------------------------------------
    // 5. IMDS

    response imds_error(unsigned status, std::string const& error, std::string const& description) const {
        return json_response(status, json::object{{"error", error}, {"error_description", description}});
    }

    response handle_imds(request const& req, request_record& rec) {
        std::string const target(req.target());
        auto q = target.find('?');
        std::string const path = target.substr(0, q);
        if (path != "/metadata/identity/oauth2/token")
            return imds_error(404, "not_found", "The requested resource was not found.");
        auto metadata = req.find("Metadata");
        if (metadata == req.end() || metadata->value() != "true")
            return imds_error(400, "bad_request_102", "Required metadata header not specified");
        if (req.method() != http::verb::get)
            return imds_error(405, "method_not_allowed", "The request method is not supported.");
        auto query = parse_pairs(q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1),
                                 false);
        if (!query)
            return imds_error(400, "invalid_request", "Malformed query string");
        auto api = get(*query, "api-version");
        if (!api)
            return imds_error(400, "invalid_request", "Required queryparameter api-version not specified");
        auto res = get(*query, "resource");
        if (!res || res->empty())
            return imds_error(400, "invalid_request", "Required queryparameter resource not specified");
        managed_identity const* mi = nullptr;
        auto cid = get(*query, "client_id");
        auto oid = get(*query, "object_id");
        auto rid = get(*query, "msi_res_id");
        if (!rid)
            rid = get(*query, "mi_res_id");
        for (auto const& m : identities) {
            if ((cid && m.client_id == *cid) || (oid && m.object_id == *oid) ||
                (rid && !m.resource_id.empty() && lower(m.resource_id) == lower(*rid)) ||
                (!cid && !oid && !rid && m.system_assigned)) {
                mi = &m;
                break;
            }
        }
        if (!mi)
            return imds_error(400, "invalid_request", "Identity not found");
        rec.identity = mi->client_id;
        auto aud = canonical_resource(*res);
        if (!aud)
            return imds_error(400, "invalid_resource",
                              "AADSTS500011: The resource principal named " + *res +
                                  " was not found in the tenant named " + mi->tenant +
                                  ". This can happen if the application has not been installed by the administrator "
                                  "of the tenant or consented to by any user in the tenant. You might have sent your "
                                  "authentication request to the wrong tenant.");
        std::int64_t const t = now_s();
        json::object body{{"access_token", issue_token(mi->tenant, mi->client_id, mi->object_id, *aud)},
                          {"client_id", mi->client_id},
                          {"expires_in", std::to_string(token_lifetime)},
                          {"expires_on", std::to_string(t + token_lifetime)},
                          {"ext_expires_in", std::to_string(token_lifetime)},
                          {"not_before", std::to_string(t)},
                          {"resource", *res},
                          {"token_type", "Bearer"}};
        return json_response(200, body);
    }

    // -------------------------------------------------------------------
    // 6. Key Vault

    static response kv_error(unsigned status, std::string const& code, std::string const& message,
                             std::optional<std::string> inner = std::nullopt) {
        json::object err{{"code", code}, {"message", message}};
        if (inner)
            err["innererror"] = json::object{{"code", *inner}};
        return json_response(status, json::object{{"error", err}});
    }

    static response not_found(std::string const& what) {
        return kv_error(404, "SecretNotFound",
                        "A secret with (name/id) " + what +
                            " was not found in this key vault. If you recently deleted this secret you may be able "
                            "to recover it using the correct recovery command. For help resolving this issue, please "
                            "see https://go.microsoft.com/fwlink/?linkid=2125182");
    }

    static response deleted_not_found(std::string const& name) {
        return kv_error(404, "SecretNotFound", "Deleted Secret not found: " + name);
    }

    response challenge(vault_state const& v, std::string const& message) const {
        response r = kv_error(401, "Unauthorized", message);
        r.set(http::field::www_authenticate, "Bearer authorization=\"" + authority() + "/" + v.tenant +
                                                 "\", resource=\"" + resource() + "\"");
        return r;
    }

    json::object attributes(secret_version const& sv, vault_state const& v) const {
        return attrs(sv.enabled, sv.nbf, sv.exp, sv.created, sv.updated, v);
    }

    static json::object attrs(bool enabled, std::optional<std::int64_t> nbf, std::optional<std::int64_t> exp,
                              std::int64_t created, std::int64_t updated, vault_state const& v) {
        json::object a{{"enabled", enabled}};
        if (nbf)
            a["nbf"] = *nbf;
        if (exp)
            a["exp"] = *exp;
        a["created"] = created;
        a["updated"] = updated;
        a["recoveryLevel"] = v.recoverable_days == 90 ? "Recoverable+Purgeable" : "CustomizedRecoverable+Purgeable";
        a["recoverableDays"] = v.recoverable_days;
        return a;
    }

    json::object bundle(vault_state const& v, secret_entry const& e, secret_version const& sv, bool with_value,
                        bool with_version) const {
        json::object b;
        if (with_value)
            b["value"] = sv.value;
        b["id"] = vault_base(v) + "/secrets/" + e.name + (with_version ? "/" + sv.version : std::string());
        if (sv.content_type)
            b["contentType"] = *sv.content_type;
        b["attributes"] = attributes(sv, v);
        if (!sv.tags.empty())
            b["tags"] = sv.tags;
        if (sv.kid && with_value)
            b["kid"] = vault_base(v) + "/" + *sv.kid;
        if (sv.managed)
            b["managed"] = true;
        return b;
    }

    json::object deleted_bundle(vault_state const& v, secret_entry const& e, bool with_version) const {
        json::object b = bundle(v, e, e.versions.back(), false, with_version);
        b["recoveryId"] = vault_base(v) + "/deletedsecrets/" + e.name;
        b["deletedDate"] = e.deleted_date;
        b["scheduledPurgeDate"] = e.scheduled_purge;
        return b;
    }

    // One page of `items` starting at the skiptoken's offset.
    response page(std::vector<json::value> const& items, vault_state const& v, std::string const& collection,
                  params const& query, std::string const& api) const {
        std::size_t max = 25;
        bool max_given = false;
        if (auto m = get(query, "maxresults")) {
            char* end = nullptr;
            long n = std::strtol(m->c_str(), &end, 10);
            if (m->empty() || *end != '\0' || n < 1 || n > 25)
                return kv_error(400, "BadParameter", "Invalid value for the parameter maxresults: " + *m +
                                                         ". It must be an integer between 1 and 25.");
            max = static_cast<std::size_t>(n);
            max_given = true;
        }
        std::size_t offset = 0;
        bool empty_served = false;
        if (auto tok = get(query, "$skiptoken")) {
            auto decoded = base64url_decode(*tok);
            if (!decoded || !decoded->starts_with("esx-offset:"))
                return kv_error(400, "BadParameter", "The skip token is invalid.");
            char* end = nullptr;
            offset = std::strtoul(decoded->c_str() + 11, &end, 10);
            empty_served = std::string_view(end) == ":e";
        }
        auto link_to = [&](std::string const& token) {
            std::string link = vault_base(v) + "/" + collection + "?api-version=" + percent_encode(api) +
                               "&$skiptoken=" + base64url(token);
            if (max_given)
                link += "&maxresults=" + std::to_string(max);
            return link;
        };
        if (v.empty_pages && offset > 0 && !empty_served)
            return json_response(200, json::object{{"value", json::array{}},
                                                   {"nextLink", link_to("esx-offset:" + std::to_string(offset) + ":e")}});
        json::array value;
        for (std::size_t i = offset; i < items.size() && i < offset + max; ++i)
            value.push_back(items[i]);
        json::object body{{"value", value}};
        if (offset + max < items.size()) {
            body["nextLink"] = link_to("esx-offset:" + std::to_string(offset + max));
        } else {
            body["nextLink"] = nullptr;
        }
        return json_response(200, body);
    }

    bool allowed(std::string const& identity, vault_state const& v, std::string const& perm,
                 std::string const& kind = "secrets") const {
        auto it = access.find({identity, lower(v.name), kind});
        return it != access.end() && std::find(it->second.begin(), it->second.end(), perm) != it->second.end();
    }

    response forbidden(json::object const& claims, vault_state const& v, std::string const& perm,
                       std::string const& kind = "secrets") const {
        auto s = [&](char const* k) {
            auto const* x = claims.if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        return kv_error(403, "Forbidden",
                        "The user, group or application 'appid=" + s("appid") + ";oid=" + s("oid") + ";iss=" +
                            s("iss") + "' does not have " + kind + " " + perm + " permission on key vault '" + v.name +
                            ";location=eastus'. For help resolving this issue, please see "
                            "https://go.microsoft.com/fwlink/?linkid=2125287",
                        "AccessDenied");
    }

    // Applies a SecretSetParameters / SecretUpdateParameters "attributes" object.
    static std::optional<std::string> apply_attributes(json::object const& body, secret_version& sv) {
        if (auto const* ct = body.if_contains("contentType"); ct && !ct->is_null()) {
            if (!ct->is_string())
                return "contentType must be a string";
            if (ct->as_string().size() > 255)
                return "contentType is longer than 255 characters";
            sv.content_type = std::string(ct->as_string());
        }
        if (auto const* tg = body.if_contains("tags"); tg && !tg->is_null()) {
            if (!tg->is_object())
                return "tags must be an object";
            for (auto const& kv : tg->as_object())
                if (!kv.value().is_string())
                    return "tag values must be strings";
            sv.tags = tg->as_object();
        }
        if (auto const* at = body.if_contains("attributes"); at && !at->is_null()) {
            if (!at->is_object())
                return "attributes must be an object";
            auto const& a = at->as_object();
            if (auto const* en = a.if_contains("enabled"); en && !en->is_null()) {
                if (!en->is_bool())
                    return "attributes.enabled must be a boolean";
                sv.enabled = en->as_bool();
            }
            for (char const* k : {"nbf", "exp"}) {
                auto const* x = a.if_contains(k);
                if (!x || x->is_null())
                    continue;
                if (!x->is_int64() && !x->is_uint64())
                    return std::string("attributes.") + k + " must be an integer (Unix time)";
                (k[0] == 'n' ? sv.nbf : sv.exp) = x->to_number<std::int64_t>();
            }
        }
        return std::nullopt;
    }

    bool throttled(vault_state& v) {
        auto const now = std::chrono::steady_clock::now();
        auto const window = std::chrono::milliseconds(v.throttle_window_ms);
        while (!v.recent.empty() && now - v.recent.front() >= window)
            v.recent.pop_front();
        if (v.recent.size() >= v.throttle_limit)
            return true;  // 429s do not count towards the limit
        v.recent.push_back(now);
        return false;
    }

    static response throttled_response(std::optional<int> retry_after) {
        response r = kv_error(429, "Throttled",
                              "Request was not processed because too many requests were received. Reason: "
                              "VaultRequestTypeLimitReached");
        if (retry_after)
            r.set(http::field::retry_after, std::to_string(*retry_after));
        return r;
    }

    response handle_vault(request const& req, std::string const& vault_name, request_record& rec) {
        auto vit = vaults.find(vault_name);
        if (vit == vaults.end())
            return kv_error(404, "VaultNotFound", "The vault '" + vault_name + "' does not exist in this mock.");
        vault_state& v = vit->second;

        // Authenticate before looking at anything else (clients send a body-less probe first).
        auto authz = req[http::field::authorization];
        if (authz.empty())
            return challenge(v, "AKV10000: Request is missing a Bearer or PoP token.");
        if (authz.size() < 7 || lower(authz.substr(0, 7)) != "bearer ")
            return challenge(v, "AKV10000: Request is missing a Bearer or PoP token.");
        std::string_view token = authz.substr(7);
        auto claims = jwt.verify(token);
        if (!claims)
            return challenge(v, "AKV10046: Unable to resolve the key used for signature validation");
        auto claim = [&](char const* k) {
            auto const* x = claims->if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        std::int64_t exp = 0;
        if (auto const* e = claims->if_contains("exp"); e && e->is_int64())
            exp = e->as_int64();
        if (exp <= now_s())
            return challenge(v, "The access token has expired.");  // live wording not captured
        if (!canonical_resource(claim("aud")))
            return challenge(v, "AKV10022: Invalid audience. Expected https://" + suffix + ", found: " +
                                    claim("aud") + ".");
        if (claim("tid") != v.tenant)
            return challenge(v, "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + v.tenant +
                                    "/, found " + claim("iss") + ".");
        std::string const identity = claim("appid");
        rec.identity = identity;

        // Route.
        std::string const target(req.target());
        auto q = target.find('?');
        auto query = parse_pairs(q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1),
                                 false);
        if (!query)
            return kv_error(400, "BadParameter", "The request URI contains a malformed query string.");
        auto api = get(*query, "api-version");
        if (!api)
            return kv_error(400, "BadParameter", "The 'api-version' query parameter is required.");
        if (std::find(api_versions.begin(), api_versions.end(), *api) == api_versions.end())
            return kv_error(400, "BadParameter", "The specified version (" + *api +
                                                     ") is not recognized. Consider using the latest supported "
                                                     "version (" + latest_api_version + ").");
        auto raw = split(std::string_view(target).substr(0, q), '/');  // "", collection, ...
        std::vector<std::string> segs;
        for (std::size_t i = 1; i < raw.size(); ++i) {
            auto d = percent_decode(raw[i], false);
            if (!d)
                return kv_error(400, "BadParameter", "The request URI is malformed.");
            segs.push_back(*d);
        }
        static std::string const collections[] = {"secrets", "deletedsecrets", "keys", "deletedkeys",
                                                  "certificates", "deletedcertificates"};
        if (segs.empty() || std::find(std::begin(collections), std::end(collections), segs[0]) == std::end(collections))
            return kv_error(404, "NotFound", "The requested operation is not supported by the mock: " +
                                                 std::string(req.method_string()) + " " + target.substr(0, q));
        if (throttled(v))
            return throttled_response(v.throttle_retry_after);
        if (segs[0] == "keys" && segs.size() == 2 && req.method() == http::verb::put)
            return import_key(req, v, segs[1], identity, *claims);
        if (segs[0] == "certificates" && segs.size() == 3 && segs[2] == "import" && req.method() == http::verb::post)
            return import_certificate(req, v, segs[1], identity, *claims);
        if ((segs[0] == "keys" || segs[0] == "certificates") && segs.size() == 2 && !segs[1].empty() &&
            req.method() == http::verb::delete_)
            return delete_key_or_certificate(v, segs[0] == "keys", segs[1], identity, *claims);
        if (segs[0] == "deletedkeys" || segs[0] == "deletedcertificates")
            return handle_deleted_key_or_certificate(req.method(), v, segs, *query, *api, identity, *claims);
        if (segs[0] == "keys" || segs[0] == "certificates")
            return handle_read_only(req.method(), v, segs, *query, *api, identity, *claims);

        auto const method = req.method();
        bool const deleted_coll = segs[0] == "deletedsecrets";
        // "/secrets/n/" and "/secrets/n/%2F" mean the latest version.
        std::string name = segs.size() > 1 ? segs[1] : std::string();
        std::string version = segs.size() > 2 ? segs[2] : std::string();
        if (version == "/")
            version.clear();
        std::size_t const depth = segs.size() - (segs.size() > 2 && (segs[2].empty() || segs[2] == "/") ? 1 : 0);

        auto need = [&](std::string const& perm) -> std::optional<response> {
            if (!allowed(identity, v, perm))
                return forbidden(*claims, v, perm);
            return std::nullopt;
        };
        auto bad_name = [&]() { return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name); };

        if (!deleted_coll) {
            // GET /secrets
            if (segs.size() == 1 || (segs.size() == 2 && name.empty())) {
                if (method != http::verb::get)
                    return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
                if (auto f = need("list"))
                    return *f;
                std::vector<json::value> items;
                for (auto const& [k, e] : v.secrets)
                    items.emplace_back(bundle(v, e, e.versions.back(), false, false));
                return page(items, v, "secrets", *query, *api);
            }
            if (!valid_object_name(name))
                return bad_name();
            auto sit = v.secrets.find(lower(name));
            // GET /secrets/n/versions
            if (segs.size() == 3 && version == "versions" && method == http::verb::get) {
                if (auto f = need("list"))
                    return *f;
                if (sit == v.secrets.end())
                    return not_found(name);
                std::vector<json::value> items;
                for (auto const& sv : sit->second.versions)
                    items.emplace_back(bundle(v, sit->second, sv, false, true));
                return page(items, v, "secrets/" + sit->second.name + "/versions", *query, *api);
            }
            if (depth > 3)
                return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
            if (!version.empty() && !valid_version(version))
                return not_found(name + "/" + version);
            switch (method) {
            case http::verb::get: {
                if (auto f = need("get"))
                    return *f;
                if (sit == v.secrets.end())
                    return not_found(version.empty() ? name : name + "/" + version);
                secret_entry const& e = sit->second;
                secret_version const* sv = &e.versions.back();
                if (!version.empty()) {
                    auto it = std::find_if(e.versions.begin(), e.versions.end(),
                                           [&](auto const& x) { return x.version == lower(version); });
                    if (it == e.versions.end())
                        return not_found(name + "/" + version);
                    sv = &*it;
                }
                if (!sv->enabled)
                    return kv_error(403, "Forbidden", "Operation get is not allowed on a disabled secret.",
                                    "SecretDisabled");
                return json_response(200, bundle(v, e, *sv, true, true));
            }
            case http::verb::put: {
                if (!version.empty() || depth != 2)
                    return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
                if (auto f = need("set"))
                    return *f;
                json::error_code ec;
                json::value body = json::parse(req.body(), ec);
                if (ec || !body.is_object())
                    return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
                auto const* val = body.as_object().if_contains("value");
                if (!val || !val->is_string())
                    return kv_error(400, "BadParameter", "Property 'value' is required and must be a string.");
                if (val->as_string().size() > 25 * 1024)
                    return kv_error(400, "BadParameter",
                                    "The secret value exceeds the maximum size of 25 KB allowed by Key Vault.");
                if (v.deleted.contains(lower(name)))
                    return kv_error(409, "Conflict",
                                    "Secret " + name +
                                        " is currently in a deleted but recoverable state, and its name cannot be "
                                        "reused; in this state, the secret can only be recovered or purged.",
                                    "ObjectIsDeletedButRecoverable");
                secret_version sv;
                sv.version = random_hex(16);
                sv.value = std::string(val->as_string());
                if (auto err = apply_attributes(body.as_object(), sv))
                    return kv_error(400, "BadParameter", *err);
                sv.created = sv.updated = now_s();
                auto& e = v.secrets[lower(name)];
                if (e.name.empty())
                    e.name = name;
                e.versions.push_back(std::move(sv));
                return json_response(200, bundle(v, e, e.versions.back(), true, true));
            }
            case http::verb::patch: {
                if (auto f = need("set"))
                    return *f;
                if (sit == v.secrets.end())
                    return not_found(version.empty() ? name : name + "/" + version);
                secret_entry& e = sit->second;
                secret_version* sv = &e.versions.back();
                if (!version.empty()) {
                    auto it = std::find_if(e.versions.begin(), e.versions.end(),
                                           [&](auto const& x) { return x.version == lower(version); });
                    if (it == e.versions.end())
                        return not_found(name + "/" + version);
                    sv = &*it;
                }
                json::error_code ec;
                json::value body = json::parse(req.body(), ec);
                if (ec || !body.is_object())
                    return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
                secret_version copy = *sv;
                if (auto err = apply_attributes(body.as_object(), copy))
                    return kv_error(400, "BadParameter", *err);
                copy.updated = now_s();
                *sv = std::move(copy);
                return json_response(200, bundle(v, e, *sv, false, true));
            }
            case http::verb::delete_: {
                if (!version.empty() || depth != 2)
                    return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
                if (auto f = need("delete"))
                    return *f;
                if (sit == v.secrets.end())
                    return not_found(name);
                secret_entry e = std::move(sit->second);
                v.secrets.erase(sit);
                e.deleted_date = now_s();
                e.scheduled_purge = e.deleted_date + 86400LL * v.recoverable_days;
                auto& d = v.deleted[lower(name)] = std::move(e);
                return json_response(200, deleted_bundle(v, d, true));
            }
            default:
                return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
            }
        }

        // deletedsecrets
        if (segs.size() == 1 || (segs.size() == 2 && name.empty())) {
            if (method != http::verb::get)
                return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
            if (auto f = need("list"))
                return *f;
            std::vector<json::value> items;
            for (auto const& [k, e] : v.deleted)
                items.emplace_back(deleted_bundle(v, e, false));
            return page(items, v, "deletedsecrets", *query, *api);
        }
        if (!valid_object_name(name))
            return bad_name();
        auto dit = v.deleted.find(lower(name));
        if (segs.size() == 3 && version == "recover" && method == http::verb::post) {
            if (auto f = need("recover"))
                return *f;
            if (dit == v.deleted.end())
                return deleted_not_found(name);
            if (v.secrets.contains(lower(name)))
                return kv_error(409, "Conflict", "Secret " + name + " already exists.");
            secret_entry e = std::move(dit->second);
            v.deleted.erase(dit);
            e.deleted_date = e.scheduled_purge = 0;
            auto& r = v.secrets[lower(name)] = std::move(e);
            return json_response(200, bundle(v, r, r.versions.back(), false, true));
        }
        if (segs.size() != 2)
            return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
        if (method == http::verb::get) {
            if (auto f = need("get"))  // the SDKs document secrets/get for this
                return *f;
            if (dit == v.deleted.end())
                return deleted_not_found(name);
            return json_response(200, deleted_bundle(v, dit->second, true));
        }
        if (method == http::verb::delete_) {
            if (auto f = need("purge"))
                return *f;
            if (dit == v.deleted.end())
                return deleted_not_found(name);
            v.deleted.erase(dit);
            response r;
            r.result(204);
            return r;
        }
        return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
    }

    json::object key_json(vault_state const& v, key_entry const& e, key_version const& kv, bool with_version,
                          bool full) const {
        std::string const base = vault_base(v) + "/keys/";
        json::object o;
        if (full) {
            json::object jwk = kv.jwk;
            jwk["kid"] = base + e.name + "/" + kv.version;
            o["key"] = jwk;
        } else {
            o["kid"] = base + e.name + (with_version ? "/" + kv.version : std::string());
        }
        json::object a = attrs(kv.enabled, kv.nbf, kv.exp, kv.created, kv.updated, v);
        a["exportable"] = false;
        o["attributes"] = a;
        if (!kv.tags.empty())
            o["tags"] = kv.tags;
        if (kv.managed)
            o["managed"] = true;
        return o;
    }

    json::object cert_json(vault_state const& v, cert_entry const& e, cert_version const& cv, bool with_version,
                           bool full) const {
        std::string const base = vault_base(v) + "/certificates/";
        json::object o;
        o["id"] = base + e.name + (with_version ? "/" + cv.version : std::string());
        if (full) {
            o["kid"] = vault_base(v) + "/keys/" + e.name + "/" + cv.version;
            o["sid"] = vault_base(v) + "/secrets/" + e.name + "/" + cv.version;
        }
        o["x5t"] = base64url(digest(cv.der, EVP_sha1()));
        if (full)
            o["cer"] = base64_std(cv.der);
        o["attributes"] = attrs(cv.enabled, cv.nbf, cv.exp, cv.created, cv.updated, v);
        if (full) {
            json::object policy = cv.policy;
            policy["id"] = base + e.name + "/policy";
            o["policy"] = policy;
        }
        if (!cv.tags.empty())
            o["tags"] = cv.tags;
        return o;
    }

    // Reads "attributes" (enabled, nbf, exp) and "tags" of a key or
    // certificate request body; an error text for a bad one.
    static std::optional<std::string> read_common(json::object const& body, bool& enabled,
                                                  std::optional<std::int64_t>& nbf, std::optional<std::int64_t>& exp,
                                                  json::object& tags) {
        secret_version sv;
        sv.enabled = enabled;
        json::object filtered;
        if (auto const* a = body.if_contains("attributes"))
            filtered["attributes"] = *a;
        if (auto const* t = body.if_contains("tags"))
            filtered["tags"] = *t;
        if (auto err = apply_attributes(filtered, sv))
            return err;
        enabled = sv.enabled;
        nbf = sv.nbf;
        exp = sv.exp;
        tags = sv.tags;
        return std::nullopt;
    }

    // PUT /keys/{name}: import a JWK (only its public members are kept).
    response import_key(request const& req, vault_state& v, std::string const& name, std::string const& identity,
                        json::object const& claims) {
        if (!allowed(identity, v, "import", "keys"))
            return forbidden(claims, v, "import", "keys");
        if (!valid_object_name(name))
            return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
        json::error_code ec;
        json::value body = json::parse(req.body(), ec);
        if (ec || !body.is_object())
            return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
        auto const* k = body.as_object().if_contains("key");
        std::shared_ptr<EVP_PKEY> key = k && k->is_object() ? key_from_jwk(k->as_object()) : nullptr;
        if (!key)
            return kv_error(400, "BadParameter", "Property 'key' must be a valid RSA or EC JSON web key.");
        if (v.deleted_keys.contains(lower(name)))
            return kv_error(409, "Conflict",
                            "Key " + name + " is currently in a deleted but recoverable state, and its name cannot be "
                            "reused; in this state, the key can only be recovered or purged.",
                            "ObjectIsDeletedButRecoverable");
        key_version kv;
        kv.version = random_hex(16);
        kv.jwk = public_jwk(key.get());
        if (auto const* hsm = body.as_object().if_contains("hsm"); hsm && hsm->is_bool() && hsm->as_bool())
            kv.jwk["kty"] = std::string(kv.jwk["kty"].as_string()) + "-HSM";
        if (auto err = read_common(body.as_object(), kv.enabled, kv.nbf, kv.exp, kv.tags))
            return kv_error(400, "BadParameter", *err);
        kv.created = kv.updated = now_s();
        auto& e = v.keys[lower(name)];
        if (e.name.empty())
            e.name = name;
        e.versions.push_back(std::move(kv));
        return json_response(200, key_json(v, e, e.versions.back(), true, true));
    }

    // POST /certificates/{name}/import: a PKCS#12 (base64) or PEM (plain or
    // base64, as the Python SDK sends it) holding the key and the certificate.
    response import_certificate(request const& req, vault_state& v, std::string const& name,
                                std::string const& identity, json::object const& claims) {
        if (!allowed(identity, v, "import", "certificates"))
            return forbidden(claims, v, "import", "certificates");
        if (!valid_object_name(name))
            return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
        json::error_code ec;
        json::value body = json::parse(req.body(), ec);
        if (ec || !body.is_object())
            return kv_error(400, "BadParameter", "The request body is not a valid JSON object.");
        auto const& o = body.as_object();
        auto const* value = o.if_contains("value");
        if (!value || !value->is_string())
            return kv_error(400, "BadParameter", "Property 'value' is required and must be a string.");
        if (v.deleted_certificates.contains(lower(name)))
            return kv_error(409, "Conflict",
                            "Certificate " + name + " is currently in a deleted but recoverable state, and its name "
                            "cannot be reused; in this state, the certificate can only be recovered or purged.",
                            "ObjectIsDeletedButRecoverable");
        std::string pwd;
        if (auto const* p = o.if_contains("pwd"); p && p->is_string())
            pwd = std::string(p->as_string());
        std::string material(value->as_string());
        if (!material.starts_with("-----")) {
            // standard base64, possibly with line breaks
            std::string clean;
            for (char c : material)
                if (!std::isspace(static_cast<unsigned char>(c)))
                    clean += c;
            std::string raw(clean.size(), '\0');
            int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                    reinterpret_cast<unsigned char const*>(clean.data()), static_cast<int>(clean.size()));
            if (n < 0 || clean.size() % 4 != 0)
                return kv_error(400, "BadParameter", "The certificate value is neither PEM nor base64.");
            if (clean.ends_with("=="))
                n -= 2;
            else if (clean.ends_with("="))
                n -= 1;
            raw.resize(static_cast<std::size_t>(n));
            material = raw;
        }
        pkey_ptr key(nullptr, &EVP_PKEY_free);
        x509_ptr cert(nullptr, &X509_free);
        bool pem = material.starts_with("-----");
        if (pem) {
            std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new_mem_buf(material.data(), static_cast<int>(material.size())),
                                                         &BIO_free);
            key.reset(kb ? PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, pwd.data()) : nullptr);
            std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_mem_buf(material.data(), static_cast<int>(material.size())),
                                                         &BIO_free);
            cert.reset(cb ? PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr) : nullptr);
        } else {
            auto const* p = reinterpret_cast<unsigned char const*>(material.data());
            std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(material.size())),
                                                                &PKCS12_free);
            EVP_PKEY* k = nullptr;
            X509* c = nullptr;
            if (p12 && (PKCS12_parse(p12.get(), pwd.c_str(), &k, &c, nullptr) == 1 ||
                        (pwd.empty() && PKCS12_parse(p12.get(), nullptr, &k, &c, nullptr) == 1))) {
                key.reset(k);
                cert.reset(c);
            }
        }
        ERR_clear_error();
        if (!key || !cert)
            return kv_error(400, "BadParameter",
                            pem ? "The specified PEM X.509 certificate content is in an unexpected format. Please "
                                  "check if certificate is in valid PEM format."
                                : "The specified PFX content could not be read: a private key and a certificate "
                                  "(with the right password) are required.");
        if (X509_check_private_key(cert.get(), key.get()) != 1) {
            ERR_clear_error();
            return kv_error(400, "BadParameter", "The private key does not match the certificate.");
        }
        std::string ctype = pem ? "application/x-pem-file" : "application/x-pkcs12";
        if (auto const* pol = o.if_contains("policy"); pol && pol->is_object())
            if (auto const* sp = pol->as_object().if_contains("secret_props"); sp && sp->is_object())
                if (auto const* ct = sp->as_object().if_contains("contentType"); ct && ct->is_string())
                    ctype = std::string(ct->as_string());
        if (ctype != "application/x-pem-file" && ctype != "application/x-pkcs12")
            return kv_error(400, "BadParameter", "secret_props.contentType must be application/x-pkcs12 or "
                                                 "application/x-pem-file.");
        cert_version cv;
        std::optional<std::int64_t> unused_nbf, unused_exp;  // a certificate's validity comes from the certificate
        if (auto err = read_common(o, cv.enabled, unused_nbf, unused_exp, cv.tags))
            return kv_error(400, "BadParameter", *err);
        std::int64_t const now = now_s();
        auto asn1_unix = [](ASN1_TIME const* t) {
            std::tm tm{};
            ASN1_TIME_to_tm(t, &tm);
            return static_cast<std::int64_t>(timegm(&tm));
        };
        cv.version = random_hex(16);
        cv.der = cert_der(cert.get());
        cv.nbf = asn1_unix(X509_get0_notBefore(cert.get()));
        cv.exp = asn1_unix(X509_get0_notAfter(cert.get()));
        cv.created = cv.updated = now;
        char subject[512] = {};
        X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
        json::object jwk = public_jwk(key.get());
        json::object key_props{{"exportable", true}, {"kty", jwk["kty"]}, {"reuse_key", false}};
        if (jwk.contains("crv"))
            key_props["crv"] = jwk["crv"];
        else
            key_props["key_size"] = EVP_PKEY_get_bits(key.get());
        cv.policy = json::object{{"key_props", key_props},
                                 {"secret_props", json::object{{"contentType", ctype}}},
                                 {"x509_props", json::object{{"subject", subject}, {"ekus", json::array{}},
                                                             {"key_usage", json::array{}},
                                                             {"validity_months", (cv.exp - cv.nbf) / (30 * 86400)}}},
                                 {"issuer", json::object{{"name", "Unknown"}}},
                                 {"attributes", json::object{{"enabled", true}, {"created", now}, {"updated", now}}}};
        key_version kv;
        kv.version = cv.version;
        kv.jwk = jwk;
        kv.managed = true;
        kv.tags = cv.tags;
        kv.nbf = cv.nbf;
        kv.exp = cv.exp;
        kv.created = kv.updated = now;
        secret_version sv;
        sv.version = cv.version;
        sv.value = ctype == "application/x-pem-file" ? private_key_pem(key.get()) + cert_pem(cert.get())
                                                     : pkcs12_base64(key.get(), cert.get());
        sv.content_type = ctype;
        sv.tags = cv.tags;
        sv.nbf = cv.nbf;
        sv.exp = cv.exp;
        sv.created = sv.updated = now;
        sv.managed = true;
        sv.kid = "keys/" + name + "/" + cv.version;
        auto& ke = v.keys[lower(name)];
        if (ke.name.empty())
            ke.name = name;
        ke.versions.push_back(std::move(kv));
        auto& se = v.secrets[lower(name)];
        if (se.name.empty())
            se.name = name;
        se.versions.push_back(std::move(sv));
        auto& ce = v.certificates[lower(name)];
        if (ce.name.empty())
            ce.name = name;
        ce.versions.push_back(std::move(cv));
        return json_response(200, cert_json(v, ce, ce.versions.back(), true, true));
    }

    response kc_not_found(bool keys, std::string const& id) const {
        std::string const what = keys ? "key" : "certificate";
        return kv_error(404, keys ? "KeyNotFound" : "CertificateNotFound",
                        "A " + what + " with (name/id) " + id + " was not found in this key vault. If you recently "
                        "deleted this " + what + " you may be able to recover it using the correct recovery "
                        "command. For help resolving this issue, please see "
                        "https://go.microsoft.com/fwlink/?linkid=2125182");
    }

    response kc_deleted_not_found(bool keys, std::string const& name) const {
        return kv_error(404, keys ? "KeyNotFound" : "CertificateNotFound",
                        std::string(keys ? "Deleted Key" : "Deleted Certificate") + " not found: " + name);
    }

    json::object deleted_json(vault_state const& v, bool keys, std::string const& name, std::int64_t deleted,
                              std::int64_t purge, json::object o) const {
        o["recoveryId"] = vault_base(v) + (keys ? "/deletedkeys/" : "/deletedcertificates/") + name;
        o["deletedDate"] = deleted;
        o["scheduledPurgeDate"] = purge;
        return o;
    }

    // DELETE /keys/{n}, /certificates/{n}: soft delete (a certificate takes its backing key and secret with it).
    response delete_key_or_certificate(vault_state& v, bool keys, std::string const& name, std::string const& identity,
                                       json::object const& claims) {
        std::string const kind = keys ? "keys" : "certificates";
        if (!allowed(identity, v, "delete", kind))
            return forbidden(claims, v, "delete", kind);
        if (!valid_object_name(name))
            return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
        std::int64_t const now = now_s();
        std::int64_t const purge = now + 86400LL * v.recoverable_days;
        if (keys) {
            auto it = v.keys.find(lower(name));
            if (it == v.keys.end())
                return kc_not_found(true, name);
            if (it->second.versions.back().managed)
                return kv_error(403, "Forbidden", "Operation delete is not allowed on a managed key; delete the "
                                                  "certificate " + it->second.name + " instead.");
            key_entry e = std::move(it->second);
            v.keys.erase(it);
            e.deleted_date = now;
            e.scheduled_purge = purge;
            auto& d = v.deleted_keys[lower(name)] = std::move(e);
            return json_response(200, deleted_json(v, true, d.name, now, purge,
                                                   key_json(v, d, d.versions.back(), true, true)));
        }
        auto it = v.certificates.find(lower(name));
        if (it == v.certificates.end())
            return kc_not_found(false, name);
        cert_entry e = std::move(it->second);
        v.certificates.erase(it);
        if (auto k = v.keys.find(lower(name)); k != v.keys.end()) {
            e.backing_key = std::move(k->second);
            v.keys.erase(k);
        }
        if (auto sec = v.secrets.find(lower(name)); sec != v.secrets.end()) {
            e.backing_secret = std::move(sec->second);
            v.secrets.erase(sec);
        }
        e.deleted_date = now;
        e.scheduled_purge = purge;
        auto& d = v.deleted_certificates[lower(name)] = std::move(e);
        return json_response(200, deleted_json(v, false, d.name, now, purge,
                                               cert_json(v, d, d.versions.back(), true, true)));
    }

    // /deletedkeys, /deletedcertificates: list, get, purge (204), recover.
    response handle_deleted_key_or_certificate(http::verb method, vault_state& v, std::vector<std::string> const& segs,
                                               params const& query, std::string const& api,
                                               std::string const& identity, json::object const& claims) {
        bool const keys = segs[0] == "deletedkeys";
        std::string const kind = keys ? "keys" : "certificates";
        std::string const name = segs.size() > 1 ? segs[1] : std::string();
        auto need = [&](std::string const& perm) -> std::optional<response> {
            if (!allowed(identity, v, perm, kind))
                return forbidden(claims, v, perm, kind);
            return std::nullopt;
        };
        if (name.empty()) {
            if (method != http::verb::get)
                return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
            if (auto f = need("list"))
                return *f;
            std::vector<json::value> items;
            if (keys)
                for (auto const& [k, e] : v.deleted_keys)
                    items.emplace_back(deleted_json(v, true, e.name, e.deleted_date, e.scheduled_purge,
                                                    key_json(v, e, e.versions.back(), false, false)));
            else
                for (auto const& [k, e] : v.deleted_certificates)
                    items.emplace_back(deleted_json(v, false, e.name, e.deleted_date, e.scheduled_purge,
                                                    cert_json(v, e, e.versions.back(), false, false)));
            return page(items, v, segs[0], query, api);
        }
        if (!valid_object_name(name))
            return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
        bool const recover = segs.size() == 3 && segs[2] == "recover" && method == http::verb::post;
        if (!recover && segs.size() != 2)
            return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
        std::string const key = lower(name);
        bool const present = keys ? v.deleted_keys.contains(key) : v.deleted_certificates.contains(key);
        if (recover) {
            if (auto f = need("recover"))
                return *f;
            if (!present)
                return kc_deleted_not_found(keys, name);
            if (keys) {
                key_entry e = std::move(v.deleted_keys[key]);
                v.deleted_keys.erase(key);
                e.deleted_date = e.scheduled_purge = 0;
                auto& r = v.keys[key] = std::move(e);
                return json_response(200, key_json(v, r, r.versions.back(), true, true));
            }
            cert_entry e = std::move(v.deleted_certificates[key]);
            v.deleted_certificates.erase(key);
            if (e.backing_key)
                v.keys[key] = std::move(*e.backing_key);
            if (e.backing_secret)
                v.secrets[key] = std::move(*e.backing_secret);
            e.backing_key.reset();
            e.backing_secret.reset();
            e.deleted_date = e.scheduled_purge = 0;
            auto& r = v.certificates[key] = std::move(e);
            return json_response(200, cert_json(v, r, r.versions.back(), true, true));
        }
        if (method == http::verb::get) {
            if (auto f = need("get"))
                return *f;
            if (!present)
                return kc_deleted_not_found(keys, name);
            if (keys) {
                auto const& e = v.deleted_keys.at(key);
                return json_response(200, deleted_json(v, true, e.name, e.deleted_date, e.scheduled_purge,
                                                       key_json(v, e, e.versions.back(), true, true)));
            }
            auto const& e = v.deleted_certificates.at(key);
            return json_response(200, deleted_json(v, false, e.name, e.deleted_date, e.scheduled_purge,
                                                   cert_json(v, e, e.versions.back(), true, true)));
        }
        if (method == http::verb::delete_) {
            if (auto f = need("purge"))
                return *f;
            if (!present)
                return kc_deleted_not_found(keys, name);
            if (keys)
                v.deleted_keys.erase(key);
            else
                v.deleted_certificates.erase(key);
            response r;
            r.result(204);
            return r;
        }
        return kv_error(405, "MethodNotAllowed", "The requested method is not allowed.");
    }

    // Keys and certificates: get (latest or by version), list, list versions,
    // and a certificate's policy. Creation, import and deletion are not mocked.
    response handle_read_only(http::verb method, vault_state const& v, std::vector<std::string> const& segs,
                              params const& query, std::string const& api, std::string const& identity,
                              json::object const& claims) const {
        bool const keys = segs[0] == "keys";
        std::string const kind = keys ? "keys" : "certificates";
        std::string const what = keys ? "key" : "certificate";
        auto nf = [&](std::string const& id) {
            return kv_error(404, keys ? "KeyNotFound" : "CertificateNotFound",
                            "A " + what + " with (name/id) " + id + " was not found in this key vault. If you recently "
                            "deleted this " + what + " you may be able to recover it using the correct recovery "
                            "command. For help resolving this issue, please see "
                            "https://go.microsoft.com/fwlink/?linkid=2125182");
        };
        if (method != http::verb::get)
            return kv_error(405, "MethodNotAllowed",
                            "The mock serves " + kind + " read-only apart from import (get, list, list versions).");
        std::string const name = segs.size() > 1 ? segs[1] : std::string();
        std::string version = segs.size() > 2 ? segs[2] : std::string();
        if (version == "/")
            version.clear();
        if (segs.size() > 3)
            return kv_error(404, "NotFound", "The requested operation is not supported by the mock.");
        std::string const base = vault_base(v) + "/" + kind + "/";
        auto key_item = [&](key_entry const& e, key_version const& kv, bool with_version, bool full) {
            return key_json(v, e, kv, with_version, full);
        };
        auto cert_item = [&](cert_entry const& e, cert_version const& cv, bool with_version, bool full) {
            return cert_json(v, e, cv, with_version, full);
        };
        if (name.empty()) {
            if (!allowed(identity, v, "list", kind))
                return forbidden(claims, v, "list", kind);
            std::vector<json::value> items;
            if (keys)
                for (auto const& [k, e] : v.keys)
                    items.emplace_back(key_item(e, e.versions.back(), false, false));
            else
                for (auto const& [k, e] : v.certificates)
                    items.emplace_back(cert_item(e, e.versions.back(), false, false));
            return page(items, v, kind, query, api);
        }
        if (!valid_object_name(name))
            return kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name);
        bool const listing = version == "versions";
        bool const policy = !keys && version == "policy";
        if (!listing && !policy && !version.empty() && !valid_version(version))
            return nf(name + "/" + version);
        if (!allowed(identity, v, listing ? "list" : "get", kind))
            return forbidden(claims, v, listing ? "list" : "get", kind);
        std::string const id = version.empty() || listing || policy ? name : name + "/" + version;
        if (keys) {
            auto it = v.keys.find(lower(name));
            if (it == v.keys.end())
                return nf(id);
            key_entry const& e = it->second;
            if (listing) {
                std::vector<json::value> items;
                for (auto const& kv : e.versions)
                    items.emplace_back(key_item(e, kv, true, false));
                return page(items, v, "keys/" + e.name + "/versions", query, api);
            }
            for (auto const& kv : e.versions)
                if (version.empty() ? &kv == &e.versions.back() : kv.version == lower(version))
                    return json_response(200, key_item(e, kv, true, true));
            return nf(id);
        }
        auto it = v.certificates.find(lower(name));
        if (it == v.certificates.end())
            return nf(id);
        cert_entry const& e = it->second;
        if (listing) {
            std::vector<json::value> items;
            for (auto const& cv : e.versions)
                items.emplace_back(cert_item(e, cv, true, false));
            return page(items, v, "certificates/" + e.name + "/versions", query, api);
        }
        if (policy) {
            json::object p = e.versions.back().policy;
            p["id"] = base + e.name + "/policy";
            return json_response(200, p);
        }
        for (auto const& cv : e.versions)
            if (version.empty() ? &cv == &e.versions.back() : cv.version == lower(version))
                return json_response(200, cert_item(e, cv, true, true));
        return nf(id);
    }

    static void decorate_vault(response& r, request const& req) {
        r.set(http::field::cache_control, "no-cache");
        r.set(http::field::pragma, "no-cache");
        r.set(http::field::expires, "-1");
        r.set("x-ms-keyvault-region", "eastus");
        r.set("x-ms-request-id", uuid());
        if (auto id = req.find("x-ms-client-request-id"); id != req.end())
            r.set("x-ms-client-request-id", id->value());
        r.set("x-ms-keyvault-service-version", "1.9.378.1");
        r.set("x-ms-keyvault-network-info", "conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;");
        r.set(http::field::strict_transport_security, "max-age=31536000;includeSubDomains");
        r.set("X-Content-Type-Options", "nosniff");
    }

    // -------------------------------------------------------------------
    // 7. faults, log, control

    // Picks (and consumes) the first fault matching this request.
    std::optional<fault> take_fault(std::string const& service, std::string const& vault) {
        for (auto it = faults.begin(); it != faults.end(); ++it) {
            if (it->target != "all" && it->target != service)
                continue;
            if (!it->vault.empty() && lower(it->vault) != vault)
                continue;
            if (it->fraction < 1.0 && std::uniform_real_distribution<double>(0, 1)(rng) >= it->fraction)
                continue;
            fault f = *it;
            if (it->count > 0 && --it->count == 0)
                faults.erase(it);
            return f;
        }
        return std::nullopt;
    }

    static std::string serialize(response r) {
        r.prepare_payload();
        std::ostringstream os;
        os << r;
        return os.str();
    }

    response fault_status(fault const& f, std::string const& service) const {
        response r;
        if (service == "aad") {
            r = aad_error(f.status, "temporarily_unavailable", 90033,
                          "A transient error has occurred. Please try again.");
        } else if (service == "imds") {
            r = imds_error(f.status, "temporarily_unavailable", "Injected fault");
        } else if (f.status == 429) {
            r = throttled_response(std::nullopt);
        } else {
            r = kv_error(f.status, f.status >= 500 ? "InternalServerError" : "BadRequest",
                         "Injected fault: the service returned HTTP " + std::to_string(f.status) + ".");
        }
        if (f.retry_after)
            r.set(http::field::retry_after, std::to_string(*f.retry_after));
        return r;
    }

    // The common path of the TLS (aad/vault) and IMDS listeners.
    action serve(request const& req, bool imds) {
        std::lock_guard lock(mutex);
        std::string const target(req.target());
        auto q = target.find('?');
        request_record rec;
        rec.method = std::string(req.method_string());
        rec.path = target.substr(0, q);
        rec.query = q == std::string::npos ? std::string() : target.substr(q + 1);
        rec.host = std::string(req[http::field::host]);

        // Host routing: <vault>.<suffix>[:port] is a vault; anything else is Entra ID.
        std::string host = lower(rec.host);
        if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
            host.resize(colon);
        std::string vault;
        if (imds) {
            rec.service = "imds";
        } else if (host.size() > suffix.size() + 1 && host.ends_with("." + suffix)) {
            rec.service = "vault";
            vault = host.substr(0, host.size() - suffix.size() - 1);
        } else {
            rec.service = "aad";
        }

        std::optional<fault> f = take_fault(rec.service, vault);
        if (f)
            rec.fault = f->kind;
        if (f && f->kind == "hang") {
            log.push_back(rec);
            return action::hang();
        }
        response r;
        try {
            if (f && f->kind == "status") {
                r = fault_status(*f, rec.service);
            } else if (rec.service == "imds") {
                r = handle_imds(req, rec);
            } else if (rec.service == "vault") {
                r = handle_vault(req, vault, rec);
                decorate_vault(r, req);
            } else {
                r = handle_aad(req, rec);
            }
        } catch (std::exception const& e) {
            // A bug in the mock: answer (and log) a 500 rather than let it look like a service behaviour.
            r = json_response(500, json::object{{"error", json::object{{"code", "MockInternalError"},
                                                                        {"message", e.what()}}}});
        }
        rec.status = r.result_int();
        if (f && (f->kind == "reset" || f->kind == "truncate")) {
            rec.status = 0;
            log.push_back(rec);
            std::string bytes = serialize(std::move(r));
            auto const head_end = bytes.find("\r\n\r\n");
            std::size_t const body = bytes.size() - (head_end + 4);
            bytes.resize(head_end + 4 + body / 2);
            return f->kind == "reset" ? action::close_after_bytes(std::move(bytes)) : action::raw(std::move(bytes));
        }
        log.push_back(rec);
        if (f && f->kind == "delay")
            return action::respond_after(std::move(r), std::chrono::milliseconds(f->latency_ms));
        return action::respond(std::move(r));
    }

    fault parse_fault(std::string const& text) const {
        json::error_code ec;
        json::value doc = json::parse(text, ec);
        if (ec || !doc.is_object())
            throw std::invalid_argument("fault: body must be a JSON object");
        auto const& o = doc.as_object();
        fault f;
        try {
            f.target = str_field(o, "target", "all");
            f.vault = lower(str_field(o, "vault"));
            f.kind = str_field(o, "kind", "status");
            if (auto s = int_field(o, "status"))
                f.status = static_cast<unsigned>(*s);
            if (auto r = int_field(o, "retry_after"))
                f.retry_after = static_cast<int>(*r);
            if (auto c = int_field(o, "count"))
                f.count = *c;
            if (auto l = int_field(o, "latency_ms"))
                f.latency_ms = *l;
            if (auto const* fr = o.if_contains("fraction"); fr && fr->is_number())
                f.fraction = fr->to_number<double>();
        } catch (std::exception const& e) {
            throw std::invalid_argument(std::string("fault: ") + e.what());
        }
        if (f.kind == "aad_outage") {
            f.kind = "status";
            f.target = "aad";
            if (!o.contains("count"))
                f.count = -1;
        }
        static char const* const kinds[] = {"status", "reset", "truncate", "hang", "delay"};
        static char const* const targets[] = {"all", "aad", "vault", "imds"};
        if (std::none_of(std::begin(kinds), std::end(kinds), [&](char const* k) { return f.kind == k; }))
            throw std::invalid_argument("fault: kind must be status, reset, truncate, hang, delay or aad_outage");
        if (std::none_of(std::begin(targets), std::end(targets), [&](char const* k) { return f.target == k; }))
            throw std::invalid_argument("fault: target must be all, aad, vault or imds");
        if (f.status < 100 || f.status > 599)
            throw std::invalid_argument("fault: status must be an HTTP status code");
        if (f.count == 0 || f.count < -1)
            throw std::invalid_argument("fault: count must be positive or -1 (unlimited)");
        if (f.latency_ms < 0 || f.latency_ms > 600000)
            throw std::invalid_argument("fault: latency_ms must be between 0 and 600000");
        return f;
    }

    static json::object record_json(request_record const& r) {
        return json::object{{"service", r.service}, {"method", r.method},     {"path", r.path},
                            {"query", r.query},     {"host", r.host},         {"identity", r.identity},
                            {"status", r.status},   {"fault", r.fault}};
    }

    action control(request const& req) {
        std::string const target(req.target());
        std::string const path = target.substr(0, target.find('?'));
        auto reply = [](unsigned status, json::value const& body) {
            response r = json_response(status, body);
            return action::respond(std::move(r));
        };
        if (path == "/requests" && req.method() == http::verb::get) {
            std::lock_guard lock(mutex);
            json::array a;
            for (auto const& r : log)
                a.push_back(record_json(r));
            return reply(200, json::object{{"requests", a}});
        }
        if (path == "/reset-log" && req.method() == http::verb::post) {
            std::lock_guard lock(mutex);
            log.clear();
            return reply(200, json::object{{"ok", true}});
        }
        if (path == "/faults" && req.method() == http::verb::post) {
            try {
                fault f = parse_fault(req.body());
                std::lock_guard lock(mutex);
                faults.push_back(f);
                return reply(200, json::object{{"ok", true}, {"pending", faults.size()}});
            } catch (std::invalid_argument const& e) {
                return reply(400, json::object{{"error", e.what()}});
            }
        }
        if ((path == "/issuers" || path == "/federated-credentials" || path == "/throttle") &&
            req.method() == http::verb::post) {
            json::error_code ec;
            json::value doc = json::parse(req.body(), ec);
            if (ec || !doc.is_object())
                return reply(400, json::object{{"error", "body must be a JSON object"}});
            try {
                std::lock_guard lock(mutex);
                if (path == "/issuers")
                    add_issuer(doc.as_object());
                else if (path == "/throttle")
                    set_throttle(doc.as_object());
                else
                    add_federated_credential(doc.as_object());
            } catch (std::exception const& e) {
                return reply(400, json::object{{"error", e.what()}});
            }
            return reply(200, json::object{{"ok", true}});
        }
        if (path == "/faults" && req.method() == http::verb::delete_) {
            std::lock_guard lock(mutex);
            faults.clear();
            return reply(200, json::object{{"ok", true}});
        }
        if (path == "/faults" && req.method() == http::verb::get) {
            std::lock_guard lock(mutex);
            json::array a;
            for (auto const& f : faults)
                a.push_back(json::object{{"target", f.target}, {"vault", f.vault}, {"kind", f.kind},
                                         {"status", f.status}, {"count", f.count}, {"fraction", f.fraction},
                                         {"latency_ms", f.latency_ms}});
            return reply(200, json::object{{"faults", a}});
        }
        return reply(404, json::object{{"error", "unknown control endpoint " + std::string(req.method_string()) +
                                                     " " + path}});
    }
};

// ---------------------------------------------------------------------------
// 8. server

std::string default_seed() {
    return R"({
  "tenants": [{"id": "esx-tenant"}],
  "service_principals": [{"tenant": "esx-tenant", "client_id": "esx-client", "secrets": ["esx-secret"]}],
  "vaults": [{"name": "v1", "tenant": "esx-tenant",
              "secrets": [{"name": "hello", "versions": [{"value": "world", "contentType": "text/plain"}]}]}],
  "access": [{"identity": "esx-client", "vault": "v1", "secrets": ["all"]}]
})";
}

server::server(options opts) : impl_(std::make_unique<impl>()) {
    impl& m = *impl_;
    m.load_seed(opts.seed_json.empty() ? default_seed() : opts.seed_json);

    if (opts.tls_dir.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "esx-mock-azure-XXXXXX").string();
        if (!::mkdtemp(tmpl.data()))
            throw std::runtime_error("mkdtemp failed");
        m.tls_dir = tmpl;
        m.own_tls_dir = true;
    } else {
        m.tls_dir = opts.tls_dir;
        std::filesystem::create_directories(m.tls_dir);
    }
    try {
        start(opts);
    } catch (...) {
        stop();
        if (m.own_tls_dir) {
            std::error_code ec;
            std::filesystem::remove_all(m.tls_dir, ec);
        }
        throw;
    }
}

void server::start(options const& opts) {
    impl& m = *impl_;
    auto ca = pki::authority::generate("esx mock Azure CA");
    auto leaf = ca.issue_server({"localhost", "*." + m.suffix, m.suffix}, {"127.0.0.1"}, std::chrono::hours(24 * 30));
    m.ca_pem = ca.cert_pem();
    pki::write_file(m.tls_dir / "ca.pem", ca.cert_pem());
    pki::write_file(m.tls_dir / "server.pem", leaf.cert_pem);
    pki::write_file(m.tls_dir / "server-key.pem", leaf.key_pem);

    esx::test::server_options tls;
    tls.tls = true;
    tls.cert_pem = leaf.cert_pem;
    tls.key_pem = leaf.key_pem;
    impl* self = &m;
    std::exception_ptr failed;
    {
        // Handlers take the mutex, so ports are published under it too.
        std::lock_guard lock(m.mutex);
        m.main_server = std::make_unique<esx::test::scripted_server>(
            tls, [self](request const& req) { return self->serve(req, false); });
        m.imds_server = std::make_unique<esx::test::scripted_server>(
            [self](request const& req) { return self->serve(req, true); });
        m.control_server = std::make_unique<esx::test::scripted_server>(
            [self](request const& req) { return self->control(req); });
        m.port = m.main_server->port();
        m.imds_port = m.imds_server->port();
        m.control_port = m.control_server->port();
        // Fixed ports: a forwarder in front of the ephemeral listener; URLs name the fixed port.
        auto front = [](unsigned short wanted, unsigned short& port, std::unique_ptr<esx::mocks::tcp_forwarder>& fw) {
            if (wanted == 0)
                return;
            try {
                fw = std::make_unique<esx::mocks::tcp_forwarder>(wanted, port);
            } catch (std::exception const& e) {
                throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(wanted) + ": " + e.what());
            }
            port = fw->port();
        };
        try {
            front(opts.port, m.port, m.main_forwarder);
            front(opts.imds_port, m.imds_port, m.imds_forwarder);
            front(opts.control_port, m.control_port, m.control_forwarder);
        } catch (...) {
            failed = std::current_exception();
        }
    }
    if (failed) {
        // Outside the lock: a handler already waiting for it must finish before its thread can be joined.
        stop();
        std::rethrow_exception(failed);
    }
}

server::~server() {
    stop();
    if (impl_->own_tls_dir) {
        std::error_code ec;
        std::filesystem::remove_all(impl_->tls_dir, ec);
    }
}

void server::stop() {
    // Each stop() is idempotent and joins its thread; forwarders first.
    for (auto* f : {impl_->main_forwarder.get(), impl_->imds_forwarder.get(), impl_->control_forwarder.get()})
        if (f)
            f->stop();
    for (auto* s : {impl_->main_server.get(), impl_->imds_server.get(), impl_->control_server.get()})
        if (s)
            s->stop();
}

unsigned short server::port() const noexcept { return impl_->port; }
unsigned short server::imds_port() const noexcept { return impl_->imds_port; }
unsigned short server::control_port() const noexcept { return impl_->control_port; }
std::string server::authority() const { return impl_->authority(); }
std::string server::imds_url() const { return "http://127.0.0.1:" + std::to_string(impl_->imds_port); }
std::string server::control_url() const { return "http://127.0.0.1:" + std::to_string(impl_->control_port); }
std::string server::vault_suffix() const { return impl_->suffix; }
std::string server::vault_url(std::string const& name) const {
    return "https://" + lower(name) + "." + impl_->suffix + ":" + std::to_string(impl_->port);
}
std::vector<std::string> server::vault_names() const {
    std::vector<std::string> out;
    for (auto const& [k, v] : impl_->vaults)
        out.push_back(k);
    return out;
}
std::string server::tenant() const { return impl_->tenants.front(); }
std::filesystem::path server::ca_file() const { return impl_->tls_dir / "ca.pem"; }
std::string const& server::ca_pem() const { return impl_->ca_pem; }

std::string server::startup_json() const {
    json::object vaults;
    for (auto const& name : vault_names())
        vaults[name] = vault_url(name);
    json::object o{{"authority", authority()},        {"imds", imds_url()},      {"control", control_url()},
                   {"vault_suffix", vault_suffix()}, {"vaults", vaults},        {"ca", ca_file().string()},
                   {"tenant", tenant()}};
    return json::serialize(o);
}

std::vector<request_record> server::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->log;
}

void server::reset_log() {
    std::lock_guard lock(impl_->mutex);
    impl_->log.clear();
}

void server::add_fault(std::string const& fault_json) {
    fault f = impl_->parse_fault(fault_json);
    std::lock_guard lock(impl_->mutex);
    impl_->faults.push_back(f);
}

namespace {
json::object parse_object(std::string const& text, char const* what) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        throw std::invalid_argument(std::string(what) + ": not a JSON object");
    return v.as_object();
}
}  // namespace

void server::add_issuer(std::string const& issuer_json) {
    json::object o = parse_object(issuer_json, "issuer");
    std::lock_guard lock(impl_->mutex);
    impl_->add_issuer(o);
}

void server::add_federated_credential(std::string const& credential_json) {
    json::object o = parse_object(credential_json, "federated credential");
    std::lock_guard lock(impl_->mutex);
    impl_->add_federated_credential(o);
}

void server::set_throttle(std::string const& throttle_json) {
    json::object o = parse_object(throttle_json, "throttle");
    std::lock_guard lock(impl_->mutex);
    impl_->set_throttle(o);
}

void server::clear_faults() {
    std::lock_guard lock(impl_->mutex);
    impl_->faults.clear();
}

}  // namespace esx::mocks::azure
