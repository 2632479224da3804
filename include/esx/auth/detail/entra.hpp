// esx::auth::detail: one client-credentials request to the Entra ID v2 token endpoint.
#ifndef ESX_AUTH_DETAIL_ENTRA_HPP
#define ESX_AUTH_DETAIL_ENTRA_HPP

#include <esx/auth/detail/oauth.hpp>
#include <esx/log.hpp>
#include <esx/transport/concept.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

namespace esx::auth::detail {

/// `{authority_host}{tenant}/oauth2/v2.0/token`; `authority_host` ends with `/`.
inline std::string token_endpoint(std::string_view authority_host, std::string_view tenant) {
    std::string url(authority_host);
    if (url.empty() || url.back() != '/') url += '/';
    url += tenant;
    url += "/oauth2/v2.0/token";
    return url;
}

/// The form body up to (not including) the credential: grant type, client id and scope. A
/// `body_string`, as the credential appended next must not be left behind when it grows.
inline transport::body_string client_credentials_form(std::string_view client_id, std::string_view scope) {
    transport::body_string body = "grant_type=client_credentials&client_id=";
    append_form_encoded(body, client_id);
    body += "&scope=";
    append_form_encoded(body, scope);
    return body;
}

/// Appends `&client_assertion_type=...jwt-bearer&client_assertion=<jwt>`.
inline void append_assertion(transport::body_string& body, secret_bytes const& assertion) {
    body += "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
            "&client_assertion=";
    append_form_encoded(body, assertion.reveal());
}

/** POSTs `body` to `url` and reads the answer. `what` starts every failure message (it
    names the policy and the identity, never a credential). The response body, which holds the token, is wiped once read. */
template <class Transport, class Clock>
boost::asio::awaitable<result<access_token, failure>> post_token_request(Transport& transport, Clock& clock,
                                                                         std::string url, transport::body_string body,
                                                                         std::string what) {
    transport::request req;
    req.method = transport::verb::post;
    req.url = url;
    req.headers.set(transport::field::content_type, "application/x-www-form-urlencoded");
    req.headers.set(transport::field::accept, "application/json");
    req.body = std::move(body);
    req.idempotent = true; // a repeated token request is harmless
    auto r = co_await transport.send(std::move(req));
    if (!r)
        co_return failure{r.error(), what + " failed: cannot reach " + url + ": " + log::field::describe(r.error())};
    auto token = parse_token_response(r->result_int(), r->body(), clock.utc_now(), what);
    esx::detail::secure_wipe(r->body().data(), r->body().size());
    co_return token;
}

} // namespace esx::auth::detail

#endif
