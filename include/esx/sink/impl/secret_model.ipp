// esx::sink::detail: ESO's Secret mutation (out of line).
#ifndef ESX_SINK_IMPL_SECRET_MODEL_IPP
#define ESX_SINK_IMPL_SECRET_MODEL_IPP

#include <esx/sink/detail/secret_model.hpp>
#include <esx/transform/detail/digest.hpp>
#include <esx/transform/hash.hpp>

#include <openssl/evp.h>

#include <algorithm>

namespace esx::sink::detail {
namespace model {
// Helpers of plan_write (inline: this file is also a header in header-only builds).

inline std::string_view group_of(std::string_view api_version) {
    auto const slash = api_version.find('/');
    return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

inline bool is_external_secret(owner_ref const& r) {
    return group_of(r.api_version) == external_secrets_group && r.kind == "ExternalSecret";
}

// `referSameObject` of apimachinery: same group, kind and name (version and UID ignored).
inline bool same_object(owner_ref const& a, owner_ref const& b) {
    return group_of(a.api_version) == group_of(b.api_version) && a.kind == b.kind && a.name == b.name;
}

inline bool keeps_existing_data(spec::creation_policy p) {
    return p == spec::creation_policy::merge || p == spec::creation_policy::create_or_merge;
}

// Removes the keys this ExternalSecret wrote before, then applies `t`'s metadata and data
// (ESO's `setMetadata` and `ApplyTemplate` without a template).
inline void apply_content(secret_model& s, managed_keys const& mine, target const& t) {
    for (auto const& k : mine.data) s.data.erase(k);
    for (auto const& k : mine.labels) s.labels.erase(k);
    for (auto const& k : mine.annotations) s.annotations.erase(k);
    for (auto const& [k, v] : t.labels) s.labels[k] = v;
    for (auto const& [k, v] : t.annotations) s.annotations[k] = v;
    if (!keeps_existing_data(t.creation)) s.data.clear();
    for (auto const& [k, v] : t.data) s.data[k] = v;
    if (!t.type.empty()) s.type = t.type;
    if (!s.deleting)
        for (auto const& f : t.finalizers)
            if (std::find(s.finalizers.begin(), s.finalizers.end(), f) == s.finalizers.end()) s.finalizers.push_back(f);
}

inline failure fail(sink::error e, std::string message) { return failure(make_error_code(e), std::move(message)); }

} // namespace model

ESX_DECL std::string field_manager(std::string_view external_secret_name) {
    std::string fqdn = "externalsecrets.external-secrets.io/";
    fqdn += external_secret_name;
    if (fqdn.size() <= 63) return fqdn;
    unsigned char md[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (!EVP_Q_digest(nullptr, "SHA3-224", nullptr, external_secret_name.data(), external_secret_name.size(), md, &len))
        return fqdn;  // OpenSSL 3 always has SHA3; a failure here would only lose the short form
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "externalsecrets.external-secrets.io/sha3/";
    for (std::size_t i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

ESX_DECL std::string describe(target const& t) { return "Secret " + t.namespace_ + "/" + t.name; }

ESX_DECL owner_ref const* controller_of(secret_model const& s) {
    for (auto const& r : s.owner_references)
        if (r.controller.value_or(false)) return &r;
    return nullptr;
}

ESX_DECL bool belongs_to(secret_model const& s, target const& t) {
    if (auto const* c = controller_of(s)) {
        if (!model::is_external_secret(*c) || c->name != t.external_secret_name) return false;
        return !t.owner || t.owner->uid.empty() || c->uid == t.owner->uid;
    }
    auto const label = s.labels.find(std::string(created_by_label));
    return label != s.labels.end() && label->second == transform::created_by_label(t.namespace_, t.external_secret_name);
}

ESX_DECL result<write_plan, failure> plan_write(secret_model const* existing, managed_keys const& mine, target const& t) {
    write_plan plan;
    if (t.creation == spec::creation_policy::none) {
        plan.action = action::skipped;
        plan.note = "secret creation skipped due to CreationPolicy=None";
        return plan;
    }
    if (!existing && t.creation == spec::creation_policy::merge) {
        plan.action = action::skipped;
        plan.note = "secret will not be created due to CreationPolicy=Merge";
        return plan;
    }

    secret_model s;
    if (existing) {
        s = *existing;
    } else {
        s.namespace_ = t.namespace_;
        s.name = t.name;
    }
    if (t.immutable) s.immutable = true;
    if (!existing || !t.immutable) {
        model::apply_content(s, mine, t);
    } else {
        secret_model would = s;
        model::apply_content(would, mine, t);
        if (would.data != s.data)
            plan.note = "target.immutable: the existing Secret keeps its data (ESO does not rewrite an immutable target)";
    }

    // Ownership (ESO's applyOwnership).
    owner_ref const* current = controller_of(s);
    bool const owner_is_es = current && model::is_external_secret(*current);
    bool const owner_is_us = owner_is_es && current->name == t.external_secret_name;
    if (owner_is_es && !owner_is_us)
        return model::fail(error::owned_by_another_external_secret,
                    "target is owned by another ExternalSecret: " + describe(t) + " is controlled by ExternalSecret " +
                        current->name + ", not " + t.external_secret_name);
    if (t.creation == spec::creation_policy::owner && t.owner) {
        if (current && !owner_is_us)
            return model::fail(error::cannot_take_ownership,
                        "failed to take ownership of target secret: " + describe(t) + " is already controlled by " +
                            current->kind + " " + current->name);
        owner_ref ours{t.owner->api_version, t.owner->kind, t.owner->name, t.owner->uid, true, true};
        auto same = std::find_if(s.owner_references.begin(), s.owner_references.end(),
                                 [&](owner_ref const& r) { return model::same_object(r, ours); });
        if (same != s.owner_references.end()) *same = std::move(ours);  // in place, as upsertOwnerRef
        else s.owner_references.push_back(std::move(ours));
    } else if (t.creation != spec::creation_policy::owner && owner_is_us) {
        owner_ref const us = *current;
        std::erase_if(s.owner_references, [&](owner_ref const& r) { return model::same_object(r, us); });
    }
    if (t.creation == spec::creation_policy::owner)
        s.labels[std::string(created_by_label)] = transform::created_by_label(t.namespace_, t.external_secret_name);
    else
        s.labels.erase(std::string(created_by_label));

    s.labels[std::string(managed_label)] = "true";
    if (!existing && s.type.empty()) s.type = "Opaque";
    s.annotations[std::string(data_hash_annotation)] = transform::data_hash(s.data);

    if (!existing) {
        plan.action = action::created;
    } else if (s == *existing) {
        plan.action = action::unchanged;
    } else {
        bool const content_changes = s.data != existing->data || s.type != existing->type;
        if (existing->immutable && content_changes)
            return model::fail(error::target_immutable, "could not update secret, target is immutable: " + describe(t) +
                                                     " is immutable and its data or type would change");
        if (s.type != existing->type)
            return model::fail(error::type_immutable, "could not update secret: " + describe(t) + " has type " +
                                                   existing->type + " and Kubernetes cannot change it to " + s.type +
                                                   " (delete the Secret to change its type)");
        plan.action = action::updated;
        for (auto const& [k, v] : existing->data)
            if (!s.data.contains(k)) plan.removed_keys.push_back(k);
    }
    if (t.creation == spec::creation_policy::owner && !t.owner) {
        if (!plan.note.empty()) plan.note += "; ";
        plan.note += "no ownerReference: the ExternalSecret is not in the cluster";
    }
    plan.secret = std::move(s);
    return plan;
}

ESX_DECL outcome outcome_of(write_plan const& plan, target const& t) {
    outcome out;
    out.action = plan.action;
    out.location = describe(t);
    out.note = plan.note;
    out.removed_keys = plan.removed_keys;
    auto const& data = plan.action == action::skipped ? t.data : plan.secret.data;
    out.keys = keys_of(data);
    out.data_hash = transform::data_hash(data);
    return out;
}

ESX_DECL target_fingerprint fingerprint_of(target const& t) {
    std::string text;
    auto field = [&](std::string_view v) {
        text += std::to_string(v.size());
        text += ':';
        text += v;
    };
    auto map = [&](std::map<std::string, std::string> const& m) {
        field(std::to_string(m.size()));
        for (auto const& [k, v] : m) field(k), field(v);
    };
    field(t.namespace_), field(t.name), field(t.external_secret_name);
    field(t.owner ? "owner" : "-");
    if (t.owner) field(t.owner->api_version), field(t.owner->kind), field(t.owner->name), field(t.owner->uid);
    field(t.type);
    map(t.labels);
    map(t.annotations);
    field(std::to_string(t.finalizers.size()));
    for (auto const& f : t.finalizers) field(f);
    field(t.immutable ? "immutable" : "mutable");
    field(creation_policy_name(t.creation));
    field(std::to_string(static_cast<int>(t.deletion)));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned const length = transform::detail::digest(transform::detail::sha3_256(), text, digest);
    target_fingerprint out{};
    if (length != 0) std::copy_n(digest, std::min<std::size_t>(out.size(), length), out.begin());
    return out;
}

ESX_DECL result<void, failure> check_delete_allowed(target const& t) {
    if (t.creation == spec::creation_policy::owner) return {};
    return model::fail(error::delete_not_allowed, "could not delete secret: unable to delete secret " + t.name +
                                                      ": creationPolicy=" + std::string(creation_policy_name(t.creation)) +
                                                      " is not Owner");
}

ESX_DECL failure not_ours(target const& t) {
    return model::fail(error::delete_not_allowed,
                       "could not delete secret: " + describe(t) + " is not controlled by ExternalSecret " +
                           t.external_secret_name +
                           " (no ownerReference to it and no created-by label of it); delete it by hand if it should go");
}

} // namespace esx::sink::detail

#endif
