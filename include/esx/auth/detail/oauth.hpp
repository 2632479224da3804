// esx::auth::detail: the OAuth 2.0 pieces every Entra ID and IMDS exchange shares.
#ifndef ESX_AUTH_DETAIL_OAUTH_HPP
#define ESX_AUTH_DETAIL_OAUTH_HPP

#include <esx/auth/access_token.hpp>
#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/transport/wiped.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace esx::auth::detail {

/// Appends `value` percent-encoded for an `application/x-www-form-urlencoded` body or a
/// query string (everything but RFC 3986 unreserved characters is encoded).
template <class String>
void append_form_encoded_to(String& out, std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char ch : value) {
        auto const c = static_cast<unsigned char>(ch);
        bool const unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
}
ESX_DECL void append_form_encoded(std::string& out, std::string_view value);
/// The same into a request body that is about to hold a credential (wiped when freed).
inline void append_form_encoded(transport::body_string& out, std::string_view value) {
    append_form_encoded_to(out, value);
}

/// True for tenant ids Azure accepts: `[A-Za-z0-9.-]+` (the C++ SDK's rule). Keeps a tenant
/// from a manifest or a challenge from changing the token URL's path.
ESX_DECL bool is_valid_tenant_id(std::string_view tenant) noexcept;

/// `https://vault.azure.net/.default` -> `https://vault.azure.net` (IMDS wants a resource).
ESX_DECL std::string scope_to_resource(std::string_view scope);

/** Reads a token response of Entra ID (v2: numbers) or IMDS (numbers as strings).

    Success (2xx): `access_token` and `expires_in` (number or numeric string, taken relative
    to `now`), else `expires_on` (Unix seconds). A failure's message is `what` followed by the
    HTTP status, the service's `error` and the first line of `error_description`; `reason`
    is the `error`. The body of a success is never quoted (it holds the token). */
ESX_DECL result<access_token, failure> parse_token_response(unsigned status, std::string_view body,
                                                            std::chrono::system_clock::time_point now,
                                                            std::string_view what);

} // namespace esx::auth::detail

#if ESX_HEADER_ONLY
#  include <esx/auth/impl/oauth.ipp>
#endif

#endif
