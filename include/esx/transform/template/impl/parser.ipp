// esx::transform::templating::detail::parse (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_PARSER_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_PARSER_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/lexer.hpp>
#include <esx/transform/template/detail/literals.hpp>
#include <esx/transform/template/detail/parser.hpp>
#include <esx/transform/template/error.hpp>

#include <algorithm>

namespace esx::transform::templating::detail {

ESX_DECL builtin find_builtin(std::string_view name) noexcept {
    static constexpr std::pair<std::string_view, builtin> table[] = {
        {"and", builtin::and_},   {"call", builtin::call},       {"html", builtin::html},
        {"index", builtin::index}, {"slice", builtin::slice},    {"js", builtin::js},
        {"len", builtin::len},     {"not", builtin::not_},       {"or", builtin::or_},
        {"print", builtin::print}, {"printf", builtin::printf},  {"println", builtin::println},
        {"urlquery", builtin::urlquery},
        {"eq", builtin::eq}, {"ge", builtin::ge}, {"gt", builtin::gt},
        {"le", builtin::le}, {"lt", builtin::lt}, {"ne", builtin::ne},
    };
    for (auto const& [n, b] : table)
        if (n == name) return b;
    return builtin::none;
}

ESX_DECL std::string location(std::string_view name, std::string_view text, std::size_t pos) {
    pos = std::min(pos, text.size());
    auto const before = text.substr(0, pos);
    auto const newline = before.rfind('\n');
    std::size_t const column = newline == std::string_view::npos ? pos : pos - (newline + 1);
    std::size_t const line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    return std::string(name) + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

struct parse_abort {
    std::string message;
};

/// What all the trees of one text share while they are parsed.
struct parse_context {
    parse_request const& request;
    lexer lex;
    tree_set& trees;
    std::size_t nesting = 0;
};

bool is_empty_tree(node const* n) {
    if (!n) return true;
    switch (n->kind) {
    case node_kind::list:
        for (auto const& child : static_cast<list_node const*>(n)->nodes)
            if (!is_empty_tree(child.get())) return false;
        return true;
    case node_kind::text: {
        auto const& t = static_cast<text_node const*>(n)->text;
        return t.find_first_not_of(" \t\n\v\f\r") == std::string::npos;  // bytes.TrimSpace (ASCII part)
    }
    default: return false;
    }
}

/// One tree's parser (Go's *parse.Tree during parsing). `define` and `block` bodies get
/// their own, sharing the lexer.
class parser {
public:
    parser(parse_context& ctx, std::string name) : ctx_(ctx), name_(std::move(name)) {}

    void parse_top() {
        root_ = std::make_unique<list_node>(peek().pos);
        while (peek().kind != token_kind::eof) {
            if (peek().kind == token_kind::left_delim) {
                auto delim = next();
                if (next_non_space().kind == token_kind::keyword_define) {
                    parser definition(ctx_, "definition");
                    definition.parse_definition();
                    continue;
                }
                backup2(std::move(delim));
            }
            auto n = text_or_action();
            if (n->kind == node_kind::end_ || n->kind == node_kind::else_) errorf("unexpected " + n->str());
            root_->nodes.push_back(std::move(n));
        }
        add();
    }

private:
    // --- tokens (Go's three-token lookahead) ---------------------------------------------
    token next() {
        if (peek_count_ > 0)
            --peek_count_;
        else
            tokens_[0] = ctx_.lex.next();
        return tokens_[peek_count_];
    }
    void backup() { ++peek_count_; }
    void backup2(token t1) {
        tokens_[1] = std::move(t1);
        peek_count_ = 2;
    }
    void backup3(token t2, token t1) {
        tokens_[1] = std::move(t1);
        tokens_[2] = std::move(t2);
        peek_count_ = 3;
    }
    token peek() {
        if (peek_count_ > 0) return tokens_[peek_count_ - 1];
        peek_count_ = 1;
        tokens_[0] = ctx_.lex.next();
        return tokens_[0];
    }
    token next_non_space() {
        token t;
        do {
            t = next();
        } while (t.kind == token_kind::space);
        return t;
    }
    token peek_non_space() {
        auto t = next_non_space();
        backup();
        return t;
    }

    // --- errors ----------------------------------------------------------------------
    [[noreturn]] void errorf(std::string const& message) {
        throw parse_abort{"template: " + location(ctx_.request.name, ctx_.request.text, tokens_[0].pos) + ": " +
                          message};
    }
    token expect(token_kind expected, std::string_view context) {
        auto t = next_non_space();
        if (t.kind != expected) unexpected(t, context);
        return t;
    }
    [[noreturn]] void unexpected(token const& t, std::string_view context) {
        if (t.kind == token_kind::error) {
            std::string extra;
            if (action_line_ != 0 && action_line_ != t.line) {
                extra = " in action started at " + std::string(ctx_.request.name) + ":" + std::to_string(action_line_);
                if (t.message.ends_with(" action")) extra = extra.substr(std::string_view(" in action").size());
            }
            errorf(t.message + extra);
        }
        errorf("unexpected " + describe(t) + " in " + std::string(context));
    }

    struct nesting_guard {
        parse_context& ctx;
        nesting_guard(parser& p, std::string_view message) : ctx(p.ctx_) {
            if (ctx.nesting >= ctx.request.max_nesting) p.errorf(std::string(message));
            ++ctx.nesting;
        }
        ~nesting_guard() { --ctx.nesting; }
    };

    // --- trees -------------------------------------------------------------------------
    void add() {
        auto it = ctx_.trees.find(name_);
        if (it == ctx_.trees.end() || is_empty_tree(it->second.root.get())) {
            ctx_.trees.insert_or_assign(name_, tree{name_, std::move(root_)});
            return;
        }
        if (!is_empty_tree(root_.get())) errorf("template: multiple definition of template " + transform::detail::go_quote(name_));
    }

    void parse_definition() {
        constexpr std::string_view context = "define clause";
        auto name = next_non_space();
        if (name.kind != token_kind::string && name.kind != token_kind::raw_string) unexpected(name, context);
        auto unquoted = unquote(name.text);
        if (!unquoted) errorf("invalid syntax");
        name_ = std::move(*unquoted);
        expect(token_kind::right_delim, context);
        auto [list, end] = item_list();
        root_ = std::move(list);
        if (end->kind != node_kind::end_) errorf("unexpected " + end->str() + " in " + std::string(context));
        add();
    }

    std::pair<std::unique_ptr<list_node>, node_ptr> item_list() {
        auto list = std::make_unique<list_node>(peek_non_space().pos);
        while (peek_non_space().kind != token_kind::eof) {
            auto n = text_or_action();
            if (n->kind == node_kind::end_ || n->kind == node_kind::else_) return {std::move(list), std::move(n)};
            list->nodes.push_back(std::move(n));
        }
        errorf("unexpected EOF");
    }

    node_ptr text_or_action() {
        auto t = next_non_space();
        switch (t.kind) {
        case token_kind::text: return std::make_unique<text_node>(t.pos, t.text);
        case token_kind::left_delim: {
            action_line_ = t.line;
            auto n = action();
            action_line_ = 0;
            return n;
        }
        default: unexpected(t, "input");
        }
    }

    node_ptr action() {
        auto t = next_non_space();
        switch (t.kind) {
        case token_kind::keyword_block: return block_control();
        case token_kind::keyword_break: return break_or_continue(t, node_kind::break_, "{{break}}");
        case token_kind::keyword_continue: return break_or_continue(t, node_kind::continue_, "{{continue}}");
        case token_kind::keyword_else: return else_control();
        case token_kind::keyword_end: return std::make_unique<keyword_node>(node_kind::end_, expect(token_kind::right_delim, "end").pos);
        case token_kind::keyword_if: return control(node_kind::if_, "if");
        case token_kind::keyword_range: return control(node_kind::range, "range");
        case token_kind::keyword_template: return template_control();
        case token_kind::keyword_with: return control(node_kind::with, "with");
        default: break;
        }
        backup();
        auto const start = peek();
        return std::make_unique<action_node>(start.pos, pipeline("command", token_kind::right_delim));
    }

    node_ptr break_or_continue(token const& keyword, node_kind kind, std::string_view context) {
        auto t = next_non_space();
        if (t.kind != token_kind::right_delim) unexpected(t, context);
        if (range_depth_ == 0) errorf(std::string(context) + " outside {{range}}");
        return std::make_unique<keyword_node>(kind, keyword.pos);
    }

    std::unique_ptr<pipe_node> pipeline(std::string_view context, token_kind end) {
        auto pipe = std::make_unique<pipe_node>(peek_non_space().pos);
    decls:
        if (auto v = peek_non_space(); v.kind == token_kind::variable) {
            next();
            // In "$x foo" the token after the variable tells an argument from a declaration.
            auto after_variable = peek();
            auto following = peek_non_space();
            if (following.kind == token_kind::assign || following.kind == token_kind::declare) {
                pipe->is_assign = following.kind == token_kind::assign;
                next_non_space();
                pipe->decls.push_back(std::make_unique<variable_node>(v.pos, std::vector<std::string>{std::string(v.text)}));
                vars_.emplace_back(v.text);
            } else if (following.kind == token_kind::character && following.text == ",") {
                next_non_space();
                pipe->decls.push_back(std::make_unique<variable_node>(v.pos, std::vector<std::string>{std::string(v.text)}));
                vars_.emplace_back(v.text);
                if (context == "range" && pipe->decls.size() < 2) {
                    switch (peek_non_space().kind) {
                    case token_kind::variable:
                    case token_kind::right_delim:
                    case token_kind::right_paren: goto decls;  // the second variable of a range
                    default: errorf("range can only initialize variables");
                    }
                }
                errorf("too many declarations in " + std::string(context));
            } else if (after_variable.kind == token_kind::space) {
                backup3(std::move(v), std::move(after_variable));
            } else {
                backup2(std::move(v));
            }
        }
        for (;;) {
            auto t = next_non_space();
            if (t.kind == end) {
                check_pipeline(*pipe, context);
                return pipe;
            }
            switch (t.kind) {
            case token_kind::boolean:
            case token_kind::char_constant:
            case token_kind::complex:
            case token_kind::keyword_dot:
            case token_kind::field:
            case token_kind::identifier:
            case token_kind::number:
            case token_kind::keyword_nil:
            case token_kind::raw_string:
            case token_kind::string:
            case token_kind::variable:
            case token_kind::left_paren:
                backup();
                pipe->cmds.push_back(command());
                if (pipe->cmds.size() > 100000) errorf("pipeline too long");
                break;
            default: unexpected(t, context);
            }
        }
    }

    void check_pipeline(pipe_node const& pipe, std::string_view context) {
        if (pipe.cmds.empty()) errorf("missing value for " + std::string(context));
        for (std::size_t i = 1; i < pipe.cmds.size(); ++i) {
            switch (pipe.cmds[i]->args[0]->kind) {
            case node_kind::boolean:
            case node_kind::dot:
            case node_kind::nil:
            case node_kind::number:
            case node_kind::string: errorf("non executable command in pipeline stage " + std::to_string(i + 1));
            default: break;
            }
        }
    }

    node_ptr control(node_kind kind, std::string_view context) {
        nesting_guard guard(*this, "control structures nested too deeply (more than " +
                                       std::to_string(ctx_.request.max_nesting) + ")");
        auto const vars_mark = vars_.size();
        auto branch = std::make_unique<branch_node>(kind, 0);
        branch->pipe = pipeline(context, token_kind::right_delim);
        branch->pos = branch->pipe->pos;
        if (kind == node_kind::range) ++range_depth_;
        auto [list, next_node] = item_list();
        if (kind == node_kind::range) --range_depth_;
        branch->list = std::move(list);
        if (next_node->kind == node_kind::else_) {
            // "{{else if b}}" and "{{else with b}}" chain: parse the if/with as the whole else branch.
            if (kind == node_kind::if_ && peek().kind == token_kind::keyword_if) {
                next();
                branch->else_list = std::make_unique<list_node>(next_node->pos);
                branch->else_list->nodes.push_back(control(node_kind::if_, "if"));
            } else if (kind == node_kind::with && peek().kind == token_kind::keyword_with) {
                next();
                branch->else_list = std::make_unique<list_node>(next_node->pos);
                branch->else_list->nodes.push_back(control(node_kind::with, "with"));
            } else {
                auto [else_list, end] = item_list();
                if (end->kind != node_kind::end_) errorf("expected end; found " + end->str());
                branch->else_list = std::move(else_list);
            }
        }
        vars_.resize(vars_mark);
        return branch;
    }

    node_ptr else_control() {
        auto const p = peek_non_space();
        if (p.kind == token_kind::keyword_if || p.kind == token_kind::keyword_with)
            return std::make_unique<keyword_node>(node_kind::else_, p.pos);
        auto const t = expect(token_kind::right_delim, "else");
        return std::make_unique<keyword_node>(node_kind::else_, t.pos);
    }

    std::string template_name(token const& t, std::string_view context) {
        if (t.kind != token_kind::string && t.kind != token_kind::raw_string) unexpected(t, context);
        auto s = unquote(t.text);
        if (!s) errorf("invalid syntax");
        return std::move(*s);
    }

    node_ptr block_control() {
        constexpr std::string_view context = "block clause";
        nesting_guard guard(*this, "control structures nested too deeply (more than " +
                                       std::to_string(ctx_.request.max_nesting) + ")");
        auto const t = next_non_space();
        auto name = template_name(t, context);
        auto pipe = pipeline(context, token_kind::right_delim);
        parser block(ctx_, name);
        auto [list, end] = block.item_list();
        block.root_ = std::move(list);
        if (end->kind != node_kind::end_) errorf("unexpected " + end->str() + " in " + std::string(context));
        block.add();
        auto call = std::make_unique<template_node>(t.pos, std::move(name));
        call->pipe = std::move(pipe);
        return call;
    }

    node_ptr template_control() {
        constexpr std::string_view context = "template clause";
        auto const t = next_non_space();
        auto call = std::make_unique<template_node>(t.pos, template_name(t, context));
        if (next_non_space().kind != token_kind::right_delim) {
            backup();
            call->pipe = pipeline(context, token_kind::right_delim);
        }
        return call;
    }

    std::unique_ptr<command_node> command() {
        auto cmd = std::make_unique<command_node>(peek_non_space().pos);
        for (;;) {
            peek_non_space();  // skip leading spaces
            if (auto operand = this->operand()) cmd->args.push_back(std::move(operand));
            auto t = next();
            if (t.kind == token_kind::space) continue;
            if (t.kind == token_kind::right_delim || t.kind == token_kind::right_paren)
                backup();
            else if (t.kind != token_kind::pipe)
                unexpected(t, "operand");
            break;
        }
        if (cmd->args.empty()) errorf("empty command");
        return cmd;
    }

    static std::vector<std::string> split_dots(std::string_view s) {
        std::vector<std::string> out;
        for (;;) {
            auto const dot = s.find('.');
            out.emplace_back(s.substr(0, dot));
            if (dot == std::string_view::npos) return out;
            s.remove_prefix(dot + 1);
        }
    }

    node_ptr operand() {
        auto n = term();
        if (!n) return nullptr;
        if (peek().kind != token_kind::field) return n;
        auto chain = std::make_unique<chain_node>(peek().pos, nullptr);
        while (peek().kind == token_kind::field) chain->fields.emplace_back(next().text.substr(1));
        switch (n->kind) {
        case node_kind::field: {
            chain->target = std::move(n);
            auto const text = chain->str();
            return std::make_unique<field_node>(chain->pos, split_dots(std::string_view(text).substr(1)));
        }
        case node_kind::variable: {
            chain->target = std::move(n);
            return std::make_unique<variable_node>(chain->pos, split_dots(chain->str()));
        }
        case node_kind::boolean:
        case node_kind::string:
        case node_kind::number:
        case node_kind::nil:
        case node_kind::dot: errorf("unexpected . after term " + transform::detail::go_quote(n->str()));
        default: chain->target = std::move(n); return chain;
        }
    }

    node_ptr term() {
        auto t = next_non_space();
        switch (t.kind) {
        case token_kind::identifier: {
            auto id = std::make_unique<identifier_node>(t.pos, std::string(t.text));
            if (ctx_.request.functions) id->fn = ctx_.request.functions->find(t.text);
            if (!id->fn) id->builtin_fn = find_builtin(t.text);
            if (!id->fn && id->builtin_fn == builtin::none)
                errorf("function " + transform::detail::go_quote(t.text) + " not defined");
            return id;
        }
        case token_kind::keyword_dot: return std::make_unique<dot_node>(t.pos);
        case token_kind::keyword_nil: return std::make_unique<nil_node>(t.pos);
        case token_kind::variable: {
            if (std::find(vars_.begin(), vars_.end(), t.text) == vars_.end())
                errorf("undefined variable " + transform::detail::go_quote(t.text));
            return std::make_unique<variable_node>(t.pos, std::vector<std::string>{std::string(t.text)});
        }
        case token_kind::field: return std::make_unique<field_node>(t.pos, split_dots(t.text.substr(1)));
        case token_kind::boolean: return std::make_unique<bool_node>(t.pos, t.text == "true");
        case token_kind::char_constant:
        case token_kind::complex:
        case token_kind::number: return number(t);
        case token_kind::left_paren: {
            nesting_guard guard(*this, "max expression depth exceeded");
            return pipeline("parenthesized pipeline", token_kind::right_paren);
        }
        case token_kind::string:
        case token_kind::raw_string: {
            auto s = unquote(t.text);
            if (!s) errorf("invalid syntax");
            return std::make_unique<string_node>(t.pos, t.text, std::move(*s));
        }
        default: break;
        }
        backup();
        return nullptr;
    }

    node_ptr number(token const& t) {
        auto n = std::make_unique<number_node>(t.pos, t.text);
        auto const text = t.text;
        if (t.kind == token_kind::char_constant) {
            auto c = unquote_char(text.substr(1), text[0]);
            if (!c) errorf("invalid syntax");
            if (c->tail != "'") errorf("malformed character constant: " + std::string(text));
            n->int64 = static_cast<std::int64_t>(c->value);
            n->is_int = true;
            n->uint64 = c->value;
            n->is_uint = true;
            n->float64 = static_cast<double>(c->value);
            n->is_float = true;
            return n;
        }
        // esx has no complex numbers: a template that needs one is refused when parsed.
        if (t.kind == token_kind::complex || (!text.empty() && text.back() == 'i'))
            errorf("complex number " + transform::detail::go_quote(text) + " is not supported");
        auto const u = parse_go_uint(text);
        if (u) {
            n->is_uint = true;
            n->uint64 = *u;
        }
        if (auto const i = parse_go_int(text)) {
            n->is_int = true;
            n->int64 = *i;
            if (*i == 0) {
                n->is_uint = true;  // in case of -0
                n->uint64 = u.value_or(0);
            }
        }
        if (n->is_int) {
            n->is_float = true;
            n->float64 = static_cast<double>(n->int64);
        } else if (n->is_uint) {
            n->is_float = true;
            n->float64 = static_cast<double>(n->uint64);
        } else if (auto const f = parse_go_float(text)) {
            // Parsed as a float but looks like an integer: too large for one.
            if (text.find_first_of(".eEpP") == std::string_view::npos)
                errorf("integer overflow: " + transform::detail::go_quote(text));
            n->is_float = true;
            n->float64 = *f;
            if (*f >= -9223372036854775808.0 && *f < 9223372036854775808.0 &&
                static_cast<double>(static_cast<std::int64_t>(*f)) == *f) {
                n->is_int = true;
                n->int64 = static_cast<std::int64_t>(*f);
            }
            if (*f >= 0 && *f < 18446744073709551616.0 && static_cast<double>(static_cast<std::uint64_t>(*f)) == *f) {
                n->is_uint = true;
                n->uint64 = static_cast<std::uint64_t>(*f);
            }
        }
        if (!n->is_int && !n->is_uint && !n->is_float) errorf("illegal number syntax: " + transform::detail::go_quote(text));
        return n;
    }

    parse_context& ctx_;
    std::string name_;
    std::unique_ptr<list_node> root_;
    token tokens_[3];
    int peek_count_ = 0;
    std::vector<std::string> vars_{"$"};
    int range_depth_ = 0;
    int action_line_ = 0;
};

} // namespace

ESX_DECL result<tree_set, failure> parse(parse_request const& request) {
    tree_set trees;
    parse_context ctx{request, lexer(request.text, request.left_delim, request.right_delim), trees};
    try {
        parser top(ctx, std::string(request.name));
        top.parse_top();
    } catch (parse_abort const& e) {
        return failure(make_error_code(error::parse_failed), e.message);
    }
    return trees;
}

} // namespace esx::transform::templating::detail

#endif
