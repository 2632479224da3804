// esx::transform: the error category (out of line).
#ifndef ESX_TRANSFORM_IMPL_ERROR_IPP
#define ESX_TRANSFORM_IMPL_ERROR_IPP

#include <esx/transform/error.hpp>

#include <string>

namespace esx::transform {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    // A fixed id keeps codes comparable across shared libraries (as Boost's own categories do).
    constexpr error_category_impl() noexcept : boost::system::error_category(0xE5C0'0001'0000'0020ull) {}
    char const* name() const noexcept override { return "esx.transform"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::property_not_found: return "property does not exist";
        case error::decoding_failed: return "the value could not be decoded";
        case error::invalid_keys: return "invalid secret keys";
        case error::null_byte: return "a value contains a null byte";
        case error::not_a_json_object: return "the value is not a JSON object";
        case error::invalid_regexp: return "invalid regular expression";
        case error::unsupported: return "not supported";
        case error::merge_conflict: return "conflicting keys in rewrite merge";
        case error::malformed_bundle: return "the Key Vault object bundle is malformed";
        }
        return "esx.transform error " + std::to_string(ev);
    }
    bool equivalent(int ev, boost::system::error_condition const& cond) const noexcept override {
        if (cond.category() != ::esx::condition_category()) return false;
        // Everything here is about the data or the manifest: retrying won't help. A missing
        // property is deliberately not `condition::not_found`: in ESO only a provider 404 is a
        // NoSecretError that drives deletionPolicy; a property typo fails the sync and keeps
        // the Secret.
        return static_cast<condition>(cond.value()) == condition::invalid_input && ev != 0;
    }
};

} // namespace detail

ESX_DECL boost::system::error_category const& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

} // namespace esx::transform

#endif
