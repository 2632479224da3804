// esx::detail::listing: one vault's secret listing, read once per run and shared by every find.
//
// Several `dataFrom.find` entries (of one or many ExternalSecrets) over the same vault and
// identity walk the same pages: the first to need a page reads it through the lazy pager, the
// others wait for it or reuse it. What is kept is the listing's items (names, tags, attributes;
// never values), for the length of one run.
#ifndef ESX_PIPELINE_DETAIL_LISTING_HPP
#define ESX_PIPELINE_DETAIL_LISTING_HPP

#include <esx/keyvault/pager.hpp>
#include <esx/pipeline/detail/flight.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace esx::detail {

struct listing {
    listing(keyvault::pager p, std::size_t* counter) : pager(std::move(p)), pages_counter(counter) {}

    keyvault::pager pager;
    std::vector<std::shared_ptr<keyvault::page const>> pages;  ///< read so far, in order
    std::shared_ptr<flight<bool>> reading;                     ///< the page read in flight, if any
    std::optional<failure> failed;
    bool done = false;
    std::size_t* pages_counter = nullptr;  ///< incremented per page read (the pipeline's stats)
};

/// Page `index` (0-based) of `l`, reading pages up to it as needed; null past the last page.
inline boost::asio::awaitable<result<std::shared_ptr<keyvault::page const>, failure>>
listing_page(std::shared_ptr<listing> l, std::size_t index) {
    while (index >= l->pages.size()) {
        if (l->failed) co_return *l->failed;
        if (l->done) co_return std::shared_ptr<keyvault::page const>();
        if (l->reading) {
            auto other = l->reading;
            co_await other->wait();
            continue;
        }
        auto mine = std::make_shared<flight<bool>>(co_await boost::asio::this_coro::executor);
        l->reading = mine;
        {
            flight_guard<bool> guard{*mine, false};
            result<std::optional<keyvault::page>, failure> p = failure{};
            try {
                p = co_await l->pager.next();
            } catch (...) {
                p = failure{make_error_code(error::unexpected_exception), "listing the vault threw an exception"};
            }
            if (!p) l->failed = p.error();
            else if (!*p) l->done = true;
            else {
                if (l->pages_counter) ++*l->pages_counter;
                l->pages.push_back(std::make_shared<keyvault::page const>(std::move(**p)));
            }
            l->reading.reset();
            mine->finish(true);
        }
    }
    co_return l->pages[index];
}

} // namespace esx::detail

#endif
