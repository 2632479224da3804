// esx::transform::templating::function: how a template function is declared and called.
//
// Go's text/template checks and converts a call's arguments against the function's Go
// signature before calling it, and its error texts depend on both the signature and the
// argument's syntax: `upper 3` is `expected string; found 3` (a literal), `upper .n` is
// `wrong type for value; expected string; got int` (a computed value), `upper nil` is
// `cannot assign nil to string`. So a function is registered with its Go signature, the
// evaluator does Go's checks and conversions (untyped constants become `int` or `float64`
// for `interface{}` parameters, nil becomes an empty list/dict for slice/map parameters),
// and the implementation receives arguments that already have the declared types.
//
// An implementation returns a value of its declared result type, or a failure whose message
// is the Go error's text; the evaluator prefixes it `error calling <name>: ` and the position
// (`template: <key>:<line>:<col>: executing "<key>" at <<node>>: error calling b64dec: ...`).
// Messages never contain argument values (they are secrets): name the argument instead.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTION_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTION_HPP

#include <esx/transform/template/value.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace esx::transform::templating {

/// A parameter's or result's Go type. `any` is `interface {}`: it accepts every value as is.
/// The others accept only a value of exactly that kind (Go's AssignableTo), after the
/// conversions of untyped literals described above.
enum class param : std::uint8_t {
    any,         ///< interface {}
    boolean,     ///< bool
    integer,     ///< int
    int64,       ///< int64
    float64,     ///< float64
    string,      ///< string
    bytes,       ///< []uint8
    list,        ///< []interface {}
    string_list, ///< []string
    dict,        ///< map[string]interface {}
    string_map,  ///< map[string]string
    time,        ///< time.Time
};

/// Go's `reflect.Type.String()` of a parameter type (`interface {}`, `[]string`, ...).
ESX_DECL std::string_view go_type_name(param p) noexcept;

/// `func(params..., variadic...) result` or `func(...) (result, error)`.
struct signature {
    std::vector<param> params;        ///< fixed parameters, in order
    std::optional<param> variadic;    ///< `...T` after the fixed ones, if any
    param result = param::any;        ///< the declared result type
    bool returns_error = false;       ///< `(T, error)`: a failure is the Go error (else a failure is a panic Go would recover)
};

/// What a call may need besides its arguments. One per render: the evaluator owns it.
struct call_context {
    /// `now` and anything that reads the time (inject a fake clock in tests).
    std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
    /// The largest string a function may build (`repeat`, `indent`, `join`...): a function
    /// that would exceed it fails with `output_limit_failure(limit)` instead of allocating.
    std::size_t max_string_bytes = 1u << 20;
};

/// The failure a function returns when a result would exceed `call_context::max_string_bytes`.
ESX_DECL failure output_limit_failure(std::size_t limit);

/// A callable: receives the arguments converted to its signature's types (a variadic tail
/// included), returns a value of the declared result kind or a failure (its message is Go's
/// error text, without the `error calling <name>: ` prefix).
using implementation = std::function<result<value, failure>(call_context& ctx, std::span<value const> args)>;

struct function {
    signature sig;
    implementation call;
};

/// The functions a template may call, by name. Lookup happens at parse time: an unknown name
/// is Go's parse error `function "env" not defined`.
class function_table {
public:
    /// Adds or replaces `name`.
    void add(std::string name, signature sig, implementation call);
    function const* find(std::string_view name) const noexcept;
    void remove(std::string_view name);
    std::vector<std::string> names() const;

private:
    std::map<std::string, function, std::less<>> functions_;
};

// --- helpers for implementations: Go's error texts --------------------------------------

/// `wrong number of args for <name>: want <want> got <got>` (Go's text for a fixed arity;
/// the evaluator checks arity from the signature, so implementations rarely need it).
ESX_DECL failure wrong_arg_count(std::string_view name, std::size_t want, std::size_t got);
/// `wrong number of args for <name>: want at least <want> got <got>` (variadic)
ESX_DECL failure wrong_arg_count_at_least(std::string_view name, std::size_t want, std::size_t got);
/// `wrong type for value; expected <expected>; got <go type of got>`
ESX_DECL failure wrong_type(std::string_view expected, value const& got);
/// A Go error with this text (code `invalid_input`), e.g. `illegal base64 data at input byte 4`.
ESX_DECL failure go_error(std::string message);

// Shorthands for signatures: `sig({param::string}, param::string)`.
inline signature sig(std::initializer_list<param> params, param result, bool returns_error = false) {
    return {std::vector<param>(params), std::nullopt, result, returns_error};
}
inline signature variadic_sig(std::initializer_list<param> params, param rest, param result,
                              bool returns_error = false) {
    return {std::vector<param>(params), rest, result, returns_error};
}

} // namespace esx::transform::templating

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/function.ipp>
#endif

#endif
