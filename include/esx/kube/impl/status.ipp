#ifndef ESX_KUBE_IMPL_STATUS_IPP
#define ESX_KUBE_IMPL_STATUS_IPP

#include <esx/kube/status.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace esx::kube {

ESX_DECL failure status_failure(unsigned http_status, std::string_view body) {
    namespace json = boost::json;
    failure f(make_http_error(http_status));
    // Status messages are bounded: a hostile server cannot make every log line megabytes long.
    constexpr std::size_t max_text = 4096;
    auto text = [&](json::object const& o, std::string_view key) -> std::string {
        auto const* v = o.if_contains(key);
        if (!v || !v->is_string()) return {};
        std::string s(v->as_string());
        if (s.size() > max_text) s.resize(max_text);
        return s;
    };
    boost::system::error_code ec;
    json::value doc = json::parse(body, ec);
    if (ec || !doc.is_object()) {
        f.message = "HTTP " + std::to_string(http_status) + " " + f.code.message();
        return f;
    }
    auto const& o = doc.as_object();
    f.message = text(o, "message");
    f.reason = text(o, "reason");
    if (f.message.empty()) f.message = "HTTP " + std::to_string(http_status) + " " + f.code.message();
    if (auto const* d = o.if_contains("details"); d && d->is_object()) {
        if (auto const* causes = d->as_object().if_contains("causes"); causes && causes->is_array()) {
            for (auto const& c : causes->as_array()) {
                if (!c.is_object() || f.causes.size() >= 100) continue;
                auto const& co = c.as_object();
                f.causes.push_back({text(co, "field"), text(co, "reason"), text(co, "message")});
            }
        }
    }
    return f;
}

} // namespace esx::kube

#endif
