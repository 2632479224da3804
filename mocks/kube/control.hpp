// esx mocks/kube: the control endpoint and fault injection (see README.md, "Control endpoint").
#ifndef ESX_MOCKS_KUBE_CONTROL_HPP
#define ESX_MOCKS_KUBE_CONTROL_HPP

#include "handler.hpp"
#include "state.hpp"

#include <deque>
#include <string>

namespace esx::mocks::kube::detail {

// A fault as POST /faults takes it; throws std::invalid_argument when malformed.
fault parse_fault(std::string const& text);

std::string records_json(std::deque<request_record> const& log);

// The API's front door: the first matching fault answers (or delays) the request, else the
// handler does. Call with the state's lock held.
http_reply with_faults(api_state& st, api_handler& handler, api_request const& req, request_record& rec);

// GET|DELETE /requests, POST|DELETE /faults, POST /drop-watches, GET /state.
http_reply control_request(api_state& st, api_request const& req);

}  // namespace esx::mocks::kube::detail

#endif
