// esx::kube::basic_watcher: a watch as a sequence of typed events that survives disconnects.
#ifndef ESX_KUBE_WATCH_HPP
#define ESX_KUBE_WATCH_HPP

#include <esx/failure.hpp>
#include <esx/kube/credentials.hpp>
#include <esx/kube/detail/paths.hpp>
#include <esx/kube/detail/watch_stream.hpp>
#include <esx/kube/resource.hpp>
#include <esx/kube/status.hpp>
#include <esx/kube/verbs.hpp>
#include <esx/kube/watch_event.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace esx::kube {

struct watch_options {
    std::string label_selector;
    std::string field_selector;
    /// Where to start: empty lists first (`relist_begin`, `added`..., `relist_end`) and
    /// watches from the list's version; otherwise watches from this version directly.
    std::string resource_version;
    bool bookmarks = true;                      ///< ask for and deliver BOOKMARK events
    std::chrono::seconds server_timeout{290};   ///< `timeoutSeconds`: the server ends the stream, we resume
    std::chrono::milliseconds idle_timeout{0};  ///< 0: server_timeout + 30 s; silence longer than this reconnects
    std::size_t max_event_bytes = 4 * 1024 * 1024; ///< one event line; larger fails with response_too_large
    std::size_t list_page_size = 500;           ///< page size of (re)lists
};

/** Watches a collection and hands out one event per `next()`.

    - The stream is read line by line with a bounded line buffer (`max_event_bytes`).
    - A dropped or ended stream (server timeout, connection reset, idle timeout) is reopened
      from the last resourceVersion seen (an event's or a bookmark's): nothing is missed or
      repeated.
    - A 410 Expired (an HTTP 410 answer, or an ERROR event with code 410) means the version is
      too old: the watcher lists again and delivers `relist_begin`, the objects as `added`,
      `relist_end`, then watches from the new list's version.
    - A list is read in pages of `list_page_size`, and each page's objects are handed out
      before the next page is asked for. A list that fails part way (a page refused, or its
      continue token expired) starts again from `relist_begin` on the next call: objects of
      the failed attempt were already delivered as `added`, and the complete list that
      follows is what counts (`basic_reflector` drops what it does not hold).
    - Errors come back from `next()` as failures (a refused connection, a 403, an ERROR event
      other than 410, an oversized event, an object that does not convert to `T`); calling
      `next()` again retries from the same version, so the caller chooses the backoff.
    Each reconnect and list goes through the client's rate limiter.
*/
template <class T, class Client>
class basic_watcher {
public:
    basic_watcher(Client& c, resource r, std::string ns, watch_options o)
        : client_(&c), resource_(std::move(r)), ns_(std::move(ns)), options_(std::move(o)),
          version_(options_.resource_version), need_list_(options_.resource_version.empty()) {
        if (options_.idle_timeout.count() == 0)
            options_.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.server_timeout) +
                                    std::chrono::seconds(30);
    }

    /// The next event, or why there is none right now.
    boost::asio::awaitable<result<watch_event<T>, failure>> next() {
        int empty_streams = 0;
        bool retried_auth = false;
        for (;;) {
            if (cancelled_)
                co_return failure(make_error_code(boost::asio::error::operation_aborted), "the watch was cancelled");
            if (!pending_.empty()) {
                auto e = std::move(pending_.front());
                pending_.pop_front();
                co_return e;
            }
            if (need_list_) {
                auto listed = co_await list_page();
                if (!listed) co_return listed.error();
                continue;
            }
            if (!stream_) {
                auto opened = co_await open();
                if (!opened) {
                    if (opened.error().code == make_http_error(410)) {
                        need_list_ = true;
                        continue;
                    }
                    // A rotated token file or an expired exec token: fetch it again, once.
                    auto const& token = client_->settings().token;
                    if (opened.error().code == make_http_error(401) && !retried_auth && token &&
                        token->type() != token_source::kind::fixed) {
                        retried_auth = true;
                        token->invalidate();
                        continue;
                    }
                    co_return opened.error();
                }
                stream_ = std::move(*opened);
                events_on_stream_ = 0;
                if (cancelled_) continue;  // cancelled while connecting: `cancel` could not reach it
            }
            auto line = co_await stream_->next_line(options_.idle_timeout);
            if (!line || !*line) {
                bytes_ += stream_->bytes_received();
                stream_.reset();
                if (!line && line.error().code == error::response_too_large) co_return line.error();
                // Ended or dropped: resume from the last version. A server that keeps closing
                // at once without sending anything is reported instead of spun on.
                ++reconnects_;
                if (events_on_stream_ == 0 && ++empty_streams >= 3) {
                    if (!line) co_return line.error();
                    co_return failure(ESX_ERROR(error::connection_closed), "the watch stream keeps closing");
                }
                continue;
            }
            ++events_on_stream_;
            auto event = decode(**line);
            if (!event) {
                if (event.error().code == make_http_error(410)) {
                    bytes_ += stream_->bytes_received();
                    stream_.reset();
                    need_list_ = true;
                    continue;
                }
                co_return event.error();
            }
            if (!*event) continue; // a bookmark the caller did not ask for
            co_return std::move(**event);
        }
    }

    /// Ends a pending `next()` and every later one with `operation_aborted` (a shutdown; a
    /// connection being opened ends at its own timeout). Call on the watcher's executor.
    void cancel() {
        cancelled_ = true;
        if (stream_) stream_->cancel();
    }
    bool cancelled() const noexcept { return cancelled_; }

    /// The version a reconnect would resume from.
    std::string const& resource_version() const noexcept { return version_; }
    /// Streams reopened after an end or a drop.
    std::size_t reconnects() const noexcept { return reconnects_; }
    /// Lists done (the first one included, when no start version was given).
    std::size_t relists() const noexcept { return relists_; }
    /// Bytes of event stream read so far (finished streams plus the open one).
    std::size_t bytes_received() const noexcept { return bytes_ + (stream_ ? stream_->bytes_received() : 0); }

private:
    static result<T, failure> convert(boost::json::value&& v) { return detail::convert_watch_object<T>(std::move(v)); }

    static std::string version_of(boost::json::value const& obj) { return detail::resource_version_of(obj); }

    // nullopt: skip (an unrequested bookmark).
    result<std::optional<watch_event<T>>, failure> decode(std::string_view line) {
        return detail::decode_watch_event<T>(line, options_.bookmarks, version_);
    }

    // One page of a (re)list: its objects go out before the next page is asked for, so the
    // caller's work on them overlaps the server's on the next one. A failed page ends the list;
    // the next call lists from the start again (with `relist_begin` again: a caller compares
    // what that complete list holds with what it has).
    boost::asio::awaitable<result<void, failure>> list_page() {
        // Taken out of `listing_` for the request and put back only when a next page follows:
        // a failure, returned or thrown, leaves no list in progress.
        bool const first_page = !listing_;
        list_options options = first_page ? list_options{options_.label_selector, options_.field_selector,
                                                         options_.list_page_size, {}, {}}
                                          : std::move(*listing_);
        listing_.reset();
        auto page = co_await client_->list(resource_, ns_, options);
        if (!page) co_return page.error();
        std::vector<watch_event<T>> added;
        added.reserve(page->items.size());
        for (auto& item : page->items) {
            auto item_version = version_of(item);
            auto converted = convert(std::move(item));
            if (!converted) co_return converted.error();
            // Constructed, not assigned (see decode_watch_event): the object keeps its storage.
            added.push_back(watch_event<T>{event_type::added, std::move(*converted), std::move(item_version)});
        }
        // `relist_begin` goes out with the first page, not before its request: a list refused
        // at once delivers nothing but the failure (a caller's backoff sees failures only).
        if (first_page) pending_.push_back({event_type::relist_begin, T{}, {}});
        for (auto& e : added) pending_.push_back(std::move(e));
        if (!page->continue_token.empty()) {
            options.continue_token = std::move(page->continue_token);
            listing_ = std::move(options);
            co_return result<void, failure>();
        }
        pending_.push_back({event_type::relist_end, T{}, page->resource_version});
        version_ = std::move(page->resource_version);
        need_list_ = false;
        ++relists_;
        co_return result<void, failure>();
    }

    boost::asio::awaitable<result<std::unique_ptr<detail::watch_stream>, failure>> open() {
        auto path = detail::path_for(resource_, ns_);
        if (!path) co_return path.error();
        std::string target = std::move(*path);
        detail::add_query(target, "watch", "true");
        if (!version_.empty()) detail::add_query(target, "resourceVersion", version_);
        if (options_.bookmarks) detail::add_query(target, "allowWatchBookmarks", "true");
        detail::add_query(target, "timeoutSeconds", std::to_string(options_.server_timeout.count()));
        if (!options_.label_selector.empty()) detail::add_query(target, "labelSelector", options_.label_selector);
        if (!options_.field_selector.empty()) detail::add_query(target, "fieldSelector", options_.field_selector);
        auto tls = client_->watch_tls();
        if (!tls) co_return tls.error();
        co_await client_->limiter().acquire();
        if constexpr (requires { client_->observed(std::string_view("watch")); }) client_->observed("watch");
        auto auth = client_->authorization();
        if (!auth) co_return auth.error();
        auto ex = co_await boost::asio::this_coro::executor;
        std::string const url = client_->settings().server + target;
        std::string const authorization(auth->reveal());
        auto stream = co_await detail::watch_stream::open(ex, *tls, client_->transport_options(), url, authorization,
                                                          options_.max_event_bytes);
        co_return stream;
    }

    Client* client_;
    resource resource_;
    std::string ns_;
    watch_options options_;
    std::string version_;
    bool need_list_;
    std::unique_ptr<detail::watch_stream> stream_;
    std::deque<watch_event<T>> pending_;
    std::optional<list_options> listing_;  // the list in progress: where its next page starts
    std::size_t events_on_stream_ = 0;
    std::size_t reconnects_ = 0;
    std::size_t relists_ = 0;
    std::size_t bytes_ = 0;
    bool cancelled_ = false;
};

} // namespace esx::kube

#endif
