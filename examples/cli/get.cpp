// `esx get --store FILE REF`: one Key Vault object through a store, printed. The read goes
// through the same pipeline as `esx sync` (an ExternalSecret of one entry, made here, into a
// memory sink), so the store, its credentials, the cloud and the object kinds behave exactly as
// in a sync.
#include "args.hpp"
#include "commands.hpp"
#include "connection.hpp"

#include <esx/object/pem.hpp>
#include <esx/pipeline/aliases.hpp>
#include <esx/sink/memory.hpp>
#include <esx/spec/manifest.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iostream>

#include <unistd.h>

namespace esx::cli {

std::string_view const get_help =
    "usage: esx get --store FILE [--store-name NAME] [-n NAMESPACE] [--version V] [--pem] REF\n"
    "               [--kubeconfig FILE] [--context NAME] [--cacert FILE] [--resolve HOST:PORT:ADDR]...\n"
    "               [--allow-controller-identity]\n"
    "\n"
    "Prints one object of the store's vault, as an ExternalSecret's `remoteRef.key: REF` would\n"
    "receive it: `NAME` or `secret/NAME` the secret's value, `key/NAME` the public key as a JWK,\n"
    "`cert/NAME` the certificate's DER bytes. The store (SecretStore or ClusterSecretStore) comes\n"
    "from FILE, with any credential Secret or ServiceAccount in it; what FILE lacks is read from\n"
    "the cluster. This command prints a secret value: that is its purpose.\n"
    "\n"
    "  --store FILE             manifest file holding the store (and credentials)\n"
    "  --store-name NAME        which store, when FILE holds several\n"
    "  --version V              a version other than the latest\n"
    "  --pem                    key/: the public key as PEM (SubjectPublicKeyInfo);\n"
    "                           cert/: the certificate as PEM\n"
    "%CONNECTION%"
    "\n"
    "%ENVIRONMENT%"
    "\n"
    "A certificate's DER is binary: on a terminal, esx asks for --pem or a redirection.\n"
    "\n"
    "Exit status: 0 printed, 1 the object could not be read, 2 a usage error.\n";

namespace {

constexpr option_spec get_options[] = {
    {.name = "store", .takes_value = true},
    {.name = "store-name", .takes_value = true},
    {.name = "version", .takes_value = true},
    {.name = "pem"},
    ESX_CLI_CONNECTION_OPTIONS,
};

constexpr char const* probe_name = "esx-get";

/// The one-entry ExternalSecret the object is read through.
boost::json::object probe(spec::secret_store const& store, std::string const& ns, std::string const& ref,
                          std::string const& version) {
    boost::json::object remote{{"key", ref}};
    if (!version.empty()) remote["version"] = version;
    return {{"apiVersion", "external-secrets.io/v1"},
            {"kind", "ExternalSecret"},
            {"metadata", {{"name", probe_name}, {"namespace", ns}}},
            {"spec",
             {{"secretStoreRef",
               {{"kind", store.kind == spec::store_kind::cluster_secret_store ? "ClusterSecretStore" : "SecretStore"},
                {"name", store.metadata.name}}},
              {"target", {{"name", probe_name}, {"creationPolicy", "Orphan"}}},
              {"data", boost::json::array{{{"secretKey", "value"}, {"remoteRef", std::move(remote)}}}}}}};
}

} // namespace

int get_command(std::span<char* const> argv) {
    std::string const help = with_connection_help(get_help);
    auto parsed = parse(argv, get_options);
    if (auto* why = std::get_if<std::string>(&parsed)) return usage_failure(*why, help);
    auto const& args = std::get<arguments>(parsed);
    if (args.help) {
        std::cout << help;
        return success;
    }
    if (args.positional.size() != 1) return usage_failure("expected exactly one REF (secret/NAME, key/NAME, cert/NAME)", help);
    std::string const ref = args.positional[0];
    if (!args.has("store")) return usage_failure("--store FILE is required", help);
    bool const pem = args.has("pem");
    bool const is_key = ref.starts_with("key/"), is_cert = ref.starts_with("cert/");
    if (pem && !is_key && !is_cert) return usage_failure("--pem is for key/ and cert/ objects", help);
    auto conn = connection_from(args);
    if (auto* why = std::get_if<std::string>(&conn)) return usage_failure(*why, help);
    auto const& c = std::get<connection>(conn);
    if (is_cert && !pem && ::isatty(1) == 1)
        return usage_failure("cert/ prints binary DER: add --pem, or redirect the output to a file", help);

    auto from_env = runtime_options::from_environment();
    if (!from_env) return usage_failure(from_env.error().what(), help);
    runtime_options ro = std::move(*from_env);
    if (!c.kubeconfig.empty()) ro.kubeconfig = c.kubeconfig;
    if (!c.context.empty()) ro.context = c.context;
    if (!c.cacert.empty()) ro.ca_file = c.cacert;
    for (auto const& [host_port, addr] : c.resolve) ro.resolve[host_port] = addr;
    ro.allow_controller_identity = c.allow_controller_identity;

    std::string const ns = default_namespace(c, ro);
    spec::validate_options vo;
    vo.default_namespace = ns;
    auto set = spec::read_files({args.value("store")}, vo);
    if (!set) {
        std::cerr << "esx: " << set.error().what() << "\n";
        return usage_error;
    }
    set->default_namespace(ns);
    std::string const wanted = args.value("store-name");
    spec::secret_store const* store = nullptr;
    std::size_t candidates = 0;
    for (auto const& s : set->stores)
        if (wanted.empty() || s.metadata.name == wanted) {
            store = &s;
            ++candidates;
        }
    if (candidates != 1) {
        for (auto const& e : set->errors)
            if (e.kind == "SecretStore" || e.kind == "ClusterSecretStore")
                std::cerr << "esx: " << e.source << ": " << e.kind << " " << e.name << ": " << e.error.what() << "\n";
        return usage_failure(candidates == 0 ? "no valid store" + (wanted.empty() ? std::string() : " named `" + wanted + "`") +
                                                   " in " + args.value("store")
                                             : "several stores in " + args.value("store") + ": choose one with --store-name",
                             help);
    }
    // A SecretStore serves its own namespace; a ClusterSecretStore the one asked for.
    std::string const probe_ns =
        store->kind == spec::store_kind::secret_store && !store->metadata.namespace_.empty() ? store->metadata.namespace_ : ns;
    auto es = spec::read_manifests(boost::json::serialize(probe(*store, probe_ns, ref, args.value("version"))), "esx get");
    if (!es || es->external_secrets.size() != 1) {
        std::string why = !es ? es.error().what() : es->errors.empty() ? std::string("?") : es->errors.front().error.what();
        return usage_failure("REF `" + ref + "`: " + why, help);
    }
    set->external_secrets = std::move(es->external_secrets);

    runtime rt(std::move(ro));
    if (!rt.status()) {
        std::cerr << "esx: " << rt.status().error().what() << "\n";
        return usage_error;
    }
    auto memory = std::make_shared<sink::memory>();
    pipeline_options po;
    po.default_namespace = probe_ns;
    pipeline<sink::memory> p(rt, memory, std::move(*set), std::move(po));
    auto results = rt.run(p.sync_all());
    if (results.size() != 1 || !results.front().ok()) {
        std::string why = results.empty() ? std::string("nothing was read") : results.front().error->what();
        // The entry's own words, without the probe's made-up field path in front.
        std::string const probe_prefix = "spec.data[0] (key: " + ref + "): ";
        if (why.starts_with(probe_prefix)) why.erase(0, probe_prefix.size());
        std::cerr << "esx: " << ref << ": " << why << "\n";
        return sync_failed;
    }
    auto stored = memory->find(probe_ns, probe_name);
    if (!stored || !stored->data.contains("value")) {
        std::cerr << "esx: " << ref << ": the store returned no data\n";
        return sync_failed;
    }
    auto const bytes = stored->data.at("value").reveal();
    bool const tty = ::isatty(1) == 1;
    if (pem) {
        auto text = is_key ? object::jwk_to_pem(bytes) : object::der_certificate_to_pem(bytes);
        if (!text) {
            std::cerr << "esx: " << ref << ": " << text.error().what() << "\n";
            return sync_failed;
        }
        std::cout << *text;
    } else {
        std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (tty) std::cout << "\n";
    }
    std::cout.flush();
    return std::cout ? success : sync_failed;
}

} // namespace esx::cli
