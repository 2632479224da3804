// esx::spec::detail: reads one JSON object field by field, recording every problem with its path
// and carrying on, so one pass reports all of a document's problems.
#ifndef ESX_SPEC_DETAIL_READER_HPP
#define ESX_SPEC_DETAIL_READER_HPP

#include <esx/failure.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::spec::detail {

namespace json = boost::json;

/// Kubernetes' field-error reasons (`metav1.CauseType`), so causes read like an API server's.
namespace reasons {
inline constexpr std::string_view required = "FieldValueRequired";
inline constexpr std::string_view invalid = "FieldValueInvalid";
inline constexpr std::string_view type_invalid = "FieldValueTypeInvalid";
inline constexpr std::string_view not_supported = "FieldValueNotSupported";
inline constexpr std::string_view duplicate = "FieldValueDuplicate";
inline constexpr std::string_view forbidden = "FieldValueForbidden";
inline constexpr std::string_view unknown = "FieldValueUnknown";
} // namespace reasons

struct problems {
    std::vector<failure_cause> causes;

    void add(std::string field, std::string_view reason, std::string message) {
        causes.push_back({std::move(field), std::string(reason), std::move(message)});
    }
    bool has(std::string_view field) const {
        return std::any_of(causes.begin(), causes.end(), [&](auto const& c) { return c.field == field; });
    }
    bool empty() const noexcept { return causes.empty(); }
};

inline std::string child_path(std::string_view path, std::string_view key) {
    std::string out(path);
    if (!out.empty()) out += '.';
    out += key;
    return out;
}
inline std::string index_path(std::string_view path, std::size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
}

template <class E>
using enum_table = std::span<std::pair<std::string_view, E> const>;

/// `must be one of A, B or C`.
template <class E>
std::string allowed_values(enum_table<E> table) {
    std::string out = "must be one of ";
    for (std::size_t i = 0; i < table.size(); ++i) {
        if (i > 0) out += i + 1 == table.size() ? " or " : ", ";
        out += table[i].first;
    }
    return out;
}

/// Reads the fields of one object; on destruction reports the fields nobody asked for.
class object_reader {
public:
    /// `v` may be null (absent): then every getter reports nothing and returns nothing.
    object_reader(json::value const* v, std::string path, problems& p, bool check_unknown = true)
        : path_(std::move(path)), p_(p), check_unknown_(check_unknown) {
        if (v && !v->is_null()) {
            if (v->is_object()) object_ = &v->get_object();
            else p_.add(path_, reasons::type_invalid, "must be an object");
        }
    }
    object_reader(object_reader const&) = delete;
    object_reader& operator=(object_reader const&) = delete;
    ~object_reader() {
        if (!object_ || !check_unknown_) return;
        auto seen = [&](std::string_view k) {
            std::size_t inline_count = seen_count_ < seen_inline_.size() ? seen_count_ : seen_inline_.size();
            return std::find(seen_inline_.begin(), seen_inline_.begin() + inline_count, k) !=
                       seen_inline_.begin() + inline_count ||
                   std::find(seen_more_.begin(), seen_more_.end(), k) != seen_more_.end();
        };
        for (auto const& kv : *object_)
            if (!seen(kv.key())) p_.add(child_path(path_, kv.key()), reasons::unknown, "unknown field");
    }

    bool present() const noexcept { return object_ != nullptr; }
    std::string const& path() const noexcept { return path_; }
    std::string at(std::string_view key) const { return child_path(path_, key); }
    problems& report() noexcept { return p_; }
    json::object const* object() const noexcept { return object_; }

    /// The field's value, or null if absent or JSON null (Kubernetes treats both alike).
    json::value const* field(std::string_view key) {
        // Most objects have few fields: no allocation for the first ones.
        if (seen_count_ < seen_inline_.size()) seen_inline_[seen_count_] = key;
        else seen_more_.push_back(key);
        ++seen_count_;
        if (!object_) return nullptr;
        auto it = object_->find(key);
        if (it == object_->end() || it->value().is_null()) return nullptr;
        return &it->value();
    }

    void missing(std::string_view key) { p_.add(at(key), reasons::required, "is required"); }

    std::optional<std::string> optional_string(std::string_view key) {
        json::value const* v = field(key);
        if (!v) return std::nullopt;
        if (!v->is_string()) {
            p_.add(at(key), reasons::type_invalid, "must be a string");
            return std::nullopt;
        }
        return std::string(v->get_string());
    }
    /// A required string; absent is reported (an empty one is the validator's business).
    std::string required_string(std::string_view key) {
        bool absent = !object_ || !field_present(key);
        auto s = optional_string(key);
        if (absent && object_) missing(key);
        return s.value_or(std::string());
    }
    void read(std::string_view key, std::string& out) {
        if (auto s = optional_string(key)) out = std::move(*s);
    }
    void read(std::string_view key, bool& out) {
        json::value const* v = field(key);
        if (!v) return;
        if (!v->is_bool()) p_.add(at(key), reasons::type_invalid, "must be a boolean");
        else out = v->get_bool();
    }
    std::optional<std::int64_t> optional_integer(std::string_view key) {
        json::value const* v = field(key);
        if (!v) return std::nullopt;
        if (v->is_int64()) return v->get_int64();
        if (v->is_uint64() && v->get_uint64() <= std::uint64_t(INT64_MAX)) return std::int64_t(v->get_uint64());
        p_.add(at(key), reasons::type_invalid, "must be an integer");
        return std::nullopt;
    }
    void read(std::string_view key, std::map<std::string, std::string>& out) {
        json::value const* v = field(key);
        if (!v) return;
        if (!v->is_object()) {
            p_.add(at(key), reasons::type_invalid, "must be an object of strings");
            return;
        }
        for (auto const& kv : v->get_object()) {
            if (kv.value().is_string()) out[std::string(kv.key())] = std::string(kv.value().get_string());
            else if (!kv.value().is_null())
                p_.add(at(key) + "[" + std::string(kv.key()) + "]", reasons::type_invalid, "must be a string");
        }
    }
    void read(std::string_view key, std::vector<std::string>& out) {
        json::value const* v = field(key);
        if (!v) return;
        if (!v->is_array()) {
            p_.add(at(key), reasons::type_invalid, "must be an array of strings");
            return;
        }
        std::size_t i = 0;
        for (auto const& e : v->get_array()) {
            if (e.is_string()) out.emplace_back(e.get_string());
            else p_.add(index_path(at(key), i), reasons::type_invalid, "must be a string");
            ++i;
        }
    }
    /// The array's elements, or empty (reported) if the field is not an array.
    json::array const* array(std::string_view key) {
        json::value const* v = field(key);
        if (!v) return nullptr;
        if (!v->is_array()) {
            p_.add(at(key), reasons::type_invalid, "must be an array");
            return nullptr;
        }
        return &v->get_array();
    }
    template <class E>
    bool read_enum(std::string_view key, E& out, enum_table<E> table, bool case_insensitive = false) {
        json::value const* v = field(key);
        if (!v) return false;
        if (!v->is_string()) {
            p_.add(at(key), reasons::type_invalid, "must be a string");
            return false;
        }
        std::string_view s = v->get_string();
        auto same = [&](std::string_view a, std::string_view b) {
            if (!case_insensitive) return a == b;
            auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
            return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                                      [&](char x, char y) { return lower(x) == lower(y); });
        };
        for (auto const& [text, value] : table)
            if (same(text, s)) {
                out = value;
                return true;
            }
        p_.add(at(key), reasons::not_supported, "unsupported value \"" + std::string(s) + "\": " + allowed_values(table));
        return false;
    }

private:
    bool field_present(std::string_view key) const {
        auto it = object_->find(key);
        return it != object_->end() && !it->value().is_null();
    }

    json::object const* object_ = nullptr;
    std::string path_;
    problems& p_;
    bool check_unknown_;
    std::array<std::string_view, 16> seen_inline_{};
    std::size_t seen_count_ = 0;
    std::vector<std::string_view> seen_more_;
};

} // namespace esx::spec::detail

#endif
