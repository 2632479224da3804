// esx::transform::templating: the error category (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_ERROR_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_ERROR_IPP

#include <esx/transform/template/error.hpp>

#include <string>

namespace esx::transform::templating {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    constexpr error_category_impl() noexcept : boost::system::error_category(0xE5C0'0001'0000'0021ull) {}
    char const* name() const noexcept override { return "esx.template"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::parse_failed: return "the template could not be parsed";
        case error::execution_failed: return "the template could not be rendered";
        case error::function_failed: return "a template function failed";
        case error::limit_exceeded: return "the template exceeded a rendering limit";
        case error::unsupported: return "not supported";
        case error::invalid_target: return "the rendered template cannot be applied to the target";
        }
        return "esx.template error " + std::to_string(ev);
    }
    bool equivalent(int ev, boost::system::error_condition const& cond) const noexcept override {
        if (cond.category() != ::esx::condition_category()) return false;
        return static_cast<condition>(cond.value()) == condition::invalid_input && ev != 0;
    }
};

} // namespace detail

ESX_DECL boost::system::error_category const& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

} // namespace esx::transform::templating

#endif
