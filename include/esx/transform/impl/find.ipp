// esx::transform: `dataFrom[].find` (out of line).
#ifndef ESX_TRANSFORM_IMPL_FIND_IPP
#define ESX_TRANSFORM_IMPL_FIND_IPP

#include <esx/transform/find.hpp>

namespace esx::transform {

ESX_DECL result<find_filter, failure> find_filter::make(spec::find_ref const& find) {
    std::optional<esx::regex> name;
    // An empty `name.regexp` filters nothing, as in ESO (`checkName` needs a non-empty pattern).
    if (find.name_regexp && !find.name_regexp->empty()) {
        auto re = esx::regex::compile(*find.name_regexp);
        if (!re)
            return failure{make_error_code(error::invalid_regexp), "find.name.regexp: " + re.error().what()};
        name = std::move(*re);
    }
    return find_filter(std::move(name), find.tags);
}

ESX_DECL bool find_filter::matches(keyvault::item const& item) const {
    if (item.id.empty()) return false;
    if (item.attributes.enabled && !*item.attributes.enabled) return false;
    for (auto const& [tag, value] : tags_) {
        auto it = item.tags.find(tag);
        if (it == item.tags.end() || it->second != value) return false;
    }
    return !name_ || name_->search(item.name);
}

} // namespace esx::transform

#endif
