// esx::sink::dotenv (out of line).
#ifndef ESX_SINK_IMPL_DOTENV_IPP
#define ESX_SINK_IMPL_DOTENV_IPP

#include <esx/sink/detail/secret_model.hpp>
#include <esx/sink/dotenv.hpp>
#include <esx/sink/error.hpp>
#include <esx/transform/hash.hpp>

#include <array>

namespace esx::sink {

ESX_DECL result<std::string, failure> dotenv::variable_name(std::string_view key) {
    if (key.empty()) return failure(make_error_code(error::invalid_key), "dotenv: an empty key cannot be a variable name");
    std::string name;
    name.reserve(key.size() + 1);
    if (key.front() >= '0' && key.front() <= '9') name += '_';
    for (char c : key) {
        bool const word = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (word) name += c;
        else if (c == '-' || c == '.') name += '_';
        else
            return failure(make_error_code(error::invalid_key),
                           "dotenv: key " + std::string(key) +
                               " has a character other than letters, digits, '-', '.' and '_'");
    }
    static constexpr std::array<std::string_view, 6> read_only = {"BASHOPTS", "BASH_VERSINFO", "EUID",
                                                                  "PPID",     "SHELLOPTS",     "UID"};
    for (auto r : read_only)
        if (name == r)
            return failure(make_error_code(error::invalid_key),
                           "dotenv: key " + std::string(key) + " becomes variable " + name +
                               ", which bash keeps read-only; rename the key (rewrite) or use another sink");
    return name;
}

ESX_DECL void dotenv::append_quoted(std::string& out, std::string_view value) {
    out += '\'';
    for (char c : value) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    out += '\'';
}

ESX_DECL boost::asio::awaitable<result<outcome, failure>> dotenv::apply(target t, apply_options o) {
    co_return apply_now(t, o);
}

ESX_DECL boost::asio::awaitable<result<outcome, failure>> dotenv::remove(target t, apply_options o) {
    co_return remove_now(t, o);
}

ESX_DECL result<outcome, failure> dotenv::apply_now(target const& t, apply_options o) {
    outcome out;
    out.location = out_.name();
    out.keys = detail::keys_of(t.data);
    out.data_hash = transform::data_hash(t.data);
    if (t.creation == spec::creation_policy::none) {
        out.action = action::skipped;
        out.note = "secret creation skipped due to CreationPolicy=None";
        return out;
    }
    entry e;
    e.external_secret = t.external_secret_name;
    for (auto const& [k, v] : t.data) {
        auto name = variable_name(k);
        if (!name) return name.error();
        if (v.reveal().find('\0') != std::string_view::npos)
            return failure(make_error_code(error::nul_in_value),
                           "dotenv: the value of key " + k + " of " + detail::describe(t) +
                               " holds a NUL byte, which a shell variable cannot carry; use the files or json sink");
        auto [it, fresh] = e.variables.try_emplace(*name, variable{k, v});
        if (!fresh)
            return failure(make_error_code(error::key_collision),
                           "dotenv: keys " + it->second.key + " and " + k + " of " + detail::describe(t) +
                               " both become variable " + *name + "; rename one (rewrite)");
    }
    key const self{t.namespace_, t.name};
    for (auto const& [other, theirs] : collected_) {
        if (other == self) continue;
        for (auto const& [name, var] : e.variables)
            if (auto clash = theirs.variables.find(name); clash != theirs.variables.end())
                return failure(make_error_code(error::key_collision),
                               "dotenv: variable " + name + " of " + detail::describe(t) + " (key " + var.key +
                                   ") is also printed for Secret " + other.first + "/" + other.second + " (key " +
                                   clash->second.key + "); print them to separate outputs");
    }
    auto const before = collected_.find(self);
    if (before == collected_.end()) {
        out.action = action::created;
    } else {
        bool same = before->second.variables.size() == e.variables.size();
        for (auto const& [name, var] : e.variables) {
            auto const was = before->second.variables.find(name);
            same = same && was != before->second.variables.end() && was->second.key == var.key && was->second.value == var.value;
        }
        out.action = same ? action::unchanged : action::updated;
    }
    if (!o.dry_run) collected_[self] = std::move(e);
    return out;
}

ESX_DECL result<outcome, failure> dotenv::remove_now(target const& t, apply_options o) {
    outcome out;
    out.location = out_.name();
    if (t.deletion == spec::deletion_policy::retain) {
        out.action = action::retained;
        out.note = "secret retained due to DeletionPolicy=Retain";
        return out;
    }
    if (t.deletion == spec::deletion_policy::merge) {
        target emptied = t;
        emptied.data.clear();
        return apply_now(emptied, o);
    }
    if (auto allowed = detail::check_delete_allowed(t); !allowed) return allowed.error();
    out.action = action::deleted;
    out.note = "secret deleted due to DeletionPolicy=Delete (not printed)";
    if (!o.dry_run) collected_.erase(key{t.namespace_, t.name});
    return out;
}

ESX_DECL result<void, failure> dotenv::flush() {
    // Names are Kubernetes names; anything else (a newline above all) must not reach the shell.
    auto comment_safe = [](std::string n) {
        for (auto& c : n)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                  c == '_'))
                c = '?';
        return n;
    };
    std::string text;
    for (auto const& [k, e] : collected_) {
        text += "# Secret " + comment_safe(k.first) + "/" + comment_safe(k.second) + " (ExternalSecret " +
                comment_safe(e.external_secret) + ")\n";
        for (auto const& [name, var] : e.variables) {
            text += name;
            text += '=';
            append_quoted(text, var.value.reveal());
            text += '\n';
        }
    }
    auto written = out_.write(text);
    esx::detail::secure_wipe(text.data(), text.size());
    if (!written) return written.error();
    collected_.clear();
    return {};
}

} // namespace esx::sink

#endif
