// esx::keyvault: error category and classification (out of line).
#ifndef ESX_KEYVAULT_IMPL_ERROR_IPP
#define ESX_KEYVAULT_IMPL_ERROR_IPP

#include <esx/keyvault/error.hpp>

#include <string>

namespace esx::keyvault {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    constexpr error_category_impl() noexcept : boost::system::error_category(0xE5C0'0001'0000'0011ull) {}
    char const* name() const noexcept override { return "esx.keyvault"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::vault_url_refused: return "the vault URL is not an https:// vault of the configured cloud";
        case error::challenge_refused: return "the challenge resource does not match the requested vault";
        case error::challenge_malformed: return "the 401 challenge is missing or malformed";
        case error::next_link_refused: return "a paging nextLink points away from the vault";
        case error::malformed_response: return "Key Vault sent a response that is not the expected JSON";
        case error::invalid_name: return "invalid Key Vault object name or version";
        case error::too_many_pages: return "the listing exceeded the page limit";
        }
        return "esx.keyvault error " + std::to_string(ev);
    }
    bool equivalent(int ev, boost::system::error_condition const& cond) const noexcept override {
        if (cond.category() != ::esx::condition_category()) return false;
        switch (static_cast<condition>(cond.value())) {
        case condition::invalid_input:
            return ev == int(error::vault_url_refused) || ev == int(error::invalid_name);
        case condition::auth_failed:
            return ev == int(error::challenge_refused) || ev == int(error::challenge_malformed);
        default: return false;
        }
    }
};

} // namespace detail

ESX_DECL boost::system::error_category const& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

ESX_DECL problem classify(failure const& f) noexcept {
    if (f.code.category() != ::esx::http_category()) return problem::none;
    switch (f.code.value()) {
    case 404: return problem::not_found;
    case 403: return std::string_view(f.reason).ends_with("Disabled") ? problem::disabled : problem::forbidden;
    case 401: return problem::unauthorized;
    case 429: return problem::throttled;
    case 409: return problem::conflict;
    case 400: return problem::bad_request;
    default: return f.code.value() >= 200 && f.code.value() < 300 ? problem::none : problem::service_error;
    }
}

ESX_DECL std::string_view to_string(problem p) noexcept {
    switch (p) {
    case problem::none: return "none";
    case problem::not_found: return "not_found";
    case problem::disabled: return "disabled";
    case problem::forbidden: return "forbidden";
    case problem::unauthorized: return "unauthorized";
    case problem::throttled: return "throttled";
    case problem::conflict: return "conflict";
    case problem::bad_request: return "bad_request";
    case problem::service_error: return "service_error";
    }
    return "unknown";
}

} // namespace esx::keyvault

#endif
