// esx/transform/template/functions: golden tests of every template function esx offers ESO
// users, the typed C++ functions and the same through the function table (Go's types and
// error texts). Certificates, keys and PFX files are made by the openssl command line in a
// private directory at the start of the run, so PKCS#12 inputs are what OpenSSL exports,
// legacy RC2-40/3DES included.
#include "tests/support/temp_dir.hpp"

#include <esx/transform/template/functions/detail/go_json_value.hpp>
#include <esx/transform/template/functions/detail/go_time.hpp>
#include <esx/transform/template/functions/jwk.hpp>
#include <esx/transform/template/functions/pem.hpp>
#include <esx/transform/template/functions/pkcs12.hpp>
#include <esx/transform/template/functions/yaml.hpp>
#include <esx/transform/template/registry.hpp>
#include <esx/transform/template/template.hpp>

#include <boost/json.hpp>

#include <boost/test/unit_test.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace tp = esx::transform::templating;
namespace fn = esx::transform::templating::functions;
using esx::transform::templating::text;
using esx::transform::templating::value;

/// Golden files made by running the same templates through Go's text/template with ESO's
/// vendored Sprig and go-yaml v2.4 (the versions ESO 2.9 ships): see the README beside them.
fs::path golden(std::string const& name) { return fs::path(ESX_TEST_MANIFESTS).parent_path() / "template_functions" / name; }

std::vector<boost::json::object> read_jsonl(fs::path const& p) {
    std::vector<boost::json::object> out;
    std::ifstream in(p);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
    return out;
}

std::string member(boost::json::object const& o, char const* key) {
    auto const& s = o.at(key).as_string();
    return {s.data(), s.size()};
}

/// A map[string]string context, what ESO hands a template.
value context(std::vector<std::pair<std::string, std::string>> const& entries) {
    tp::string_map_type m;
    for (auto const& [k, v] : entries) m.emplace(k, text(v));
    return value::string_map(std::move(m));
}

/// Renders `source` as ESO does (missingkey=error, Sprig + ESO functions); the output, or
/// `ERR: ` and the failure text.
std::string render(std::string const& source, value const& data, tp::options opts = {}) {
    auto t = tp::compiled_template::parse("k", source, tp::eso_functions(), std::move(opts));
    if (!t) return "ERR: " + t.error().what();
    auto out = t->render(data);
    if (!out) return "ERR: " + out.error().what();
    return std::string(out->view());
}

/// The clock and context the Go golden run used.
std::chrono::system_clock::time_point golden_now() {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1709211845)) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(123456789));
}
value golden_context() {
    return context({{"a", "hello world"}, {"n", "42"}, {"empty", ""}, {"json", R"({"b":{"c":[1,2]},"s":"x"})"},
                    {"csv", "a,b,,c"}, {"multi", "l1\nl2"}});
}

std::string str(text const& t) { return std::string(t.view()); }

std::string read_file(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return {std::istreambuf_iterator<char>(in), {}};
}

/// Runs a shell command in `dir`; throws with the command on failure.
void sh(fs::path const& dir, std::string const& cmd) {
    std::string const full = "cd '" + dir.string() + "' && (" + cmd + ") >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}

/// Output of a shell command run in `dir`.
std::string capture(fs::path const& dir, std::string const& cmd) {
    std::string const full = "cd '" + dir.string() + "' && " + cmd + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(full.c_str(), "r"), ::pclose);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
    return out;
}

/// A small PKI made once per run with the openssl CLI: root (EC) -> intermediate (EC) ->
/// leaf (RSA, every kind of SAN); a second root unrelated to them; an EC leaf; PFX files
/// in modern and legacy encodings, with and without a password, chains in wrong order.
struct pki {
    esx::test::temp_dir dir;
    std::string root, intermediate, leaf, other_root, leaf_key, ec_leaf, ec_leaf_key;

    static pki const& get() {
        static pki const instance;
        return instance;
    }

    fs::path path(std::string const& name) const { return dir.path / name; }
    std::string file(std::string const& name) const { return read_file(path(name)); }

private:
    pki() {
        auto const& d = dir.path;
        dir.write("ca.ext", "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n"
                            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n");
        dir.write("leaf.ext", "basicConstraints=critical,CA:false\nsubjectKeyIdentifier=hash\n"
                              "authorityKeyIdentifier=keyid:always\n"
                              "subjectAltName=DNS:foo.example.com,IP:192.168.1.10,email:admin@example.com,"
                              "URI:https://example.com/app,DNS:www.example.com,IP:2001:db8:0:0:0:0:0:1,"
                              "IP:10.0.0.1\n");
        sh(d, "openssl ecparam -name prime256v1 -genkey -noout -out root.key");
        sh(d, "openssl req -x509 -new -key root.key -subj '/CN=esx test root' -days 30 -out root.crt "
              "-addext basicConstraints=critical,CA:true -addext subjectKeyIdentifier=hash "
              "-addext authorityKeyIdentifier=keyid:always");
        sh(d, "openssl ecparam -name prime256v1 -genkey -noout -out other-root.key");
        sh(d, "openssl req -x509 -new -key other-root.key -subj '/CN=esx other root' -days 30 -out other-root.crt "
              "-addext basicConstraints=critical,CA:true -addext subjectKeyIdentifier=hash "
              "-addext authorityKeyIdentifier=keyid:always");
        sh(d, "openssl ecparam -name prime256v1 -genkey -noout -out intermediate.key");
        sh(d, "openssl req -new -key intermediate.key -subj '/CN=esx test intermediate' -out intermediate.csr");
        sh(d, "openssl x509 -req -in intermediate.csr -CA root.crt -CAkey root.key -CAcreateserial -days 30 "
              "-extfile ca.ext -out intermediate.crt");
        sh(d, "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf.key");
        sh(d, "openssl req -new -key leaf.key -subj '/CN=foo.example.com' -out leaf.csr");
        sh(d, "openssl x509 -req -in leaf.csr -CA intermediate.crt -CAkey intermediate.key -CAcreateserial "
              "-days 30 -extfile leaf.ext -out leaf.crt");
        sh(d, "openssl ecparam -name secp384r1 -genkey -noout -out ec-leaf.key");
        sh(d, "openssl req -new -key ec-leaf.key -subj '/CN=ec.example.com' -out ec-leaf.csr");
        sh(d, "openssl x509 -req -in ec-leaf.csr -CA intermediate.crt -CAkey intermediate.key -CAcreateserial "
              "-days 30 -extfile leaf.ext -out ec-leaf.crt");
        // Normalised PEM (what Go's pem.Encode writes too) and PKCS#8 keys (ESO's output form).
        for (auto n : {"root", "intermediate", "leaf", "other-root", "ec-leaf"})
            sh(d, std::string("openssl x509 -in ") + n + ".crt -out " + n + ".pem");
        sh(d, "openssl pkey -in leaf.key -out leaf.p8");
        sh(d, "openssl pkey -in ec-leaf.key -out ec-leaf.p8");
        sh(d, "cat leaf.pem root.pem intermediate.pem > chain-wrong-order.pem");
        // Modern (OpenSSL 3 default: PBES2 AES-256-CBC, MAC SHA-256).
        sh(d, "openssl pkcs12 -export -in chain-wrong-order.pem -inkey leaf.key -out modern-nopass.pfx -passout pass:");
        sh(d, "openssl pkcs12 -export -in chain-wrong-order.pem -inkey leaf.key -out modern-1234.pfx -passout pass:1234");
        // Legacy, as Windows, the Azure portal and OpenSSL 1.x export: RC2-40 certificates, 3DES key.
        sh(d, "openssl pkcs12 -export -legacy -in chain-wrong-order.pem -inkey leaf.key -out legacy-nopass.pfx "
              "-passout pass:");
        sh(d, "openssl pkcs12 -export -legacy -in chain-wrong-order.pem -inkey leaf.key -out legacy-1234.pfx "
              "-passout pass:1234");
        sh(d, "openssl pkcs12 -export -legacy -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -in leaf.pem "
              "-certfile intermediate.pem -inkey leaf.key -out legacy-3des.pfx -passout pass:s3cr3t");
        // Leaf plus the intermediate and an unrelated root: no single chain.
        sh(d, "openssl pkcs12 -export -in leaf.pem -certfile other-root.pem -inkey leaf.key -out disjunct.pfx "
              "-passout pass:");
        // Certificates only, no key; and an EC key.
        sh(d, "openssl pkcs12 -export -nokeys -in chain-wrong-order.pem -out nokey.pfx -passout pass:");
        sh(d, "openssl pkcs12 -export -in ec-leaf.pem -certfile intermediate.pem -inkey ec-leaf.key -out ec.pfx "
              "-passout pass:ec");
        root = file("root.pem");
        intermediate = file("intermediate.pem");
        leaf = file("leaf.pem");
        other_root = file("other-root.pem");
        leaf_key = file("leaf.p8");
        ec_leaf = file("ec-leaf.pem");
        ec_leaf_key = file("ec-leaf.p8");
    }
};

std::string error_of(auto const& r) { return r ? std::string("<no error>") : r.error().what(); }

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(template_functions)

BOOST_AUTO_TEST_SUITE(pkcs12)

BOOST_AUTO_TEST_CASE(key_and_chain_from_modern_pfx_without_password) {
    auto const& p = pki::get();
    auto pfx = p.file("modern-nopass.pfx");
    auto key = fn::pkcs12_key(pfx, "");
    BOOST_REQUIRE_MESSAGE(key, error_of(key));
    BOOST_TEST(str(*key) == p.leaf_key);
    auto cert = fn::pkcs12_cert(pfx, "");
    BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
    // Packed leaf, root, intermediate: ESO orders them leaf to root.
    BOOST_TEST(str(*cert) == p.leaf + p.intermediate + p.root);
}

BOOST_AUTO_TEST_CASE(key_and_chain_from_modern_pfx_with_password) {
    auto const& p = pki::get();
    auto pfx = p.file("modern-1234.pfx");
    auto key = fn::pkcs12_key(pfx, "1234");
    BOOST_REQUIRE_MESSAGE(key, error_of(key));
    BOOST_TEST(str(*key) == p.leaf_key);
    auto cert = fn::pkcs12_cert(pfx, "1234");
    BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
    BOOST_TEST(str(*cert) == p.leaf + p.intermediate + p.root);
}

BOOST_AUTO_TEST_CASE(legacy_rc2_and_3des_files_are_read) {
    auto const& p = pki::get();
    for (auto [name, pass] : {std::pair{"legacy-nopass.pfx", ""}, std::pair{"legacy-1234.pfx", "1234"}}) {
        auto pfx = p.file(name);
        auto key = fn::pkcs12_key(pfx, pass);
        BOOST_REQUIRE_MESSAGE(key, name << ": " << error_of(key));
        BOOST_TEST(str(*key) == p.leaf_key);
        auto cert = fn::pkcs12_cert(pfx, pass);
        BOOST_REQUIRE_MESSAGE(cert, name << ": " << error_of(cert));
        BOOST_TEST(str(*cert) == p.leaf + p.intermediate + p.root);
    }
    // The file really is legacy: OpenSSL 3 without its legacy provider refuses it.
    BOOST_TEST(capture(p.dir.path, "openssl pkcs12 -in legacy-1234.pfx -info -noout -passin pass:1234")
                   .find("RC2") != std::string::npos);
    auto pfx = p.file("legacy-3des.pfx");
    auto key = fn::pkcs12_key(pfx, "s3cr3t");
    BOOST_REQUIRE_MESSAGE(key, error_of(key));
    BOOST_TEST(str(*key) == p.leaf_key);
    auto cert = fn::pkcs12_cert(pfx, "s3cr3t");
    BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
    BOOST_TEST(str(*cert) == p.leaf + p.intermediate);
}

BOOST_AUTO_TEST_CASE(ec_key_and_partial_chain) {
    auto const& p = pki::get();
    auto pfx = p.file("ec.pfx");
    auto key = fn::pkcs12_key(pfx, "ec");
    BOOST_REQUIRE_MESSAGE(key, error_of(key));
    BOOST_TEST(str(*key) == p.ec_leaf_key);
    auto cert = fn::pkcs12_cert(pfx, "ec");
    BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
    BOOST_TEST(str(*cert) == p.ec_leaf + p.intermediate);
}

BOOST_AUTO_TEST_CASE(disjunct_certificates_stay_in_bag_order) {
    auto const& p = pki::get();
    auto cert = fn::pkcs12_cert(p.file("disjunct.pfx"), "");
    BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
    BOOST_TEST(str(*cert) == p.leaf + p.other_root);
}

BOOST_AUTO_TEST_CASE(wrong_password_missing_key_and_garbage_have_eso_texts) {
    auto const& p = pki::get();
    BOOST_TEST(error_of(fn::pkcs12_key(p.file("modern-1234.pfx"), "nope")) ==
               "unable to decode pkcs12 with password: pkcs12: decryption password incorrect");
    BOOST_TEST(error_of(fn::pkcs12_cert(p.file("legacy-1234.pfx"), "")) ==
               "unable to decode pkcs12 certificate with password: pkcs12: decryption password incorrect");
    BOOST_TEST(error_of(fn::pkcs12_key(p.file("nokey.pfx"), "")) ==
               "unable to decode pkcs12 with password: pkcs12: private key missing");
    BOOST_TEST(error_of(fn::pkcs12_key("not a pfx", "")) ==
               "unable to decode pkcs12 with password: pkcs12: error reading P12 data: asn1: structure error");
    auto f = fn::pkcs12_key(p.file("modern-1234.pfx"), "nope");
    BOOST_TEST((f.error() == esx::transform::templating::error::function_failed));
}

BOOST_AUTO_TEST_CASE(pem_to_pkcs12_writes_go_pkcs12_modern) {
    auto const& p = pki::get();
    for (std::string pass : {"", "p@ss word"}) {
        auto b64 = fn::pem_to_pkcs12(p.leaf, p.leaf_key, pass);
        BOOST_REQUIRE_MESSAGE(b64, error_of(b64));
        p.dir.write("out.b64", str(*b64));
        sh(p.dir.path, "openssl base64 -d -A -in out.b64 -out out.pfx");
        auto info = capture(p.dir.path, "openssl pkcs12 -in out.pfx -info -noout -passin 'pass:" + pass + "'");
        BOOST_TEST(info.find("MAC: sha256, Iteration 2048") != std::string::npos, info);
        BOOST_TEST(info.find("PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256") != std::string::npos, info);
        // Read back by an independent decoder and by ours.
        auto key_out = capture(p.dir.path, "openssl pkcs12 -in out.pfx -nocerts -nodes -passin 'pass:" + pass +
                                               "' | openssl pkey");
        BOOST_TEST(key_out == p.leaf_key);
        auto cert = fn::pkcs12_cert(p.file("out.pfx"), pass);
        BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
        BOOST_TEST(str(*cert) == p.leaf);
    }
}

BOOST_AUTO_TEST_CASE(full_pem_to_pkcs12_keeps_the_chain) {
    auto const& p = pki::get();
    auto b64 = fn::full_pem_to_pkcs12(p.leaf + p.root + p.intermediate + "\n", p.leaf_key, "chain");
    BOOST_REQUIRE_MESSAGE(b64, error_of(b64));
    p.dir.write("full.b64", str(*b64));
    sh(p.dir.path, "openssl base64 -d -A -in full.b64 -out full.pfx");
    auto cert = fn::pkcs12_cert(p.file("full.pfx"), "chain");
    BOOST_REQUIRE_MESSAGE(cert, error_of(cert));
    BOOST_TEST(str(*cert) == p.leaf + p.intermediate + p.root);
    // A PKCS#1 ("RSA PRIVATE KEY") and a SEC 1 ("EC PRIVATE KEY") key are accepted too.
    auto rsa = fn::pem_to_pkcs12(p.leaf, p.file("leaf.key").find("BEGIN PRIVATE KEY") != std::string::npos
                                             ? capture(p.dir.path, "openssl pkey -in leaf.key -traditional")
                                             : p.file("leaf.key"),
                                 "");
    BOOST_TEST(rsa.has_value(), error_of(rsa));
    auto ec = fn::pem_to_pkcs12(p.ec_leaf, p.file("ec-leaf.key"), "");
    BOOST_TEST(ec.has_value(), error_of(ec));
}

BOOST_AUTO_TEST_CASE(pem_to_pkcs12_refuses_bad_input_with_words) {
    auto const& p = pki::get();
    BOOST_TEST(error_of(fn::pem_to_pkcs12("", p.leaf_key, "")) == "failed to decode PEM block containing the certificate");
    BOOST_TEST(error_of(fn::pem_to_pkcs12(p.leaf, "junk", "")) == "failed to decode PEM block containing the private key");
    BOOST_TEST(error_of(fn::pem_to_pkcs12(p.leaf_key, p.leaf_key, "")) == "x509: malformed tbs certificate");
    BOOST_TEST(error_of(fn::pem_to_pkcs12(p.leaf, p.leaf, "")) == "unable to parse private key type");
    BOOST_TEST(error_of(fn::pem_to_pkcs12(p.ec_leaf, p.leaf_key, "")) == "the private key does not match the certificate");
    BOOST_TEST(error_of(fn::full_pem_to_pkcs12(p.leaf + p.leaf_key, p.leaf_key, "")) == "x509: malformed tbs certificate");
    BOOST_TEST(error_of(fn::pem_to_pkcs12("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", p.leaf_key, "")) ==
               "x509: malformed certificate");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pem)

BOOST_AUTO_TEST_CASE(filter_pem_keeps_blocks_of_one_type_in_order) {
    auto const& p = pki::get();
    auto certs = fn::filter_pem("CERTIFICATE", p.leaf_key + p.leaf + p.root);
    BOOST_REQUIRE_MESSAGE(certs, error_of(certs));
    BOOST_TEST(str(*certs) == p.leaf + p.root);
    auto key = fn::filter_pem("private key", p.leaf + p.leaf_key);  // type compared ignoring case
    BOOST_REQUIRE(key);
    BOOST_TEST(str(*key) == p.leaf_key);
    // Junk before the first block is dropped; junk between blocks is skipped.
    auto junk = fn::filter_pem("PRIVATE KEY", "junk\n" + p.leaf_key + "more junk\n");
    BOOST_REQUIRE(junk);
    BOOST_TEST(str(*junk) == p.leaf_key);
    BOOST_TEST(str(fn::filter_pem("CERTIFICATE", p.leaf_key).value()) == "");
    BOOST_TEST(str(fn::filter_pem("CERTIFICATE", "").value()) == "");
}

BOOST_AUTO_TEST_CASE(filter_pem_rewraps_and_keeps_headers_as_go) {
    std::string const in = "-----BEGIN TEST-----\r\nProc-Type: 4,ENCRYPTED\nB-Header:  x \nA-Header: y\n\n"
                           "aGVs bG8g\td29y\nbGQ=\n-----END TEST-----   \n";
    auto out = fn::filter_pem("test", in);
    BOOST_REQUIRE_MESSAGE(out, error_of(out));
    BOOST_TEST(str(*out) == "-----BEGIN TEST-----\nProc-Type: 4,ENCRYPTED\nA-Header: y\nB-Header: x\n\n"
                            "aGVsbG8gd29ybGQ=\n-----END TEST-----\n");
    std::string long_body(100, 'A');
    auto wrapped = fn::filter_pem("X", "-----BEGIN X-----\n" + long_body + "\n-----END X-----\n");
    BOOST_REQUIRE(wrapped);
    BOOST_TEST(str(*wrapped) == "-----BEGIN X-----\n" + long_body.substr(0, 64) + "\n" + long_body.substr(64) +
                                   "\n-----END X-----\n");
}

BOOST_AUTO_TEST_CASE(filter_pem_junk_is_an_error_only_when_nothing_matched) {
    auto const& p = pki::get();
    BOOST_TEST(error_of(fn::filter_pem("CERTIFICATE", "no pem here")) == "error filtering pem: found junk");
    // A block whose END line does not match is junk.
    BOOST_TEST(error_of(fn::filter_pem("CERTIFICATE", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END KEY-----\n")) ==
               "error filtering pem: found junk");
    auto ok = fn::filter_pem("CERTIFICATE", p.leaf + "-----BEGIN CERTIFICATE-----\nbroken");
    BOOST_REQUIRE(ok);
    BOOST_TEST(str(*ok) == p.leaf);
}

BOOST_AUTO_TEST_CASE(filter_cert_chain_selects_eso_parts_in_any_input_order) {
    auto const& p = pki::get();
    std::vector<std::string> orders = {p.leaf + p.intermediate + p.root, p.root + p.leaf + p.intermediate,
                                       p.intermediate + p.root + p.leaf, p.root + p.intermediate + p.leaf};
    for (auto const& in : orders) {
        BOOST_TEST(str(fn::filter_cert_chain("leaf", in).value()) == p.leaf);
        BOOST_TEST(str(fn::filter_cert_chain("intermediate", in).value()) == p.intermediate);
        BOOST_TEST(str(fn::filter_cert_chain("root", in).value()) == p.root);
        BOOST_TEST(str(fn::order_certificate_chain(in).value()) == p.leaf + p.intermediate + p.root);
        BOOST_TEST(str(fn::filter_cert_chain("other", in).value()) == "");
    }
    // Parts a chain lacks are empty.
    BOOST_TEST(str(fn::filter_cert_chain("root", p.leaf + p.intermediate).value()) == "");
    BOOST_TEST(str(fn::filter_cert_chain("leaf", p.intermediate + p.leaf).value()) == p.leaf);
    BOOST_TEST(str(fn::filter_cert_chain("intermediate", p.leaf).value()) == "");
    BOOST_TEST(str(fn::filter_cert_chain("leaf", p.root).value()) == "");  // a root alone is no leaf
    BOOST_TEST(str(fn::filter_cert_chain("root", p.root).value()) == p.root);
}

BOOST_AUTO_TEST_CASE(filter_cert_chain_errors_are_esos) {
    auto const& p = pki::get();
    BOOST_TEST(error_of(fn::filter_cert_chain("leaf", "")) == "no leaf certificate found");
    BOOST_TEST(error_of(fn::filter_cert_chain("leaf", p.leaf + p.leaf_key)) == "x509: malformed tbs certificate");
    BOOST_TEST(error_of(fn::filter_cert_chain("leaf", p.leaf + p.other_root)) ==
               "found multiple leaf or disjunct certificates");
}

BOOST_AUTO_TEST_CASE(cert_sans_lists_dns_then_ip_then_email_then_uri) {
    auto const& p = pki::get();
    auto sans = fn::cert_sans("junk before\n" + p.leaf + p.root);
    BOOST_REQUIRE_MESSAGE(sans, error_of(sans));
    std::vector<std::string> const want = {"foo.example.com", "www.example.com", "192.168.1.10", "2001:db8::1",
                                           "10.0.0.1",        "admin@example.com", "https://example.com/app"};
    BOOST_TEST(*sans == want, boost::test_tools::per_element());
    BOOST_TEST(fn::cert_sans(p.root).value().empty());
    BOOST_TEST(error_of(fn::cert_sans("")) == "failed to decode PEM block");
    BOOST_TEST(error_of(fn::cert_sans(p.leaf_key)) == "failed to parse certificate: x509: malformed tbs certificate");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jwk)

namespace {

std::string b64url(BIGNUM const* bn) {
    std::string raw(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(raw.data()));
    static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (unsigned char c : raw) {
        acc = acc << 8 | c;
        bits += 8;
        while (bits >= 6) out += a[acc >> (bits -= 6) & 63];
    }
    if (bits) out += a[acc << (6 - bits) & 63];
    return out;
}

std::string bn_member(EVP_PKEY* k, char const* param, char const* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(k, param, &bn) != 1) throw std::runtime_error(param);
    std::string s = std::string("\"") + name + "\":\"" + b64url(bn) + "\"";
    BN_free(bn);
    return s;
}

EVP_PKEY* read_key(fs::path const& p) {
    FILE* f = std::fopen(p.c_str(), "r");
    EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    return k;
}

struct jwks {
    std::string rsa_public, rsa_private, rsa_private_no_crt, ec_public, ec_private;
    std::string rsa_public_pem, ec_public_pem;

    static jwks const& get() {
        static jwks const j;
        return j;
    }

private:
    jwks() {
        auto const& p = pki::get();
        EVP_PKEY* rsa = read_key(p.path("leaf.key"));
        std::string n = bn_member(rsa, OSSL_PKEY_PARAM_RSA_N, "n"), e = bn_member(rsa, OSSL_PKEY_PARAM_RSA_E, "e");
        rsa_public = "{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"kty\":\"RSA\",\"key_ops\":[\"sign\"]," + n + "," + e + "}";
        std::string priv = "," + bn_member(rsa, OSSL_PKEY_PARAM_RSA_D, "d") + "," +
                           bn_member(rsa, OSSL_PKEY_PARAM_RSA_FACTOR1, "p") + "," +
                           bn_member(rsa, OSSL_PKEY_PARAM_RSA_FACTOR2, "q");
        rsa_private_no_crt = "{\"kty\":\"RSA\"," + n + "," + e + priv + "}";
        rsa_private = "{\"kty\":\"RSA\"," + n + "," + e + priv + "," +
                      bn_member(rsa, OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp") + "," +
                      bn_member(rsa, OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq") + "," +
                      bn_member(rsa, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi") + "}";
        EVP_PKEY_free(rsa);
        EVP_PKEY* ec = read_key(p.path("ec-leaf.key"));
        std::string xy = bn_member(ec, OSSL_PKEY_PARAM_EC_PUB_X, "x") + "," + bn_member(ec, OSSL_PKEY_PARAM_EC_PUB_Y, "y");
        ec_public = "{\"kty\":\"EC-HSM\",\"crv\":\"P-384\"," + xy + "}";
        ec_private = "{\"kty\":\"EC\",\"crv\":\"P-384\"," + xy + "," + bn_member(ec, OSSL_PKEY_PARAM_PRIV_KEY, "d") + "}";
        EVP_PKEY_free(ec);
        rsa_public_pem = capture(p.dir.path, "openssl pkey -in leaf.key -pubout");
        ec_public_pem = capture(p.dir.path, "openssl pkey -in ec-leaf.key -pubout");
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(public_jwks_become_pkix_pem) {
    auto const& j = jwks::get();
    auto rsa = fn::jwk_public_key_pem(j.rsa_public);
    BOOST_REQUIRE_MESSAGE(rsa, error_of(rsa));
    BOOST_TEST(str(*rsa) == j.rsa_public_pem);
    auto ec = fn::jwk_public_key_pem(j.ec_public);
    BOOST_REQUIRE_MESSAGE(ec, error_of(ec));
    BOOST_TEST(str(*ec) == j.ec_public_pem);
    // RFC 8037 test vector: an Ed25519 public key.
    auto ed = fn::jwk_public_key_pem(R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
    BOOST_REQUIRE_MESSAGE(ed, error_of(ed));
    BOOST_TEST(str(*ed) == "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
                           "-----END PUBLIC KEY-----\n");
}

BOOST_AUTO_TEST_CASE(private_jwks_become_pkcs8_pem) {
    auto const& p = pki::get();
    auto const& j = jwks::get();
    for (auto const* in : {&j.rsa_private, &j.rsa_private_no_crt}) {
        auto rsa = fn::jwk_private_key_pem(*in);
        BOOST_REQUIRE_MESSAGE(rsa, error_of(rsa));
        BOOST_TEST(str(*rsa) == p.leaf_key);
    }
    auto ec = fn::jwk_private_key_pem(j.ec_private);
    BOOST_REQUIRE_MESSAGE(ec, error_of(ec));
    BOOST_TEST(str(*ec) == p.ec_leaf_key);
    auto ed = fn::jwk_private_key_pem(R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
                                      R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
    BOOST_REQUIRE_MESSAGE(ed, error_of(ed));
    BOOST_TEST(str(*ed) == "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMRESc"
                           "VpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n");
}

BOOST_AUTO_TEST_CASE(the_wrong_direction_and_bad_jwks_fail_as_eso) {
    auto const& j = jwks::get();
    BOOST_TEST(error_of(fn::jwk_public_key_pem(j.rsa_private)) == "x509: unsupported public key type: *rsa.PrivateKey");
    BOOST_TEST(error_of(fn::jwk_public_key_pem(j.ec_private)) == "x509: unsupported public key type: *ecdsa.PrivateKey");
    BOOST_TEST(error_of(fn::jwk_private_key_pem(j.rsa_public)) ==
               "x509: unknown key type while marshaling PKCS#8: *rsa.PublicKey");
    BOOST_TEST(error_of(fn::jwk_public_key_pem(R"({"kty":"oct","k":"c2VjcmV0"})")) ==
               "x509: unsupported public key type: []uint8");
    BOOST_TEST(error_of(fn::jwk_public_key_pem("not json")).starts_with("failed to parse JWK: invalid character "));
    BOOST_TEST(error_of(fn::jwk_public_key_pem(R"({"n":"AQAB"})")) == "failed to parse JWK: required field \"kty\" is missing");
    BOOST_TEST(error_of(fn::jwk_public_key_pem(R"({"kty":"RSA","n":"!!","e":"AQAB"})")) ==
               "failed to parse JWK: field \"n\" is not base64 data");
    BOOST_TEST(error_of(fn::jwk_public_key_pem(R"({"kty":"EC","crv":"P-256","x":"AQAB","y":"AQAB"})")) ==
               "failed to parse JWK: the EC point is not on P-256");
    BOOST_TEST(error_of(fn::jwk_public_key_pem(R"({"kty":"EC","crv":"secp256k1","x":"AQAB","y":"AQAB"})")) ==
               "failed to parse JWK: unsupported elliptic curve \"secp256k1\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(yaml)

BOOST_AUTO_TEST_CASE(to_yaml_writes_what_go_yaml_v2_writes) {
    // Quoting of YAML 1.1 look-alikes, literal blocks and their chomping, folding at 80
    // columns, go-yaml's natural key order, numbers after the JSON round trip: 25 documents.
    auto cases = read_jsonl(golden("to_yaml.golden.jsonl"));
    BOOST_REQUIRE_GE(cases.size(), 20u);
    for (auto const& c : cases) {
        auto input = fn::detail::unmarshal_json(member(c, "input"));
        BOOST_REQUIRE(input);
        BOOST_TEST_CONTEXT("input " << member(c, "input")) {
            BOOST_TEST(str(fn::to_yaml(*input)) == member(c, "yaml"));
        }
    }
}

BOOST_AUTO_TEST_CASE(to_yaml_of_values_json_cannot_hold_is_empty) {
    BOOST_TEST(str(fn::to_yaml(value::float64(std::nan("")))) == "");
    tp::list_type l{value::integer(1), value::float64(HUGE_VAL)};
    BOOST_TEST(str(fn::to_yaml(value::list(l))) == "");
    // Typed values keep their JSON form: []byte as base64, int64 as a number, time as RFC 3339.
    tp::dict_type d;
    d.emplace("b", value::bytes("hi"));
    d.emplace("i", value::int64(7));
    tp::time_value t;
    t.seconds = 1709211845;
    d.emplace("t", value::time(t));
    BOOST_TEST(str(fn::to_yaml(value::dict(d))) == "b: aGk=\ni: 7\nt: \"2024-02-29T13:04:05Z\"");
}

BOOST_AUTO_TEST_CASE(from_yaml_reads_yaml_1_1_into_json_types) {
    auto m = fn::from_yaml("port: 8080\non: yes\nmode: 0644\nname: '0644'\nlist: [a, 1.5]\nnested: {k: ~}\n");
    BOOST_REQUIRE((m.kind() == tp::kind::dict));
    BOOST_TEST((m.entry("port").kind() == tp::kind::float64));  // every number is a float64, as json.Unmarshal makes it
    BOOST_TEST(m.entry("port").as_float() == 8080);
    BOOST_TEST(m.entry("on").as_bool());
    BOOST_TEST(m.entry("mode").as_float() == 420);  // YAML 1.1 octal
    BOOST_TEST(m.entry("name").as_string() == "0644");
    BOOST_TEST(m.entry("list").size() == 2u);
    BOOST_TEST(m.entry("nested").entry("k").is_nil());
    BOOST_TEST(fn::from_yaml("").size() == 0u);
}

BOOST_AUTO_TEST_CASE(from_yaml_failures_are_an_error_entry_as_in_eso) {
    auto list = fn::from_yaml("- a\n- b\n");
    BOOST_TEST(list.size() == 1u);
    BOOST_TEST(list.entry("Error").as_string() ==
               "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type "
               "map[string]interface {}");
    auto bad = fn::from_yaml("a: [");
    BOOST_TEST(std::string(bad.entry("Error").as_string()).starts_with("error converting YAML to JSON: yaml: line 1"));
    // The text of a value never appears in the error.
    auto dup = fn::from_yaml("secret: s3cr3t-value\nsecret: other\n");
    BOOST_TEST(std::string(dup.entry("Error").as_string()).find("s3cr3t-value") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sprig)

BOOST_AUTO_TEST_CASE(every_golden_template_renders_as_go_and_sprig_render_it) {
    // 264 templates over every Sprig function esx offers, wrong types and Go panics included
    // (`error calling first: Cannot find first on type string`); the few intended differences
    // carry an `esx` output and a `why` in the file.
    auto cases = read_jsonl(golden("sprig.golden.jsonl"));
    BOOST_REQUIRE_GE(cases.size(), 250u);
    tp::options opts;
    opts.clock = golden_now;
    auto const data = golden_context();
    std::size_t deviations = 0;
    for (auto const& c : cases) {
        std::string const want = c.contains("esx") ? member(c, "esx") : member(c, "go");
        deviations += c.contains("esx");
        BOOST_TEST_CONTEXT("template " << member(c, "template")) {
            BOOST_TEST(render(member(c, "template"), data, opts) == want);
        }
    }
    BOOST_TEST(deviations == 3u);
}

BOOST_AUTO_TEST_CASE(sprig_dicts_are_shared_references_as_go_maps) {
    auto const data = golden_context();
    BOOST_TEST(render(R"({{ $d := dict }}{{ range list "a" "b" }}{{ $_ := set $d . 1 }}{{ end }}{{ keys $d }})", data) == "[a b]");
    BOOST_TEST(render(R"({{ $d := dict "n" (dict) }}{{ $_ := merge $d.n (dict "x" 1) }}{{ $d }})", data) == "map[n:map[x:1]]");
}

BOOST_AUTO_TEST_CASE(sprig_digests_match_the_fips_test_vectors) {
    // FIPS 180-2's "abc" vectors; sha512sum has no line in the golden file. Twice each: the
    // algorithm is fetched once and kept.
    auto const data = golden_context();
    for (int round = 0; round < 2; ++round) {
        BOOST_TEST(render(R"({{ "abc" | sha1sum }})", data) == "a9993e364706816aba3e25717850c26c9cd0d89d");
        BOOST_TEST(render(R"({{ "abc" | sha256sum }})", data) ==
                   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        BOOST_TEST(render(R"({{ "abc" | sha512sum }})", data) ==
                   "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    }
}

BOOST_AUTO_TEST_CASE(string_building_functions_are_bounded) {
    auto const data = golden_context();
    tp::options opts;
    opts.limits.max_string_bytes = 1000;
    for (auto const* t : {R"({{ repeat 1001 "x" }})", R"({{ repeat 9223372036854775807 "ab" }})", R"({{ indent 2000 "x" }})",
                          R"({{ replace "x" (repeat 100 "y") (repeat 20 "x") }})", R"({{ b64enc (repeat 800 "x") }})",
                          R"({{ join "," (splitList "" (repeat 600 "x")) }})", R"({{ toJson (splitList "" (repeat 300 "x")) }})"}) {
        BOOST_TEST_CONTEXT(t) {
            auto out = render(t, data, opts);
            BOOST_TEST(out.find("exceeds the limit of 1000 bytes") != std::string::npos, out);
        }
    }
    BOOST_TEST(render(R"({{ repeat 1000 "x" | len }})", data, opts) == "1000");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dates)

BOOST_AUTO_TEST_CASE(now_and_date_read_the_injected_clock) {
    auto const data = golden_context();
    tp::options opts;
    opts.clock = golden_now;
    BOOST_TEST(render("{{ now }}", data, opts) == "2024-02-29 13:04:05.123456789 +0000 UTC");
    BOOST_TEST(render(R"({{ now | date "2006-01-02T15:04:05.000Z07:00" }})", data, opts) == "2024-02-29T13:04:05.123Z");
    opts.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(0)); };
    BOOST_TEST(render(R"({{ now | unixEpoch }} {{ date "2006" "not a time" }})", data, opts) == "0 1970");
}

BOOST_AUTO_TEST_CASE(go_layouts_format_and_parse) {
    tp::time_value t;
    t.seconds = 1709211845;  // 2024-02-29T13:04:05Z
    t.nanoseconds = 120000000;
    t.offset = 19800;
    t.zone = "IST";
    BOOST_TEST(fn::detail::go_time_format(t, "2006-01-02T15:04:05.999999999Z07:00") == "2024-02-29T18:34:05.12+05:30");
    BOOST_TEST(fn::detail::go_time_format(t, "Mon Jan _2 3:04PM MST -0700 .000 ,99") == "Thu Feb 29 6:34PM IST +0530 .120 ,12");
    BOOST_TEST(fn::detail::go_time_format(t, "__2 002 06 January Monday pm") == " 60 060 24 February Thursday pm");
    auto p = fn::detail::go_time_parse("2006-01-02T15:04:05Z07:00", "2024-02-29T18:34:05+05:30");
    BOOST_REQUIRE(p);
    BOOST_TEST(p->seconds == 1709211845);
    BOOST_TEST(p->offset == 19800);
    BOOST_TEST(!fn::detail::go_time_parse("2006-01-02", "2023-02-29"));  // day out of range
    BOOST_TEST(!fn::detail::go_time_parse("2006-01-02", "2024-03-01 extra"));
    BOOST_TEST(fn::detail::go_time_parse("Jan 2 2006 3:04PM", "feb 29 2024 1:05PM")->seconds == 1709211900);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(eso_in_templates)

namespace {

value pki_context() {
    auto const& p = pki::get();
    return context({{"leaf", p.leaf},
                    {"intermediate", p.intermediate},
                    {"root", p.root},
                    {"chain", p.root + p.leaf + p.intermediate},
                    {"key", p.leaf_key},
                    {"pfx", p.file("legacy-1234.pfx")},
                    {"pfx_nopass", p.file("modern-nopass.pfx")},
                    {"pfx_b64", capture(p.dir.path, "openssl base64 -A -in legacy-3des.pfx")},
                    {"jwk", jwk::jwks::get().rsa_public}});
}

} // namespace

BOOST_AUTO_TEST_CASE(tls_secret_from_a_pfx_as_users_write_it) {
    auto const& p = pki::get();
    auto const data = pki_context();
    // ESO's documented pattern: the certificate object's value, key and chain split out.
    BOOST_TEST(render(R"({{ .pfx | pkcs12keyPass "1234" }})", data) == p.leaf_key);
    BOOST_TEST(render(R"({{ .pfx | pkcs12certPass "1234" }})", data) == p.leaf + p.intermediate + p.root);
    BOOST_TEST(render(R"({{ .pfx_nopass | pkcs12key }})", data) == p.leaf_key);
    BOOST_TEST(render(R"({{ .pfx_nopass | pkcs12cert | filterCertChain "leaf" }})", data) == p.leaf);
    BOOST_TEST(render(R"({{ .pfx_b64 | b64dec | pkcs12certPass "s3cr3t" | filterPEM "CERTIFICATE" }})", data) ==
               p.leaf + p.intermediate);
    BOOST_TEST(render(R"({{ .pfx | pkcs12keyPass "wrong" }})", data) ==
               R"(ERR: template: k:1:10: executing "k" at <pkcs12keyPass "wrong">: error calling pkcs12keyPass: unable to decode pkcs12 with password: pkcs12: decryption password incorrect)");
}

BOOST_AUTO_TEST_CASE(pem_chain_functions_and_sans_in_templates) {
    auto const& p = pki::get();
    auto const data = pki_context();
    BOOST_TEST(render(R"({{ .chain | filterCertChain "intermediate" }})", data) == p.intermediate);
    BOOST_TEST(render(R"({{ .chain | filterCertChain "root" }})", data) == p.root);
    BOOST_TEST(render(R"({{ .chain | filterPEM "CERTIFICATE" | filterCertChain "leaf" }})", data) == p.leaf);
    BOOST_TEST(render(R"({{ .leaf | certSANs | join "," }})", data) ==
               "foo.example.com,www.example.com,192.168.1.10,2001:db8::1,10.0.0.1,admin@example.com,https://example.com/app");
    BOOST_TEST(render(R"({{ range certSANs .leaf }}{{ if hasPrefix "www" . }}{{ . }}{{ end }}{{ end }})", data) == "www.example.com");
    BOOST_TEST(render(R"({{ .key | filterPEM "CERTIFICATE" }})", data) == "");
}

BOOST_AUTO_TEST_CASE(jwk_and_pkcs12_round_trip_in_templates) {
    auto const& p = pki::get();
    auto const data = pki_context();
    BOOST_TEST(render("{{ .jwk | jwkPublicKeyPem }}", data) == jwk::jwks::get().rsa_public_pem);
    auto b64 = render(R"({{ fullPemToPkcs12Pass (print .leaf .intermediate) .key "pw" }})", data);
    BOOST_REQUIRE(!b64.starts_with("ERR"));
    auto const again = context(std::vector<std::pair<std::string, std::string>>{{"b", b64}});
    BOOST_TEST(render(R"({{ .b | b64dec | pkcs12certPass "pw" }})", again) == p.leaf + p.intermediate);
    BOOST_TEST(render(R"({{ .b | b64dec | pkcs12keyPass "pw" }})", again) == p.leaf_key);
    BOOST_TEST(render(R"({{ pemToPkcs12 .leaf .key | b64dec | pkcs12cert }})", data) == p.leaf);
    // A function's Go signature decides what an argument may be.
    BOOST_TEST(render("{{ pkcs12key 5 }}", data).find("expected string") != std::string::npos);
    BOOST_TEST(render("{{ pkcs12keyPass .leaf }}", data).find("wrong number of args for pkcs12keyPass: want 2 got 1") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(yaml_functions_in_templates) {
    auto const data = context({{"cfg", "b: [x, 'yes']\na: 1\n"}});
    BOOST_TEST(render("{{ toYaml (fromYaml .cfg) }}", data) == "a: 1\nb:\n- x\n- \"yes\"");
    BOOST_TEST(render("{{ (fromYaml .cfg).a | typeOf }}", data) == "float64");
    BOOST_TEST(render(R"({{ dict "k" .cfg | toYaml }})", data) == "k: |\n  b: [x, 'yes']\n  a: 1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(safety)

BOOST_AUTO_TEST_CASE(environment_network_and_file_functions_do_not_exist) {
    auto const data = golden_context();
    for (auto const* name : {"env", "expandenv", "getHostByName"}) {
        BOOST_TEST(tp::eso_functions()->find(name) == nullptr);
        auto out = render(std::string("{{ ") + name + R"( "x" }})", data);
        BOOST_TEST(out.find(std::string("function \"") + name + "\" not defined") != std::string::npos, out);
        BOOST_TEST(out.starts_with("ERR: template: k:1"), out);
    }
    // Nothing Helm or others add that reaches outside the template either.
    for (auto const* name : {"readFile", "include", "tpl", "lookup", "exec", "getenv", "os", "required", "genPrivateKey",
                             "randAlphaNum", "uuidv4"})
        BOOST_TEST(tp::eso_functions()->find(name) == nullptr, name);
}

BOOST_AUTO_TEST_CASE(every_function_the_issue_lists_is_registered) {
    for (auto const* name :
         {"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "pemToPkcs12", "pemToPkcs12Pass", "fullPemToPkcs12",
          "fullPemToPkcs12Pass", "filterPEM", "filterCertChain", "certSANs", "jwkPublicKeyPem", "jwkPrivateKeyPem", "toYaml",
          "fromYaml", "b64enc", "b64dec", "b32enc", "b32dec", "toJson", "toPrettyJson", "fromJson", "toString", "upper",
          "lower", "title", "trim", "trimAll", "trimPrefix", "trimSuffix", "replace", "split", "splitList", "join",
          "contains", "hasPrefix", "hasSuffix", "quote", "squote", "cat", "default", "empty", "coalesce", "ternary", "dig",
          "get", "set", "unset", "hasKey", "keys", "values", "pick", "omit", "merge", "list", "dict", "first", "last",
          "append", "uniq", "sortAlpha", "sha1sum", "sha256sum", "indent", "nindent", "repeat", "substr", "trunc",
          "regexMatch", "regexReplaceAll", "regexFind", "toDate", "date", "now", "int", "atoi", "float64", "add", "sub"})
        BOOST_TEST(tp::eso_functions()->find(name) != nullptr, name);
}

BOOST_AUTO_TEST_CASE(failures_never_carry_secret_values) {
    auto const& p = pki::get();
    std::string const secret = "v4lue-that-must-never-be-printed";
    auto const data = context({{"s", secret}, {"pfx", p.file("modern-1234.pfx")}});
    for (auto const* t : {R"({{ .s | pkcs12key }})", R"({{ .pfx | pkcs12keyPass .s }})", R"({{ .s | jwkPublicKeyPem }})",
                          R"({{ .s | filterCertChain "leaf" }})", R"({{ .s | certSANs }})", R"({{ pemToPkcs12 .s .s }})",
                          R"({{ .s | first }})", R"({{ dig .s "x" "y" }})", R"({{ .s | filterPEM "X" }})",
                          R"({{ regexFind "(" .s }})", R"({{ substr 50 60 .s }})"}) {
        auto out = render(t, data);
        BOOST_TEST_CONTEXT(t) {
            BOOST_TEST(out.starts_with("ERR: "), out);
            BOOST_TEST(out.find(secret) == std::string::npos, out);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END() // template_functions
BOOST_AUTO_TEST_SUITE_END() // esx
