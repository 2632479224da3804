// esx::transform::templating::detail: the parse tree of a Go template.
//
// The nodes of Go's text/template/parse, with the same textual forms (`String()`), because
// execution errors quote them: `executing "tls.crt" at <pkcs12cert .pfx>: ...`.
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_AST_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_AST_HPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/function.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace esx::transform::templating::detail {

enum class node_kind : std::uint8_t {
    text, action, boolean, chain, command, dot, field, identifier, if_, list, nil, number, pipe, range,
    string, template_call, variable, with, break_, continue_,
    else_, end_,  // transient, never in a finished tree
};

/// Go's builtin functions (text/template/funcs.go), dispatched by the evaluator.
enum class builtin : std::uint8_t {
    none, and_, or_, not_, len, index, slice, print, printf, println, html, js, urlquery, call,
    eq, ne, lt, le, gt, ge,
};

struct node {
    node_kind kind;
    std::size_t pos;  ///< byte offset in the template text

    node(node_kind k, std::size_t p) : kind(k), pos(p) {}
    virtual ~node() = default;
    node(node const&) = delete;
    node& operator=(node const&) = delete;

    /// Go's `Node.String()`.
    std::string str() const {
        std::string out;
        write_to(out);
        return out;
    }
    virtual void write_to(std::string& out) const = 0;
};

using node_ptr = std::unique_ptr<node>;

struct text_node final : node {
    std::string text;
    text_node(std::size_t p, std::string_view t) : node(node_kind::text, p), text(t) {}
    void write_to(std::string& out) const override { out += text; }
};

struct bool_node final : node {
    bool value;
    bool_node(std::size_t p, bool v) : node(node_kind::boolean, p), value(v) {}
    void write_to(std::string& out) const override { out += value ? "true" : "false"; }
};

struct dot_node final : node {
    explicit dot_node(std::size_t p) : node(node_kind::dot, p) {}
    void write_to(std::string& out) const override { out += '.'; }
};

struct nil_node final : node {
    explicit nil_node(std::size_t p) : node(node_kind::nil, p) {}
    void write_to(std::string& out) const override { out += "nil"; }
};

/// A number literal, parsed into every type that can represent it (Go's ideal constants).
struct number_node final : node {
    bool is_int = false, is_uint = false, is_float = false;
    std::int64_t int64 = 0;
    std::uint64_t uint64 = 0;
    double float64 = 0;
    std::string text;  ///< as written
    number_node(std::size_t p, std::string_view t) : node(node_kind::number, p), text(t) {}
    void write_to(std::string& out) const override { out += text; }
};

struct string_node final : node {
    std::string quoted;  ///< as written, quotes included
    std::string text;    ///< unquoted
    string_node(std::size_t p, std::string_view q, std::string t) : node(node_kind::string, p), quoted(q), text(std::move(t)) {}
    void write_to(std::string& out) const override { out += quoted; }
};

/// `.a.b`: the names without dots.
struct field_node final : node {
    std::vector<std::string> idents;
    field_node(std::size_t p, std::vector<std::string> i) : node(node_kind::field, p), idents(std::move(i)) {}
    void write_to(std::string& out) const override {
        for (auto const& id : idents) {
            out += '.';
            out += id;
        }
    }
};

/// `$x.a.b`: `$x` then the field names.
struct variable_node final : node {
    std::vector<std::string> idents;
    variable_node(std::size_t p, std::vector<std::string> i) : node(node_kind::variable, p), idents(std::move(i)) {}
    void write_to(std::string& out) const override {
        for (std::size_t i = 0; i < idents.size(); ++i) {
            if (i) out += '.';
            out += idents[i];
        }
    }
};

/// A function name, resolved at parse time.
struct identifier_node final : node {
    std::string name;
    function const* fn = nullptr;  ///< a registered function, or
    builtin builtin_fn = builtin::none;
    identifier_node(std::size_t p, std::string n) : node(node_kind::identifier, p), name(std::move(n)) {}
    void write_to(std::string& out) const override { out += name; }
};

struct command_node;

struct pipe_node final : node {
    bool is_assign = false;  ///< `$x = ...` rather than `$x := ...`
    std::vector<std::unique_ptr<variable_node>> decls;
    std::vector<std::unique_ptr<command_node>> cmds;
    explicit pipe_node(std::size_t p) : node(node_kind::pipe, p) {}
    void write_to(std::string& out) const override;
};

struct command_node final : node {
    std::vector<node_ptr> args;
    explicit command_node(std::size_t p) : node(node_kind::command, p) {}
    void write_to(std::string& out) const override {
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (i) out += ' ';
            if (args[i]->kind == node_kind::pipe) {
                out += '(';
                args[i]->write_to(out);
                out += ')';
            } else {
                args[i]->write_to(out);
            }
        }
    }
};

inline void pipe_node::write_to(std::string& out) const {
    if (!decls.empty()) {
        for (std::size_t i = 0; i < decls.size(); ++i) {
            if (i) out += ", ";
            decls[i]->write_to(out);
        }
        out += " := ";
    }
    for (std::size_t i = 0; i < cmds.size(); ++i) {
        if (i) out += " | ";
        cmds[i]->write_to(out);
    }
}

/// `(pipeline).a.b` or `fn.a`: a term followed by fields.
struct chain_node final : node {
    node_ptr target;
    std::vector<std::string> fields;
    chain_node(std::size_t p, node_ptr n) : node(node_kind::chain, p), target(std::move(n)) {}
    void write_to(std::string& out) const override {
        if (target->kind == node_kind::pipe) {
            out += '(';
            target->write_to(out);
            out += ')';
        } else {
            target->write_to(out);
        }
        for (auto const& f : fields) {
            out += '.';
            out += f;
        }
    }
};

struct list_node final : node {
    std::vector<node_ptr> nodes;
    explicit list_node(std::size_t p) : node(node_kind::list, p) {}
    void write_to(std::string& out) const override {
        for (auto const& n : nodes) n->write_to(out);
    }
};

struct action_node final : node {
    std::unique_ptr<pipe_node> pipe;
    action_node(std::size_t p, std::unique_ptr<pipe_node> pp) : node(node_kind::action, p), pipe(std::move(pp)) {}
    void write_to(std::string& out) const override {
        out += "{{";
        pipe->write_to(out);
        out += "}}";
    }
};

/// if, range, with.
struct branch_node final : node {
    std::unique_ptr<pipe_node> pipe;
    std::unique_ptr<list_node> list;
    std::unique_ptr<list_node> else_list;  ///< may be null
    branch_node(node_kind k, std::size_t p) : node(k, p) {}
    void write_to(std::string& out) const override {
        out += "{{";
        out += kind == node_kind::if_ ? "if" : kind == node_kind::range ? "range" : "with";
        out += ' ';
        pipe->write_to(out);
        out += "}}";
        list->write_to(out);
        if (else_list) {
            out += "{{else}}";
            else_list->write_to(out);
        }
        out += "{{end}}";
    }
};

struct template_node final : node {
    std::string name;
    std::unique_ptr<pipe_node> pipe;  ///< may be null
    template_node(std::size_t p, std::string n) : node(node_kind::template_call, p), name(std::move(n)) {}
    void write_to(std::string& out) const override;
};

/// break, continue, and the transient else and end.
struct keyword_node final : node {
    keyword_node(node_kind k, std::size_t p) : node(k, p) {}
    void write_to(std::string& out) const override {
        switch (kind) {
        case node_kind::break_: out += "{{break}}"; break;
        case node_kind::continue_: out += "{{continue}}"; break;
        case node_kind::else_: out += "{{else}}"; break;
        default: out += "{{end}}"; break;
        }
    }
};

inline void template_node::write_to(std::string& out) const {
    out += "{{template ";
    out += transform::detail::go_quote(name);
    if (pipe) {
        out += ' ';
        pipe->write_to(out);
    }
    out += "}}";
}

/// One named template: the top-level text or a `define`/`block`.
struct tree {
    std::string name;
    std::unique_ptr<list_node> root;
};

} // namespace esx::transform::templating::detail

#endif
