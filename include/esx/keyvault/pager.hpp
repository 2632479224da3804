// esx::keyvault::pager: a listing read one page at a time.
//
// `dataFrom.find` walks every secret of a vault. Collecting the whole listing first would hold
// every item of a 10,000-secret vault at once; a pager hands out one page (at most 25 items,
// Key Vault's page size) per `next()`, following `nextLink`, so the caller keeps only what it
// selects.
#ifndef ESX_KEYVAULT_PAGER_HPP
#define ESX_KEYVAULT_PAGER_HPP

#include <esx/failure.hpp>
#include <esx/keyvault/bundles.hpp>
#include <esx/keyvault/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace esx::keyvault {

/// One page of a listing: its items, in the order Key Vault sent them (possibly none).
struct page {
    std::vector<item> items;
    std::size_t number = 0;  ///< 1-based
};

/** The pages of one listing (`GET /secrets`, `/secrets/{n}/versions`, keys, certificates).

    `next()` answers the next page, or `nullopt` once the last page (`"nextLink": null`) was
    handed out. Empty pages (Key Vault sends some while it scans) are answered as pages with
    no items. A `nextLink` is followed only to the vault's own origin over https (it would
    carry the token), and a listing stops with `error::too_many_pages` after
    `client_options::max_pages` pages.

    A pager reads through the client that made it: the client must outlive the pager and stay
    where it is (not be moved) while the pager is used. Use both from one executor.

    @par Example
    @code
    auto pages = vault.list_secrets_paged();
    for (;;) {
        auto p = co_await pages.next();
        if (!p) co_return p.error();
        if (!*p) break;                       // past the last page
        for (auto const& i : (*p)->items) ...
    }
    @endcode */
class pager {
public:
    /// What a pager needs from its client: GET one page URL as a JSON object, and vet a nextLink.
    struct source {
        std::function<boost::asio::awaitable<result<boost::json::object, failure>>(std::string url)> get;
        std::function<result<std::string, failure>(std::string_view link)> check_next_link;
    };

    /// A pager that starts at `first_url`; `what` names the listing in failures (`list secrets`).
    pager(source s, std::string first_url, std::string what, std::size_t max_pages)
        : source_(std::move(s)), next_url_(std::move(first_url)), what_(std::move(what)), max_pages_(max_pages) {}

    /// A pager whose first `next()` fails with `f` (a refused argument).
    static pager failed(failure f) {
        pager p({}, {}, {}, 0);
        p.failed_ = std::move(f);
        return p;
    }

    /// The next page, `nullopt` after the last one, or the failure that ended the listing
    /// (after a failure every later call answers the same failure).
    boost::asio::awaitable<result<std::optional<page>, failure>> next() {
        if (failed_) co_return *failed_;
        if (done_) co_return std::optional<page>();
        if (pages_ >= max_pages_) {
            co_return fail(failure{make_error_code(error::too_many_pages),
                                   what_ + ": more than " + std::to_string(max_pages_) + " pages"});
        }
        std::string url = std::move(next_url_);
        next_url_.clear();
        auto body = co_await source_.get(std::move(url));
        if (!body) co_return fail(body.error());
        page out;
        out.number = ++pages_;
        if (auto const* value = body->if_contains("value")) {
            if (!value->is_array())
                co_return fail(failure{make_error_code(error::malformed_response), what_ + ": \"value\" is not an array"});
            out.items.reserve(value->get_array().size());
            for (auto const& v : value->get_array()) {
                if (!v.is_object())
                    co_return fail(failure{make_error_code(error::malformed_response), what_ + ": an item is not an object"});
                auto i = detail::parse_item(v.get_object());
                if (!i) co_return fail(i.error());
                out.items.push_back(std::move(*i));
            }
        }
        auto const* link = body->if_contains("nextLink");
        if (!link || link->is_null() || (link->is_string() && link->get_string().empty())) {
            done_ = true;
        } else if (!link->is_string()) {
            co_return fail(failure{make_error_code(error::malformed_response), what_ + ": \"nextLink\" is not a string"});
        } else {
            auto checked = source_.check_next_link(link->get_string());
            if (!checked) co_return fail(checked.error());
            next_url_ = std::move(*checked);
        }
        co_return std::optional<page>(std::move(out));
    }

    /// Pages read so far.
    std::size_t pages() const noexcept { return pages_; }
    /// True once the last page was handed out (or the listing failed).
    bool done() const noexcept { return done_ || failed_.has_value(); }

private:
    failure fail(failure f) {
        failed_ = f;
        return f;
    }

    source source_;
    std::string next_url_;
    std::string what_;
    std::size_t max_pages_ = 0;
    std::size_t pages_ = 0;
    bool done_ = false;
    std::optional<failure> failed_;
};

} // namespace esx::keyvault

#endif
