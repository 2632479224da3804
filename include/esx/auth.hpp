// esx::auth: every auth policy, the token cache and the store -> policy mapping.
#ifndef ESX_AUTH_HPP
#define ESX_AUTH_HPP

#include <esx/auth/access_token.hpp>
#include <esx/auth/any_of.hpp>
#include <esx/auth/concept.hpp>
#include <esx/auth/from_store.hpp>
#include <esx/auth/kube_access.hpp>
#include <esx/auth/managed_identity.hpp>
#include <esx/auth/service_principal.hpp>
#include <esx/auth/store_credentials.hpp>
#include <esx/auth/token_cache.hpp>
#include <esx/auth/workload_identity.hpp>

#endif
