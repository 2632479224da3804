// esx: structured logging, out-of-line parts.
#ifndef ESX_IMPL_LOG_IPP
#define ESX_IMPL_LOG_IPP

#include <esx/log.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace esx::log {

ESX_DECL std::string_view to_string(level l) noexcept {
    switch (l) {
    case level::trace: return "trace";
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    case level::off: return "off";
    }
    return "info";
}

ESX_DECL result<level> parse_level(std::string_view name) noexcept {
    for (auto l : {level::trace, level::debug, level::info, level::warn, level::error, level::off})
        if (to_string(l) == name) return l;
    return ESX_ERROR(error::invalid_option);
}

ESX_DECL void append_json_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (char c : s) {
        auto const u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xF];
            } else {
                out += c;
            }
        }
    }
}

ESX_DECL std::string field::describe(error_code const& ec) {
    std::string s = ec.message();
    s += " [";
    s += ec.category().name();
    s += ':';
    s += std::to_string(ec.value());
    s += ']';
    return s;
}

ESX_DECL void field::append_json_value(std::string& out) const {
    switch (kind_) {
    case kind::string:
        out += '"';
        append_json_escaped(out, str_);
        out += '"';
        break;
    case kind::int64: out += std::to_string(i_); break;
    case kind::uint64: out += std::to_string(u_); break;
    case kind::real: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", d_);
        out += buf;
        break;
    }
    case kind::boolean: out += u_ ? "true" : "false"; break;
    case kind::redacted:
        out += '"';
        out += redacted;
        out += '"';
        break;
    }
}

namespace detail {
inline void append_timestamp(std::string& out) {
    auto const now = std::chrono::system_clock::now();
    auto const secs = std::chrono::system_clock::to_time_t(now);
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    out += buf;
}
} // namespace detail

ESX_DECL logger::logger(level min_level)
    : logger(min_level, [](std::string_view line) {
          std::fwrite(line.data(), 1, line.size(), stderr);
          std::fputc('\n', stderr);
      }) {}

ESX_DECL logger::logger(level min_level, sink_function sink)
    : min_level_(min_level), sink_(std::make_shared<shared_sink>()) {
    sink_->sink = std::move(sink);
}

ESX_DECL void logger::write(level l, std::string_view msg, std::initializer_list<field> fields) const {
    if (!enabled(l)) return;
    std::string line;
    line.reserve(96 + msg.size() + 24 * fields.size());
    line += R"({"ts":")";
    detail::append_timestamp(line);
    line += R"(","level":")";
    line += to_string(l);
    line += R"(","msg":")";
    append_json_escaped(line, msg);
    line += '"';
    if (bound_) line += *bound_;
    for (auto const& f : fields) {
        line += ",\"";
        append_json_escaped(line, f.key());
        line += "\":";
        f.append_json_value(line);
    }
    line += '}';
    std::lock_guard lock(sink_->mutex);
    sink_->sink(line);
}

ESX_DECL logger logger::with(std::initializer_list<field> fields) const {
    auto bound = std::make_shared<std::string>(bound_ ? *bound_ : std::string());
    for (auto const& f : fields) {
        *bound += ",\"";
        append_json_escaped(*bound, f.key());
        *bound += "\":";
        f.append_json_value(*bound);
    }
    logger copy(*this);
    copy.bound_ = std::move(bound);
    return copy;
}

namespace detail {
inline logger& default_logger_storage() {
    static logger instance(level::info);
    return instance;
}
} // namespace detail

ESX_DECL logger& default_logger() { return detail::default_logger_storage(); }
ESX_DECL void set_default_logger(logger l) { detail::default_logger_storage() = std::move(l); }

} // namespace esx::log

#endif
