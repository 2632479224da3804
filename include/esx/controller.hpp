// esx: the controller's building blocks (scheduler, work queue, refresh rules, store index).
#ifndef ESX_CONTROLLER_HPP
#define ESX_CONTROLLER_HPP

#include <esx/controller/backoff.hpp>
#include <esx/controller/basic_controller.hpp>
#include <esx/controller/cache_sources.hpp>
#include <esx/controller/call_limits.hpp>
#include <esx/controller/cluster_external_secret.hpp>
#include <esx/controller/events.hpp>
#include <esx/controller/finalizer.hpp>
#include <esx/controller/http_endpoints.hpp>
#include <esx/controller/controller_options.hpp>
#include <esx/controller/created_by_index.hpp>
#include <esx/controller/jitter.hpp>
#include <esx/controller/leader_election.hpp>
#include <esx/controller/managed_secret.hpp>
#include <esx/controller/metrics.hpp>
#include <esx/controller/object_cache.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/reflector.hpp>
#include <esx/controller/reconcile.hpp>
#include <esx/controller/refresh.hpp>
#include <esx/controller/scheduler.hpp>
#include <esx/controller/shutdown.hpp>
#include <esx/controller/standalone.hpp>
#include <esx/controller/status.hpp>
#include <esx/controller/store_index.hpp>
#include <esx/controller/store_reconcile.hpp>
#include <esx/controller/triggers.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/controller/worker_pool.hpp>
#include <esx/controller/write_echoes.hpp>

#endif
