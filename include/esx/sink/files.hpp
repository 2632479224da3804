// esx::sink::files: the target becomes a directory of files, one per key, replaced as a set.
#ifndef ESX_SINK_FILES_HPP
#define ESX_SINK_FILES_HPP

#include <esx/sink/concept.hpp>

#include <boost/asio/awaitable.hpp>

#include <filesystem>

namespace esx::sink {

struct files_options {
    unsigned file_mode = 0600;   ///< mode of every value file (the umask does not apply)
    unsigned dir_mode = 0700;    ///< mode of each data directory and of the directory when esx creates it
    bool create_directory = true;            ///< create the directory (and its parents) when missing
    bool allow_symlinked_directory = false;  ///< accept a directory path that is itself a symbolic link
    bool sync = true;                        ///< fsync files and directories before and after the swap
};

/** Writes a target into `directory` as the kubelet's AtomicWriter writes a Secret volume:

    ```
    directory/
      ..2025_06_01_12_00_00.k3Yq9z/   the current set: one file per key (mode 0600)
      ..data -> ..2025_06_01_12_00_00.k3Yq9z
      db-password -> ..data/db-password
      db-user -> ..data/db-user
    ```

    A write makes a new timestamped hidden directory holding every file, points a `..data_tmp`
    symlink at it and renames that over `..data` (one atomic step), then adds the per-key
    links for new keys, removes the links of keys that are gone and deletes the previous set.
    Unchanged content (same keys, bytes and modes) writes nothing (`unchanged`).

    Reading a consistent set: open `directory/..data` (or `readlink` it), read the files, and
    check that `..data` still names the same set; a reader that does so never sees keys of two
    sets (a set is deleted only after `..data` moved away from it). Each single file is always
    complete, whichever path it is read through.

    Safety: every file operation is relative to a descriptor of `directory` and never follows
    a symbolic link (`O_NOFOLLOW`, `lstat`-style checks): a `directory` that is a symlink is
    refused unless `allow_symlinked_directory`; a key must be a plain file name (no `/`, not
    `.`, not starting with `..`, no NUL, at most 255 bytes), even though the pipeline checks
    keys already; an entry named like a new key that is not esx's own link (`key ->
    ..data/key`) is refused (`error::foreign_entry`), never replaced. A failed write removes its
    half-made set and leaves the current one as it was.

    Creation policies: None -> `skipped`; Merge with no set yet -> `skipped`; Merge and
    CreateOrMerge keep keys of the current set the target does not have; Owner and Orphan
    replace the set. `remove` (deletionPolicy Delete, creationPolicy Owner) deletes the set, its
    links and `..data`, and keeps the directory. One writer per directory at a time.
*/
class files {
public:
    using policy_kind = tag;

    explicit files(std::filesystem::path directory) : files(std::move(directory), files_options{}) {}
    files(std::filesystem::path directory, files_options o) : directory_(std::move(directory)), options_(o) {}

    boost::asio::awaitable<result<outcome, failure>> apply(target t, apply_options o);
    boost::asio::awaitable<result<outcome, failure>> remove(target t, apply_options o);

    /// The same, without a coroutine (the work is synchronous file I/O either way).
    result<outcome, failure> apply_now(target const& t, apply_options o);
    result<outcome, failure> remove_now(target const& t, apply_options o);

    std::filesystem::path const& directory() const noexcept { return directory_; }

private:
    std::filesystem::path directory_;
    files_options options_;
};

static_assert(detail::diagnose<files>());

} // namespace esx::sink

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/files.ipp>
#endif

#endif
