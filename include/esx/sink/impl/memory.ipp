// esx::sink::memory (out of line).
#ifndef ESX_SINK_IMPL_MEMORY_IPP
#define ESX_SINK_IMPL_MEMORY_IPP

#include <esx/sink/memory.hpp>
#include <esx/transform/hash.hpp>

namespace esx::sink {

ESX_DECL boost::asio::awaitable<result<outcome, failure>> memory::apply(target t, apply_options o) {
    co_return apply_now(t, o);
}

ESX_DECL boost::asio::awaitable<result<outcome, failure>> memory::remove(target t, apply_options o) {
    co_return remove_now(t, o);
}

ESX_DECL result<outcome, failure> memory::apply_now(target const& t, apply_options o) {
    std::lock_guard lock(mutex_);
    key const k{t.namespace_, t.name};
    auto it = secrets_.find(k);
    detail::managed_keys none;
    detail::managed_keys const* mine = &none;
    if (it != secrets_.end())
        if (auto m = it->second.managers.find(t.external_secret_name); m != it->second.managers.end()) mine = &m->second;
    auto plan = detail::plan_write(it != secrets_.end() ? &it->second.secret : nullptr, *mine, t);
    if (!plan) return plan.error();

    outcome out = detail::outcome_of(*plan, t);
    if (plan->action == action::skipped || plan->action == action::unchanged || o.dry_run) return out;

    detail::managed_keys wrote;
    if (it == secrets_.end() || !t.immutable)
        for (auto const& [key, v] : t.data) wrote.data.insert(key);
    for (auto const& [key, v] : t.labels) wrote.labels.insert(key);
    for (auto const& [key, v] : t.annotations) wrote.annotations.insert(key);
    wrote.labels.emplace(detail::managed_label);
    if (t.creation == spec::creation_policy::owner) wrote.labels.emplace(detail::created_by_label);
    wrote.annotations.emplace(detail::data_hash_annotation);

    entry& e = secrets_[k];
    e.secret = std::move(plan->secret);
    e.managers[t.external_secret_name] = std::move(wrote);
    ++writes_;
    return out;
}

ESX_DECL result<outcome, failure> memory::remove_now(target const& t, apply_options o) {
    outcome out;
    out.location = detail::describe(t);
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
    std::lock_guard lock(mutex_);
    auto it = secrets_.find(key{t.namespace_, t.name});
    out.action = action::deleted;
    if (it == secrets_.end()) {
        out.note = "secret deleted due to DeletionPolicy=Delete (it did not exist)";
        return out;
    }
    if (!detail::belongs_to(it->second.secret, t)) return detail::not_ours(t);
    out.note = "secret deleted due to DeletionPolicy=Delete";
    out.keys = detail::keys_of(it->second.secret.data);
    out.data_hash = transform::data_hash(it->second.secret.data);
    if (o.dry_run) return out;
    secrets_.erase(it);
    ++writes_;
    return out;
}

ESX_DECL std::optional<stored_secret> memory::find(std::string_view ns, std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = secrets_.find(key{std::string(ns), std::string(name)});
    if (it == secrets_.end()) return std::nullopt;
    return it->second.secret;
}

ESX_DECL void memory::put(stored_secret s) {
    std::lock_guard lock(mutex_);
    key k{s.namespace_, s.name};
    if (s.type.empty()) s.type = "Opaque";
    secrets_[k] = entry{std::move(s), {}};
}

ESX_DECL std::size_t memory::writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
}

ESX_DECL std::size_t memory::size() const {
    std::lock_guard lock(mutex_);
    return secrets_.size();
}

} // namespace esx::sink

#endif
