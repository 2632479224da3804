// What bench/transport.cpp and bench/keyvault.cpp share: one measured window and the loop that
// runs N copies of a worker through it on one io_context.
#ifndef ESX_BENCH_SUPPORT_WINDOW_HPP
#define ESX_BENCH_SUPPORT_WINDOW_HPP

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace esx::bench {

using bench_clock = std::chrono::steady_clock;

// One measured run: workers loop until `end`; only completions after `start` count, so
// connection set-up (in the warm-up) is left out for esx and the baseline alike.
struct window {
    bench_clock::time_point start, end;
    std::size_t counted = 0;
    std::string failure; // the first failure; makes every worker stop

    bool running() const { return failure.empty() && bench_clock::now() < end; }
    void fail(std::string why) {
        if (failure.empty()) failure = std::move(why);
    }
    /// One completion: counted when `ok` and past the warm-up, else the run fails with `why`.
    void completed(bool ok, std::string const& why) {
        if (!ok) fail(why);
        else if (bench_clock::now() >= start) ++counted;
    }
};

/// Runs `concurrency` copies of the worker `make(w)` on the (single-threaded) `ioc` for
/// `warmup` + `seconds`; returns completions/s, or ends the process on a failure, naming
/// `program` and `who`.
template <class MakeWorker>
double measure(boost::asio::io_context& ioc, int concurrency, double seconds, bench_clock::duration warmup,
               char const* program, char const* who, MakeWorker make) {
    window w;
    w.start = bench_clock::now() + warmup;
    w.end = w.start + std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(seconds));
    for (int i = 0; i < concurrency; ++i)
        boost::asio::co_spawn(ioc, make(w), [&w](std::exception_ptr e) {
            try {
                if (e) std::rethrow_exception(e);
            } catch (std::exception const& x) {
                w.fail(x.what());
            } catch (...) {
                w.fail("unknown exception");
            }
        });
    ioc.restart();
    ioc.run();
    if (!w.failure.empty()) {
        std::fprintf(stderr, "%s: %s failed: %s\n", program, who, w.failure.c_str());
        std::fflush(nullptr);
        std::_Exit(1); // server threads still run: skip static destructors they could race with
    }
    return static_cast<double>(w.counted) / std::chrono::duration<double>(w.end - w.start).count();
}

} // namespace esx::bench

#endif
