// esx::kube: turning an API server error (a `Status` object) into an `esx::failure`.
#ifndef ESX_KUBE_STATUS_HPP
#define ESX_KUBE_STATUS_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>

#include <string_view>

namespace esx::kube {

/** The failure for a non-2xx answer: `code = make_http_error(status)` (so 404 matches
    `condition::not_found`, 409 `condition::conflict`, 401 `auth_failed`, 403 `forbidden`,
    429 `throttled`, 5xx `retryable`), `message` and `reason` from the Status, and one cause per
    `details.causes` entry. A body that is not a Status gives the status line's words only:
    the body is never copied into the failure (it could echo a request's secret data). */
ESX_DECL failure status_failure(unsigned http_status, std::string_view body);

} // namespace esx::kube

#if ESX_HEADER_ONLY
#  include <esx/kube/impl/status.ipp>
#endif

#endif
