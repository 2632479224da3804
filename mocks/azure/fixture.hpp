// esx mocks/azure: a Boost.Test fixture that runs the mock Azure server
// in-process on ephemeral ports for the duration of a test case or suite.
//
//   BOOST_FIXTURE_TEST_CASE(reads_a_secret, esx::mocks::azure::fixture) {
//       // azure.authority(), azure.vault_url("v1"), azure.ca_pem(), azure.requests() ...
//   }
//
// The default seed (default_seed()) has tenant "esx-tenant", client
// "esx-client" with secret "esx-secret" and full access to vault "v1". Derive
// from the fixture and pass options to use another seed. The destructor stops
// every listener and removes the generated TLS directory.
#ifndef ESX_MOCKS_AZURE_FIXTURE_HPP
#define ESX_MOCKS_AZURE_FIXTURE_HPP

#include "server.hpp"

#include <utility>

namespace esx::mocks::azure {

struct fixture {
    explicit fixture(options opts = {}) : azure(std::move(opts)) {}
    server azure;
};

}  // namespace esx::mocks::azure

#endif
