// esx::detail: the bytes ESO writes for one fetched object of kind `P`.
#ifndef ESX_PIPELINE_DETAIL_OBJECT_VALUE_HPP
#define ESX_PIPELINE_DETAIL_OBJECT_VALUE_HPP

#include <esx/object/kinds.hpp>
#include <esx/pipeline/read_cache.hpp>
#include <esx/transform/jwk.hpp>

#include <boost/json/string.hpp>

#include <type_traits>

namespace esx::detail {

/** What ESO writes for `o` read as kind `P`: a secret's value verbatim, a certificate's DER, a
    key's JWK in the member order of the store's SDK path (`useAzureSDK`: the new SDK's order;
    otherwise the legacy one), and for any other kind what `P::decode` makes of the bundle. */
template <class P>
result<secret_bytes, failure> object_value(P, fetched_object const& o, bool use_azure_sdk) {
    if constexpr (std::is_same_v<P, object::key>) {
        return transform::jwk_json(o.bundle, use_azure_sdk);
    } else if constexpr (std::is_same_v<P, object::secret>) {
        if (!o.has_value)
            return failure{make_error_code(object::error::malformed_bundle),
                           "secret bundle: member \"value\" is missing or not a string"};
        return o.value;
    } else {
        // The bundle as Key Vault sent it, for the kind's own decoder; the copy of the value is
        // wiped again.
        boost::json::object bundle = o.bundle;
        if (o.has_value) bundle["value"] = boost::json::string_view(o.value.reveal().data(), o.value.size());
        auto r = P::decode(bundle);
        if (auto* v = bundle.if_contains("value"); v && v->is_string())
            esx::detail::secure_wipe(v->get_string().data(), v->get_string().size());
        return r;
    }
}

} // namespace esx::detail

#endif
