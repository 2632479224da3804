// esx: every transport policy.
#ifndef ESX_TRANSPORT_HPP
#define ESX_TRANSPORT_HPP

#include <esx/transport/blocking.hpp>
#include <esx/transport/concept.hpp>
#include <esx/transport/http.hpp>
#include <esx/transport/https.hpp>
#include <esx/transport/retry.hpp>

#endif
