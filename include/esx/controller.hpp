// esx: the controller's building blocks (scheduler, work queue, refresh rules, store index).
#ifndef ESX_CONTROLLER_HPP
#define ESX_CONTROLLER_HPP

#include <esx/controller/backoff.hpp>
#include <esx/controller/call_limits.hpp>
#include <esx/controller/jitter.hpp>
#include <esx/controller/object_key.hpp>
#include <esx/controller/refresh.hpp>
#include <esx/controller/scheduler.hpp>
#include <esx/controller/store_index.hpp>
#include <esx/controller/work_queue.hpp>
#include <esx/controller/worker_pool.hpp>

#endif
