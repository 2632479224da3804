// esx::controller: reading a managed Secret into its compact view (see managed_secret.hpp).
#ifndef ESX_CONTROLLER_IMPL_MANAGED_SECRET_IPP
#define ESX_CONTROLLER_IMPL_MANAGED_SECRET_IPP

#include <esx/controller/managed_secret.hpp>
#include <esx/error.hpp>
#include <esx/sink/detail/base64.hpp>
#include <esx/transform/hash.hpp>

#include <boost/json/object.hpp>

#include <utility>

namespace esx::controller {

namespace detail {
inline constexpr std::string_view data_hash_annotation = "reconcile.external-secrets.io/data-hash";
inline constexpr std::string_view created_by_label = "reconcile.external-secrets.io/created-by";

inline std::string_view text_at(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

inline failure malformed(std::string message) {
    return failure(ESX_ERROR(error::malformed_response), std::move(message));
}
} // namespace detail

ESX_DECL std::string to_hex(object_digest const& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(d.size() * 2);
    for (auto b : d) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}

ESX_DECL std::optional<object_digest> digest_from_hex(std::string_view hex) noexcept {
    object_digest d{};
    if (hex.size() != d.size() * 2) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < d.size(); ++i) {
        int const hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return d;
}

ESX_DECL result<managed_secret, failure> read_managed_secret(boost::json::value const& secret) {
    using detail::malformed;
    if (!secret.is_object()) return malformed("Secret is not a JSON object");
    auto const& o = secret.get_object();
    auto const* meta_v = o.if_contains("metadata");
    if (!meta_v || !meta_v->is_object()) return malformed("Secret has no metadata");
    auto const& meta = meta_v->get_object();
    managed_secret s;
    s.name = detail::text_at(meta, "name");
    if (s.name.empty()) return malformed("Secret has no metadata.name");
    s.namespace_ = detail::text_at(meta, "namespace");
    s.resource_version = detail::text_at(meta, "resourceVersion");
    if (auto const* ts = meta.if_contains("deletionTimestamp"); ts && !ts->is_null()) s.deleting = true;
    if (auto const* refs = meta.if_contains("ownerReferences"); refs && refs->is_array()) {
        for (auto const& r : refs->get_array()) {
            if (!r.is_object()) continue;
            auto const& ref = r.get_object();
            auto const* controller = ref.if_contains("controller");
            bool const is_controller = controller && controller->is_bool() && controller->get_bool();
            if (!is_controller || detail::text_at(ref, "kind") != "ExternalSecret") continue;
            s.owner_name = detail::text_at(ref, "name");
            s.owner_uid = detail::text_at(ref, "uid");
            break;
        }
    }
    if (auto const* a = meta.if_contains("annotations"); a && a->is_object())
        s.annotated_hash = digest_from_hex(detail::text_at(a->get_object(), detail::data_hash_annotation));
    if (auto const* l = meta.if_contains("labels"); l && l->is_object())
        s.created_by = digest_from_hex(detail::text_at(l->get_object(), detail::created_by_label));

    // ESO's ObjectHash(secret.Data): the decoded values, in wiped `secret_bytes` that are freed
    // (and wiped) when `data` goes out of scope here. No value leaves this function.
    transform::secret_map data;
    if (auto const* d = o.if_contains("data"); d && !d->is_null()) {
        if (!d->is_object()) return malformed("Secret " + s.namespace_ + "/" + s.name + ": data is not an object");
        for (auto const& [key, value] : d->get_object()) {
            std::optional<secret_bytes> bytes;
            if (value.is_string()) bytes = sink::detail::base64_decode(value.get_string());
            if (!bytes)
                return malformed("Secret " + s.namespace_ + "/" + s.name + ": data[" + std::string(key) +
                                 "] is not base64");
            data.emplace(std::string(key), std::move(*bytes));
        }
    }
    auto const hex = transform::data_hash(data);
    if (auto digest = digest_from_hex(hex)) s.data_hash = *digest;
    return s;
}

} // namespace esx::controller

#endif
