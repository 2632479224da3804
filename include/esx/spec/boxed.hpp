// esx::spec::boxed<T>: an optional whose value lives on the heap.
//
// For the fields that are large and rarely set (`target.template`, `target.manifest`,
// `sourceRef.generatorRef`, an entry's `sourceRef`): a `std::optional` keeps room for its value inline in every object,
// set or not, and a run holds one ExternalSecret per manifest (10,000 in bench-sync, where the
// inline room of these three was some 6 MiB). A boxed field costs one pointer when unset.
//
// It reads as `std::optional` does (`if (x)`, `*x`, `x->f`, `x.emplace()`, `x = T{...}`,
// `x = std::nullopt`, `x == y`), and copies deeply, so the spec types keep their value semantics.
#ifndef ESX_SPEC_BOXED_HPP
#define ESX_SPEC_BOXED_HPP

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace esx::spec {

template <class T>
class boxed {
public:
    using value_type = T;

    boxed() noexcept = default;
    boxed(std::nullopt_t) noexcept {}
    boxed(T value) : value_(std::make_unique<T>(std::move(value))) {}
    boxed(boxed const& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
    boxed(boxed&&) noexcept = default;
    boxed& operator=(boxed const& other) {
        if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
        return *this;
    }
    boxed& operator=(boxed&&) noexcept = default;
    /// `x = value` for anything `T` is made from (`deletion_timestamp = "2026-..."`), as optional's.
    template <class U>
        requires(!std::is_same_v<std::remove_cvref_t<U>, boxed> && !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t> &&
                 std::is_constructible_v<T, U &&>)
    boxed& operator=(U&& value) {
        value_ = std::make_unique<T>(std::forward<U>(value));
        return *this;
    }
    boxed& operator=(std::nullopt_t) noexcept {
        value_.reset();
        return *this;
    }

    template <class... Args>
    T& emplace(Args&&... args) {
        value_ = std::make_unique<T>(std::forward<Args>(args)...);
        return *value_;
    }
    void reset() noexcept { value_.reset(); }

    bool has_value() const noexcept { return value_ != nullptr; }
    explicit operator bool() const noexcept { return has_value(); }

    T& operator*() noexcept { return *value_; }
    T const& operator*() const noexcept { return *value_; }
    T* operator->() noexcept { return value_.get(); }
    T const* operator->() const noexcept { return value_.get(); }
    T& value() {
        if (!value_) throw std::bad_optional_access();
        return *value_;
    }
    T const& value() const {
        if (!value_) throw std::bad_optional_access();
        return *value_;
    }

    friend bool operator==(boxed const& a, boxed const& b) {
        return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
    }
    friend bool operator==(boxed const& a, std::nullopt_t) noexcept { return !a.has_value(); }

private:
    std::unique_ptr<T> value_;
};

} // namespace esx::spec

#endif
