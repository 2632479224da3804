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

inline EVP_MD const* sha3_224() {
    static fetched_digest const md("SHA3-224", EVP_sha3_224());
    return md.get();
}

inline EVP_MD const* sha3_256() {
    static fetched_digest const md("SHA3-256", EVP_sha3_256());
    return md.get();
}

inline EVP_MD const* sha256() {
    static fetched_digest const md("SHA256", EVP_sha256());
    return md.get();
}

inline EVP_MD const* sha512() {
    static fetched_digest const md("SHA512", EVP_sha512());
    return md.get();
}

inline EVP_MD const* sha1() {
    static fetched_digest const md("SHA1", EVP_sha1());
    return md.get();
}

/// `text`'s digest into `out` (at least EVP_MAX_MD_SIZE bytes); its length, 0 on failure.
inline unsigned digest(EVP_MD const* md, std::string_view text, unsigned char* out) noexcept {
    unsigned length = 0;
    if (EVP_Digest(text.data(), text.size(), out, &length, md, nullptr) != 1) return 0;
    return length;
}

} // namespace esx::transform::detail

#endif
