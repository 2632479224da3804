// esx::transform::secret_map: the keys and values an ExternalSecret produces, before a sink
// writes them. Ordered by key, as a Kubernetes Secret's `data` and ESO's Go maps print.
#ifndef ESX_TRANSFORM_SECRET_MAP_HPP
#define ESX_TRANSFORM_SECRET_MAP_HPP

#include <esx/secret.hpp>

#include <map>
#include <string>

namespace esx::transform {

/// Secret key -> value. Keys are names (safe to log); values are `secret_bytes` (never).
using secret_map = std::map<std::string, secret_bytes>;

} // namespace esx::transform

#endif
