// esx::auth::detail: out-of-line OAuth helpers.
#ifndef ESX_AUTH_IMPL_OAUTH_IPP
#define ESX_AUTH_IMPL_OAUTH_IPP

#include <esx/auth/detail/oauth.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>
#include <optional>

namespace esx::auth::detail {

ESX_DECL void append_form_encoded(std::string& out, std::string_view value) { append_form_encoded_to(out, value); }

ESX_DECL bool is_valid_tenant_id(std::string_view tenant) noexcept {
    if (tenant.empty() || tenant.size() > 256) return false;
    for (char c : tenant)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    return true;
}

ESX_DECL std::string scope_to_resource(std::string_view scope) {
    constexpr std::string_view suffix = "/.default";
    if (scope.size() >= suffix.size() && scope.substr(scope.size() - suffix.size()) == suffix)
        scope.remove_suffix(suffix.size());
    return std::string(scope);
}

// A JSON number or a string of decimal digits (IMDS sends numbers as strings).
inline std::optional<std::int64_t> read_seconds(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    // Out of range (or NaN), the conversion would be undefined: not a number of seconds.
    if (v->is_double() && v->get_double() > -9.0e18 && v->get_double() < 9.0e18)
        return static_cast<std::int64_t>(v->get_double());
    if (v->is_string()) {
        auto const& s = v->get_string();
        std::int64_t n = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc{} && p == s.data() + s.size()) return n;
    }
    return std::nullopt;
}

inline std::string first_line(std::string_view s, std::size_t limit = 400) {
    auto const end = s.find_first_of("\r\n");
    if (end != std::string_view::npos) s = s.substr(0, end);
    if (s.size() > limit) s = s.substr(0, limit);
    return std::string(s);
}

ESX_DECL result<access_token, failure> parse_token_response(unsigned status, std::string_view body,
                                                            std::chrono::system_clock::time_point now,
                                                            std::string_view what) {
    // A success holds the token: the parsed document and the parser's scratch space are wiped.
    boost::system::error_code jec;
    boost::json::value doc = transport::parse_wiped(body, jec);
    boost::json::object const* o = (!jec && doc.is_object()) ? &doc.as_object() : nullptr;

    if (!is_success(status)) {
        std::string message(what);
        message += " failed: HTTP " + std::to_string(status);
        std::string reason;
        if (o) {
            if (auto const* e = o->if_contains("error"); e && e->is_string()) {
                reason = first_line(e->get_string(), 100);
                message += " " + reason;
            }
            if (auto const* d = o->if_contains("error_description"); d && d->is_string())
                message += ": " + first_line(d->get_string());
        }
        return failure{make_http_error(status), std::move(message), std::move(reason)};
    }

    auto malformed = [&](std::string_view why) {
        return failure{make_error_code(error::malformed_response),
                       std::string(what) + " failed: the token response " + std::string(why)};
    };
    if (jec) return malformed(transport::describe_json_error(jec));
    if (!o) return malformed("is not a JSON object");
    auto const* token = o->if_contains("access_token");
    if (!token || !token->is_string() || token->get_string().empty())
        return malformed("has no access_token");
    if (token->get_string().size() > 64 * 1024) return malformed("has an access_token over 64 KiB");

    access_token out;
    out.value = secret_bytes(std::string_view(token->get_string().data(), token->get_string().size()));
    // Leave no copy of the token in the parsed document.
    auto& parsed = doc.as_object()["access_token"].as_string();
    esx::detail::secure_wipe(parsed.data(), parsed.size());
    if (auto in = read_seconds(*o, "expires_in"); in && *in > 0 && *in < 10LL * 365 * 24 * 3600) {
        out.expires_on = now + std::chrono::seconds(*in);
    } else if (auto on = read_seconds(*o, "expires_on"); on && *on > 0) {
        // Past the clock's end (2262) saturates instead of overflowing.
        constexpr auto last = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::duration::max()).count();
        out.expires_on = *on >= last ? std::chrono::system_clock::time_point::max()
                                     : std::chrono::system_clock::time_point(std::chrono::seconds(*on));
    } else {
        return malformed("has neither a valid expires_in nor expires_on");
    }
    return out;
}

} // namespace esx::auth::detail

#endif
