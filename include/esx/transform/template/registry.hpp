// esx::transform::templating::eso_functions: the function table of ESO's v2 templates.
//
// Go's builtins (and, or, eq, index, printf, ...) are always there; this adds the Sprig v3
// functions ESO vendors and ESO's own (pkcs12key, filterPEM, jwkPublicKeyPem, toYaml, ...),
// see functions/all.hpp. Never `env`, `expandenv`, `getHostByName` or anything that reads
// files, the network or the cluster: a template naming them fails to parse
// (`function "env" not defined`).
#ifndef ESX_TRANSFORM_TEMPLATE_REGISTRY_HPP
#define ESX_TRANSFORM_TEMPLATE_REGISTRY_HPP

#include <esx/transform/template/function.hpp>
#include <esx/transform/template/functions/all.hpp>

#include <memory>

namespace esx::transform::templating {

/// The table, built once and shared (it is immutable).
inline std::shared_ptr<function_table const> eso_functions() {
    static std::shared_ptr<function_table const> const table = [] {
        auto t = std::make_shared<function_table>();
        functions::add_all_functions(*t);
        return std::shared_ptr<function_table const>(std::move(t));
    }();
    return table;
}

} // namespace esx::transform::templating

#endif
