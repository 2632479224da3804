// The Boost.Test module of each integration executable; links the shared unit_test_framework.
#define BOOST_TEST_MODULE esx_integration
#include <boost/test/unit_test.hpp>
