// esx mocks/kube: loading the seed document (README.md, "Seed format").
#ifndef ESX_MOCKS_KUBE_SEED_HPP
#define ESX_MOCKS_KUBE_SEED_HPP

#include "handler.hpp"
#include "state.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace esx::mocks::kube::detail {

std::string default_seed_json();

// Loads users, groups, namespaces and objects into `st` (objects through `handler`, so they
// are validated like any write). `watch_window` overrides the seed's when non-zero. Returns
// the users that asked for a client certificate. Throws std::runtime_error naming what is
// wrong. Call with the state's lock held.
std::vector<std::string> load_seed(api_state& st, api_handler& handler, std::string const& text,
                                   std::size_t watch_window);

}  // namespace esx::mocks::kube::detail

#endif
