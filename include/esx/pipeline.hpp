// esx: the sync pipeline (one ExternalSecret in, its target out) and the runtime it runs on.
#ifndef ESX_PIPELINE_HPP
#define ESX_PIPELINE_HPP

#include <esx/pipeline/aliases.hpp>
#include <esx/pipeline/basic_pipeline.hpp>
#include <esx/pipeline/manifest_access.hpp>
#include <esx/pipeline/options.hpp>
#include <esx/pipeline/read_cache.hpp>
#include <esx/pipeline/result.hpp>
#include <esx/pipeline/runtime.hpp>
#include <esx/pipeline/store_source.hpp>
#include <esx/pipeline/target_checks.hpp>

#endif
