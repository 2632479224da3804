// esx::transform::templating::detail::lexer (out of line).
#ifndef ESX_TRANSFORM_TEMPLATE_IMPL_LEXER_IPP
#define ESX_TRANSFORM_TEMPLATE_IMPL_LEXER_IPP

#include <esx/transform/detail/go.hpp>
#include <esx/transform/template/detail/lexer.hpp>
#include <esx/transform/template/detail/unicode.hpp>

#include <cstdio>

namespace esx::transform::templating::detail {

namespace {

constexpr char32_t end_of_input = 0xFFFFFFFF;
constexpr std::string_view space_chars = " \t\r\n";
constexpr std::string_view left_comment = "/*";
constexpr std::string_view right_comment = "*/";
constexpr std::size_t trim_marker_len = 2;  // '-' plus a space

bool is_space(char32_t r) noexcept { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }

bool has_left_trim_marker(std::string_view s) noexcept {
    return s.size() >= 2 && s[0] == '-' && is_space(static_cast<unsigned char>(s[1]));
}
bool has_right_trim_marker(std::string_view s) noexcept {
    return s.size() >= 2 && is_space(static_cast<unsigned char>(s[0])) && s[1] == '-';
}

std::size_t right_trim_length(std::string_view s) noexcept {
    auto const keep = s.find_last_not_of(space_chars);
    return keep == std::string_view::npos ? s.size() : s.size() - keep - 1;
}
std::size_t left_trim_length(std::string_view s) noexcept {
    auto const keep = s.find_first_not_of(space_chars);
    return keep == std::string_view::npos ? s.size() : keep;
}

std::size_t count_newlines(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

token_kind keyword(std::string_view word) noexcept {
    if (word == ".") return token_kind::keyword_dot;
    if (word == "block") return token_kind::keyword_block;
    if (word == "break") return token_kind::keyword_break;
    if (word == "continue") return token_kind::keyword_continue;
    if (word == "define") return token_kind::keyword_define;
    if (word == "else") return token_kind::keyword_else;
    if (word == "end") return token_kind::keyword_end;
    if (word == "if") return token_kind::keyword_if;
    if (word == "range") return token_kind::keyword_range;
    if (word == "nil") return token_kind::keyword_nil;
    if (word == "template") return token_kind::keyword_template;
    if (word == "with") return token_kind::keyword_with;
    return token_kind::error;  // not a keyword
}

} // namespace

ESX_DECL std::string describe(token const& t) {
    switch (t.kind) {
    case token_kind::eof: return "EOF";
    case token_kind::error: return t.message;
    default: break;
    }
    if (is_keyword(t.kind)) return "<" + std::string(t.text) + ">";
    if (t.text.size() > 10) {
        // fmt's %.10q: the first ten runes, quoted, then "...".
        std::size_t i = 0;
        for (int runes = 0; runes < 10 && i < t.text.size(); ++runes)
            i += transform::detail::decode_rune(t.text, i).width;
        return transform::detail::go_quote(t.text.substr(0, i)) + "...";
    }
    return transform::detail::go_quote(t.text);
}

ESX_DECL lexer::lexer(std::string_view input, std::string_view left_delim, std::string_view right_delim)
    : input_(input), left_(left_delim.empty() ? "{{" : left_delim), right_(right_delim.empty() ? "}}" : right_delim) {}

ESX_DECL char32_t lexer::next_rune() {
    if (pos_ >= input_.size()) {
        at_eof_ = true;
        return end_of_input;
    }
    auto const [r, w] = transform::detail::decode_rune(input_, pos_);
    pos_ += w;
    if (r == '\n') ++line_;
    return r;
}

ESX_DECL char32_t lexer::peek_rune() {
    auto const r = next_rune();
    backup();
    return r;
}

ESX_DECL void lexer::backup() {
    if (!at_eof_ && pos_ > 0) {
        // Step back over the last rune (Go's utf8.DecodeLastRuneInString).
        std::size_t start = pos_ - 1;
        while (start > 0 && pos_ - start < 4 && (static_cast<unsigned char>(input_[start]) & 0xC0) == 0x80) --start;
        auto d = transform::detail::decode_rune(input_, start);
        if (start + d.width != pos_) {
            start = pos_ - 1;
            d = {transform::detail::rune_error, 1};
        }
        pos_ = start;
        if (d.rune == '\n') --line_;
    }
    // Like Go's lexer, once the end was seen nothing is backed up: the flag stays set.
}

ESX_DECL bool lexer::accept(std::string_view valid) {
    auto const r = next_rune();
    if (r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) return true;
    backup();
    return false;
}

ESX_DECL void lexer::accept_run(std::string_view valid) {
    for (;;) {
        auto const r = next_rune();
        if (r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) continue;
        backup();
        return;
    }
}

ESX_DECL token lexer::this_token(token_kind kind) {
    token t;
    t.kind = kind;
    t.pos = start_;
    t.text = input_.substr(start_, pos_ - start_);
    t.line = start_line_;
    start_ = pos_;
    start_line_ = line_;
    return t;
}

ESX_DECL bool lexer::emit(token_kind kind) { return emit_token(this_token(kind)); }

ESX_DECL bool lexer::emit_token(token t) {
    current_ = std::move(t);
    return true;
}

ESX_DECL void lexer::ignore() {
    line_ += static_cast<int>(count_newlines(input_.substr(start_, pos_ - start_)));
    start_ = pos_;
    start_line_ = line_;
}

ESX_DECL bool lexer::fail(std::string message) {
    token t;
    t.kind = token_kind::error;
    t.pos = start_;
    t.line = start_line_;
    t.message = std::move(message);
    current_ = std::move(t);
    done_ = true;
    return true;
}

ESX_DECL lexer::right_delim_state lexer::at_right_delim() const {
    auto const rest = input_.substr(pos_);
    if (has_right_trim_marker(rest) && rest.substr(trim_marker_len).starts_with(right_)) return {true, true};
    if (rest.starts_with(right_)) return {true, false};
    return {false, false};
}

ESX_DECL token lexer::next() {
    if (done_) {
        token t;
        t.kind = token_kind::eof;
        t.pos = input_.size();
        t.line = line_;
        return t;
    }
    current_ = token{token_kind::eof, pos_, "EOF", start_line_, {}};
    state_ = inside_action_ ? state::inside_action : state::text;
    for (;;) {
        bool emitted = false;
        switch (state_) {
        case state::text: emitted = lex_text(); break;
        case state::left_delim: emitted = lex_left_delim(); break;
        case state::comment: emitted = lex_comment(); break;
        case state::right_delim: emitted = lex_right_delim(); break;
        case state::inside_action: emitted = lex_inside_action(); break;
        case state::space: emitted = lex_space(); break;
        case state::identifier: emitted = lex_identifier(); break;
        case state::field: emitted = lex_field_or_variable(token_kind::field); break;
        case state::variable: emitted = lex_field_or_variable(token_kind::variable); break;
        case state::character: emitted = lex_char(); break;
        case state::number: emitted = lex_number(); break;
        case state::quote: emitted = lex_quote(); break;
        case state::raw_quote: emitted = lex_raw_quote(); break;
        }
        if (emitted) {
            if (current_.kind == token_kind::eof) done_ = true;
            return current_;
        }
    }
}

ESX_DECL bool lexer::lex_text() {
    auto const x = input_.find(left_, pos_);
    if (x != std::string_view::npos) {
        if (x > pos_) {
            pos_ = x;
            std::size_t trim = 0;
            if (has_left_trim_marker(input_.substr(pos_ + left_.size())))
                trim = right_trim_length(input_.substr(start_, pos_ - start_));
            pos_ -= trim;
            line_ += static_cast<int>(count_newlines(input_.substr(start_, pos_ - start_)));
            auto t = this_token(token_kind::text);
            pos_ += trim;
            ignore();
            state_ = state::left_delim;
            if (!t.text.empty()) return emit_token(std::move(t));
            return false;
        }
        state_ = state::left_delim;
        return false;
    }
    pos_ = input_.size();
    if (pos_ > start_) {
        line_ += static_cast<int>(count_newlines(input_.substr(start_, pos_ - start_)));
        return emit(token_kind::text);
    }
    return emit(token_kind::eof);
}

ESX_DECL bool lexer::lex_left_delim() {
    pos_ += left_.size();
    bool const trim = has_left_trim_marker(input_.substr(pos_));
    std::size_t const after_marker = trim ? trim_marker_len : 0;
    if (input_.substr(pos_ + after_marker).starts_with(left_comment)) {
        pos_ += after_marker;
        ignore();
        state_ = state::comment;
        return false;
    }
    auto t = this_token(token_kind::left_delim);
    inside_action_ = true;
    pos_ += after_marker;
    ignore();
    paren_depth_ = 0;
    return emit_token(std::move(t));
}

ESX_DECL bool lexer::lex_comment() {
    pos_ += left_comment.size();
    auto const x = input_.find(right_comment, pos_);
    if (x == std::string_view::npos) return fail("unclosed comment");
    pos_ = x + right_comment.size();
    auto const [delim, trim] = at_right_delim();
    if (!delim) return fail("comment ends before closing delimiter");
    line_ += static_cast<int>(count_newlines(input_.substr(start_, pos_ - start_)));
    this_token(token_kind::text);  // the comment itself: templates never keep it
    if (trim) pos_ += trim_marker_len;
    pos_ += right_.size();
    if (trim) pos_ += left_trim_length(input_.substr(pos_));
    ignore();
    state_ = state::text;
    return false;
}

ESX_DECL bool lexer::lex_right_delim() {
    bool const trim = at_right_delim().trim;
    if (trim) {
        pos_ += trim_marker_len;
        ignore();
    }
    pos_ += right_.size();
    auto t = this_token(token_kind::right_delim);
    if (trim) {
        pos_ += left_trim_length(input_.substr(pos_));
        ignore();
    }
    inside_action_ = false;
    return emit_token(std::move(t));
}

namespace {
/// fmt's `%#U`: `U+0022 '"'`, `U+0001` for runes that are not printable.
std::string format_rune(char32_t r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
    std::string out = buf;
    if (transform::detail::is_print(r)) {
        out += " '";
        transform::detail::append_rune(out, r);
        out += "'";
    }
    return out;
}
} // namespace

ESX_DECL bool lexer::lex_inside_action() {
    if (at_right_delim().delim) {
        if (paren_depth_ == 0) {
            state_ = state::right_delim;
            return false;
        }
        return fail("unclosed left paren");
    }
    auto const r = next_rune();
    if (r == end_of_input) return fail("unclosed action");
    if (is_space(r)) {
        backup();  // put the space back in case it starts " -}}"
        state_ = state::space;
        return false;
    }
    switch (r) {
    case '=': return emit(token_kind::assign);
    case ':':
        if (next_rune() != '=') return fail("expected :=");
        return emit(token_kind::declare);
    case '|': return emit(token_kind::pipe);
    case '"': state_ = state::quote; return false;
    case '`': state_ = state::raw_quote; return false;
    case '$': state_ = state::variable; return false;
    case '\'': state_ = state::character; return false;
    case '.':
        // ".field", unless a digit follows (".5" is a number)
        if (pos_ < input_.size()) {
            auto const c = input_[pos_];
            if (c < '0' || c > '9') {
                state_ = state::field;
                return false;
            }
        }
        backup();
        state_ = state::number;
        return false;
    case '(':
        ++paren_depth_;
        return emit(token_kind::left_paren);
    case ')':
        --paren_depth_;
        if (paren_depth_ < 0) return fail("unexpected right paren");
        return emit(token_kind::right_paren);
    default: break;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        backup();
        state_ = state::number;
        return false;
    }
    if (is_alphanumeric(r)) {
        backup();
        state_ = state::identifier;
        return false;
    }
    if (r < 0x80 && r >= 0x20 && r < 0x7F) return emit(token_kind::character);
    return fail("unrecognized character in action: " + format_rune(r));
}

ESX_DECL bool lexer::lex_space() {
    int spaces = 0;
    while (is_space(peek_rune())) {
        next_rune();
        ++spaces;
    }
    // A trim-marked right delimiter starts with a space: " -}}".
    if (has_right_trim_marker(input_.substr(pos_ - 1)) &&
        input_.substr(pos_ - 1 + trim_marker_len).starts_with(right_)) {
        backup();  // before the space
        if (spaces == 1) {
            state_ = state::right_delim;
            return false;
        }
    }
    return emit(token_kind::space);
}

ESX_DECL bool lexer::at_terminator() {
    auto const r = peek_rune();
    if (is_space(r)) return true;
    switch (r) {
    case end_of_input:
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(': return true;
    default: break;
    }
    return input_.substr(pos_).starts_with(right_);
}

ESX_DECL bool lexer::lex_identifier() {
    for (;;) {
        auto const r = next_rune();
        if (is_alphanumeric(r)) continue;
        backup();
        auto const word = input_.substr(start_, pos_ - start_);
        if (!at_terminator()) return fail("bad character " + format_rune(r));
        auto const k = keyword(word);
        if (k != token_kind::error) {
            if ((k == token_kind::keyword_break && !break_ok) || (k == token_kind::keyword_continue && !continue_ok))
                return emit(token_kind::identifier);
            return emit(k);
        }
        if (word[0] == '.') return emit(token_kind::field);
        if (word == "true" || word == "false") return emit(token_kind::boolean);
        return emit(token_kind::identifier);
    }
}

ESX_DECL bool lexer::lex_field_or_variable(token_kind kind) {
    if (at_terminator()) return emit(kind == token_kind::variable ? token_kind::variable : token_kind::keyword_dot);
    char32_t r = 0;
    for (;;) {
        r = next_rune();
        if (!is_alphanumeric(r)) {
            backup();
            break;
        }
    }
    if (!at_terminator()) return fail("bad character " + format_rune(r));
    return emit(kind);
}

ESX_DECL bool lexer::lex_char() {
    for (;;) {
        auto r = next_rune();
        if (r == '\\') {
            r = next_rune();
            if (r != end_of_input && r != '\n') continue;
            return fail("unterminated character constant");
        }
        if (r == end_of_input || r == '\n') return fail("unterminated character constant");
        if (r == '\'') break;
    }
    return emit(token_kind::char_constant);
}

ESX_DECL bool lexer::scan_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
        // A leading 0 does not mean octal in floats.
        if (accept("xX"))
            digits = "0123456789abcdefABCDEF_";
        else if (accept("oO"))
            digits = "01234567_";
        else if (accept("bB"))
            digits = "01_";
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 10 + 1 && accept("eE")) {
        accept("+-");
        accept_run("0123456789_");
    }
    if (digits.size() == 16 + 6 + 1 && accept("pP")) {
        accept("+-");
        accept_run("0123456789_");
    }
    accept("i");
    if (is_alphanumeric(peek_rune())) {
        next_rune();
        return false;
    }
    return true;
}

ESX_DECL bool lexer::lex_number() {
    if (!scan_number())
        return fail("bad number syntax: " + transform::detail::go_quote(input_.substr(start_, pos_ - start_)));
    auto const sign = peek_rune();
    if (sign == '+' || sign == '-') {
        // Complex: 1+2i. No spaces, must end in 'i'.
        if (!scan_number() || input_[pos_ - 1] != 'i')
            return fail("bad number syntax: " + transform::detail::go_quote(input_.substr(start_, pos_ - start_)));
        return emit(token_kind::complex);
    }
    return emit(token_kind::number);
}

ESX_DECL bool lexer::lex_quote() {
    for (;;) {
        auto r = next_rune();
        if (r == '\\') {
            r = next_rune();
            if (r != end_of_input && r != '\n') continue;
            return fail("unterminated quoted string");
        }
        if (r == end_of_input || r == '\n') return fail("unterminated quoted string");
        if (r == '"') break;
    }
    return emit(token_kind::string);
}

ESX_DECL bool lexer::lex_raw_quote() {
    for (;;) {
        auto const r = next_rune();
        if (r == end_of_input) return fail("unterminated raw quoted string");
        if (r == '`') break;
    }
    return emit(token_kind::raw_string);
}

} // namespace esx::transform::templating::detail

#endif
