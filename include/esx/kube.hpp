// esx: the Kubernetes client (config, REST verbs, TokenRequest, watch).
#ifndef ESX_KUBE_HPP
#define ESX_KUBE_HPP

#include <esx/kube/client.hpp>
#include <esx/kube/config.hpp>
#include <esx/kube/credentials.hpp>
#include <esx/kube/rate_limiter.hpp>
#include <esx/kube/resource.hpp>
#include <esx/kube/status.hpp>
#include <esx/kube/verbs.hpp>
#include <esx/kube/watch.hpp>

#endif
