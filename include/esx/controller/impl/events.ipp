// esx::controller: the Event bodies (see <esx/controller/events.hpp>).
#ifndef ESX_CONTROLLER_IMPL_EVENTS_IPP
#define ESX_CONTROLLER_IMPL_EVENTS_IPP

#include <esx/controller/events.hpp>

#include <ctime>

namespace esx::controller::detail {

ESX_DECL std::string rfc3339_seconds(std::chrono::system_clock::time_point t) {
    std::time_t const secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[32];
    auto const n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf, n);
}

ESX_DECL std::string bounded_message(std::string_view message) {
    constexpr std::size_t limit = 1024;
    if (message.size() <= limit) return std::string(message);
    std::size_t cut = limit;
    // Back off continuation bytes (10xxxxxx) so a multi-byte character is not split.
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    return std::string(message.substr(0, cut));
}

ESX_DECL boost::json::object event_body(involved_object const& o, event_type type, std::string_view reason,
                                        std::string_view message, std::string_view name, std::string_view namespace_,
                                        std::string_view timestamp, event_recorder_options const& options) {
    boost::json::object involved{{"apiVersion", o.api_version}, {"kind", o.kind}, {"name", o.name}};
    if (!o.namespace_.empty()) involved["namespace"] = o.namespace_;
    if (!o.uid.empty()) involved["uid"] = o.uid;
    if (!o.resource_version.empty()) involved["resourceVersion"] = o.resource_version;
    boost::json::object source{{"component", options.component}};
    if (!options.instance.empty()) source["host"] = options.instance;
    boost::json::object body{
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata", boost::json::object{{"name", name}, {"namespace", namespace_}}},
        {"involvedObject", std::move(involved)},
        {"reason", reason},
        {"message", message},
        {"type", to_string(type)},
        {"source", std::move(source)},
        {"firstTimestamp", timestamp},
        {"lastTimestamp", timestamp},
        {"count", 1},
        {"reportingComponent", options.component},
        {"reportingInstance", options.instance},
    };
    return body;
}

} // namespace esx::controller::detail

#endif
