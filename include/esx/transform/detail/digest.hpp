// esx::transform: one-shot digests with the algorithm fetched once.
//
// OpenSSL 3 resolves a digest given as `EVP_sha3_224()` and the like by name on every call (a
// lock and a provider query), which cost more than hashing the few hundred bytes the
// controller hashes per sync (ESO's data and metadata hashes, the target fingerprint). The
// fetched algorithm is kept for the life of the program; OpenSSL's copy is the fallback.
#ifndef ESX_TRANSFORM_DETAIL_DIGEST_HPP
#define ESX_TRANSFORM_DETAIL_DIGEST_HPP

#include <openssl/evp.h>

#include <cstddef>
#include <string_view>

namespace esx::transform::detail {

class fetched_digest {
public:
    fetched_digest(char const* name, EVP_MD const* fallback) noexcept
        : fetched_(EVP_MD_fetch(nullptr, name, nullptr)), fallback_(fallback) {}
    ~fetched_digest() { EVP_MD_free(fetched_); }
    fetched_digest(fetched_digest const&) = delete;
    fetched_digest& operator=(fetched_digest const&) = delete;

    EVP_MD const* get() const noexcept { return fetched_ ? fetched_ : fallback_; }

private:
    EVP_MD* fetched_;
    EVP_MD const* fallback_;
};

/// The algorithm `Fallback` names, fetched by `name` on first use and kept.
template <EVP_MD const* (*Fallback)()>
EVP_MD const* fetched_once(char const* name) {
    static fetched_digest const md(name, Fallback());
    return md.get();
}

inline EVP_MD const* sha3_224() { return fetched_once<EVP_sha3_224>("SHA3-224"); }
inline EVP_MD const* sha3_256() { return fetched_once<EVP_sha3_256>("SHA3-256"); }
inline EVP_MD const* sha256() { return fetched_once<EVP_sha256>("SHA256"); }
inline EVP_MD const* sha512() { return fetched_once<EVP_sha512>("SHA512"); }
inline EVP_MD const* sha1() { return fetched_once<EVP_sha1>("SHA1"); }

/// `text`'s digest into `out` (at least EVP_MAX_MD_SIZE bytes); its length, 0 on failure.
inline unsigned digest(EVP_MD const* md, std::string_view text, unsigned char* out) noexcept {
    unsigned length = 0;
    if (EVP_Digest(text.data(), text.size(), out, &length, md, nullptr) != 1) return 0;
    return length;
}

/// `text`'s digest in lower-case hex, as Go's `%x` writes it; empty on failure. `String` is a
/// `std::basic_string` (the template engine's wiped `scratch`, or `std::string`).
template <class String>
String hex_digest(EVP_MD const* md, std::string_view text) {
    unsigned char bytes[EVP_MAX_MD_SIZE];
    unsigned const length = digest(md, text, bytes);
    static constexpr char hex[] = "0123456789abcdef";
    String out;
    out.reserve(length * 2);
    for (unsigned i = 0; i < length; ++i) {
        out.push_back(hex[bytes[i] >> 4]);
        out.push_back(hex[bytes[i] & 0xF]);
    }
    return out;
}

} // namespace esx::transform::detail

#endif
