// esx: target checks (out of line).
#ifndef ESX_PIPELINE_IMPL_TARGET_CHECKS_IPP
#define ESX_PIPELINE_IMPL_TARGET_CHECKS_IPP

#include <esx/pipeline/target_checks.hpp>

#include <set>

namespace esx {
namespace detail {

inline failure target_failure(std::string field, std::string message, std::string reason = "Invalid") {
    failure f{make_error_code(error::invalid_option), field.empty() ? message : field + ": " + message, std::move(reason)};
    f.causes.push_back({std::move(field), "FieldValueInvalid", std::move(message)});
    return f;
}

inline std::string printable_key(std::string_view key) {
    std::string out;
    for (char c : key.substr(0, 80)) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += '?';
        else out += c;
    }
    if (key.size() > 80) out += "...";
    return out;
}

} // namespace detail

ESX_DECL bool is_valid_secret_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > 253 || key == "." || key == "..") return false;
    for (char c : key) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '.' || c == '_';
        if (!ok) return false;
    }
    return true;
}

ESX_DECL result<void, failure> check_target_data(std::map<std::string, secret_bytes> const& data,
                                                 std::map<std::string, std::string> const& origin) {
    auto where = [&](std::string const& key) {
        auto it = origin.find(key);
        return it == origin.end() ? std::string("spec") : it->second;
    };
    for (auto const& [key, value] : data) {
        if (is_valid_secret_key(key)) continue;
        std::string why = key.empty()        ? "must not be empty"
                          : key.size() > 253 ? "must be no more than 253 characters"
                          : key == "." || key == ".."
                              ? "must not be '.' or '..'"
                              : "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                                "(e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is "
                                "'[-._a-zA-Z0-9]+')";
        return detail::target_failure(where(key), "secret key \"" + detail::printable_key(key) + "\" is not valid: " + why +
                                                      "; use rewrite or conversionStrategy to change keys");
    }
    std::size_t total = 0, largest = 0;
    std::string const* largest_key = nullptr;
    for (auto const& [key, value] : data) {
        std::size_t const n = key.size() + value.size();
        total += n;
        if (n > largest) {
            largest = n;
            largest_key = &key;
        }
    }
    if (total > max_secret_size)
        return detail::target_failure(where(*largest_key),
                                      "the Secret would hold " + std::to_string(total) + " bytes of data, more than the " +
                                          std::to_string(max_secret_size) + " Kubernetes allows (key \"" +
                                          detail::printable_key(*largest_key) + "\" alone holds " +
                                          std::to_string(largest) + ")");
    return {};
}

ESX_DECL result<void, failure> check_target_type(std::string_view type,
                                                 std::map<std::string, std::string> const& annotations) {
    if (type == "kubernetes.io/service-account-token" && annotations.count("kubernetes.io/service-account.name"))
        return detail::target_failure("spec.target", "template.type=\"kubernetes.io/service-account-token\" with "
                                                     "annotation \"kubernetes.io/service-account.name\" is not allowed");
    if (type == "bootstrap.kubernetes.io/token")
        return detail::target_failure("spec.target", "template.type=\"bootstrap.kubernetes.io/token\" is not allowed");
    return {};
}

ESX_DECL result<void, failure> check_duplicate_keys(spec::external_secret_spec const& spec) {
    if (spec.target.deletion != spec::deletion_policy::retain) return {};
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < spec.data.size(); ++i)
        if (!seen.insert(spec.data[i].secret_key).second)
            return detail::target_failure("spec.data[" + std::to_string(i) + "].secretKey",
                                          "duplicate secretKey found: " + spec.data[i].secret_key);
    return {};
}

} // namespace esx

#endif
