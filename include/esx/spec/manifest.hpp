// esx::spec: manifest files (YAML with `---`-separated documents, or JSON) to ESO resources.
//
// Includes <esx/spec/yaml.hpp>, so users of this header link yaml-cpp.
#ifndef ESX_SPEC_MANIFEST_HPP
#define ESX_SPEC_MANIFEST_HPP

#include <esx/spec/parse.hpp>
#include <esx/spec/yaml.hpp>

#include <boost/json/parse.hpp>

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

} // namespace esx::spec

#endif
