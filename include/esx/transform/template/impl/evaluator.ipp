// esx::transform::templating::detail::execute (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_EVALUATOR_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_EVALUATOR_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/evaluator.hpp>
#include <esx/transform/template/detail/printf.hpp>
#include <esx/transform/template/error.hpp>

#include <optional>

namespace esx::transform::templating::detail {

namespace {

/// A value as the executor holds it. `boxed`: its static Go type is `interface {}` (an
/// element of a []interface{} or map[string]interface{}, or a function result declared
/// `interface{}`), which changes Go's error texts (`can't evaluate field x in type
/// interface {}`) and what a nil is (a nil interface, not a missing value).
struct slot {
    value v;
    bool boxed = false;
};

slot unboxed(value v) { return {std::move(v), false}; }

struct exec_abort {
    failure f;
};

enum class flow { normal, break_, continue_ };

/// A parameter's type as evalArg sees it: a registered function's Go type, Go's builtins'
/// `reflect.Value` (anything, and a nil stays Go's zero Value rather than a nil interface),
/// or no type at all (the target of a chain: `(pipeline).field`).
struct arg_type {
    std::optional<param> p;
    bool reflect_value = false;
    static arg_type none() { return {}; }
    static arg_type of(param t) { return {t, false}; }
    static arg_type any_value() { return {param::any, true}; }
};

/// Go's type names for the builtins' and registered functions' parameter types.
param param_of(kind k) noexcept {
    switch (k) {
    case kind::boolean: return param::boolean;
    case kind::integer: return param::integer;
    case kind::int64: return param::int64;
    case kind::float64: return param::float64;
    case kind::string: return param::string;
    case kind::bytes: return param::bytes;
    case kind::list: return param::list;
    case kind::string_list: return param::string_list;
    case kind::dict: return param::dict;
    case kind::string_map: return param::string_map;
    case kind::time: return param::time;
    case kind::nil: break;
    }
    return param::any;
}

bool can_be_nil(param p) noexcept {
    switch (p) {
    case param::any:
    case param::bytes:
    case param::list:
    case param::string_list:
    case param::dict:
    case param::string_map: return true;
    default: return false;
    }
}

/// reflect.Zero of a nil-able type: a nil interface, or an empty (nil) slice or map.
slot zero_of(param p) {
    switch (p) {
    case param::bytes: return unboxed(value::bytes(std::string_view{}));
    case param::list: return unboxed(value::list());
    case param::string_list: return unboxed(value::string_list());
    case param::dict: return unboxed(value::dict());
    case param::string_map: return unboxed(value::string_map());
    default: return {value{}, true};
    }
}

/// The Go signatures of the builtins (funcs.go): what arity and argument checks use.
signature builtin_signature(builtin b) {
    switch (b) {
    case builtin::and_:
    case builtin::or_:
    case builtin::index:
    case builtin::slice:
    case builtin::call:
    case builtin::eq: return variadic_sig({param::any}, param::any, param::any, true);
    case builtin::not_: return sig({param::any}, param::boolean);
    case builtin::len: return sig({param::any}, param::integer, true);
    case builtin::print:
    case builtin::println:
    case builtin::html:
    case builtin::js:
    case builtin::urlquery: return variadic_sig({}, param::any, param::string);
    case builtin::printf: return variadic_sig({param::string}, param::any, param::string);
    case builtin::ne:
    case builtin::lt:
    case builtin::le:
    case builtin::gt:
    case builtin::ge: return sig({param::any, param::any}, param::boolean, true);
    case builtin::none: break;
    }
    return {};
}

bool is_hex_int(std::string_view s) noexcept {
    return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s.find_first_of("pP") == std::string_view::npos;
}

text html_escape(std::string_view s) {
    text out;
    for (char c : s) {
        switch (c) {
        case '\0': out.append("\xEF\xBF\xBD"); break;
        case '"': out.append("&#34;"); break;
        case '\'': out.append("&#39;"); break;
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        default: out.push_back(c);
        }
    }
    return out;
}

text js_escape(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    text out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '\\': out.append("\\\\"); continue;
            case '\'': out.append("\\'"); continue;
            case '"': out.append("\\\""); continue;
            case '<': out.append("\\u003C"); continue;
            case '>': out.append("\\u003E"); continue;
            case '&': out.append("\\u0026"); continue;
            case '=': out.append("\\u003D"); continue;
            default: break;
            }
            if (c < ' ') {
                out.append("\\u00");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xF]);
            } else {
                out.push_back(static_cast<char>(c));
            }
            continue;
        }
        auto const d = transform::detail::decode_rune(s, i);
        if (transform::detail::is_print(d.rune)) {
            out.append(s.substr(i, d.width));
        } else {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(d.rune));
            out.append(buf);
        }
        i += d.width - 1;
    }
    return out;
}

text query_escape(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    text out;
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out.push_back(ch);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
    return out;
}

/// text/template's evalArgs: fmt.Sprint of the arguments, nil printed `<no value>`.
text eval_args(std::span<value const> args) {
    if (args.size() == 1 && args[0].kind() == kind::string) return text(args[0].as_string());
    std::vector<value> printable(args.begin(), args.end());
    for (auto& a : printable)
        if (a.is_nil()) a = value::string("<no value>");
    return sprint(std::span<value const>(printable));
}

class state {
public:
    state(execution const& what)
        : what_(what), opts_(what.opts), current_name_(what.name) {
        ctx_.clock = opts_.clock;
        ctx_.max_string_bytes = opts_.limits.max_string_bytes;
    }

    text run(value const& data) {
        auto it = what_.trees.find(what_.name);
        if (it == what_.trees.end() || !it->second.root) {
            node_ = nullptr;
            errorf(go_quote(what_.name) + " is an incomplete or empty template");
        }
        slot dot = unboxed(data);
        vars_.push_back({"$", dot});
        walk(dot, *it->second.root);
        return std::move(out_);
    }

private:
    static std::string go_quote(std::string_view s) { return transform::detail::go_quote(s); }

    // --- errors ------------------------------------------------------------------------
    [[noreturn]] void errorf(std::string const& message, error code = error::execution_failed) {
        std::string m;
        if (!node_) {
            m = "template: " + std::string(current_name_) + ": " + message;
        } else {
            m = "template: " + location(what_.name, what_.text, node_->pos) + ": executing " + go_quote(current_name_) +
                " at <" + node_->str() + ">: " + message;
        }
        throw exec_abort{failure(make_error_code(code), std::move(m))};
    }
    void at(node const& n) noexcept { node_ = &n; }

    void step() {
        if (++steps_ > opts_.limits.max_steps)
            errorf("evaluation exceeds the limit of " + std::to_string(opts_.limits.max_steps) + " steps",
                   error::limit_exceeded);
    }

    void write(std::string_view s) {
        if (out_.size() + s.size() > opts_.limits.max_output_bytes)
            errorf("output exceeds the limit of " + std::to_string(opts_.limits.max_output_bytes) + " bytes",
                   error::limit_exceeded);
        out_.append(s);
    }

    // --- variables ---------------------------------------------------------------------
    struct variable {
        std::string name;
        slot value;
    };
    std::size_t mark() const noexcept { return vars_.size(); }
    void pop(std::size_t m) { vars_.resize(m); }
    void set_var(std::string const& name, slot v) {
        for (auto i = vars_.size(); i-- > 0;)
            if (vars_[i].name == name) {
                vars_[i].value = std::move(v);
                return;
            }
        errorf("undefined variable: " + name);
    }
    void set_top_var(std::size_t n, slot v) { vars_[vars_.size() - n].value = std::move(v); }
    slot var_value(std::string const& name) {
        for (auto i = vars_.size(); i-- > 0;)
            if (vars_[i].name == name) return vars_[i].value;
        errorf("undefined variable: " + name);
    }

    // --- walking -----------------------------------------------------------------------
    flow walk(slot const& dot, node const& n) {
        at(n);
        step();
        switch (n.kind) {
        case node_kind::action: {
            auto const& a = static_cast<action_node const&>(n);
            auto val = eval_pipeline(dot, a.pipe.get());
            if (a.pipe->decls.empty()) print_value(n, val);
            return flow::normal;
        }
        case node_kind::break_: return flow::break_;
        case node_kind::continue_: return flow::continue_;
        case node_kind::if_:
        case node_kind::with: return walk_if_or_with(dot, static_cast<branch_node const&>(n));
        case node_kind::list:
            for (auto const& child : static_cast<list_node const&>(n).nodes) {
                auto const f = walk(dot, *child);
                if (f != flow::normal) return f;
            }
            return flow::normal;
        case node_kind::range: return walk_range(dot, static_cast<branch_node const&>(n));
        case node_kind::template_call: return walk_template(dot, static_cast<template_node const&>(n));
        case node_kind::text: write(static_cast<text_node const&>(n).text); return flow::normal;
        default: errorf("unknown node: " + n.str());
        }
    }

    flow walk_if_or_with(slot const& dot, branch_node const& b) {
        auto const m = mark();
        auto val = eval_pipeline(dot, b.pipe.get());
        flow f = flow::normal;
        if (truth(val.v)) {
            f = b.kind == node_kind::with ? walk(val, *b.list) : walk(dot, *b.list);
        } else if (b.else_list) {
            f = walk(dot, *b.else_list);
        }
        pop(m);
        return f;
    }

    void count_iteration() {
        if (++iterations_ > opts_.limits.max_range_iterations)
            errorf("range exceeds the limit of " + std::to_string(opts_.limits.max_range_iterations) + " iterations",
                   error::limit_exceeded);
    }

    flow walk_range(slot const& dot, branch_node const& r) {
        at(r);
        auto const outer = mark();
        auto val = eval_pipeline(dot, r.pipe.get());
        auto const inner = mark();
        auto const& decls = r.pipe->decls;
        // Returns true to stop the range (break).
        auto iteration = [&](slot index, slot elem) {
            at(*r.pipe);
            count_iteration();
            if (!decls.empty()) {
                if (r.pipe->is_assign) {
                    if (decls.size() > 1)
                        set_var(decls[0]->idents[0], index);
                    else
                        set_var(decls[0]->idents[0], elem);
                } else {
                    set_top_var(1, elem);
                }
            }
            if (decls.size() > 1) {
                if (r.pipe->is_assign)
                    set_var(decls[1]->idents[0], elem);
                else
                    set_top_var(2, index);
            }
            auto const f = walk(elem, *r.list);
            pop(inner);
            return f == flow::break_;
        };
        bool ran = false;
        auto const& v = val.v;
        switch (v.kind()) {
        case kind::integer:
        case kind::int64: {
            if (decls.size() > 1) {
                errorf("can't use " + std::string(go_type_name(v.kind())) + " to iterate over more than one variable");
            }
            for (std::int64_t i = 0; i < v.as_int(); ++i) {
                ran = true;
                auto const e = v.kind() == kind::integer ? value::integer(i) : value::int64(i);
                if (iteration(slot{}, unboxed(e))) break;
            }
            break;
        }
        case kind::list:
        case kind::string_list:
        case kind::bytes: {
            auto const n = v.size();
            for (std::size_t i = 0; i < n; ++i) {
                ran = true;
                if (iteration(unboxed(value::integer(static_cast<std::int64_t>(i))),
                              slot{v.element(i), v.kind() == kind::list}))
                    break;
            }
            break;
        }
        case kind::dict:
            for (auto const& [k, e] : v.as_dict()) {
                ran = true;
                if (iteration(unboxed(value::string(k)), slot{e, true})) break;
            }
            break;
        case kind::string_map:
            for (auto const& [k, e] : v.as_string_map()) {
                ran = true;
                if (iteration(unboxed(value::string(k)), unboxed(value::string(e)))) break;
            }
            break;
        case kind::nil: break;  // like an empty map
        default:
            // Go prints the value here; esx names its type (values are secrets).
            errorf("range can't iterate over a value of type " + std::string(go_type_name(v.kind())));
        }
        flow f = flow::normal;
        if (!ran && r.else_list) f = walk(dot, *r.else_list);
        pop(outer);
        return f == flow::break_ || f == flow::continue_ ? f : flow::normal;
    }

    flow walk_template(slot const& dot, template_node const& t) {
        at(t);
        auto it = what_.trees.find(t.name);
        if (it == what_.trees.end() || !it->second.root) errorf("template " + go_quote(t.name) + " not defined");
        if (depth_ >= opts_.limits.max_depth)
            errorf("exceeded maximum template depth (" + std::to_string(opts_.limits.max_depth) + ")",
                   error::limit_exceeded);
        slot new_dot = t.pipe ? eval_pipeline(dot, t.pipe.get()) : slot{};
        // No dynamic scoping: the called template sees only $ = its dot.
        auto saved_vars = std::move(vars_);
        auto const saved_name = current_name_;
        vars_.clear();
        vars_.push_back({"$", new_dot});
        current_name_ = it->second.name;
        ++depth_;
        walk(new_dot, *it->second.root);
        --depth_;
        current_name_ = saved_name;
        vars_ = std::move(saved_vars);
        return flow::normal;
    }

    void print_value(node const& n, slot const& v) {
        at(n);
        text s;
        append_printed(s, v.v);
        write(s.view());
    }

    // --- evaluation --------------------------------------------------------------------
    slot eval_pipeline(slot const& dot, pipe_node const* pipe) {
        if (!pipe) return {};
        at(*pipe);
        std::optional<slot> value;
        for (auto const& cmd : pipe->cmds) {
            value = eval_command(dot, *cmd, value);
            value->boxed = false;  // an interface{} result is unwrapped to what it holds
        }
        for (auto const& var : pipe->decls) {
            if (pipe->is_assign)
                set_var(var->idents[0], *value);
            else
                vars_.push_back({var->idents[0], *value});
        }
        return *value;
    }

    void not_a_function(std::vector<node_ptr> const& args, std::optional<slot> const& final) {
        if (args.size() > 1 || final) errorf("can't give argument to non-function " + args[0]->str());
    }

    slot eval_command(slot const& dot, command_node const& cmd, std::optional<slot> const& final) {
        step();
        auto const& first = *cmd.args[0];
        switch (first.kind) {
        case node_kind::field: return eval_field_node(dot, static_cast<field_node const&>(first), &cmd.args, final);
        case node_kind::chain: return eval_chain_node(dot, static_cast<chain_node const&>(first), &cmd.args, final);
        case node_kind::identifier:
            return eval_function(dot, static_cast<identifier_node const&>(first), cmd, &cmd.args, final);
        case node_kind::pipe:
            not_a_function(cmd.args, final);
            return eval_pipeline(dot, static_cast<pipe_node const*>(&first));
        case node_kind::variable:
            return eval_variable_node(dot, static_cast<variable_node const&>(first), &cmd.args, final);
        default: break;
        }
        at(first);
        not_a_function(cmd.args, final);
        switch (first.kind) {
        case node_kind::boolean: return unboxed(value::boolean(static_cast<bool_node const&>(first).value));
        case node_kind::dot: return dot;
        case node_kind::nil: errorf("nil is not a command");
        case node_kind::number: return ideal_constant(static_cast<number_node const&>(first));
        case node_kind::string: return unboxed(value::string(static_cast<string_node const&>(first).text));
        default: errorf("can't evaluate command " + go_quote(first.str()));
        }
    }

    slot ideal_constant(number_node const& c) {
        at(c);
        bool const is_rune = !c.text.empty() && c.text[0] == '\'';
        if (c.is_float && !is_hex_int(c.text) && !is_rune && c.text.find_first_of(".eEpP") != std::string::npos)
            return unboxed(value::float64(c.float64));
        if (c.is_int) return unboxed(value::integer(c.int64));
        if (c.is_uint) errorf(c.text + " overflows int");
        return {};
    }

    using args_t = std::vector<node_ptr> const*;

    slot eval_field_node(slot const& dot, field_node const& f, args_t args, std::optional<slot> const& final) {
        at(f);
        return eval_field_chain(dot, dot, f, f.idents, 0, args, final);
    }

    slot eval_chain_node(slot const& dot, chain_node const& c, args_t args, std::optional<slot> const& final) {
        at(c);
        if (c.target->kind == node_kind::nil) errorf("indirection through explicit nil in " + c.str());
        auto receiver = eval_arg(dot, arg_type::none(), *c.target);
        return eval_field_chain(dot, receiver, c, c.fields, 0, args, final);
    }

    slot eval_variable_node(slot const& dot, variable_node const& v, args_t args, std::optional<slot> const& final) {
        at(v);
        auto value = var_value(v.idents[0]);
        if (v.idents.size() == 1) {
            if (args) not_a_function(*args, final);
            else if (final) errorf("can't give argument to non-function " + v.str());
            return value;
        }
        return eval_field_chain(dot, value, v, v.idents, 1, args, final);
    }

    slot eval_field_chain(slot const& dot, slot receiver, node const& n, std::vector<std::string> const& idents,
                          std::size_t first, args_t args, std::optional<slot> const& final) {
        auto const count = idents.size();
        for (auto i = first; i + 1 < count; ++i) receiver = eval_field(dot, idents[i], n, nullptr, std::nullopt, receiver);
        return eval_field(dot, idents[count - 1], n, args, final, receiver);
    }

    slot eval_field(slot const&, std::string const& name, node const& n, args_t args, std::optional<slot> const& final,
                    slot const& receiver) {
        if (receiver.v.is_nil() && !receiver.boxed) {
            if (opts_.missing == missing_key::error) errorf("nil data; no entry for key " + go_quote(name));
            return {};
        }
        std::string const type = receiver.boxed ? "interface {}" : std::string(go_type_name(receiver.v.kind()));
        if (receiver.v.is_nil()) errorf("nil pointer evaluating " + type + "." + name);
        bool const has_args = (args && args->size() > 1) || final.has_value();
        if (receiver.v.is_map()) {
            if (has_args) errorf(name + " is not a method but has arguments");
            if (receiver.v.contains(name)) return slot{receiver.v.entry(name), receiver.v.kind() == kind::dict};
            switch (opts_.missing) {
            case missing_key::invalid: return {};
            case missing_key::zero:
                return receiver.v.kind() == kind::dict ? slot{value{}, true} : unboxed(value::string(""));
            case missing_key::error: errorf("map has no entry for key " + go_quote(name));
            }
        }
        (void)n;
        errorf("can't evaluate field " + name + " in type " + type);
    }

    slot eval_function(slot const& dot, identifier_node const& id, node const& cmd, args_t args,
                       std::optional<slot> const& final) {
        at(id);
        return eval_call(dot, id, cmd, args, final);
    }

    /// Go's evalCall: arity, argument conversion, and the call.
    slot eval_call(slot const& dot, identifier_node const& id, node const& n, args_t all_args,
                   std::optional<slot> const& final) {
        std::span<node_ptr const> args;
        if (all_args) args = std::span<node_ptr const>(*all_args).subspan(1);
        signature const sig_storage = id.fn ? signature{} : builtin_signature(id.builtin_fn);
        signature const& s = id.fn ? id.fn->sig : sig_storage;
        auto const& name = id.name;
        std::size_t const num_in = args.size() + (final ? 1 : 0);
        std::size_t num_fixed = args.size();
        if (s.variadic) {
            num_fixed = s.params.size();
            if (num_in < num_fixed)
                errorf("wrong number of args for " + name + ": want at least " + std::to_string(num_fixed) + " got " +
                       std::to_string(args.size()));
        } else if (num_in != s.params.size()) {
            errorf("wrong number of args for " + name + ": want " + std::to_string(s.params.size()) + " got " +
                   std::to_string(num_in));
        }

        // and/or short-circuit.
        if (!id.fn && (id.builtin_fn == builtin::and_ || id.builtin_fn == builtin::or_)) {
            bool const is_or = id.builtin_fn == builtin::or_;
            slot v;
            for (auto const& arg : args) {
                v = eval_arg(dot, arg_type::any_value(), *arg);
                if (truth(v.v) == is_or) return v;
            }
            if (final) v = validate_type(*final, arg_type::any_value());
            return v;
        }

        std::vector<value> argv;
        argv.reserve(num_in);
        std::vector<slot> slots;  // for the builtins that see boxing (index)
        std::size_t i = 0;
        // Builtins declared with reflect.Value parameters (and, or, not, len, index, slice,
        // call and the comparisons) take anything as is; print, printf, println, html, js
        // and urlquery are ordinary Go functions (`printf(format string, a ...any)`).
        bool const reflect_params = !id.fn && id.builtin_fn != builtin::print && id.builtin_fn != builtin::printf &&
                                    id.builtin_fn != builtin::println && id.builtin_fn != builtin::html &&
                                    id.builtin_fn != builtin::js && id.builtin_fn != builtin::urlquery;
        auto type_of = [&](param p) { return reflect_params ? arg_type::any_value() : arg_type::of(p); };
        for (; i < num_fixed && i < args.size(); ++i) slots.push_back(eval_arg(dot, type_of(s.params[i]), *args[i]));
        if (s.variadic)
            for (; i < args.size(); ++i) slots.push_back(eval_arg(dot, type_of(*s.variadic), *args[i]));
        if (final) {
            param t = s.params.empty() ? param::any : s.params.back();
            if (s.variadic) t = num_in - 1 < num_fixed ? s.params[num_in - 1] : *s.variadic;
            slots.push_back(validate_type(*final, type_of(t)));
        }
        for (auto const& sl : slots) argv.push_back(sl.v);

        if (id.fn) {
            auto r = id.fn->call(ctx_, std::span<value const>(argv));
            if (!r) {
                at(n);
                auto const code = r.error() == error::limit_exceeded ? error::limit_exceeded : error::function_failed;
                errorf("error calling " + name + ": " + r.error().what(), code);
            }
            return slot{std::move(*r), s.result == param::any};
        }
        return call_builtin(id, n, slots, args);
    }

    [[noreturn]] void builtin_error(node const& n, std::string const& name, std::string const& message) {
        at(n);
        errorf("error calling " + name + ": " + message, error::function_failed);
    }

    static value unbox(slot const& s) { return s.v; }

    /// Go's indexArg.
    std::int64_t index_arg(node const& n, std::string const& name, slot const& index, std::size_t cap) {
        auto const& v = index.v;
        if (v.is_nil()) builtin_error(n, name, "cannot index slice/array with nil");
        if (!v.is_integral()) builtin_error(n, name, "cannot index slice/array with type " + std::string(go_type_name(v.kind())));
        auto const x = v.as_int();
        if (x < 0 || static_cast<std::uint64_t>(x) > cap) builtin_error(n, name, "index out of range: " + std::to_string(x));
        return x;
    }

    slot call_builtin(identifier_node const& id, node const& n, std::vector<slot> const& a,
                      std::span<node_ptr const> arg_nodes) {
        auto const& name = id.name;
        std::vector<value> values;
        values.reserve(a.size());
        for (auto const& s : a) values.push_back(s.v);
        std::span<value const> args(values);
        switch (id.builtin_fn) {
        case builtin::not_: return unboxed(value::boolean(!truth(args[0])));
        case builtin::len: {
            auto const& item = a[0];
            if (item.v.is_nil() && item.boxed) builtin_error(n, name, "len of nil pointer");
            if (item.v.is_nil()) builtin_error(n, name, "reflect: call of reflect.Value.Type on zero Value");
            if (item.v.is_stringish() || item.v.is_slice() || item.v.is_map())
                return unboxed(value::integer(static_cast<std::int64_t>(item.v.size())));
            builtin_error(n, name, "len of type " + std::string(go_type_name(item.v.kind())));
        }
        case builtin::index: {
            slot item{a[0].v, false};
            if (item.v.is_nil()) builtin_error(n, name, "index of untyped nil");
            for (std::size_t k = 1; k < a.size(); ++k) {
                slot index{a[k].v, false};
                if (item.v.is_nil()) builtin_error(n, name, "index of nil pointer");
                auto const& v = item.v;
                if (v.is_slice() || v.kind() == kind::string) {
                    auto const x = static_cast<std::size_t>(index_arg(n, name, index, v.size()));
                    if (x == v.size())
                        builtin_error(n, name,
                                      v.kind() == kind::string ? "reflect: string index out of range"
                                                               : "reflect: slice index out of range");
                    item = slot{v.element(x), v.kind() == kind::list};
                } else if (v.is_map()) {
                    if (index.v.is_nil()) builtin_error(n, name, "value is nil; should be of type string");
                    if (index.v.kind() != kind::string)
                        builtin_error(n, name, "value has type " + std::string(go_type_name(index.v.kind())) +
                                                   "; should be string");
                    auto const key = index.v.as_string();
                    if (v.contains(key))
                        item = slot{v.entry(key), v.kind() == kind::dict};
                    else
                        item = v.kind() == kind::dict ? slot{value{}, true} : unboxed(value::string(""));
                } else {
                    builtin_error(n, name, "can't index item of type " + std::string(go_type_name(v.kind())));
                }
            }
            return item;
        }
        case builtin::slice: {
            auto const& item = a[0].v;
            if (item.is_nil()) builtin_error(n, name, "slice of untyped nil");
            auto const nidx = a.size() - 1;
            if (nidx > 3) builtin_error(n, name, "too many slice indexes: " + std::to_string(nidx));
            if (item.kind() == kind::string) {
                if (nidx == 3) builtin_error(n, name, "cannot 3-index slice a string");
            } else if (!item.is_slice()) {
                builtin_error(n, name, "can't slice item of type " + std::string(go_type_name(item.kind())));
            }
            std::size_t const cap = item.size();
            std::size_t idx[3] = {0, item.size(), 0};
            for (std::size_t k = 0; k < nidx; ++k)
                idx[k] = static_cast<std::size_t>(index_arg(n, name, slot{a[k + 1].v, false}, cap));
            if (idx[0] > idx[1])
                builtin_error(n, name, "invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
            if (nidx == 3 && idx[1] > idx[2])
                builtin_error(n, name, "invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
            switch (item.kind()) {
            case kind::string: return unboxed(value::string(item.as_string().substr(idx[0], idx[1] - idx[0])));
            case kind::bytes: return unboxed(value::bytes(item.as_string().substr(idx[0], idx[1] - idx[0])));
            case kind::list:
                return unboxed(value::list(list_type(item.as_list().begin() + static_cast<std::ptrdiff_t>(idx[0]),
                                                     item.as_list().begin() + static_cast<std::ptrdiff_t>(idx[1]))));
            default:
                return unboxed(value::string_list(
                    string_list_type(item.as_string_list().begin() + static_cast<std::ptrdiff_t>(idx[0]),
                                     item.as_string_list().begin() + static_cast<std::ptrdiff_t>(idx[1]))));
            }
        }
        case builtin::print: return checked_string(n, name, sprint(args));
        case builtin::println: return checked_string(n, name, sprintln(args));
        case builtin::printf: {
            auto const format = args[0].as_string();
            return checked_string(n, name, sprintf(format, args.subspan(1), opts_.limits.max_string_bytes));
        }
        case builtin::html: return checked_string(n, name, html_escape(eval_args(args).view()));
        case builtin::js: return checked_string(n, name, js_escape(eval_args(args).view()));
        case builtin::urlquery: return checked_string(n, name, query_escape(eval_args(args).view()));
        case builtin::call: {
            // Template data never holds Go functions, so `call` can only fail, as Go does.
            if (args[0].is_nil()) builtin_error(n, name, "call of nil");
            std::string const callee = arg_nodes.empty() ? std::string(go_type_name(args[0].kind())) : arg_nodes[0]->str();
            builtin_error(n, name, "non-function " + callee + " of type " + std::string(go_type_name(args[0].kind())));
        }
        case builtin::eq: {
            if (args.size() < 2) builtin_error(n, name, "missing argument for comparison");
            for (std::size_t k = 1; k < args.size(); ++k) {
                auto r = go_equal(args[0], args[k]);
                if (!r) builtin_error(n, name, r.error().what());
                if (*r) return unboxed(value::boolean(true));
            }
            return unboxed(value::boolean(false));
        }
        case builtin::ne: {
            auto r = go_equal(args[0], args[1]);
            if (!r) builtin_error(n, name, r.error().what());
            return unboxed(value::boolean(!*r));
        }
        case builtin::lt:
        case builtin::ge: {
            auto r = go_less(args[0], args[1]);
            if (!r) builtin_error(n, name, r.error().what());
            return unboxed(value::boolean(id.builtin_fn == builtin::lt ? *r : !*r));
        }
        case builtin::le:
        case builtin::gt: {
            auto r = go_less(args[0], args[1]);
            if (!r) builtin_error(n, name, r.error().what());
            bool le = *r;
            if (!le) {
                auto e = go_equal(args[0], args[1]);
                if (!e) builtin_error(n, name, e.error().what());
                le = *e;
            }
            return unboxed(value::boolean(id.builtin_fn == builtin::le ? le : !le));
        }
        default: break;
        }
        builtin_error(n, name, "not implemented");
    }

    slot checked_string(node const& n, std::string const& name, text s) {
        if (s.size() > opts_.limits.max_string_bytes) {
            at(n);
            errorf("error calling " + name + ": " + output_limit_failure(opts_.limits.max_string_bytes).what(),
                   error::limit_exceeded);
        }
        return unboxed(value::string(std::move(s)));
    }

    /// Go's evalArg.
    slot eval_arg(slot const& dot, arg_type typ, node const& n) {
        at(n);
        switch (n.kind) {
        case node_kind::dot: return validate_type(dot, typ);
        case node_kind::nil:
            if (typ.reflect_value) return {};
            if (typ.p && can_be_nil(*typ.p)) return zero_of(*typ.p);
            errorf("cannot assign nil to " + std::string(typ.p ? go_type_name(*typ.p) : "<nil>"));
        case node_kind::field: {
            auto const& f = static_cast<field_node const&>(n);
            at(f);
            return validate_type(eval_field_chain(dot, dot, f, f.idents, 0, nullptr, std::nullopt), typ);
        }
        case node_kind::variable:
            return validate_type(eval_variable_node(dot, static_cast<variable_node const&>(n), nullptr, std::nullopt), typ);
        case node_kind::pipe: return validate_type(eval_pipeline(dot, static_cast<pipe_node const*>(&n)), typ);
        case node_kind::identifier: {
            auto const& id = static_cast<identifier_node const&>(n);
            return validate_type(eval_function(dot, id, id, nullptr, std::nullopt), typ);
        }
        case node_kind::chain:
            return validate_type(eval_chain_node(dot, static_cast<chain_node const&>(n), nullptr, std::nullopt), typ);
        default: break;
        }
        param const t = typ.p.value_or(param::any);
        switch (t) {
        case param::boolean:
            if (n.kind == node_kind::boolean) return unboxed(value::boolean(static_cast<bool_node const&>(n).value));
            errorf("expected bool; found " + n.str());
        case param::float64:
            if (n.kind == node_kind::number && static_cast<number_node const&>(n).is_float)
                return unboxed(value::float64(static_cast<number_node const&>(n).float64));
            errorf("expected float; found " + n.str());
        case param::integer:
        case param::int64:
            if (n.kind == node_kind::number && static_cast<number_node const&>(n).is_int) {
                auto const i = static_cast<number_node const&>(n).int64;
                return unboxed(t == param::integer ? value::integer(i) : value::int64(i));
            }
            errorf("expected integer; found " + n.str());
        case param::any: return eval_empty_interface(dot, n);
        case param::string:
            if (n.kind == node_kind::string) return unboxed(value::string(static_cast<string_node const&>(n).text));
            errorf("expected string; found " + n.str());
        default: break;
        }
        errorf("can't handle " + n.str() + " for arg of type " + std::string(go_type_name(t)));
    }

    slot eval_empty_interface(slot const& dot, node const& n) {
        at(n);
        switch (n.kind) {
        case node_kind::boolean: return unboxed(value::boolean(static_cast<bool_node const&>(n).value));
        case node_kind::dot: return dot;
        case node_kind::number: return ideal_constant(static_cast<number_node const&>(n));
        case node_kind::string: return unboxed(value::string(static_cast<string_node const&>(n).text));
        default: break;
        }
        errorf("can't handle assignment of " + n.str() + " to empty interface argument");
    }

    /// Go's validateType: nil becomes the type's zero value where it can; an interface{}
    /// holding the right type is unwrapped; anything else is a wrong type.
    slot validate_type(slot v, arg_type typ) {
        if (v.v.is_nil() && !v.boxed) {
            if (!typ.p || typ.reflect_value) return {};
            if (can_be_nil(*typ.p)) return zero_of(*typ.p);
            errorf("invalid value; expected " + std::string(go_type_name(*typ.p)));
        }
        if (!typ.p || *typ.p == param::any) return v;
        if (!v.v.is_nil() && param_of(v.v.kind()) == *typ.p) return unboxed(std::move(v.v));
        std::string const got = v.boxed && v.v.is_nil() ? "interface {}" : std::string(go_type_name(v.v.kind()));
        errorf("wrong type for value; expected " + std::string(go_type_name(*typ.p)) + "; got " + got);
    }

    execution const& what_;
    options const& opts_;
    call_context ctx_;
    std::string_view current_name_;
    node const* node_ = nullptr;
    std::vector<variable> vars_;
    text out_;
    std::size_t steps_ = 0;
    std::size_t iterations_ = 0;
    std::size_t depth_ = 0;
};

} // namespace

ESX_DECL result<text, failure> execute(execution const& what, value const& data) {
    state s(what);
    try {
        return s.run(data);
    } catch (exec_abort& e) {
        return std::move(e.f);
    }
}

} // namespace esx::transform::templating::detail

#endif
