// esx::controller: ESO's ExternalSecret finalizer (`deletionPolicy: Delete`).
//
// ESO 2.9 puts `externalsecrets.external-secrets.io/externalsecret-cleanup` on every
// ExternalSecret; when one is deleted with `deletionPolicy: Delete` it deletes the target
// Secret if the ExternalSecret controls it (`metav1.IsControlledBy`: the controller
// ownerReference carries the ExternalSecret's uid), then removes the finalizer.
//
// esx adds the finalizer only where it has work to do, `deletionPolicy: Delete`: one PATCH
// per such ExternalSecret instead of one per ExternalSecret on a cold start, and deleting an
// ExternalSecret does not hang while no controller runs. A finalizer found on any
// ExternalSecret (ESO's, or from a policy changed since) is honoured and removed on deletion.
//
// Finalizer writes are merge PATCHes carrying the `resourceVersion` the cache holds, so a
// concurrent change of the list (another controller's finalizer) is a 409 and retried, never
// overwritten.
#ifndef ESX_CONTROLLER_FINALIZER_HPP
#define ESX_CONTROLLER_FINALIZER_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/kube/resource.hpp>
#include <esx/kube/verbs.hpp>
#include <esx/sink/detail/secret_json.hpp>
#include <esx/spec/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace esx::controller {

inline constexpr std::string_view external_secret_finalizer = "externalsecrets.external-secrets.io/externalsecret-cleanup";

/// Whether `meta.finalizers` holds `finalizer`.
ESX_DECL bool has_finalizer(spec::object_meta const& meta, std::string_view finalizer);

/// The merge patch that sets `metadata.finalizers` to `meta`'s plus (`add`) or minus
/// (`!add`) `finalizer`, conditional on `meta.resourceVersion`.
ESX_DECL boost::json::object finalizer_patch(spec::object_meta const& meta, std::string_view finalizer, bool add);

/// `metav1.IsControlledBy`: `object`'s controller ownerReference has `owner_uid`.
ESX_DECL bool controlled_by(boost::json::object const& object, std::string_view owner_uid);

/// What the deletion of a target Secret did.
enum class cleanup_result { deleted, absent, not_controlled };

/** Deletes Secret `ns/name` if the object with `owner_uid` controls it (conditionally on the
    Secret's uid, so a Secret re-created meanwhile is left alone). Never reads more than the
    Secret's metadata into anything that outlives the call; its data is wiped. */
template <class Kube>
boost::asio::awaitable<result<cleanup_result, failure>> delete_controlled_secret(Kube& kube, std::string ns,
                                                                                 std::string name,
                                                                                 std::string owner_uid) {
    auto got = co_await kube.get(kube::resources::secrets, ns, name);
    if (!got) {
        if (got.error() == condition::not_found) co_return cleanup_result::absent;
        failure f = got.error();
        f.message = "could not delete secret: could not read Secret " + ns + "/" + name + ": " + f.what();
        co_return f;
    }
    sink::detail::wipe_data(*got);
    if (owner_uid.empty() || !controlled_by(*got, owner_uid)) co_return cleanup_result::not_controlled;
    std::string uid;
    if (auto const* m = got->if_contains("metadata"); m && m->is_object())
        if (auto const* u = m->as_object().if_contains("uid"); u && u->is_string()) uid = std::string(u->as_string());
    kube::delete_options d;
    d.preconditions = kube::delete_preconditions{uid, {}};
    auto gone = co_await kube.remove(kube::resources::secrets, ns, name, d);
    if (gone || gone.error() == condition::not_found) co_return cleanup_result::deleted;
    failure f = gone.error();
    f.message = "could not delete secret: Secret " + ns + "/" + name + ": " + f.what();
    co_return f;
}

} // namespace esx::controller

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/finalizer.ipp>
#endif

#endif
