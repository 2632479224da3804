// esx::transform::templating::functions: every function an ESO v2 template may call besides
// text/template's builtins: ESO's own and the Sprig v3 set ESO vendors.
//
// Never registered, by design: `env`, `expandenv`, `getHostByName`, and anything else that
// reads files, the network, the cluster or the process environment. A template calling one
// fails to parse with Go's `function "env" not defined`.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_ALL_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_ALL_HPP

#include <esx/transform/template/functions/eso.hpp>
#include <esx/transform/template/functions/sprig.hpp>

namespace esx::transform::templating::functions {

/// Adds Sprig's functions, then ESO's (ESO's win where names meet, as in ESO's FuncMap).
inline void add_all_functions(function_table& table) {
    add_sprig_functions(table);
    add_eso_functions(table);
}

} // namespace esx::transform::templating::functions

#endif
