// esx::transform::templating::functions: filterPEM, filterCertChain, certSANs (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_PEM_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_PEM_IPP

#include <esx/transform/template/functions/detail/openssl.hpp>
#include <esx/transform/template/functions/pem.hpp>

#include <cctype>
#include <cstdio>

namespace esx::transform::templating::functions {
namespace detail {

/// ESO's trimJunk: drop everything before the first `-----BEGIN`.
inline std::string_view trim_junk(std::string_view input) {
    auto at = input.find("-----BEGIN");
    return at == std::string_view::npos ? input : input.substr(at);
}

inline bool equal_fold(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

struct chain_node {
    openssl_ptr<X509> cert;
    std::string subject_key_id;
    std::string authority_key_id;
    chain_node* parent = nullptr;
    bool is_parent = false;
};

/// ESO's pemToNodes: every block must parse as a certificate.
inline result<std::vector<chain_node>, failure> certificate_nodes(std::string_view data) {
    std::vector<chain_node> nodes;
    pem_block block;
    std::string_view rest;
    while (pem_decode(data, block, rest)) {
        data = rest;
        chain_node n;
        n.cert = parse_der_certificate(block.bytes.view());
        if (!n.cert) return function_error(go_certificate_error(block.bytes.view()));
        n.subject_key_id = subject_key_id(n.cert.get());
        n.authority_key_id = authority_key_id(n.cert.get());
        nodes.push_back(std::move(n));
    }
    return nodes;
}

/// ESO's fetchX509CertChains: leaf first, then each certificate's issuer as found by key id.
inline result<std::vector<X509*>, failure> ordered_chain(std::vector<chain_node>& nodes) {
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (std::size_t j = 0; j < nodes.size(); ++j) {
            if (i == j) continue;
            if (nodes[i].authority_key_id == nodes[j].subject_key_id) {
                nodes[j].is_parent = true;
                nodes[i].parent = &nodes[j];
                break;
            }
        }
    chain_node* leaf = nullptr;
    for (auto& n : nodes) {
        if (n.is_parent) continue;
        if (leaf) return function_error("found multiple leaf or disjunct certificates");
        leaf = &n;
    }
    if (!leaf) return function_error("no leaf certificate found");
    std::vector<X509*> chain;
    for (; leaf; leaf = leaf->parent) {
        if (chain.size() + 1 > nodes.size()) return function_error("constructing chain resulted in cycle");
        chain.push_back(leaf->cert.get());
    }
    return chain;
}

/// ESO's isRootCertificate: no authority key id, or one equal to the subject key id.
inline bool self_issued(X509* cert) {
    return X509_get0_authority_key_id(cert) == nullptr || authority_key_id(cert) == subject_key_id(cert);
}

/// Go's `net.IP.String()` of a 4- or 16-byte address.
inline std::string ip_string(unsigned char const* p, int len) {
    char buf[64];
    if (len == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
        return buf;
    }
    if (len != 16) {
        std::string out = "?";
        for (int i = 0; i < len; ++i) {
            std::snprintf(buf, sizeof buf, "%02x", p[i]);
            out += buf;
        }
        return out;
    }
    bool mapped = p[10] == 0xff && p[11] == 0xff;
    for (int i = 0; i < 10 && mapped; ++i) mapped = p[i] == 0;
    if (mapped) return ip_string(p + 12, 4);
    int e0 = -1, e1 = -1;
    for (int i = 0; i < 16; i += 2) {
        int j = i;
        while (j < 16 && p[j] == 0 && p[j + 1] == 0) j += 2;
        if (j > i && j - i > e1 - e0) {
            e0 = i;
            e1 = j;
            i = j;
        }
    }
    if (e1 - e0 <= 2) e0 = e1 = -1;
    std::string out;
    for (int i = 0; i < 16; i += 2) {
        if (i == e0) {
            out += "::";
            i = e1;
            if (i >= 16) break;
        } else if (i > 0) {
            out += ':';
        }
        std::snprintf(buf, sizeof buf, "%x", unsigned(p[i]) << 8 | p[i + 1]);
        out += buf;
    }
    return out;
}

} // namespace detail

ESX_DECL result<text, failure> filter_pem(std::string_view pem_type, std::string_view input) {
    std::string_view data = detail::trim_junk(input);
    text blocks;
    detail::pem_block block;
    std::string_view rest = data;
    while (detail::pem_decode(data, block, rest)) {
        data = rest;
        if (!detail::equal_fold(block.type, pem_type)) continue;
        detail::pem_encode(blocks, block);
    }
    if (blocks.empty() && !rest.empty()) return detail::function_error("error filtering pem: found junk");
    return blocks;
}

ESX_DECL result<text, failure> order_certificate_chain(std::string_view input) {
    auto nodes = detail::certificate_nodes(input);
    if (!nodes) return nodes.error();
    auto chain = detail::ordered_chain(*nodes);
    if (!chain) return chain.error();
    text out;
    for (X509* c : *chain) detail::append_certificate_pem(out, c);
    return out;
}

ESX_DECL result<text, failure> filter_cert_chain(std::string_view cert_type, std::string_view input) {
    auto nodes = detail::certificate_nodes(input);
    if (!nodes) return nodes.error();
    auto chain = detail::ordered_chain(*nodes);
    if (!chain) return chain.error();
    auto const& ordered = *chain;
    text out;
    if (cert_type == "leaf") {
        X509* cert = ordered.front();
        if (X509_get0_authority_key_id(cert) && detail::authority_key_id(cert) != detail::subject_key_id(cert))
            detail::append_certificate_pem(out, cert);
    } else if (cert_type == "intermediate") {
        for (std::size_t i = 1; i < ordered.size(); ++i) {
            if (detail::self_issued(ordered[i])) break;
            detail::append_certificate_pem(out, ordered[i]);
        }
    } else if (cert_type == "root") {
        if (detail::self_issued(ordered.back())) detail::append_certificate_pem(out, ordered.back());
    }
    return out;
}

ESX_DECL result<std::vector<std::string>, failure> cert_sans(std::string_view input) {
    detail::pem_block block;
    std::string_view rest;
    if (!detail::pem_decode(detail::trim_junk(input), block, rest))
        return detail::function_error("failed to decode PEM block");
    auto cert = detail::parse_der_certificate(block.bytes.view());
    if (!cert) return detail::function_error("failed to parse certificate: " + detail::go_certificate_error(block.bytes.view()));
    std::vector<std::string> dns, ips, emails, uris;
    int crit = 0;
    detail::openssl_ptr<GENERAL_NAMES> names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &crit, nullptr)));
    detail::clear_openssl_errors();
    auto ia5 = [](ASN1_STRING const* s) {
        return std::string(reinterpret_cast<char const*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
    };
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        GENERAL_NAME const* n = sk_GENERAL_NAME_value(names.get(), i);
        switch (n->type) {
        case GEN_DNS: dns.push_back(ia5(n->d.dNSName)); break;
        case GEN_EMAIL: emails.push_back(ia5(n->d.rfc822Name)); break;
        case GEN_URI: uris.push_back(ia5(n->d.uniformResourceIdentifier)); break;
        case GEN_IPADD: {
            int const len = ASN1_STRING_length(n->d.iPAddress);
            if (len != 4 && len != 16)
                return detail::function_error("failed to parse certificate: x509: cannot parse IP address of length " +
                                              std::to_string(len));
            ips.push_back(detail::ip_string(ASN1_STRING_get0_data(n->d.iPAddress), len));
            break;
        }
        default: break;
        }
    }
    std::vector<std::string> sans;
    sans.reserve(dns.size() + ips.size() + emails.size() + uris.size());
    for (auto* group : {&dns, &ips, &emails, &uris})
        for (auto& s : *group) sans.push_back(std::move(s));
    return sans;
}

} // namespace esx::transform::templating::functions

#endif
