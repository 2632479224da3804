// Extending esx: a sink and an object kind of your own, in a pipeline beside esx's own.
//   custom_policy MANIFEST...   (Azure settings from the environment: ESX_CACERT, ESX_RESOLVE, ...)
#include <esx/esx.hpp>

#include <iostream>

// An object kind: `content-type/NAME` is the contentType Key Vault keeps with secret NAME.
struct content_type {
    using policy_kind = esx::object::tag;
    using value_type = esx::secret_bytes;
    static constexpr std::string_view prefix = "content-type/";
    static constexpr std::string_view collection = "secrets";
    static esx::result<esx::secret_bytes, esx::failure> decode(boost::json::object const& bundle) {
        auto const* type = bundle.if_contains("contentType");
        if (!type || !type->is_string())
            return esx::failure(esx::object::make_error_code(esx::object::error::malformed_bundle), "no contentType");
        return esx::secret_bytes(std::string_view(type->as_string()));
    }
};

// A sink: reports each target's keys and sizes (never a value) on a stream.
struct key_report {
    using policy_kind = esx::sink::tag;
    std::ostream* out;
    boost::asio::awaitable<esx::result<esx::sink::outcome, esx::failure>> apply(esx::sink::target t,
                                                                                esx::sink::apply_options) {
        esx::sink::outcome o{.action = esx::sink::action::created, .location = "report " + t.namespace_ + "/" + t.name};
        for (auto const& [key, value] : t.data) {
            *out << "  " << key << ": " << value.size() << " bytes\n";
            o.keys.push_back(key);
        }
        o.data_hash = esx::transform::data_hash(t.data);
        co_return o;
    }
    boost::asio::awaitable<esx::result<esx::sink::outcome, esx::failure>> remove(esx::sink::target t,
                                                                                 esx::sink::apply_options) {
        co_return esx::sink::outcome{.action = esx::sink::action::retained, .location = "report " + t.name};
    }
};

// esx's kinds plus ours (order is match order; the last one takes bare names).
using kinds = std::remove_const_t<decltype(
    esx::object::kinds<esx::object::key, esx::object::certificate, content_type, esx::object::secret>)>;

int main(int argc, char** argv) {
    esx::spec::validate_options accept;
    accept.extra_object_types = {"content-type"};  // references to our kind pass manifest checks
    auto manifests = esx::spec::read_files({argv + 1, argv + argc}, accept);
    if (!manifests) return std::cerr << manifests.error() << '\n', 2;
    for (auto const& bad : manifests->errors) std::cerr << bad.source << ": " << bad.error << '\n';  // each alone
    esx::runtime rt;  // cluster, Azure trust and IMDS from the environment
    esx::basic_pipeline<esx::default_auth, esx::default_vault_transport, key_report, kinds> report(
        rt, key_report{&std::cout}, *manifests);
    esx::pipeline<esx::sink::json, kinds> list(rt, esx::sink::json(std::cout), *manifests);  // a built-in sink

    bool ok = true;
    for (auto const& r : rt.run(report.sync_all())) ok &= r.ok(), std::cout << r << '\n';
    for (auto const& r : rt.run(list.sync_all())) ok &= r.ok(), std::cerr << r << '\n';
    return ok ? 0 : 1;
}
