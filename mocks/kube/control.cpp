// esx mocks/kube: the control endpoint (plain HTTP on loopback: request log, faults,
// dropping watch streams, a state summary) and the faults it injects in front of the API.
#include "control.hpp"

#include "text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace esx::mocks::kube::detail {

std::string records_json(std::deque<request_record> const& log) {
    json::array a;
    for (auto const& r : log)
        a.push_back(json::object{{"method", r.method},         {"path", r.path},       {"query", r.query},
                                 {"user", r.user},             {"status", r.status},   {"content_type", r.content_type},
                                 {"user_agent", r.user_agent}, {"fault", r.fault}});
    return json::serialize(a);
}

fault parse_fault(std::string const& text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        throw std::invalid_argument("fault: expected a JSON object");
    auto const& o = v.as_object();
    fault f;
    auto num = [&](char const* k, std::int64_t def) -> std::int64_t {
        auto const* x = o.if_contains(k);
        if (!x)
            return def;
        if (!x->is_int64() && !x->is_uint64())
            throw std::invalid_argument(std::string("fault: ") + k + " must be an integer");
        return x->to_number<std::int64_t>();
    };
    f.status = static_cast<unsigned>(num("status", 0));
    f.count = static_cast<std::size_t>(num("count", 1));
    f.latency = std::chrono::milliseconds(num("latency_ms", 0));
    f.retry_after = static_cast<std::size_t>(num("retry_after", 1));
    f.method = str_of(o, "method");
    f.path_prefix = str_of(o, "path_prefix");
    if (f.status == 0 && f.latency.count() == 0)
        throw std::invalid_argument("fault: give status (429, 5xx) and/or latency_ms");
    if (f.status != 0 && (f.status < 400 || f.status > 599))
        throw std::invalid_argument("fault: status must be 4xx or 5xx");
    return f;
}

// Faults first (they are the point of a fault), then the handler.
http_reply with_faults(api_state& st, api_handler& handler, api_request const& req, request_record& rec) {
    std::chrono::milliseconds delay{0};
    for (auto& f : st.faults) {
        if (f.count == 0)
            continue;
        if (!f.method.empty() && f.method != rec.method)
            continue;
        if (!f.path_prefix.empty() && !rec.path.starts_with(f.path_prefix))
            continue;
        --f.count;
        delay += f.latency;
        if (f.status) {
            rec.fault = "status " + std::to_string(f.status);
            std::string reason = f.status == 429 ? "TooManyRequests" : f.status == 503 ? "ServiceUnavailable"
                                                                   : f.status == 500 ? "InternalError" : "Unknown";
            std::string message = f.status == 429 ? "Too many requests, please try again later."
                                                  : "mock apiserver: injected failure " + std::to_string(f.status);
            api_error e = make_error(f.status, reason, message,
                                     json::object{{"causes", json::array{}}, {"retryAfterSeconds", f.retry_after}});
            http_reply r;
            r.code = f.status;
            r.body = json::serialize(e.status);
            if (f.status == 429 || f.status == 503)
                r.headers.emplace_back("Retry-After", std::to_string(f.retry_after));
            r.delay = delay;
            std::erase_if(st.faults, [](fault const& x) { return x.count == 0; });
            return r;
        }
        rec.fault = "latency " + std::to_string(f.latency.count()) + "ms";
    }
    std::erase_if(st.faults, [](fault const& x) { return x.count == 0; });
    http_reply r = handler.handle(req, rec);
    r.delay += delay;
    return r;
}

http_reply control_request(api_state& st, api_request const& req) {
    std::string const& target = req.target;
    std::string const path = target.substr(0, target.find('?'));
    http_reply r;
    auto text = [&](unsigned code, std::string body) {
        r.code = code;
        r.content_type = "application/json";
        r.body = std::move(body);
        return r;
    };
    if (req.method == "GET" && path == "/requests") {
        std::lock_guard lock(st.log_mutex);
        return text(200, records_json(st.log));
    }
    if (req.method == "DELETE" && path == "/requests") {
        std::lock_guard lock(st.log_mutex);
        st.log.clear();
        return text(200, "{}");
    }
    if (req.method == "POST" && path == "/faults") {
        try {
            st.faults.push_back(parse_fault(req.body));
        } catch (std::exception const& e) {
            return text(400, json::serialize(json::object{{"error", e.what()}}));
        }
        return text(201, "{}");
    }
    if (req.method == "DELETE" && path == "/faults") {
        st.faults.clear();
        return text(200, "{}");
    }
    if (req.method == "POST" && path == "/drop-watches") {
        std::size_t const n = st.drop_watches();
        return text(200, json::serialize(json::object{{"dropped", n}}));
    }
    if (req.method == "GET" && path == "/state")
        return text(200, json::serialize(json::object{{"resourceVersion", st.rv},
                                                      {"objects", st.objects.size()},
                                                      {"watches", st.live_watches()}}));
    return text(404, R"({"error":"unknown control endpoint; see mocks/kube/README.md"})");
}

}  // namespace esx::mocks::kube::detail
