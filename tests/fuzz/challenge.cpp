// libFuzzer target for the Key Vault 401 challenge: the input is the value of a
// `WWW-Authenticate` header, checked by `keyvault::verify_challenge` against fixed vaults (a
// public-cloud vault on the default port, and a mock-cloud vault on its own port, as the
// tests use). A challenge decides where a token goes, so beyond "no crash" every accepted
// challenge must satisfy the security rule on its own:
// - the resource is an https:// URL whose host is the cloud's vault suffix or under it, and
//   the vault's host lies under the resource's host; an explicit port is the vault's port;
// - the token scope names exactly that resource (`resource + "/.default"`, or a `scope`
//   parameter that is that resource);
// - the tenant taken from the authorization URL can only be a tenant id (no `/`, `?`, `@`...).
// A refusal is a `challenge_malformed` or `challenge_refused` error with a bounded message.
// Build and run with tests/fuzz/run.sh challenge SECONDS.
#include <esx/keyvault/challenge.hpp>
#include <esx/keyvault/error.hpp>
#include <esx/keyvault/vault_url.hpp>
#include <esx/transport/detail/url.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap(); // an invariant that did not hold
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool iends_with(std::string_view s, std::string_view tail) {
    if (s.size() < tail.size()) return false;
    s = s.substr(s.size() - tail.size());
    for (std::size_t i = 0; i < s.size(); ++i)
        if (lower(s[i]) != lower(tail[i])) return false;
    return true;
}

struct fixed_vault {
    esx::cloud cloud;
    esx::keyvault::vault_endpoint vault;
};

fixed_vault make_vault(esx::cloud c, std::string_view url) {
    auto v = esx::keyvault::parse_vault_url(c, url);
    if (!v) __builtin_trap(); // the fixture itself must be a valid vault
    return {std::move(c), std::move(*v)};
}

void check_accepted(esx::keyvault::challenge const& ch, fixed_vault const& f) {
    namespace td = esx::transport::detail;
    auto const resource = td::parse_url(ch.resource);
    check(resource.has_value());
    check(resource->scheme == "https" && resource->target == "/");
    std::string_view const rhost = resource->host;
    bool const in_cloud = iends_with(rhost, f.cloud.vault_suffix) &&
                          (rhost.size() == f.cloud.vault_suffix.size() ||
                           rhost[rhost.size() - f.cloud.vault_suffix.size() - 1] == '.');
    check(in_cloud);
    check(f.vault.host.size() > rhost.size() && iends_with(f.vault.host, rhost) &&
          f.vault.host[f.vault.host.size() - rhost.size() - 1] == '.');
    if (resource->explicit_port) check(resource->port == f.vault.port);
    // The scope asked for is the resource that was checked (as the Azure SDKs, a `scope`
    // parameter is taken verbatim: with or without `/.default`, trailing `/` aside).
    std::string_view scope = ch.scope;
    if (scope.ends_with("/.default")) scope.remove_suffix(9);
    while (scope.size() > 8 && scope.back() == '/') scope.remove_suffix(1);
    check(scope == ch.resource);
    check(ch.tenant.size() <= 128);
    for (char c : ch.tenant)
        check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_');
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static fixed_vault const vaults[] = {
        make_vault(esx::clouds::public_cloud(), "https://myvault.vault.azure.net"),
        make_vault(esx::cloud{"AzureStackCloud", "https://127.0.0.1:44033/", "vault.esx.test", "https://vault.esx.test"},
                   "https://v1.vault.esx.test:44033"),
    };
    std::string_view const header(reinterpret_cast<char const*>(data), size);
    for (auto const& f : vaults) {
        auto r = esx::keyvault::verify_challenge(header, f.cloud, f.vault);
        if (r) {
            check_accepted(*r, f);
            continue;
        }
        auto const& e = r.error();
        check(e.code == make_error_code(esx::keyvault::error::challenge_malformed) ||
              e.code == make_error_code(esx::keyvault::error::challenge_refused));
        check(!e.message.empty() && e.message.size() <= 4096 + 512);
    }
    return 0;
}
