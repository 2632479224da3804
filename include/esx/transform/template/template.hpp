// esx::transform::templating::compiled_template: one parsed Go template, ready to render.
//
//     auto functions = templating::eso_functions();              // Sprig + ESO's, see registry.hpp
//     auto t = templating::compiled_template::parse("tls.crt", "{{ .cert | b64dec }}", functions);
//     if (!t) return t.error();                                  // template: tls.crt:1:9: ...
//     auto out = t->render(templating::value::string_map(data)); // result<text, failure>
//
// Parsing checks everything Go checks before running (syntax, known functions, declared
// variables). A compiled template is immutable and cheap to copy (shared): render it any
// number of times, from any number of threads. Each render is bounded by `options::limits`.
#ifndef ESX_TRANSFORM_TEMPLATE_TEMPLATE_HPP
#define ESX_TRANSFORM_TEMPLATE_TEMPLATE_HPP

#include <esx/transform/template/error.hpp>
#include <esx/transform/template/function.hpp>
#include <esx/transform/template/options.hpp>
#include <esx/transform/template/value.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace esx::transform::templating {

class compiled_template {
public:
    /// Parses `text` as the template `name` (ESO names each template after the key it
    /// renders; errors show it). `functions` may be null: only Go's builtins then.
    static result<compiled_template, failure> parse(std::string name, std::string text,
                                                    std::shared_ptr<function_table const> functions,
                                                    options opts);
    static result<compiled_template, failure> parse(std::string name, std::string text,
                                                    std::shared_ptr<function_table const> functions);

    /// Executes the template with `data` as dot (ESO: a map[string]string of the secret's
    /// values). Fails with Go's execution error text, or `error::limit_exceeded`.
    result<text, failure> render(value const& data) const;

    std::string const& name() const noexcept;
    /// The template text it was parsed from.
    std::string const& source() const noexcept;

private:
    struct state;
    explicit compiled_template(std::shared_ptr<state const> s) : state_(std::move(s)) {}
    std::shared_ptr<state const> state_;
};

} // namespace esx::transform::templating

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/template.ipp>
#endif

#endif
