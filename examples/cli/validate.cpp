// `esx validate -f FILE...`: every admission rule ESO's webhook applies, offline, plus the checks
// across documents a webhook cannot make; each problem printed with its file, line and JSON path.
#include "args.hpp"
#include "commands.hpp"

#include <esx/spec/manifest.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iostream>

namespace esx::cli {

std::string_view const validate_help =
    "usage: esx validate -f FILE... [--namespace N] [--output json]\n"
    "\n"
    "Reads every document of the files (YAML or JSON, `-` for stdin, a directory for its .yaml,\n"
    ".yml and .json files) and checks each on its own as ESO's admission webhook would, then the\n"
    "documents together: duplicates, two ExternalSecrets writing one Secret, store references and\n"
    "ClusterSecretStore conditions. A reference to something not in the files is a note only (it\n"
    "may be in the cluster). Every problem is printed, with its file, line and JSON path.\n"
    "\n"
    "  -f, --filename FILE   a manifest file (repeatable)\n"
    "  -n, --namespace N     namespace of documents that name none (default: default)\n"
    "  -o, --output json     one JSON object instead of lines\n"
    "\n"
    "Exit status: 0 no problem (notes allowed), 2 a problem or a usage error.\n";

namespace {

constexpr option_spec validate_options_[] = {
    {.name = "filename", .short_name = 'f', .takes_value = true, .repeatable = true},
    {.name = "namespace", .short_name = 'n', .takes_value = true},
    {.name = "output", .short_name = 'o', .takes_value = true},
};

std::string where(spec::document_error const& e) {
    std::string out = e.source.empty() ? std::string("<input>") : e.source;
    if (e.line) out += ":" + std::to_string(e.line);
    out += ": ";
    if (!e.kind.empty()) {
        out += e.kind + " ";
        if (!e.namespace_.empty()) out += e.namespace_ + "/";
        out += e.name.empty() ? std::string("(unnamed)") : e.name;
        out += " ";
    }
    if (e.index) out += "(document " + std::to_string(e.index) + ")";
    return out;
}

void print_lines(std::ostream& os, spec::document_error const& e, std::string_view prefix) {
    if (e.error.causes.empty()) {
        os << prefix << where(e) << ": " << e.error.what() << "\n";
        return;
    }
    for (auto const& c : e.error.causes)
        os << prefix << where(e) << ": " << (c.field.empty() ? c.message : c.field + ": " + c.message) << "\n";
}

boost::json::array as_json(std::vector<spec::document_error> const& list) {
    boost::json::array out;
    for (auto const& e : list) {
        boost::json::array problems;
        for (auto const& c : e.error.causes)
            problems.push_back({{"field", c.field}, {"reason", c.reason}, {"message", c.message}});
        if (problems.empty()) problems.push_back({{"field", ""}, {"reason", e.error.reason}, {"message", e.error.what()}});
        out.push_back({{"source", e.source}, {"document", e.index}, {"line", e.line}, {"kind", e.kind},
                       {"namespace", e.namespace_}, {"name", e.name}, {"problems", std::move(problems)}});
    }
    return out;
}

} // namespace

int validate_command(std::span<char* const> argv) {
    auto parsed = parse(argv, validate_options_);
    if (auto* why = std::get_if<std::string>(&parsed)) return usage_failure(*why, validate_help);
    auto const& args = std::get<arguments>(parsed);
    if (args.help) {
        std::cout << validate_help;
        return success;
    }
    if (!args.positional.empty())
        return usage_failure("unexpected argument `" + args.positional[0] + "` (files go after -f)", validate_help);
    auto const files = args.values("filename");
    if (files.empty()) return usage_failure("no manifest: give at least one -f FILE", validate_help);
    auto const output = args.value("output");
    if (!output.empty() && output != "json") return usage_failure("--output takes `json`", validate_help);

    spec::validate_options options;
    options.default_namespace = args.value("namespace", "default");
    auto set = spec::read_files(files, options);
    if (!set) {
        // A file that cannot be read or split into documents (a YAML syntax error): the failure
        // names the file, as kubectl does.
        if (output == "json")
            std::cout << boost::json::serialize(boost::json::object{
                             {"valid", false}, {"error", set.error().what()}})
                      << "\n";
        else
            std::cerr << "esx: " << set.error().what() << "\n";
        return usage_error;
    }
    set->default_namespace(options.default_namespace);
    auto const report = spec::validate_manifests(*set, options);
    std::size_t const documents = set->documents.size() + set->errors.size();

    if (output == "json") {
        std::cout << boost::json::serialize(boost::json::object{{"valid", report.ok()},
                                                                {"documents", documents},
                                                                {"errors", as_json(report.errors)},
                                                                {"notes", as_json(report.notes)}})
                  << "\n";
        return report.ok() ? success : usage_error;
    }
    std::size_t problems = 0;
    for (auto const& e : report.errors) {
        print_lines(std::cout, e, "");
        problems += e.error.causes.empty() ? 1 : e.error.causes.size();
    }
    for (auto const& e : report.notes) print_lines(std::cout, e, "note: ");
    std::cout << documents << (documents == 1 ? " document, " : " documents, ")
              << (report.ok() ? std::string("valid")
                              : std::to_string(report.errors.size()) + " invalid (" + std::to_string(problems) +
                                    (problems == 1 ? " problem)" : " problems)"));
    if (!report.notes.empty()) std::cout << ", " << report.notes.size() << (report.notes.size() == 1 ? " note" : " notes");
    std::cout << "\n";
    return report.ok() ? success : usage_error;
}

} // namespace esx::cli
