// esx::transform: `dataFrom[].rewrite[]` (out of line).
#ifndef ESX_TRANSFORM_IMPL_REWRITE_IPP
#define ESX_TRANSFORM_IMPL_REWRITE_IPP

#include <esx/transform/rewrite.hpp>
#include <esx/transform/detail/go_json.hpp>
#include <esx/regex.hpp>

#include <algorithm>
#include <charconv>
#include <map>

namespace esx::transform {
namespace detail {

inline failure rewrite_failure(error e, std::size_t j, std::string_view field, std::string_view why) {
    return failure{make_error_code(e), "rewrite[" + std::to_string(j) + "]" + std::string(field) + ": " + std::string(why)};
}

inline result<secret_map, failure> rewrite_regexp(spec::rewrite_regexp const& op, std::size_t j, secret_map in) {
    auto re = esx::regex::compile(op.source);
    if (!re)
        return rewrite_failure(error::invalid_regexp, j, ".regexp.source",
                               "regexp failed with failed to compile: " + re.error().what());
    secret_map out;
    // ESO writes into a Go map in random order; when two keys rewrite to one name esx keeps the
    // value of the key that sorts last, so the outcome is at least stable.
    for (auto& [key, value] : in) out.insert_or_assign(re->replace_all(key, op.target), std::move(value));
    return out;
}

/// A Go float64 can hold the number (json.Unmarshal into `any` refuses 1e400).
inline bool numbers_fit(json_node const& v, std::string& bad) {
    if (v.type == json_node::kind::number) {
        double d = 0;
        auto const r = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (r.ec == std::errc::result_out_of_range) {
            auto const e = v.text.view().find_first_of("eE");
            if (e == std::string_view::npos || v.text.view()[e + 1] != '-') {
                bad = std::string(v.text.view());
                return false;
            }
        }
        return true;
    }
    for (auto const& item : v.items)
        if (!numbers_fit(item, bad)) return false;
    for (auto const& [k, m] : v.members)
        if (!numbers_fit(m, bad)) return false;
    return true;
}

/// ESO's GetByteValue for a value decoded into `any`.
inline bool byte_value(json_node const& v, scratch& out) {
    out.clear();
    switch (v.type) {
    case json_node::kind::string: out.append(v.text.view()); return true;
    case json_node::kind::null: return true;
    case json_node::kind::boolean: out.append(v.text.view()); return true;
    case json_node::kind::number: {
        double d = 0;
        auto const r = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (r.ec == std::errc::result_out_of_range) d = v.text.view().front() == '-' ? -0.0 : 0.0;  // underflow
        out.append(format_float_f(d));
        return true;
    }
    case json_node::kind::array:
    case json_node::kind::object: return marshal_any(v, out, true);
    }
    return false;
}

inline result<secret_map, failure> rewrite_merge(spec::rewrite_merge const& op, std::size_t j, secret_map in) {
    auto fail = [j](std::string why) { return rewrite_failure(error::merge_conflict, j, ".merge", why); };
    // sortKeysWithPriority: the other keys sorted, then the priority list in its order (the last wins).
    std::vector<std::string> keys;
    for (auto const& [key, value] : in)
        if (std::find(op.priority.begin(), op.priority.end(), key) == op.priority.end()) keys.push_back(key);
    keys.insert(keys.end(), op.priority.begin(), op.priority.end());

    std::vector<json_node> parsed;
    parsed.reserve(keys.size());
    std::map<std::string, json_node const*> merged;
    std::vector<std::string> conflicts;
    for (auto const& key : keys) {
        auto it = in.find(key);
        if (it == in.end()) {
            if (op.priority_policy == spec::merge_priority_policy::ignore_not_found) continue;
            return fail("merge failed with key " + go_quote(key) + " not found in input map");
        }
        json_node& node = parsed.emplace_back();
        std::string why;
        if (!parse_json_object(it->second.reveal(), node, why, "map[string]interface {}"))
            return fail("merge failed with failed to unmarshal JSON: " + why);
        std::string bad;
        if (!numbers_fit(node, bad))
            return fail("merge failed with failed to unmarshal JSON: json: cannot unmarshal number " + bad +
                        " into Go value of type float64");
        // Go decodes into a map first (duplicates: the last wins), then ranges over it; esx
        // ranges in key order so the conflict list is stable.
        std::map<std::string_view, json_node const*> members;
        for (auto const& [k, m] : node.members) members[k.view()] = &m;
        for (auto const& [k, m] : members) {
            auto [slot, inserted] = merged.try_emplace(std::string(k), m);
            if (!inserted) {
                conflicts.emplace_back(k);
                slot->second = m;
            }
        }
    }
    if (op.conflict_policy != spec::merge_conflict_policy::ignore && !conflicts.empty()) {
        std::string list;
        for (auto const& c : conflicts) list += (list.empty() ? "" : ", ") + c;
        return fail("merge failed with conflicts: " + list);
    }
    secret_map out;
    if (op.strategy == spec::merge_strategy::json) {
        if (op.into.empty()) return fail("merge failed with missing 'into' field");
        // esutils.JSONMarshal: an Encoder with SetEscapeHTML(false), trailing newline trimmed.
        scratch text("{");
        bool first = true;
        for (auto const& [k, m] : merged) {
            if (!first) text.push_back(',');
            first = false;
            append_json_string(text, k, false);
            text.push_back(':');
            marshal_any(*m, text, false);
        }
        text.push_back('}');
        out = std::move(in);
        out.insert_or_assign(op.into, text.to_secret());
        return out;
    }
    for (auto const& [k, m] : merged) {
        scratch value;
        byte_value(*m, value);
        out.emplace(k, value.to_secret());
    }
    return out;
}

} // namespace detail

ESX_DECL result<secret_map, failure> apply_rewrites(std::vector<spec::rewrite> const& rewrites, secret_map data) {
    for (std::size_t j = 0; j < rewrites.size(); ++j) {
        auto const& op = rewrites[j];
        // ESO's order of precedence when several are set: merge, regexp, transform.
        if (op.merge) {
            auto next = detail::rewrite_merge(*op.merge, j, std::move(data));
            if (!next) return next.error();
            data = std::move(*next);
        } else if (op.regexp) {
            auto next = detail::rewrite_regexp(*op.regexp, j, std::move(data));
            if (!next) return next.error();
            data = std::move(*next);
        } else if (op.transform) {
            return detail::rewrite_failure(error::unsupported, j, ".transform", "templates are not supported yet");
        }
    }
    return data;
}

} // namespace esx::transform

#endif
