// esx::transform: `decodingStrategy` (out of line).
#ifndef ESX_TRANSFORM_IMPL_DECODING_IPP
#define ESX_TRANSFORM_IMPL_DECODING_IPP

#include <esx/transform/decoding.hpp>
#include <esx/transform/detail/base64.hpp>

namespace esx::transform {

ESX_DECL std::string_view to_string(spec::decoding_strategy strategy) noexcept {
    switch (strategy) {
    case spec::decoding_strategy::none: return "None";
    case spec::decoding_strategy::base64: return "Base64";
    case spec::decoding_strategy::base64url: return "Base64URL";
    case spec::decoding_strategy::auto_: return "Auto";
    }
    return "None";
}

ESX_DECL result<secret_bytes, failure> decode(spec::decoding_strategy strategy, secret_bytes value) {
    detail::scratch out;
    std::size_t offset = 0;
    switch (strategy) {
    case spec::decoding_strategy::none: return value;
    case spec::decoding_strategy::base64:
    case spec::decoding_strategy::base64url:
        if (detail::go_base64_decode(value.reveal(), strategy == spec::decoding_strategy::base64url, true, out, offset))
            return out.to_secret();
        return failure{make_error_code(error::decoding_failed),
                       "error applying decoding strategy " + std::string(to_string(strategy)) +
                           " to data: illegal base64 data at input byte " + std::to_string(offset)};
    case spec::decoding_strategy::auto_:
        if (detail::go_base64_decode(value.reveal(), false, true, out, offset)) return out.to_secret();
        if (detail::go_base64_decode(value.reveal(), true, true, out, offset)) return out.to_secret();
        return value;
    }
    return value;
}

ESX_DECL result<secret_map, failure> decode_map(spec::decoding_strategy strategy, secret_map data) {
    // ESO's DecodeMap walks a Go map (random order); esx reports the first failing key in key order.
    for (auto& [key, value] : data) {
        auto decoded = decode(strategy, std::move(value));
        if (!decoded) {
            auto f = decoded.error();
            auto const colon = f.message.find(": ");
            f.message = f.message.substr(0, colon + 2) + "failure decoding key " + key + ": " +
                        f.message.substr(colon + 2);
            return f;
        }
        value = std::move(*decoded);
    }
    return data;
}

} // namespace esx::transform

#endif
