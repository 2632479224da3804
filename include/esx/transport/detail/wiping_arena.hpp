// esx::transport::detail: the arena a wiped JSON parse lives in.
//
// Why not Boost.JSON's monotonic_resource over a wiping upstream: in Boost 1.81 it allocates
// each block as `sizeof(header) + size` but hands the upstream back only `size`, so a wiping
// upstream would leave the last 32 bytes of every block (the tail of whatever value ended
// there) unwiped, and a sized delete would not match its new (ASan: new-delete-type-mismatch).
// This arena frees its own blocks, with the size it allocated them with.
#ifndef ESX_TRANSPORT_DETAIL_WIPING_ARENA_HPP
#define ESX_TRANSPORT_DETAIL_WIPING_ARENA_HPP

#include <esx/secret.hpp>

#include <boost/container/pmr/memory_resource.hpp>
#include <boost/json/memory_resource.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

namespace esx::transport::detail {

/** A monotonic memory resource: allocations bump a cursor through blocks that are only freed,
    each wiped first, when the arena is destroyed. Blocks double in size from the first. */
class wiping_arena final : public boost::container::pmr::memory_resource {
public:
    explicit wiping_arena(std::size_t first_block) noexcept
        : next_size_(first_block < 64 ? 64 : first_block > max_block ? max_block : first_block) {}
    wiping_arena(wiping_arena const&) = delete;
    wiping_arena& operator=(wiping_arena const&) = delete;
    ~wiping_arena() override {
        while (head_ != nullptr) {
            block* next = head_->next;
            std::size_t const bytes = head_->bytes;
            esx::detail::secure_wipe(head_, bytes);
            esx::detail::free_block(head_, bytes);
            head_ = next;
        }
    }

    /// Bytes taken from the heap, headers included (for tests and measurements).
    [[nodiscard]] std::size_t reserved() const noexcept {
        std::size_t total = 0;
        for (block const* b = head_; b != nullptr; b = b->next) total += b->bytes;
        return total;
    }

private:
    static constexpr std::size_t max_block = std::numeric_limits<std::size_t>::max() / 4;

    struct alignas(std::max_align_t) block {
        block* next;
        std::size_t bytes; // the whole allocation, this header included
    };
    static_assert(alignof(block) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "blocks come from plain operator new");

    void* do_allocate(std::size_t n, std::size_t align) override {
        if (void* p = carve(n, align)) return p;
        add_block(n, align);
        return carve(n, align); // cannot fail: the new block has room for n at any alignment
    }
    void do_deallocate(void*, std::size_t, std::size_t) override {} // freed with the arena
    bool do_is_equal(memory_resource const& other) const noexcept override { return this == &other; }

    void* carve(std::size_t n, std::size_t align) noexcept {
        void* p = cursor_;
        std::size_t space = avail_;
        if (cursor_ == nullptr || std::align(align, n, p, space) == nullptr) return nullptr;
        cursor_ = static_cast<unsigned char*>(p) + n;
        avail_ = space - n;
        return p;
    }

    void add_block(std::size_t n, std::size_t align) {
        if (n > max_block || align > max_block) throw std::bad_alloc();
        std::size_t const need = n + (align > alignof(block) ? align : 0);
        std::size_t capacity = next_size_;
        while (capacity < need) capacity *= 2;
        std::size_t const bytes = sizeof(block) + capacity;
        auto* b = ::new (esx::detail::allocate_block(bytes)) block{head_, bytes};
        head_ = b;
        cursor_ = reinterpret_cast<unsigned char*>(b + 1);
        avail_ = capacity;
        next_size_ = capacity < max_block / 2 ? capacity * 2 : capacity;
    }

    block* head_ = nullptr;
    unsigned char* cursor_ = nullptr;
    std::size_t avail_ = 0;
    std::size_t next_size_;
};

} // namespace esx::transport::detail

/// Values in the arena skip their per-node frees (each free is a no-op).
namespace boost::json {
template <>
struct is_deallocate_trivial<esx::transport::detail::wiping_arena> : std::true_type {};
} // namespace boost::json

#endif
