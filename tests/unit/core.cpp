// Unit tests of esx's core types: errors, secrets, logging.
#include <esx/error.hpp>
#include <esx/log.hpp>
#include <esx/secret.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {
std::vector<std::string> capture_lines(esx::log::level min, auto&& body) {
    std::vector<std::string> lines;
    esx::log::logger logger(min, [&](std::string_view l) { lines.emplace_back(l); });
    body(logger);
    return lines;
}
} // namespace

BOOST_AUTO_TEST_SUITE(esx)

BOOST_AUTO_TEST_SUITE(error_model)

BOOST_AUTO_TEST_CASE(http_statuses_map_to_conditions) {
    BOOST_TEST((make_http_error(429) == condition::throttled));
    BOOST_TEST((make_http_error(429) == condition::retryable));
    for (unsigned s : {408u, 500u, 502u, 503u, 504u}) BOOST_TEST((make_http_error(s) == condition::retryable), s);
    for (unsigned s : {200u, 400u, 401u, 403u, 404u, 409u, 501u, 505u})
        BOOST_TEST((make_http_error(s) != condition::retryable), s);
    BOOST_TEST((make_http_error(401) == condition::auth_failed));
    BOOST_TEST((make_http_error(403) == condition::forbidden));
    BOOST_TEST((make_http_error(403) != condition::auth_failed));
    BOOST_TEST((make_http_error(404) == condition::not_found));
    BOOST_TEST((make_http_error(409) == condition::conflict));
    BOOST_TEST((make_http_error(412) == condition::conflict));
    BOOST_TEST((make_http_error(400) == condition::invalid_input));
    BOOST_TEST((make_http_error(422) == condition::invalid_input));
    BOOST_TEST((make_http_error(408) == condition::timeout));
    BOOST_TEST(make_http_error(404).message() == "HTTP 404 Not Found");
}

BOOST_AUTO_TEST_CASE(esx_errors_map_to_conditions) {
    for (auto e : {error::tls_untrusted_certificate, error::tls_hostname_mismatch, error::tls_certificate_expired,
                   error::tls_handshake_failed}) {
        error_code const ec = e;
        BOOST_TEST((ec == condition::tls_failure));
        BOOST_TEST((ec != condition::retryable));
    }
    for (auto e : {error::connect_timeout, error::read_timeout}) {
        error_code const ec = e;
        BOOST_TEST((ec == condition::timeout));
        BOOST_TEST((ec == condition::retryable));
    }
    BOOST_TEST((error_code(error::total_timeout) == condition::timeout));
    BOOST_TEST((error_code(error::total_timeout) != condition::retryable));
    BOOST_TEST((error_code(error::connection_closed) == condition::retryable));
    for (auto e : {error::invalid_url, error::unsupported_scheme, error::bearer_over_plain_http,
                   error::invalid_ca_bundle, error::invalid_proxy, error::invalid_option}) {
        error_code const ec = e;
        BOOST_TEST((ec == condition::invalid_input));
        BOOST_TEST((ec != condition::retryable));
    }
    BOOST_TEST((error_code(error::response_too_large) != condition::retryable));
    BOOST_TEST((error_code(error::proxy_auth_required) == condition::auth_failed));
}

BOOST_AUTO_TEST_CASE(asio_beast_and_ssl_errors_map_to_conditions) {
    namespace net = boost::asio;
    BOOST_TEST((error_code(net::error::connection_reset) == condition::retryable));
    BOOST_TEST((error_code(net::error::connection_refused) == condition::retryable));
    BOOST_TEST((error_code(net::error::eof) == condition::retryable));
    BOOST_TEST((error_code(net::ssl::error::stream_truncated) == condition::retryable));
    BOOST_TEST((error_code(boost::beast::error::timeout) == condition::timeout));
    BOOST_TEST((error_code(boost::beast::error::timeout) == condition::retryable));
    error_code const ssl_failure(0x0A000086, net::error::get_ssl_category()); // certificate verify failed
    BOOST_TEST((ssl_failure == condition::tls_failure));
    BOOST_TEST((ssl_failure != condition::retryable));
    BOOST_TEST((error_code(net::error::operation_aborted) != condition::retryable));
}

BOOST_AUTO_TEST_CASE(every_error_has_its_own_message) {
    std::set<std::string> seen;
    for (int v = static_cast<int>(error::invalid_url); v <= static_cast<int>(error::unexpected_exception); ++v) {
        auto const m = make_error_code(static_cast<error>(v)).message();
        BOOST_TEST(!m.empty());
        BOOST_TEST(m.find("esx error") == std::string::npos, "enumerator " << v << " has no message");
        seen.insert(m);
    }
    BOOST_TEST(seen.size() == static_cast<std::size_t>(error::unexpected_exception));
    BOOST_TEST(std::string(error_category().name()) == "esx");
}

BOOST_AUTO_TEST_CASE(errors_made_with_esx_error_know_where) {
    error_code const ec = ESX_ERROR(error::invalid_url);
    BOOST_TEST(ec.has_location());
    BOOST_TEST(std::string(ec.location().file_name()).find("core.cpp") != std::string::npos);
    BOOST_TEST((ec == error::invalid_url));
    result<int> r = ec;
    BOOST_TEST(!r.has_value());
    BOOST_TEST((r.error() == condition::invalid_input));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secret)

BOOST_AUTO_TEST_CASE(printing_a_secret_shows_redacted) {
    secret_bytes const s("hunter2-value");
    std::ostringstream os;
    os << s;
    BOOST_TEST(os.str() == "<redacted>");
    BOOST_TEST(boost::json::serialize(boost::json::value_from(s)) == "\"<redacted>\"");
    boost::json::object o{{"password", boost::json::value_from(s)}};
    BOOST_TEST(boost::json::serialize(o).find("hunter2") == std::string::npos);
    BOOST_TEST(s.reveal() == "hunter2-value");
}

BOOST_AUTO_TEST_CASE(equality_compares_contents) {
    BOOST_TEST((secret_bytes("abc") == secret_bytes("abc")));
    BOOST_TEST(!(secret_bytes("abc") == secret_bytes("abd")));
    BOOST_TEST(!(secret_bytes("abc") == secret_bytes("abcd")));
}

BOOST_AUTO_TEST_CASE(clear_wipes_the_bytes_in_place) {
    secret_bytes s("sixteen-byte-key");
    char const* p = s.reveal().data();
    s.clear();
    // The buffer is still owned by `s` (clear keeps capacity), so reading it is defined.
    for (int i = 0; i < 16; ++i) BOOST_TEST(p[i] == '\0');
}

BOOST_AUTO_TEST_CASE(secure_wipe_zeroes_memory) {
    char buf[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
    detail::secure_wipe(buf, sizeof buf);
    for (char c : buf) BOOST_TEST(c == '\0');
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(log)

BOOST_AUTO_TEST_CASE(a_line_is_one_json_object_with_time_level_message_and_fields) {
    auto lines = capture_lines(log::level::info, [](log::logger const& l) {
        l.info("synced", {{"name", "db-password"}, {"count", 3}, {"bytes", std::size_t{42}}, {"ok", true},
                          {"ratio", 0.5}});
    });
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    auto const v = boost::json::parse(lines[0]).as_object();
    BOOST_TEST(v.at("level").as_string() == "info");
    BOOST_TEST(v.at("msg").as_string() == "synced");
    BOOST_TEST(v.at("name").as_string() == "db-password");
    BOOST_TEST(v.at("count").as_int64() == 3);
    BOOST_TEST(v.at("bytes").to_number<std::uint64_t>() == 42u);
    BOOST_TEST(v.at("ok").as_bool());
    BOOST_TEST(v.at("ratio").as_double() == 0.5);
    auto const ts = std::string(v.at("ts").as_string());
    BOOST_TEST(ts.size() == 24u); // 2026-11-28T01:31:15.123Z
    BOOST_TEST(ts.back() == 'Z');
}

BOOST_AUTO_TEST_CASE(levels_below_the_minimum_are_dropped) {
    auto lines = capture_lines(log::level::warn, [](log::logger const& l) {
        l.debug("no");
        l.info("no");
        l.warn("yes");
        l.error("yes");
    });
    BOOST_TEST(lines.size() == 2u);
    BOOST_TEST(log::parse_level("debug").value() == log::level::debug);
    BOOST_TEST((log::parse_level("loud").error() == condition::invalid_input));
}

BOOST_AUTO_TEST_CASE(values_are_escaped) {
    auto lines = capture_lines(log::level::info, [](log::logger const& l) {
        l.info("quote \" and \\ and \n newline", {{"ctl", std::string_view("a\x01z", 3)}});
    });
    auto const v = boost::json::parse(lines.at(0)).as_object();
    BOOST_TEST(v.at("msg").as_string() == "quote \" and \\ and \n newline");
    BOOST_TEST(v.at("ctl").as_string() == std::string_view("a\x01z", 3));
}

BOOST_AUTO_TEST_CASE(secrets_and_errors_are_printed_safely) {
    secret_bytes const s("p@ssw0rd-should-not-leak");
    auto lines = capture_lines(log::level::trace, [&](log::logger const& l) {
        l.info("token", {{"value", s}, {"error", make_error_code(error::read_timeout)}});
    });
    BOOST_TEST(lines.at(0).find("p@ssw0rd") == std::string::npos);
    auto const v = boost::json::parse(lines.at(0)).as_object();
    BOOST_TEST(v.at("value").as_string() == "<redacted>");
    BOOST_TEST(std::string(v.at("error").as_string()).find("[esx:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bound_logger_carries_its_fields_on_every_line) {
    secret_bytes const s("bound-secret-marker");
    auto lines = capture_lines(log::level::debug, [&](log::logger const& l) {
        auto const per_key = l.with({{"key", "team-a/db"}, {"controller", "externalsecret"}});
        auto const per_attempt = per_key.with({{"attempt", 2}, {"value", s}});
        per_key.info("sync started");
        per_attempt.warn("sync failed", {{"reason", "throttled"}});
        per_key.debug("quote \" in a message");
        l.info("unbound");
    });
    BOOST_TEST_REQUIRE(lines.size() == 4u);
    for (std::size_t i = 0; i < 3; ++i) {
        auto const v = boost::json::parse(lines[i]).as_object();
        BOOST_TEST(v.at("key").as_string() == "team-a/db");
        BOOST_TEST(v.at("controller").as_string() == "externalsecret");
    }
    auto const attempt = boost::json::parse(lines[1]).as_object();
    BOOST_TEST(attempt.at("attempt").as_int64() == 2);
    BOOST_TEST(attempt.at("reason").as_string() == "throttled");
    BOOST_TEST(attempt.at("value").as_string() == "<redacted>");
    BOOST_TEST(lines[1].find("bound-secret-marker") == std::string::npos);
    // The bound fields come after "msg" and before the line's own.
    BOOST_TEST(lines[1].find("\"msg\"") < lines[1].find("\"key\""));
    BOOST_TEST(lines[1].find("\"attempt\"") < lines[1].find("\"reason\""));
    BOOST_TEST(boost::json::parse(lines[3]).as_object().if_contains("key") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
