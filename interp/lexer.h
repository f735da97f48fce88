// lexer.h: UTF-8 source bytes -> tokens, following CPython 3.11's tokenizer
// (Parser/tokenizer.c): INDENT/DEDENT from an indentation stack, NEWLINE only at the end of
// logical lines, implicit joining inside brackets, backslash continuations, and its error
// messages and positions.
//
// Tokens are produced on demand (`next()`), so an error far down the file is only seen when
// the parser gets there, as in CPython. String and number tokens are only delimited here;
// the parser decodes them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "interp/parser.h"
#include "interp/token.h"

namespace toy {

class Lexer {
public:
    // `source` must outlive the lexer. Carriage returns must already be normalised away
    // (parse() does that).
    explicit Lexer(std::string_view source);

    // A lexer over source[begin, end) (an f-string replacement field), which starts at
    // `line`/`col` and behaves as if inside brackets: newlines are ignored and the end of
    // input is the end marker.
    Lexer(std::string_view source, uint32_t begin, uint32_t end, int line, uint32_t line_start);

    // The next token. On a tokenizer error: Tok::Error, with error() filled.
    Token next();

    const SyntaxErrorInfo& error() const { return err_; }
    bool failed() const { return failed_; }

    std::string_view source() const { return src_; }
    std::string_view text(const Token& t) const { return src_.substr(t.start, t.end - t.start); }

    // The text of 1-based source line `line` (with its newline if it has one), if the
    // lexer has reached it.
    std::string_view line_text(int line) const;
    // Byte offset at which 1-based `line` starts.
    uint32_t line_start(int line) const;

    // Open brackets, innermost last.
    struct Bracket {
        char ch;
        int line, col;
    };
    const std::vector<Bracket>& brackets() const { return brackets_; }
    // True if the last token was an Error produced because the input ended inside brackets.
    bool eof_in_brackets() const { return eof_in_brackets_; }

    // Fills *err with a SyntaxError (or `kind`) at the given byte columns; converts them to
    // CPython's 1-based character offsets. end_col < 0 is passed through as is. The text is
    // the source line, with a newline if add_newline, else without.
    void make_error(SyntaxErrorInfo* err, std::string_view kind, std::string msg, int line,
                    int byte_col, int end_line, int end_byte_col, bool add_newline) const;

    // The line the tokenizer is on, as CPython counts it (the end of input does not start a
    // new line).
    int current_line() const {
        return (pos_ >= end_ && pos_ == line_begin_ && line_ > first_line_) ? line_ - 1 : line_;
    }

    // Maximum bracket nesting (CPython's MAXLEVEL) and indentation depth (MAXINDENT).
    static constexpr int kMaxLevel = 200;
    static constexpr int kMaxIndent = 100;

private:
    Token error_at(int line, int byte_col, std::string msg, std::string_view kind = "SyntaxError",
                   int end_byte_col = -2);
    Token make(Tok kind, uint32_t start, uint32_t end);
    void ensure_newline() {
        if (err_.text.empty() || err_.text.back() != '\n') err_.text += '\n';
    }
    bool at_line_start();  // handles indentation; false on error
    Token lex_number(uint32_t start);
    Token lex_string(uint32_t start, uint32_t quote_pos);
    bool verify_end_of_number(uint32_t at, const char* kind, Token* out);
    uint32_t decimal_tail(uint32_t p, bool* ok);
    bool verify_identifier(uint32_t start, uint32_t end, Token* out);
    void newline_at(uint32_t next_line_start);

    int peekc(uint32_t p) const { return p < end_ ? (unsigned char)src_[p] : -1; }

    std::string_view src_;
    uint32_t pos_ = 0, end_ = 0;
    int line_ = 1;
    uint32_t line_begin_ = 0;  // byte offset of the current line
    std::vector<uint32_t> line_starts_;  // line_starts_[i] = offset of line (first_line_ + i)
    int first_line_ = 1;
    bool atbol_ = true;
    bool fstring_ = false;
    int pending_ = 0;  // > 0: INDENTs to emit, < 0: DEDENTs
    std::vector<int> indents_{0}, altindents_{0};
    std::vector<Bracket> brackets_;
    bool eof_in_brackets_ = false;
    bool done_ = false;
    bool failed_ = false;
    bool emitted_any_ = false;       // a token other than NEWLINE/INDENT/DEDENT on this line
    bool last_was_newline_ = true;   // for the implicit NEWLINE at EOF
    SyntaxErrorInfo err_;
};

}  // namespace toy
