// esx::spec: manifest files (YAML with `---`-separated documents, or JSON) to ESO resources.
//
// `read_manifests` / `read_files` read each document on its own, as ESO treats each object on its
// own: an invalid document becomes one `document_error` (every problem, with JSON paths) and the
// others are kept, with the core objects a sync needs (Secrets, ServiceAccounts, ConfigMaps,
// Namespaces). A YAML syntax error fails only its document: the text is split on `---` lines as
// kubectl splits it, and each piece is parsed alone (line numbers stay the file's).
// `validate_manifests` is `esx validate`: each document's admission rules plus the checks across
// documents. `parse_manifests` (all or nothing) stays for existing callers.
//
// Includes <esx/spec/yaml.hpp>, so users of this header link yaml-cpp.
#ifndef ESX_SPEC_MANIFEST_HPP
#define ESX_SPEC_MANIFEST_HPP

#include <esx/config.hpp>
#include <esx/spec/parse.hpp>
#include <esx/spec/yaml.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace esx::spec {

/// The documents of a manifest: JSON if the text starts with `{` (one object; `kind: List`
/// expanded), YAML otherwise (empty documents dropped, `kind: List` expanded), as kubectl reads them.
inline result<std::vector<boost::json::value>, failure> load_documents(std::string_view text,
                                                                        yaml_options const& options = {}) {
    std::vector<boost::json::value> docs;
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') {
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(text, ec);
        if (ec) return failure(make_error_code(error::invalid_option), "json: " + ec.message());
        docs.push_back(std::move(v));
    } else {
        auto y = yaml_documents(text, options);
        if (!y) return y.error();
        for (auto& d : *y)
            if (!d.is_null()) docs.push_back(std::move(d));
    }
    std::vector<boost::json::value> out;
    out.reserve(docs.size());
    for (auto& d : docs) {
        auto* o = d.if_object();
        auto kind = o ? o->find("kind") : nullptr;
        auto items = o ? o->find("items") : nullptr;
        if (o && kind != o->end() && kind->value() == "List" && items != o->end() && items->value().is_array()) {
            for (auto& item : items->value().get_array()) out.push_back(std::move(item));
        } else {
            out.push_back(std::move(d));
        }
    }
    return out;
}

/// Every ESO document of a manifest, read and validated; other documents (Secrets,
/// ServiceAccounts, ...) are passed over. The failure lists the problems of every document, each
/// line prefixed with `document N (Kind name): ` (N counts from 1 over the documents loaded).
inline result<std::vector<resource>, failure> parse_manifests(std::string_view text,
                                                              validate_options const& options = {}) {
    auto docs = load_documents(text);
    if (!docs) return docs.error();
    std::vector<resource> out;
    failure all(make_error_code(error::invalid_option));
    all.reason = "Invalid";
    for (std::size_t i = 0; i < docs->size(); ++i) {
        auto const& d = (*docs)[i];
        if (!is_eso_document(d)) continue;
        auto r = parse(d, options);
        if (r) {
            out.push_back(std::move(*r));
            continue;
        }
        std::string label = "document " + std::to_string(i + 1);
        if (auto const* o = d.if_object()) {
            std::string kind, name;
            if (auto it = o->find("kind"); it != o->end() && it->value().is_string()) kind = it->value().get_string();
            if (auto m = o->find("metadata"); m != o->end() && m->value().is_object())
                if (auto n = m->value().get_object().find("name"); n != m->value().get_object().end() &&
                                                                    n->value().is_string())
                    name = n->value().get_string();
            if (!kind.empty() || !name.empty()) label += " (" + kind + (name.empty() ? "" : " " + name) + ")";
        }
        for (auto& c : r.error().causes) {
            if (!all.message.empty()) all.message += '\n';
            all.message += label + ": " + (c.field.empty() ? c.message : c.field + ": " + c.message);
            all.causes.push_back(std::move(c));
        }
    }
    if (!all.causes.empty()) return all;
    return out;
}

/// One document that could not be used, and why. The other documents of its file are unaffected.
struct document_error {
    std::string source;                  ///< file name or "<stdin>"
    std::size_t index = 0;               ///< 1-based document number in the source
    std::size_t line = 0;                ///< 1-based line where the document starts; 0 if not known
    std::string kind, name, namespace_;  ///< as far as they could be read
    failure error;                       ///< every problem of the document (causes with JSON paths)
};

/// Where a document that was read came from (for messages about it).
struct document_origin {
    std::string source;                  ///< file name or "<stdin>"
    std::size_t index = 0;               ///< 1-based document number in the source
    std::size_t line = 0;                ///< 1-based line where the document starts; 0 if not known
    std::string kind, name, namespace_;  ///< `namespace_` as written (empty until defaulted)
};

/// The documents of one or more manifest files, each read on its own: the ones that are valid,
/// and one `document_error` per invalid one.
struct manifest_set {
    std::vector<secret_store> stores;                    ///< SecretStore and ClusterSecretStore
    std::vector<external_secret> external_secrets;
    std::vector<cluster_external_secret> cluster_external_secrets;
    /// v1 Secrets, ServiceAccounts, ConfigMaps (credentials, templateFrom) and Namespaces
    /// (their labels, for ClusterSecretStore conditions), as written.
    std::vector<boost::json::object> core_objects;
    std::vector<document_error> errors;
    /// Every document kept above, in reading order (errors are not repeated here).
    std::vector<document_origin> documents;

    /// Appends `other`'s documents after this one's.
    ESX_DECL void merge(manifest_set other);
    /// Gives every namespaced document without `metadata.namespace` the namespace `ns` (what
    /// kubectl does with its context's namespace); ClusterSecretStores, ClusterExternalSecrets
    /// and Namespaces are left alone.
    ESX_DECL void default_namespace(std::string_view ns);
    /// The origin of a document kept in this set; nullptr if none matches.
    ESX_DECL document_origin const* origin(std::string_view kind, std::string_view namespace_,
                                           std::string_view name) const;
};

/// Every document on its own; a failure only when the text itself cannot be split (YAML syntax
/// error: then, as kubectl, report the file).
ESX_DECL result<manifest_set, failure> read_manifests(std::string_view text, std::string_view source_name,
                                                      validate_options const& options);
ESX_DECL result<manifest_set, failure> read_manifests(std::string_view text, std::string_view source_name);
ESX_DECL result<manifest_set, failure> read_manifests(std::string_view text);

/// Reads files (`-` is stdin); a file that cannot be read is a failure naming it.
ESX_DECL result<manifest_set, failure> read_files(std::vector<std::string> const& paths,
                                                  validate_options const& options);
ESX_DECL result<manifest_set, failure> read_files(std::vector<std::string> const& paths);

/// What `esx validate` prints: the problems of every document, with JSON paths.
struct validation_report {
    /// Per document: its own problems (from reading) and cross-document ones (a target Secret
    /// written by two ExternalSecrets, a credential Secret in the files that lacks the key, ...).
    std::vector<document_error> errors;
    /// Worth knowing, not wrong: e.g. an ExternalSecret naming a store that is not in the files
    /// (it may be in the cluster). `error.code` is empty for notes.
    std::vector<document_error> notes;
    bool ok() const noexcept { return errors.empty(); }
};

/// Every admission rule ESO applies, offline, plus the checks across documents a webhook cannot
/// make. `set` as `read_manifests`/`read_files` returned it (its `errors` are carried over).
ESX_DECL validation_report validate_manifests(manifest_set const& set, validate_options const& options);
ESX_DECL validation_report validate_manifests(manifest_set const& set);

} // namespace esx::spec

#if ESX_HEADER_ONLY
#  include <esx/spec/impl/manifest.ipp>
#  include <esx/spec/impl/validate_manifests.ipp>
#endif

#endif
