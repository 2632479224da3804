// esx::spec: ESO resources from and to Boost.JSON values.
//
// Reading checks what a structural CRD schema checks — JSON types, enum values, required
// fields, unknown fields — and reports every problem of the document at once, each as a
// `failure_cause{field = JSON path, message = reason}`. The rules ESO's admission webhook and esx
// add on top are in <esx/spec/validate.hpp>; <esx/spec/parse.hpp> does both.
//
// Writing uses ESO's field names and leaves out what is unset, so `read(to_json(x)) == x`.
// `boost::json::value_from(x)` and `boost::json::try_value_to<T>(v)` work through tag_invoke.
#ifndef ESX_SPEC_JSON_HPP
#define ESX_SPEC_JSON_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/spec/detail/reader.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/spec/store.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace esx::spec {

inline constexpr std::string_view group = "external-secrets.io";
inline constexpr std::string_view api_v1 = "external-secrets.io/v1";
inline constexpr std::string_view api_v1beta1 = "external-secrets.io/v1beta1";

/// A `SecretStore` or `ClusterSecretStore` document.
ESX_DECL result<secret_store, failure> read_secret_store(boost::json::value const& doc);
/// An `ExternalSecret` document.
ESX_DECL result<external_secret, failure> read_external_secret(boost::json::value const& doc);
/// A `ClusterExternalSecret` document.
ESX_DECL result<cluster_external_secret, failure> read_cluster_external_secret(boost::json::value const& doc);

/// The resource as ESO's API would show it (`apiVersion`, `kind`, `metadata`, `spec`).
ESX_DECL boost::json::value to_json(secret_store const& s);
ESX_DECL boost::json::value to_json(external_secret const& es);
ESX_DECL boost::json::value to_json(cluster_external_secret const& ces);

/// `spec` alone, e.g. for a ClusterExternalSecret's child or a merge patch.
ESX_DECL boost::json::value to_json(external_secret_spec const& spec);

namespace detail {
/// The readers behind the functions above: best-effort values plus every problem found.
ESX_DECL secret_store read_secret_store(boost::json::value const& doc, problems& p);
ESX_DECL external_secret read_external_secret(boost::json::value const& doc, problems& p);
ESX_DECL cluster_external_secret read_cluster_external_secret(boost::json::value const& doc, problems& p);

/// One failure from many causes: the message is every `path: reason`, one per line.
ESX_DECL failure to_failure(problems&& p);
} // namespace detail

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, secret_store const& s) { jv = to_json(s); }
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, external_secret const& s) { jv = to_json(s); }
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, cluster_external_secret const& s) {
    jv = to_json(s);
}

/// `try_value_to` keeps only the code; use `read_*` for the field-by-field reasons.
inline boost::json::result<secret_store> tag_invoke(boost::json::try_value_to_tag<secret_store>,
                                                    boost::json::value const& jv) {
    auto r = read_secret_store(jv);
    if (!r) return r.error().code;
    return std::move(*r);
}
inline boost::json::result<external_secret> tag_invoke(boost::json::try_value_to_tag<external_secret>,
                                                       boost::json::value const& jv) {
    auto r = read_external_secret(jv);
    if (!r) return r.error().code;
    return std::move(*r);
}
inline boost::json::result<cluster_external_secret> tag_invoke(
    boost::json::try_value_to_tag<cluster_external_secret>, boost::json::value const& jv) {
    auto r = read_cluster_external_secret(jv);
    if (!r) return r.error().code;
    return std::move(*r);
}

} // namespace esx::spec

#if ESX_HEADER_ONLY
#  include <esx/spec/impl/read.ipp>
#  include <esx/spec/impl/write.ipp>
#endif

#endif
