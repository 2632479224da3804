// README.md, "Errors": the README's block verbatim between the `snippet` markers; `main` is this
// file's wrapper (not in the README). Built and run by tests/readme/meson.build: it feeds the
// function a timeout, a TLS failure, a 404 and a 200 and checks each answer.
// snippet-begin
#include <esx/esx.hpp>

// Branch on conditions, never on numbers.
std::string_view advice(esx::result<esx::transport::response> const& r) {
    if (!r) {
        if (r.error() == esx::condition::retryable) return "back off and retry";
        if (r.error() == esx::condition::tls_failure) return "fix trust, don't retry";
        return "give up";
    }
    if (esx::make_http_error(r->result_int()) == esx::condition::not_found) return "not there";
    return "done";
}
// snippet-end

#include <iostream>

int main() {
    auto response = [](unsigned status) {
        esx::transport::response res;
        res.result(status);
        return esx::result<esx::transport::response>(std::move(res));
    };
    struct { esx::result<esx::transport::response> r; std::string_view expected; } const cases[] = {
        {esx::make_error_code(esx::error::read_timeout), "back off and retry"},
        {esx::make_error_code(esx::error::tls_untrusted_certificate), "fix trust, don't retry"},
        {response(404), "not there"},
        {response(200), "done"},
    };
    int failures = 0;
    for (auto const& c : cases) {
        auto got = advice(c.r);
        std::cout << got << "\n";
        if (got != c.expected) ++failures;
    }
    return failures;
}
