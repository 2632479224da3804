// esx::controller: a metric family with a fixed set of label names, and a histogram with
// fixed buckets: the generic parts of the controller's registry (<esx/controller/metrics.hpp>).
//
// A family maps label values to one value: a `double` for counters and gauges, a `histogram`
// for histograms. Looking up a series that exists allocates nothing (the lookup takes the
// values as `string_view`s); only the first use of a label set copies its values. Series are
// kept sorted by their label values, so a scrape is deterministic. These families are for
// label sets of small, bounded cardinality (a verb, a controller, a call and its status);
// per-object series live in the registry's per-object tables, which cost far less memory.
//
// Not locked: a registry belongs to one executor (the controller's strand).
#ifndef ESX_CONTROLLER_METRIC_FAMILY_HPP
#define ESX_CONTROLLER_METRIC_FAMILY_HPP

#include <esx/controller/exposition.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace esx::controller {

/// Observations counted into fixed buckets (`le` upper bounds, ascending; `+Inf` is implied).
class histogram {
public:
    /// `upper_bounds` must outlive the histogram (the bucket sets are static arrays).
    explicit histogram(std::span<double const> upper_bounds)
        : bounds_(upper_bounds), counts_(upper_bounds.size() + 1, 0) {}

    /// Counts `v` into the first bucket whose bound is >= `v` (Prometheus' `le`).
    void observe(double v) noexcept {
        auto const i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
        ++counts_[i];
        sum_ += v;
        ++count_;
    }

    std::uint64_t count() const noexcept { return count_; }
    double sum() const noexcept { return sum_; }
    std::span<double const> upper_bounds() const noexcept { return bounds_; }
    /// Observations in bucket `i` alone (the last one is `+Inf`).
    std::span<std::uint64_t const> bucket_counts() const noexcept { return counts_; }

    void append_to(std::string& out, std::string_view name, std::span<exposition::label const> labels) const {
        exposition::append_histogram(out, name, labels, bounds_, counts_, sum_);
    }

private:
    std::span<double const> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

/// One named metric family with `N` label names; `Value` is `double` (counter, gauge) or
/// `histogram`.
template <class Value, std::size_t N>
class metric_family {
public:
    using label_values = std::array<std::string_view, N>;

    /// `name`, `help` and the label names must outlive the family (they are literals). The
    /// label names are written in the order given: give them sorted, as client_golang writes them.
    metric_family(std::string_view name, std::string_view help, exposition::metric_type type,
                  std::array<std::string_view, N> label_names, std::span<double const> buckets = {})
        : name_(name), help_(help), type_(type), label_names_(label_names), buckets_(buckets) {
        static_assert(std::is_same_v<Value, double> || std::is_same_v<Value, histogram>);
    }

    /// The series of `values`, created (at 0, or empty) on first use.
    Value& at(label_values const& values) {
        auto it = series_.find(values);
        if (it == series_.end()) {
            std::array<std::string, N> key;
            for (std::size_t i = 0; i < N; ++i) key[i] = std::string(values[i]);
            it = series_.emplace(std::move(key), make_value()).first;
        }
        return it->second;
    }

    /// The series of `values` if it exists.
    Value const* find(label_values const& values) const {
        auto const it = series_.find(values);
        return it == series_.end() ? nullptr : &it->second;
    }

    /// Removes every series whose label values satisfy `pred(std::array<std::string, N> const&)`;
    /// returns how many.
    template <class Pred>
    std::size_t erase_if(Pred pred) {
        return std::erase_if(series_, [&](auto const& kv) { return pred(kv.first); });
    }

    std::size_t size() const noexcept { return series_.size(); }
    std::string_view name() const noexcept { return name_; }

    /// HELP, TYPE and every series; nothing at all when the family has no series (as
    /// client_golang leaves out a vector without children).
    void append_to(std::string& out) const {
        if (series_.empty()) return;
        exposition::append_header(out, name_, help_, type_);
        std::array<exposition::label, N> labels;
        for (auto const& [values, value] : series_) {
            for (std::size_t i = 0; i < N; ++i) labels[i] = {label_names_[i], values[i]};
            if constexpr (std::is_same_v<Value, histogram>) value.append_to(out, name_, labels);
            else exposition::append_sample(out, name_, {}, labels, value);
        }
    }

private:
    // Orders stored keys and looked-up views alike, so a lookup needs no copy.
    struct less {
        using is_transparent = void;
        template <class A, class B>
        bool operator()(A const& a, B const& b) const noexcept {
            for (std::size_t i = 0; i < N; ++i) {
                auto const c = std::string_view(a[i]).compare(std::string_view(b[i]));
                if (c != 0) return c < 0;
            }
            return false;
        }
    };

    Value make_value() const {
        if constexpr (std::is_same_v<Value, histogram>) return histogram(buckets_);
        else return 0.0;
    }

    std::string_view name_;
    std::string_view help_;
    exposition::metric_type type_;
    std::array<std::string_view, N> label_names_;
    std::span<double const> buckets_;
    std::map<std::array<std::string, N>, Value, less> series_;
};

} // namespace esx::controller

#endif
