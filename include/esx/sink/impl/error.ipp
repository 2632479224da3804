// esx::sink: the error category (out of line).
#ifndef ESX_SINK_IMPL_ERROR_IPP
#define ESX_SINK_IMPL_ERROR_IPP

#include <esx/sink/error.hpp>

#include <string>

namespace esx::sink {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    // A fixed id keeps codes comparable across shared libraries (as Boost's own categories do).
    constexpr error_category_impl() noexcept : boost::system::error_category(0xE5C0'0001'0000'0030ull) {}
    char const* name() const noexcept override { return "esx.sink"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::owned_by_another_external_secret: return "target is owned by another ExternalSecret";
        case error::cannot_take_ownership: return "failed to take ownership of target secret";
        case error::target_immutable: return "could not update secret, target is immutable";
        case error::type_immutable: return "the target's type cannot change";
        case error::delete_not_allowed: return "could not delete secret";
        case error::conflict_retries_exhausted: return "the target kept changing during the write";
        case error::unsafe_path: return "unsafe path";
        case error::foreign_entry: return "a foreign entry is in the way";
        case error::invalid_key: return "invalid key for this sink";
        case error::key_collision: return "two keys map to one name";
        case error::nul_in_value: return "a value holds a NUL byte";
        case error::io_failed: return "file system error";
        }
        return "esx.sink error " + std::to_string(ev);
    }
    bool equivalent(int ev, boost::system::error_condition const& cond) const noexcept override {
        if (cond.category() != ::esx::condition_category()) return false;
        auto const c = static_cast<condition>(cond.value());
        switch (static_cast<error>(ev)) {
        case error::conflict_retries_exhausted: return c == condition::conflict || c == condition::retryable;
        case error::io_failed: return false; // permissions, a full disk: the message says which
        default: return c == condition::invalid_input && ev != 0;
        }
    }
};

} // namespace detail

ESX_DECL boost::system::error_category const& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

} // namespace esx::sink

#endif
