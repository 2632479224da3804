// esx::controller: the ExternalSecret reconciler's non-template parts (see <esx/controller/reconcile.hpp>).
#ifndef ESX_CONTROLLER_IMPL_RECONCILE_IPP
#define ESX_CONTROLLER_IMPL_RECONCILE_IPP

#include <esx/controller/reconcile.hpp>
#include <esx/sink/detail/secret_model.hpp>
#include <esx/transform/hash.hpp>

namespace esx::controller::detail {

ESX_DECL bool target_intact(boost::json::object const& secret) {
    auto model = sink::detail::secret_from_json(secret);
    if (!model) return false;
    auto const label = model->labels.find(std::string(sink::detail::managed_label));
    if (label == model->labels.end() || label->second != "true") return false;
    auto const hash = model->annotations.find(std::string(sink::detail::data_hash_annotation));
    return hash != model->annotations.end() && hash->second == transform::data_hash(model->data);
}

} // namespace esx::controller::detail

#endif
