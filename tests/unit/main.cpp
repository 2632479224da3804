// The one Boost.Test module of the unit suite; links the shared unit_test_framework.
#define BOOST_TEST_MODULE esx
#include <boost/test/unit_test.hpp>
