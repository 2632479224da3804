// esx: build switches.
//
// Header-only is the default: every definition is visible to every translation unit.
// Define ESX_SEPARATE_COMPILATION in every TU and include <esx/src.hpp> in exactly one
// of them to compile the non-template parts once (Boost.Beast's model); tests and
// examples do this to keep builds fast.
#ifndef ESX_CONFIG_HPP
#define ESX_CONFIG_HPP

#include <boost/config.hpp>

#if defined(ESX_SEPARATE_COMPILATION)
#  define ESX_HEADER_ONLY 0
#  define ESX_DECL
#else
#  define ESX_HEADER_ONLY 1
#  define ESX_DECL inline
#endif

#define ESX_VERSION_MAJOR 0
#define ESX_VERSION_MINOR 1
#define ESX_VERSION_PATCH 0
#define ESX_VERSION_STRING "0.1.0"

#endif
