// esx::spec: the rules a well-typed ESO resource must also follow.
//
// ESO's admission webhooks (eso-behaviour.md § 1.4, § 4.4, § 4.6), with their messages, plus
// esx's own checks that ESO only hits at sync time or not at all: names (RFC 1123), Key Vault
// object names, regexes that must compile (RE2 syntax, see <esx/spec/regex.hpp>), credentials
// an auth type needs, cross-namespace references from a namespaced store, duplicate `secretKey`s
// (whatever the deletionPolicy), features esx does not have (generators).
//
// Every problem is reported, each as a cause whose `field` is the JSON path; the failure's
// message is all of them, one `path: reason` per line.
#ifndef ESX_SPEC_VALIDATE_HPP
#define ESX_SPEC_VALIDATE_HPP

#include <esx/config.hpp>
#include <esx/failure.hpp>
#include <esx/spec/detail/reader.hpp>
#include <esx/spec/external_secret.hpp>
#include <esx/spec/store.hpp>

#include <string>
#include <vector>

namespace esx::spec {

struct validate_options {
    /// The namespace a namespaced resource without `metadata.namespace` will land in (kubectl's
    /// context namespace); cross-namespace checks compare against it. Empty: a SecretStore or
    /// ExternalSecret must name its namespace (as objects read from the API server do).
    std::string default_namespace = "default";
    /// Object types `remoteRef.key` may name (`type/name`) besides ESO's `secret`, `key` and
    /// `cert`: the prefixes, without the `/`, of a program's own object kinds (see
    /// examples/custom_policy).
    std::vector<std::string> extra_object_types;
    /// `read_files` refuses a file (or standard input) larger than this, before reading it.
    std::size_t max_file_bytes = 64 * 1024 * 1024;
    /// `read_manifests` reports a document larger than this as a bad document without parsing
    /// it (the API server refuses request bodies over 3 MiB).
    std::size_t max_document_bytes = 3 * 1024 * 1024;
};

ESX_DECL result<void, failure> validate(secret_store const& s, validate_options const& options = {});
ESX_DECL result<void, failure> validate(external_secret const& es, validate_options const& options = {});
ESX_DECL result<void, failure> validate(cluster_external_secret const& ces, validate_options const& options = {});

namespace detail {
/// Adds each problem to `p`, skipping a field that already has one (from reading).
ESX_DECL void validate_into(secret_store const& s, validate_options const& options, problems& p);
ESX_DECL void validate_into(external_secret const& es, validate_options const& options, problems& p);
ESX_DECL void validate_into(cluster_external_secret const& ces, validate_options const& options, problems& p);
} // namespace detail

} // namespace esx::spec

#if ESX_HEADER_ONLY
#  include <esx/spec/impl/validate.ipp>
#endif

#endif
