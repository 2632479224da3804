// libFuzzer target for what the pipeline does to a value it read: `remoteRef.property` (a gjson
// path into the value), `decodingStrategy` (None/Base64/Base64URL/Auto, on one value and on a
// map) and `dataFrom[].extract` (the value flattened as Go's map[string]json.RawMessage).
// The value is a secret from a vault, the path and strategy come from whoever may edit an
// ExternalSecret: both are untrusted.
//
// Input: `S PATH\nJSON`, where the low two bits of S pick the strategy (`0` None, `1` Base64,
// `2` Base64URL, `3` Auto), PATH runs to the first newline and JSON is the rest.
// Build and run with tests/fuzz/run.sh property_decoding SECONDS.
//
// Besides "no crash": no failure message echoes the value; decoded sizes stay within base64's
// 3/4; a successful Base64 decode re-encodes to its input; Auto never fails and agrees with the
// strict strategies; None is the identity; extracted values are no larger than Go's decoding
// can make them.
#include <esx/transform/decoding.hpp>
#include <esx/transform/extract.hpp>
#include <esx/transform/property.hpp>

#include "support.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace tr = esx::transform;
using strategy = esx::spec::decoding_strategy;

// A failure message may name paths and keys, never the value: a distinctive value showing up
// in it (when the path or key does not hold it too) is a leak.
void check_not_echoed(esx::failure const& f, std::string_view value, std::string_view allowed) {
    if (!esx_fuzz::distinctive(value)) return;
    if (f.message.find(value) != std::string::npos && allowed.find(value) == std::string_view::npos) __builtin_trap();
    for (auto const& c : f.causes)
        if (c.message.find(value) != std::string::npos) __builtin_trap();
}

// Go's decoder skips CR and LF and ignores the unused bits of the last quantum: re-encoding
// gives the input without newlines, except perhaps the last sextet before the padding.
void check_round_trip(std::string_view input, std::string_view decoded, bool url) {
    std::string bare;
    for (char c : input)
        if (c != '\r' && c != '\n') bare += c;
    std::string const again = esx_fuzz::base64(decoded, url, esx_fuzz::padding::with);
    if (again.size() != bare.size()) __builtin_trap();
    std::size_t const exact = again.size() >= 4 ? again.size() - 4 : 0;
    if (again.compare(0, exact, bare, 0, exact) != 0) __builtin_trap();
}

void check_decode(strategy s, std::string_view value) {
    auto out = tr::decode(s, esx::secret_bytes(value));
    if (!out) {
        if (s == strategy::none || s == strategy::auto_) __builtin_trap();  // these never fail
        check_not_echoed(out.error(), value, {});
        return;
    }
    std::string_view const got = out->reveal();
    switch (s) {
    case strategy::none:
        if (got != value) __builtin_trap();
        break;
    case strategy::base64:
    case strategy::base64url:
        if (got.size() > value.size() / 4 * 3 + 3) __builtin_trap();
        check_round_trip(value, got, s == strategy::base64url);
        break;
    case strategy::auto_: {
        auto std_form = tr::decode(strategy::base64, esx::secret_bytes(value));
        auto url_form = tr::decode(strategy::base64url, esx::secret_bytes(value));
        std::string_view const want = std_form ? std_form->reveal() : url_form ? url_form->reveal() : value;
        if (got != want) __builtin_trap();
        break;
    }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view input(reinterpret_cast<char const*>(data), size);
    auto const s = static_cast<strategy>(static_cast<unsigned char>(input[0]) & 3);
    input.remove_prefix(1);
    auto const nl = input.find('\n');
    std::string_view const path = input.substr(0, nl);
    std::string_view const json = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    std::string_view const key = "fuzz-key";

    // remoteRef.property, then the strategy on what it found (the pipeline's order).
    auto found = tr::get_property(json, path, key);
    if (!found) {
        check_not_echoed(found.error(), json, path);
    } else {
        // gjson re-renders floats (`1e300` is 301 digits) and builds arrays for `#.`; nothing
        // else can grow the value.
        if (found->size() > 400 * (json.size() + 1)) __builtin_trap();
        if (path.empty() && found->reveal() != json) __builtin_trap();
        check_decode(s, found->reveal());
    }
    check_decode(s, json);

    // dataFrom[].extract, then decode_map over its members.
    auto map = tr::extract_json_object(esx::secret_bytes(json));
    if (!map) {
        check_not_echoed(map.error(), json, {});
        return 0;
    }
    for (auto const& [k, v] : *map) {
        (void)k;
        // Invalid UTF-8 becomes U+FFFD (3 bytes for 1); \u escapes shrink.
        if (v.size() > 3 * json.size()) __builtin_trap();
    }
    auto decoded = tr::decode_map(s, std::move(*map));
    if (!decoded) {
        if (s == strategy::none || s == strategy::auto_) __builtin_trap();
        if (decoded.error().message.find("failure decoding key ") == std::string::npos) __builtin_trap();
    }
    return 0;
}
