// Hostile peers and hostile input (issue 14), against loopback servers:
//  - copies of secrets are wiped: this program replaces the global operator new/delete so a
//    test can record the bytes of every block the client thread frees (copied before the
//    block goes back to malloc, so ASan's poisoning does not hide them) and look for marker
//    values afterwards. Requests carrying a client secret or a client assertion and responses
//    carrying a value or a token go through the real transport and auth policies;
//  - every resource bound ends in a clear error: header blocks, chunked bodies, dripping
//    servers, JSON nesting, manifest sizes.
// Its own executable: the replaced operators must not change how the other tests allocate.
#include <esx/auth/service_principal.hpp>
#include <esx/auth/workload_identity.hpp>
#include <esx/kube/client.hpp>
#include <esx/spec/manifest.hpp>
#include <esx/transport/http.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/wiped.hpp>

#include "../../mocks/common/pki.hpp"
#include "../../mocks/common/scripted_server.hpp"
#include "../support/run.hpp"
#include "../support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using esx::test::action;
using esx::test::scripted_server;
using esx::test::server_options;

// ---- the freed-memory recorder ------------------------------------------------------------

namespace freed {

/// Keeps a copy of each block the recording thread frees. Its storage is taken from malloc
/// up front, so recording never allocates through the operators it watches.
class recorder {
public:
    recorder() : arena_(static_cast<char*>(std::malloc(arena_size))), blocks_(static_cast<block*>(std::malloc(max_blocks * sizeof(block)))) {}
    ~recorder() {
        stop();
        std::free(arena_);
        std::free(blocks_);
    }
    recorder(recorder const&) = delete;
    recorder& operator=(recorder const&) = delete;

    void start();
    void stop();

    void keep(void const* p, std::size_t n) noexcept {
        if (count_ == max_blocks || used_ + n > arena_size) {
            ++dropped_;
            return;
        }
        std::memcpy(arena_ + used_, p, n);
        blocks_[count_++] = {used_, n};
        used_ += n;
    }

    /// Whether any recorded block holds `needle`.
    bool holds(std::string_view needle) const {
        for (std::size_t i = 0; i < count_; ++i) {
            std::string_view const b(arena_ + blocks_[i].offset, blocks_[i].size);
            if (b.find(needle) != std::string_view::npos) return true;
        }
        return false;
    }
    std::size_t blocks() const noexcept { return count_; }
    std::size_t bytes() const noexcept { return used_; }
    std::size_t dropped() const noexcept { return dropped_; }

private:
    static constexpr std::size_t arena_size = 256u << 20;
    static constexpr std::size_t max_blocks = 1u << 20;
    struct block {
        std::size_t offset, size;
    };
    char* arena_;
    block* blocks_;
    std::size_t used_ = 0, count_ = 0, dropped_ = 0;
};

thread_local recorder* active = nullptr;

void recorder::start() { active = this; }
void recorder::stop() {
    if (active == this) active = nullptr;
}

// The whole block as malloc holds it: a sized delete may name fewer bytes than were allocated
// (Boost 1.81's monotonic_resource does), and what it leaves out must be seen too.
inline void release(void* p, std::size_t n) noexcept {
    if (p && active) active->keep(p, std::max(n, malloc_usable_size(p)));
    std::free(p);
}

} // namespace freed

namespace freed {
// Every block starts zeroed, so what a recorded block holds was written by its owner, not
// left over from a block freed earlier (outside a recording) at the same address.
inline void* zeroed(void* p) noexcept {
    if (p) std::memset(p, 0, malloc_usable_size(p));
    return p;
}
} // namespace freed

void* operator new(std::size_t n) {
    if (void* p = freed::zeroed(std::malloc(n ? n : 1))) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, std::nothrow_t const&) noexcept { return freed::zeroed(std::malloc(n ? n : 1)); }
void* operator new[](std::size_t n, std::nothrow_t const&) noexcept { return freed::zeroed(std::malloc(n ? n : 1)); }
void* operator new(std::size_t n, std::align_val_t a) {
    auto const align = static_cast<std::size_t>(a);
    if (void* p = freed::zeroed(std::aligned_alloc(align, (std::max<std::size_t>(n, 1) + align - 1) / align * align)))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p) noexcept { freed::release(p, p ? malloc_usable_size(p) : 0); }
void operator delete[](void* p) noexcept { freed::release(p, p ? malloc_usable_size(p) : 0); }
void operator delete(void* p, std::size_t n) noexcept { freed::release(p, n); }
void operator delete[](void* p, std::size_t n) noexcept { freed::release(p, n); }
void operator delete(void* p, std::nothrow_t const&) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::nothrow_t const&) noexcept { ::operator delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { freed::release(p, p ? malloc_usable_size(p) : 0); }
void operator delete[](void* p, std::align_val_t) noexcept { freed::release(p, p ? malloc_usable_size(p) : 0); }
void operator delete(void* p, std::size_t n, std::align_val_t) noexcept { freed::release(p, n); }
void operator delete[](void* p, std::size_t n, std::align_val_t) noexcept { freed::release(p, n); }

namespace {

// Markers: form-encoding leaves them as they are. Built from pieces so the whole value is
// never a literal the recorder could meet by other ways than the code under test.
std::string const& secret_marker() {
    static std::string const s = std::string("CLIENTSECRET") + "-q7Zr41Lm-wipe-me";
    return s;
}
std::string const& value_marker() {
    static std::string const s = std::string("VAULTVALUE") + "-x9Pe20Kd-wipe-me";
    return s;
}
std::string const& token_marker() {
    static std::string const s = std::string("ACCESSTOKEN") + "-u3Bn77Qa-wipe-me";
    return s;
}

struct test_pki {
    esx::mocks::pki::authority ca = esx::mocks::pki::authority::generate("esx bounds test CA");
    esx::mocks::pki::issued loopback = ca.issue_server({"localhost"}, {"127.0.0.1"});
    esx::mocks::pki::issued client =
        ca.issue_client("esx-client", std::chrono::hours(24), esx::mocks::pki::key_type::rsa_2048);
};
test_pki const& pki() {
    static test_pki const instance;
    return instance;
}

server_options tls() {
    server_options o;
    o.tls = true;
    o.cert_pem = pki().loopback.cert_pem;
    o.key_pem = pki().loopback.key_pem;
    return o;
}

esx::transport::options test_options() {
    esx::transport::options o;
    o.ca_pem = pki().ca.cert_pem();
    o.proxy = esx::transport::proxy_settings{};
    o.timeouts = {2s, 5s, 10s};
    return o;
}

esx::transport::request get(std::string url) {
    esx::transport::request r;
    r.url = std::move(url);
    return r;
}

bhttp::response<bhttp::string_body> json_reply(unsigned status, std::string body) {
    bhttp::response<bhttp::string_body> r{static_cast<bhttp::status>(status), 11};
    r.set(bhttp::field::content_type, "application/json");
    r.body() = std::move(body);
    return r;
}

// Everything the server saw, kept on its own thread's side.
struct seen_requests {
    std::mutex m;
    std::vector<std::string> bodies;
    void add(std::string const& b) {
        std::lock_guard lock(m);
        bodies.push_back(b);
    }
    std::vector<std::string> all() {
        std::lock_guard lock(m);
        return bodies;
    }
};

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

} // namespace

// A kube client for a scripted API server over TLS (no token: the server does not ask).
esx::kube::config kube_config_for(scripted_server const& srv) {
    esx::kube::config c;
    c.server = srv.origin();
    c.ca_pem = pki().ca.cert_pem();
    return c;
}

// A Secret's watch event whose data holds `value`, as one line of a watch stream.
std::string secret_event_line(std::string const& value) {
    return "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":"
           "{\"name\":\"db\",\"namespace\":\"default\",\"resourceVersion\":\"8\"},\"data\":{\"password\":\"" +
           value + "\"}}}\n";
}

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(transport)

BOOST_AUTO_TEST_SUITE(wiping)

BOOST_AUTO_TEST_CASE(the_recorder_sees_a_copy_that_was_not_wiped) {
    freed::recorder rec;
    rec.start();
    {
        std::string plain = "a plain string with " + value_marker() + " in it";
        esx::transport::body_string wiped("a wiped string with ");
        wiped += secret_marker();
        esx::transport::fields headers; // request headers: `Authorization` is wiped too
        headers.set(esx::transport::field::authorization, wiped);
    }
    rec.stop();
    BOOST_TEST(rec.holds(value_marker()));   // the plain copy is found: the recorder works
    BOOST_TEST(!rec.holds(secret_marker())); // the wiped one is not
    BOOST_TEST(rec.dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(request_and_response_bodies_leave_no_copy_behind) {
    seen_requests seen;
    int answered = 0;
    scripted_server srv(tls(), [&](auto const& req) {
        seen.add(req.body());
        std::string const body = "{\"value\":\"" + value_marker() + "\"}";
        switch (answered++ % 3) {
        case 0: return action::respond(json_reply(200, body));
        case 1: { // in small chunks: the body string grows many times
            std::vector<std::string> chunks;
            for (std::size_t i = 0; i < body.size(); i += 3) chunks.push_back(body.substr(i, 3));
            return action::chunked(json_reply(200, ""), std::move(chunks));
        }
        default: { // large: the connection's read buffer grows too
            std::string big = "{\"pad\":\"" + std::string(200 * 1024, 'p') + "\",\"value\":\"" + value_marker() + "\"}";
            return action::chunked(json_reply(200, ""), {big.substr(0, 70000), big.substr(70000, 70000), big.substr(140000)});
        }
        }
    });

    std::size_t found_in_responses = 0;
    freed::recorder rec;
    rec.start();
    {
        net::io_context ioc;
        esx::transport::https t(ioc.get_executor(), test_options());
        for (int i = 0; i < 6; ++i) {
            auto req = get(srv.origin() + "/token");
            req.method = esx::transport::verb::post;
            req.body = "grant_type=client_credentials&client_secret=";
            req.body += secret_marker();
            req.headers.set(esx::transport::field::content_type, "application/x-www-form-urlencoded");
            esx::transport::body_string bearer("Bearer ");
            bearer += token_marker();
            req.headers.set(esx::transport::field::authorization, bearer);
            auto r = esx::test::run(ioc, t.send(std::move(req)));
            if (r && r->body().find(value_marker()) != esx::transport::body_string::npos) ++found_in_responses;
        }
    }
    rec.stop();
    BOOST_TEST(found_in_responses == 6u);
    auto const bodies = seen.all();
    BOOST_TEST_REQUIRE(bodies.size() == 6u);
    BOOST_TEST(bodies[0].find(secret_marker()) != std::string::npos); // the secret did go out
    BOOST_TEST(rec.blocks() > 0u);
    BOOST_TEST(rec.dropped() == 0u);
    BOOST_TEST(!rec.holds(secret_marker()));
    BOOST_TEST(!rec.holds(value_marker()));
    BOOST_TEST(!rec.holds(token_marker())); // the bearer token in the request's headers
}

BOOST_AUTO_TEST_CASE(token_requests_leave_no_copy_of_the_credential_or_the_token) {
    seen_requests seen;
    scripted_server srv(tls(), [&](auto const& req) {
        seen.add(req.body());
        return action::respond(json_reply(200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"" +
                                                   token_marker() + "\"}"));
    });
    auto const certificate = esx::auth::client_certificate::load(
        esx::secret_bytes(pki().client.cert_pem + pki().client.key_pem));
    BOOST_TEST_REQUIRE(certificate.has_value());

    for (int credential = 0; credential < 2; ++credential) {
        BOOST_TEST_CONTEXT((credential == 0 ? "client secret" : "client certificate")) {
            esx::auth::service_principal_options o;
            o.tenant_id = "esx-tenant";
            o.client_id = "esx-client";
            o.cloud = {"LoopbackCloud", srv.origin() + "/", "vault.esx.test", "https://vault.esx.test"};
            if (credential == 0) o.credential = esx::auth::client_secret{esx::secret_bytes(secret_marker())};
            else o.credential = *certificate;
            std::optional<esx::auth::service_principal<>> sp(esx::auth::service_principal<>::make(std::move(o)).value());
            auto const sent_before = seen.all().size();

            bool token_ok = false;
            freed::recorder rec;
            rec.start();
            {
                net::io_context ioc;
                esx::transport::https t(ioc.get_executor(), test_options());
                esx::auth::token_request const tr{"https://vault.esx.test/.default", ""};
                auto tok = esx::test::run(ioc, sp->token(t, tr));
                token_ok = tok && tok->value.reveal() == token_marker();
                sp.reset(); // its token cache holds the token too
            }
            rec.stop();

            BOOST_TEST(token_ok);
            auto const bodies = seen.all();
            BOOST_TEST_REQUIRE(bodies.size() == sent_before + 1);
            std::string_view const form = bodies.back();
            // What identifies the credential in the form: the secret, or the assertion's signature.
            std::string credential_text = secret_marker();
            if (credential == 1) {
                auto const at = form.find("client_assertion=");
                BOOST_TEST_REQUIRE(at != std::string_view::npos);
                auto assertion = form.substr(at + 17);
                assertion = assertion.substr(0, assertion.find('&'));
                credential_text = std::string(assertion.substr(assertion.rfind('.') + 1));
                BOOST_TEST_REQUIRE(credential_text.size() >= 40u);
            } else {
                BOOST_TEST(form.find(credential_text) != std::string_view::npos);
            }
            BOOST_TEST(rec.blocks() > 0u);
            BOOST_TEST(rec.dropped() == 0u);
            BOOST_TEST(!rec.holds(credential_text));
            BOOST_TEST(!rec.holds(token_marker()));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_federated_token_file_leaves_no_copy_behind) {
    std::string const assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ." + token_marker() + "-FEDERATED";
    esx::test::temp_dir dir;
    auto const file = dir.write("token", assertion + "\n");
    seen_requests seen;
    scripted_server srv(tls(), [&](auto const& req) {
        seen.add(req.body());
        return action::respond(json_reply(200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"" +
                                                   value_marker() + "\"}"));
    });
    esx::auth::workload_identity_options o;
    o.tenant_id = "esx-tenant";
    o.client_id = "esx-client";
    o.cloud = {"LoopbackCloud", srv.origin() + "/", "vault.esx.test", "https://vault.esx.test"};
    o.assertion = esx::auth::token_file(file);
    o.source_description = "token file";
    std::optional<esx::auth::workload_identity<>> wi(esx::auth::workload_identity<>::make(std::move(o)).value());

    bool token_ok = false;
    freed::recorder rec;
    rec.start();
    {
        net::io_context ioc;
        esx::transport::https t(ioc.get_executor(), test_options());
        esx::auth::token_request const tr{"https://vault.esx.test/.default", ""};
        auto tok = esx::test::run(ioc, wi->token(t, tr));
        token_ok = tok && tok->value.reveal() == value_marker();
        wi.reset();
    }
    rec.stop();
    BOOST_TEST(token_ok);
    auto const bodies = seen.all();
    BOOST_TEST_REQUIRE(bodies.size() == 1u);
    BOOST_TEST(bodies[0].find(token_marker() + "-FEDERATED") != std::string::npos); // the assertion went out
    BOOST_TEST(rec.dropped() == 0u);
    BOOST_TEST(!rec.holds(token_marker() + "-FEDERATED"));
    BOOST_TEST(!rec.holds(value_marker()));
}

BOOST_AUTO_TEST_CASE(watch_streams_of_secrets_leave_no_copy_of_their_data) {
    // The event arrives in pieces: the line buffer grows and is cut several times.
    std::string const line = secret_event_line(value_marker());
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < line.size(); i += 7) pieces.push_back(line.substr(i, 7));
    scripted_server srv(tls(), [&](auto const&) {
        auto head = json_reply(200, "");
        head.keep_alive(false);
        return action::chunked(std::move(head), pieces);
    });

    bool seen_value = false;
    freed::recorder rec;
    rec.start();
    {
        net::io_context ioc;
        esx::kube::client<> kube(ioc.get_executor(), kube_config_for(srv), test_options());
        esx::kube::watch_options o;
        o.resource_version = "7"; // watch directly: no list
        auto w = kube.watch<esx::kube::client<>::object>(esx::kube::resources::secrets, "default", o);
        auto event = esx::test::run(ioc, w.next());
        BOOST_TEST_REQUIRE(event.has_value(), (event ? "" : event.error().what()));
        auto const* data = event->object.if_contains("data");
        seen_value = data && data->as_object().at("password").as_string() == value_marker();
    }
    rec.stop();
    BOOST_TEST(seen_value); // the value did come through the watch
    BOOST_TEST(rec.blocks() > 0u);
    BOOST_TEST(rec.dropped() == 0u);
    BOOST_TEST(!rec.holds(value_marker()));
}

BOOST_AUTO_TEST_SUITE_END() // wiping

BOOST_AUTO_TEST_SUITE(bounds)

BOOST_AUTO_TEST_CASE(a_header_block_over_the_cap_is_refused) {
    std::vector<std::string> const hostile = {
        "HTTP/1.1 200 OK\r\nX-Big: " + std::string(8000, 'h') + "\r\nContent-Length: 0\r\n\r\n",
        [] {
            std::string many = "HTTP/1.1 200 OK\r\n";
            for (int i = 0; i < 2000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
            return many + "Content-Length: 0\r\n\r\n";
        }(),
    };
    std::atomic<std::size_t> next{0};
    scripted_server srv([&](auto const&) { return action::raw(hostile.at(next++ % hostile.size())); });
    auto o = test_options();
    o.header_limit = 4096;
    net::io_context ioc;
    esx::transport::http t(ioc.get_executor(), o);
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
        BOOST_TEST_REQUIRE(!r.has_value(), "case " << i);
        BOOST_TEST((r.error() == esx::error::response_too_large), "case " << i << ": " << r.error().message());
    }
    // The same answers fit under the default cap of 64 KiB.
    esx::transport::http roomy(ioc.get_executor(), test_options());
    for (std::size_t i = 0; i < hostile.size(); ++i)
        BOOST_TEST(esx::test::run(ioc, roomy.send(get(srv.origin() + "/"))).has_value(), "case " << i);
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_cap_is_refused) {
    scripted_server srv(tls(), [](auto const&) {
        return action::chunked(200, std::vector<std::string>(64, std::string(1024, 'c')));
    });
    auto o = test_options();
    o.body_limit = 16 * 1024;
    net::io_context ioc;
    esx::transport::https t(ioc.get_executor(), o);
    auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error() == esx::error::response_too_large));
    o.body_limit = 64 * 1024;
    esx::transport::https exact(ioc.get_executor(), o);
    auto fits = esx::test::run(ioc, exact.send(get(srv.origin() + "/")));
    BOOST_TEST_REQUIRE(fits.has_value(), fits.error().message());
    BOOST_TEST(fits->body().size() == 64u * 1024);
}

BOOST_AUTO_TEST_CASE(servers_dripping_headers_or_chunks_hit_the_total_deadline) {
    // One byte every 10 ms: the read (idle) timeout of 1 s never fires, the total of 300 ms does.
    std::vector<std::string> const drips = {
        "HTTP/1.1 200 OK\r\nX-Slow: " + std::string(400, 'd') + "\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + std::string(1024, 'c') + "\r\n0\r\n\r\n",
    };
    std::atomic<std::size_t> next{0};
    scripted_server srv([&](auto const&) { return action::trickle(drips.at(next++ % drips.size()), 10ms); });
    auto o = test_options();
    o.timeouts = {2s, 1s, 300ms};
    net::io_context ioc;
    for (std::size_t i = 0; i < drips.size(); ++i) {
        esx::transport::http t(ioc.get_executor(), o);
        auto r = esx::test::run(ioc, t.send(get(srv.origin() + "/")));
        BOOST_TEST_REQUIRE(!r.has_value(), "case " << i);
        BOOST_TEST((r.error() == esx::error::total_timeout), "case " << i << ": " << r.error().message());
    }
}

BOOST_AUTO_TEST_CASE(a_token_response_nested_too_deep_is_refused_by_name) {
    scripted_server srv(tls(), [](auto const&) {
        return action::respond(json_reply(200, "{\"access_token\":\"t\",\"expires_in\":3599,\"x\":" + nested(5000) + "}"));
    });
    esx::auth::service_principal_options o;
    o.tenant_id = "esx-tenant";
    o.client_id = "esx-client";
    o.cloud = {"LoopbackCloud", srv.origin() + "/", "vault.esx.test", "https://vault.esx.test"};
    o.credential = esx::auth::client_secret{esx::secret_bytes("s")};
    net::io_context ioc; // first: the policy's token cache keeps timers of this context
    auto sp = esx::auth::service_principal<>::make(std::move(o)).value();
    esx::transport::https t(ioc.get_executor(), test_options());
    esx::auth::token_request const tr{"https://vault.esx.test/.default", ""};
    auto tok = esx::test::run(ioc, sp.token(t, tr));
    BOOST_TEST_REQUIRE(!tok.has_value());
    BOOST_TEST((tok.error() == esx::error::malformed_response));
    BOOST_TEST(tok.error().what().find("nested deeper than 32 levels") != std::string::npos, tok.error().what());
}

BOOST_AUTO_TEST_CASE(api_server_bodies_and_watch_events_nested_too_deep_are_refused_by_name) {
    std::string const deep_object =
        "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"db\"},\"x\":" + nested(5000) + "}";
    scripted_server srv(tls(), [&](auto const& req) {
        if (req.target().find("watch=") != std::string_view::npos) {
            auto head = json_reply(200, "");
            head.keep_alive(false);
            return action::chunked(std::move(head), {"{\"type\":\"ADDED\",\"object\":" + deep_object + "}\n"});
        }
        return action::respond(json_reply(200, deep_object));
    });
    net::io_context ioc;
    esx::kube::client<> kube(ioc.get_executor(), kube_config_for(srv), test_options());
    auto got = esx::test::run(ioc, kube.get(esx::kube::resources::secrets, "default", "db"));
    BOOST_TEST_REQUIRE(!got.has_value());
    BOOST_TEST((got.error() == esx::error::malformed_response));
    BOOST_TEST(got.error().what().find("nested deeper than 32 levels") != std::string::npos, got.error().what());

    esx::kube::watch_options o;
    o.resource_version = "7";
    auto w = kube.watch<esx::kube::client<>::object>(esx::kube::resources::secrets, "default", o);
    auto event = esx::test::run(ioc, w.next());
    BOOST_TEST_REQUIRE(!event.has_value());
    BOOST_TEST(event.error().what().find("nested deeper than 32 levels") != std::string::npos, event.error().what());
}

BOOST_AUTO_TEST_CASE(json_nesting_is_bounded_and_named) {
    boost::system::error_code ec;
    auto ok = esx::transport::parse_wiped(nested(32), ec);
    BOOST_TEST(!ec);
    auto deep = esx::transport::parse_wiped(nested(33), ec);
    BOOST_TEST((ec == boost::json::error::too_deep));
    BOOST_TEST(esx::transport::describe_json_error(ec) == "is nested deeper than 32 levels");
    auto bomb = esx::transport::parse_wiped(std::string(1 << 20, '['), ec); // no stack overflow, no 1M frames
    BOOST_TEST((ec == boost::json::error::too_deep));
}

BOOST_AUTO_TEST_CASE(a_wiped_parse_lives_in_one_arena_that_kept_objects_do_not_hold) {
    boost::system::error_code ec;
    auto doc = esx::transport::parse_wiped(R"({"metadata":{"name":"db","labels":{"a":"b"}},"data":{"k":"dmFsdWU="}})", ec);
    BOOST_TEST_REQUIRE(!ec);
    // An arena: nothing in the document is freed one by one.
    BOOST_TEST(doc.storage().is_deallocate_trivial());
    BOOST_TEST(doc.as_object().at("metadata").storage().get() == doc.storage().get());
    // What a watch hands a reflector to keep is copied out of it.
    auto kept = esx::kube::detail::convert_watch_object<boost::json::object>(std::move(doc));
    BOOST_TEST_REQUIRE(kept.has_value());
    BOOST_TEST(!kept->storage().is_deallocate_trivial());
    BOOST_TEST(kept->storage().get() == esx::transport::detail::wiping_json_storage().get());  // still wiped when freed
    BOOST_TEST(kept->at("metadata").at("name").as_string() == "db");
}

BOOST_AUTO_TEST_CASE(the_wiped_parse_arena_wipes_every_byte_of_its_blocks) {
    freed::recorder rec;
    std::size_t reserved = 0;
    rec.start();
    {
        std::string const& marker = value_marker();
        esx::transport::detail::wiping_arena arena(128); // blocks of 128, 256, 512, 1024 bytes
        for (std::size_t capacity = 128; capacity <= 1024; capacity *= 2) {
            // Each allocation fills a whole block; its marker ends at the block's last byte.
            auto* p = static_cast<char*>(arena.allocate(capacity, 1));
            std::memcpy(p + capacity - marker.size(), marker.data(), marker.size());
        }
        reserved = arena.reserved();
        BOOST_TEST(reserved > 1920u);
        BOOST_TEST(reserved < 1920u + 4 * 64); // four blocks, each a small header more
    }
    rec.stop();
    BOOST_TEST(rec.bytes() >= reserved); // every block went back through the recorder
    BOOST_TEST(!rec.holds(value_marker()));
    BOOST_TEST(rec.dropped() == 0u);
}

BOOST_AUTO_TEST_SUITE_END() // bounds

BOOST_AUTO_TEST_SUITE_END() // transport

BOOST_AUTO_TEST_SUITE(spec)
BOOST_AUTO_TEST_SUITE(bounds)

std::string const small_secret_store = R"(apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: small
  namespace: default
spec:
  provider:
    azurekv:
      vaultUrl: https://v1.vault.azure.net
      authType: ManagedIdentity
)";

BOOST_AUTO_TEST_CASE(a_document_over_the_cap_is_reported_alone) {
    std::string big = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  k: \"" + std::string(4096, 'x') + "\"\n";
    esx::spec::validate_options o;
    o.max_document_bytes = 1024;
    auto set = esx::spec::read_manifests(small_secret_store + "---\n" + big + "---\n" + small_secret_store, "m.yaml", o);
    BOOST_TEST_REQUIRE(set.has_value());
    BOOST_TEST(set->stores.size() == 2u); // the documents around it are read
    BOOST_TEST_REQUIRE(set->errors.size() == 1u);
    auto const& e = set->errors[0];
    BOOST_TEST(e.index == 2u);
    BOOST_TEST(e.name == "huge");
    BOOST_TEST(e.error.what().find("larger than the limit of 1024 bytes (max_document_bytes)") != std::string::npos,
               e.error.what());
    // A JSON document too.
    auto json = esx::spec::read_manifests("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"k\":\"" +
                                          std::string(4096, 'x') + "\"}}", "m.json", o);
    BOOST_TEST_REQUIRE(json.has_value());
    BOOST_TEST_REQUIRE(json->errors.size() == 1u);
    BOOST_TEST(json->errors[0].error.what().find("max_document_bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_file_over_the_cap_is_refused_before_it_is_read) {
    esx::test::temp_dir dir;
    auto const small = dir.write("small.yaml", small_secret_store);
    auto const big = dir.write("big.yaml", small_secret_store + "# " + std::string(8192, 'p') + "\n");
    esx::spec::validate_options o;
    o.max_file_bytes = 4096;
    auto ok = esx::spec::read_files({small.string()}, o);
    BOOST_TEST_REQUIRE(ok.has_value(), ok.error().what());
    BOOST_TEST(ok->stores.size() == 1u);
    auto r = esx::spec::read_files({small.string(), big.string()}, o);
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().what() == big.string() + ": larger than the limit of 4096 bytes (max_file_bytes)");
}

BOOST_AUTO_TEST_SUITE_END() // bounds
BOOST_AUTO_TEST_SUITE_END() // spec

BOOST_AUTO_TEST_SUITE_END() // esx
