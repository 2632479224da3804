// esx mocks/azure: the front door of every listener (service by Host, the fault that applies,
// the request log) and the control endpoint (request log, faults, issuers, federated
// credentials, throttling).
#include "state.hpp"

#include "mocks/common/scripted_action.hpp"

#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <exception>
#include <sstream>
#include <stdexcept>

namespace esx::mocks::azure::detail {

// Picks (and consumes) the first fault matching this request.
std::optional<fault> cloud::take_fault(std::string const& service, std::string const& vault, bool authorized) {
    for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (it->target != "all" && it->target != service)
            continue;
        if (it->authorized_only && !authorized)
            continue;
        if (!it->vault.empty() && lower(it->vault) != vault)
            continue;
        if (it->fraction < 1.0 && std::uniform_real_distribution<double>(0, 1)(rng) >= it->fraction)
            continue;
        fault f = *it;
        if (it->count > 0 && --it->count == 0)
            faults.erase(it);
        return f;
    }
    return std::nullopt;
}

std::string cloud::serialize(response r) {
    r.prepare_payload();
    std::ostringstream os;
    os << r;
    return os.str();
}

response cloud::fault_status(fault const& f, std::string const& service) const {
    response r;
    if (service == "aad") {
        r = aad_error(f.status, "temporarily_unavailable", 90033,
                      "A transient error has occurred. Please try again.");
    } else if (service == "imds") {
        r = imds_error(f.status, "temporarily_unavailable", "Injected fault");
    } else if (f.status == 429) {
        r = throttled_response(std::nullopt);
    } else {
        r = kv_error(f.status, f.status >= 500 ? "InternalServerError" : "BadRequest",
                     "Injected fault: the service returned HTTP " + std::to_string(f.status) + ".");
    }
    if (f.retry_after)
        r.set(http::field::retry_after, std::to_string(*f.retry_after));
    return r;
}

// The common path of the TLS (aad/vault) and IMDS listeners.
action cloud::serve(request const& req, bool imds) {
    std::lock_guard lock(mutex);
    std::string const target(req.target());
    auto q = target.find('?');
    request_record rec;
    rec.method = std::string(req.method_string());
    rec.path = target.substr(0, q);
    rec.query = q == std::string::npos ? std::string() : target.substr(q + 1);
    rec.host = std::string(req[http::field::host]);
    rec.authorization = req.find(http::field::authorization) != req.end();

    // Host routing: <vault>.<suffix>[:port] is a vault; anything else is Entra ID.
    std::string host = lower(rec.host);
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
        host.resize(colon);
    std::string vault;
    if (imds) {
        rec.service = "imds";
    } else if (host.size() > suffix.size() + 1 && host.ends_with("." + suffix)) {
        rec.service = "vault";
        vault = host.substr(0, host.size() - suffix.size() - 1);
    } else {
        rec.service = "aad";
    }

    std::optional<fault> f = take_fault(rec.service, vault, rec.authorization);
    if (f)
        rec.fault = f->kind;
    if (f && f->kind == "hang") {
        log.push_back(rec);
        return action::hang();
    }
    response r;
    try {
        auto const challenged = f && f->kind == "challenge" ? vaults.find(vault) : vaults.end();
        if (f && f->kind == "status") {
            r = fault_status(*f, rec.service);
        } else if (f && f->kind == "redirect") {
            // A redirect elsewhere, which a client holding a token must not follow.
            r = kv_error(f->status, "Redirect", "Moved.");
            r.set(http::field::location, f->location);
        } else if (challenged != vaults.end()) {
            // What a vault (or something posing as one) may answer: a challenge sending the
            // client elsewhere for its token, which a client must refuse.
            vault_state const& v = challenged->second;
            r = challenge(v, "AKV10000: Request is missing a Bearer or PoP token.",
                          f->challenge_tenant.empty() ? v.tenant : f->challenge_tenant,
                          f->challenge_resource.empty() ? resource() : f->challenge_resource);
            decorate_vault(r, req);
        } else if (rec.service == "imds") {
            r = handle_imds(req, rec);
        } else if (rec.service == "vault") {
            r = handle_vault(req, vault, rec);
            decorate_vault(r, req);
        } else {
            r = handle_aad(req, rec);
        }
    } catch (std::exception const& e) {
        // A bug in the mock: answer (and log) a 500 rather than let it look like a service behaviour.
        r = json_response(500, json::object{{"error", json::object{{"code", "MockInternalError"},
                                                                    {"message", e.what()}}}});
    }
    rec.status = r.result_int();
    if (f && (f->kind == "reset" || f->kind == "truncate")) {
        rec.status = 0;
        log.push_back(rec);
        std::string bytes = serialize(std::move(r));
        auto const head_end = bytes.find("\r\n\r\n");
        std::size_t const body = bytes.size() - (head_end + 4);
        bytes.resize(head_end + 4 + body / 2);
        return f->kind == "reset" ? action::close_after_bytes(std::move(bytes)) : action::raw(std::move(bytes));
    }
    log.push_back(rec);
    if (f && f->kind == "delay")
        return action::respond_after(std::move(r), std::chrono::milliseconds(f->latency_ms));
    return action::respond(std::move(r));
}

fault cloud::parse_fault(std::string const& text) const {
    json::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object())
        throw std::invalid_argument("fault: body must be a JSON object");
    auto const& o = doc.as_object();
    fault f;
    try {
        f.target = str_field(o, "target", "all");
        f.vault = lower(str_field(o, "vault"));
        f.kind = str_field(o, "kind", "status");
        if (auto s = int_field(o, "status"))
            f.status = static_cast<unsigned>(*s);
        if (auto r = int_field(o, "retry_after"))
            f.retry_after = static_cast<int>(*r);
        if (auto c = int_field(o, "count"))
            f.count = *c;
        if (auto l = int_field(o, "latency_ms"))
            f.latency_ms = *l;
        if (auto const* fr = o.if_contains("fraction"); fr && fr->is_number())
            f.fraction = fr->to_number<double>();
        f.challenge_resource = str_field(o, "resource");
        f.challenge_tenant = str_field(o, "tenant");
        f.location = str_field(o, "location");
        if (auto const* a = o.if_contains("authorized_only"); a && a->is_bool())
            f.authorized_only = a->as_bool();
    } catch (std::exception const& e) {
        throw std::invalid_argument(std::string("fault: ") + e.what());
    }
    if (f.kind == "aad_outage") {
        f.kind = "status";
        f.target = "aad";
        if (!o.contains("count"))
            f.count = -1;
    }
    if (f.kind == "challenge") {
        if (f.challenge_resource.empty() && f.challenge_tenant.empty())
            throw std::invalid_argument("fault: a challenge names another resource and/or tenant");
        if (f.target == "all")
            f.target = "vault";
        if (f.target != "vault")
            throw std::invalid_argument("fault: only a vault answers with a challenge");
    }
    if (f.kind == "redirect") {
        if (!o.contains("status"))
            f.status = 302;
        if (f.target == "all")
            f.target = "vault";
        if (f.status < 300 || f.status > 399 || f.location.empty())
            throw std::invalid_argument("fault: a redirect has a 3xx status and a location");
    }
    static char const* const kinds[] = {"status", "reset", "truncate", "hang", "delay", "challenge", "redirect"};
    static char const* const targets[] = {"all", "aad", "vault", "imds"};
    if (std::none_of(std::begin(kinds), std::end(kinds), [&](char const* k) { return f.kind == k; }))
        throw std::invalid_argument(
            "fault: kind must be status, reset, truncate, hang, delay, challenge, redirect or aad_outage");
    if (std::none_of(std::begin(targets), std::end(targets), [&](char const* k) { return f.target == k; }))
        throw std::invalid_argument("fault: target must be all, aad, vault or imds");
    if (f.status < 100 || f.status > 599)
        throw std::invalid_argument("fault: status must be an HTTP status code");
    if (f.count == 0 || f.count < -1)
        throw std::invalid_argument("fault: count must be positive or -1 (unlimited)");
    if (f.latency_ms < 0 || f.latency_ms > 600000)
        throw std::invalid_argument("fault: latency_ms must be between 0 and 600000");
    return f;
}

json::object cloud::record_json(request_record const& r) {
    return json::object{{"service", r.service}, {"method", r.method},     {"path", r.path},
                        {"query", r.query},     {"host", r.host},         {"identity", r.identity},
                        {"status", r.status},   {"fault", r.fault},       {"authorization", r.authorization}};
}

action cloud::control(request const& req) {
    std::string const target(req.target());
    std::string const path = target.substr(0, target.find('?'));
    auto reply = [](unsigned status, json::value const& body) {
        response r = json_response(status, body);
        return action::respond(std::move(r));
    };
    if (path == "/requests" && req.method() == http::verb::get) {
        std::lock_guard lock(mutex);
        json::array a;
        for (auto const& r : log)
            a.push_back(record_json(r));
        return reply(200, json::object{{"requests", a}});
    }
    if (path == "/reset-log" && req.method() == http::verb::post) {
        std::lock_guard lock(mutex);
        log.clear();
        return reply(200, json::object{{"ok", true}});
    }
    if (path == "/faults" && req.method() == http::verb::post) {
        try {
            fault f = parse_fault(req.body());
            std::lock_guard lock(mutex);
            faults.push_back(f);
            return reply(200, json::object{{"ok", true}, {"pending", faults.size()}});
        } catch (std::invalid_argument const& e) {
            return reply(400, json::object{{"error", e.what()}});
        }
    }
    if ((path == "/issuers" || path == "/federated-credentials" || path == "/throttle") &&
        req.method() == http::verb::post) {
        json::error_code ec;
        json::value doc = json::parse(req.body(), ec);
        if (ec || !doc.is_object())
            return reply(400, json::object{{"error", "body must be a JSON object"}});
        try {
            std::lock_guard lock(mutex);
            if (path == "/issuers")
                add_issuer(doc.as_object());
            else if (path == "/throttle")
                set_throttle(doc.as_object());
            else
                add_federated_credential(doc.as_object());
        } catch (std::exception const& e) {
            return reply(400, json::object{{"error", e.what()}});
        }
        return reply(200, json::object{{"ok", true}});
    }
    if (path == "/faults" && req.method() == http::verb::delete_) {
        std::lock_guard lock(mutex);
        faults.clear();
        return reply(200, json::object{{"ok", true}});
    }
    if (path == "/faults" && req.method() == http::verb::get) {
        std::lock_guard lock(mutex);
        json::array a;
        for (auto const& f : faults)
            a.push_back(json::object{{"target", f.target}, {"vault", f.vault}, {"kind", f.kind},
                                     {"status", f.status}, {"count", f.count}, {"fraction", f.fraction},
                                     {"latency_ms", f.latency_ms}});
        return reply(200, json::object{{"faults", a}});
    }
    return reply(404, json::object{{"error", "unknown control endpoint " + std::string(req.method_string()) +
                                                 " " + path}});
}

}  // namespace esx::mocks::azure::detail
