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
#include <esx/spec/impl/validate.ipp>

#endif
