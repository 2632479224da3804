// Out-of-line definitions of <esx/controller/detail/store_status.hpp>.
#ifndef ESX_CONTROLLER_IMPL_STORE_STATUS_IPP
#define ESX_CONTROLLER_IMPL_STORE_STATUS_IPP

#include <esx/controller/detail/store_status.hpp>

namespace esx::controller::detail {

ESX_DECL std::optional<spec::status_condition> condition_of(boost::json::value const* status, std::string_view type) {
    if (!status || !status->is_object()) return std::nullopt;
    auto const* list = status->as_object().if_contains("conditions");
    if (!list || !list->is_array()) return std::nullopt;
    auto text = [](boost::json::object const& o, char const* k) {
        auto const* v = o.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    for (auto const& item : list->as_array()) {
        if (!item.is_object()) continue;
        auto const& o = item.as_object();
        if (text(o, "type") != type) continue;
        spec::status_condition c;
        c.type = text(o, "type");
        c.status = text(o, "status");
        c.reason = text(o, "reason");
        c.message = text(o, "message");
        c.last_transition_time = text(o, "lastTransitionTime");
        return c;
    }
    return std::nullopt;
}

ESX_DECL boost::json::object to_json(spec::status_condition const& c) {
    boost::json::object o{{"type", c.type}, {"status", c.status}};
    if (!c.reason.empty()) o["reason"] = c.reason;
    if (!c.message.empty()) o["message"] = c.message;
    if (!c.last_transition_time.empty()) o["lastTransitionTime"] = c.last_transition_time;
    return o;
}

ESX_DECL spec::status_condition transition(spec::status_condition c, std::optional<spec::status_condition> const& before,
                                           std::chrono::system_clock::time_point now) {
    if (before && before->status == c.status && !before->last_transition_time.empty())
        c.last_transition_time = before->last_transition_time;
    else
        c.last_transition_time = rfc3339_seconds(now);
    return c;
}

} // namespace esx::controller::detail

#endif
