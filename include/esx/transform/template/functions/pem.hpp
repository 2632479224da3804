// esx::transform::templating::functions: ESO's PEM and certificate-chain template functions
// (`filterPEM`, `filterCertChain`, `certSANs`), with ESO's exact selection rules.
//
// Input is text that holds PEM blocks, perhaps with junk around them (ESO trims what comes
// before the first `-----BEGIN`). Certificates are public, but `filterPEM` also moves private
// keys, so results live in wiping memory. Failure messages are ESO's (Go's) texts and never
// contain input bytes.
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_PEM_HPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_PEM_HPP

#include <esx/transform/template/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace esx::transform::templating::functions {

/** `filterPEM TYPE input`: the blocks of `input` whose type equals `pem_type` ignoring case,
    each re-encoded as Go's `pem.Encode` writes it (headers kept, 64-column lines), in input
    order. Text before the first `-----BEGIN` is ignored; no match is the empty string.
    @par Errors `error filtering pem: found junk` when nothing matched and text after the
    blocks could not be decoded. */
ESX_DECL result<text, failure> filter_pem(std::string_view pem_type, std::string_view input);

/** ESO's chain ordering (`fetchCertChains`): every PEM block parsed as a certificate, each
    linked to the one whose subject key id equals its authority key id, then walked from the
    only certificate no other names as issuer (the leaf) up to the root; returns the
    certificates in that order as PEM. Certificates off that path are dropped.
    @par Errors Go's x509 parse error for a block that is not a certificate;
    `found multiple leaf or disjunct certificates`; `no leaf certificate found` (also for
    empty input); `constructing chain resulted in cycle`. */
ESX_DECL result<text, failure> order_certificate_chain(std::string_view input);

/** `filterCertChain leaf|intermediate|root input`: the part of the ordered chain ESO
    selects: `leaf` the first certificate unless it is self-issued (no authority key id, or
    one equal to its subject key id); `intermediate` the certificates after the leaf up to the
    first root; `root` the last certificate if it is self-issued. Anything else, or a part the
    chain lacks, is the empty string.
    @par Errors those of `order_certificate_chain`. */
ESX_DECL result<text, failure> filter_cert_chain(std::string_view cert_type, std::string_view input);

/** `certSANs input`: the subject alternative names of the first PEM certificate in `input`:
    DNS names, then IP addresses (Go's `net.IP.String`: dotted IPv4, RFC 5952 IPv6), then
    e-mail addresses, then URIs, each group in certificate order.
    @par Errors `failed to decode PEM block`, `failed to parse certificate: x509: ...`. */
ESX_DECL result<std::vector<std::string>, failure> cert_sans(std::string_view input);

} // namespace esx::transform::templating::functions

#if ESX_HEADER_ONLY
#  include <esx/transform/template/functions/impl/pem.ipp>
#endif

#endif
