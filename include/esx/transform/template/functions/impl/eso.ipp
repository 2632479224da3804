// esx::transform::templating::functions: ESO's functions in the function table (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_ESO_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_ESO_IPP

#include <esx/transform/template/functions/eso.hpp>
#include <esx/transform/template/functions/jwk.hpp>
#include <esx/transform/template/functions/pem.hpp>
#include <esx/transform/template/functions/pkcs12.hpp>
#include <esx/transform/template/functions/yaml.hpp>

namespace esx::transform::templating::functions {
namespace detail::eso_impl {

using args = std::span<value const>;

inline result<value, failure> text_result(call_context const& ctx, result<text, failure> r) {
    if (!r) return r.error();
    if (r->size() > ctx.max_string_bytes) return output_limit_failure(ctx.max_string_bytes);
    return value::string(std::move(*r));
}

} // namespace detail::eso_impl

ESX_DECL void add_eso_functions(function_table& t) {
    using namespace detail::eso_impl;
    using p = param;
    auto const s_err = [](std::initializer_list<param> ps) { return sig(ps, p::string, true); };

    t.add("pkcs12key", s_err({p::string}), [](call_context& c, args a) {
        return text_result(c, pkcs12_key(a[0].as_string(), ""));
    });
    t.add("pkcs12keyPass", s_err({p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, pkcs12_key(a[1].as_string(), a[0].as_string()));
    });
    t.add("pkcs12cert", s_err({p::string}), [](call_context& c, args a) {
        return text_result(c, pkcs12_cert(a[0].as_string(), ""));
    });
    t.add("pkcs12certPass", s_err({p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, pkcs12_cert(a[1].as_string(), a[0].as_string()));
    });
    t.add("pemToPkcs12", s_err({p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, pem_to_pkcs12(a[0].as_string(), a[1].as_string(), ""));
    });
    t.add("pemToPkcs12Pass", s_err({p::string, p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, pem_to_pkcs12(a[0].as_string(), a[1].as_string(), a[2].as_string()));
    });
    t.add("fullPemToPkcs12", s_err({p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, full_pem_to_pkcs12(a[0].as_string(), a[1].as_string(), ""));
    });
    t.add("fullPemToPkcs12Pass", s_err({p::string, p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, full_pem_to_pkcs12(a[0].as_string(), a[1].as_string(), a[2].as_string()));
    });
    t.add("filterPEM", s_err({p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, filter_pem(a[0].as_string(), a[1].as_string()));
    });
    t.add("filterCertChain", s_err({p::string, p::string}), [](call_context& c, args a) {
        return text_result(c, filter_cert_chain(a[0].as_string(), a[1].as_string()));
    });
    t.add("certSANs", sig({p::string}, p::string_list, true), [](call_context&, args a) -> result<value, failure> {
        auto sans = cert_sans(a[0].as_string());
        if (!sans) return sans.error();
        string_list_type out;
        for (auto& s : *sans) out.emplace_back(s);
        return value::string_list(std::move(out));
    });
    t.add("jwkPublicKeyPem", s_err({p::string}), [](call_context& c, args a) {
        return text_result(c, jwk_public_key_pem(a[0].as_string()));
    });
    t.add("jwkPrivateKeyPem", s_err({p::string}), [](call_context& c, args a) {
        return text_result(c, jwk_private_key_pem(a[0].as_string()));
    });
    t.add("toYaml", sig({p::any}, p::string), [](call_context& c, args a) -> result<value, failure> {
        auto out = to_yaml(a[0]);
        if (out.size() > c.max_string_bytes) return output_limit_failure(c.max_string_bytes);
        return value::string(std::move(out));
    });
    t.add("fromYaml", sig({p::string}, p::dict), [](call_context&, args a) -> result<value, failure> {
        return from_yaml(a[0].as_string());
    });
}

} // namespace esx::transform::templating::functions

#endif
