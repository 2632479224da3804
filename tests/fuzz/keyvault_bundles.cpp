// libFuzzer target for what Key Vault answers: secret, key and certificate bundles, deleted
// secrets, error bodies and list pages (items, `nextLink`), read by the real
// `keyvault::client` over a scripted transport (the vault is hostile or compromised: every
// body is untrusted). The client first gets Key Vault's real 401 challenge, so the fuzzed
// bodies reach the authorized path, as in production.
//
// Input: an operation line, then the bodies the vault answers, one per request, separated by
// lines `---`. A body may start with a status line `NNN` (default 200). Operations:
// `secret`, `key`, `cert`, `object` (the three object kinds' decode), `fetch REF`, `list`,
// `versions`, `delete`, `set`; an unknown line picks one by its first byte.
// Build and run with tests/fuzz/run.sh keyvault_bundles SECONDS.
//
// Besides "no crash": every request goes to the vault's origin (a `nextLink` that leaves it is
// never followed, so the token never does either); a listing stops at max_pages; no failure
// message holds the token or a secret value; a secret bundle's value is the body's `value`
// byte for byte; a certificate's DER is the body's `cer` decoded.
#include <esx/auth/concept.hpp>
#include <esx/keyvault/client.hpp>
#include <esx/object/detail/base64.hpp>
#include <esx/object/key.hpp>
#include <esx/object/certificate.hpp>
#include <esx/object/secret.hpp>
#include <esx/testing/scripted_transport.hpp>
#include <esx/transport/detail/url.hpp>

#include "support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace kv = esx::keyvault;
using transport = esx::testing::scripted_transport;

constexpr std::string_view token_marker = "fuzz-token-3b9d1c7e5a";
constexpr std::string_view set_marker = "fuzz-set-value-7c2e91";
constexpr std::size_t max_pages = 8;
constexpr std::string_view challenge =
    "Bearer authorization=\"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47\", "
    "resource=\"https://vault.azure.net\"";

struct fixed_token {
    using policy_kind = esx::auth::tag;
    template <class T>
    net::awaitable<esx::result<esx::auth::access_token, esx::failure>> token(T&, esx::auth::token_request const&) {
        co_return esx::auth::access_token{esx::secret_bytes(token_marker),
                                          std::chrono::system_clock::time_point(std::chrono::hours(500'000))};
    }
};

using client = kv::client<fixed_token, transport>;

template <class T>
T run(net::awaitable<T> task) {
    net::io_context ioc;
    std::optional<T> out;
    net::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T v) {
        if (e) __builtin_trap();  // an exception escaped the API
        out.emplace(std::move(v));
    });
    ioc.run();
    if (!out) __builtin_trap();  // the coroutine did not finish
    return std::move(*out);
}

// Values a failure must never hold: the token, the value `set` sent, and every string `value`
// of the bodies (secret values) that are distinctive.
struct secrets_seen {
    std::vector<std::string> values{std::string(token_marker), std::string(set_marker)};

    void add_body(std::string_view body) {
        boost::system::error_code ec;
        auto v = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
        if (ec || !v.is_object()) return;
        if (auto const* s = v.get_object().if_contains("value"); s && s->is_string() && esx_fuzz::distinctive(s->get_string()))
            values.emplace_back(s->get_string());
    }
    void check(esx::failure const& f) const {
        for (auto const& s : values) {
            if (f.message.find(s) != std::string::npos || f.reason.find(s) != std::string::npos) __builtin_trap();
            for (auto const& c : f.causes)
                if (c.message.find(s) != std::string::npos) __builtin_trap();
        }
    }
};

struct scripted_body {
    unsigned status = 200;
    std::string_view body;
};

std::vector<scripted_body> split_bodies(std::string_view rest) {
    std::vector<scripted_body> out;
    for (;;) {
        auto const sep = rest.find("\n---\n");
        std::string_view chunk = rest.substr(0, sep);
        scripted_body b;
        if (chunk.size() >= 4 && chunk[3] == '\n' && std::isdigit(static_cast<unsigned char>(chunk[0])) &&
            std::isdigit(static_cast<unsigned char>(chunk[1])) && std::isdigit(static_cast<unsigned char>(chunk[2]))) {
            b.status = static_cast<unsigned>((chunk[0] - '0') * 100 + (chunk[1] - '0') * 10 + (chunk[2] - '0'));
            if (b.status < 100) b.status = 200;
            chunk.remove_prefix(4);
            // A 1xx, 204 or 304 answer has no body (Beast refuses to frame one).
            if (b.status < 200 || b.status == 204 || b.status == 304) chunk = {};
        }
        b.body = chunk;
        out.push_back(b);
        if (sep == std::string_view::npos || out.size() >= 2 * max_pages) break;
        rest.remove_prefix(sep + 5);
    }
    return out;
}

// Every request went to the vault's origin; only those may carry the token.
void check_requests(transport const& t, kv::vault_endpoint const& vault) {
    for (auto const& r : t.requests()) {
        auto parts = esx::transport::detail::parse_url(r.url);
        if (!parts || parts->scheme != "https" || parts->host != vault.host || parts->port != vault.port)
            __builtin_trap();
    }
}

void check_secret(esx::result<kv::secret_bundle, esx::failure> const& r, std::string_view body) {
    if (!r) return;
    boost::system::error_code ec;
    auto v = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
    if (ec || !v.is_object()) __builtin_trap();  // the client took a body that is not a JSON object
    auto const* value = v.get_object().if_contains("value");
    std::string_view const want = value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
    if (r->value.reveal() != want) __builtin_trap();
}

void check_certificate(esx::result<kv::certificate_bundle, esx::failure> const& r, std::string_view body) {
    if (!r) return;
    boost::system::error_code ec;
    auto v = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
    if (ec || !v.is_object()) __builtin_trap();
    auto const* cer = v.get_object().if_contains("cer");
    if (!cer || !cer->is_string()) __builtin_trap();
    auto der = esx::object::detail::base64_decode(std::string_view(cer->get_string()));
    if (!der || *der != r->cer) __builtin_trap();
    if (r->cer.size() > cer->get_string().size()) __builtin_trap();
}

// `quoted_input`: the size of what the caller passed that a message may name (a reference
// names its object), which the bound allows for; the body's size never counts.
template <class T>
void check_result(esx::result<T, esx::failure> const& r, secrets_seen const& seen, std::size_t quoted_input) {
    if (!r) {
        seen.check(r.error());
        // Key Vault messages are quoted, bounded: a failure never grows with the body.
        if (r.error().message.size() > 2048 + 2 * quoted_input) __builtin_trap();
    }
}

template <class T>
void check_result(esx::result<T, esx::failure> const& r, secrets_seen const& seen) {
    check_result(r, seen, 0);
}

int op_of(std::string_view line) {
    static constexpr std::string_view ops[] = {"secret", "key", "cert", "object", "fetch", "list", "versions", "delete", "set"};
    for (int i = 0; i < static_cast<int>(std::size(ops)); ++i)
        if (line == ops[i] || (ops[i] == "fetch" && line.starts_with("fetch "))) return i;
    return line.empty() ? 0 : static_cast<unsigned char>(line[0]) % static_cast<int>(std::size(ops));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(data), size);
    auto const nl = input.find('\n');
    std::string_view const line = input.substr(0, nl);
    std::string_view const rest = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    auto const bodies = split_bodies(rest);

    transport t;
    t.then_respond(401, "", {{"WWW-Authenticate", std::string(challenge)}});
    int const op = op_of(line);
    bool const reads_values = op == 0 || op == 3 || op == 4 || op == 8;
    secrets_seen seen;
    // A marker the input spells itself (in a name, an error message) may be quoted back.
    std::erase_if(seen.values, [&](std::string const& m) { return input.find(m) != std::string_view::npos; });
    for (auto const& b : bodies) {
        t.then_respond(b.status, std::string(b.body), {{"Content-Type", "application/json; charset=utf-8"}});
        // A 2xx answer of a read holds a secret value; an error body's or a list page's
        // `value` is not one (an error message may quote it).
        if (reads_values && b.status / 100 == 2) seen.add_body(b.body);
    }
    // A value that is part of the (public) challenge, which debug lines show, proves nothing.
    std::erase_if(seen.values, [](std::string const& v) { return challenge.find(v) != std::string_view::npos; });
    fixed_token auth;
    kv::client_options options;
    options.max_pages = max_pages;
    std::vector<std::string> log_lines;  // every level: debug lines name the challenge, never a token
    options.logger = esx::log::logger(esx::log::level::trace, [&](std::string_view l) { log_lines.emplace_back(l); });
    auto c = client::make(auth, t, esx::clouds::public_cloud(), "https://myvault.vault.azure.net/", options);
    if (!c) __builtin_trap();
    std::string_view const first_body = bodies.front().body;

    switch (op) {
    case 0: {
        auto r = run(c->get_secret("name", "0123456789abcdef0123456789abcdef"));
        check_result(r, seen);
        check_secret(r, first_body);
        break;
    }
    case 1: check_result(run(c->get_key("rsa-key")), seen); break;
    case 2: {
        auto r = run(c->get_certificate("cert"));
        check_result(r, seen);
        check_certificate(r, first_body);
        break;
    }
    case 3: {
        check_result(run(c->get_object(esx::object::secret{}, "s")), seen);
        check_result(run(c->get_object(esx::object::key{}, "k")), seen);
        check_result(run(c->get_object(esx::object::certificate{}, "c")), seen);
        break;
    }
    case 4: {
        std::string ref(line.size() > 6 ? line.substr(6) : std::string_view("secret/name"));
        std::size_t const ref_size = ref.size();
        check_result(run(c->fetch(std::move(ref))), seen, ref_size);
        break;
    }
    case 5: {
        auto pages = c->list_secrets_paged(25);
        std::size_t n = 0;
        for (;;) {
            auto p = run(pages.next());
            if (!p) {
                check_result(p, seen);
                break;
            }
            if (!*p) break;
            if (++n > max_pages) __builtin_trap();
            for (auto const& i : (*p)->items)
                if (i.name.empty()) __builtin_trap();
        }
        break;
    }
    case 6: check_result(run(c->list_certificate_versions("cert")), seen); break;
    case 7: check_result(run(c->delete_secret("name")), seen); break;
    case 8: {
        kv::secret_properties props;
        props.content_type = "text/plain";
        props.tags = kv::tag_map{{"owner", "fuzz"}};
        check_result(run(c->set_secret("name", esx::secret_bytes(set_marker), props)), seen);
        break;
    }
    }
    check_requests(t, c->endpoint());
    for (auto const& l : log_lines) seen.check(esx::failure(esx::error_code(), l));
    // The challenge probe, one request per scripted body, and at most one past the script per
    // call (`object` makes three calls; a listing stops at its first failure).
    std::size_t const calls = op == 3 ? 3 : 1;
    if (t.requests().size() > bodies.size() + 1 + calls) __builtin_trap();
    return 0;
}
