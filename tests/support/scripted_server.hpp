// The scripted loopback server moved to mocks/common so the mock servers can build on it.
#include "../../mocks/common/scripted_server.hpp"
