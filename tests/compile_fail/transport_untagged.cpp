// A type with the right `send` but no opt-in tag is not a transport.
#include <esx/transport/retry.hpp>

struct almost_a_transport {
    boost::asio::awaitable<esx::result<esx::transport::response>> send(esx::transport::request);
};

esx::transport::retry<almost_a_transport>* p = nullptr;
int main() { return sizeof(esx::transport::retry<almost_a_transport>); }
