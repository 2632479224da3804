// esx::transform::templating::detail::execute: Go text/template's executor.
//
// Walks a parsed template over a data value the way Go's exec.go does: Go's argument
// checks and conversions for every call (see function.hpp), `missingkey`, the builtins,
// variables and scopes, range over lists, maps (sorted keys) and integers with break and
// continue, template calls with a fresh variable scope, and the bounds of `options`.
// Failures carry Go's execution error text:
// `template: <name>:<line>:<col>: executing "<name>" at <<node>>: <reason>`.
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_EVALUATOR_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_EVALUATOR_HPP

#include <esx/transform/template/detail/parser.hpp>
#include <esx/transform/template/options.hpp>
#include <esx/transform/template/value.hpp>

namespace esx::transform::templating::detail {

struct execution {
    tree_set const& trees;
    std::string_view name;  ///< the top-level template (and the name errors show)
    std::string_view text;  ///< the source, for error positions
    options const& opts;
};

ESX_DECL result<text, failure> execute(execution const& what, value const& data);

} // namespace esx::transform::templating::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/evaluator.ipp>
#endif

#endif
