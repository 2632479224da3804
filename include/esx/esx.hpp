// esx: the whole library.
#ifndef ESX_ESX_HPP
#define ESX_ESX_HPP

#include <esx/auth.hpp>
#include <esx/auth/kube_client_access.hpp>
#include <esx/config.hpp>
#include <esx/controller.hpp>
#include <esx/error.hpp>
#include <esx/failure.hpp>
#include <esx/kube.hpp>
#include <esx/log.hpp>
#include <esx/pipeline.hpp>
#include <esx/secret.hpp>
#include <esx/sink.hpp>
#include <esx/spec.hpp>
#include <esx/spec/manifest.hpp>
#include <esx/transform.hpp>
#include <esx/transport.hpp>
#include <esx/object/kinds.hpp>
#include <esx/object/pem.hpp>
#include <esx/keyvault/client.hpp>

#endif
