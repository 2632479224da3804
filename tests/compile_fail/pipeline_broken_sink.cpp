// A sink whose `apply` forgets the apply_options parameter: the pipeline refuses it with the
// sink concept's message, not with an error from deep inside a coroutine.
#include <esx/pipeline.hpp>

struct broken_sink {
    using policy_kind = esx::sink::tag;
    boost::asio::awaitable<esx::result<esx::sink::outcome, esx::failure>> apply(esx::sink::target);
    boost::asio::awaitable<esx::result<esx::sink::outcome, esx::failure>> remove(esx::sink::target,
                                                                                 esx::sink::apply_options);
};

int main() { return sizeof(esx::pipeline<broken_sink>); }
