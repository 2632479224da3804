// esx mocks/kube: labelSelector and fieldSelector of list, watch and deletecollection.
#ifndef ESX_MOCKS_KUBE_SELECTORS_HPP
#define ESX_MOCKS_KUBE_SELECTORS_HPP

#include "resource.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace esx::mocks::kube::detail {

struct label_requirement {
    enum op_t { eq, ne, in, notin, exists, not_exists } op;
    std::string key;
    std::vector<std::string> values;
};

// labelSelector: a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a; comma-separated.
// Throws api_error (400) when malformed.
std::vector<label_requirement> parse_label_selector(std::string const& s);
bool labels_match(std::vector<label_requirement> const& sel, json::object const& obj);

struct field_requirement {
    std::string field;
    bool equal;
    std::string value;
};

// fieldSelector: f=v, f==v, f!=v over the fields `ri` can select (metadata.name and
// metadata.namespace for all; a few more per built-in type). Throws api_error (400).
std::vector<field_requirement> parse_field_selector(std::string const& s, resource_info const& ri);
bool fields_match(std::vector<field_requirement> const& sel, json::object const& obj);

}  // namespace esx::mocks::kube::detail

#endif
