// esx::transform::templating::value: what a Go template in ESO sees and produces.
//
// ESO renders `target.template` with Go's text/template over a `map[string]string` of the
// fetched values, and Sprig's functions hand back Go values of many types. The output bytes
// depend on those types: `fmt.Sprint` prints `[]interface{}` as `[a b]` and a map as
// `map[a:1 b:2]`, `eq 1 1.0` is an error while `eq 1 (int64 1)` is true, `toJson` writes a
// float64 `1` as `1`. So a value remembers its Go type (`kind`), not only its contents.
//
// Go's maps and slices are references: Sprig's `set $d "k" "v"` changes the dict `$d` names.
// A value holding a list or a dict shares it on copy; `mutable_dict()` changes the shared dict
// in place. Strings, byte slices and their copies live in wiping memory (`text`): template
// inputs are secret values.
#ifndef ESX_TRANSFORM_TEMPLATE_VALUE_HPP
#define ESX_TRANSFORM_TEMPLATE_VALUE_HPP

#include <esx/failure.hpp>
#include <esx/transform/detail/go.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace esx::transform::templating {

/// A string whose memory is wiped when freed (template data are secret values).
using text = transform::detail::scratch;

/// The Go type of a value. Names in comments are Go's `reflect.Type.String()`, which error
/// messages print (`wrong type for value; expected string; got int`): see `go_type_name`.
enum class kind : std::uint8_t {
    nil,         ///< an untyped nil interface (`<nil>`); a missing value prints as `<no value>`
    boolean,     ///< bool
    integer,     ///< int (Go's int is 64-bit on the platforms ESO ships)
    int64,       ///< int64
    float64,     ///< float64
    string,      ///< string
    bytes,       ///< []uint8 (`[]byte`)
    list,        ///< []interface {}
    string_list, ///< []string
    dict,        ///< map[string]interface {}
    string_map,  ///< map[string]string
    time,        ///< time.Time
};

/// Go's `time.Time` as templates see it: an instant plus the zone it is shown in.
struct time_value {
    std::int64_t seconds = 0;     ///< since the Unix epoch, UTC
    std::int32_t nanoseconds = 0; ///< 0..999'999'999
    std::int32_t offset = 0;      ///< the zone's offset east of UTC, in seconds
    std::string zone = "UTC";     ///< the zone's abbreviation (`UTC`, `CET`, `+0200` style if unnamed)

    friend bool operator==(time_value const&, time_value const&) = default;
};

class value;

using list_type = std::vector<value>;
using string_list_type = std::vector<text>;
/// Ordered by key: Go's templates range over map keys sorted, and fmt prints maps sorted.
using dict_type = std::map<std::string, value, std::less<>>;
using string_map_type = std::map<std::string, text, std::less<>>;

class value {
public:
    /// nil
    value() noexcept = default;

    static value nil() noexcept { return {}; }
    static value boolean(bool b) noexcept;
    static value integer(std::int64_t i) noexcept;  ///< Go int
    static value int64(std::int64_t i) noexcept;    ///< Go int64
    static value float64(double f) noexcept;
    static value string(std::string_view s);
    static value string(text s);
    static value string(char const* s) { return string(std::string_view(s)); }
    static value string(std::string const& s) { return string(std::string_view(s)); }
    static value bytes(std::string_view b);
    static value bytes(text b);
    static value bytes(char const* b) { return bytes(std::string_view(b)); }
    static value time(time_value t);
    /// A new list/dict owned by this value (and every copy of it).
    static value list(list_type items = {});
    static value string_list(string_list_type items = {});
    static value dict(dict_type entries = {});
    static value string_map(string_map_type entries = {});

    esx::transform::templating::kind kind() const noexcept { return kind_; }
    bool is_nil() const noexcept { return kind_ == kind::nil; }
    /// int or int64
    bool is_integral() const noexcept { return kind_ == kind::integer || kind_ == kind::int64; }
    /// string or []byte
    bool is_stringish() const noexcept { return kind_ == kind::string || kind_ == kind::bytes; }
    /// []interface{}, []string or []byte (what Go's `index`, `len`, `range` take as a slice)
    bool is_slice() const noexcept {
        return kind_ == kind::list || kind_ == kind::string_list || kind_ == kind::bytes;
    }
    /// map[string]interface{} or map[string]string
    bool is_map() const noexcept { return kind_ == kind::dict || kind_ == kind::string_map; }

    // Accessors: each requires the matching kind (asserted).
    bool as_bool() const noexcept;
    std::int64_t as_int() const noexcept;           ///< integer or int64
    double as_float() const noexcept;               ///< float64
    std::string_view as_string() const noexcept;    ///< string or bytes: the bytes, unprotected
    time_value const& as_time() const noexcept;
    list_type const& as_list() const noexcept;
    string_list_type const& as_string_list() const noexcept;
    dict_type const& as_dict() const noexcept;
    string_map_type const& as_string_map() const noexcept;

    /// The shared dict itself, for Sprig's `set`/`unset`/`merge` (Go maps are references).
    dict_type& mutable_dict() noexcept;
    string_map_type& mutable_string_map() noexcept;

    /// Number of elements of a string (bytes), slice or map; 0 for anything else. Go's `len`
    /// refuses other kinds; the caller checks `is_stringish() || is_slice() || is_map()`.
    std::size_t size() const noexcept;

    /// Element `i` of a slice, as a value (`[]string` elements become strings, `[]byte`
    /// elements Go `uint8` printed as integers, here `integer`). Requires `i < size()`.
    value element(std::size_t i) const;
    /// Entry `key` of a map, or nothing.
    bool contains(std::string_view key) const noexcept;
    value entry(std::string_view key) const;  ///< nil when absent

    /// The same Go type and contents, with its own list/dict (Go's deep copy, e.g. `deepCopy`).
    value deep_copy() const;

private:
    struct storage;
    esx::transform::templating::kind kind_ = kind::nil;
    union {
        std::int64_t i_ = 0;
        bool b_;
        double f_;
    };
    std::shared_ptr<storage> ref_;  ///< strings, bytes, time, lists, dicts
};

/// `reflect.Type.String()` of a value's type: `string`, `int`, `[]interface {}`,
/// `map[string]interface {}`, `time.Time`, `<nil>` for nil.
ESX_DECL std::string_view go_type_name(kind k) noexcept;

/// Go's `reflect.Kind.String()` of the value's kind (`string`, `int`, `slice`, `map`,
/// `struct`, `invalid` for nil): what `len of type %s` and `can't index item of type %s` print.
ESX_DECL std::string_view go_kind_name(kind k) noexcept;

/// `fmt.Sprint(v)` (`%v`): `<nil>`, `true`, `1`, `1.5`, `1e+06`, `[a b]`, `map[a:1 b:2]`,
/// `[104 105]` for []byte, `2006-01-02 15:04:05.999999999 -0700 MST` for a time.
ESX_DECL text sprint(value const& v);
ESX_DECL void append_sprint(text& out, value const& v);

/// `fmt.Sprint(a...)`: spaces between operands when neither side is a string.
ESX_DECL text sprint(std::span<value const> args);
/// `fmt.Sprintln(a...)`: spaces between all operands, then a newline.
ESX_DECL text sprintln(std::span<value const> args);

/// How a template's `{{ pipeline }}` prints its final value: like `sprint`, except that nil
/// prints `<no value>` (text/template's printValue of an invalid value).
ESX_DECL void append_printed(text& out, value const& v);

/// Go's `template.IsTrue` (what `if`, `with`, `and`, `or`, `not` test): false for nil, false,
/// 0, 0.0, "" and empty slices and maps; a time is always true.
ESX_DECL bool truth(value const& v) noexcept;

/// text/template's `eq arg1 arg2`: ints of any size compare by value, bool/float/string with
/// their own kind; int vs float, string vs int and so on are `incompatible types for
/// comparison`; nil equals only nil; other non-comparable kinds (slices, maps) are `non-comparable type`.
/// The failure message is Go's text (without the `error calling eq: ` prefix).
ESX_DECL result<bool, failure> go_equal(value const& a, value const& b);

/// text/template's `lt a b`: ordered kinds only (ints, floats, strings); bools and others are
/// `invalid type for comparison`; different kinds `incompatible types for comparison`.
ESX_DECL result<bool, failure> go_less(value const& a, value const& b);

/// Sprig's `empty` (what `default`, `empty`, `coalesce` test): for the Go types modelled here
/// exactly `!truth(v)` (a time, a struct, is never empty).
ESX_DECL bool sprig_empty(value const& v) noexcept;

} // namespace esx::transform::templating

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/value.ipp>
#endif

#endif
