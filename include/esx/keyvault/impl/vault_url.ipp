// esx::keyvault: vault URL checks (out of line).
//
// The URL is read by hand rather than by transport::detail::parse_url so that each refusal
// says what is wrong with it: a user who mistyped a vault URL, and a reviewer reading why a
// hostile one was refused, both need the cause, not "not a valid URL".
#ifndef ESX_KEYVAULT_IMPL_VAULT_URL_IPP
#define ESX_KEYVAULT_IMPL_VAULT_URL_IPP

#include <esx/keyvault/error.hpp>
#include <esx/keyvault/vault_url.hpp>
#include <esx/transport/detail/url.hpp>

#include <algorithm>
#include <charconv>

namespace esx::keyvault {
namespace detail {

inline char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

inline bool iequal_ascii(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower_ascii(x) == lower_ascii(y); });
}

inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// The DNS zones whose vault names follow Azure's naming rule (Learn, "Key Vault naming"):
/// the three live clouds and the retired German one.
inline bool is_azure_vault_suffix(std::string_view suffix) noexcept {
    for (std::string_view s : {"vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"})
        if (iequal_ascii(suffix, s)) return true;
    return false;
}

/// Why `name` (the host's first label) cannot be a vault name, or empty when it can.
/// Azure's zones: 3-24 of [0-9a-zA-Z-], a letter first, a letter or digit last, no "--".
/// Another cloud's zone (a custom `keyVaultDNSSuffix`) has rules esx cannot know, so only the
/// DNS label rule holds there: 1-63 of [0-9a-zA-Z-], no '-' first or last.
inline std::string vault_name_problem(std::string_view name, bool azure_zone) {
    bool const ldh = std::all_of(name.begin(), name.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
    if (azure_zone) {
        if (name.size() < 3 || name.size() > 24 || !ldh || !is_alpha(name.front()) || name.back() == '-' ||
            name.find("--") != std::string_view::npos)
            return "the vault name \"" + std::string(name) +
                   "\" is not a Key Vault name: 3-24 characters of [0-9a-zA-Z-], starting with a letter, ending "
                   "with a letter or digit, without \"--\"";
        return {};
    }
    if (name.size() > 63 || !ldh || name.front() == '-' || name.back() == '-')
        return "the vault name \"" + std::string(name) +
               "\" is not a DNS label: 1-63 characters of [0-9a-zA-Z-], not starting or ending with '-'";
    return {};
}

} // namespace detail

ESX_DECL result<vault_endpoint, failure> parse_vault_url(cloud const& c, std::string_view vault_url) {
    auto refused = [&](std::string const& why) {
        // The URL is quoted only when it has nothing unprintable in it (no header or log injection).
        bool const printable = std::all_of(vault_url.begin(), vault_url.end(), [](char ch) {
            auto const u = static_cast<unsigned char>(ch);
            return u > 0x20 && u < 0x7f;
        });
        std::string shown = printable ? "\"" + std::string(vault_url.substr(0, 256)) + "\"" : "(not shown)";
        return failure{make_error_code(error::vault_url_refused), "spec.provider.azurekv.vaultUrl " + shown + ": " + why};
    };
    std::string const example = "https://myvault." + c.vault_suffix;

    if (vault_url.empty()) return refused("must not be empty; it names the vault, e.g. " + example);
    if (vault_url.size() > 2048) return refused("is longer than 2048 characters");
    for (std::size_t i = 0; i < vault_url.size(); ++i) {
        auto const u = static_cast<unsigned char>(vault_url[i]);
        if (u < 0x20 || u == 0x7f)
            return refused("has a control character at offset " + std::to_string(i));
        if (u == ' ') return refused("has a space at offset " + std::to_string(i));
        if (u >= 0x80)
            return refused("has a non-ASCII byte at offset " + std::to_string(i) +
                           " (write an internationalized host name in its xn-- form)");
    }

    // Scheme, compared case-insensitively as RFC 3986 says and Go's url.Parse (ESO) does.
    auto const sep = vault_url.find("://");
    if (sep == std::string_view::npos)
        return refused("must be an absolute https:// URL, e.g. " + example);
    std::string_view const scheme = vault_url.substr(0, sep);
    if (!detail::iequal_ascii(scheme, "https")) {
        if (detail::iequal_ascii(scheme, "http"))
            return refused("must be an https:// URL, not http:// (tokens are never sent without TLS)");
        return refused("must be an https:// URL; the scheme \"" + std::string(scheme.substr(0, 32)) + "\" is not https");
    }

    std::string_view const after = vault_url.substr(sep + 3);
    auto const authority_end = after.find_first_of("/?#");
    std::string_view const authority = after.substr(0, authority_end);
    std::string_view const rest = authority_end == std::string_view::npos ? std::string_view() : after.substr(authority_end);

    // The authority: host[:port], nothing else.
    if (authority.find('@') != std::string_view::npos)
        return refused("must not have user info (\"user@\" before the host): the host is what follows the '@', "
                       "and credentials in URLs end up in logs");
    if (authority.find('\\') != std::string_view::npos) return refused("has a backslash in the host");
    if (authority.find('%') != std::string_view::npos)
        return refused("the host must not be percent-encoded; write the vault's DNS name as it is");
    if (!authority.empty() && authority.front() == '[')
        return refused("the host is an IPv6 address; tokens go only to vault names under \"." + c.vault_suffix + "\"");
    std::string_view host = authority;
    std::uint16_t port = 443;
    bool explicit_port = false;
    if (auto const colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        std::string_view const port_text = authority.substr(colon + 1);
        if (port_text.find(':') != std::string_view::npos) return refused("has more than one port (two ':' in the host)");
        if (port_text.empty()) return refused("has a ':' after the host with no port number");
        unsigned value = 0;
        auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
            return refused("the port \"" + std::string(port_text.substr(0, 16)) + "\" is not a number from 1 to 65535");
        port = static_cast<std::uint16_t>(value);
        explicit_port = true;
    }
    if (host.empty()) return refused("has no host; it names the vault, e.g. " + example);

    // What follows the authority: nothing, or a single '/'.
    if (rest.find('#') != std::string_view::npos) return refused("must not have a fragment (#...)");
    if (rest.find('?') != std::string_view::npos) return refused("must not have a query (?...)");
    if (!rest.empty() && rest != "/")
        return refused("must not have a path: it names the vault, e.g. " + example);

    // The host: a DNS name, one vault label directly under the cloud's vault suffix.
    for (char ch : host)
        if (!(detail::is_alpha(ch) || detail::is_digit(ch) || ch == '-' || ch == '.'))
            return refused(std::string("the host has '") + ch + "', which a DNS name cannot have");
    if (transport::detail::is_ip_literal(host) ||
        std::all_of(host.begin(), host.end(), [](char ch) { return detail::is_digit(ch) || ch == '.'; }))
        return refused("the host is an IP address; tokens go only to vault names under \"." + c.vault_suffix + "\"");
    if (host.back() == '.')
        return refused("the host ends with a dot; write it without one (ESO's Azure SDK would refuse the vault's "
                       "challenge for it, as the host then does not end with \"." + c.vault_suffix + "\")");
    auto lower = [](std::string_view in) {
        std::string s(in);
        std::transform(s.begin(), s.end(), s.begin(), detail::lower_ascii);
        return s;
    };
    std::string const lowered = lower(host);
    std::string const dot_suffix = "." + lower(c.vault_suffix);
    if (c.vault_suffix.empty() || !lowered.ends_with(dot_suffix))
        return refused("the host must end with \"" + dot_suffix + "\", the vault suffix of " + c.name +
                       " (a token for Key Vault is only sent to vaults of the store's cloud)");
    std::string_view const name = std::string_view(lowered).substr(0, lowered.size() - dot_suffix.size());
    if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)
        return refused("the host has an empty label (a vault is https://<name>" + dot_suffix + ")");
    if (name.find('.') != std::string_view::npos)
        return refused("the vault name must be a single DNS label directly under \"" + dot_suffix + "\", not \"" +
                       std::string(name.substr(0, 64)) + "\"");
    if (auto problem = detail::vault_name_problem(name, detail::is_azure_vault_suffix(c.vault_suffix)); !problem.empty())
        return refused(problem);

    vault_endpoint v;
    v.host = lowered;
    v.port = port;
    v.origin = "https://" + lowered;
    if (explicit_port && port != 443) v.origin += ":" + std::to_string(port);
    return v;
}

} // namespace esx::keyvault

#endif
