// esx: the one translation unit that compiles every out-of-line definition.
//
// With ESX_SEPARATE_COMPILATION defined everywhere, include this header in exactly one
// .cpp file of the program (Beast's <boost/beast/src.hpp> model).
#ifndef ESX_SRC_HPP
#define ESX_SRC_HPP

#if !defined(ESX_SEPARATE_COMPILATION)
#  error "Define ESX_SEPARATE_COMPILATION in every translation unit to use <esx/src.hpp>"
#endif

#include <esx/impl/error.ipp>
#include <esx/impl/log.ipp>
#include <esx/transport/impl/url.ipp>
#include <esx/transport/impl/proxy.ipp>
#include <esx/transport/impl/tls.ipp>
#include <esx/transport/impl/retry_after.ipp>
#include <esx/auth/impl/oauth.ipp>
#include <esx/auth/impl/jwt.ipp>
#include <esx/kube/impl/text.ipp>
#include <esx/kube/impl/status.ipp>
#include <esx/kube/impl/credentials.ipp>
#include <esx/kube/impl/config.ipp>
#include <esx/object/impl/error.ipp>
#include <esx/object/impl/decode.ipp>
#include <esx/object/impl/pem.ipp>
#include <esx/keyvault/impl/error.ipp>
#include <esx/keyvault/impl/vault_url.ipp>
#include <esx/keyvault/impl/challenge.ipp>
#include <esx/keyvault/impl/bundles.ipp>
#include <esx/spec/impl/read.ipp>
#include <esx/spec/impl/write.ipp>
#include <esx/spec/impl/sync_windows.ipp>
#include <esx/spec/impl/validate.ipp>
#include <esx/spec/impl/manifest.ipp>
#include <esx/spec/impl/validate_manifests.ipp>

#include <esx/transform/impl/error.ipp>
#include <esx/transform/impl/go.ipp>
#include <esx/transform/impl/go_json.ipp>
#include <esx/transform/impl/gjson.ipp>
#include <esx/transform/impl/property.ipp>
#include <esx/transform/impl/decoding.ipp>
#include <esx/transform/impl/keys.ipp>
#include <esx/transform/impl/extract.ipp>
#include <esx/transform/impl/rewrite.ipp>
#include <esx/transform/impl/find.ipp>
#include <esx/transform/impl/metadata.ipp>
#include <esx/transform/impl/hash.ipp>
#include <esx/transform/impl/jwk.ipp>

#include <esx/transform/template/impl/error.ipp>
#include <esx/transform/template/impl/value.ipp>
#include <esx/transform/template/impl/function.ipp>
#include <esx/transform/template/impl/unicode.ipp>
#include <esx/transform/template/impl/literals.ipp>
#include <esx/transform/template/impl/lexer.ipp>
#include <esx/transform/template/impl/parser.ipp>
#include <esx/transform/template/impl/printf.ipp>
#include <esx/transform/template/impl/evaluator.ipp>
#include <esx/transform/template/impl/template.ipp>
#include <esx/transform/template/impl/cache.ipp>
#include <esx/transform/template/impl/target.ipp>
#include <esx/transform/template/functions/impl/go_time.ipp>
#include <esx/transform/template/functions/impl/go_json_value.ipp>
#include <esx/transform/template/functions/impl/sprig_support.ipp>
#include <esx/transform/template/functions/impl/pem.ipp>
#include <esx/transform/template/functions/impl/pkcs12.ipp>
#include <esx/transform/template/functions/impl/jwk.ipp>
#include <esx/transform/template/functions/impl/yaml.ipp>
#include <esx/transform/template/functions/impl/sprig_strings.ipp>
#include <esx/transform/template/functions/impl/sprig_collections.ipp>
#include <esx/transform/template/functions/impl/sprig_misc.ipp>
#include <esx/transform/template/functions/impl/eso.ipp>

#include <esx/sink/impl/error.ipp>
#include <esx/sink/impl/secret_model.ipp>
#include <esx/sink/impl/secret_json.ipp>
#include <esx/sink/impl/stream_output.ipp>
#include <esx/sink/impl/memory.ipp>
#include <esx/sink/impl/files.ipp>
#include <esx/sink/impl/dotenv.ipp>
#include <esx/sink/impl/json.ipp>

#include <esx/pipeline/impl/runtime.ipp>
#include <esx/pipeline/impl/target_checks.ipp>

#include <esx/controller/impl/events.ipp>
#include <esx/controller/impl/finalizer.ipp>
#include <esx/controller/impl/reconcile.ipp>
#include <esx/controller/impl/status.ipp>
#include <esx/controller/impl/managed_secret.ipp>
#include <esx/controller/impl/refresh.ipp>
#include <esx/controller/impl/scheduler.ipp>
#include <esx/controller/impl/leader_election.ipp>
#include <esx/controller/impl/store_index.ipp>
#include <esx/controller/impl/store_status.ipp>
#include <esx/controller/impl/cluster_external_secret.ipp>
#include <esx/controller/impl/exposition.ipp>
#include <esx/controller/impl/metrics.ipp>
#include <esx/controller/impl/http_endpoints.ipp>
#include <esx/controller/impl/controller_options.ipp>

#endif
