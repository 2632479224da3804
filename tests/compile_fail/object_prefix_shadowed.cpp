// A kind set where one prefix is a prefix of another: "key/" would swallow "key/rsa/".
#include <esx/object/kinds.hpp>

struct rsa_key : esx::object::key {
    static constexpr std::string_view prefix = "key/rsa/";
};

auto r = esx::object::visit_by_prefix("key/rsa/x", [](auto, std::string_view) { return 0; },
                                      esx::object::kinds<esx::object::key, rsa_key, esx::object::secret>);
