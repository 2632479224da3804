// esx::spec: the ESO resources (SecretStore, ClusterSecretStore, ExternalSecret,
// ClusterExternalSecret) as C++ types, read from JSON, validated, written back.
//
// YAML input is in <esx/spec/manifest.hpp> / <esx/spec/yaml.hpp>, left out here so that users of
// this header need not link yaml-cpp.
//
//   auto r = esx::spec::parse(json_value);            // read + validate; all problems at once
//   if (!r) log(r.error().message);                    // "spec.data[2].remoteRef.key: must not be empty"
//   auto const& es = std::get<esx::spec::external_secret>(*r);
//   auto set = esx::spec::read_manifests(yaml_text);   // <esx/spec/manifest.hpp>: each document on its
//   for (auto const& e : set->errors) log(e.error.message);  //   own; a bad one fails only itself
//   auto report = esx::spec::validate_manifests(*set);  // `esx validate`: checks across documents too
//   auto ok = esx::spec::check_store_access(store, es.metadata.namespace_, namespace_labels);
#ifndef ESX_SPEC_HPP
#define ESX_SPEC_HPP

#include <esx/spec/conditions.hpp>
#include <esx/spec/duration.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/spec/json.hpp>
#include <esx/spec/parse.hpp>
#include <esx/spec/regex.hpp>
#include <esx/spec/store.hpp>
#include <esx/spec/sync_windows.hpp>
#include <esx/spec/validate.hpp>

#endif
