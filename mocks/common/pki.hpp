// esx test support: a throw-away PKI generated at run time.
//
// Tests need certificates that a client can verify (and ones it must reject),
// but checked-in key material expires, leaks into real trust decisions, and
// hides how the chain was built. Generating everything in-process with the
// OpenSSL 3 C API keeps each test run hermetic and fast (EC P-256 keys take
// well under a millisecond) and needs no openssl command-line tool.
//
// This is test infrastructure: failures throw std::runtime_error carrying the
// OpenSSL error queue instead of returning error codes.
#ifndef ESX_MOCKS_COMMON_PKI_HPP
#define ESX_MOCKS_COMMON_PKI_HPP

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace esx::mocks::pki {

// The PEM encodings of one issued certificate and its private key (PKCS#8).
struct issued {
    std::string cert_pem;
    std::string key_pem;
};

// Key algorithm for a generated key. EC P-256 is the default because it is
// much faster to generate than RSA; RSA exists because some peers (Entra ID
// certificate credentials sign client assertions with RS256) require it.
enum class key_type { ec_p256, rsa_2048 };

namespace detail {

// unique_ptr deleter that calls an OpenSSL free function, so every early
// return or throw releases what was allocated so far.
template <auto Free>
struct openssl_deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, openssl_deleter<GENERAL_NAME_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_deleter<GENERAL_NAMES_free>>;
using ia5_ptr = std::unique_ptr<ASN1_IA5STRING, openssl_deleter<ASN1_IA5STRING_free>>;
using octets_ptr = std::unique_ptr<ASN1_OCTET_STRING, openssl_deleter<ASN1_OCTET_STRING_free>>;

// Drains the whole OpenSSL error queue into the exception text: the first
// entry is often generic and the useful reason sits further down. Draining
// also keeps stale errors from being blamed on a later, unrelated call.
[[noreturn]] inline void throw_openssl(std::string const& what) {
    std::string message = "esx::mocks::pki: " + what;
    bool first = true;
    while (unsigned long const code = ERR_get_error()) {
        std::array<char, 256> text{};
        ERR_error_string_n(code, text.data(), text.size());
        message += first ? ": " : "; ";
        message += text.data();
        first = false;
    }
    if (first)
        message += ": (no OpenSSL error recorded)";
    throw std::runtime_error(message);
}

inline void check(int ok, char const* what) {
    if (ok != 1)
        throw_openssl(what);
}

template <class T>
T* check_ptr(T* p, char const* what) {
    if (p == nullptr)
        throw_openssl(what);
    return p;
}

inline pkey_ptr generate_key(key_type type) {
    EVP_PKEY* key = nullptr;
    switch (type) {
    case key_type::ec_p256:
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        break;
    case key_type::rsa_2048:
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
        break;
    }
    return pkey_ptr(check_ptr(key, "key generation failed"));
}

inline std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    long const size = BIO_get_mem_data(bio, &data);
    if (size < 0 || (size > 0 && data == nullptr))
        throw_openssl("reading memory BIO failed");
    return std::string(data, static_cast<std::size_t>(size));
}

inline std::string key_to_pem(EVP_PKEY* key) {
    bio_ptr bio(check_ptr(BIO_new(BIO_s_mem()), "BIO_new failed"));
    // Unencrypted PKCS#8 ("BEGIN PRIVATE KEY"): every consumer we care about
    // (Asio's ssl::context, OpenSSL's PEM readers) accepts it for EC and RSA.
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey failed");
    return bio_to_string(bio.get());
}

inline std::string cert_to_pem(X509* cert) {
    bio_ptr bio(check_ptr(BIO_new(BIO_s_mem()), "BIO_new failed"));
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509 failed");
    return bio_to_string(bio.get());
}

inline x509_ptr cert_from_pem(std::string const& pem) {
    bio_ptr bio(check_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "BIO_new_mem_buf failed"));
    return x509_ptr(check_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), "parsing certificate PEM failed"));
}

inline pkey_ptr key_from_pem(std::string const& pem) {
    bio_ptr bio(check_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "BIO_new_mem_buf failed"));
    return pkey_ptr(
        check_ptr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), "parsing private key PEM failed"));
}

// A random positive 127-bit serial. RFC 5280 wants serials unique per issuer;
// randomness also keeps two independently generated CAs (or two leaves from
// one CA in different test runs) from ever sharing issuer+serial, which some
// verifiers and session caches treat as "the same certificate".
inline void set_random_serial(X509* cert) {
    std::array<unsigned char, 16> bytes{};
    check(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())), "RAND_bytes failed");
    bytes[0] &= 0x7f;  // DER INTEGER is signed: keep it positive
    bytes[0] |= 0x40;  // and non-zero with a fixed length
    bignum_ptr bn(check_ptr(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr), "BN_bin2bn failed"));
    check_ptr(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)), "BN_to_ASN1_INTEGER failed");
}

// Validity relative to now, in seconds (negative = in the past).
inline void set_validity(X509* cert, long not_before_offset, long not_after_offset) {
    check_ptr(X509_gmtime_adj(X509_getm_notBefore(cert), not_before_offset), "setting notBefore failed");
    check_ptr(X509_gmtime_adj(X509_getm_notAfter(cert), not_after_offset), "setting notAfter failed");
}

inline void set_common_name(X509_NAME* name, std::string const& cn) {
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<unsigned char const*>(cn.data()),
                                     static_cast<int>(cn.size()), -1, 0),
          "setting subject CN failed");
}

// Adds one extension written in OpenSSL's config syntax. `ctx` carries the
// issuer and subject so that "hash" / "keyid:always" can be computed.
inline void add_extension(X509* cert, X509V3_CTX* ctx, int nid, char const* value) {
    ext_ptr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    if (!ext)
        throw_openssl(std::string("building extension ") + OBJ_nid2sn(nid) + "=" + value + " failed");
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext failed");
}

// subjectAltName built structurally rather than through the "DNS:a,IP:b"
// config string, so names containing commas or odd characters cannot be
// misparsed into extra entries.
inline void add_subject_alt_names(X509* cert, std::vector<std::string> const& dns_names,
                                  std::vector<std::string> const& ip_addresses) {
    general_names_ptr names(check_ptr(sk_GENERAL_NAME_new_null(), "sk_GENERAL_NAME_new_null failed"));
    auto push = [&](int type, void* value) {
        general_name_ptr name(check_ptr(GENERAL_NAME_new(), "GENERAL_NAME_new failed"));
        GENERAL_NAME_set0_value(name.get(), type, value);  // takes ownership of value
        if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0)
            throw_openssl("sk_GENERAL_NAME_push failed");
        name.release();  // now owned by the stack
    };
    for (auto const& dns : dns_names) {
        ia5_ptr value(check_ptr(ASN1_IA5STRING_new(), "ASN1_IA5STRING_new failed"));
        check(ASN1_STRING_set(value.get(), dns.data(), static_cast<int>(dns.size())), "ASN1_STRING_set failed");
        push(GEN_DNS, value.release());
    }
    for (auto const& ip : ip_addresses) {
        // a2i_IPADDRESS accepts both IPv4 and IPv6 text and yields the 4- or
        // 16-byte octet string that the IP SAN requires.
        octets_ptr value(a2i_IPADDRESS(ip.c_str()));
        if (!value)
            throw_openssl("invalid IP address for subjectAltName: " + ip);
        push(GEN_IPADD, value.release());
    }
    check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT),
          "adding subjectAltName failed");
}

inline long to_seconds(std::chrono::seconds s) {
    return static_cast<long>(s.count());
}

constexpr long one_hour = 3600;

}  // namespace detail

// A self-signed certificate authority (basicConstraints CA:TRUE, keyCertSign)
// that issues server and client leaves. Copyable: it only holds PEM text, and
// each issue_* call re-parses it, which costs microseconds and keeps the type
// free of OpenSSL object lifetimes.
class authority {
public:
    static authority generate(std::string const& common_name = "esx test CA") {
        detail::pkey_ptr key = detail::generate_key(key_type::ec_p256);
        detail::x509_ptr cert(detail::check_ptr(X509_new(), "X509_new failed"));

        detail::check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version failed");
        detail::set_random_serial(cert.get());
        // Backdated by an hour so small clock differences never make a fresh
        // CA "not yet valid"; ten years so it never expires during a run.
        detail::set_validity(cert.get(), -detail::one_hour, 10L * 365 * 24 * detail::one_hour);
        detail::set_common_name(X509_get_subject_name(cert.get()), common_name);
        detail::check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())),
                      "X509_set_issuer_name failed");
        detail::check(X509_set_pubkey(cert.get(), key.get()), "X509_set_pubkey failed");

        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
        detail::add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
        detail::add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        // The SKI must exist before the AKI, which a self-signed cert copies from it.
        detail::add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
        detail::add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");

        if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
            detail::throw_openssl("signing CA certificate failed");

        authority result;
        result.cert_pem_ = detail::cert_to_pem(cert.get());
        result.key_pem_ = detail::key_to_pem(key.get());
        return result;
    }

    std::string const& cert_pem() const noexcept { return cert_pem_; }
    std::string const& key_pem() const noexcept { return key_pem_; }

    // A TLS server leaf: subjectAltName with every DNS name and IP given,
    // serverAuth EKU, valid from now-1h to now+validity. With `expired`, the
    // same span is shifted so that it ended one hour ago, which is what a
    // client must reject as "certificate has expired".
    issued issue_server(std::vector<std::string> const& dns_names, std::vector<std::string> const& ip_addresses,
                        std::chrono::seconds validity = std::chrono::hours(24), bool expired = false) const {
        if (dns_names.empty() && ip_addresses.empty())
            throw std::runtime_error("esx::mocks::pki: issue_server needs at least one DNS name or IP address");
        // Verifiers ignore the CN when a SAN is present; it is set only so the
        // certificate is readable in logs. CN is limited to 64 characters.
        std::string const& first = dns_names.empty() ? ip_addresses.front() : dns_names.front();
        std::string const cn = first.size() <= 64 ? first : std::string("esx test server");

        long const span = detail::to_seconds(validity);
        long const not_before = expired ? -detail::one_hour - span - detail::one_hour : -detail::one_hour;
        long const not_after = expired ? -detail::one_hour : span;
        return issue(cn, not_before, not_after, key_type::ec_p256, [&](X509* cert, X509V3_CTX* ctx) {
            detail::add_extension(cert, ctx, NID_key_usage, "critical,digitalSignature");
            detail::add_extension(cert, ctx, NID_ext_key_usage, "serverAuth");
            detail::add_subject_alt_names(cert, dns_names, ip_addresses);
        });
    }

    // A client certificate (clientAuth EKU) whose subject CN is `common_name`,
    // for mutual TLS and for certificate credentials. `type` defaults to EC
    // P-256; pass key_type::rsa_2048 where the relying party insists on RSA.
    issued issue_client(std::string const& common_name, std::chrono::seconds validity = std::chrono::hours(24),
                        key_type type = key_type::ec_p256) const {
        return issue(common_name, -detail::one_hour, detail::to_seconds(validity), type,
                     [&](X509* cert, X509V3_CTX* ctx) {
                         detail::add_extension(cert, ctx, NID_key_usage, "critical,digitalSignature");
                         detail::add_extension(cert, ctx, NID_ext_key_usage, "clientAuth");
                     });
    }

    // A Kubernetes user's client certificate: CN = the user name, one O per group (what
    // kube-apiserver's x509 authenticator reads), clientAuth EKU, EC P-256.
    issued issue_user(std::string const& user, std::vector<std::string> const& groups,
                      std::chrono::seconds validity = std::chrono::hours(24 * 30)) const {
        return issue(user, -detail::one_hour, detail::to_seconds(validity), key_type::ec_p256,
                     [&](X509* cert, X509V3_CTX* ctx) {
                         X509_NAME* subject = X509_get_subject_name(cert);
                         for (auto const& g : groups)
                             detail::check(X509_NAME_add_entry_by_NID(subject, NID_organizationName, MBSTRING_UTF8,
                                                                      reinterpret_cast<unsigned char const*>(g.c_str()),
                                                                      -1, -1, 0),
                                           "X509_NAME_add_entry_by_NID failed");
                         detail::add_extension(cert, ctx, NID_key_usage, "critical,digitalSignature");
                         detail::add_extension(cert, ctx, NID_ext_key_usage, "clientAuth");
                     });
    }

private:
    authority() = default;

    // Common skeleton of every leaf: fresh key, random serial, issuer = this
    // CA, CA:FALSE, key identifiers; `extra` adds the purpose-specific parts.
    template <class Extra>
    issued issue(std::string const& cn, long not_before, long not_after, key_type type, Extra&& extra) const {
        detail::x509_ptr ca_cert = detail::cert_from_pem(cert_pem_);
        detail::pkey_ptr ca_key = detail::key_from_pem(key_pem_);
        detail::pkey_ptr key = detail::generate_key(type);
        detail::x509_ptr cert(detail::check_ptr(X509_new(), "X509_new failed"));

        detail::check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version failed");
        detail::set_random_serial(cert.get());
        detail::set_validity(cert.get(), not_before, not_after);
        detail::set_common_name(X509_get_subject_name(cert.get()), cn);
        detail::check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())),
                      "X509_set_issuer_name failed");
        detail::check(X509_set_pubkey(cert.get(), key.get()), "X509_set_pubkey failed");

        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
        detail::add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
        detail::add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
        detail::add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
        extra(cert.get(), &ctx);

        if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0)
            detail::throw_openssl("signing leaf certificate failed");
        return issued{detail::cert_to_pem(cert.get()), detail::key_to_pem(key.get())};
    }

    std::string cert_pem_;
    std::string key_pem_;
};

// Writes `contents` to `p`, creating parent directories. The file is created
// (or truncated and re-permissioned) with mode 0600 because it usually holds
// a private key, and tools such as ssh or Azure CLI refuse world-readable keys.
inline void write_file(std::filesystem::path const& p, std::string_view contents) {
    if (p.has_parent_path())
        std::filesystem::create_directories(p.parent_path());

    int const fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "esx::mocks::pki: open " + p.string());
    // RAII close so every throw below still releases the descriptor.
    struct fd_closer {
        int fd;
        ~fd_closer() { ::close(fd); }
    } closer{fd};

    // open() only applies the mode to new files (and through the umask); an
    // existing file keeps its old mode unless we set it explicitly.
    if (::fchmod(fd, 0600) != 0)
        throw std::system_error(errno, std::generic_category(), "esx::mocks::pki: fchmod " + p.string());

    char const* data = contents.data();
    std::size_t left = contents.size();
    while (left > 0) {
        ssize_t const n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw std::system_error(errno, std::generic_category(), "esx::mocks::pki: write " + p.string());
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace esx::mocks::pki

#endif
