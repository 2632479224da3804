// esx: bytes that must never be seen.
//
// `secret_bytes` holds a secret value (a Key Vault secret, a client secret, an access token).
// Its memory is wiped when it is freed or reallocated, and every way of printing it (streams,
// Boost.JSON, the esx logger) yields "<redacted>". The value is reachable only through the
// explicitly named `reveal()`, which makes every read of a secret easy to find in review.
#ifndef ESX_SECRET_HPP
#define ESX_SECRET_HPP

#include <esx/config.hpp>

#include <boost/json/fwd.hpp>
#include <boost/json/value_from.hpp>

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <ostream>
#include <string_view>
#include <vector>

namespace esx {
namespace detail {

/// Overwrites memory in a way the optimiser may not remove (OPENSSL_cleanse's technique:
/// a store through a volatile function pointer), without dragging OpenSSL into this header.
inline void secure_wipe(void* p, std::size_t n) noexcept {
    static void* (*volatile const wipe)(void*, int, std::size_t) = &std::memset;
    if (p && n) wipe(p, 0, n);
}

/// `n` bytes from `::operator new`, in its aligned form when `align` needs it. `free_block`
/// frees them: the two decide the form the same way, so a block is always freed as it came.
inline void* allocate_block(std::size_t n, std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    return align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__ ? ::operator new(n) : ::operator new(n, std::align_val_t(align));
}

/// Frees a block of `allocate_block(n, align)`, with the sized delete where the compiler
/// declares it: clang before 17 does not without -fsized-deallocation, and a user's default
/// flags must still compile esx.
inline void free_block(void* p, std::size_t n, std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__) noexcept {
    bool const plain = align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;
#if defined(__cpp_sized_deallocation)
    if (plain) ::operator delete(p, n);
    else ::operator delete(p, n, std::align_val_t(align));
#else
    (void)n;
    if (plain) ::operator delete(p);
    else ::operator delete(p, std::align_val_t(align));
#endif
}

/// An allocator that wipes every block before giving it back, so a vector's reallocation
/// leaves no copy of the secret behind.
template <class T>
struct wiping_allocator {
    using value_type = T;
    wiping_allocator() noexcept = default;
    template <class U>
    wiping_allocator(wiping_allocator<U> const&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        secure_wipe(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    friend bool operator==(wiping_allocator, wiping_allocator) noexcept { return true; }
};

} // namespace detail

class secret_bytes {
public:
    secret_bytes() noexcept = default;
    explicit secret_bytes(std::string_view value) : bytes_(value.begin(), value.end()) {}
    secret_bytes(secret_bytes const&) = default;
    secret_bytes(secret_bytes&&) noexcept = default;
    secret_bytes& operator=(secret_bytes const&) = default;
    secret_bytes& operator=(secret_bytes&&) noexcept = default;
    ~secret_bytes() = default; // the allocator wipes

    /// The secret itself. Every caller of this is a place where the secret leaves protection.
    std::string_view reveal() const noexcept { return {bytes_.data(), bytes_.size()}; }

    std::size_t size() const noexcept { return bytes_.size(); }
    bool empty() const noexcept { return bytes_.empty(); }
    void append(std::string_view more) { bytes_.insert(bytes_.end(), more.begin(), more.end()); }
    void clear() noexcept {
        detail::secure_wipe(bytes_.data(), bytes_.size());
        bytes_.clear();
    }

    /// Compares in time independent of where the first difference is.
    friend bool operator==(secret_bytes const& a, secret_bytes const& b) noexcept {
        if (a.size() != b.size()) return false;
        unsigned char diff = 0;
        for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a.bytes_[i] ^ b.bytes_[i]);
        return diff == 0;
    }

private:
    std::vector<char, detail::wiping_allocator<char>> bytes_;
};

/// What every printer shows instead of a secret.
inline constexpr std::string_view redacted = "<redacted>";

template <class Char, class Traits>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& os, secret_bytes const&) {
    return os << redacted.data();
}

/// `boost::json::value_from(secret)` yields "<redacted>": a secret cannot leak into JSON by accident.
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, secret_bytes const&) {
    v = boost::json::string_view(redacted.data(), redacted.size());
}

} // namespace esx

#endif
