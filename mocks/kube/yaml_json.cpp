// esx mocks/kube: YAML request bodies converted to JSON (see yaml_json.hpp).
#include "yaml_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace esx::mocks::kube {

namespace detail {

namespace {

boost::json::value plain_scalar(std::string const& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    std::int64_t i = 0;
    if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i); ec == std::errc{} && end == s.data() + s.size())
        return i;
    double d = 0;
    if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d); ec == std::errc{} && end == s.data() + s.size())
        return d;
    return boost::json::string(s);
}

boost::json::value to_json(YAML::Node const& n, int depth) {
    if (depth > 100) throw std::runtime_error("yaml: nesting too deep");
    switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return n.Tag() == "!" ? boost::json::value(boost::json::string(n.Scalar())) : plain_scalar(n.Scalar());
    case YAML::NodeType::Sequence: {
        boost::json::array a;
        for (auto const& item : n) a.push_back(to_json(item, depth + 1));
        return a;
    }
    case YAML::NodeType::Map: {
        boost::json::object o;
        for (auto const& kv : n) {
            if (!kv.first.IsScalar()) throw std::runtime_error("yaml: mapping keys must be scalars");
            o[kv.first.Scalar()] = to_json(kv.second, depth + 1);
        }
        return o;
    }
    }
    return nullptr;
}

}  // namespace

}  // namespace detail

boost::json::value yaml_to_json(std::string const& text) {
    try {
        return detail::to_json(YAML::Load(text), 0);
    } catch (YAML::Exception const& e) {
        throw std::runtime_error(std::string("yaml: ") + e.what());
    }
}

} // namespace esx::mocks::kube
