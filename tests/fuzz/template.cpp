// libFuzzer target for the template language: the input is an ESO template (the text of one
// `target.template.data` value). It is parsed with Go's builtins and a few functions with the
// Go signatures that exercise the value model (lists, dicts, []string, int64, interface{}
// results, a failing function, a string builder) and, when it parses, rendered over a small
// secret map. Any crash, sanitizer report, hang past the bounds or uncaught exception is a bug:
// a template is untrusted input from whoever may edit an ExternalSecret.
// Build and run with tests/fuzz/run.sh template SECONDS.
//
// The Sprig and ESO functions (functions/) are left out: clang 14 with libstdc++ 12 does not
// compile them yet (recursive value types in std::vector, captured structured bindings).
#include <esx/transform/template/template.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

namespace tp = esx::transform::templating;

tp::options fuzz_options() {
    tp::options o;
    // Small bounds keep each execution fast; the bounds themselves are under test.
    o.limits.max_output_bytes = 64 << 10;
    o.limits.max_string_bytes = 64 << 10;
    o.limits.max_steps = 20'000;
    o.limits.max_range_iterations = 2'000;
    o.limits.max_depth = 30;
    o.limits.max_source_bytes = 16 << 10;
    o.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)); };
    return o;
}

std::shared_ptr<tp::function_table const> fuzz_functions() {
    using tp::param;
    using tp::value;
    using args = std::span<value const>;
    using answer = esx::result<value, esx::failure>;
    auto t = std::make_shared<tp::function_table>();
    t->add("mklist", tp::variadic_sig({}, param::any, param::list),
           [](tp::call_context&, args a) -> answer { return value::list(tp::list_type(a.begin(), a.end())); });
    t->add("mkdict", tp::variadic_sig({}, param::any, param::dict), [](tp::call_context&, args a) -> answer {
        tp::dict_type d;
        for (std::size_t i = 0; i + 1 < a.size(); i += 2)
            if (a[i].kind() == tp::kind::string) d.insert_or_assign(std::string(a[i].as_string()), a[i + 1]);
        return value::dict(std::move(d));
    });
    t->add("strs", tp::variadic_sig({}, param::string, param::string_list), [](tp::call_context&, args a) -> answer {
        tp::string_list_type l;
        for (auto const& v : a) l.emplace_back(v.as_string());
        return value::string_list(std::move(l));
    });
    t->add("i64", tp::sig({param::integer}, param::int64),
           [](tp::call_context&, args a) -> answer { return value::int64(a[0].as_int()); });
    t->add("anyval", tp::sig({param::any}, param::any), [](tp::call_context&, args a) -> answer { return a[0]; });
    t->add("fail", tp::sig({param::string}, param::string, true),
           [](tp::call_context&, args a) -> answer { return tp::go_error(std::string(a[0].as_string().substr(0, 16))); });
    t->add("repeat", tp::sig({param::integer, param::string}, param::string), [](tp::call_context& c, args a) -> answer {
        auto const n = a[0].as_int();
        auto const s = a[1].as_string();
        if (n > 0 && s.size() * static_cast<std::size_t>(n) > c.max_string_bytes) return tp::output_limit_failure(c.max_string_bytes);
        tp::text out;
        for (std::int64_t i = 0; i < n; ++i) out.append(s);
        return value::string(std::move(out));
    });
    return t;
}

tp::value fuzz_data() {
    tp::string_map_type m;
    m.emplace("a", tp::text("A"));
    m.emplace("json", tp::text(R"({"k":[1,"two",{"x":null}],"n":1.5})"));
    m.emplace("b64", tp::text("aGVsbG8="));
    m.emplace("yaml", tp::text("a: [1, 2]\nb: {c: d}\n"));
    m.emplace("pem", tp::text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
    m.emplace("empty", tp::text(""));
    return tp::value::string_map(std::move(m));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static auto const functions = fuzz_functions();
    static auto const options = fuzz_options();
    static auto const input = fuzz_data();
    std::string text(reinterpret_cast<char const*>(data), size);
    auto t = tp::compiled_template::parse("fuzz", std::move(text), functions, options);
    if (!t) return 0;
    auto out = t->render(input);
    if (out && out->size() > options.limits.max_output_bytes) __builtin_trap();  // a bound that did not hold
    return 0;
}
