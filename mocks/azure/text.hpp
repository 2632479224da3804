// esx mocks/azure: small helpers every service of the mock uses: strings, base64url, percent
// encoding, query and form pairs, time, identifiers, JSON responses.
#ifndef ESX_MOCKS_AZURE_TEXT_HPP
#define ESX_MOCKS_AZURE_TEXT_HPP

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esx::mocks::azure::detail {

namespace json = boost::json;
namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

std::string lower(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::int64_t now_s();
std::string utc_stamp(std::int64_t t);  // "2006-01-02 15:04:05Z", as Entra ID prints times
std::string random_hex(std::size_t bytes);
std::string uuid();

std::string base64url(std::string_view in);
// Accepts base64url without padding (and, leniently, with '=' padding, which
// older azure-identity code paths emit). nullopt for any other character.
std::optional<std::string> base64url_decode(std::string_view in);
std::string base64_std(std::string_view in);

// Percent-decoding; with `plus_is_space` for form bodies. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);
std::string percent_encode(std::string_view in);

using params = std::multimap<std::string, std::string>;
// Parses "a=b&c=d". nullopt when an escape is malformed.
std::optional<params> parse_pairs(std::string_view s, bool plus_is_space);
std::optional<std::string> get(params const& p, std::string const& key);

response json_response(unsigned status, json::value const& body);

// Readers of the seed and of control requests: strict types, std::runtime_error naming the field.
std::string str_field(json::object const& o, char const* key, std::string const& def = {}, bool required = false);
std::optional<std::int64_t> int_field(json::object const& o, char const* key);
json::array const& arr_field(json::object const& o, char const* key);
json::object const& obj_of(json::value const& v, char const* what);  // `what`: the array it is an entry of

}  // namespace esx::mocks::azure::detail

#endif
