// esx::transform::templating: `target.template` (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_TARGET_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_TARGET_IPP

#include <esx/transform/decoding.hpp>
#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/target.hpp>
#include <esx/yaml.hpp>

namespace esx::transform::templating {

namespace detail::target_impl {

inline failure field_failure(error code, std::string field, std::string message) {
    failure f(make_error_code(code), field + ": " + message, "Invalid");
    f.causes.push_back({std::move(field), "FieldValueInvalid", std::move(message)});
    return f;
}

inline std::string quoted(std::string_view s) { return transform::detail::go_quote(s); }


/// One sync's rendering state.
class applier {
public:
    applier(template_cache& cache, template_owner const& owner, secret_map const& data, templated_target& out)
        : cache_(cache), owner_(owner), out_(out) {
        string_map_type m;
        for (auto const& [k, v] : data) m.emplace(k, text(v.reveal()));
        data_ = value::string_map(std::move(m));
    }

    /// ESO's valueScopeApply: each template under its own key.
    result<void, failure> values(std::map<std::string, std::string> const& templates, ::esx::spec::template_target target,
                                 ::esx::spec::decoding_strategy decoding, std::string const& field) {
        for (auto const& [key, source] : templates) {
            auto f = values_one(key, source, target, decoding, field + "[" + key + "]");
            if (!f) return f;
        }
        return {};
    }

    result<void, failure> values_one(std::string const& key, std::string_view source, ::esx::spec::template_target target,
                                     ::esx::spec::decoding_strategy decoding, std::string const& field) {
        auto rendered = render(key, source, field);
        if (!rendered) return rendered.error();
        return put(key, rendered->to_secret(), target, decoding, field);
    }

    /// ESO's mapScopeApply: the template (named after its own text, as ESO names it) renders
    /// a YAML map of keys to values.
    result<void, failure> keys_and_values(std::string_view source, ::esx::spec::template_target target,
                                          ::esx::spec::decoding_strategy decoding, std::string const& field) {
        auto rendered = render(source, source, field);
        if (!rendered) return rendered.error();
        auto docs = yaml_documents(rendered->view());
        std::string const prefix = "could not unmarshal template to 'map[string][]byte': ";
        if (!docs) return field_failure(error::invalid_target, field, prefix + docs.error().what());
        if (docs->empty() || docs->front().is_null()) return {};
        auto const& doc = docs->front();
        auto json_kind = [](boost::json::value const& v) -> std::string {
            if (v.is_bool()) return "bool";
            if (v.is_number()) return "number";
            if (v.is_array()) return "array";
            if (v.is_object()) return "object";
            return "string";
        };
        if (!doc.is_object())
            return field_failure(error::invalid_target, field,
                                 prefix + "json: cannot unmarshal " + json_kind(doc) +
                                     " into Go value of type map[string]string");
        for (auto const& [k, v] : doc.get_object()) {
            if (!v.is_string() && !v.is_null())
                return field_failure(error::invalid_target, field,
                                     prefix + "json: cannot unmarshal " + json_kind(v) + " into Go value of type string");
        }
        for (auto const& [k, v] : doc.get_object()) {
            std::string key(k);
            secret_bytes value;
            if (v.is_string()) value = secret_bytes(std::string_view(v.get_string()));
            auto ok = put(key, std::move(value), target, decoding, field);
            if (!ok) return ok;
        }
        return {};
    }

private:
    result<text, failure> render(std::string_view name, std::string_view source, std::string const& field) {
        auto t = cache_.get(owner_.id, owner_.generation, name, source);
        if (!t)
            return field_failure(t.error() == error::limit_exceeded ? error::limit_exceeded : error::parse_failed, field,
                                 "unable to parse template at key " + std::string(name) + ": " + t.error().what());
        auto r = t->render(data_);
        if (!r) {
            auto const code = r.error() == error::limit_exceeded ? error::limit_exceeded
                            : r.error() == error::function_failed ? error::function_failed
                                                                  : error::execution_failed;
            return field_failure(code, field,
                                 "unable to execute template at key " + std::string(name) + ": " + r.error().what());
        }
        return std::move(*r);
    }

    result<void, failure> put(std::string const& key, secret_bytes value, ::esx::spec::template_target target,
                              ::esx::spec::decoding_strategy decoding, std::string const& field) {
        auto decoded = transform::decode(decoding, std::move(value));
        if (!decoded)
            return field_failure(error::invalid_target, field,
                                 "failed to decode rendered template value for key " + key + ": " + decoded.error().what());
        switch (target) {
        case ::esx::spec::template_target::data:
            out_.data.insert_or_assign(key, std::move(*decoded));
            out_.origin.insert_or_assign(key, field);
            break;
        case ::esx::spec::template_target::labels: out_.labels.insert_or_assign(key, std::string(decoded->reveal())); break;
        case ::esx::spec::template_target::annotations:
            out_.annotations.insert_or_assign(key, std::string(decoded->reveal()));
            break;
        }
        return {};
    }

    template_cache& cache_;
    template_owner const& owner_;
    templated_target& out_;
    value data_;
};

} // namespace detail::target_impl

ESX_DECL result<void, failure> check_template(::esx::spec::secret_template const& tpl) {
    using detail::target_impl::field_failure;
    using detail::target_impl::quoted;
    if (tpl.engine_version != "v2")
        return field_failure(error::unsupported, "spec.target.template.engineVersion",
                             "unsupported template engine version: " + tpl.engine_version +
                                 " (esx implements ESO's template engine v2: set engineVersion: v2 and use Go "
                                 "text/template syntax)");
    constexpr std::string_view sa_token = "kubernetes.io/service-account-token";
    constexpr std::string_view sa_name = "kubernetes.io/service-account.name";
    constexpr std::string_view bootstrap = "bootstrap.kubernetes.io/token";
    if (tpl.type == sa_token) {
        if (tpl.metadata.annotations.contains(std::string(sa_name)))
            return field_failure(error::invalid_target, "spec.target.template.type",
                                 "template.type=" + quoted(sa_token) + " with annotation " + quoted(sa_name) +
                                     " is not allowed");
        for (std::size_t i = 0; i < tpl.from.size(); ++i)
            if (tpl.from[i].target == ::esx::spec::template_target::annotations)
                return field_failure(error::invalid_target, "spec.target.template.type",
                                     "template.type=" + quoted(sa_token) + " with templateFrom target=" +
                                         quoted("Annotations") + " is not allowed");
    }
    if (tpl.type == bootstrap)
        return field_failure(error::invalid_target, "spec.target.template.type",
                             "template.type=" + quoted(bootstrap) + " is not allowed");
    return {};
}

ESX_DECL result<templated_target, failure> apply_template(::esx::spec::secret_template const& tpl, secret_map const& data,
                                                          std::map<std::string, std::string> const& origin,
                                                          std::vector<template_from_items> const& from,
                                                          template_cache& cache, template_owner const& owner) {
    if (auto ok = check_template(tpl); !ok) return ok.error();
    templated_target out;
    if (!tpl.type.empty()) out.type = tpl.type;
    bool const no_templates = tpl.data.empty() && tpl.from.empty();
    if (tpl.merge_policy == ::esx::spec::template_merge_policy::merge || no_templates) {
        for (auto const& [k, v] : data) {
            out.data.insert_or_assign(k, v);
            if (auto it = origin.find(k); it != origin.end()) out.origin.insert_or_assign(k, it->second);
        }
    }
    detail::target_impl::applier a(cache, owner, data, out);
    for (std::size_t i = 0; i < tpl.from.size(); ++i) {
        auto const& f = tpl.from[i];
        std::string const field = "spec.target.template.templateFrom[" + std::to_string(i) + "]";
        static template_from_items const none;
        auto const& items = i < from.size() ? from[i] : none;
        auto apply_ref = [&](::esx::spec::template_ref const& ref, std::string const& kind) -> result<void, failure> {
            for (std::size_t j = 0; j < ref.items.size(); ++j) {
                auto const& item = ref.items[j];
                std::string const item_field = field + "." + kind + ".items[" + std::to_string(j) + "]";
                auto it = items.find(item.key);
                if (it == items.end())
                    return detail::target_impl::field_failure(
                        error::invalid_target, item_field,
                        "error in " + std::string(kind == "configMap" ? "configmap " : "secret ") + ref.name +
                            ": missing key " + item.key);
                auto const source = it->second.reveal();
                auto ok = item.template_as == ::esx::spec::template_scope::values
                              ? a.values_one(item.key, source, f.target, f.values_decoding, item_field)
                              : a.keys_and_values(source, f.target, f.values_decoding, item_field);
                if (!ok) return ok;
            }
            return {};
        };
        if (f.config_map)
            if (auto ok = apply_ref(*f.config_map, "configMap"); !ok) return ok.error();
        if (f.secret)
            if (auto ok = apply_ref(*f.secret, "secret"); !ok) return ok.error();
        if (f.literal)
            if (auto ok = a.keys_and_values(*f.literal, f.target, f.values_decoding, field + ".literal"); !ok)
                return ok.error();
    }
    if (auto ok = a.values(tpl.data, ::esx::spec::template_target::data, ::esx::spec::decoding_strategy::none, "spec.target.template.data");
        !ok)
        return ok.error();
    if (auto ok = a.values(tpl.metadata.labels, ::esx::spec::template_target::labels, ::esx::spec::decoding_strategy::none,
                           "spec.target.template.metadata.labels");
        !ok)
        return ok.error();
    if (auto ok = a.values(tpl.metadata.annotations, ::esx::spec::template_target::annotations, ::esx::spec::decoding_strategy::none,
                           "spec.target.template.metadata.annotations");
        !ok)
        return ok.error();
    out.finalizers = tpl.metadata.finalizers;
    return out;
}

} // namespace esx::transform::templating

#endif
