// esx::object: the error category (out of line).
#ifndef ESX_OBJECT_IMPL_ERROR_IPP
#define ESX_OBJECT_IMPL_ERROR_IPP

#include <esx/object/error.hpp>

#include <string>

namespace esx::object {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    // A fixed id keeps codes comparable across shared libraries (as Boost's own categories do).
    constexpr error_category_impl() noexcept : boost::system::error_category(0xE5C0'0001'0000'0010ull) {}
    char const* name() const noexcept override { return "esx.object"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::malformed_bundle: return "the Key Vault object bundle is malformed";
        case error::unknown_object_type: return "unknown Key Vault object type";
        case error::object_type_not_compiled: return "the object type is not compiled into this program";
        case error::invalid_reference: return "invalid remote reference";
        case error::unsupported_key: return "unsupported key type or curve";
        case error::pem_conversion_failed: return "PEM conversion failed";
        }
        return "esx.object error " + std::to_string(ev);
    }
    bool equivalent(int ev, boost::system::error_condition const& cond) const noexcept override {
        if (cond.category() != ::esx::condition_category()) return false;
        // Everything here is about the input (a reference, a key, a bundle): retrying won't help.
        return static_cast<condition>(cond.value()) == condition::invalid_input && ev != 0;
    }
};

} // namespace detail

ESX_DECL boost::system::error_category const& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

} // namespace esx::object

#endif
