// Unit tests of esx::transform (ESO's data transforms) and esx::regex. Expected bytes come from
// ESO v2.9's own tests (keyvault_test.go, esutils/utils_test.go, decoding_test.go) where they
// exist, and otherwise from Go's documented formatting rules worked through by hand in the
// comments; hashes were computed with `printf '%s' TEXT | openssl dgst -sha3-224`.
#include <esx/object/key.hpp>
#include <esx/regex.hpp>
#include <esx/spec/regex.hpp>
#include <esx/transform.hpp>
#include <esx/transform/detail/gjson.hpp>
#include <esx/transform/detail/go_json.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace tx = esx::transform;
using esx::secret_bytes;
using esx::spec::conversion_strategy;
using esx::spec::decoding_strategy;

std::string transform_text(secret_bytes const& s) { return std::string(s.reveal()); }

std::string prop(std::string_view json, std::string_view path) {
    auto r = tx::get_property(json, path, "test-secret");
    BOOST_REQUIRE_MESSAGE(r, path << ": " << (r ? "" : r.error().what()));
    return transform_text(*r);
}

std::string prop_error(std::string_view json, std::string_view path) {
    auto r = tx::get_property(json, path, "test-secret");
    BOOST_REQUIRE_MESSAGE(!r, path << " should fail");
    return r.error().what();
}

tx::secret_map map_of(std::initializer_list<std::pair<char const*, char const*>> kv) {
    tx::secret_map m;
    for (auto const& [k, v] : kv) m.emplace(k, secret_bytes(v));
    return m;
}

/// The map's keys and values as `k=v;` for compact comparisons.
std::string dump(tx::secret_map const& m) {
    std::string out;
    for (auto const& [k, v] : m) out += k + "=" + transform_text(v) + ";";
    return out;
}

boost::json::object json_object_of(std::string_view json) { return boost::json::parse(json).as_object(); }

// ESO's keyvault_test.go fixtures.
constexpr std::string_view json_test_string =
    R"({"Name": "External", "LastName": "Secret", "Address": { "Street": "Myroad st.", "CP": "J4K4T4" } })";
constexpr std::string_view jwk_pub_rsa =
    R"({"kid":"ex","kty":"RSA","key_ops":["sign","verify","wrapKey","unwrapKey","encrypt","decrypt"],"n":"p2VQo8qCfWAZmdWBVaYuYb-a-tWWm78K6Sr9poCvNcmv8rUPSLACxitQWR8gZaSH1DklVkqz-Ed8Cdlf8lkDg4Ex5tkB64jRdC1Uvn4CDpOH6cp-N2s8hTFLqy9_YaDmyQS7HiqthOi9oVjil1VMeWfaAbClGtFt6UnKD0Vb_DvLoWYQSqlhgBArFJi966b4E1pOq5Ad02K8pHBDThlIIx7unibLehhDU6q3DCwNH_OOLx6bgNtmvGYJDd1cywpkLQ3YzNCUPWnfMBJRP3iQP_WI21uP6cvo0DqBPBM4wvVzHbCT0vnIflwkbgEWkq1FprqAitZlop9KjLqzjp9vyQ","e":"AQAB"})";
constexpr std::string_view jwk_pub_ec =
    R"({"kid":"https://example.vault.azure.net/keys/ec-p-521/e3d0e9c179b54988860c69c6ae172c65","kty":"EC","key_ops":["sign","verify"],"crv":"P-521","x":"AedOAtb7H7Oz1C_cPKI_R4CN_eai5nteY6KFW07FOoaqgQfVCSkQDK22fCOiMT_28c8LZYJRsiIFz_IIbQUW7bXj","y":"AOnchHnmBphIWXvanmMAmcCDkaED6ycW8GsAl9fQ43BMVZTqcTkJYn6vGnhn7MObizmkNSmgZYTwG-vZkIg03HHs"})";

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(transform)

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(property)

BOOST_AUTO_TEST_CASE(eso_keyvault_cases) {
    BOOST_TEST(prop(json_test_string, "Name") == "External");
    // A sub-object is its raw text, whitespace as in the source.
    BOOST_TEST(prop(json_test_string, "Address") == R"({ "Street": "Myroad st.", "CP": "J4K4T4" })");
    BOOST_TEST(prop(json_test_string, "Address.Street") == "Myroad st.");
    BOOST_TEST(prop_error(json_test_string, "Age") == "property Age does not exist in key test-secret");
    // The whole value for an empty property.
    BOOST_TEST(prop("not json at all", "") == "not json at all");
}

BOOST_AUTO_TEST_CASE(dotted_key_fallback) {
    // fetchDottedSecretJSONTag: `foo.json` is first a path, then the member "foo.json".
    BOOST_TEST(prop(R"({"foo.json":"bar"})", "foo.json") == "bar");
    // A real path wins over the escaped retry.
    BOOST_TEST(prop(R"({"foo":{"json":"path"},"foo.json":"key"})", "foo.json") == "path");
    BOOST_TEST(prop(R"({"a.b":{"c":"x"}})", "a\\.b.c") == "x");
    BOOST_TEST(prop_error(R"({"foo":1})", "foo.json") == "property foo.json does not exist in key test-secret");
}

BOOST_AUTO_TEST_CASE(arrays_count_and_projection) {
    constexpr std::string_view j = R"({"a":[{"b":"x"},{"b":"y","c":[1, 2 ,3]}],"empty":[]})";
    BOOST_TEST(prop(j, "a.1.b") == "y");
    BOOST_TEST(prop(j, "a.1.c.2") == "3");
    BOOST_TEST(prop(j, "a.#") == "2");
    BOOST_TEST(prop(j, "empty.#") == "0");
    BOOST_TEST(prop(j, "a.#.b") == R"(["x","y"])");
    BOOST_TEST(prop(j, "a.1.c") == "[1, 2 ,3]");
    BOOST_TEST(prop(j, "a.#(b==\"y\").c.0") == "1");
    BOOST_TEST(prop(j, "a|1|b") == "y");
    BOOST_TEST(prop_error(j, "a.5") == "property a.5 does not exist in key test-secret");
    BOOST_TEST(prop(R"([{"n":"first"}])", "0.n") == "first");
}

BOOST_AUTO_TEST_CASE(numbers_literals_and_strings_render_as_gjson_string) {
    constexpr std::string_view j =
        R"({"one":1.0,"k":1e3,"half":2.50,"neg":-0.5,"big":123456789012345678901234567890,"negint":-42,)"
        R"("huge":1e400,"n":null,"t":true,"f":false,"esc":"a\"b\\c\n\u00e9\ud83d\ude00","html":"<&>"})";
    // Integers keep their text; anything else goes through float64 and FormatFloat('f', -1).
    BOOST_TEST(prop(j, "one") == "1");
    BOOST_TEST(prop(j, "k") == "1000");
    BOOST_TEST(prop(j, "half") == "2.5");
    BOOST_TEST(prop(j, "neg") == "-0.5");
    BOOST_TEST(prop(j, "big") == "123456789012345678901234567890");
    BOOST_TEST(prop(j, "negint") == "-42");
    BOOST_TEST(prop(j, "huge") == "+Inf");
    BOOST_TEST(prop(j, "n") == "");  // null exists and renders empty
    BOOST_TEST(prop(j, "t") == "true");
    BOOST_TEST(prop(j, "f") == "false");
    BOOST_TEST(prop(j, "esc") == "a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80");
    BOOST_TEST(prop(j, "html") == "<&>");
}

BOOST_AUTO_TEST_CASE(wildcards_and_escapes) {
    constexpr std::string_view j = R"({"user-name":"u","pass*":"p","other":"o"})";
    BOOST_TEST(prop(j, "user*") == "u");
    BOOST_TEST(prop(j, "us?r-name") == "u");
    BOOST_TEST(prop(j, "pass\\*") == "p");
    BOOST_TEST(tx::detail::wildcard_match("abcXdef", "abc*def"));
    BOOST_TEST(!tx::detail::wildcard_match("abcXde", "abc*def"));
}

BOOST_AUTO_TEST_CASE(modifiers_and_multipaths_are_refused_clearly) {
    for (auto path : {"@reverse", "a.@keys", "[a,b]", "{a,b}", "!true", "..0"}) {
        auto r = tx::get_property(R"({"a":[1],"b":2})", path, "k");
        BOOST_TEST_CONTEXT(path) {
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error() == tx::error::unsupported);
            BOOST_TEST(r.error().what().find("not supported by esx") != std::string::npos);
        }
    }
    // An unknown "modifier" is an ordinary key, as in gjson.
    BOOST_TEST(prop(R"({"@odd":"v"})", "@odd") == "v");
}

BOOST_AUTO_TEST_CASE(not_found_is_not_a_provider_not_found) {
    auto r = tx::get_property(R"({"a":1})", "b", "k");
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == tx::error::property_not_found);
    // ESO fails the sync on a missing property; only a provider 404 drives deletionPolicy.
    BOOST_TEST(!(r.error() == esx::condition::not_found));
    BOOST_TEST((r.error() == esx::condition::invalid_input));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(decoding)

std::string decode_ok(decoding_strategy s, std::string_view in) {
    auto r = tx::decode(s, secret_bytes(in));
    BOOST_REQUIRE_MESSAGE(r, in << ": " << (r ? "" : r.error().what()));
    return transform_text(*r);
}

std::string decode_error(decoding_strategy s, std::string_view in) {
    auto r = tx::decode(s, secret_bytes(in));
    BOOST_REQUIRE_MESSAGE(!r, in << " should fail");
    BOOST_TEST(r.error() == tx::error::decoding_failed);
    return r.error().what();
}

BOOST_AUTO_TEST_CASE(eso_decoding_test_vectors) {
    BOOST_TEST(decode_ok(decoding_strategy::base64, "YmFy") == "bar");
    BOOST_TEST(decode_ok(decoding_strategy::base64url, "Zm9vJV8_YmFy") == "foo%_?bar");
    BOOST_TEST(decode_ok(decoding_strategy::none, "Zm9vJV8_YmFy") == "Zm9vJV8_YmFy");
    BOOST_TEST(decode_ok(decoding_strategy::auto_, "Zm9vJV8/YmFy") == "foo%_?bar");
    BOOST_TEST(decode_ok(decoding_strategy::auto_, "Zm9vJV8_YmFy") == "foo%_?bar");
    BOOST_TEST(decode_ok(decoding_strategy::auto_, "foo") == "foo");
    BOOST_TEST(decode_ok(decoding_strategy::base64, "") == "");
}

BOOST_AUTO_TEST_CASE(go_error_offsets) {
    // decodeQuantum: a short final quantum of a padded encoding fails at si - j.
    BOOST_TEST(decode_error(decoding_strategy::base64, "foo") ==
               "error applying decoding strategy Base64 to data: illegal base64 data at input byte 0");
    BOOST_TEST(decode_error(decoding_strategy::base64url, "foo") ==
               "error applying decoding strategy Base64URL to data: illegal base64 data at input byte 0");
    // A character outside the alphabet: its own offset (`_` is URL-only).
    BOOST_TEST(decode_error(decoding_strategy::base64, "Zm9vJV8_YmFy") ==
               "error applying decoding strategy Base64 to data: illegal base64 data at input byte 7");
    // "YQ=": one '=' where two are needed, reported at len(src).
    BOOST_TEST(decode_error(decoding_strategy::base64, "YQ=") ==
               "error applying decoding strategy Base64 to data: illegal base64 data at input byte 3");
    // Trailing garbage after the padding.
    BOOST_TEST(decode_error(decoding_strategy::base64, "YQ==x") ==
               "error applying decoding strategy Base64 to data: illegal base64 data at input byte 4");
    // Padding too early.
    BOOST_TEST(decode_error(decoding_strategy::base64, "Y===") ==
               "error applying decoding strategy Base64 to data: illegal base64 data at input byte 1");
}

BOOST_AUTO_TEST_CASE(go_leniencies) {
    // StdEncoding is not Strict(): set trailing bits are accepted ("YR==" is "a" too).
    BOOST_TEST(decode_ok(decoding_strategy::base64, "YR==") == "a");
    // \r and \n are skipped anywhere.
    BOOST_TEST(decode_ok(decoding_strategy::base64, "Zm9v\r\nYmFy\n") == "foobar");
    BOOST_TEST(decode_ok(decoding_strategy::base64, "AP8K") == std::string("\x00\xff\n", 3));
}

BOOST_AUTO_TEST_CASE(decode_map_names_the_key) {
    auto ok = tx::decode_map(decoding_strategy::base64, map_of({{"a", "YmFy"}, {"b", "Zm9v"}}));
    BOOST_REQUIRE(ok);
    BOOST_TEST(dump(*ok) == "a=bar;b=foo;");
    auto bad = tx::decode_map(decoding_strategy::base64, map_of({{"a", "YmFy"}, {"b", "Zm9"}}));
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().what() ==
               "error applying decoding strategy Base64 to data: failure decoding key b: illegal base64 data at input byte 0");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(eso_conversion_vectors) {
    BOOST_TEST(tx::convert_key(conversion_strategy::default_, "foo$bar%baz*bing") == "foo_bar_baz_bing");
    BOOST_TEST(tx::convert_key(conversion_strategy::default_, "/foo/bar/baz/bing") == "_foo_bar_baz_bing");
    BOOST_TEST(tx::convert_key(conversion_strategy::unicode, "😀foo😁bar😂baz😈bing") ==
               "_U1f600_foo_U1f601_bar_U1f602_baz_U1f608_bing");
    BOOST_TEST(tx::convert_key(conversion_strategy::unicode, "some-array[0].entity") ==
               "some-array_U005b_0_U005d_.entity");
}

BOOST_AUTO_TEST_CASE(unicode_letters_stay_as_in_go) {
    // unicode.IsLetter / IsNumber: é, 日本, Arabic-Indic ٣ stay; an invalid byte is U+FFFD.
    BOOST_TEST(tx::convert_key(conversion_strategy::default_, "café/日本٣") == "café_日本٣");
    BOOST_TEST(tx::convert_key(conversion_strategy::default_, "a\xff" "b") == "a_b");
    BOOST_TEST(tx::convert_key(conversion_strategy::unicode, "a\xff" "b") == "a_Ufffd_b");
    BOOST_TEST(tx::convert_key(conversion_strategy::unicode, "a b") == "a_U0020_b");
}

BOOST_AUTO_TEST_CASE(collisions_are_refused_as_eso_does) {
    auto r = tx::convert_keys_checked(conversion_strategy::default_,
                                      map_of({{"foo$bar%baz*bing", "1"}, {"foo_bar_baz$bing", "2"}}));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "error applying conversion strategy Default to keys: secret name collision "
                                   "during conversion: foo_bar_baz_bing");
    auto ok = tx::convert_keys_checked(conversion_strategy::default_, map_of({{"a/b", "1"}, {"c", "2"}}));
    BOOST_REQUIRE(ok);
    BOOST_TEST(dump(*ok) == "a_b=1;c=2;");
    BOOST_TEST(dump(tx::convert_keys(conversion_strategy::default_, map_of({{"a/b", "1"}, {"a_b", "2"}}))) == "a_b=1;");
}

BOOST_AUTO_TEST_CASE(validation_messages) {
    BOOST_TEST(tx::validate_keys(map_of({{"good-key_1.x", "v"}, {"", "dropped"}})).has_value());
    auto slash = tx::validate_keys(map_of({{"ok", "v"}, {"a/b", "v"}}));
    BOOST_REQUIRE(!slash);
    BOOST_TEST(slash.error() == tx::error::invalid_keys);
    BOOST_TEST(slash.error().what() == "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): "
                                       "key has invalid character /, only alphanumeric, '-', '.' and '_' are allowed: a/b");
    // Stricter than ESO: Kubernetes refuses Unicode letters, so esx says so before writing.
    auto accent = tx::validate_keys(map_of({{"café", "v"}}));
    BOOST_REQUIRE(!accent);
    BOOST_TEST(accent.error().what().find("key has invalid character é,") != std::string::npos);
    std::string const long_key(254, 'k');
    tx::secret_map m;
    m.emplace(long_key, secret_bytes("v"));
    auto too_long = tx::validate_keys(m);
    BOOST_REQUIRE(!too_long);
    BOOST_TEST(too_long.error().what() == "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): "
                                          "key has length 254 but max is 253: (following is truncated): " +
                                              std::string(253, 'k'));
    tx::secret_map with_empty = map_of({{"", "x"}, {"a", "y"}});
    tx::drop_empty_keys(with_empty);
    BOOST_TEST(dump(with_empty) == "a=y;");
}

BOOST_AUTO_TEST_CASE(null_bytes) {
    tx::secret_map m;
    m.emplace("tls.key", secret_bytes(std::string_view("zq\0xw", 5)));
    m.emplace("plain", secret_bytes("x"));
    BOOST_TEST(tx::check_null_bytes(esx::spec::null_byte_policy::ignore, m).has_value());
    auto r = tx::check_null_bytes(esx::spec::null_byte_policy::fail, m);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == tx::error::null_byte);
    BOOST_TEST(r.error().what() == "fetched secret value for key \"tls.key\" contains null bytes; use a text-safe "
                                   "format such as PEM/base64 or leave nullBytePolicy unset for intentional binary data");
    BOOST_TEST(r.error().what().find("zq") == std::string::npos);  // never the value
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(extract)

BOOST_AUTO_TEST_CASE(eso_get_secret_map_cases) {
    auto single = tx::extract_json_object(secret_bytes(R"({"Name": "External", "LastName": "Secret" })"));
    BOOST_REQUIRE(single);
    BOOST_TEST(dump(*single) == "LastName=Secret;Name=External;");
    // badSecretString: ESO's text, except that the offending character, a character of the
    // secret, is redacted (Go's parser says 'c'; the unredacted reader below proves the rest).
    auto bad = tx::extract_json_object(secret_bytes("changedvalue"));
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error() == tx::error::not_a_json_object);
    BOOST_TEST(bad.error().what() ==
               "error unmarshalling json data: invalid character <redacted> looking for beginning of value");
    tx::detail::json_node node;
    std::string why;
    BOOST_TEST(!tx::detail::parse_json("changedvalue", node, why, false));
    BOOST_TEST(why == "invalid character 'c' looking for beginning of value");
}

BOOST_AUTO_TEST_CASE(non_strings_keep_their_source_text) {
    auto r = tx::extract_json_object(secret_bytes(
        R"({"obj": {"b" : [1, 2]}, "num": 1.0, "exp": 1e3, "big": 123456789012345678901234567890,)"
        R"( "t": true, "n": null, "s": "x\u003cy\n", "arr": [ "a" ], "dup": 1, "dup": "last"})"));
    BOOST_REQUIRE(r);
    BOOST_TEST(dump(*r) == "arr=[ \"a\" ];big=123456789012345678901234567890;dup=last;exp=1e3;n=;num=1.0;"
                           "obj={\"b\" : [1, 2]};s=x<y\n;t=true;");
}

BOOST_AUTO_TEST_CASE(go_decoding_of_strings) {
    // Invalid UTF-8 and lone surrogates become U+FFFD, as Go's json.Unmarshal does.
    auto r = tx::extract_json_object(secret_bytes("{\"a\":\"x\xffy\",\"b\":\"\\ud800z\",\"c\":\"\\ud83d\\ude00\"}"));
    BOOST_REQUIRE(r);
    BOOST_TEST(transform_text(r->at("a")) == "x\xEF\xBF\xBDy");
    BOOST_TEST(transform_text(r->at("b")) == "\xEF\xBF\xBDz");
    BOOST_TEST(transform_text(r->at("c")) == "\xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(go_error_texts) {
    struct {
        char const* in;
        char const* why;
    } const cases[] = {
        {"[1,2]", "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
        {"\"s\"", "json: cannot unmarshal string into Go value of type map[string]json.RawMessage"},
        {"12", "json: cannot unmarshal number into Go value of type map[string]json.RawMessage"},
        {"true", "json: cannot unmarshal bool into Go value of type map[string]json.RawMessage"},
        {"", "unexpected end of JSON input"},
        {"{\"a\":1", "unexpected end of JSON input"},
        {"{\"a\":1,}", "invalid character '}' looking for beginning of object key string"},
        {"{\"a\" 1}", "invalid character <redacted> after object key"},
        {"{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair"},
        {"[1 2]", "invalid character <redacted> after array element"},
        {"tru", "invalid character ' ' in literal true (expecting 'e')"},
        {"{\"a\":-}", "invalid character '}' in numeric literal"},
        {"{\"a\":1.}", "invalid character '}' after decimal point in numeric literal"},
        {"{\"a\":\"\\x\"}", "invalid character <redacted> in string escape code"},
        {"{\"a\":\"\t\"}", "invalid character '\\t' in string literal"},
        {"{} x", "invalid character <redacted> after top-level value"},
        {"{'a':1}", "invalid character <redacted> looking for beginning of object key string"},
        {"{\"a\":\"\\u12", "invalid character ' ' in \\u hexadecimal character escape"},
        {"\"\\", "invalid character ' ' in string escape code"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.in) {
            auto r = tx::extract_json_object(secret_bytes(c.in));
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().what() == std::string("error unmarshalling json data: ") + c.why);
        }
    }
    // A top-level null is an empty map for Go.
    auto null = tx::extract_json_object(secret_bytes("null"));
    BOOST_REQUIRE(null);
    BOOST_TEST(null->empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(rewrite)

esx::spec::rewrite regexp(char const* source, char const* target) {
    esx::spec::rewrite r;
    r.regexp = esx::spec::rewrite_regexp{source, target};
    return r;
}

std::string rewritten(std::vector<esx::spec::rewrite> const& ops, tx::secret_map in) {
    auto r = tx::apply_rewrites(ops, std::move(in));
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    return dump(*r);
}

BOOST_AUTO_TEST_CASE(eso_regexp_vectors) {
    BOOST_TEST(rewritten({regexp("-", "_")}, map_of({{"foo-bar", "bar"}})) == "foo_bar=bar;");
    BOOST_TEST(rewritten({regexp("^my/initial/path/", "")}, map_of({{"my/initial/path/foo", "bar"}})) == "foo=bar;");
    BOOST_TEST(rewritten({regexp("f(.*)o", "a_new_path_$1")}, map_of({{"foo", "bar"}, {"foodaloo", "barr"}})) ==
               "a_new_path_o=bar;a_new_path_oodalo=barr;");
    BOOST_TEST(rewritten({regexp("f(?P<content>.*)o", "a_new_path_${content}_${1}")},
                         map_of({{"foo", "bar"}, {"floo", "barr"}})) == "a_new_path_lo_lo=barr;a_new_path_o_o=bar;");
    // Applied in order: each rewrite sees the previous one's keys.
    BOOST_TEST(rewritten({regexp("my/(.*?)/bar/(.*)", "$1-$2"), regexp("-", "_"), regexp("ass", "***")},
                         map_of({{"my/app/bar/key", "bar"}, {"my/app/bar/password", "barr"}})) ==
               "app_key=bar;app_p***word=barr;");
}

BOOST_AUTO_TEST_CASE(go_replacement_rules) {
    BOOST_TEST(rewritten({regexp("(a)", "$$1")}, map_of({{"a", "v"}})) == "$1=v;");
    BOOST_TEST(rewritten({regexp("(a)", "$1x")}, map_of({{"a", "v"}})) == "=v;");  // group "1x" does not exist
    BOOST_TEST(rewritten({regexp("(a)", "${1}x")}, map_of({{"a", "v"}})) == "ax=v;");
    BOOST_TEST(rewritten({regexp("(a)", "$")}, map_of({{"a", "v"}})) == "$=v;");
    BOOST_TEST(rewritten({regexp("(?<n>a)", "<${n}>")}, map_of({{"a", "v"}})) == "<a>=v;");  // Go 1.22 syntax
    // Empty matches: Go's "XbXcX", not "XbXXcX".
    BOOST_TEST(rewritten({regexp("a*", "X")}, map_of({{"baaac", "v"}})) == "XbXcX=v;");
    BOOST_TEST(rewritten({regexp("", "-")}, map_of({{"abc", "v"}})) == "-a-b-c-=v;");
    // Two keys rewritten to one name: the key that sorts last wins (stable, unlike Go's map order).
    BOOST_TEST(rewritten({regexp("[0-9]", "")}, map_of({{"a1", "one"}, {"a2", "two"}})) == "a=two;");
}

BOOST_AUTO_TEST_CASE(regexp_errors_name_the_field) {
    auto r = tx::apply_rewrites({regexp("-", "_"), regexp("(a", "b")}, map_of({{"a", "v"}}));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == tx::error::invalid_regexp);
    BOOST_TEST(r.error().what() ==
               "rewrite[1].regexp.source: regexp failed with failed to compile: error parsing regexp: missing closing ): `(a`");
    esx::spec::rewrite t;
    t.transform = esx::spec::rewrite_transform{"{{ .value | upper }}"};
    auto tr = tx::apply_rewrites({t}, map_of({{"a", "v"}}));
    BOOST_REQUIRE(!tr);
    BOOST_TEST(tr.error() == tx::error::unsupported);
    BOOST_TEST(tr.error().what() == "rewrite[0].transform: templates are not supported yet");
}

esx::spec::rewrite merge(esx::spec::rewrite_merge m) {
    esx::spec::rewrite r;
    r.merge = std::move(m);
    return r;
}

BOOST_AUTO_TEST_CASE(eso_merge_vectors) {
    using esx::spec::merge_conflict_policy;
    using esx::spec::merge_strategy;
    auto const creds = map_of({{"mongo-credentials", R"({"username": "foz", "password": "baz"})"},
                               {"redis-credentials", R"({"host": "redis.example.com", "port": "6379"})"}});
    BOOST_TEST(rewritten({merge({})}, creds) == "host=redis.example.com;password=baz;port=6379;username=foz;");

    esx::spec::rewrite_merge priority;
    priority.conflict_policy = merge_conflict_policy::ignore;
    priority.priority = {"mongo-credentials", "redis-credentials"};
    auto with_other = creds;
    with_other.emplace("other-credentials", secret_bytes(R"({"key": "value", "host": "other.example.com"})"));
    BOOST_TEST(rewritten({merge(priority)}, with_other) ==
               "host=redis.example.com;key=value;password=baz;port=6379;username=foz;");

    esx::spec::rewrite_merge strict = priority;
    strict.priority = {"non-existent-key", "mongo-credentials"};
    auto missing = tx::apply_rewrites({merge(strict)}, creds);
    BOOST_REQUIRE(!missing);
    BOOST_TEST(missing.error().what() == "rewrite[0].merge: merge failed with key \"non-existent-key\" not found in input map");
    strict.priority_policy = esx::spec::merge_priority_policy::ignore_not_found;
    BOOST_TEST(rewritten({merge(strict)}, creds) == "host=redis.example.com;password=baz;port=6379;username=foz;");

    auto conflict = tx::apply_rewrites({merge({})}, map_of({{"m", R"({"username": "foz", "password": "baz"})"},
                                                             {"r", R"({"username": "redis", "port": "6379"})"}}));
    BOOST_REQUIRE(!conflict);
    BOOST_TEST(conflict.error() == tx::error::merge_conflict);
    BOOST_TEST(conflict.error().what() == "rewrite[0].merge: merge failed with conflicts: username");

    esx::spec::rewrite_merge json;
    json.strategy = merge_strategy::json;
    json.into = "credentials";
    BOOST_TEST(rewritten({merge(json)}, creds) ==
               R"(credentials={"host":"redis.example.com","password":"baz","port":"6379","username":"foz"};)"
               R"(mongo-credentials={"username": "foz", "password": "baz"};)"
               R"(redis-credentials={"host": "redis.example.com", "port": "6379"};)");
    json.into.clear();
    auto no_into = tx::apply_rewrites({merge(json)}, creds);
    BOOST_REQUIRE(!no_into);
    BOOST_TEST(no_into.error().what() == "rewrite[0].merge: merge failed with missing 'into' field");

    auto invalid = tx::apply_rewrites({merge({})}, map_of({{"invalid-json", R"({"username": "foz", "password": "baz")"}}));
    BOOST_REQUIRE(!invalid);
    BOOST_TEST(invalid.error().what() == "rewrite[0].merge: merge failed with failed to unmarshal JSON: unexpected end of JSON input");
}

BOOST_AUTO_TEST_CASE(eso_double_merge_and_regexp_then_merge) {
    using esx::spec::merge_conflict_policy;
    using esx::spec::merge_strategy;
    esx::spec::rewrite_merge first;
    first.strategy = merge_strategy::json;
    first.conflict_policy = merge_conflict_policy::ignore;
    first.into = "merged";
    first.priority = {"a"};
    esx::spec::rewrite_merge second;
    second.strategy = merge_strategy::extract;
    second.conflict_policy = merge_conflict_policy::ignore;
    second.priority = {"b"};
    // The number 123 goes through float64: "123".
    BOOST_TEST(rewritten({merge(first), merge(second)},
                         map_of({{"a", R"({"host": "dba", "pass": "yola", "port": 123})"},
                                 {"b", R"({"host": "dbb", "pass": "yolb"})"}})) == "host=dbb;pass=yolb;port=123;");
    BOOST_TEST(rewritten({regexp("db/(.*)", "$1"), merge(first)},
                         map_of({{"db/a", R"({"host": "dba.example.com"})"},
                                 {"db/b", R"({"host": "dbb.example.com", "pass": "yolo"})"}})) ==
               R"(a={"host": "dba.example.com"};b={"host": "dbb.example.com", "pass": "yolo"};)"
               R"(merged={"host":"dba.example.com","pass":"yolo"};)");
}

BOOST_AUTO_TEST_CASE(merge_values_as_go_writes_them) {
    // Extract: objects re-marshalled with sorted keys and HTML escaping; floats via FormatFloat;
    // JSON strategy: no HTML escaping.
    auto const in = map_of({{"x", R"({"o": {"z": 1, "a": "<b>"}, "f": 1.50, "e": 1e21, "t": false, "n": null})"}});
    BOOST_TEST(rewritten({merge({})}, in) == R"(e=1000000000000000000000;f=1.5;n=;o={"a":"\u003cb\u003e","z":1};t=false;)");
    esx::spec::rewrite_merge json;
    json.strategy = esx::spec::merge_strategy::json;
    json.into = "all";
    auto r = tx::apply_rewrites({merge(json)}, in);
    BOOST_REQUIRE(r);
    BOOST_TEST(transform_text(r->at("all")) == R"({"e":1e+21,"f":1.5,"n":null,"o":{"a":"<b>","z":1},"t":false})");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(find)

esx::keyvault::item item(std::string name, std::map<std::string, std::string> tags = {},
                         std::optional<bool> enabled = true) {
    esx::keyvault::item i;
    i.id = "https://vault.esx.test/secrets/" + name;
    i.name = std::move(name);
    i.tags = std::move(tags);
    i.attributes.enabled = enabled;
    return i;
}

BOOST_AUTO_TEST_CASE(name_regexp_is_an_unanchored_re2_search) {
    esx::spec::find_ref ref;
    ref.name_regexp = "e2e-find-name-.+";
    auto f = esx::transform::find_filter::make(ref);
    BOOST_REQUIRE(f);
    BOOST_TEST(f->matches(item("e2e-find-name-one")));
    BOOST_TEST(f->matches(item("prefix-e2e-find-name-two")));
    BOOST_TEST(!f->matches(item("e2e-find-name-")));
    BOOST_TEST(!f->matches(item("other")));
}

BOOST_AUTO_TEST_CASE(all_tags_must_match_exactly) {
    esx::spec::find_ref ref;
    ref.tags = {{"env", "prod"}, {"team", "a"}};
    auto f = esx::transform::find_filter::make(ref);
    BOOST_REQUIRE(f);
    BOOST_TEST(f->matches(item("s", {{"env", "prod"}, {"team", "a"}, {"extra", "x"}})));
    BOOST_TEST(!f->matches(item("s", {{"env", "prod"}})));
    BOOST_TEST(!f->matches(item("s", {{"env", "Prod"}, {"team", "a"}})));
}

BOOST_AUTO_TEST_CASE(disabled_and_idless_items_are_skipped) {
    auto f = esx::transform::find_filter::make({});
    BOOST_REQUIRE(f);
    BOOST_TEST(f->matches(item("on")));
    BOOST_TEST(f->matches(item("unknown", {}, std::nullopt)));
    BOOST_TEST(!f->matches(item("off", {}, false)));
    auto no_id = item("x");
    no_id.id.clear();
    BOOST_TEST(!f->matches(no_id));
}

BOOST_AUTO_TEST_CASE(bad_regexp_names_the_field) {
    esx::spec::find_ref ref;
    ref.name_regexp = "a(?=b)";
    auto f = esx::transform::find_filter::make(ref);
    BOOST_REQUIRE(!f);
    BOOST_TEST(f.error() == tx::error::invalid_regexp);
    BOOST_TEST(f.error().what() == "find.name.regexp: error parsing regexp: invalid or unsupported Perl syntax: `(?=`");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(metadata)

// tagname/tagname2 as ESO's getTagMap; expires 2030-01-01T00:00:00Z, created 2024-06-15T12:00:00Z.
constexpr std::string_view bundle_json =
    R"({"value":"changedvalue","tags":{"tagname":"tagvalue","tagname2":"tagvalue2"},)"
    R"("attributes":{"enabled":true,"exp":1893456000,"created":1718452800}})";

std::string fetch(std::string_view bundle, bool sdk, std::string_view property) {
    auto r = tx::fetch_metadata(json_object_of(bundle), sdk, property);
    BOOST_REQUIRE_MESSAGE(r, property << ": " << (r ? "" : r.error().what()));
    return transform_text(*r);
}

BOOST_AUTO_TEST_CASE(eso_get_secret_fetch_cases) {
    BOOST_TEST(fetch(bundle_json, false, "attribute.expires") == "2030-01-01T00:00:00Z");
    BOOST_TEST(fetch(bundle_json, false, "attribute.created") == "2024-06-15T12:00:00Z");
    BOOST_TEST(fetch(bundle_json, false, "tagname") == "tagvalue");
    BOOST_TEST(fetch(bundle_json, true, "tagname") == "tagvalue");
    BOOST_TEST(fetch(R"({"tags":{"tagname":"tagvalue","tagname2":"tagvalue2"}})", true, "") ==
               R"({"tagname":"tagvalue","tagname2":"tagvalue2"})");
    BOOST_TEST(fetch(R"({"value":"v"})", false, "") == "{}");
    auto missing = tx::fetch_metadata(json_object_of(bundle_json), false, "something");
    BOOST_REQUIRE(!missing);
    BOOST_TEST(missing.error().what() == "tag something does not exist");
}

BOOST_AUTO_TEST_CASE(legacy_and_new_sdk_differ_on_attributes) {
    BOOST_TEST(fetch(bundle_json, false, "") ==
               R"({"attribute.created":"2024-06-15T12:00:00Z","attribute.expires":"2030-01-01T00:00:00Z",)"
               R"("tagname":"tagvalue","tagname2":"tagvalue2"})");
    BOOST_TEST(fetch(bundle_json, true, "") == R"({"tagname":"tagvalue","tagname2":"tagvalue2"})");
    auto r = tx::fetch_metadata(json_object_of(bundle_json), true, "attribute.expires");
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "tag attribute.expires does not exist");
}

BOOST_AUTO_TEST_CASE(json_tags_and_sub_paths) {
    constexpr std::string_view b =
        R"({"tags":{"foo":"{\"key\":\"value\", \"nested\": {\"foo\":\"bar\"}}","dot":"{\"foo.json\":\"bar\"}","html":"<a&b>"}})";
    BOOST_TEST(fetch(b, false, "foo") == R"({"key":"value", "nested": {"foo":"bar"}})");
    BOOST_TEST(fetch(b, false, "foo.key") == "value");
    BOOST_TEST(fetch(b, false, "foo.nested") == R"({"foo":"bar"})");
    BOOST_TEST(fetch(b, false, "foo.nested.foo") == "bar");
    BOOST_TEST(fetch(b, false, "dot.foo.json") == "bar");
    auto sub = tx::fetch_metadata(json_object_of(b), false, "foo.nope");
    BOOST_REQUIRE(!sub);
    BOOST_TEST(sub.error().what() == "property nope does not exist in key foo.nope");
    // The all-tags JSON is Go's json.Marshal: HTML characters escaped.
    BOOST_TEST(fetch(R"({"tags":{"html":"<a&b>"}})", true, "") == R"({"html":"\u003ca\u0026b\u003e"})");
}

BOOST_AUTO_TEST_CASE(extract_with_fetch_flattens_per_eso) {
    auto legacy = tx::fetch_metadata_map(json_object_of(bundle_json), false, "test-secret", "");
    BOOST_REQUIRE(legacy);
    BOOST_TEST(dump(*legacy) == "test-secret_attribute.created=2024-06-15T12:00:00Z;"
                                "test-secret_attribute.expires=2030-01-01T00:00:00Z;"
                                "test-secret_tagname=tagvalue;test-secret_tagname2=tagvalue2;");
    auto sdk = tx::fetch_metadata_map(json_object_of(bundle_json), true, "secret/test-secret", "");
    BOOST_REQUIRE(sdk);
    BOOST_TEST(dump(*sdk) == "test-secret_tagname=tagvalue;test-secret_tagname2=tagvalue2;");
    // setSecretWithJSONTag: a tag holding a JSON object of strings becomes one key per member.
    auto json = tx::fetch_metadata_map(json_object_of(R"({"tags":{"json":"{\"keyname\":\"keyvalue\",\"x\":\"y\"}","num":"{\"a\":1}"}})"),
                                       true, "test-secret", "");
    BOOST_REQUIRE(json);
    BOOST_TEST(dump(*json) == "test-secret_json_keyname=keyvalue;test-secret_json_x=y;test-secret_num={\"a\":1};");
    // With a property: the single key `<key>_<property>`.
    auto one = tx::fetch_metadata_map(json_object_of(bundle_json), false, "test-secret", "tagname");
    BOOST_REQUIRE(one);
    BOOST_TEST(dump(*one) == "test-secret_tagname=tagvalue;");
    auto cert = tx::fetch_metadata_map(json_object_of(bundle_json), false, "cert/c", "");
    BOOST_REQUIRE(!cert);
    BOOST_TEST(cert.error().what() == "cannot get use dataFrom to get certificate secret");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(hash)

BOOST_AUTO_TEST_CASE(data_hash_is_eso_object_hash) {
    // ESO's TestObjectHash "map also works": %+v is `map[bar:[118 97 108 117 101 50] foo:[118 97 108 117 101 49]]`.
    BOOST_TEST(tx::data_hash(map_of({{"foo", "value1"}, {"bar", "value2"}})) ==
               "1bed8bcbcb4547ffe19a19cd47d9078e84aa6598266d86b99f992d64");
    // `map[a:[104 105] b:[] c:[0 255 10]]`, hashed with openssl dgst -sha3-224.
    tx::secret_map m = map_of({{"a", "hi"}, {"b", ""}});
    m.emplace("c", secret_bytes(std::string_view("\0\xff\n", 3)));
    BOOST_TEST(tx::data_hash(m) == "19185a570713bc55105743b214a28e586af1ee60c7cffe46a1a489d5");
    BOOST_TEST(tx::data_hash({}) == "74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b");  // `map[]`
}

BOOST_AUTO_TEST_CASE(created_by_and_metadata_hash) {
    BOOST_TEST(tx::created_by_label("default", "my-es") == "b8464376b5fe3535e690594280bfe59b60be2603cb6cbb6d6c8bcbb4");
    BOOST_TEST(tx::metadata_hash({}, {}) == "f47fe3c0b255b6dd8047cdffa772587bb829efe7a1cb70febeda2eb2");
    BOOST_TEST(tx::metadata_hash({{"app", "web"}}, {{"b", "two words"}, {"a", "1"}}) ==
               "c4d43481f2e5afd60a5240b74d9f1e502e065d08163d8c61a4fcdfaa");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(jwk)

std::string jwk_text(std::string_view key, bool sdk) {
    auto b = json_object_of(std::string("{\"key\":") + std::string(key) + ",\"attributes\":{\"enabled\":true}}");
    auto r = tx::jwk_json(b, sdk);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    return transform_text(*r);
}

BOOST_AUTO_TEST_CASE(legacy_order_is_eso_default) {
    BOOST_TEST(jwk_text(jwk_pub_rsa, false) == jwk_pub_rsa);
    BOOST_TEST(jwk_text(jwk_pub_ec, false) == jwk_pub_ec);
    // The same bytes object::key writes.
    auto b = json_object_of(std::string("{\"key\":") + std::string(jwk_pub_rsa) + "}");
    auto decoded = esx::object::key::decode(b);
    BOOST_REQUIRE(decoded);
    BOOST_TEST(transform_text(*decoded) == jwk_pub_rsa);
}

BOOST_AUTO_TEST_CASE(new_sdk_order_is_alphabetical) {
    BOOST_TEST(jwk_text(R"({"kid":"ex","kty":"RSA","key_ops":["sign","verify"],"n":"p2VQ","e":"AQAB"})", true) ==
               R"({"e":"AQAB","key_ops":["sign","verify"],"kid":"ex","kty":"RSA","n":"p2VQ"})");
    BOOST_TEST(jwk_text(jwk_pub_ec, true) ==
               R"({"crv":"P-521","key_ops":["sign","verify"],"kid":"https://example.vault.azure.net/keys/ec-p-521/e3d0e9c179b54988860c69c6ae172c65","kty":"EC",)"
               R"("x":"AedOAtb7H7Oz1C_cPKI_R4CN_eai5nteY6KFW07FOoaqgQfVCSkQDK22fCOiMT_28c8LZYJRsiIFz_IIbQUW7bXj",)"
               R"("y":"AOnchHnmBphIWXvanmMAmcCDkaED6ycW8GsAl9fQ43BMVZTqcTkJYn6vGnhn7MObizmkNSmgZYTwG-vZkIg03HHs"})");
    // Byte members are decoded and re-encoded as unpadded base64url: set trailing bits are
    // cleared ("AQAC" stays, "AQB" becomes "AQA"); empty ones are left out.
    BOOST_TEST(jwk_text(R"({"kty":"RSA","n":"AQB","e":"","crv":""})", true) == R"({"crv":"","kty":"RSA","n":"AQA"})");
    // Go's escaping of a kid with HTML characters, in both modes.
    BOOST_TEST(jwk_text(R"({"kid":"a<b>&c","kty":"oct"})", true) == R"({"kid":"a\u003cb\u003e\u0026c","kty":"oct"})");
    BOOST_TEST(jwk_text(R"({"kid":"a<b>&c","kty":"oct"})", false) == R"({"kid":"a\u003cb\u003e\u0026c","kty":"oct"})");
}

BOOST_AUTO_TEST_CASE(malformed_keys) {
    auto r = tx::jwk_json(json_object_of(R"({"key":"nope"})"), true);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == tx::error::malformed_bundle);
    auto padded = tx::jwk_json(json_object_of(R"({"key":{"n":"AQ=="}})"), true);
    BOOST_REQUIRE(!padded);
    BOOST_TEST(padded.error().what() == "key bundle: member \"n\" is not base64url: illegal base64 data at input byte 2");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END() // transform

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(regex_engine)

BOOST_AUTO_TEST_CASE(go_error_texts) {
    struct {
        char const* pattern;
        char const* message;
    } const cases[] = {
        {"(a", "error parsing regexp: missing closing ): `(a`"},
        {"a)", "error parsing regexp: unexpected ): `a)`"},
        {"[a", "error parsing regexp: missing closing ]: `[a`"},
        {"a\\", "error parsing regexp: trailing backslash at end of expression: ``"},
        {"*a", "error parsing regexp: missing argument to repetition operator: `*`"},
        {"a**", "error parsing regexp: invalid nested repetition operator: `**`"},
        {"a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"},
        {"(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
        {"(?<!a)", "error parsing regexp: invalid named capture: `(?<!a)`"},  // Go 1.22+ reads (?< as a name
        {"(?<=a)>", "error parsing regexp: invalid named capture: `(?<=a)>`"},
        {"\\1", "error parsing regexp: invalid escape sequence: `\\1`"},
        {"\\C", "error parsing regexp: invalid escape sequence: `\\C`"},
        {"[z-a]", "error parsing regexp: invalid character class range: `z-a`"},
        {"\\pX", "error parsing regexp: invalid character class range: `\\pX`"},
        {"(?P<>a)", "error parsing regexp: invalid named capture: `(?P<>`"},
        {"(?<>a", "error parsing regexp: invalid named capture: `(?<>`"},
        {"(?<n>a", "error parsing regexp: missing closing ): `(?<n>a`"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.pattern) {
            auto r = esx::regex::compile(c.pattern);
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().what() == c.message);
            BOOST_TEST((r.error() == esx::condition::invalid_input));
            auto via_spec = esx::spec::compile_regex(c.pattern);
            BOOST_REQUIRE(!via_spec);
            BOOST_TEST(via_spec.error().what() == c.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(go_syntax_accepted) {
    for (auto p : {"(?P<n>a)", "(?<n>a)", "[]a]", "[^]a]", "(?i)abc", "\\pL+", "\\p{Greek}", "a{,5}", "\\Q(a\\E", "\\z",
                   "[[:alpha:]]", "(?P<n>a)(?P<n>b)"}) {
        BOOST_TEST_CONTEXT(p) { BOOST_TEST(esx::regex::compile(p).has_value()); }
    }
    auto literal = esx::regex::compile("\\Q(?<x>\\E");
    BOOST_REQUIRE(literal);
    BOOST_TEST(literal->search("a(?<x>b"));
    BOOST_TEST(literal->pattern() == "\\Q(?<x>\\E");
}

BOOST_AUTO_TEST_CASE(matching_is_re2_and_linear) {
    // `(a+)+$` is the classic catastrophic pattern for backtracking engines: against "a"*n + "b"
    // they try every way to split the a's, about 2^n paths. esx::regex is RE2 by type (there is
    // no other engine behind it), and RE2 bounds a search by O(program size x input length)
    // steps. So the honest check is structural: the engine is RE2, the program is small, the
    // bound that follows is linear, and the answers are right on the inputs that would stall
    // a backtracker (a 10 kB name and a 10,000-name vault listing).
    auto re = esx::regex::compile("(a+)+$");
    BOOST_REQUIRE(re);
    static_assert(std::is_same_v<decltype(re->re2()), RE2 const&>, "esx::regex must be backed by RE2");
    BOOST_TEST(re->re2().ok());
    int const program = re->program_size() + re->reverse_program_size();
    BOOST_TEST(program > 0);
    BOOST_TEST(program < 64);  // a handful of instructions, whatever the input

    std::string const long_name = std::string(10 * 1024 - 1, 'a') + "b";
    long long const bound = static_cast<long long>(program) * static_cast<long long>(long_name.size());
    BOOST_TEST(bound < 1'000'000);  // vs about 2^10239 paths for a backtracker
    BOOST_TEST(!re->search(long_name));
    BOOST_TEST(re->search(std::string(10 * 1024, 'a')));

    // A 10,000-secret vault: every name adversarial; the total bound stays linear in the bytes.
    std::size_t matched = 0, bytes = 0;
    for (int i = 0; i < 10'000; ++i) {
        std::string name = std::string(static_cast<std::size_t>(20 + i % 40), 'a') + (i % 2 ? "b" : "");
        bytes += name.size();
        if (re->search(name)) ++matched;
    }
    BOOST_TEST(matched == 5'000u);
    BOOST_TEST(static_cast<long long>(program) * static_cast<long long>(bytes) < 50'000'000LL);

    // The same through the find filter, which is what a sync runs.
    esx::spec::find_ref ref;
    ref.name_regexp = "(a+)+$";
    auto f = esx::transform::find_filter::make(ref);
    BOOST_REQUIRE(f);
    esx::keyvault::item it;
    it.id = "https://v.esx.test/secrets/x";
    it.name = long_name;
    BOOST_TEST(!f->matches(it));
}

BOOST_AUTO_TEST_CASE(replace_all_follows_go) {
    auto re = esx::regex::compile("(?P<first>[a-z]+)-(?P<second>[a-z]+)");
    BOOST_REQUIRE(re);
    BOOST_TEST(re->replace_all("ab-cd ef-gh", "${second}_$first") == "cd_ab gh_ef");
    BOOST_TEST(re->replace_all("ab-cd", "$01") == "");       // "01" is a name (leading zero)
    BOOST_TEST(re->replace_all("ab-cd", "$2$1") == "cdab");
    BOOST_TEST(re->replace_all("ab-cd", "${3}") == "");      // no group 3
    BOOST_TEST(re->replace_all("ab-cd", "${first") == "${first");  // malformed: kept
    auto anchored = esx::regex::compile("^a");
    BOOST_REQUIRE(anchored);
    BOOST_TEST(anchored->replace_all("aaa", "b") == "baa");  // ^ only at the start, as in Go
    auto utf8 = esx::regex::compile("");
    BOOST_REQUIRE(utf8);
    BOOST_TEST(utf8->replace_all("é", "-") == "-é-");  // advances by a whole rune
    // Invalid UTF-8: Go reads each bad byte as U+FFFD, so `.` matches it (results from Go 1.19).
    auto dot = esx::regex::compile(".");
    BOOST_REQUIRE(dot);
    BOOST_TEST(dot->replace_all("a\xff" "b", "X") == "XXX");
    BOOST_TEST(esx::regex::compile("[^a]")->replace_all("a\xff" "b", "X") == "aXX");
    BOOST_TEST(esx::regex::compile("(.)")->replace_all("\xff", "[$1]") == "[\xff]");  // groups copy the original bytes
    BOOST_TEST(esx::regex::compile("^\\x{FFFD}$")->search("\xff"));
}

BOOST_AUTO_TEST_SUITE_END() // regex_engine
BOOST_AUTO_TEST_SUITE_END() // esx
