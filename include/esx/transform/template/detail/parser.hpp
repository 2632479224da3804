// esx::transform::templating::detail::parse: Go text/template's parser.
//
// Builds the trees of one template text (the top-level one and every `define`/`block`),
// checking what Go checks at parse time: syntax, that every function exists (`function
// "env" not defined`), that variables are declared, that break/continue sit in a range.
// A failure's message is Go's, `template: <name>:<line>:<col>: <reason>` (Go prints no
// column; esx adds it, counted like Go's execution errors: bytes from the line's start).
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_PARSER_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_PARSER_HPP

#include <esx/transform/template/detail/ast.hpp>
#include <esx/transform/template/function.hpp>

#include <map>
#include <string>
#include <string_view>

namespace esx::transform::templating::detail {

/// Go's builtin of that name, or `builtin::none`.
ESX_DECL builtin find_builtin(std::string_view name) noexcept;

struct parse_request {
    std::string_view name;  ///< the template's name (ESO: the key it renders)
    std::string_view text;
    std::string_view left_delim = "{{";
    std::string_view right_delim = "}}";
    function_table const* functions = nullptr;
    std::size_t max_nesting = 100;  ///< parentheses plus control structures, one inside another
};

using tree_set = std::map<std::string, tree, std::less<>>;

ESX_DECL result<tree_set, failure> parse(parse_request const& request);

/// `<name>:<line>:<col>` of a byte offset, as Go's ErrorContext counts them.
ESX_DECL std::string location(std::string_view name, std::string_view text, std::size_t pos);

} // namespace esx::transform::templating::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/parser.ipp>
#endif

#endif
