// esx::sink::files (out of line): the kubelet's atomic writer over directory descriptors.
#ifndef ESX_SINK_IMPL_FILES_IPP
#define ESX_SINK_IMPL_FILES_IPP

#include <esx/sink/detail/secret_model.hpp>
#include <esx/sink/error.hpp>
#include <esx/sink/files.hpp>
#include <esx/transform/hash.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esx::sink {
namespace files_impl {

inline constexpr char const* data_link = "..data";
inline constexpr char const* data_tmp_link = "..data_tmp";

// An owned file descriptor.
class fd {
public:
    fd() = default;
    explicit fd(int v) noexcept : v_(v) {}
    fd(fd&& o) noexcept : v_(std::exchange(o.v_, -1)) {}
    fd& operator=(fd&& o) noexcept {
        if (this != &o) {
            reset();
            v_ = std::exchange(o.v_, -1);
        }
        return *this;
    }
    ~fd() { reset(); }
    int get() const noexcept { return v_; }
    explicit operator bool() const noexcept { return v_ >= 0; }
    void reset() noexcept {
        if (v_ >= 0) ::close(v_);
        v_ = -1;
    }

private:
    int v_ = -1;
};

inline failure io_failure(std::string_view what, std::string const& path, int err) {
    return failure(make_error_code(error::io_failed),
                   "files: " + std::string(what) + " " + path + ": " + std::strerror(err));
}

inline failure refuse(error e, std::string message) { return failure(make_error_code(e), "files: " + std::move(message)); }

// A key must be one plain file name inside the set (the kubelet's path checks, stricter).
inline result<void, failure> check_key(std::string const& key) {
    if (key.empty()) return refuse(error::invalid_key, "an empty key cannot be a file name");
    if (key.size() > 255) return refuse(error::invalid_key, "key " + key.substr(0, 32) + "... is longer than 255 bytes");
    if (key.find('\0') != std::string::npos) return refuse(error::unsafe_path, "a key holds a NUL byte");
    if (key.find('/') != std::string::npos)
        return refuse(error::unsafe_path, "key " + key + " holds a '/' and would leave the directory");
    if (key == "." || key.starts_with(".."))
        return refuse(error::unsafe_path, "key " + key + " is '.' or starts with '..' (names esx keeps for its sets)");
    return {};
}

inline std::string child(std::filesystem::path const& dir, std::string_view name) { return (dir / name).string(); }

// The name `..data` points at, if it exists. Anything but a link to a `..` name in the same
// directory is refused.
inline result<std::optional<std::string>, failure> current_set(int dfd, std::filesystem::path const& dir) {
    char buf[512];
    ssize_t const n = ::readlinkat(dfd, data_link, buf, sizeof buf - 1);
    if (n < 0) {
        if (errno == ENOENT) return std::optional<std::string>();
        if (errno == EINVAL) return refuse(error::foreign_entry, child(dir, data_link) + " is not a symbolic link");
        return io_failure("readlink", child(dir, data_link), errno);
    }
    std::string name(buf, static_cast<std::size_t>(n));
    if (!name.starts_with("..") || name == ".." || name.find('/') != std::string::npos)
        return refuse(error::unsafe_path, child(dir, data_link) + " points outside the directory (" + name + ")");
    return std::optional<std::string>(std::move(name));
}

// The names in directory `dirfd` (without "." and "..").
inline result<std::vector<std::string>, failure> list_entries(int dirfd, std::string const& path) {
    int const listing = ::dup(dirfd);  // fdopendir owns (and closedir closes) the duplicate
    if (listing < 0) return io_failure("dup", path, errno);
    DIR* d = ::fdopendir(listing);
    if (!d) {
        int const err = errno;
        ::close(listing);
        return io_failure("opendir", path, err);
    }
    ::rewinddir(d);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string_view const n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    return names;
}

struct file_set {
    std::map<std::string, secret_bytes> data;
    bool modes_match = true;
};

inline result<secret_bytes, failure> read_file(int sfd, std::string const& key, std::string const& path, unsigned mode,
                                               bool& mode_matches) {
    fd f(::openat(sfd, key.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)); // a FIFO must not block
    if (!f) return io_failure("open", path, errno);
    struct stat st {};
    if (::fstat(f.get(), &st) != 0) return io_failure("stat", path, errno);
    if (!S_ISREG(st.st_mode)) return refuse(error::foreign_entry, path + " is not a regular file");
    if ((st.st_mode & 07777) != mode) mode_matches = false;
    secret_bytes out;
    char buf[8192];
    for (;;) {
        ssize_t const n = ::read(f.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            esx::detail::secure_wipe(buf, sizeof buf);
            return io_failure("read", path, errno);
        }
        if (n == 0) break;
        out.append(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    esx::detail::secure_wipe(buf, sizeof buf);
    return out;
}

inline result<file_set, failure> read_set(int dfd, std::filesystem::path const& dir, std::string const& name, unsigned mode) {
    file_set set;
    fd sfd(::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sfd) return io_failure("open", child(dir, name), errno);
    auto keys = list_entries(sfd.get(), child(dir, name));
    if (!keys) return keys.error();
    for (auto const& key : *keys) {
        auto bytes = read_file(sfd.get(), key, child(dir / name, key), mode, set.modes_match);
        if (!bytes) return bytes.error();
        set.data.emplace(key, std::move(*bytes));
    }
    return set;
}

// Removes set directory `name` and the files in it (never following a link).
inline result<void, failure> remove_set(int dfd, std::filesystem::path const& dir, std::string const& name) {
    fd sfd(::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sfd) {
        if (errno == ENOENT) return {};
        return io_failure("open", child(dir, name), errno);
    }
    auto entries = list_entries(sfd.get(), child(dir, name));
    if (!entries) return entries.error();
    for (auto const& e : *entries)
        if (::unlinkat(sfd.get(), e.c_str(), 0) != 0 && errno != ENOENT)
            return io_failure("unlink", child(dir / name, e), errno);
    if (::unlinkat(dfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return io_failure("rmdir", child(dir, name), errno);
    return {};
}

// `key -> ..data/key`, the link esx makes; anything else under a key's name is foreign.
enum class link_state { absent, ours, foreign };

inline link_state key_link(int dfd, std::string const& key) {
    struct stat st {};
    if (::fstatat(dfd, key.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? link_state::absent : link_state::foreign;
    if (!S_ISLNK(st.st_mode)) return link_state::foreign;
    char buf[512];
    ssize_t const n = ::readlinkat(dfd, key.c_str(), buf, sizeof buf);
    if (n < 0) return link_state::foreign;
    return std::string_view(buf, static_cast<std::size_t>(n)) == std::string(data_link) + "/" + key ? link_state::ours
                                                                                                    : link_state::foreign;
}

inline std::string new_set_name() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::time_t const now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char stamp[64];
    std::strftime(stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.", &utc);
    std::string name = stamp;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof alnum - 2);
    for (int i = 0; i < 6; ++i) name += alnum[pick(rng)];
    return name;
}

inline result<void, failure> write_all(int f, std::string_view bytes, std::string const& path) {
    while (!bytes.empty()) {
        ssize_t const n = ::write(f, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_failure("write", path, errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

// Makes a new set directory holding `data`; returns its name. On failure nothing is left.
inline result<std::string, failure> write_set(int dfd, std::filesystem::path const& dir,
                                              std::map<std::string, secret_bytes> const& data, files_options const& o) {
    std::string name;
    for (int tries = 0;; ++tries) {
        name = new_set_name();
        if (::mkdirat(dfd, name.c_str(), 0700) == 0) break;
        if (errno != EEXIST || tries > 16) return io_failure("mkdir", child(dir, name), errno);
    }
    auto undo = [&](failure f) -> failure {
        (void)remove_set(dfd, dir, name);
        return f;
    };
    fd sfd(::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sfd) return undo(io_failure("open", child(dir, name), errno));
    if (::fchmod(sfd.get(), o.dir_mode) != 0) return undo(io_failure("chmod", child(dir, name), errno));
    for (auto const& [key, value] : data) {
        std::string const path = child(dir / name, key);
        fd f(::openat(sfd.get(), key.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!f) return undo(io_failure("create", path, errno));
        if (::fchmod(f.get(), o.file_mode) != 0) return undo(io_failure("chmod", path, errno));
        if (auto w = write_all(f.get(), value.reveal(), path); !w) return undo(w.error());
        if (o.sync && ::fsync(f.get()) != 0) return undo(io_failure("fsync", path, errno));
    }
    if (o.sync && ::fsync(sfd.get()) != 0) return undo(io_failure("fsync", child(dir, name), errno));
    return name;
}

// Opens (creating if allowed) the sink's directory without following a final symlink.
inline result<fd, failure> open_directory(std::filesystem::path const& dir, files_options const& o, bool create) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) return io_failure("stat", dir.string(), errno);
        if (!create) return fd();
        std::error_code ec;
        if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
        if (ec) return io_failure("create", dir.parent_path().string(), ec.value());
        if (::mkdir(dir.c_str(), o.dir_mode) != 0 && errno != EEXIST) return io_failure("mkdir", dir.string(), errno);
        if (::lstat(dir.c_str(), &st) != 0) return io_failure("stat", dir.string(), errno);
    }
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    if (S_ISLNK(st.st_mode)) {
        if (!o.allow_symlinked_directory) {
            std::error_code ec;
            auto const to = std::filesystem::read_symlink(dir, ec);
            return refuse(error::unsafe_path, dir.string() + " is a symbolic link (to " + to.string() +
                                                  "); esx does not write through one unless "
                                                  "files_options::allow_symlinked_directory is set");
        }
    } else {
        flags |= O_NOFOLLOW;
        if (!S_ISDIR(st.st_mode)) return refuse(error::foreign_entry, dir.string() + " exists and is not a directory");
    }
    fd d(::open(dir.c_str(), flags));
    if (!d) return io_failure("open", dir.string(), errno);
    return d;
}

} // namespace files_impl

ESX_DECL boost::asio::awaitable<result<outcome, failure>> files::apply(target t, apply_options o) {
    co_return apply_now(t, o);
}

ESX_DECL boost::asio::awaitable<result<outcome, failure>> files::remove(target t, apply_options o) {
    co_return remove_now(t, o);
}

ESX_DECL result<outcome, failure> files::apply_now(target const& t, apply_options o) {
    using namespace files_impl;
    outcome out;
    out.location = directory_.string();
    out.keys = detail::keys_of(t.data);
    for (auto const& k : out.keys)
        if (auto ok = check_key(k); !ok) return ok.error();
    if (t.creation == spec::creation_policy::none) {
        out.action = action::skipped;
        out.note = "secret creation skipped due to CreationPolicy=None";
        out.data_hash = transform::data_hash(t.data);
        return out;
    }

    auto dir = open_directory(directory_, options_, !o.dry_run);
    if (!dir) return dir.error();
    int const dfd = dir->get();
    std::optional<std::string> current;
    file_set old;
    if (dfd >= 0) {
        auto cur = current_set(dfd, directory_);
        if (!cur) return cur.error();
        current = std::move(*cur);
        if (current) {
            auto set = read_set(dfd, directory_, *current, options_.file_mode);
            if (!set) return set.error();
            old = std::move(*set);
        }
    }
    bool const merging = t.creation == spec::creation_policy::merge || t.creation == spec::creation_policy::create_or_merge;
    if (!current && t.creation == spec::creation_policy::merge) {
        out.action = action::skipped;
        out.note = "secret will not be created due to CreationPolicy=Merge";
        out.data_hash = transform::data_hash(t.data);
        return out;
    }
    std::map<std::string, secret_bytes> data = t.data;
    if (merging && current)
        for (auto const& [k, v] : old.data) data.emplace(k, v);
    out.keys = detail::keys_of(data);
    out.data_hash = transform::data_hash(data);
    for (auto const& [k, v] : old.data)
        if (!data.contains(k)) out.removed_keys.push_back(k);

    // Links of the new keys: absent or ours, never anything else.
    std::vector<std::string> missing_links;
    if (dfd >= 0)
        for (auto const& [k, v] : data) {
            auto const state = key_link(dfd, k);
            if (state == link_state::foreign)
                return refuse(error::foreign_entry, child(directory_, k) + " exists and is not esx's link to " +
                                                        std::string(data_link) + "/" + k +
                                                        "; remove it or write to another directory");
            if (state == link_state::absent) missing_links.push_back(k);
        }
    else
        missing_links = detail::keys_of(data);

    if (current && old.data == data && old.modes_match) {
        out.action = action::unchanged;
        if (!o.dry_run)
            for (auto const& k : missing_links)
                if (::symlinkat((std::string(data_link) + "/" + k).c_str(), dfd, k.c_str()) != 0 && errno != EEXIST)
                    return io_failure("symlink", child(directory_, k), errno);
        return out;
    }
    out.action = current ? action::updated : action::created;
    if (o.dry_run) return out;

    auto made = write_set(dfd, directory_, data, options_);
    if (!made) return made.error();
    if (::unlinkat(dfd, data_tmp_link, 0) != 0 && errno != ENOENT) {
        auto f = io_failure("unlink", child(directory_, data_tmp_link), errno);
        (void)remove_set(dfd, directory_, *made);
        return f;
    }
    if (::symlinkat(made->c_str(), dfd, data_tmp_link) != 0) {
        auto f = io_failure("symlink", child(directory_, data_tmp_link), errno);
        (void)remove_set(dfd, directory_, *made);
        return f;
    }
    if (::renameat(dfd, data_tmp_link, dfd, data_link) != 0) {
        auto f = io_failure("rename", child(directory_, data_tmp_link), errno);
        (void)::unlinkat(dfd, data_tmp_link, 0);
        (void)remove_set(dfd, directory_, *made);
        return f;
    }
    if (options_.sync) (void)::fsync(dfd);
    // The new set is live. What follows tidies up; a failure is reported but the write stands.
    for (auto const& k : missing_links)
        if (::symlinkat((std::string(data_link) + "/" + k).c_str(), dfd, k.c_str()) != 0 && errno != EEXIST)
            return io_failure("symlink", child(directory_, k), errno);
    for (auto const& k : out.removed_keys)
        if (key_link(dfd, k) == link_state::ours && ::unlinkat(dfd, k.c_str(), 0) != 0 && errno != ENOENT)
            return io_failure("unlink", child(directory_, k), errno);
    if (current)
        if (auto gone = remove_set(dfd, directory_, *current); !gone) return gone.error();
    return out;
}

ESX_DECL result<outcome, failure> files::remove_now(target const& t, apply_options o) {
    using namespace files_impl;
    outcome out;
    out.location = directory_.string();
    if (t.deletion == spec::deletion_policy::retain) {
        out.action = action::retained;
        out.note = "secret retained due to DeletionPolicy=Retain";
        return out;
    }
    if (t.deletion == spec::deletion_policy::merge) {
        target emptied = t;
        emptied.data.clear();
        return apply_now(emptied, o);
    }
    if (auto allowed = detail::check_delete_allowed(t); !allowed) return allowed.error();
    out.action = action::deleted;
    auto dir = open_directory(directory_, options_, false);
    if (!dir) return dir.error();
    int const dfd = dir->get();
    auto cur = dfd >= 0 ? current_set(dfd, directory_) : result<std::optional<std::string>, failure>();
    if (!cur) return cur.error();
    if (!*cur) {
        out.note = "secret deleted due to DeletionPolicy=Delete (there was no set)";
        return out;
    }
    auto set = read_set(dfd, directory_, **cur, options_.file_mode);
    if (!set) return set.error();
    out.keys = detail::keys_of(set->data);
    out.data_hash = transform::data_hash(set->data);
    out.note = "secret deleted due to DeletionPolicy=Delete";
    if (o.dry_run) return out;
    for (auto const& k : out.keys)
        if (key_link(dfd, k) == link_state::ours && ::unlinkat(dfd, k.c_str(), 0) != 0 && errno != ENOENT)
            return io_failure("unlink", child(directory_, k), errno);
    if (::unlinkat(dfd, data_link, 0) != 0 && errno != ENOENT) return io_failure("unlink", child(directory_, data_link), errno);
    if (auto gone = remove_set(dfd, directory_, **cur); !gone) return gone.error();
    if (options_.sync) (void)::fsync(dfd);
    return out;
}

} // namespace esx::sink

#endif
