// esx mock kube: YAML request bodies, as the API server accepts them (application/yaml).
//
// The API server converts YAML to JSON before decoding (sigs.k8s.io/yaml); plain scalars get
// JSON's types (null, booleans, numbers), quoted ones stay strings.
#ifndef ESX_MOCKS_KUBE_YAML_JSON_HPP
#define ESX_MOCKS_KUBE_YAML_JSON_HPP

#include <boost/json/value.hpp>

#include <string>

namespace esx::mocks::kube {

/// Converts one YAML document to JSON. Throws std::runtime_error with the parser's message
/// (line and column) for malformed input.
boost::json::value yaml_to_json(std::string const& text);

} // namespace esx::mocks::kube

#endif
