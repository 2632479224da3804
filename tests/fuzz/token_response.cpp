// libFuzzer target for the token answers esx reads. The input is a response body, read as:
// - an Entra ID (v2: numbers) or IMDS (numbers as strings) token response, by
//   `auth::detail::parse_token_response`, once as a 200 and once as a 400 answer;
// - an exec plugin's ExecCredential (`kube::parse_exec_credential`) and a TokenRequest answer
//   (its `status.expirationTimestamp` through `kube::detail::parse_rfc3339`, as
//   `kube::client` reads it);
// - a projected service-account token file (`auth::detail::read_token_file`, what workload
//   identity sends as its client assertion), written to a scratch file.
// esx does not decode JWTs: tokens are opaque bytes to it, so a JWT's risk is in these readers.
//
// Invariants, beyond "no crash": a token value never appears in an error message (the body
// of a success holds the token; a failure must not quote it); an accepted token is the
// `access_token` of the body, non-empty and at most 64 KiB, and expires after the epoch; a
// token file's token is the file without trailing whitespace, and a file is refused only
// when that leaves nothing.
// Build and run with tests/fuzz/run.sh token_response SECONDS.
#include <esx/auth/detail/oauth.hpp>
#include <esx/auth/workload_identity.hpp>
#include <esx/kube/credentials.hpp>
#include <esx/kube/detail/text.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

namespace json = boost::json;
using namespace std::chrono;

void check(bool ok) {
    if (!ok) __builtin_trap(); // an invariant that did not hold
}

bool contains(std::string_view haystack, std::string_view needle) {
    return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}

// The string values a body carries under `keys` (anywhere at the top level or in `status`):
// the secrets an error message must not repeat. Short ones could appear by chance.
std::vector<std::string> secrets_in(json::value const& doc, std::initializer_list<std::string_view> keys) {
    std::vector<std::string> out;
    auto collect = [&](json::object const& o) {
        for (auto k : keys)
            if (auto const* v = o.if_contains(k); v && v->is_string() && v->as_string().size() >= 8)
                out.emplace_back(v->as_string());
    };
    if (!doc.is_object()) return out;
    collect(doc.as_object());
    if (auto const* s = doc.as_object().if_contains("status"); s && s->is_object()) collect(s->as_object());
    return out;
}

// `doc` with the string values under `keys` (top level and `status`) replaced by as many `#`:
// what the same answer gives when it carries other secrets. A text that is in an error message
// either way comes from the message's own words, not from the secret.
std::string with_secrets_replaced(json::value doc, std::initializer_list<std::string_view> keys) {
    auto replace = [&](json::object& o) {
        for (auto k : keys)
            if (auto* v = o.if_contains(k); v && v->is_string()) *v = std::string(v->as_string().size(), '#');
    };
    if (!doc.is_object()) return {};
    replace(doc.as_object());
    if (auto* st = doc.as_object().if_contains("status"); st && st->is_object()) replace(st->as_object());
    return json::serialize(doc);
}

void fuzz_token_response(std::string_view body, json::value const& doc) {
    auto const now = system_clock::time_point(seconds(1'764'000'000));
    auto const tokens = secrets_in(doc, {"access_token", "refresh_token"});
    for (unsigned status : {200u, 400u}) {
        auto r = esx::auth::detail::parse_token_response(status, body, now, "fuzz");
        if (!r) {
            if (tokens.empty()) continue;
            auto const other = esx::auth::detail::parse_token_response(
                status, with_secrets_replaced(doc, {"access_token", "refresh_token"}), now, "fuzz");
            for (auto const& t : tokens)
                check((!contains(r.error().message, t) && !contains(r.error().reason, t)) ||
                      (!other && contains(other.error().message + other.error().reason, t)));
            continue;
        }
        check(status == 200);
        auto const value = r->value.reveal();
        check(!value.empty() && value.size() <= 64 * 1024);
        auto const* at = doc.is_object() ? doc.as_object().if_contains("access_token") : nullptr;
        check(at && at->is_string() && std::string_view(at->as_string()) == value);
        check(r->expires_on > system_clock::time_point());
    }
}

void fuzz_exec_credential(std::string_view body, json::value const& doc) {
    auto r = esx::kube::parse_exec_credential(body, "client.authentication.k8s.io/v1");
    if (r) return;
    auto const secrets = secrets_in(doc, {"token", "clientKeyData"});
    if (secrets.empty()) return;
    auto const other = esx::kube::parse_exec_credential(with_secrets_replaced(doc, {"token", "clientKeyData"}),
                                                        "client.authentication.k8s.io/v1");
    for (auto const& t : secrets)
        check(!contains(r.error().message, t) || (!other && contains(other.error().message, t)));
}

void fuzz_token_request_answer(json::value const& doc) {
    if (!doc.is_object()) return;
    auto const* status = doc.as_object().if_contains("status");
    if (!status || !status->is_object()) return;
    auto const* ts = status->as_object().if_contains("expirationTimestamp");
    if (!ts || !ts->is_string()) return;
    auto const at = esx::kube::detail::parse_rfc3339(ts->as_string());
    (void)at;
}

void fuzz_token_file(std::string_view body) {
    // One scratch file per process, removed when the fuzzer exits.
    struct scratch_file {
        std::string path;
        ~scratch_file() { std::remove(path.c_str()); }
    };
    static scratch_file const scratch{[] {
        char const* tmp = std::getenv("TMPDIR");
        return std::string(tmp && *tmp ? tmp : "/tmp") + "/esx-fuzz-token-" + std::to_string(::getpid());
    }()};
    std::string const& path = scratch.path;
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(body.data(), 1, body.size(), f);
        std::fclose(f);
    } else {
        return;
    }
    boost::asio::io_context io;
    std::optional<esx::result<esx::secret_bytes, esx::failure>> got;
    boost::asio::co_spawn(io, esx::auth::detail::read_token_file(path),
                          [&](std::exception_ptr e, esx::result<esx::secret_bytes, esx::failure> r) {
                              check(!e);
                              got = std::move(r);
                          });
    io.run();
    check(got.has_value());
    std::string_view trimmed = body;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' '))
        trimmed.remove_suffix(1);
    if (*got) {
        check((*got)->reveal() == trimmed);
    } else {
        check(trimmed.empty() || body.size() > 64 * 1024);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const body(reinterpret_cast<char const*>(data), size);
    boost::system::error_code ec;
    json::value const doc = json::parse(body, ec);
    fuzz_token_response(body, doc);
    fuzz_exec_credential(body, doc);
    fuzz_token_request_answer(doc);
    fuzz_token_file(body);
    return 0;
}
