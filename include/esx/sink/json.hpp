// esx::sink::json: targets as a Kubernetes `v1` `List` of Secrets, printed by `flush()`.
#ifndef ESX_SINK_JSON_HPP
#define ESX_SINK_JSON_HPP

#include <esx/sink/concept.hpp>
#include <esx/sink/detail/secret_model.hpp>
#include <esx/sink/detail/stream_output.hpp>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <utility>

namespace esx::sink {

/** Collects targets and prints, on `flush()`, the Secrets they would become as
    `kubectl get secret A B -o json` prints them:

    ```
    {
        "apiVersion": "v1",
        "items": [
            {
                "apiVersion": "v1",
                "data": {
                    "password": "cDRzcw=="
                },
                "kind": "Secret",
                "metadata": {
                    "annotations": {
                        "reconcile.external-secrets.io/data-hash": "..."
                    },
                    "labels": { ... },
                    "name": "db",
                    "namespace": "team-a"
                },
                "type": "Opaque"
            }
        ],
        "kind": "List",
        "metadata": {
            "resourceVersion": ""
        }
    }
    ```

    Each Secret is the one `kubernetes_secret` would create for the target (ESO's managed
    label, data-hash annotation, `created-by` label for Owner, ownerReference when the target
    has an owner, `immutable`, `type` defaulting to `Opaque`), without the fields only the API
    server sets (uid, resourceVersion, creationTimestamp). `data` is standard base64. The text
    is Go's `json.MarshalIndent` with 4 spaces, keys sorted at every level, HTML characters
    escaped, as kubectl writes it; `kubectl apply -f` accepts it.

    Creation policies: None -> `skipped`; the others print the target (Merge and CreateOrMerge
    as a Secret without `created-by`). `remove`: Retain -> `retained`; Delete drops the target
    from the output; Merge prints it with no data. A dry run collects nothing. `flush()` writes
    everything collected since the previous flush (items ordered by namespace and name), to a
    stream or to a file replaced atomically (mode 0600). Use from one executor.
*/
class json {
public:
    using policy_kind = tag;

    explicit json(std::ostream& out, std::string name = "stdout") : out_(out, std::move(name)) {}
    explicit json(std::filesystem::path file) : out_(std::move(file)) {}

    boost::asio::awaitable<result<outcome, failure>> apply(target t, apply_options o);
    boost::asio::awaitable<result<outcome, failure>> remove(target t, apply_options o);
    result<outcome, failure> apply_now(target const& t, apply_options o);
    result<outcome, failure> remove_now(target const& t, apply_options o);

    /// Prints the List; the collection is emptied on success.
    result<void, failure> flush();

private:
    using key = std::pair<std::string, std::string>;
    detail::stream_output out_;
    std::map<key, detail::secret_model> collected_;
};

static_assert(detail::diagnose<json>());

} // namespace esx::sink

#if ESX_HEADER_ONLY
#  include <esx/sink/impl/json.ipp>
#endif

#endif
