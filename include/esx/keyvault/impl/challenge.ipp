// esx::keyvault: challenge parsing and the resource check (out of line).
#ifndef ESX_KEYVAULT_IMPL_CHALLENGE_IPP
#define ESX_KEYVAULT_IMPL_CHALLENGE_IPP

#include <esx/keyvault/challenge.hpp>
#include <esx/keyvault/error.hpp>
#include <esx/transport/detail/url.hpp>

#include <cctype>
#include <map>
#include <optional>

namespace esx::keyvault {
namespace detail {

inline char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

inline bool ends_with_label(std::string_view host, std::string_view suffix) noexcept {
    return host.size() > suffix.size() + 1 && host[host.size() - suffix.size() - 1] == '.' &&
           iequals(host.substr(host.size() - suffix.size()), suffix);
}

/// `Bearer k1="v1", k2=v2` -> {k1: v1, k2: v2} (keys lower-cased); nothing unless the scheme is Bearer.
inline std::optional<std::map<std::string, std::string>> parse_bearer(std::string_view h) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    h = trim(h);
    if (h.size() < 7 || !iequals(h.substr(0, 6), "bearer") || (h[6] != ' ' && h[6] != '\t')) return std::nullopt;
    h.remove_prefix(7);
    std::map<std::string, std::string> out;
    while (!(h = trim(h)).empty()) {
        auto const eq = h.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        std::string k;
        for (char c : trim(h.substr(0, eq))) k += ascii_lower(c);
        h = trim(h.substr(eq + 1));
        std::string v;
        if (!h.empty() && h.front() == '"') {
            auto const close = h.find('"', 1);
            if (close == std::string_view::npos) return std::nullopt;
            v = std::string(h.substr(1, close - 1));
            h.remove_prefix(close + 1);
        } else {
            auto const end = h.find(',');
            v = std::string(trim(h.substr(0, end)));
            h.remove_prefix(end == std::string_view::npos ? h.size() : end);
        }
        h = trim(h);
        if (!h.empty() && h.front() == ',') h.remove_prefix(1);
        out.emplace(std::move(k), std::move(v));
    }
    return out;
}

} // namespace detail

ESX_DECL result<challenge, failure> verify_challenge(std::string_view header, cloud const& c,
                                                     vault_endpoint const& vault) {
    auto malformed = [](std::string why) {
        return failure{make_error_code(error::challenge_malformed), "Key Vault 401 challenge: " + why};
    };
    if (header.empty()) return malformed("the 401 response has no WWW-Authenticate header");
    if (header.size() > 4096) return malformed("WWW-Authenticate is longer than 4096 bytes");
    auto params = detail::parse_bearer(header);
    if (!params) return malformed("WWW-Authenticate is not a Bearer challenge with key=\"value\" parameters");

    challenge out;
    if (auto r = params->find("resource"); r != params->end() && !r->second.empty()) {
        out.resource = r->second;
        while (out.resource.size() > 8 && out.resource.back() == '/') out.resource.pop_back();
        out.scope = out.resource + "/.default";
    } else if (auto s = params->find("scope"); s != params->end() && !s->second.empty()) {
        out.scope = s->second;
        out.resource = s->second;
        if (std::string_view(out.resource).ends_with("/.default")) out.resource.resize(out.resource.size() - 9);
        while (out.resource.size() > 8 && out.resource.back() == '/') out.resource.pop_back();
    } else {
        return malformed("the challenge names neither resource nor scope");
    }

    auto refused = [&](std::string const& host) {
        return failure{make_error_code(error::challenge_refused),
                       "The challenge resource '" + host + "' does not match the requested domain '" + vault.host +
                           "' (see https://aka.ms/azsdk/blog/vault-uri)"};
    };
    auto resource = transport::detail::parse_url(out.resource);
    if (!resource || resource->scheme != "https" || resource->target != "/")
        return refused(std::string(out.resource.substr(0, 256)));
    std::string_view const rhost = resource->host;
    bool const in_cloud = detail::iequals(rhost, c.vault_suffix) || c.is_vault_host(rhost);
    if (!in_cloud || !detail::ends_with_label(vault.host, rhost) ||
        (resource->explicit_port && resource->port != vault.port))
        return refused(resource->host_header());

    std::string authorization;
    if (auto a = params->find("authorization"); a != params->end()) authorization = a->second;
    else if (auto u = params->find("authorization_uri"); u != params->end()) authorization = u->second;
    if (!authorization.empty()) {
        auto auth = transport::detail::parse_url(authorization);
        if (!auth) return malformed("the authorization URL is not a URL");
        std::string_view path = auth->target;
        path.remove_prefix(1);
        out.tenant = std::string(path.substr(0, path.find_first_of("/?")));
        for (char ch : out.tenant)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_'))
                return malformed("the tenant in the authorization URL has characters a tenant id cannot have");
        if (out.tenant.size() > 128) return malformed("the tenant in the authorization URL is too long");
    }
    return out;
}

} // namespace esx::keyvault

#endif
