// esx::sink::json (out of line).
#ifndef ESX_SINK_IMPL_JSON_IPP
#define ESX_SINK_IMPL_JSON_IPP

#include <esx/sink/detail/secret_json.hpp>
#include <esx/sink/json.hpp>

#include <boost/json/array.hpp>

namespace esx::sink {

ESX_DECL boost::asio::awaitable<result<outcome, failure>> json::apply(target t, apply_options o) {
    co_return apply_now(t, o);
}

ESX_DECL boost::asio::awaitable<result<outcome, failure>> json::remove(target t, apply_options o) {
    co_return remove_now(t, o);
}

ESX_DECL result<outcome, failure> json::apply_now(target const& t, apply_options o) {
    // The Secret as it would be created: a stream has no existing target to merge into.
    target fresh = t;
    if (fresh.creation == spec::creation_policy::merge) fresh.creation = spec::creation_policy::create_or_merge;
    detail::managed_keys const none;
    auto plan = detail::plan_write(nullptr, none, fresh);
    if (!plan) return plan.error();
    outcome out = detail::outcome_of(*plan, t);
    out.location = out_.name();
    if (plan->action == action::skipped) return out;
    key const self{t.namespace_, t.name};
    auto const before = collected_.find(self);
    out.action = before == collected_.end() ? action::created
                 : before->second == plan->secret ? action::unchanged
                                                  : action::updated;
    if (!o.dry_run) collected_[self] = std::move(plan->secret);
    return out;
}

ESX_DECL result<outcome, failure> json::remove_now(target const& t, apply_options o) {
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

ESX_DECL result<void, failure> json::flush() {
    boost::json::array items;
    for (auto const& [k, s] : collected_) items.emplace_back(detail::secret_to_json(s, boost::json::object()));
    boost::json::object list{{"apiVersion", "v1"},
                             {"items", std::move(items)},
                             {"kind", "List"},
                             {"metadata", boost::json::object{{"resourceVersion", ""}}}};
    std::string text = detail::kubectl_json(list);
    text += '\n';
    for (auto& item : list["items"].as_array()) detail::wipe_data(item.as_object());
    auto written = out_.write(text);
    esx::detail::secure_wipe(text.data(), text.size());
    if (!written) return written.error();
    collected_.clear();
    return {};
}

} // namespace esx::sink

#endif
