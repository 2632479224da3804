// esx::transform::templating::function (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_FUNCTION_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_FUNCTION_IPP

#include <esx/transform/template/error.hpp>
#include <esx/transform/template/function.hpp>

namespace esx::transform::templating {

ESX_DECL std::string_view go_type_name(param p) noexcept {
    switch (p) {
    case param::any: return "interface {}";
    case param::boolean: return "bool";
    case param::integer: return "int";
    case param::int64: return "int64";
    case param::float64: return "float64";
    case param::string: return "string";
    case param::bytes: return "[]uint8";
    case param::list: return "[]interface {}";
    case param::string_list: return "[]string";
    case param::dict: return "map[string]interface {}";
    case param::string_map: return "map[string]string";
    case param::time: return "time.Time";
    }
    return "?";
}

ESX_DECL failure output_limit_failure(std::size_t limit) {
    return failure(make_error_code(error::limit_exceeded),
                   "result exceeds the limit of " + std::to_string(limit) + " bytes for a string");
}

ESX_DECL void function_table::add(std::string name, signature sig, implementation call) {
    functions_.insert_or_assign(std::move(name), function{std::move(sig), std::move(call)});
}

ESX_DECL function const* function_table::find(std::string_view name) const noexcept {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : &it->second;
}

ESX_DECL void function_table::remove(std::string_view name) {
    if (auto it = functions_.find(name); it != functions_.end()) functions_.erase(it);
}

ESX_DECL std::vector<std::string> function_table::names() const {
    std::vector<std::string> out;
    out.reserve(functions_.size());
    for (auto const& [name, f] : functions_) out.push_back(name);
    return out;
}

ESX_DECL failure wrong_arg_count(std::string_view name, std::size_t want, std::size_t got) {
    return failure(make_error_code(error::execution_failed),
                   "wrong number of args for " + std::string(name) + ": want " + std::to_string(want) + " got " +
                       std::to_string(got));
}

ESX_DECL failure wrong_arg_count_at_least(std::string_view name, std::size_t want, std::size_t got) {
    return failure(make_error_code(error::execution_failed),
                   "wrong number of args for " + std::string(name) + ": want at least " + std::to_string(want) +
                       " got " + std::to_string(got));
}

ESX_DECL failure wrong_type(std::string_view expected, value const& got) {
    return failure(make_error_code(error::execution_failed),
                   "wrong type for value; expected " + std::string(expected) + "; got " +
                       std::string(go_type_name(got.kind())));
}

ESX_DECL failure go_error(std::string message) {
    return failure(make_error_code(error::function_failed), std::move(message));
}

} // namespace esx::transform::templating

#endif
