// esx::transform::templating::detail::lexer: Go text/template's scanner.
//
// Turns template text into tokens the way Go's text/template/parse lexer does (Go 1.26):
// text between actions, delimiters (custom ones included), trim markers `{{- ` and ` -}}`
// that eat the neighbouring ASCII white space, comments `{{/* */}}`, and inside actions
// identifiers, fields, variables, strings (interpreted and raw), characters, numbers
// (with Go's literal syntax: 0x, 0o, 0b, underscores, exponents), `:=`, `=`, `|`, parens.
// The parser decides what the tokens mean; a lexical error is a token of kind `error`.
#ifndef ESX_TRANSFORM_TEMPLATE_DETAIL_LEXER_HPP
#define ESX_TRANSFORM_TEMPLATE_DETAIL_LEXER_HPP

#include <esx/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace esx::transform::templating::detail {

enum class token_kind : std::uint8_t {
    error,         ///< `text` is the message
    boolean,       ///< true, false
    character,     ///< printable ASCII punctuation inside an action (`,` and the like)
    char_constant, ///< 'x'
    complex,       ///< 1+2i
    assign,        ///< =
    declare,       ///< :=
    eof,
    field,         ///< .Name
    identifier,    ///< a function name
    left_delim,
    left_paren,
    number,
    pipe,          ///< |
    raw_string,    ///< `...` (quotes included)
    right_delim,
    right_paren,
    space,         ///< a run of spaces inside an action
    string,        ///< "..." (quotes included)
    text,          ///< text outside actions
    variable,      ///< $, $x
    // keywords
    keyword_block,
    keyword_break,
    keyword_continue,
    keyword_dot,
    keyword_define,
    keyword_else,
    keyword_end,
    keyword_if,
    keyword_nil,
    keyword_range,
    keyword_template,
    keyword_with,
};

inline bool is_keyword(token_kind k) noexcept { return k >= token_kind::keyword_block; }

struct token {
    token_kind kind = token_kind::eof;
    std::size_t pos = 0;   ///< byte offset of the token's start in the template text
    std::string_view text; ///< the token's bytes (for `error`, the message: see `message`)
    int line = 1;          ///< line of the token's start
    std::string message;   ///< for `error` tokens
};

/// Go's `item.String()`: `EOF`, `<end>` for keywords, `"x"` quoted (`%.10q...` when longer
/// than ten bytes), the message for errors. What "unexpected %s in %s" prints.
ESX_DECL std::string describe(token const& t);

class lexer {
public:
    lexer(std::string_view input, std::string_view left_delim, std::string_view right_delim);

    /// The next token; after `eof` or `error`, `eof` forever.
    token next();

    /// Go turns `break`/`continue` into identifiers when a function of that name exists.
    bool break_ok = true;
    bool continue_ok = true;

private:
    // One state step: returns true once `current_` holds a token to hand out.
    bool lex_text();
    bool lex_left_delim();
    bool lex_comment();
    bool lex_right_delim();
    bool lex_inside_action();
    bool lex_space();
    bool lex_identifier();
    bool lex_field_or_variable(token_kind kind);
    bool lex_char();
    bool lex_number();
    bool lex_quote();
    bool lex_raw_quote();

    char32_t next_rune();
    char32_t peek_rune();
    void backup();
    bool accept(std::string_view valid);
    void accept_run(std::string_view valid);
    bool scan_number();
    bool at_terminator();
    struct right_delim_state {
        bool delim;
        bool trim;
    };
    right_delim_state at_right_delim() const;

    bool emit(token_kind kind);
    token this_token(token_kind kind);
    bool emit_token(token t);
    void ignore();
    bool fail(std::string message);

    std::string_view input_;
    std::string_view left_;
    std::string_view right_;
    std::size_t pos_ = 0;
    std::size_t start_ = 0;
    bool at_eof_ = false;
    int paren_depth_ = 0;
    int line_ = 1;
    int start_line_ = 1;
    bool inside_action_ = false;
    bool done_ = false;
    enum class state { text, left_delim, comment, right_delim, inside_action, space, identifier, field, variable,
                       character, number, quote, raw_quote };
    state state_ = state::text;
    token current_;
};

} // namespace esx::transform::templating::detail

#if ESX_HEADER_ONLY
#  include <esx/transform/template/impl/lexer.ipp>
#endif

#endif
