// esx: structured logging, one JSON object per line.
//
// A line is `{"ts":"2026-11-28T01:31:15.123Z","level":"info","msg":"...", <fields>}`. Fields
// are typed; there is no constructor from arbitrary objects, and the one for `secret_bytes`
// writes "<redacted>", so a secret can reach a log line only through an explicit `reveal()`.
#ifndef ESX_LOG_HPP
#define ESX_LOG_HPP

#include <esx/config.hpp>
#include <esx/error.hpp>
#include <esx/secret.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace esx::log {

enum class level { trace, debug, info, warn, error, off };

/// "trace", "debug", ...; the names also accepted by `parse_level`.
ESX_DECL std::string_view to_string(level l) noexcept;
/// Parses a level name; an unknown name gives `error::invalid_option`.
ESX_DECL result<level> parse_level(std::string_view name) noexcept;

template <class Char, class Traits>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& os, level l) {
    auto const name = to_string(l);
    return os.write(name.data(), static_cast<std::streamsize>(name.size()));
}

/// One key/value pair of a log line.
class field {
public:
    enum class kind { string, int64, uint64, real, boolean, redacted };

    field(std::string_view key, std::string_view v) noexcept : key_(key), kind_(kind::string), str_(v) {}
    field(std::string_view key, char const* v) noexcept : field(key, std::string_view(v)) {}
    field(std::string_view key, std::string const& v) noexcept : field(key, std::string_view(v)) {}
    field(std::string_view key, bool v) noexcept : key_(key), kind_(kind::boolean), u_(v) {}
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && std::is_signed_v<I>)
    field(std::string_view key, I v) noexcept : key_(key), kind_(kind::int64), i_(v) {}
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && std::is_unsigned_v<I>)
    field(std::string_view key, I v) noexcept : key_(key), kind_(kind::uint64), u_(v) {}
    field(std::string_view key, double v) noexcept : key_(key), kind_(kind::real), d_(v) {}
    field(std::string_view key, secret_bytes const&) noexcept : key_(key), kind_(kind::redacted) {}
    /// An error code prints as its message and `category:value`, never any payload.
    field(std::string_view key, error_code const& ec)
        : key_(key), kind_(kind::string), owned_(std::make_shared<std::string>(describe(ec))), str_(*owned_) {}

    std::string_view key() const noexcept { return key_; }
    ESX_DECL void append_json_value(std::string& out) const;

    /// "message [category:value]", the form used in logs and errors.
    ESX_DECL static std::string describe(error_code const& ec);

private:
    std::string_view key_;
    kind kind_;
    std::shared_ptr<std::string> owned_; // only for values esx formats itself
    std::string_view str_;
    std::int64_t i_ = 0;
    std::uint64_t u_ = 0;
    double d_ = 0;
};

/// Appends `s` to `out` as the body of a JSON string (no quotes), escaping what JSON requires.
ESX_DECL void append_json_escaped(std::string& out, std::string_view s);

/// Writes structured lines to a sink function. Cheap to copy; thread-safe.
class logger {
public:
    using sink_function = std::function<void(std::string_view line)>;

    /// Writes to standard error at `min_level` and above.
    ESX_DECL explicit logger(level min_level = level::info);
    ESX_DECL logger(level min_level, sink_function sink);

    bool enabled(level l) const noexcept { return l >= min_level_ && l != level::off; }
    void set_level(level l) noexcept { min_level_ = l; }
    level min_level() const noexcept { return min_level_; }

    ESX_DECL void write(level l, std::string_view msg, std::initializer_list<field> fields = {}) const;

    /// A copy that adds `fields` to every line it writes, after "msg" and before the line's
    /// own fields (a controller binds the object key once per sync: `log.with({{"key", k}})`).
    /// The fields are rendered once, here; the copy shares the sink and the level.
    ESX_DECL logger with(std::initializer_list<field> fields) const;

    void trace(std::string_view m, std::initializer_list<field> f = {}) const { write(level::trace, m, f); }
    void debug(std::string_view m, std::initializer_list<field> f = {}) const { write(level::debug, m, f); }
    void info(std::string_view m, std::initializer_list<field> f = {}) const { write(level::info, m, f); }
    void warn(std::string_view m, std::initializer_list<field> f = {}) const { write(level::warn, m, f); }
    void error(std::string_view m, std::initializer_list<field> f = {}) const { write(level::error, m, f); }

private:
    struct shared_sink {
        std::mutex mutex;
        sink_function sink;
    };
    level min_level_;
    std::shared_ptr<shared_sink> sink_;
    std::shared_ptr<std::string const> bound_;  // `,"key":value...` of `with`, or null
};

/// The process-wide logger used where no logger is passed explicitly.
ESX_DECL logger& default_logger();
ESX_DECL void set_default_logger(logger l);

} // namespace esx::log

#if ESX_HEADER_ONLY
#  include <esx/impl/log.ipp>
#endif

#endif
