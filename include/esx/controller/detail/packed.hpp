// esx::controller::detail::packed: an object flattened into one heap block.
//
// A reflector cache holds one object per ExternalSecret and per managed Secret, thousands of
// them for the whole life of the controller, and reads one back only when a sync or a trigger
// asks for it. As C++ objects an ExternalSecret with three entries took some 1.4 KB: 584 bytes
// of struct (most of it empty strings, maps and vectors), a 456-byte vector of entries with
// six empty strings, a status condition of five strings, and a heap block for each string
// longer than 15 characters. Packed, the same object is its text and a byte or two of length
// per field: a few hundred bytes in one allocation.
//
// Any aggregate (through Boost.PFR) of strings, integers, enums, durations, time points,
// digests (byte arrays), optionals, `spec::boxed`, vectors and maps packs; `unpack(pack(x)) == x`.
// Only `pack` writes what `unpack` reads: the bytes never come from outside the process.
#ifndef ESX_CONTROLLER_DETAIL_PACKED_HPP
#define ESX_CONTROLLER_DETAIL_PACKED_HPP

#include <esx/spec/boxed.hpp>

#include <boost/pfr/core.hpp>

#include <array>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace esx::controller::detail {

/// The bytes of one packed object: 16 bytes here, and a block at most twice as long as the
/// object (exactly as long when first packed).
///
/// `assign` writes a new packing into the block it has when that is long enough: every refresh
/// repacks each ExternalSecret (its status moved), nearly always at the length it had, and
/// then costs no allocation and no free. A block more than twice as long as what it holds is
/// given back. (On its own this did not move the refresh cycle's peak RSS at 10,000 in the
/// benchmark; it saves the allocator work.)
class packed_bytes {
public:
    packed_bytes() = default;
    explicit packed_bytes(std::string_view bytes) { assign(bytes); }
    // A moved-from object is empty, its lengths included, so `assign` cannot take it for a
    // block that is still there.
    packed_bytes(packed_bytes&& other) noexcept
        : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)) {}
    packed_bytes& operator=(packed_bytes&& other) noexcept {
        data_ = std::move(other.data_);
        size_ = std::exchange(other.size_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
        return *this;
    }

    /// `bytes` must not be a view of this object's own block.
    void assign(std::string_view bytes) {
        auto const n = static_cast<std::uint32_t>(bytes.size());
        if (!data_ || n > capacity_ || 2ull * n < capacity_) {
            data_ = n == 0 ? nullptr : std::make_unique_for_overwrite<char[]>(n);
            capacity_ = n;
        }
        size_ = n;
        if (n) std::memcpy(data_.get(), bytes.data(), n);
    }
    std::string_view view() const noexcept { return {data_.get(), size_}; }
    std::size_t size() const noexcept { return size_; }

private:
    std::unique_ptr<char[]> data_;
    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = 0;  // in the padding after size_
};
static_assert(sizeof(void*) != 8 || sizeof(packed_bytes) == 16, "a packed object's handle stays 16 bytes");

namespace packing {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_optional<spec::boxed<T>> : std::true_type {};
template <class T> struct is_vector : std::false_type {};
template <class T, class A> struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T> struct is_map : std::false_type {};
template <class K, class V, class C, class A> struct is_map<std::map<K, V, C, A>> : std::true_type {};
template <class T> struct is_duration : std::false_type {};
template <class R, class P> struct is_duration<std::chrono::duration<R, P>> : std::true_type {};
template <class T> struct is_time_point : std::false_type {};
template <class C, class D> struct is_time_point<std::chrono::time_point<C, D>> : std::true_type {};
template <class T> struct is_byte_array : std::false_type {};
template <std::size_t N> struct is_byte_array<std::array<std::uint8_t, N>> : std::true_type {};

class writer {
public:
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>(v | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }
    void signed_varint(std::int64_t v) {  // zigzag: small negative numbers stay short too
        varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
    }
    void raw(void const* p, std::size_t n) { out_.append(static_cast<char const*>(p), n); }
    void text(std::string_view s) {
        varint(s.size());
        out_.append(s);
    }
    std::string_view bytes() const noexcept { return out_; }
    /// Empties it for the next object, keeping its buffer.
    void clear() noexcept { out_.clear(); }

private:
    std::string out_;
};

class reader {
public:
    explicit reader(std::string_view in) noexcept : at_(in.data()), end_(in.data() + in.size()) {}
    std::uint64_t varint() noexcept {
        std::uint64_t v = 0;
        for (int shift = 0; at_ < end_; shift += 7) {
            auto const byte = static_cast<unsigned char>(*at_++);
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) break;
        }
        return v;
    }
    std::int64_t signed_varint() noexcept {
        auto const z = varint();
        return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
    }
    void raw(void* p, std::size_t n) noexcept {
        assert(static_cast<std::size_t>(end_ - at_) >= n);
        std::memcpy(p, at_, n);
        at_ += n;
    }
    std::string_view text() noexcept {
        auto const n = static_cast<std::size_t>(varint());
        assert(static_cast<std::size_t>(end_ - at_) >= n);
        std::string_view const s(at_, n);
        at_ += n;
        return s;
    }
    bool done() const noexcept { return at_ == end_; }

private:
    char const* at_;
    char const* end_;
};

template <class T>
void write(writer& w, T const& v) {
    if constexpr (std::is_same_v<T, std::string>) {
        w.text(v);
    } else if constexpr (std::is_same_v<T, bool>) {
        w.varint(v ? 1 : 0);
    } else if constexpr (std::is_enum_v<T>) {
        w.signed_varint(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<T>) {
        if constexpr (std::is_signed_v<T>) w.signed_varint(v);
        else w.varint(v);
    } else if constexpr (is_duration<T>::value) {
        static_assert(std::is_integral_v<typename T::rep>, "esx::controller::detail::pack: integral durations only");
        w.signed_varint(static_cast<std::int64_t>(v.count()));
    } else if constexpr (is_time_point<T>::value) {
        write(w, v.time_since_epoch());
    } else if constexpr (is_byte_array<T>::value) {
        w.raw(v.data(), v.size());
    } else if constexpr (is_optional<T>::value) {
        w.varint(v ? 1 : 0);
        if (v) write(w, *v);
    } else if constexpr (is_vector<T>::value) {
        w.varint(v.size());
        for (auto const& item : v) write(w, item);
    } else if constexpr (is_map<T>::value) {
        w.varint(v.size());
        for (auto const& [key, value] : v) {
            write(w, key);
            write(w, value);
        }
    } else {
        static_assert(std::is_aggregate_v<T>, "esx::controller::detail::pack: a field of a type it does not know "
                                              "(strings, integers, enums, chrono, optional, boxed, vector, map, "
                                              "byte arrays and aggregates of them)");
        boost::pfr::for_each_field(v, [&](auto const& field) { write(w, field); });
    }
}

template <class T>
void read(reader& r, T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
        v.assign(r.text());
    } else if constexpr (std::is_same_v<T, bool>) {
        v = r.varint() != 0;
    } else if constexpr (std::is_enum_v<T>) {
        v = static_cast<T>(r.signed_varint());
    } else if constexpr (std::is_integral_v<T>) {
        if constexpr (std::is_signed_v<T>) v = static_cast<T>(r.signed_varint());
        else v = static_cast<T>(r.varint());
    } else if constexpr (is_duration<T>::value) {
        v = T(static_cast<typename T::rep>(r.signed_varint()));
    } else if constexpr (is_time_point<T>::value) {
        typename T::duration d;
        read(r, d);
        v = T(d);
    } else if constexpr (is_byte_array<T>::value) {
        r.raw(v.data(), v.size());
    } else if constexpr (is_optional<T>::value) {
        if (r.varint()) read(r, v.emplace());
        else v = std::nullopt;
    } else if constexpr (is_vector<T>::value) {
        auto const n = static_cast<std::size_t>(r.varint());
        v.clear();
        v.resize(n);
        for (auto& item : v) read(r, item);
    } else if constexpr (is_map<T>::value) {
        auto const n = static_cast<std::size_t>(r.varint());
        v.clear();
        for (std::size_t i = 0; i < n; ++i) {
            typename T::key_type key;
            read(r, key);
            read(r, v.emplace_hint(v.end(), std::move(key), typename T::mapped_type{})->second);
        }
    } else {
        boost::pfr::for_each_field(v, [&](auto& field) { read(r, field); });
    }
}

} // namespace packing

/// `object` packed into `out`'s block when it fits, with `scratch`'s buffer (kept from the last
/// object) to write in: no allocation for an object packed again at about its old length.
template <class T>
void pack_into(T const& object, packed_bytes& out, packing::writer& scratch) {
    scratch.clear();
    packing::write(scratch, object);
    out.assign(scratch.bytes());
}

template <class T>
packed_bytes pack(T const& object) {
    packed_bytes out;
    packing::writer scratch;
    pack_into(object, out, scratch);
    return out;
}

/// `T` as `pack` had it. A field whose default is not empty (`engine_version = "v2"`) is
/// overwritten like any other: the object is the one packed, not `T{}`.
template <class T>
T unpack(packed_bytes const& bytes) {
    T out{};
    packing::reader r(bytes.view());
    packing::read(r, out);
    assert(r.done());
    return out;
}

} // namespace esx::controller::detail

#endif
