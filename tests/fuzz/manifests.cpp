// libFuzzer target for manifests: YAML streams (several documents, anchors, `kind: List`) and
// JSON, read as `esx validate` and `esx sync` read them (`spec::read_manifests`,
// `spec::validate_manifests`, `spec::parse_manifests`). A manifest comes from whoever may
// create an ExternalSecret in a namespace: untrusted.
// Build and run with tests/fuzz/run.sh manifests SECONDS (inputs up to 16 KiB: the e2e seeds are 9 KiB).
// esx-fuzz-flags: -max_len=16384
//
// Besides "no crash": every problem names the field it is about (a JSON path; only "the
// document is not an object" has none, and a YAML syntax error names its line and column);
// YAML text is never refused whole (each document stands alone) and JSON is refused by both
// readers or neither; and no message, cause or note holds the value of a Secret's
// `data`/`stringData` in the same files (values are secrets).
#include <esx/spec/manifest.hpp>
#include <esx/spec/parse.hpp>

#include "support.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace spec = esx::spec;
namespace json = boost::json;

// The values of the Secrets of the documents that appear exactly once, literally, in the text:
// a message holding one can only have copied it from the value.
std::vector<std::string> secret_values(std::vector<json::value> const& docs, std::string_view text) {
    std::vector<std::string> out;
    auto take = [&](json::value const& v) {
        if (!v.is_string()) return;
        std::string_view const s = v.get_string();
        for (char c : s)
            if (!std::isalnum(static_cast<unsigned char>(c))) return;
        if (esx_fuzz::distinctive(s) && esx_fuzz::count(text, s) == 1) out.emplace_back(s);
    };
    for (auto const& d : docs) {
        auto const* o = d.if_object();
        if (!o) continue;
        for (auto const* member : {"data", "stringData", "binaryData"})
            if (auto const* m = o->if_contains(member); m && m->is_object())
                for (auto const& kv : m->get_object()) take(kv.value());
    }
    return out;
}

bool whole_document(esx::failure_cause const& c) {
    return c.message == "a manifest must be an object" || c.message == "a manifest must be a JSON object";
}

void check_failure(esx::failure const& f, std::vector<std::string> const& values, bool notes) {
    // An error names its fields, or (YAML syntax) the line and column of the document.
    if (!notes && f.causes.empty() && !f.message.starts_with("yaml: line ")) __builtin_trap();
    for (auto const& c : f.causes) {
        if (!notes && c.field.empty() && !whole_document(c)) __builtin_trap();
        for (auto const& v : values)
            if (c.field.find(v) != std::string::npos || c.message.find(v) != std::string::npos) __builtin_trap();
    }
    for (auto const& v : values)
        if (f.message.find(v) != std::string::npos) __builtin_trap();
}

void check_errors(std::vector<spec::document_error> const& errors, std::vector<std::string> const& values,
                  bool notes) {
    for (auto const& e : errors) {
        if (e.index == 0 && !notes) __builtin_trap();
        check_failure(e.error, values, notes);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    spec::validate_options options;
    options.default_namespace = "team-a";

    auto docs = spec::load_documents(text);
    std::vector<std::string> values;
    if (docs) values = secret_values(*docs, text);
    else check_failure(docs.error(), values, true);

    auto set = spec::read_manifests(text, "fuzz.yaml", options);
    // JSON is one document: both readers accept it or neither. YAML is read document by
    // document (a bad one is listed in `errors`), so the set fails only for JSON.
    bool const is_json = text.find_first_not_of(" \t\r\n") != std::string_view::npos &&
                         text[text.find_first_not_of(" \t\r\n")] == '{';
    if (is_json ? set.has_value() != docs.has_value() : !set.has_value()) __builtin_trap();
    if (!set) {
        if (set.error().message.empty()) __builtin_trap();
    } else {
        check_errors(set->errors, values, false);
        auto report = spec::validate_manifests(*set, options);
        check_errors(report.errors, values, false);
        check_errors(report.notes, values, true);
        if (report.errors.size() < set->errors.size()) __builtin_trap();  // errors of reading are carried over
        auto copy = *set;
        copy.default_namespace("team-b");
        (void)spec::validate_manifests(copy, options);
    }

    auto parsed = spec::parse_manifests(text, options);
    if (!parsed) {
        for (auto const& v : values)
            if (parsed.error().message.find(v) != std::string::npos) __builtin_trap();
    }
    return 0;
}
