// esx::transform::templating::template_cache: compiled templates, kept per ExternalSecret
// generation.
//
// An ExternalSecret's templates change only when its spec does (its `metadata.generation`
// moves), but it is synced every refresh interval; parsing each template once per generation
// takes the parser off the sync path. Entries are keyed by the ExternalSecret
// (`namespace/name`) and the template's name; a new generation of an ExternalSecret drops
// all its older templates. A template read from `templateFrom` (a ConfigMap or Secret) can
// change without the generation moving, so a hit also requires the same text.
// Failed parses are not cached: the next sync reports the same error afresh.
// Thread-safe; the least recently used ExternalSecret goes first when `max_entries` is hit.
#ifndef ESX_TRANSFORM_TEMPLATE_CACHE_HPP
#define ESX_TRANSFORM_TEMPLATE_CACHE_HPP

#include <esx/transform/template/template.hpp>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace esx::transform::templating {

class template_cache {
public:
    template_cache(std::shared_ptr<function_table const> functions, options opts, std::size_t max_entries = 4096);

    /// The compiled template `name` with text `source` of the ExternalSecret `owner` at
    /// `generation`, parsed now if not cached.
    result<compiled_template, failure> get(std::string_view owner, std::int64_t generation, std::string_view name,
                                           std::string_view source);

    struct stats {
        std::size_t hits = 0, misses = 0, entries = 0;
    };
    stats statistics() const;

    options const& parse_options() const noexcept { return opts_; }

private:
    struct owner_entry {
        std::int64_t generation = 0;
        std::map<std::string, compiled_template, std::less<>> templates;
        std::list<std::string>::iterator lru;
    };
    std::shared_ptr<function_table const> functions_;
    options opts_;
    std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::map<std::string, owner_entry, std::less<>> owners_;
    std::list<std::string> lru_;  ///< front: most recently used owner
    std::size_t entries_ = 0;
    std::size_t hits_ = 0, misses_ = 0;
};

} // namespace esx::transform::templating

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/cache.ipp>
#endif

#endif
