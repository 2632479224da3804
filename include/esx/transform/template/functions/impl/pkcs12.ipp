// esx::transform::templating::functions: PKCS#12 decode and encode (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_PKCS12_IPP
#define ESX_TRANSFORM_TEMPLATE_FUNCTIONS_IMPL_PKCS12_IPP

#include <esx/transform/template/functions/detail/openssl.hpp>
#include <esx/transform/template/functions/pem.hpp>
#include <esx/transform/template/functions/pkcs12.hpp>

#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include <string>
#include <vector>

namespace esx::transform::templating::functions {
namespace detail {

struct decoded_pkcs12 {
    openssl_ptr<EVP_PKEY> key;
    openssl_ptr<X509> certificate;
    std::vector<openssl_ptr<X509>> ca_certificates;
};

/// The password as OpenSSL's PKCS#12 code takes it: `""` is the BMP string `00 00` (what
/// go-pkcs12 tries first), `nullptr` the empty byte string (what it tries second).
struct pkcs12_password {
    char const* data;
    int size;
};

inline std::string oid_text(ASN1_OBJECT const* oid) {
    char buf[128];
    int const n = OBJ_obj2txt(buf, sizeof buf, oid, 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(std::min(n, int(sizeof buf) - 1))) : "?";
}

/// Why a decryption failed: an algorithm OpenSSL cannot fetch, or (go-pkcs12's word for
/// everything else) bad padding.
inline failure decryption_failure(X509_ALGOR const* alg) {
    unsigned long const e = ERR_peek_last_error();
    clear_openssl_errors();
    bool const unsupported = ERR_GET_REASON(e) == ERR_R_UNSUPPORTED || ERR_GET_REASON(e) == EVP_R_UNSUPPORTED_ALGORITHM ||
                             ERR_GET_REASON(e) == EVP_R_UNKNOWN_PBE_ALGORITHM ||
                             ERR_GET_REASON(e) == ERR_R_FETCH_FAILED;
    if (!unsupported) return function_error("pkcs12: decryption error, incorrect padding");
    ASN1_OBJECT const* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    std::string text = "pkcs12: algorithm " + oid_text(oid) + " is not supported";
    if (!crypto_context::instance().legacy_available()) text += " (OpenSSL's legacy provider is not available)";
    return function_error(std::move(text));
}

inline result<std::vector<openssl_ptr<X509>>, failure> certs_of(PKCS12_SAFEBAG const* bag) {
    if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
        return function_error("pkcs12: only X509 certificates are supported in cert bags");
    openssl_ptr<X509> cert(PKCS12_SAFEBAG_get1_cert(bag));
    clear_openssl_errors();
    if (!cert) return function_error("x509: malformed certificate");
    std::vector<openssl_ptr<X509>> out;
    out.push_back(std::move(cert));
    return out;
}

/// go-pkcs12's DecodeChain.
inline result<decoded_pkcs12, failure> decode_chain(std::string_view pfx, std::string_view password) {
    OSSL_LIB_CTX* lib = crypto_context::instance().get();
    clear_openssl_errors();
    for (std::size_t i = 0; i < password.size(); ++i)
        if ((static_cast<unsigned char>(password[i]) & 0xF8) == 0xF0)
            return function_error("pkcs12: string contains characters that cannot be encoded in UCS-2");
    std::string const pass(password);

    auto const* p = reinterpret_cast<unsigned char const*>(pfx.data());
    openssl_ptr<PKCS12> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(pfx.size())));
    clear_openssl_errors();
    if (!p12) return function_error("pkcs12: error reading P12 data: asn1: structure error");
    if (p != reinterpret_cast<unsigned char const*>(pfx.data()) + pfx.size())
        return function_error("pkcs12: error reading P12 data: pkcs12: trailing data found");

    pkcs12_password pw{pass.c_str(), static_cast<int>(pass.size())};
    if (!PKCS12_mac_present(p12.get())) {
        if (!pass.empty()) return function_error("pkcs12: no MAC in data");
    } else if (PKCS12_verify_mac(p12.get(), pw.data, pw.size) != 1) {
        bool verified = false;
        if (pass.empty() && ERR_peek_error() == 0) {
            pw = {nullptr, 0};
            verified = PKCS12_verify_mac(p12.get(), pw.data, pw.size) == 1;
        }
        if (!verified) {
            bool const mismatch = ERR_peek_error() == 0;
            clear_openssl_errors();
            return function_error(mismatch ? "pkcs12: decryption password incorrect"
                                           : "pkcs12: unknown digest algorithm in the MAC");
        }
    }

    openssl_ptr<STACK_OF(PKCS7)> safes(PKCS12_unpack_authsafes(p12.get()));
    clear_openssl_errors();
    if (!safes) return function_error("pkcs12: error reading P12 data: asn1: structure error");
    int const n_safes = sk_PKCS7_num(safes.get());
    if (n_safes < 1 || n_safes > 2)
        return function_error("pkcs12: expected between 1 and 2 items in the authenticated safe, but this file has " +
                              std::to_string(n_safes));

    decoded_pkcs12 out;
    for (int i = 0; i < n_safes; ++i) {
        PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
        openssl_ptr<STACK_OF(PKCS12_SAFEBAG)> bags;
        switch (OBJ_obj2nid(p7->type)) {
        case NID_pkcs7_data: bags.reset(PKCS12_unpack_p7data(p7)); break;
        case NID_pkcs7_encrypted: {
            if (!p7->d.encrypted || !p7->d.encrypted->enc_data || !p7->d.encrypted->enc_data->enc_data)
                return function_error("pkcs12: error reading P12 data: asn1: structure error");
            auto* enc = p7->d.encrypted->enc_data;
            bags.reset(static_cast<STACK_OF(PKCS12_SAFEBAG)*>(PKCS12_item_decrypt_d2i_ex(
                enc->algorithm, ASN1_ITEM_rptr(PKCS12_SAFEBAGS), pw.data, pw.size, enc->enc_data, 1, lib, nullptr)));
            if (!bags) return decryption_failure(enc->algorithm);
            break;
        }
        default:
            return function_error(
                "pkcs12: only data and encryptedData content types are supported in authenticated safe");
        }
        clear_openssl_errors();
        if (!bags) return function_error("pkcs12: error reading P12 data: asn1: structure error");

        for (int b = 0; b < sk_PKCS12_SAFEBAG_num(bags.get()); ++b) {
            PKCS12_SAFEBAG const* bag = sk_PKCS12_SAFEBAG_value(bags.get(), b);
            switch (PKCS12_SAFEBAG_get_nid(bag)) {
            case NID_certBag: {
                auto certs = certs_of(bag);
                if (!certs) return certs.error();
                for (auto& c : *certs) {
                    if (!out.certificate) out.certificate = std::move(c);
                    else out.ca_certificates.push_back(std::move(c));
                }
                break;
            }
            case NID_keyBag:
            case NID_pkcs8ShroudedKeyBag: {
                if (out.key) return function_error("pkcs12: expected exactly one key bag");
                openssl_ptr<PKCS8_PRIV_KEY_INFO> decrypted;
                PKCS8_PRIV_KEY_INFO const* p8 = nullptr;
                if (PKCS12_SAFEBAG_get_nid(bag) == NID_keyBag) {
                    p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
                } else {
                    decrypted.reset(PKCS12_decrypt_skey_ex(bag, pw.data, pw.size, lib, nullptr));
                    if (!decrypted) {
                        X509_SIG const* sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
                        X509_ALGOR const* alg = nullptr;
                        if (sig) X509_SIG_get0(sig, &alg, nullptr);
                        return decryption_failure(alg);
                    }
                    p8 = decrypted.get();
                }
                if (p8) out.key.reset(EVP_PKCS82PKEY_ex(p8, lib, nullptr));
                clear_openssl_errors();
                if (!out.key) return function_error("x509: failed to parse private key");
                break;
            }
            default: break;  // CRLs, secrets, nested safes: go-pkcs12 skips them too
            }
        }
    }
    if (!out.certificate) return function_error("pkcs12: certificate missing");
    if (!out.key) return function_error("pkcs12: private key missing");
    return out;
}

inline failure prefixed(std::string_view prefix, failure f) {
    f.message = std::string(prefix) + f.message;
    return f;
}

/// The first PEM block of `pem`, parsed as a certificate.
inline result<openssl_ptr<X509>, failure> first_certificate(std::string_view pem, std::string_view& rest) {
    pem_block block;
    if (!pem_decode(pem, block, rest)) return function_error("failed to decode PEM block containing the certificate");
    auto cert = parse_der_certificate(block.bytes.view());
    if (!cert) return function_error(go_certificate_error(block.bytes.view()));
    return cert;
}

/// ESO's certsKeyToPkcs12 with go-pkcs12's Modern encoder.
inline result<text, failure> certs_key_to_pkcs12(X509* cert, std::string_view key_pem, STACK_OF(X509) * ca,
                                                 std::string_view password) {
    pem_block block;
    std::string_view rest;
    if (!pem_decode(key_pem, block, rest)) return function_error("failed to decode PEM block containing the private key");
    auto key = parse_private_key_der(block.bytes.view());
    if (!key) return function_error("unable to parse private key type");
    // go-pkcs12 would pack a key that does not match the certificate into a useless PFX;
    // OpenSSL refuses it, and so does esx, with words.
    if (X509_check_private_key(cert, key.get()) != 1) {
        clear_openssl_errors();
        return function_error("the private key does not match the certificate");
    }
    std::string const pass(password);
    OSSL_LIB_CTX* lib = crypto_context::instance().get();
    openssl_ptr<PKCS12> p12(PKCS12_create_ex(pass.c_str(), nullptr, key.get(), cert, ca, NID_aes_256_cbc,
                                             NID_aes_256_cbc, 2048, -1, 0, lib, nullptr));
    if (!p12 || PKCS12_set_mac(p12.get(), pass.c_str(), static_cast<int>(pass.size()), nullptr, 16, 2048,
                               EVP_sha256()) != 1) {
        clear_openssl_errors();
        return function_error("pkcs12: error writing P12 data");
    }
    unsigned char* der = nullptr;
    int const n = i2d_PKCS12(p12.get(), &der);
    clear_openssl_errors();
    if (n <= 0) return function_error("pkcs12: error writing P12 data");
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    text out;
    out.reserve((static_cast<std::size_t>(n) + 2) / 3 * 4);
    auto const* in = der;
    std::size_t const size = static_cast<std::size_t>(n);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        unsigned const v = unsigned(in[i]) << 16 | unsigned(in[i + 1]) << 8 | in[i + 2];
        out += alphabet[v >> 18 & 63], out += alphabet[v >> 12 & 63], out += alphabet[v >> 6 & 63], out += alphabet[v & 63];
    }
    if (size - i == 1) {
        unsigned const v = unsigned(in[i]) << 16;
        out += alphabet[v >> 18 & 63], out += alphabet[v >> 12 & 63], out += "==";
    } else if (size - i == 2) {
        unsigned const v = unsigned(in[i]) << 16 | unsigned(in[i + 1]) << 8;
        out += alphabet[v >> 18 & 63], out += alphabet[v >> 12 & 63], out += alphabet[v >> 6 & 63], out += '=';
    }
    OPENSSL_clear_free(der, size);
    return out;
}

} // namespace detail

ESX_DECL result<text, failure> pkcs12_key(std::string_view pfx, std::string_view password) {
    auto decoded = detail::decode_chain(pfx, password);
    if (!decoded) return detail::prefixed("unable to decode pkcs12 with password: ", decoded.error());
    return detail::private_key_pem(decoded->key.get());
}

ESX_DECL result<text, failure> pkcs12_cert(std::string_view pfx, std::string_view password) {
    auto decoded = detail::decode_chain(pfx, password);
    if (!decoded) return detail::prefixed("unable to decode pkcs12 certificate with password: ", decoded.error());
    text pem;
    detail::append_certificate_pem(pem, decoded->certificate.get());
    for (auto const& ca : decoded->ca_certificates) detail::append_certificate_pem(pem, ca.get());
    auto ordered = order_certificate_chain(pem.view());
    if (!ordered) return pem;  // ESO keeps the bag order when the certificates are no single chain
    return std::move(*ordered);
}

ESX_DECL result<text, failure> pem_to_pkcs12(std::string_view cert_pem, std::string_view key_pem,
                                             std::string_view password) {
    std::string_view rest;
    auto cert = detail::first_certificate(cert_pem, rest);
    if (!cert) return cert.error();
    return detail::certs_key_to_pkcs12(cert->get(), key_pem, nullptr, password);
}

ESX_DECL result<text, failure> full_pem_to_pkcs12(std::string_view cert_pem, std::string_view key_pem,
                                                  std::string_view password) {
    std::string_view rest;
    auto cert = detail::first_certificate(cert_pem, rest);
    if (!cert) return cert.error();
    detail::openssl_ptr<STACK_OF(X509)> ca(sk_X509_new_null());
    if (!ca) return detail::function_error("pkcs12: error writing P12 data");
    while (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        std::string_view next;
        auto c = detail::first_certificate(rest, next);
        if (!c) return c.error();
        if (sk_X509_push(ca.get(), c->get()) <= 0) return detail::function_error("pkcs12: error writing P12 data");
        c->release();
        rest = next;
    }
    return detail::certs_key_to_pkcs12(cert->get(), key_pem, ca.get(), password);
}

} // namespace esx::transform::templating::functions

#endif
