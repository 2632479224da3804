// esx::spec: YAML manifests as Boost.JSON values (the reader is <esx/yaml.hpp>, through yaml-cpp).
#ifndef ESX_SPEC_YAML_HPP
#define ESX_SPEC_YAML_HPP

#include <esx/yaml.hpp>

namespace esx::spec {

using esx::yaml_documents;
using esx::yaml_options;

} // namespace esx::spec

#endif
