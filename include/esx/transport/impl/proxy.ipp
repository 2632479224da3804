#ifndef ESX_TRANSPORT_IMPL_PROXY_IPP
#define ESX_TRANSPORT_IMPL_PROXY_IPP

#include <esx/transport/detail/proxy.hpp>

#include <cctype>
#include <cstdlib>

namespace esx::transport::detail {

ESX_DECL std::string base64_encode(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned const n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (i < in.size()) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

namespace {
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}
} // namespace

ESX_DECL bool bypasses_proxy(std::string_view no_proxy, url_parts const& u) {
    while (!no_proxy.empty()) {
        auto const comma = no_proxy.find(',');
        auto entry = trim(no_proxy.substr(0, comma));
        no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
        if (entry.empty()) continue;
        if (entry == "*") return true;
        // An optional ":port" narrows the entry to that port (not for bare IPv6 literals).
        std::string_view host = entry;
        if (auto const colon = entry.rfind(':');
            colon != std::string_view::npos && entry.find(':') == colon && entry.front() != '[') {
            auto const port = entry.substr(colon + 1);
            host = entry.substr(0, colon);
            if (port != std::to_string(u.port)) continue;
        }
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        if (host.starts_with("*.")) host.remove_prefix(1);
        if (host.front() == '.') {
            // ".example.com" matches example.com and every subdomain
            if (iequals(u.host, host.substr(1))) return true;
            if (u.host.size() > host.size() && iequals(std::string_view(u.host).substr(u.host.size() - host.size()), host))
                return true;
            continue;
        }
        if (iequals(u.host, host)) return true;
        // "example.com" also matches subdomains, as curl and Go do
        if (!is_ip_literal(host) && u.host.size() > host.size() + 1 &&
            u.host[u.host.size() - host.size() - 1] == '.' &&
            iequals(std::string_view(u.host).substr(u.host.size() - host.size()), host))
            return true;
    }
    return false;
}

ESX_DECL result<std::optional<proxy_route>> choose_proxy(proxy_settings const& settings, url_parts const& u) {
    std::string_view configured = u.scheme == "https" ? settings.https_proxy : settings.http_proxy;
    configured = trim(configured);
    if (configured.empty() || bypasses_proxy(settings.no_proxy, u)) return std::optional<proxy_route>{};

    std::string text(configured);
    if (text.find("://") == std::string::npos) text = "http://" + text;
    // Credentials in the proxy URL become a Basic Proxy-Authorization header.
    proxy_route route;
    auto const scheme_end = text.find("://") + 3;
    auto const authority_end = text.find_first_of("/?#", scheme_end);
    auto const at = text.rfind('@', authority_end);
    if (at != std::string::npos && at >= scheme_end) {
        route.authorization = "Basic " + base64_encode(std::string_view(text).substr(scheme_end, at - scheme_end));
        text.erase(scheme_end, at + 1 - scheme_end);
    }
    auto parsed = parse_url(text);
    if (!parsed || parsed->scheme != "http") return ESX_ERROR(error::invalid_proxy);
    route.proxy = std::move(*parsed);
    return std::optional<proxy_route>(std::move(route));
}

} // namespace esx::transport::detail

#endif
