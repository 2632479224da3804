// esx: every sink policy (where a synced ExternalSecret's data goes).
#ifndef ESX_SINK_HPP
#define ESX_SINK_HPP

#include <esx/sink/concept.hpp>
#include <esx/sink/dotenv.hpp>
#include <esx/sink/error.hpp>
#include <esx/sink/files.hpp>
#include <esx/sink/json.hpp>
#include <esx/sink/kubernetes_secret.hpp>
#include <esx/sink/memory.hpp>
#include <esx/sink/target.hpp>

#endif
