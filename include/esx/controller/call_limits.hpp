// esx::controller: the global request budgets of a controller, one for the Kubernetes API
// and one for Azure.
//
// The per-key backoff keeps one failing object from hammering a service; these token buckets
// keep all of them together from doing so. Kubernetes: client-go's QPS and burst (ESO's
// `--client-qps 50 --client-burst 100`). Azure: Key Vault throttles one vault at 4,000
// transactions per 10 s and a subscription at five times that (azure-wire-protocols.md), so
// the default, 1,000 per second with a burst of 2,000, stays under the subscription's limit
// while a cold start reads its first thousands of objects at once; the read cache and the
// per-identity token cache keep the steady state far below it. Both wait on the clock, so tests
// use `esx::testing::fake_clock`.
//
// Where they apply: the Kubernetes one is the Kubernetes client's own limiter
// (`runtime_options::kube_qps`/`kube_burst`, which `--kube-qps`/`--kube-burst` set too), so a
// controller never applies a second one; the Azure one is a `kube::rate_limiter` the controller
// owns and hands to the runtime (`runtime::pace_azure_requests`), which every Azure transport of
// the runtime awaits before each request (each attempt of a retried one): token endpoints, IMDS,
// Key Vault reads and listings, the store reconciler's challenge probes.
#ifndef ESX_CONTROLLER_CALL_LIMITS_HPP
#define ESX_CONTROLLER_CALL_LIMITS_HPP

#include <esx/kube/rate_limiter.hpp>
#include <esx/transport/clock.hpp>

#include <cstddef>

namespace esx::controller {

struct call_limit_options {
    double kubernetes_qps = 50;            ///< `--client-qps`; <= 0: no limit
    std::size_t kubernetes_burst = 100;    ///< `--client-burst`
    double azure_qps = 1000;               ///< `--azure-qps`: every Azure request (token endpoints, IMDS, vaults); <= 0: no limit
    std::size_t azure_burst = 2000;        ///< `--azure-burst`
};

template <transport::waiting_clock Clock = transport::steady_clock>
struct basic_call_limits {
    explicit basic_call_limits(call_limit_options const& o = {}, Clock clock = Clock())
        : kubernetes(o.kubernetes_qps, o.kubernetes_burst, clock), azure(o.azure_qps, o.azure_burst, clock) {}

    kube::rate_limiter<Clock> kubernetes;  ///< `co_await kubernetes.acquire()` before each API request
    kube::rate_limiter<Clock> azure;       ///< `co_await azure.acquire()` before each Azure request
};

using call_limits = basic_call_limits<>;

} // namespace esx::controller

#endif
