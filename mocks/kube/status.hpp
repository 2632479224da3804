// esx mocks/kube: non-2xx answers as kube-apiserver builds them (a meta/v1 Status with a
// reason, a message worded as the real server words it, and details), thrown as values of
// api_error by the handlers and turned into the response by api_handler::handle.
#ifndef ESX_MOCKS_KUBE_STATUS_HPP
#define ESX_MOCKS_KUBE_STATUS_HPP

#include "resource.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

namespace esx::mocks::kube::detail {

struct api_error {
    unsigned code;
    json::object status;
    std::vector<std::pair<std::string, std::string>> headers;
};

// One entry of details.causes of a 422 Invalid.
struct cause {
    std::string reason;   // FieldValueInvalid, FieldValueRequired, ...
    std::string message;  // e.g. Invalid value: "x": ...
    std::string field;
};

api_error make_error(unsigned code, std::string reason, std::string message, json::object details = {});
api_error bad_request(std::string message);
api_error not_found_path();  // no such URL (404 page not found)

json::object name_details(resource_info const& ri, std::string const& name);
api_error not_found(resource_info const& ri, std::string const& name);
api_error already_exists(resource_info const& ri, std::string const& name);
api_error conflict(resource_info const& ri, std::string const& name,
                   std::string const& why = "the object has been modified; please apply your changes to the latest "
                                            "version and try again");
// 422 Invalid: "<Kind>.<group> \"name\" is invalid: field: message[, ...]" with details.causes.
api_error invalid(resource_info const& ri, std::string const& name, std::vector<cause> const& causes);

}  // namespace esx::mocks::kube::detail

#endif
