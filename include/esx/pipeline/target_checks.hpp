// esx: what Kubernetes (and ESO) would refuse in a target Secret, checked before any write.
//
// A sync that would fail at the API server must fail before the sink is called, with an error
// that names the ExternalSecret entry that produced the bad key or the big value, so that the
// existing Secret stays as it is and the user knows which line to fix.
#ifndef ESX_PIPELINE_TARGET_CHECKS_HPP
#define ESX_PIPELINE_TARGET_CHECKS_HPP

#include <esx/failure.hpp>
#include <esx/secret.hpp>
#include <esx/spec/external_secret.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace esx {

/// The most a Secret's data may hold: the sum of every key's and value's length (the API
/// server's `MaxSecretSize`).
inline constexpr std::size_t max_secret_size = 1024 * 1024;

/// Key names a Secret may have: 1-253 characters of `[-._a-zA-Z0-9]`, not `.` or `..`.
ESX_DECL bool is_valid_secret_key(std::string_view key) noexcept;

/** Checks the data a sync produced: key names, total size. `origin` names, per key, the entry
    that wrote it (`spec.data[1] (key: cert/api-tls)`), so the failure can say which entry to fix.
    @par Errors `error::invalid_option`: `spec.data[1] (key: x): secret key "a b" is not valid:
    ...`, `spec.dataFrom[0].find: the Secret would hold N bytes of data, more than the 1048576
    Kubernetes allows (key "big" alone holds M)`. Never a value. */
ESX_DECL result<void, failure> check_target_data(std::map<std::string, secret_bytes> const& data,
                                                 std::map<std::string, std::string> const& origin);

/** ESO's restrictions on the Secret type (`ValidateSecretTemplate`; GHSA-fq7h-9x26-6j22): a
    `kubernetes.io/service-account-token` Secret naming a ServiceAccount in
    `kubernetes.io/service-account.name` would make the API server mint a token for it, and a
    `bootstrap.kubernetes.io/token` Secret joins nodes to the cluster. */
ESX_DECL result<void, failure> check_target_type(std::string_view type,
                                                 std::map<std::string, std::string> const& annotations);

/** ESO's webhook rule for `data[]` (`validateDuplicateKeys`): with `deletionPolicy: Retain`
    two entries may not write the same `secretKey` (`duplicate secretKey found: X`, naming the
    second entry's field). Checked again here for ExternalSecrets that never met the webhook. */
ESX_DECL result<void, failure> check_duplicate_keys(spec::external_secret_spec const& spec);

} // namespace esx

#if ESX_HEADER_ONLY
#  include <esx/pipeline/impl/target_checks.ipp>
#endif

#endif
