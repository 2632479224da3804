#ifndef ESX_TRANSPORT_IMPL_URL_IPP
#define ESX_TRANSPORT_IMPL_URL_IPP

#include <esx/transport/detail/url.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace esx::transport::detail {

ESX_DECL std::string url_parts::authority() const {
    std::string s = ipv6 ? "[" + host + "]" : host;
    s += ':';
    s += std::to_string(port);
    return s;
}

ESX_DECL std::string url_parts::host_header() const {
    std::string s = ipv6 ? "[" + host + "]" : host;
    if (explicit_port && !((scheme == "https" && port == 443) || (scheme == "http" && port == 80))) {
        s += ':';
        s += std::to_string(port);
    }
    return s;
}

ESX_DECL bool is_ip_literal(std::string_view host) noexcept {
    if (host.empty() || host.size() > 45) return false;
    char buf[46] = {};
    std::copy(host.begin(), host.end(), buf);
    unsigned char out[16];
    return inet_pton(AF_INET, buf, out) == 1 || inet_pton(AF_INET6, buf, out) == 1;
}

ESX_DECL std::pair<std::string_view, std::string_view> split_origin(std::string_view url) noexcept {
    auto const sep = url.find("://");
    if (sep == std::string_view::npos) return {url, {}};
    auto const end = url.find_first_of("/?#", sep + 3);
    if (end == std::string_view::npos) return {url, {}};
    return {url.substr(0, end), url.substr(end)};
}

ESX_DECL result<std::string> parse_target(std::string_view rest) {
    if (auto const hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    std::string target;
    target.reserve(rest.size() + 1);
    if (rest.empty() || rest.front() == '?') target = "/";
    target.append(rest);
    // Control characters or spaces in the target would let a caller inject header lines.
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return ESX_ERROR(error::invalid_url);
    return target;
}

ESX_DECL result<url_parts> parse_url(std::string_view url) {
    url_parts u;
    auto const sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) return ESX_ERROR(error::invalid_url);
    u.scheme.assign(url.substr(0, sep));
    std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto const [origin, rest] = split_origin(url);
    auto const authority = origin.substr(sep + 3);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return ESX_ERROR(error::invalid_url);

    std::string_view port_text;
    if (authority.front() == '[') {
        auto const close = authority.find(']');
        if (close == std::string_view::npos) return ESX_ERROR(error::invalid_url);
        u.host.assign(authority.substr(1, close - 1));
        u.ipv6 = true;
        auto const after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return ESX_ERROR(error::invalid_url);
            port_text = after.substr(1);
        }
        if (!is_ip_literal(u.host)) return ESX_ERROR(error::invalid_url);
    } else {
        auto const colon = authority.find(':');
        u.host.assign(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (u.host.empty()) return ESX_ERROR(error::invalid_url);
    for (char& c : u.host) {
        auto const uc = static_cast<unsigned char>(c);
        if (!(std::isalnum(uc) || c == '-' || c == '.' || c == '_' || (u.ipv6 && c == ':')))
            return ESX_ERROR(error::invalid_url);
        c = static_cast<char>(std::tolower(uc));
    }
    if (!port_text.empty() || authority.back() == ':') {
        unsigned value = 0;
        auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
            return ESX_ERROR(error::invalid_url);
        u.port = static_cast<std::uint16_t>(value);
        u.explicit_port = true;
    } else if (u.scheme == "https") {
        u.port = 443;
    } else if (u.scheme == "http") {
        u.port = 80;
    } else {
        return ESX_ERROR(error::unsupported_scheme);
    }
    auto target = parse_target(rest);
    if (!target) return target.error();
    u.target = std::move(*target);
    return u;
}

} // namespace esx::transport::detail

#endif
