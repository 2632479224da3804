// libFuzzer target for Kubernetes `Status` bodies: the input is the body of a non-2xx answer
// of the API server, turned into a failure by `kube::status_failure` (every REST verb, the
// watch's opening answer and its ERROR events go through it), under the statuses that mean
// something to callers (404, 409, 410, 422, 401, 403, 429, 500).
//
// Invariants, beyond "no crash": the failure's code is the HTTP status's; message, reason and
// every cause field are bounded (4096 bytes), and so is the number of causes (100); a body
// that is not a JSON object is never copied into the failure (it could echo a request's
// secret data); a Status's own message is taken as it is (truncated), nothing else of the body.
// Build and run with tests/fuzz/run.sh kube_status SECONDS.
#include <esx/kube/status.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap(); // an invariant that did not hold
}

constexpr std::size_t max_text = 4096;

std::string fallback_message(unsigned status) {
    return "HTTP " + std::to_string(status) + " " + esx::make_http_error(status).message();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const body(reinterpret_cast<char const*>(data), size);
    boost::system::error_code ec;
    auto const doc = boost::json::parse(body, ec);
    bool const is_object = !ec && doc.is_object();
    for (unsigned status : {404u, 409u, 410u, 422u, 401u, 403u, 429u, 500u}) {
        auto const f = esx::kube::status_failure(status, body);
        check(f.code == esx::make_http_error(status));
        check(!f.message.empty() && f.message.size() <= max_text + 64);
        check(f.reason.size() <= max_text);
        check(f.causes.size() <= 100);
        for (auto const& c : f.causes)
            check(c.field.size() <= max_text && c.reason.size() <= max_text && c.message.size() <= max_text);
        if (!is_object) {
            check(f.message == fallback_message(status) && f.reason.empty() && f.causes.empty());
            continue;
        }
        auto const* m = doc.as_object().if_contains("message");
        if (m && m->is_string() && !m->as_string().empty()) {
            std::string_view const text = m->as_string();
            check(f.message == text.substr(0, max_text));
        } else {
            check(f.message == fallback_message(status));
        }
    }
    return 0;
}
