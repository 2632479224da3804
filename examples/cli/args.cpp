#include "args.hpp"

#include <algorithm>
#include <iostream>

namespace esx::cli {

std::string arguments::value(std::string_view name, std::string fallback) const {
    auto it = options.find(name);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> arguments::values(std::string_view name) const {
    auto it = options.find(name);
    return it == options.end() ? std::vector<std::string>{} : it->second;
}

std::variant<arguments, std::string> parse(std::span<char* const> args, std::span<option_spec const> specs) {
    arguments out;
    auto by_long = [&](std::string_view n) {
        return std::find_if(specs.begin(), specs.end(), [&](option_spec const& s) { return s.name == n; });
    };
    auto by_short = [&](char c) {
        return std::find_if(specs.begin(), specs.end(), [&](option_spec const& s) { return s.short_name == c; });
    };
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (options_done || a == "-" || !a.starts_with('-')) {
            out.positional.emplace_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        if (a == "--help" || a == "-h") {
            out.help = true;
            continue;
        }
        std::string_view name, inline_value;
        bool has_inline = false;
        option_spec const* spec = nullptr;
        if (a.starts_with("--")) {
            name = a.substr(2);
            if (auto eq = name.find('='); eq != std::string_view::npos) {
                inline_value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_inline = true;
            }
            auto it = by_long(name);
            if (it == specs.end()) return "unknown option `--" + std::string(name) + "`";
            spec = &*it;
        } else {
            auto it = by_short(a[1]);
            if (it == specs.end()) return "unknown option `" + std::string(a.substr(0, 2)) + "`";
            spec = &*it;
            name = spec->name;
            if (a.size() > 2) {
                if (!spec->takes_value) return "option `-" + std::string(1, a[1]) + "` takes no value";
                inline_value = a.substr(2);
                has_inline = true;
            }
        }
        auto& slot = out.options[std::string(spec->name)];
        if (!slot.empty() && !spec->repeatable) return "option `--" + std::string(spec->name) + "` given twice";
        if (!spec->takes_value) {
            if (has_inline) return "option `--" + std::string(spec->name) + "` takes no value";
            slot.emplace_back();
            continue;
        }
        if (has_inline) {
            slot.emplace_back(inline_value);
        } else if (i + 1 < args.size()) {
            slot.emplace_back(args[++i]);
        } else {
            return "option `--" + std::string(spec->name) + "` needs a value";
        }
    }
    return out;
}

int usage_failure(std::string_view message, std::string_view help) {
    // The usage lines: the help text up to its first blank line.
    auto const end = help.find("\n\n");
    std::cerr << "esx: " << message << "\n" << help.substr(0, end == std::string_view::npos ? help.size() : end + 1);
    return usage_error;
}

std::optional<std::pair<std::string, std::string>> parse_resolve(std::string_view spec) {
    // HOST:PORT:ADDR, ADDR possibly an IPv6 address (with or without brackets).
    auto const first = spec.find(':');
    if (first == std::string_view::npos || first == 0) return std::nullopt;
    auto const second = spec.find(':', first + 1);
    if (second == std::string_view::npos || second == first + 1 || second + 1 >= spec.size()) return std::nullopt;
    auto const port = spec.substr(first + 1, second - first - 1);
    if (port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    std::string addr(spec.substr(second + 1));
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    return std::pair{std::string(spec.substr(0, second)), std::move(addr)};
}

} // namespace esx::cli
