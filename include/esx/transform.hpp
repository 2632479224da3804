// esx::transform: what happens between a Key Vault read and a Secret write (ESO's property
// paths, decoding, key conversion, extract, rewrite, find, metadata, hashes).
#ifndef ESX_TRANSFORM_HPP
#define ESX_TRANSFORM_HPP

#include <esx/transform/decoding.hpp>
#include <esx/transform/error.hpp>
#include <esx/transform/extract.hpp>
#include <esx/transform/find.hpp>
#include <esx/transform/hash.hpp>
#include <esx/transform/jwk.hpp>
#include <esx/transform/keys.hpp>
#include <esx/transform/metadata.hpp>
#include <esx/transform/property.hpp>
#include <esx/transform/rewrite.hpp>
#include <esx/transform/secret_map.hpp>

#endif
