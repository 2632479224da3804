// esx::transform::templating::functions: ESO's own template functions (runtime/template/v2),
// registered with ESO's Go signatures: `pkcs12key pkcs12keyPass pkcs12cert pkcs12certPass
// pemToPkcs12 pemToPkcs12Pass fullPemToPkcs12 fullPemToPkcs12Pass filterPEM filterCertChain
// certSANs jwkPublicKeyPem jwkPrivateKeyPem toYaml fromYaml`. ESO's `pemTruststoreToPKCS12`,
// `pemTruststoreToPKCS12Pass` and `rsaDecrypt` are not offered (a template naming them fails
// to parse with `function "rsaDecrypt" not defined`).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_ESO_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_ESO_HPP

#include <esx/transform/template/function.hpp>

namespace esx::transform::templating::functions {

ESX_DECL void add_eso_functions(function_table& table);

} // namespace esx::transform::templating::functions

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/eso.ipp>
#endif

#endif
