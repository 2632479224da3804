// esx::sink::dotenv: targets as shell variable assignments, printed by `flush()`.
#ifndef ESX_SINK_DOTENV_HPP
#define ESX_SINK_DOTENV_HPP

#include <esx/sink/concept.hpp>
#include <esx/sink/detail/stream_output.hpp>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace esx::sink {

/** Collects targets and prints them as a dotenv file on `flush()`, to a stream or to a file
    replaced atomically (mode 0600):

    ```
    # Secret team-a/db (ExternalSecret db)
    DB_PASSWORD='p@ss'\''word'
    db_user='admin'
    ```

    The format is for POSIX shells: `set -a; . ./file; set +a` exports every variable with its
    value byte for byte.

    - Quoting: every value is written between single quotes, and each `'` in it as `'\''`
      (close, an escaped quote, reopen). Inside single quotes a shell interprets nothing:
      newlines, `"`, `$`, backticks, backslashes and any byte but NUL come through as they
      are. A value holding a NUL byte cannot be a shell variable: `error::nul_in_value`, naming
      the key.
    - Names: a Secret key (`[-._a-zA-Z0-9]+`) becomes a variable name
      (`[A-Za-z_][A-Za-z0-9_]*`) by turning each `-` and `.` into `_` and putting `_` in front
      of a leading digit (`tls.crt` -> `tls_crt`, `1st-key` -> `_1st_key`). Two keys of the
      printed targets that become one name are refused (`error::key_collision`, naming both),
      as is a name bash keeps read-only (`UID`, `EUID`, `PPID`, `SHELLOPTS`, `BASHOPTS`,
      `BASH_VERSINFO`); any other character is `error::invalid_key`.
    - Creation policies: None -> `skipped`; the others print the target's keys (a stream
      has no existing target to merge into). Applying the same target again replaces it.
    - `remove`: Retain -> `retained`; Delete drops the target from the output; Merge applies no
      data. A dry run collects nothing.
    - `flush()` writes everything collected since the previous flush, ordered by namespace,
      name and variable. Use the sink from one executor (it is not thread-safe).
*/
class dotenv {
public:
    using policy_kind = tag;

    explicit dotenv(std::ostream& out, std::string name = "stdout") : out_(out, std::move(name)) {}
    explicit dotenv(std::filesystem::path file) : out_(std::move(file)) {}

    boost::asio::awaitable<result<outcome, failure>> apply(target t, apply_options o);
    boost::asio::awaitable<result<outcome, failure>> remove(target t, apply_options o);
    result<outcome, failure> apply_now(target const& t, apply_options o);
    result<outcome, failure> remove_now(target const& t, apply_options o);

    /// Prints what was collected; the collection is emptied on success.
    result<void, failure> flush();

    /// The variable name for a Secret key (the rule above).
    static result<std::string, failure> variable_name(std::string_view key);
    /// `'value'` with each `'` as `'\''`.
    static void append_quoted(std::string& out, std::string_view value);

private:
    struct variable {
        std::string key;
        secret_bytes value;
    };
    struct entry {
        std::string external_secret;
        std::map<std::string, variable> variables;  // by variable name
    };
    using key = std::pair<std::string, std::string>;

    detail::stream_output out_;
    std::map<key, entry> collected_;
};

static_assert(detail::diagnose<dotenv>());

} // namespace esx::sink

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/dotenv.ipp>
#endif

#endif
