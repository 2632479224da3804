// esx::controller: an ExternalSecret's status as ESO writes it (see <esx/controller/status.hpp>).
#ifndef ESX_CONTROLLER_IMPL_STATUS_IPP
#define ESX_CONTROLLER_IMPL_STATUS_IPP

#include <esx/controller/events.hpp>
#include <esx/controller/refresh.hpp>
#include <esx/controller/status.hpp>
#include <esx/sink/error.hpp>

namespace esx::controller {

ESX_DECL failure_verdict judge_failure(failure const& f) {
    failure_verdict v;
    if (f.code.category() == sink::error_category()) {
        switch (static_cast<sink::error>(f.code.value())) {
        case sink::error::owned_by_another_external_secret:
            return {ready_messages::error_is_owned, true, false};
        case sink::error::cannot_take_ownership:
            return {ready_messages::error_become_owner, true, false};
        case sink::error::target_immutable:
            return {ready_messages::error_update_immutable, true, false};
        case sink::error::type_immutable:
            return {ready_messages::error_update_secret, true, false};
        case sink::error::delete_not_allowed:
            return {ready_messages::error_delete_secret, true, false};
        case sink::error::conflict_retries_exhausted:
            return {ready_messages::error_update_secret, false, true};
        default:
            return {ready_messages::error_update_secret, false, false};
        }
    }
    std::string const text = f.what();
    if (text.starts_with(ready_messages::error_delete_orphaned)) v.message = ready_messages::error_delete_orphaned;
    else if (text.starts_with(ready_messages::error_delete_secret)) v.message = ready_messages::error_delete_secret;
    else if (text.starts_with(ready_messages::error_update_secret) || text.starts_with("could not read Secret "))
        v.message = ready_messages::error_update_secret;
    else v.message = ready_messages::error_get_secret_data;
    v.permanent = f == condition::invalid_input;
    v.conflict = v.message != ready_messages::error_get_secret_data && f == condition::conflict;
    return v;
}

ESX_DECL std::string missing_provider_secret_message(skipped_entry const& e) {
    std::string out = "secret does not exist at provider using spec.dataFrom[" + std::to_string(e.index) + "]";
    if (!e.data_from) out += " (key=" + e.key + ")";
    return out;
}

ESX_DECL std::string with_detail(std::string_view message, std::string_view detail) {
    std::string out(message);
    if (!detail.empty()) {
        out += ": ";
        out += detail;
    }
    for (auto& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return detail::bounded_message(out);
}

ESX_DECL spec::status_condition ready_condition(spec::external_secret_status const& before, bool ready,
                                                std::string_view reason, std::string message,
                                                std::chrono::system_clock::time_point now) {
    spec::status_condition c;
    c.type = "Ready";
    c.status = ready ? "True" : "False";
    c.reason = std::string(reason);
    c.message = std::move(message);
    if (before.ready && before.ready->status == c.status && !before.ready->last_transition_time.empty())
        c.last_transition_time = before.ready->last_transition_time;
    else
        c.last_transition_time = detail::rfc3339_seconds(now);
    return c;
}

ESX_DECL spec::external_secret_status succeeded(spec::external_secret const& es, std::string_view reason,
                                                std::string_view message, std::string binding,
                                                std::chrono::system_clock::time_point started) {
    return succeeded(es, resource_version(es.metadata), reason, message, std::move(binding), started);
}

ESX_DECL spec::external_secret_status succeeded(spec::external_secret const& es, std::string synced_version,
                                                std::string_view reason, std::string_view message,
                                                std::string binding, std::chrono::system_clock::time_point started) {
    spec::external_secret_status s = es.status;
    s.ready = ready_condition(es.status, true, reason, std::string(message), started);
    s.refresh_time = std::chrono::floor<std::chrono::seconds>(started);
    s.synced_resource_version = std::move(synced_version);
    if (!binding.empty()) s.binding = std::move(binding);
    return s;
}

ESX_DECL spec::external_secret_status failed(spec::external_secret const& es, std::string_view message,
                                             std::string_view detail, std::chrono::system_clock::time_point now) {
    spec::external_secret_status s = es.status;
    s.ready = ready_condition(es.status, false, ready_reasons::synced_error, with_detail(message, detail), now);
    return s;
}

ESX_DECL bool status_differs(spec::external_secret_status const& current, spec::external_secret_status const& next) {
    auto seconds = [](std::optional<std::chrono::system_clock::time_point> const& t) {
        return t ? std::optional(std::chrono::floor<std::chrono::seconds>(*t)) : std::nullopt;
    };
    return seconds(current.refresh_time) != seconds(next.refresh_time) ||
           current.synced_resource_version != next.synced_resource_version || current.binding != next.binding ||
           !(current.ready == next.ready);
}

ESX_DECL boost::json::object status_patch(spec::external_secret_status const& s) {
    boost::json::object status;
    if (s.refresh_time) status["refreshTime"] = detail::rfc3339_seconds(*s.refresh_time);
    if (!s.synced_resource_version.empty()) status["syncedResourceVersion"] = s.synced_resource_version;
    if (!s.binding.empty()) status["binding"] = boost::json::object{{"name", s.binding}};
    if (s.ready) {
        auto const& c = *s.ready;
        boost::json::object condition{{"type", c.type}, {"status", c.status}, {"reason", c.reason},
                                      {"message", c.message}, {"lastTransitionTime", c.last_transition_time}};
        status["conditions"] = boost::json::array{std::move(condition)};
    }
    return boost::json::object{{"status", std::move(status)}};
}

} // namespace esx::controller

#endif
