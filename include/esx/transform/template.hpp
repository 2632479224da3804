// esx::transform::templating: ESO's `target.template` engine: Go's text/template language
// (parser, executor, builtins, bounds), the Sprig and ESO functions, the per-generation
// cache of compiled templates, and the application of a template to a sync's target.
#ifndef ESX_TRANSFORM_TEMPLATE_HPP
#define ESX_TRANSFORM_TEMPLATE_HPP

#include <esx/transform/template/cache.hpp>
#include <esx/transform/template/error.hpp>
#include <esx/transform/template/function.hpp>
#include <esx/transform/template/options.hpp>
#include <esx/transform/template/registry.hpp>
#include <esx/transform/template/target.hpp>
#include <esx/transform/template/template.hpp>
#include <esx/transform/template/value.hpp>

#endif
