// esx::transform::find_filter: which Key Vault secrets a `dataFrom[].find` selects.
#ifndef ESX_TRANSFORM_FIND_HPP
#define ESX_TRANSFORM_FIND_HPP

#include <esx/transform/error.hpp>
#include <esx/keyvault/bundles.hpp>
#include <esx/regex.hpp>
#include <esx/spec/external_secret.hpp>

#include <map>
#include <optional>
#include <string>

namespace esx::transform {

/** ESO's filter over a listing: an item is selected when it has an id, is not disabled
    (`attributes.enabled != false`), carries every tag of `find.tags` with the same value, and
    its name contains a match of `find.name.regexp` (unanchored, RE2). `find.path` is ignored,
    as ESO's Azure provider ignores it. */
class find_filter {
public:
    /// @par Errors `transform::error::invalid_regexp`: `find.name.regexp: error parsing regexp: ...`.
    ESX_DECL static result<find_filter, failure> make(spec::find_ref const& find);

    ESX_DECL bool matches(keyvault::item const& item) const;

private:
    find_filter(std::optional<esx::regex> name, std::map<std::string, std::string> tags)
        : name_(std::move(name)), tags_(std::move(tags)) {}

    std::optional<esx::regex> name_;
    std::map<std::string, std::string> tags_;
};

} // namespace esx::transform

#if ESX_HEADER_ONLY
#  include <esx/transform/impl/find.ipp>
#endif

#endif
