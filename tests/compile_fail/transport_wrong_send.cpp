// A tagged type whose `send` is not a coroutine returning result<response>.
#include <esx/transport/retry.hpp>

struct blocking_sender {
    using policy_kind = esx::transport::tag;
    esx::transport::response send(esx::transport::request);
};

int main() { return sizeof(esx::transport::retry<blocking_sender>); }
