// libFuzzer target for kubeconfig parsing (`kube::config::from_kubeconfig_text`): clusters,
// users and contexts, inline `*-data` (base64), `exec` plugin stanzas, tokens, the context
// override. Parsing only: an exec plugin is described, never run (the token source it makes
// is not asked for a token here), and nothing is sent anywhere.
// Build and run with tests/fuzz/run.sh kubeconfig SECONDS.
//
// Input: the first line names the context to use (empty: `current-context`); the rest is the
// kubeconfig text. Relative file paths resolve in a directory of our own holding `ca.crt` and
// `token`. Inputs that could name a device or a process file (`/dev`, `/proc`, `/sys`, a
// backslash, which YAML and JSON escapes could use to spell one, or a `!!binary` tag) are skipped: reading /dev/zero as a CA file would hang
// kubectl too, and says nothing about the parser.
//
// Besides "no crash": a config that loads has a server and no trailing slash; a client
// certificate comes with its key; no failure message holds a `token`, a `client-key-data`
// or an exec `env` value (credentials), or the text of a `*-data` field.
//
// Which values are credentials is read from the document itself (the first non-empty one, as
// the library reads it), not guessed from the text: a line that looks like `token: ...` may sit
// inside a quoted name. A message may quote names (of contexts, clusters and users, the context
// asked for), so a credential that any other string of the document or the requested context
// also holds proves nothing and is not checked.
#include <esx/kube/config.hpp>
#include <esx/yaml.hpp>

#include "support.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace kube = esx::kube;

// The directory lives for the process and is removed at exit (libFuzzer ends with exit()).
struct scratch_dir {
    std::filesystem::path path;
    ~scratch_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

std::filesystem::path const& empty_dir() {
    static scratch_dir const dir{[] {
        char tmpl[] = "/tmp/esx-fuzz-kubeconfig.XXXXXX";
        char* made = ::mkdtemp(tmpl);
        if (!made) std::abort();
        std::filesystem::path const p(made);
        std::ofstream(p / "ca.crt") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        std::ofstream(p / "token") << "file-token-0123456789abcdef\n";
        return p;
    }()};
    return dir.path;
}

// Values of block keys `token:`, `client-key-data:`, `value:` and the `*-data:` keys on one line, that
// appear exactly once in the text (so a message holding one copied it from that field). Used
// only for text that is not YAML, whose failure message has no names to quote.
std::vector<std::string> credential_values_in_text(std::string_view text) {
    std::vector<std::string> out;
    for (std::string_view key : {"token:", "client-key-data:", "value:", "certificate-authority-data:",
                                 "client-certificate-data:"}) {
        for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
            // Only a block mapping key: nothing but indentation and `- ` before it on its line.
            auto line = at;
            while (line > 0 && (text[line - 1] == ' ' || text[line - 1] == '-')) --line;
            if (line > 0 && text[line - 1] != '\n') continue;
            auto start = at + key.size();
            while (start < text.size() && (text[start] == ' ' || text[start] == '"' || text[start] == '\'')) ++start;
            auto end = start;
            while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end]))) ++end;
            auto const v = text.substr(start, end - start);
            if (esx_fuzz::distinctive(v) && esx_fuzz::count(text, v) == 1) out.emplace_back(v);
        }
    }
    return out;
}

bool is_credential_key(std::string_view key) {
    return key == "token" || key == "password" || (key.size() > 5 && key.ends_with("-data"));
}

// Every string of the document, sorted into credentials (`token`, `password`, `*-data`, an exec
// `env` entry's `value`) and everything else (keys included).
void sort_strings(boost::json::value const& v, bool credential, std::vector<std::string>& credentials,
                  std::vector<std::string>& others) {
    if (v.is_string()) {
        (credential ? credentials : others).emplace_back(v.as_string());
    } else if (v.is_array()) {
        for (auto const& e : v.as_array()) sort_strings(e, false, credentials, others);
    } else if (v.is_object()) {
        auto const& o = v.as_object();
        bool const env_entry = o.contains("name") && o.contains("value");
        for (auto const& [k, e] : o) {
            others.emplace_back(k);
            sort_strings(e, is_credential_key(k) || (env_entry && k == "value"), credentials, others);
        }
    }
}

// The credential values a leaked message could be recognised by.
std::vector<std::string> credential_values(std::string_view text, std::string const& context) {
    esx::yaml_options o;
    o.plain_scalars_as_text = true;
    o.max_nodes = 100'000;
    auto docs = esx::yaml_documents(text, o);
    if (!docs) return credential_values_in_text(text);
    std::vector<std::string> credentials, others{context};
    for (auto const& d : *docs) {
        if (d.is_null()) continue;
        sort_strings(d, false, credentials, others);
        break;
    }
    std::vector<std::string> out;
    for (auto const& v : credentials) {
        if (!esx_fuzz::distinctive(v)) continue;
        bool named_elsewhere = false;
        for (auto const& s : others) named_elsewhere = named_elsewhere || s.find(v) != std::string::npos;
        if (!named_elsewhere) out.push_back(v);
    }
    return out;
}

bool may_name_special_files(std::string_view text) {
    for (std::string_view bad : {"/dev", "/proc", "/sys", "\\", "binary"})
        if (text.find(bad) != std::string_view::npos) return true;
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(data), size);
    if (may_name_special_files(input)) return 0;
    auto const nl = input.find('\n');
    std::string const context(input.substr(0, nl));
    std::string_view const text = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

    auto c = kube::config::from_kubeconfig_text(text, context, empty_dir());
    if (!c) {
        auto const& f = c.error();
        if (f.message.empty()) __builtin_trap();
        for (auto const& v : credential_values(text, context))
            if (f.message.find(v) != std::string::npos) __builtin_trap();
        return 0;
    }
    if (c->server.empty() || (c->server.size() > 1 && c->server.back() == '/')) __builtin_trap();
    if (c->client_certificate_pem.empty() != c->client_key_pem.empty()) __builtin_trap();
    if (c->context.empty()) __builtin_trap();
    if (c->default_namespace.empty()) __builtin_trap();
    return 0;
}
