// esx::transform::templating::compiled_template (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_TEMPLATE_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_TEMPLATE_IPP

#include <esx/transform/template/detail/evaluator.hpp>
#include <esx/transform/template/detail/parser.hpp>
#include <esx/transform/template/template.hpp>

namespace esx::transform::templating {

struct compiled_template::state {
    std::string name;
    std::string text;  ///< the source: node positions and error locations refer to it
    std::shared_ptr<function_table const> functions;  ///< nodes point into it
    options opts;
    detail::tree_set trees;
};

ESX_DECL result<compiled_template, failure> compiled_template::parse(std::string name, std::string text,
                                                                     std::shared_ptr<function_table const> functions) {
    return parse(std::move(name), std::move(text), std::move(functions), options{});
}

ESX_DECL result<compiled_template, failure> compiled_template::parse(std::string name, std::string text,
                                                                     std::shared_ptr<function_table const> functions,
                                                                     options opts) {
    auto s = std::make_shared<state>();
    s->name = std::move(name);
    s->text = std::move(text);
    s->functions = std::move(functions);
    s->opts = std::move(opts);
    if (s->text.size() > s->opts.limits.max_source_bytes)
        return failure(make_error_code(error::limit_exceeded),
                       "template: " + s->name + ": the template is longer than " +
                           std::to_string(s->opts.limits.max_source_bytes) + " bytes");
    detail::parse_request request;
    request.name = s->name;
    request.text = s->text;
    request.left_delim = s->opts.left_delim;
    request.right_delim = s->opts.right_delim;
    request.functions = s->functions.get();
    request.max_nesting = s->opts.limits.max_depth;
    auto trees = detail::parse(request);
    if (!trees) return trees.error();
    s->trees = std::move(*trees);
    return compiled_template(std::move(s));
}

ESX_DECL result<text, failure> compiled_template::render(value const& data) const {
    detail::execution what{state_->trees, state_->name, state_->text, state_->opts};
    return detail::execute(what, data);
}

ESX_DECL std::string const& compiled_template::name() const noexcept { return state_->name; }
ESX_DECL std::string const& compiled_template::source() const noexcept { return state_->text; }

} // namespace esx::transform::templating

#endif
