// esx::spec: manifest files read document by document (see <esx/spec/manifest.hpp>).
#ifndef ESX_SPEC_IMPL_MANIFEST_IPP
#define ESX_SPEC_IMPL_MANIFEST_IPP

#include <esx/spec/manifest.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace esx::spec {
namespace detail::manifest_impl {

namespace json = boost::json;

/// One YAML document's text and the 0-based line of the file it starts on.
struct chunk {
    std::string_view text;
    std::size_t first_line = 0;
};

/// kubectl's splitter: a line starting with `---` followed by nothing but blanks or a comment
/// separates documents. A `---` with content after it (`--- |`) starts a document that yaml-cpp
/// reads itself. YAML forbids `---` at the start of a line inside a document, so this never
/// cuts one in two.
inline std::vector<chunk> split_yaml(std::string_view text) {
    std::vector<chunk> out;
    std::size_t start = 0, start_line = 0, line = 0, pos = 0;
    auto flush = [&](std::size_t end) {
        if (end > start) out.push_back({text.substr(start, end - start), start_line});
    };
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
        std::string_view l = text.substr(pos, next - pos);
        if (l.starts_with("---")) {
            std::string_view rest = l.substr(3);
            std::size_t first = rest.find_first_not_of(" \t\r\n");
            bool bare = first == std::string_view::npos || rest[first] == '#';
            bool marker = rest.empty() || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\n';
            if (marker) {
                flush(pos);
                if (bare) {
                    start = next;
                    start_line = line + 1;
                } else {
                    start = pos;
                    start_line = line;
                }
            }
        }
        pos = next;
        ++line;
    }
    flush(text.size());
    return out;
}

/// Anything but blanks, comments and directives.
inline bool has_content(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
        std::string_view l = text.substr(pos, next - pos);
        std::size_t first = l.find_first_not_of(" \t\r\n");
        if (first != std::string_view::npos && l[first] != '#' && !(first == 0 && l[0] == '%') && l.substr(first) != "...")
            return true;
        pos = next;
    }
    return false;
}

/// `kind`, `metadata.name` and `metadata.namespace` of a document yaml-cpp could not read, from
/// its plain `key: value` lines, so its error can still say which object it was.
inline void guess_identity(std::string_view text, document_error& e) {
    auto value_of = [](std::string_view l) {
        std::string_view v = l.substr(l.find(':') + 1);
        if (auto hash = v.find(" #"); hash != std::string_view::npos) v = v.substr(0, hash);
        std::size_t a = v.find_first_not_of(" \t\"'"), b = v.find_last_not_of(" \t\r\n\"'");
        return a == std::string_view::npos ? std::string() : std::string(v.substr(a, b - a + 1));
    };
    bool in_metadata = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
        std::string_view l = text.substr(pos, next - pos);
        pos = next;
        if (l.empty() || l[0] == '#' || l.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
        bool top = l[0] != ' ' && l[0] != '\t';
        if (top) in_metadata = l.starts_with("metadata:");
        if (top && l.starts_with("kind:") && e.kind.empty()) e.kind = value_of(l);
        if (!top && in_metadata) {
            std::string_view t = l.substr(l.find_first_not_of(" \t"));
            std::size_t indent = l.size() - t.size();
            if (indent > 4) continue;
            if (t.starts_with("name:") && e.name.empty()) e.name = value_of(t);
            if (t.starts_with("namespace:") && e.namespace_.empty()) e.namespace_ = value_of(t);
        }
    }
}

inline std::string string_at(json::object const& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

/// `kind`, `metadata.name`, `metadata.namespace`, as far as they are strings.
inline void identity_of(json::value const& doc, std::string& kind, std::string& name, std::string& ns) {
    auto const* o = doc.if_object();
    if (!o) return;
    kind = string_at(*o, "kind");
    if (auto m = o->find("metadata"); m != o->end() && m->value().is_object()) {
        name = string_at(m->value().get_object(), "name");
        ns = string_at(m->value().get_object(), "namespace");
    }
}

/// The core kinds a sync reads: credentials, templates, namespace labels.
inline bool is_core_kind(std::string_view kind) {
    return kind == "Secret" || kind == "ServiceAccount" || kind == "ConfigMap" || kind == "Namespace";
}

inline bool is_base64(std::string_view s) {
    if (s.size() % 4 != 0) return false;
    std::size_t pad = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=') {
            if (i + 2 < s.size()) return false;
            ++pad;
        } else if (!alnum || pad > 0) {
            return false;
        }
    }
    return true;
}

/// What the API server checks of the core objects esx reads (the values themselves never appear
/// in a message).
inline void check_core(json::object const& o, std::string_view kind, problems& p) {
    if (!o.if_contains("metadata")) p.add("metadata.name", reasons::required, "name or generateName is required");
    else if (auto const* m = o.at("metadata").if_object()) {
        auto const* name = m->if_contains("name");
        if (!name || (name->is_string() && name->get_string().empty()))
            p.add("metadata.name", reasons::required, "name or generateName is required");
        else if (!name->is_string()) p.add("metadata.name", reasons::type_invalid, "must be a string");
        if (auto const* ns = m->if_contains("namespace"); ns && !ns->is_string())
            p.add("metadata.namespace", reasons::type_invalid, "must be a string");
    }
    auto string_map = [&](std::string_view field, bool base64) {
        auto const* v = o.if_contains(field);
        if (!v || v->is_null()) return;
        if (!v->is_object()) {
            p.add(std::string(field), reasons::type_invalid, "must be an object");
            return;
        }
        for (auto const& kv : v->get_object()) {
            std::string at = std::string(field) + "[" + std::string(kv.key()) + "]";
            if (!kv.value().is_string()) p.add(at, reasons::type_invalid, "must be a string");
            else if (base64 && !is_base64(kv.value().get_string()))
                p.add(at, reasons::invalid, "must be base64 (standard alphabet, padded)");
        }
    };
    if (kind == "Secret") {
        string_map("data", true);
        string_map("stringData", false);
    } else if (kind == "ConfigMap") {
        string_map("data", false);
        string_map("binaryData", true);
    }
}

inline failure invalid(problems&& p) {
    failure f = to_failure(std::move(p));
    if (f.reason.empty()) f.reason = "Invalid";
    return f;
}

/// Reads one document (or one `List` item, `prefix` then being `items[i].`) into `set`.
inline void read_document(json::value const& doc, std::string const& prefix, document_origin const& where,
                          validate_options const& options, manifest_set& set) {
    document_origin origin = where;
    identity_of(doc, origin.kind, origin.name, origin.namespace_);
    auto fail = [&](failure f) {
        if (!prefix.empty()) {
            for (auto& c : f.causes) c.field = prefix + c.field;
            f.message.clear();
            for (auto const& c : f.causes) {
                if (!f.message.empty()) f.message += '\n';
                f.message += c.field.empty() ? c.message : c.field + ": " + c.message;
            }
        }
        set.errors.push_back({origin.source, origin.index, origin.line, origin.kind, origin.name, origin.namespace_,
                              std::move(f)});
    };
    auto const* o = doc.if_object();
    if (!o) {
        problems p;
        p.add("", reasons::type_invalid, "a manifest must be an object");
        return fail(invalid(std::move(p)));
    }
    if (is_eso_document(doc)) {
        auto r = parse(doc, options);
        if (!r) return fail(r.error());
        std::visit(
            [&](auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, secret_store>) set.stores.push_back(std::move(x));
                else if constexpr (std::is_same_v<T, external_secret>) set.external_secrets.push_back(std::move(x));
                else set.cluster_external_secrets.push_back(std::move(x));
            },
            *r);
        set.documents.push_back(std::move(origin));
        return;
    }
    std::string api_version = string_at(*o, "apiVersion");
    if (!o->contains("apiVersion") || !o->contains("kind")) {
        problems p;
        if (!o->contains("apiVersion")) p.add("apiVersion", reasons::required, "is required");
        if (!o->contains("kind")) p.add("kind", reasons::required, "is required");
        return fail(invalid(std::move(p)));
    }
    if (api_version != "v1" || !is_core_kind(origin.kind)) return;  // not esx's: kubectl would apply it
    problems p;
    check_core(*o, origin.kind, p);
    if (!p.empty()) return fail(invalid(std::move(p)));
    set.core_objects.push_back(*o);
    set.documents.push_back(std::move(origin));
}

/// A document, with `kind: List` expanded into its items.
inline void read_value(json::value const& doc, document_origin const& where, validate_options const& options,
                       manifest_set& set) {
    if (auto const* o = doc.if_object()) {
        auto kind = o->find("kind");
        auto items = o->find("items");
        if (kind != o->end() && kind->value() == "List" && items != o->end() && items->value().is_array()) {
            auto const& a = items->value().get_array();
            for (std::size_t i = 0; i < a.size(); ++i)
                read_document(a[i], "items[" + std::to_string(i) + "].", where, options, set);
            return;
        }
    }
    read_document(doc, "", where, options, set);
}

template <class T>
void append(std::vector<T>& to, std::vector<T>&& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

inline failure file_failure(std::string_view path, std::string message) {
    return failure(make_error_code(error::invalid_option), std::string(path) + ": " + std::move(message));
}

inline std::string over_limit(std::size_t limit, std::string_view option) {
    return "larger than the limit of " + std::to_string(limit) + " bytes (" + std::string(option) + ")";
}

/// Reads at most `limit` bytes of `in`; more is an error (a pipe or a file that grew has no
/// size to check first).
inline result<std::string, failure> read_bounded(std::istream& in, std::string_view name, std::size_t limit) {
    std::string text;
    char chunk[64 * 1024];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        auto const n = static_cast<std::size_t>(in.gcount());
        if (text.size() + n > limit) return file_failure(name, over_limit(limit, "max_file_bytes"));
        text.append(chunk, n);
    }
    if (in.bad()) return file_failure(name, std::string("cannot read: ") + std::strerror(errno));
    return text;
}

/// The text of `path` (`-`: standard input), refused when over `limit` bytes.
inline result<std::string, failure> slurp(std::string const& path, std::size_t limit) {
    if (path == "-") return read_bounded(std::cin, "<stdin>", limit);
    std::error_code ec;
    if (auto const size = std::filesystem::file_size(path, ec); !ec && size > limit)
        return file_failure(path, over_limit(limit, "max_file_bytes"));
    std::ifstream in(path, std::ios::binary);
    if (!in) return file_failure(path, std::string("cannot open: ") + std::strerror(errno));
    return read_bounded(in, path, limit);
}

/// A document over the size limit, reported as a bad document (reason "Invalid").
inline document_error oversized(document_origin const& where, std::size_t limit) {
    document_error e{where.source, where.index, where.line, {}, {}, {}, {}};
    e.error = failure(make_error_code(error::invalid_option), "document is " + over_limit(limit, "max_document_bytes"));
    e.error.reason = "Invalid";
    return e;
}

} // namespace detail::manifest_impl

ESX_DECL void manifest_set::merge(manifest_set other) {
    using detail::manifest_impl::append;
    append(stores, std::move(other.stores));
    append(external_secrets, std::move(other.external_secrets));
    append(cluster_external_secrets, std::move(other.cluster_external_secrets));
    append(core_objects, std::move(other.core_objects));
    append(errors, std::move(other.errors));
    append(documents, std::move(other.documents));
}

ESX_DECL void manifest_set::default_namespace(std::string_view ns) {
    for (auto& s : stores)
        if (s.kind == store_kind::secret_store && s.metadata.namespace_.empty()) s.metadata.namespace_ = ns;
    for (auto& es : external_secrets)
        if (es.metadata.namespace_.empty()) es.metadata.namespace_ = ns;
    for (auto& o : core_objects) {
        if (detail::manifest_impl::string_at(o, "kind") == "Namespace") continue;
        auto& m = o["metadata"];
        if (!m.is_object()) m.emplace_object();
        auto& meta = m.get_object();
        auto it = meta.find("namespace");
        if (it == meta.end() || !it->value().is_string() || it->value().get_string().empty()) meta["namespace"] = ns;
    }
    for (auto& d : documents)
        if (d.namespace_.empty() && d.kind != "ClusterSecretStore" && d.kind != "ClusterExternalSecret" &&
            d.kind != "Namespace")
            d.namespace_ = ns;
}

ESX_DECL document_origin const* manifest_set::origin(std::string_view kind, std::string_view namespace_,
                                                     std::string_view name) const {
    for (auto const& d : documents)
        if (d.kind == kind && d.name == name && d.namespace_ == namespace_) return &d;
    return nullptr;
}

ESX_DECL result<manifest_set, failure> read_manifests(std::string_view text, std::string_view source_name,
                                                      validate_options const& options) {
    using namespace detail::manifest_impl;
    manifest_set set;
    std::string source(source_name);
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') {
        if (text.size() > options.max_document_bytes) {
            set.errors.push_back(oversized({source, 1, 0, {}, {}, {}}, options.max_document_bytes));
            return set;
        }
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        if (ec) return failure(make_error_code(error::invalid_option), source + ": json: " + ec.message());
        read_value(v, {source, 1, 0, {}, {}, {}}, options, set);
        return set;
    }
    std::size_t index = 0;
    for (auto const& c : split_yaml(text)) {
        if (!has_content(c.text)) continue;
        if (c.text.size() > options.max_document_bytes) {
            auto e = oversized({source, ++index, c.first_line + 1, {}, {}, {}}, options.max_document_bytes);
            guess_identity(c.text.substr(0, 64 * 1024), e);
            set.errors.push_back(std::move(e));
            continue;
        }
        yaml_options yo;
        yo.line_offset = c.first_line;
        auto docs = yaml_documents(c.text, yo);
        if (!docs) {
            document_error e{source, ++index, c.first_line + 1, {}, {}, {}, docs.error()};
            e.error.reason = "Invalid";
            guess_identity(c.text, e);
            set.errors.push_back(std::move(e));
            continue;
        }
        for (auto const& d : *docs) {
            if (d.is_null()) continue;
            read_value(d, {source, ++index, c.first_line + 1, {}, {}, {}}, options, set);
        }
    }
    return set;
}

ESX_DECL result<manifest_set, failure> read_manifests(std::string_view text, std::string_view source_name) {
    return read_manifests(text, source_name, validate_options{});
}

ESX_DECL result<manifest_set, failure> read_manifests(std::string_view text) {
    return read_manifests(text, "<input>", validate_options{});
}

ESX_DECL result<manifest_set, failure> read_files(std::vector<std::string> const& paths,
                                                  validate_options const& options) {
    using namespace detail::manifest_impl;
    namespace fs = std::filesystem;
    manifest_set all;
    auto read_one = [&](std::string const& path) -> result<void, failure> {
        auto text = slurp(path, options.max_file_bytes);
        if (!text) return text.error();
        auto set = read_manifests(*text, path == "-" ? std::string("<stdin>") : path, options);
        if (!set) return set.error();
        all.merge(std::move(*set));
        return {};
    };
    for (auto const& path : paths) {
        std::error_code ec;
        if (path != "-" && fs::is_directory(path, ec)) {
            // As `kubectl apply -f DIR`: the directory's .yaml, .yml and .json files, in name order.
            std::vector<std::string> files;
            for (auto const& e : fs::directory_iterator(path, ec)) {
                auto ext = e.path().extension().string();
                if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
                    files.push_back(e.path().string());
            }
            if (ec) return file_failure(path, "cannot list: " + ec.message());
            std::sort(files.begin(), files.end());
            for (auto const& f : files)
                if (auto r = read_one(f); !r) return r.error();
            continue;
        }
        if (auto r = read_one(path); !r) return r.error();
    }
    return all;
}

ESX_DECL result<manifest_set, failure> read_files(std::vector<std::string> const& paths) {
    return read_files(paths, validate_options{});
}

} // namespace esx::spec

#endif
