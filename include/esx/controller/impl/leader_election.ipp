// esx::controller: leader election's non-template parts (see <esx/controller/leader_election.hpp>).
#ifndef ESX_CONTROLLER_IMPL_LEADER_ELECTION_IPP
#define ESX_CONTROLLER_IMPL_LEADER_ELECTION_IPP

#include <esx/controller/leader_election.hpp>
#include <esx/kube/detail/text.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include <unistd.h>

namespace esx::controller {

namespace detail {

inline std::string lease_text(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::int64_t lease_number(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->as_uint64());
    return 0;
}

ESX_DECL lease_record read_lease_record(boost::json::object const& lease) {
    lease_record r;
    auto const* spec = lease.if_contains("spec");
    if (!spec || !spec->is_object()) return r;
    auto const& s = spec->as_object();
    r.holder_identity = lease_text(s, "holderIdentity");
    r.lease_duration_seconds = lease_number(s, "leaseDurationSeconds");
    r.lease_transitions = lease_number(s, "leaseTransitions");
    if (auto t = lease_text(s, "acquireTime"); !t.empty()) r.acquire_time = kube::detail::parse_rfc3339(t);
    if (auto t = lease_text(s, "renewTime"); !t.empty()) r.renew_time = kube::detail::parse_rfc3339(t);
    return r;
}

ESX_DECL boost::json::object lease_spec(lease_record const& r) {
    // client-go's LeaderElectionRecordToLeaseSpec: every field set, the holder even when empty.
    boost::json::object spec{{"holderIdentity", r.holder_identity},
                             {"leaseDurationSeconds", r.lease_duration_seconds},
                             {"leaseTransitions", r.lease_transitions}};
    if (r.acquire_time) spec["acquireTime"] = format_micro_time(*r.acquire_time);
    if (r.renew_time) spec["renewTime"] = format_micro_time(*r.renew_time);
    return spec;
}

ESX_DECL std::string format_micro_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto const micros = duration_cast<microseconds>(t.time_since_epoch()).count();
    auto seconds = micros / 1000000;
    auto fraction = micros % 1000000;
    if (fraction < 0) {
        fraction += 1000000;
        --seconds;
    }
    std::time_t const tt = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96]; // room for any int GCC can imagine (-Wformat-truncation); 27 are used
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(fraction));
    return buf;
}

} // namespace detail

ESX_DECL result<void, failure> validate(leader_election_options const& o) {
    auto invalid = [](std::string why) -> result<void, failure> {
        return failure(ESX_ERROR(error::invalid_option), "leader election: " + std::move(why));
    };
    auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
    if (o.lease_name.empty()) return invalid("lease_name is empty");
    if (o.lease_duration <= std::chrono::milliseconds(0)) return invalid("lease_duration must be greater than zero");
    if (o.renew_deadline <= std::chrono::milliseconds(0)) return invalid("renew_deadline must be greater than zero");
    if (o.retry_period <= std::chrono::milliseconds(0)) return invalid("retry_period must be greater than zero");
    if (o.lease_duration.count() % 1000 != 0)
        return invalid("lease_duration (" + ms(o.lease_duration) + ") must be whole seconds (leaseDurationSeconds)");
    if (o.lease_duration <= o.renew_deadline)
        return invalid("lease_duration (" + ms(o.lease_duration) + ") must be greater than renew_deadline (" +
                       ms(o.renew_deadline) + ")");
    if (static_cast<double>(o.renew_deadline.count()) <= 1.2 * static_cast<double>(o.retry_period.count()))
        return invalid("renew_deadline (" + ms(o.renew_deadline) + ") must be greater than 1.2 x retry_period (" +
                       ms(o.retry_period) + ")");
    if (o.jitter < 0) return invalid("jitter must not be negative");
    return {};
}

ESX_DECL std::string default_leader_identity() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "esx");
    std::random_device rd;
    std::uint64_t const r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "_%016llx", static_cast<unsigned long long>(r));
    return std::string(host) + suffix;
}

ESX_DECL transport::options leader_election_transport_options(transport::options base,
                                                              leader_election_options const& o) {
    auto limit = std::max<std::chrono::milliseconds>(std::chrono::seconds(1), o.renew_deadline / 2);
    base.timeouts.connect = std::min(base.timeouts.connect, limit);
    base.timeouts.read = std::min(base.timeouts.read, limit);
    base.timeouts.total = std::min(base.timeouts.total, limit);
    return base;
}

} // namespace esx::controller

#endif
