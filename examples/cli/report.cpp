#include "report.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <ostream>

#include <unistd.h>

namespace esx::cli {
namespace {

std::string one_line(std::string s) {
    for (auto& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

std::string_view would(sink::action a) {
    switch (a) {
    case sink::action::created: return "would create";
    case sink::action::updated: return "would update";
    case sink::action::unchanged: return "unchanged";
    case sink::action::deleted: return "would delete";
    case sink::action::retained: return "would retain";
    case sink::action::skipped: return "would skip";
    }
    return "";
}

std::string join(std::vector<std::string> const& v) {
    std::string out;
    for (auto const& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

} // namespace

std::string result_line(sync_result const& r, bool dry_run) {
    std::string line = r.namespace_ + "/" + r.name + ": ";
    if (r.error) return line + "failed: " + one_line(r.error->what());
    if (!r.outcome) return line + "nothing done";
    auto const& o = *r.outcome;
    line += dry_run ? std::string(would(o.action)) : std::string(to_string(o.action));
    if (!o.location.empty()) line += " " + o.location;
    std::size_t const keys = o.keys.empty() ? r.counts.keys : o.keys.size();
    line += " (" + std::to_string(keys) + (keys == 1 ? " key" : " keys");
    if (dry_run) {
        // What would change, without a value: the keys and ESO's data-hash of the whole data.
        if (!o.keys.empty()) line += ": " + join(o.keys);
        if (!o.removed_keys.empty()) line += "; removing " + join(o.removed_keys);
        if (!o.data_hash.empty()) line += "; data-hash " + o.data_hash;
    }
    if (r.counts.skipped)
        line += ", " + std::to_string(r.counts.skipped) + (r.counts.skipped == 1 ? " missing entry" : " missing entries") +
                " skipped";
    line += ")";
    if (!o.note.empty()) line += " [" + one_line(o.note) + "]";
    return line;
}

std::string invalid_line(spec::document_error const& e) {
    std::string where = e.source.empty() ? std::string("<input>") : e.source;
    if (e.line) where += ":" + std::to_string(e.line);
    std::string who = e.kind.empty() ? std::string("document ") + std::to_string(e.index)
                                     : e.kind + " " + (e.namespace_.empty() ? "" : e.namespace_ + "/") + e.name;
    std::string problems;
    if (e.error.causes.empty()) problems = one_line(e.error.what());
    for (auto const& c : e.error.causes)
        problems += (problems.empty() ? "" : "; ") + (c.field.empty() ? c.message : c.field + ": " + c.message);
    return who + ": invalid, not synced (" + where + "): " + one_line(problems);
}

std::string results_json(std::vector<sync_result> const& results, std::vector<spec::document_error> const& invalid,
                         std::vector<std::string> const& other, bool dry_run) {
    namespace json = boost::json;
    json::array items;
    std::size_t failed = 0;
    for (auto const& r : results) {
        json::object item{{"namespace", r.namespace_}, {"name", r.name}};
        if (r.error) {
            ++failed;
            item["status"] = "failed";
            json::array causes;
            for (auto const& c : r.error->causes)
                causes.push_back({{"field", c.field}, {"reason", c.reason}, {"message", c.message}});
            item["error"] = {{"message", r.error->what()}, {"reason", r.error->reason}, {"causes", std::move(causes)}};
        } else if (r.outcome) {
            auto const& o = *r.outcome;
            item["status"] = to_string(o.action);
            item["location"] = o.location;
            json::array keys, removed;
            for (auto const& k : o.keys) keys.push_back(json::string(k));
            for (auto const& k : o.removed_keys) removed.push_back(json::string(k));
            item["keys"] = std::move(keys);
            item["removedKeys"] = std::move(removed);
            item["dataHash"] = o.data_hash;
            if (!o.note.empty()) item["note"] = o.note;
        }
        item["entries"] = r.counts.entries;
        item["skippedEntries"] = r.counts.skipped;
        items.push_back(std::move(item));
    }
    json::array bad;
    for (auto const& e : invalid) {
        json::array causes;
        for (auto const& c : e.error.causes)
            causes.push_back({{"field", c.field}, {"reason", c.reason}, {"message", c.message}});
        bad.push_back({{"source", e.source}, {"document", e.index}, {"line", e.line}, {"kind", e.kind},
                       {"namespace", e.namespace_}, {"name", e.name}, {"message", e.error.what()},
                       {"causes", std::move(causes)}});
    }
    json::array others;
    for (auto const& line : other) others.push_back(json::string(line));
    json::object doc{{"dryRun", dry_run},
                     {"results", std::move(items)},
                     {"invalid", std::move(bad)},
                     {"other", std::move(others)},
                     {"summary",
                      {{"externalSecrets", results.size()},
                       {"synced", results.size() - failed},
                       {"failed", failed},
                       {"invalid", invalid.size()}}}};
    return json::serialize(doc);
}

std::string summary_line(std::vector<sync_result> const& results, std::size_t invalid) {
    std::size_t failed = 0;
    for (auto const& r : results)
        if (!r.ok()) ++failed;
    std::string s = std::to_string(results.size()) + (results.size() == 1 ? " ExternalSecret: " : " ExternalSecrets: ") +
                    std::to_string(results.size() - failed) + " synced, " + std::to_string(failed) + " failed";
    if (invalid) s += ", " + std::to_string(invalid) + " invalid document" + (invalid == 1 ? "" : "s") + " not synced";
    return s;
}

progress_line::progress_line(std::ostream& os, int fd, std::size_t total, std::size_t threshold)
    : os_(os), active_(total >= threshold && ::isatty(fd) == 1), total_(total) {}

void progress_line::update(std::size_t done, std::size_t failed) {
    if (!active_ || total_ == 0) return;
    std::size_t const percent = done * 100 / total_;
    if (percent == last_percent_ && done != total_) return;  // at most ~100 redraws per run
    last_percent_ = percent;
    os_ << "\r\033[Kesx sync: " << done << "/" << total_ << " ExternalSecrets (" << percent << "%)";
    if (failed) os_ << ", " << failed << " failed";
    os_.flush();
}

void progress_line::clear() {
    if (active_ && last_percent_ != static_cast<std::size_t>(-1)) os_ << "\r\033[K" << std::flush;
}

} // namespace esx::cli
