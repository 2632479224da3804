// esx mocks/azure: Key Vault's request rate limit per vault (4,000 operations per 10 s unless
// the seed or POST /throttle says otherwise): 429 Throttled with an optional Retry-After;
// refused requests do not count.
#include "state.hpp"

namespace esx::mocks::azure::detail {

// {"vault": "v1", "limit": N, "window_seconds": S, "retry_after": R|null}
void cloud::set_throttle(json::object const& o) {
    std::string const name = lower(str_field(o, "vault", {}, true));
    auto it = vaults.find(name);
    if (it == vaults.end())
        throw std::runtime_error("throttle: unknown vault '" + name + "'");
    vault_state& v = it->second;
    auto const limit = int_field(o, "limit");
    auto const window = int_field(o, "window_seconds");
    if ((limit && *limit < 0) || (window && *window <= 0))
        throw std::runtime_error("throttle: limit must be >= 0 and window_seconds > 0");
    if (limit)
        v.throttle_limit = static_cast<std::size_t>(*limit);
    if (window)
        v.throttle_window_ms = *window * 1000;
    if (o.contains("retry_after")) {
        auto const r = int_field(o, "retry_after");
        v.throttle_retry_after = r ? std::optional<int>(static_cast<int>(*r)) : std::nullopt;
    }
    v.recent.clear();
}

bool cloud::throttled(vault_state& v) {
    auto const now = std::chrono::steady_clock::now();
    auto const window = std::chrono::milliseconds(v.throttle_window_ms);
    while (!v.recent.empty() && now - v.recent.front() >= window)
        v.recent.pop_front();
    if (v.recent.size() >= v.throttle_limit)
        return true;  // 429s do not count towards the limit
    v.recent.push_back(now);
    return false;
}

response cloud::throttled_response(std::optional<int> retry_after) {
    response r = kv_error(429, "Throttled",
                          "Request was not processed because too many requests were received. Reason: "
                          "VaultRequestTypeLimitReached");
    if (retry_after)
        r.set(http::field::retry_after, std::to_string(*retry_after));
    return r;
}

}  // namespace esx::mocks::azure::detail
