// esx::controller::detail: the `Ready` condition of a store (or any ESO resource) as the API
// server holds it (JSON) and as the store reconciler compares and writes it.
#ifndef ESX_CONTROLLER_DETAIL_STORE_STATUS_HPP
#define ESX_CONTROLLER_DETAIL_STORE_STATUS_HPP

#include <esx/config.hpp>
#include <esx/controller/events.hpp>
#include <esx/spec/store.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace esx::controller::detail {

/// The condition of `type` in `status.conditions` of `status` (the `status` object), if any.
ESX_DECL std::optional<spec::status_condition> condition_of(boost::json::value const* status, std::string_view type);

/// `{type, status, reason, message, lastTransitionTime}`, leaving out what is empty.
ESX_DECL boost::json::object to_json(spec::status_condition const& c);

/// `c` with `lastTransitionTime` kept from `before` when the status value did not change, else `now`.
ESX_DECL spec::status_condition transition(spec::status_condition c, std::optional<spec::status_condition> const& before,
                                           std::chrono::system_clock::time_point now);

/// Same type, status, reason and message (the time does not make a condition different).
inline bool same_condition(std::optional<spec::status_condition> const& a, spec::status_condition const& b) {
    return a && a->type == b.type && a->status == b.status && a->reason == b.reason && a->message == b.message;
}

} // namespace esx::controller::detail

#if ESX_HEADER_ONLY
#  include <esx/controller/impl/store_status.ipp>
#endif

#endif
