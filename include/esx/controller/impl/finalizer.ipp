// esx::controller: ESO's ExternalSecret finalizer (see <esx/controller/finalizer.hpp>).
#ifndef ESX_CONTROLLER_IMPL_FINALIZER_IPP
#define ESX_CONTROLLER_IMPL_FINALIZER_IPP

#include <esx/controller/finalizer.hpp>

#include <boost/json/array.hpp>

#include <algorithm>

namespace esx::controller {

ESX_DECL bool has_finalizer(spec::object_meta const& meta, std::string_view finalizer) {
    return std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) != meta.finalizers.end();
}

ESX_DECL boost::json::object finalizer_patch(spec::object_meta const& meta, std::string_view finalizer, bool add) {
    boost::json::array list;
    for (auto const& f : meta.finalizers)
        if (f != finalizer) list.emplace_back(f);
    if (add) list.emplace_back(finalizer);
    boost::json::object metadata{{"finalizers", std::move(list)}};
    if (!meta.resource_version.empty()) metadata["resourceVersion"] = meta.resource_version;
    return boost::json::object{{"metadata", std::move(metadata)}};
}

ESX_DECL bool controlled_by(boost::json::object const& object, std::string_view owner_uid) {
    auto const* m = object.if_contains("metadata");
    if (!m || !m->is_object()) return false;
    auto const* refs = m->as_object().if_contains("ownerReferences");
    if (!refs || !refs->is_array()) return false;
    for (auto const& r : refs->as_array()) {
        if (!r.is_object()) continue;
        auto const& o = r.as_object();
        auto const* controller = o.if_contains("controller");
        if (!controller || !controller->is_bool() || !controller->as_bool()) continue;
        auto const* uid = o.if_contains("uid");
        return uid && uid->is_string() && uid->as_string() == owner_uid;  // at most one controller
    }
    return false;
}

} // namespace esx::controller

#endif
