// esx::controller::basic_reflector: keeps an object_cache equal to one resource on the server.
//
// client-go's Reflector and kube-rs's `reflector` (style-anchors.md § 4): list once, then
// watch from the list's version, and apply every event to a cache the reconcilers read
// without asking the API server. The watcher (kube/watch.hpp) already resumes a dropped stream
// from the last version it saw (events and bookmarks) and lists again on 410 Expired; the
// reflector turns that sequence into cache updates and one change notification per object:
//
// - the first list fills the cache and marks it synced (before that, "not in the cache" means
//   "not known yet");
// - a relist (after a 410) is compared with the cache: objects that vanished meanwhile are
//   erased and reported `deleted`, new ones `added`, changed ones `modified`, unchanged ones
//   (same resourceVersion) not at all;
// - a modification passes a predicate first, so the controller is not woken by what it does
//   not read: `spec_or_metadata_changed` is ESO's update predicate (generation, labels,
//   annotations, finalizers, deletion), which drops the controller's own status writes;
// - an object that does not read as `T` (a field esx does not know, a bad enum) is logged,
//   counted and handed to `on_rejected`, and otherwise ignored: the cache keeps its last good
//   version, and the other objects of the list or the stream are not held up by it;
// - an error from the watch (a refused connection, a 403, a malformed event) is logged and
//   retried after 1 s, 2 s, 4 s ... 30 s on the injected clock; the loop ends only on `stop()`.
//
// Like the cache, a reflector belongs to one executor: `run()`, `stop()` and the callback all
// happen there, without locks.
#ifndef ESX_CONTROLLER_REFLECTOR_HPP
#define ESX_CONTROLLER_REFLECTOR_HPP

#include <esx/controller/backoff.hpp>
#include <esx/controller/managed_secret.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/failure.hpp>
#include <esx/kube/resource.hpp>
#include <esx/kube/watch.hpp>
#include <esx/log.hpp>
#include <esx/spec/json.hpp>
#include <esx/transport/clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace esx::controller {

/// What happened to an object, as a reflector reports it.
enum class change : std::uint8_t {
    added,
    modified,  ///< and the predicate said it matters
    deleted,
    relisted,  ///< a (re)list completed; reported once per list with an empty key
};

constexpr std::string_view to_string(change c) noexcept {
    switch (c) {
    case change::added: return "added";
    case change::modified: return "modified";
    case change::deleted: return "deleted";
    case change::relisted: return "relisted";
    }
    return "";
}

struct reflector_options {
    /// One namespace, or empty for all of them (ignored for cluster-scoped resources).
    std::string namespace_;
    /// Selectors, timeouts and page size of the list and watch. `resource_version` is ignored:
    /// a reflector always starts with a list. Bookmarks are asked for unless turned off here.
    kube::watch_options watch;
    /// Waits after failures of the watch in a row: 1 s doubling to 30 s.
    exponential_backoff backoff{std::chrono::seconds(1), std::chrono::seconds(30)};
    /// Where failures are logged; unset: `log::default_logger()`.
    std::optional<log::logger> logger;
};

/** ESO's update predicate for the objects it reconciles (`predicate.Or(GenerationChanged,
    AnnotationChanged, LabelChanged)` plus finalizers and deletion): a modification matters when
    the spec (generation), a label, an annotation, a finalizer or the deletion timestamp
    changed, not when only `status` or the resourceVersion did (the controller's own status
    write comes back as such a modification). */
template <class T>
bool spec_or_metadata_changed(T const& before, T const& after) {
    auto const& a = before.metadata;
    auto const& b = after.metadata;
    return a.generation != b.generation || a.labels != b.labels || a.annotations != b.annotations ||
           a.finalizers != b.finalizers || a.deletion_timestamp != b.deletion_timestamp;
}

namespace detail {

inline std::string_view json_text(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

inline boost::json::object const& json_metadata(boost::json::object const& o) {
    static boost::json::object const none;
    auto const* m = o.if_contains("metadata");
    return m && m->is_object() ? m->get_object() : none;
}

/// The cache key of an object: `namespace/name` from its metadata.
template <class T>
object_key key_of(T const& o) {
    if constexpr (std::is_same_v<T, boost::json::object>) {
        auto const& m = json_metadata(o);
        return object_key(json_text(m, "namespace"), json_text(m, "name"));
    } else if constexpr (requires { o.metadata.name; }) {
        return object_key(o.metadata.namespace_, o.metadata.name);
    } else {
        return o.key();
    }
}

/// An object that did not read as the reflector's type: which one, and why.
struct rejected_object {
    object_key key;
    std::string resource_version;
    failure why;
};

/// A watched object read as `T`, or why it could not be: the watcher converts every object
/// to this, which never fails, so one unreadable object cannot stop the list or the watch.
template <class T>
struct read_or_rejected {
    std::variant<T, rejected_object> value;
};

/// `T` from a watched object, with the reader that names the fields when there is one.
template <class T>
result<T, failure> read_as(boost::json::value const& v) {
    if constexpr (std::is_same_v<T, spec::external_secret>) return spec::read_external_secret(v);
    else if constexpr (std::is_same_v<T, spec::secret_store>) return spec::read_secret_store(v);
    else if constexpr (std::is_same_v<T, spec::cluster_external_secret>) return spec::read_cluster_external_secret(v);
    else if constexpr (std::is_same_v<T, managed_secret>) return read_managed_secret(v);
    else {
        auto r = boost::json::try_value_to<T>(v);
        if (!r) return failure(r.error(), "the object does not convert");
        return std::move(*r);
    }
}

template <class T>
boost::json::result<read_or_rejected<T>> tag_invoke(boost::json::try_value_to_tag<read_or_rejected<T>>,
                                                    boost::json::value const& v) {
    read_or_rejected<T> out;
    auto r = read_as<T>(v);
    if (r) {
        out.value.template emplace<0>(std::move(*r));
        return out;
    }
    static boost::json::object const none;
    auto const& meta = v.is_object() ? json_metadata(v.get_object()) : none;
    out.value.template emplace<1>(rejected_object{object_key(json_text(meta, "namespace"), json_text(meta, "name")),
                                                  std::string(json_text(meta, "resourceVersion")), std::move(r.error())});
    return out;
}

/// The object's resourceVersion: equal versions are the same state of the object.
template <class T>
std::string_view version_of(T const& o) {
    if constexpr (std::is_same_v<T, boost::json::object>) return json_text(json_metadata(o), "resourceVersion");
    else if constexpr (requires { o.metadata.resource_version; }) return o.metadata.resource_version;
    else return o.resource_version;
}

} // namespace detail

/** Fills an `object_cache<T>` from a list+watch of one resource and reports changes.

    @tparam T what the cache holds: `spec::external_secret`, `spec::secret_store` (SecretStore
      or ClusterSecretStore, by the resource given), `spec::cluster_external_secret`,
      `managed_secret` (watched with ESO's managed label unless a selector is given), or
      `boost::json::object`; anything `boost::json::try_value_to` makes from the object.
    @tparam Client a `kube::client`.
    @tparam Clock a `transport::waiting_clock` for the waits after failures.

    `run()` returns after `stop()`; it never ends on its own. */
template <class T, class Client, class Clock = transport::steady_clock>
class basic_reflector {
    static_assert(transport::waiting_clock<Clock>, "esx::controller::basic_reflector: Clock needs now(), "
                                                   "utc_now() and sleep_for() (see transport/clock.hpp)");

public:
    using object_type = T;
    using cache_type = object_cache<T>;
    /// Called on the reflector's executor, for every reported change (must not throw).
    using callback = std::function<void(object_key const&, change)>;
    /// `(before, after)`: true if the modification is one to report.
    using predicate = std::function<bool(T const&, T const&)>;
    /// Called for an object that does not read as `T` (the failure names the field, never a value).
    using rejection = std::function<void(object_key const&, failure const&)>;

    basic_reflector(Client& client, kube::resource r, cache_type& cache, reflector_options o = {}, Clock clock = {})
        : resource_(r), cache_(cache), options_(prepare(std::move(o))), clock_(std::move(clock)),
          logger_(options_.logger ? *options_.logger : log::default_logger()),
          watcher_(client, resource_, resource_.namespaced ? options_.namespace_ : std::string(), options_.watch) {}

    basic_reflector(basic_reflector const&) = delete;
    basic_reflector& operator=(basic_reflector const&) = delete;

    /// Where changes go (set before `run()`).
    void on_change(callback f) { callback_ = std::move(f); }
    /// Which modifications are reported; none set: every one with a new resourceVersion.
    void filter_modifications(predicate p) { predicate_ = std::move(p); }
    /// Where unreadable objects are reported (besides the log), e.g. to set a status.
    void on_rejected(rejection f) { rejection_ = std::move(f); }
    /// Called with the key and `resourceVersion` of every object a list or the watch delivers,
    /// before the cache compares it (<write_echoes.hpp> counts the controller's own writes).
    void on_version(std::function<void(object_key const&, std::string_view)> f) { version_callback_ = std::move(f); }

    /// Lists, watches and applies events until `stop()`.
    boost::asio::awaitable<void> run() {
        auto ex = co_await boost::asio::this_coro::executor;
        stop_timer_ = std::make_unique<boost::asio::steady_timer>(ex, boost::asio::steady_timer::time_point::max());
        std::uint32_t failures = 0;
        while (!stop_requested_) {
            auto event = co_await next_event();
            if (stop_requested_) break;
            if (!event) {
                ++errors_;
                ++failures;
                auto const delay = options_.backoff.delay(failures);
                auto const delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay);
                logger_.warn("watch failed; retrying", {{"resource", resource_.plural},
                                                        {"namespace", options_.namespace_},
                                                        {"error", event.error().what()},
                                                        {"retry_ms", static_cast<std::int64_t>(delay_ms.count())}});
                co_await pause(delay_ms);
                continue;
            }
            apply(std::move(*event));
            // A list that fails part way delivered its first pages: the backoff grows until
            // a list completes, not back to its start at each page that arrived.
            if (!listing_) failures = 0;
        }
        stop_timer_.reset();
    }

    /// Ends `run()`: a pending read or wait ends at once (a connection being opened ends at its
    /// timeout). Call on the reflector's executor; a stopped reflector does not run again.
    void stop() {
        stop_requested_ = true;
        watcher_.cancel();
        if (stop_timer_) stop_timer_->cancel();
    }

    cache_type& cache() noexcept { return cache_; }
    cache_type const& cache() const noexcept { return cache_; }
    /// True once the first list is in the cache.
    bool synced() const noexcept { return cache_.synced(); }
    kube::resource const& resource() const noexcept { return resource_; }

    /// The version a watch resumes from (moved by events and bookmarks).
    std::string const& resource_version() const noexcept { return watcher_.resource_version(); }
    /// Lists done (the first included).
    std::size_t lists() const noexcept { return watcher_.relists(); }
    /// Watch streams reopened after a drop or a server timeout.
    std::size_t reconnects() const noexcept { return watcher_.reconnects(); }
    /// Failures of the watch (each followed by a wait).
    std::size_t errors() const noexcept { return errors_; }
    std::size_t bookmarks() const noexcept { return bookmarks_; }
    /// Modifications the predicate kept quiet.
    std::size_t filtered() const noexcept { return filtered_; }
    /// Objects (events or list items) that did not read as `T`.
    std::size_t rejected() const noexcept { return rejected_; }

private:
    using watched = detail::read_or_rejected<T>;
    using event_result = result<kube::watch_event<watched>, failure>;

    static reflector_options prepare(reflector_options o) {
        o.watch.resource_version.clear();  // always list first: the cache starts empty
        if constexpr (std::is_same_v<T, managed_secret>)
            if (o.watch.label_selector.empty()) o.watch.label_selector = std::string(managed_label_selector);
        return o;
    }

    // The watcher reports failures as values; anything thrown (memory) is one more failure
    // to wait on, not the end of the loop.
    boost::asio::awaitable<event_result> next_event() {
        std::optional<event_result> out;
        try {
            auto next = co_await watcher_.next();
            out.emplace(std::move(next));
        } catch (std::exception const& e) {
            out.emplace(failure(ESX_ERROR(error::malformed_response), std::string("watch: ") + e.what()));
        }
        co_return std::move(*out);
    }

    boost::asio::awaitable<void> wait_for_stop() {
        if (stop_requested_ || !stop_timer_) co_return;
        boost::system::error_code ec;
        co_await stop_timer_->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }

    // The clock's wait, cut short by `stop()` (the clock's wait may not be cancellable itself).
    boost::asio::awaitable<void> pause(std::chrono::milliseconds d) {
        using namespace boost::asio::experimental::awaitable_operators;
        auto sleep = clock_.sleep_for(d);
        auto stopped = wait_for_stop();
        auto either = std::move(sleep) || std::move(stopped);
        try {
            co_await std::move(either);
        } catch (std::exception const&) {
            // Both ended in an exception (a cancelled real timer and ...): stopping anyway.
        }
    }

    void apply(kube::watch_event<watched>&& e) {
        switch (e.type) {
        case kube::event_type::bookmark: ++bookmarks_; return;
        case kube::event_type::relist_begin:
            // The first list (an empty cache) has nothing to compare with: no bookkeeping.
            tracking_ = cache_.size() > 0;
            listing_ = true;
            listed_.clear();
            return;
        case kube::event_type::relist_end: finish_list(); return;
        case kube::event_type::added:
        case kube::event_type::modified:
            if (auto* object = std::get_if<T>(&e.object.value)) upsert(std::move(*object));
            else reject(std::get<detail::rejected_object>(e.object.value));
            return;
        case kube::event_type::deleted:
            if (auto* object = std::get_if<T>(&e.object.value)) erase(detail::key_of(*object));
            else erase(std::get<detail::rejected_object>(e.object.value).key);
            return;
        }
    }

    void reject(detail::rejected_object const& r) {
        if (version_callback_) version_callback_(r.key, r.resource_version);  // an echo all the same
        if (tracking_) listed_.insert(r.key);  // listed: a good version cached before stays
        ++rejected_;
        logger_.warn("object ignored: it does not read", {{"resource", resource_.plural},
                                                          {"key", r.key.str()},
                                                          {"error", r.why.what()}});
        if (rejection_) rejection_(r.key, r.why);
    }

    void upsert(T&& object) {
        auto key = detail::key_of(object);
        if (version_callback_) version_callback_(key, detail::version_of(object));
        if (tracking_) listed_.insert(key);
        auto old = cache_.find(key);
        if (old && detail::version_of(*old) == detail::version_of(object)) return;  // nothing new
        bool const quiet = old && predicate_ && !predicate_(*old, object);
        cache_.upsert(key, std::move(object));
        if (!old) return notify(key, change::added);
        if (quiet) {
            ++filtered_;
            return;
        }
        notify(key, change::modified);
    }

    void erase(object_key const& key) {
        if (cache_.erase(key)) notify(key, change::deleted);
    }

    // The list is complete: what the cache holds and the list did not is gone.
    void finish_list() {
        if (tracking_) {
            std::vector<object_key> gone;
            cache_.for_each_key([&](object_key const& key) {
                if (!listed_.contains(key)) gone.push_back(key);
            });
            for (auto const& key : gone) {
                cache_.erase(key);
                notify(key, change::deleted);
            }
        }
        std::unordered_set<object_key>().swap(listed_);  // the list's bookkeeping is freed, not kept
        tracking_ = false;
        listing_ = false;
        cache_.mark_synced();
        notify(object_key(), change::relisted);
    }

    void notify(object_key const& key, change c) {
        if (callback_) callback_(key, c);
    }

    kube::resource resource_;
    cache_type& cache_;
    reflector_options options_;
    Clock clock_;
    log::logger logger_;
    kube::basic_watcher<watched, Client> watcher_;
    callback callback_;
    predicate predicate_;
    rejection rejection_;
    std::function<void(object_key const&, std::string_view)> version_callback_;
    std::unique_ptr<boost::asio::steady_timer> stop_timer_;
    std::unordered_set<object_key> listed_;  // keys seen by the list in progress
    bool tracking_ = false;  // a relist over a filled cache: compare what it lists with the cache
    bool listing_ = false;   // between relist_begin and relist_end
    bool stop_requested_ = false;
    std::size_t errors_ = 0;
    std::size_t bookmarks_ = 0;
    std::size_t filtered_ = 0;
    std::size_t rejected_ = 0;
};

} // namespace esx::controller

#endif
