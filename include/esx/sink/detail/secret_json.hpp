// esx::sink::detail: a Secret between its JSON form (the API server's, kubectl's) and
// `secret_model`.
#ifndef ESX_SINK_DETAIL_SECRET_JSON_HPP
#define ESX_SINK_DETAIL_SECRET_JSON_HPP

#include <esx/failure.hpp>
#include <esx/sink/detail/secret_model.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace esx::sink::detail {

/// The model of a Secret the API server returned. Fails (naming the key, never the value)
/// when `data` holds something that is not base64.
ESX_DECL result<secret_model, failure> secret_from_json(boost::json::object const& o);

/// The data, label and annotation keys `manager` owns according to `metadata.managedFields`
/// (ESO's `getManagedDataKeys` and `GetManagedLabelKeys`/`GetManagedAnnotationKeys`).
ESX_DECL managed_keys managed_keys_from_json(boost::json::object const& o, std::string_view manager);

/// `base` (the Secret as read, or an empty object for a new one) with the model's content:
/// everything the model does not cover (uid, resourceVersion, finalizers, ...) is kept;
/// `managedFields` and `stringData` are dropped (the server keeps managedFields itself).
ESX_DECL boost::json::object secret_to_json(secret_model const& s, boost::json::object base);

/// Overwrites the base64 text of every `data` value in place (a JSON body held secrets).
ESX_DECL void wipe_data(boost::json::object& o) noexcept;

/** `v` as kubectl prints `-o json`: Go's `json.MarshalIndent(v, "", "    ")` of an
    unstructured object: object keys sorted bytewise at every level, 4-space indentation,
    `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c`..., `\b` `\f` `\n` `\r` `\t` short
    escapes, other control bytes as `\u00XX`, invalid UTF-8 as `\ufffd`; no trailing newline. */
ESX_DECL std::string kubectl_json(boost::json::value const& v);

} // namespace esx::sink::detail

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/secret_json.ipp>
#endif

#endif
