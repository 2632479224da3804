// esx::runtime: options parsing, trust and IMDS endpoint (out of line).
#ifndef ESX_PIPELINE_IMPL_RUNTIME_IPP
#define ESX_PIPELINE_IMPL_RUNTIME_IPP

#include <esx/pipeline/runtime.hpp>

#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace esx {
namespace detail {

inline failure runtime_option_failure(std::string message) {
    return failure{make_error_code(error::invalid_option), std::move(message)};
}

inline std::optional<std::string> read_text_file(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

ESX_DECL std::string imds_endpoint_for(runtime_options const& o) {
    constexpr std::string_view path = "/metadata/identity/oauth2/token";
    if (!o.imds_endpoint.empty()) return o.imds_endpoint;
    for (char const* name : {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "IMDS_ENDPOINT"}) {
        char const* v = o.getenv ? o.getenv(name) : nullptr;
        if (!v || !*v) continue;
        std::string base = v;
        // A base URL (what both variables hold); a full token URL is taken as it is.
        if (base.find(path) != std::string::npos) return base;
        while (!base.empty() && base.back() == '/') base.pop_back();
        return base + std::string(path);
    }
    return "http://169.254.169.254" + std::string(path);
}

ESX_DECL result<std::string, failure> azure_trust_pem(runtime_options const& o) {
    if (o.ca_file.empty() && o.ca_pem.empty()) return std::string();
    std::string pem;
    if (o.trust_system_store) {
        // What OpenSSL's default verify paths would load: $SSL_CERT_FILE, else the build's bundle.
        char const* env_file = o.getenv ? o.getenv(X509_get_default_cert_file_env()) : nullptr;
        std::string const system_file = env_file && *env_file ? env_file : X509_get_default_cert_file();
        if (auto text = read_text_file(system_file)) (pem += *text) += '\n';
    }
    if (!o.ca_file.empty()) {
        auto text = read_text_file(o.ca_file);
        if (!text) return runtime_option_failure("CA file " + o.ca_file + ": cannot be read");
        if (text->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return runtime_option_failure("CA file " + o.ca_file + ": holds no PEM certificate");
        (pem += *text) += '\n';
    }
    if (!o.ca_pem.empty()) (pem += o.ca_pem) += '\n';
    return pem;
}

ESX_DECL kube::env_lookup env_lookup_of(auth::getenv_function getenv) {
    return [getenv = std::move(getenv)](std::string const& name) -> std::optional<std::string> {
        char const* v = getenv ? getenv(name.c_str()) : nullptr;
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

} // namespace detail

ESX_DECL result<void, failure> runtime_options::add_resolve(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return detail::runtime_option_failure("--resolve \"" + std::string(text) + "\": " + std::string(why) +
                                              " (expected HOST:PORT:ADDR)");
    };
    auto const first = text.find(':');
    if (first == std::string_view::npos || first == 0) return bad("no host");
    auto const second = text.find(':', first + 1);
    if (second == std::string_view::npos) return bad("no address");
    std::string_view const host = text.substr(0, first);
    std::string_view const port = text.substr(first + 1, second - first - 1);
    std::string_view addr = text.substr(second + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
        return bad("the port is not a number from 1 to 65535");
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    if (addr.empty()) return bad("no address");
    std::string key(host);
    for (auto& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    resolve[key + ":" + std::string(port)] = std::string(addr);
    return {};
}

ESX_DECL result<runtime_options, failure> runtime_options::from_environment(auth::getenv_function getenv) {
    runtime_options o;
    o.getenv = getenv;
    if (char const* ca = getenv ? getenv("ESX_CACERT") : nullptr; ca && *ca) o.ca_file = ca;
    if (char const* r = getenv ? getenv("ESX_RESOLVE") : nullptr; r && *r) {
        std::string_view all = r;
        while (!all.empty()) {
            auto const comma = all.find(',');
            auto const one = all.substr(0, comma);
            if (!one.empty()) {
                auto added = o.add_resolve(one);
                if (!added) {
                    failure f = added.error();
                    f.message = "ESX_RESOLVE: " + f.message;
                    return f;
                }
            }
            if (comma == std::string_view::npos) break;
            all.remove_prefix(comma + 1);
        }
    }
    return o;
}

} // namespace esx

#endif
