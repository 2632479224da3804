// esx::testing::scripted_transport: a transport that answers from a script.
#ifndef ESX_TESTING_SCRIPTED_TRANSPORT_HPP
#define ESX_TESTING_SCRIPTED_TRANSPORT_HPP

#include <esx/transport/concept.hpp>

#include <deque>
#include <memory>
#include <vector>

namespace esx::testing {

/** Answers each request with the next scripted result and records the request (Beast's
    test::stream idea). Running past the script is an error the test sees, not a hang.
    Copies share one script. */
class scripted_transport {
public:
    using policy_kind = transport::tag;

    scripted_transport() : state_(std::make_shared<state>()) {}

    /// Queues a response with `status`, optional headers and body.
    scripted_transport& then_respond(unsigned status, std::string body = {},
                                     std::vector<std::pair<std::string, std::string>> headers = {}) {
        transport::response r{static_cast<boost::beast::http::status>(status), 11};
        for (auto& [k, v] : headers) r.set(k, v);
        r.body() = std::move(body);
        r.prepare_payload();
        state_->script.emplace_back(std::move(r));
        return *this;
    }
    /// Queues a failure.
    scripted_transport& then_fail(error_code ec) {
        state_->script.emplace_back(ec);
        return *this;
    }

    boost::asio::awaitable<result<transport::response>> send(transport::request r) {
        state_->requests.push_back(std::move(r));
        if (state_->script.empty()) co_return make_error_code(error::unexpected_exception);
        auto next = std::move(state_->script.front());
        state_->script.pop_front();
        co_return next;
    }

    std::vector<transport::request> const& requests() const noexcept { return state_->requests; }
    std::size_t remaining() const noexcept { return state_->script.size(); }

private:
    struct state {
        std::deque<result<transport::response>> script;
        std::vector<transport::request> requests;
    };
    std::shared_ptr<state> state_;
};

static_assert(transport::transport_policy<scripted_transport>);

} // namespace esx::testing

#endif
