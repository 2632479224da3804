// An auth policy that forgot its tag, used where esx needs one.
#include <esx/auth/any_of.hpp>

struct my_auth {
    static constexpr std::string_view auth_type = "ServicePrincipal";
};

esx::auth::any_of<my_auth> policy;
