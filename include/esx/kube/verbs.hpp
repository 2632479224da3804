// esx::kube: the options and results of the REST verbs.
#ifndef ESX_KUBE_VERBS_HPP
#define ESX_KUBE_VERBS_HPP

#include <esx/secret.hpp>

#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace esx::kube {

struct list_options {
    std::string label_selector;    ///< `a=b,c!=d,e in (x,y),f,!g`
    std::string field_selector;    ///< `metadata.name=x`
    std::size_t limit = 0;         ///< page size; 0: the server's choice (everything)
    std::string continue_token;    ///< from the previous page's `list_page::continue_token`
    std::string resource_version;  ///< `0`: any cached state; empty: most recent
};

/// One page of a list: items (with `kind`/`apiVersion` filled in from the resource), the list's
/// resourceVersion (a watch starts there) and the token for the next page (empty: last page).
struct list_page {
    boost::json::array items;
    std::string resource_version;
    std::string continue_token;
};

struct write_options {
    std::string field_manager;  ///< recorded in managedFields; empty: the server uses the User-Agent
    bool dry_run = false;       ///< `dryRun=All`: validate, change nothing
};

/// PATCH content types. `strategic` is for built-in types only (the server answers 415 for
/// custom resources); `apply` is server-side apply and needs a field manager.
enum class patch_type { merge, json, strategic, apply };

struct patch_options {
    std::string field_manager;  ///< required for `apply`
    bool force = false;         ///< `apply` only: take fields other managers own
    bool dry_run = false;
};

enum class propagation { background, foreground, orphan };

/// Delete only if the object still has this uid / resourceVersion (409 Conflict otherwise).
struct delete_preconditions {
    std::string uid;
    std::string resource_version;
};

struct delete_options {
    std::optional<propagation> propagation_policy;
    std::optional<delete_preconditions> preconditions;
    std::optional<std::int64_t> grace_period_seconds;
    bool dry_run = false;
};

struct token_request_options {
    std::vector<std::string> audiences;            ///< empty: the API server's own audience
    std::optional<std::chrono::seconds> expiration; ///< at least 10 minutes; unset: the server's default (1 h)
};

/// A service-account token from TokenRequest. The lifetime is the server's, which may differ
/// from the one requested.
struct issued_token {
    secret_bytes token;
    std::chrono::system_clock::time_point expires_at;
};

} // namespace esx::kube

#endif
