// esx::sync_result: what one sync of one ExternalSecret did, printable as one line without values.
#ifndef ESX_PIPELINE_RESULT_HPP
#define ESX_PIPELINE_RESULT_HPP

#include <esx/failure.hpp>
#include <esx/sink/target.hpp>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace esx {

/// Sizes of one sync (never values).
struct sync_counts {
    std::size_t entries = 0;  ///< `data[]` plus `dataFrom[]` entries processed
    std::size_t skipped = 0;  ///< entries whose remote object does not exist, skipped by `deletionPolicy`
    std::size_t keys = 0;     ///< keys of the target (what was, or would be, written)
};

/// An entry skipped because the provider has no such object (`deletionPolicy` Delete or Merge).
struct skipped_entry {
    bool data_from = false;  ///< `spec.dataFrom[index]`; else `spec.data[index]`
    std::size_t index = 0;
    std::string key;         ///< the `remoteRef.key` of a `data` entry; empty for `dataFrom`
};

/** One ExternalSecret's sync: its name, then either the sink's `outcome` or the `failure` that
    stopped it (then nothing was written). `operator<<` prints one line:

        default/db-credentials: created Secret default/db (3 keys)
        default/db-credentials: failed: spec.data[1] (key: cert/api-tls): ...

    Neither form ever holds a secret value. */
struct sync_result {
    std::string namespace_, name;  ///< the ExternalSecret
    std::optional<sink::outcome> outcome;
    std::optional<failure> error;
    sync_counts counts;
    std::vector<skipped_entry> skipped_entries;  ///< the `counts.skipped` entries, in order

    bool ok() const noexcept { return !error.has_value(); }
};

inline std::ostream& operator<<(std::ostream& os, sync_result const& r) {
    os << r.namespace_ << '/' << r.name << ": ";
    if (r.error) {
        // One line, whatever a service put into its message.
        std::string m = r.error->what();
        for (auto& c : m)
            if (c == '\n' || c == '\r') c = ' ';
        return os << "failed: " << m;
    }
    if (!r.outcome) return os << "nothing done";
    auto const& o = *r.outcome;
    os << to_string(o.action);
    if (!o.location.empty()) os << ' ' << o.location;
    os << " (" << r.counts.keys << (r.counts.keys == 1 ? " key" : " keys");
    if (r.counts.skipped) os << ", " << r.counts.skipped << " missing entr" << (r.counts.skipped == 1 ? "y" : "ies") << " skipped";
    os << ')';
    if (!o.note.empty()) os << " [" << o.note << ']';
    return os;
}

/// True when every sync succeeded.
inline bool all_synced(std::vector<sync_result> const& results) noexcept {
    for (auto const& r : results)
        if (!r.ok()) return false;
    return true;
}

} // namespace esx

#endif
