// esx::transform::templating: ESO's `target.template` applied to a sync's data.
//
// ESO's ApplyTemplate (pkg/controllers/externalsecret/externalsecret_controller_template.go,
// pkg/controllers/templating/parser.go, runtime/template/v2/template.go), in its order:
//  1. the restrictions first (`ValidateSecretTemplate`), before anything is rendered:
//     `kubernetes.io/service-account-token` with the annotation
//     `kubernetes.io/service-account.name` or with `templateFrom` target Annotations, and
//     `bootstrap.kubernetes.io/token`, are refused; so is an engine other than v2;
//  2. `type` when set;
//  3. the provider's data when `mergePolicy: Merge` or the template has neither `data` nor
//     `templateFrom`;
//  4. each `templateFrom[]` in order: a ConfigMap's or Secret's items (of the ExternalSecret's
//     namespace, fetched by the caller) or a `literal`; `templateAs: Values` renders each item
//     under its key, `KeysAndValues` renders the item into a YAML map of keys to values; the
//     results go to the target's data, labels or annotations, each value decoded with
//     `valuesDecodingStrategy`;
//  5. `data` (highest precedence for data);
//  6. `metadata.labels` and `metadata.annotations`, whose values are templates too;
//     `metadata.finalizers` are copied.
// Every template sees the provider's data as a map[string]string (`{{ .key }}`), ESO's
// `missingkey=error`, and the bounds of the cache's options. Templates are compiled once per
// ExternalSecret generation (`template_cache`).
#ifndef ESX_TRANSFORM_TEMPLATE_TARGET_HPP
#define ESX_TRANSFORM_TEMPLATE_TARGET_HPP

#include <esx/spec/external_secret.hpp>
#include <esx/transform/secret_map.hpp>
#include <esx/transform/template/cache.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace esx::transform::templating {

/// ESO's template restrictions (step 1). Errors name the field:
/// `spec.target.template.type: template.type="bootstrap.kubernetes.io/token" is not allowed`,
/// `spec.target.template.engineVersion: unsupported template engine version: v1 ...`.
ESX_DECL result<void, failure> check_template(::esx::spec::secret_template const& tpl);

/// What `templateFrom[i]` of kind configMap or secret names, read by the caller from the
/// ExternalSecret's namespace: item key -> the item's text. Empty for a `literal`.
using template_from_items = std::map<std::string, secret_bytes>;

/// Who the templates belong to, for the cache: an ExternalSecret at a generation.
struct template_owner {
    std::string id;              ///< `namespace/name`
    std::int64_t generation = 0; ///< `metadata.generation`
};

/// The target after the template.
struct templated_target {
    std::optional<std::string> type;  ///< `template.type`, when set
    secret_map data;
    std::map<std::string, std::string> labels, annotations;  ///< rendered
    std::vector<std::string> finalizers;
    /// For each data key, the field that wrote it last (`spec.target.template.data[tls.crt]`,
    /// `spec.data[0] (key: ...)` for provider data kept by `mergePolicy: Merge`).
    std::map<std::string, std::string> origin;
};

/** Applies `tpl` (steps 1-6) to the provider's `data` (with `origin`, where each key came
    from). `from` holds, for each `tpl.from[i]`, the items the caller fetched.
    @par Errors the restrictions; a template that does not parse or render (the field, then
    ESO's `unable to parse template at key K: template: K:1:3: ...` or `unable to execute
    template at key K: ...`); a KeysAndValues result that is not a YAML map of strings; a
    value `valuesDecodingStrategy` cannot decode. Never a value. */
ESX_DECL result<templated_target, failure> apply_template(::esx::spec::secret_template const& tpl, secret_map const& data,
                                                          std::map<std::string, std::string> const& origin,
                                                          std::vector<template_from_items> const& from,
                                                          template_cache& cache, template_owner const& owner);

} // namespace esx::transform::templating

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/target.ipp>
#endif

#endif
