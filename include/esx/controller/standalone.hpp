// esx::controller::run_controller: the whole `esx-controller` process after its flags.
//
// One `io_context` on one thread (the controller's strand), the runtime (cluster, Azure trust,
// `--resolve`, the SDK variables), the pipeline with the Kubernetes Secret sink, the controller,
// SIGTERM/SIGINT; returns the exit status. It is here rather than in the example so that the
// example stays one screen and a program embedding the controller can run it the same way.
#ifndef ESX_CONTROLLER_STANDALONE_HPP
#define ESX_CONTROLLER_STANDALONE_HPP

#include <esx/controller/basic_controller.hpp>
#include <esx/controller/controller_options.hpp>
#include <esx/log.hpp>
#include <esx/pipeline/options.hpp>
#include <esx/pipeline/runtime.hpp>
#include <esx/sink/kubernetes_secret.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <utility>

namespace esx::controller {

/// Runs the controller until SIGTERM/SIGINT; returns a `controller_exit` status. Log lines
/// (JSON) go to standard error at `o.log_level`.
inline int run_controller(controller_options o) {
    log::logger logger(o.log_level);
    log::set_default_logger(logger);
    o.runtime.logger = logger;
    o.leader.logger = logger;

    boost::asio::io_context ioc(1);
    runtime rt(ioc.get_executor(), o.runtime);
    if (!rt.status()) {
        logger.error("cannot start", {{"error", rt.status().error().what()}});
        return exit_failed;
    }
    auto kube = rt.kube();
    if (!kube) {
        logger.error("cannot start", {{"error", kube.error().what()}});
        return exit_failed;
    }
    pipeline_options po;
    po.concurrency = o.concurrency;
    po.store_revalidation = o.store_requeue_interval;
    pipeline_type pipeline(rt, sink::kubernetes_secret<>(*kube), spec::manifest_set{}, std::move(po));
    controller c(rt, pipeline, std::move(o));
    c.listen_for_signals();

    int status = exit_failed;
    boost::asio::co_spawn(ioc, c.run(), [&](std::exception_ptr e, result<void, failure> r) {
        if (e) logger.error("the controller ended with an exception", {});
        else if (!r) logger.error("the controller stopped", {{"error", r.error().what()}});
        else status = exit_clean;
        // The signal_set kept for a second SIGTERM (and idle connections) would keep run() going.
        ioc.stop();
    });
    ioc.run();
    return status;
}

} // namespace esx::controller

#endif
