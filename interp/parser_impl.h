// parser_impl.h: the recursive-descent parser's class, shared by parser.cpp (statements),
// parser_expr.cpp (expressions) and parser_string.cpp (literals, f-strings). Internal to
// the parser; nothing else includes it.
//
// The grammar is CPython 3.11's (Grammar/python.gram) for the supported subset, written as
// an LL parser with one or two tokens of lookahead. Errors: every parse function returns
// nullptr (or false) once an error is recorded; the first error wins. The messages and
// locations of CPython's "invalid_*" rules are produced at the point where the LL parser
// notices the problem.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_set>
#include <string>
#include <string_view>
#include <vector>

#include "interp/ast.h"
#include "interp/lexer.h"
#include "interp/parser.h"

namespace toy::detail {

using namespace toy::ast;

enum class TargetsType { Star, Del, For };

class Parser {
public:
    Parser(std::string_view src, ParseMode mode, Arena& arena, SyntaxErrorInfo* err);
    // An f-string replacement field's expression: src[begin, end) at line/line_start.
    Parser(std::string_view src, uint32_t begin, uint32_t end, int line, uint32_t line_start,
           Arena& arena, SyntaxErrorInfo* err, int depth);

    Module* parse_module();
    Expr* parse_fstring_expr();  // for the f-string sub-parser

    // ---- tokens ----
    const Token& peek(size_t k = 0) {
        while (p_ + k >= toks_.size()) fill();
        if (spec_depth_ == 0 && p_ + k > furthest_) furthest_ = p_ + k;
        return toks_[p_ + k];
    }
    Tok kind(size_t k = 0) { return peek(k).kind; }
    bool at(Tok t) { return kind() == t; }
    const Token& advance() {
        peek();
        return toks_[p_++];
    }
    bool accept(Tok t) {
        if (kind() != t) return false;
        ++p_;
        return true;
    }
    const Token& prev() const { return toks_[p_ - 1]; }
    std::string_view text(const Token& t) const { return lex_.text(t); }
    // A NAME token's identifier, NFKC-normalized as CPython does when it is not ASCII.
    std::string ident(const Token& t) const;
    void fill();

    // ---- errors ----
    bool failed() const { return failed_; }
    // "invalid syntax" (or the tokenizer's error, or unexpected indent) at the furthest
    // token read, as CPython's _PyPegen_set_syntax_error does.
    std::nullptr_t generic_error(size_t at_index = SIZE_MAX);
    std::nullptr_t error_at(int line, int col, int end_line, int end_col, std::string msg,
                            std::string_view kind = "SyntaxError");
    std::nullptr_t error_tok(const Token& t, std::string msg, std::string_view kind = "SyntaxError");
    std::nullptr_t error_node(const Node* n, std::string msg, std::string_view kind = "SyntaxError");
    std::nullptr_t error_range(const Node* a, const Node* b, std::string msg);
    // RAISE_SYNTAX_ERROR: at the last token read.
    std::nullptr_t error_last(std::string msg, std::string_view kind = "SyntaxError");
    bool expect(Tok t);                   // generic error when absent
    bool expect_forced(Tok t);            // "expected ':'" when absent
    void finish_error();                  // tokenize the rest looking for tokenizer errors

    // ---- locations ----
    // From the token at index `start` to the last token consumed (CPython's EXTRA).
    Loc span(size_t start) const {
        const Token& a = toks_[start];
        const Token& b = toks_[p_ - 1];
        return Loc{a.line, a.col, b.end_line, b.end_col};
    }
    size_t mark() {
        peek();
        return p_;
    }
    static Loc loc_of(const Token& a, const Token& b) {
        return Loc{a.line, a.col, b.end_line, b.end_col};
    }
    static Loc loc_of(const Node* a, const Token& b) {
        return Loc{a->loc.line, a->loc.col, b.end_line, b.end_col};
    }
    static Loc loc_of(const Token& a, const Node* b) {
        return Loc{a.line, a.col, b->loc.end_line, b->loc.end_col};
    }
    static Loc loc_of(const Node* a, const Node* b) {
        return Loc{a->loc.line, a->loc.col, b->loc.end_line, b->loc.end_col};
    }

    // ---- statements (parser.cpp) ----
    bool parse_statements(Body& out);  // until DEDENT/EndMarker
    bool parse_statement(Body& out);
    bool parse_simple_stmts(Body& out);
    Stmt* parse_simple_stmt();
    Stmt* parse_compound_stmt();
    bool parse_block(Body& out, const char* what, int line);
    Loc body_end(Loc start) const;
    Stmt* parse_expr_or_assign();
    bool invalid_named_assignment(Expr* t, size_t ti, Expr* bad);
    Stmt* parse_if();
    Stmt* parse_while();
    Stmt* parse_for(const Token* async_tok);
    Stmt* parse_with(const Token* async_tok);
    Stmt* parse_try();
    Stmt* parse_funcdef(std::vector<Expr*> decorators, const Token* async_tok);
    Stmt* parse_classdef(std::vector<Expr*> decorators);
    Stmt* parse_decorated();
    Stmt* parse_import();
    Stmt* parse_from_import();
    Arguments* parse_params(bool lambda, Tok closer);
    Arg* parse_param(bool lambda, bool allow_star_annotation);
    bool parse_dotted_name(std::string& out);

    // ---- expressions (parser_expr.cpp) ----
    Expr* parse_star_expressions();           // a, *b, c  -> Tuple
    Expr* parse_star_expression();
    Expr* parse_star_named_expression();
    Expr* parse_named_expression();
    Expr* parse_expression();
    Expr* parse_lambda();
    Expr* parse_disjunction();
    Expr* parse_conjunction();
    Expr* parse_inversion();
    Expr* parse_comparison();
    Expr* parse_bitor();
    Expr* parse_bitxor();
    Expr* parse_bitand();
    Expr* parse_shift();
    Expr* parse_sum();
    Expr* parse_term();
    Expr* parse_factor();
    Expr* parse_power();
    Expr* parse_await_primary();
    Expr* parse_primary();
    Expr* parse_atom();
    Expr* parse_paren();
    Expr* parse_list_display();
    Expr* parse_brace_display();
    Expr* parse_dict_value();
    bool comprehension_target_hint(Expr* first, Expr* last);
    Expr* parse_slices();
    Expr* parse_slice();
    Expr* parse_call(Expr* func, size_t start);
    Expr* parse_yield_expr();
    Expr* parse_star_targets(bool single = false);  // for/with/comprehension targets
    Expr* parse_for_target();  // star_targets then 'in' (left unconsumed), with CPython's errors
    bool parse_del_targets(std::vector<Expr*>& out);
    bool parse_comprehension_clauses(std::vector<Comprehension*>& out);
    Expr* parse_genexp_after(Expr* elt, const Token& open);  // elt consumed, at 'for'
    bool starts_expression(Tok t);
    Expr* parse_number(const Token& t);

    // Targets: set the context to Store/Del; on an invalid target report CPython's error.
    bool set_context(Expr* e, Ctx ctx);
    Expr* invalid_target(Expr* e, TargetsType type);
    bool check_target(Expr* e, TargetsType type);
    static const char* expr_name(const Expr* e);
    // Is `e` an expression of the bitwise_or level or tighter (what CPython's
    // invalid_named_expression accepts as the left side of a mistaken '=')?
    bool is_bitwise_or_level(const Expr* e) const;

    // ---- strings (parser_string.cpp) ----
    Expr* parse_strings();
    bool decode_string(const Token& t, std::string& out, bool* is_bytes, bool* is_f,
                       bool* is_raw, uint32_t* body_begin, uint32_t* body_end);
    bool parse_fstring_body(const Token& tok, uint32_t b, uint32_t e, bool raw,
                            std::vector<Expr*>& parts, std::string& lit, Loc loc, int depth,
                            uint32_t* stop = nullptr);
    void fstring_error_location(uint32_t expr_begin, uint32_t expr_end, int line, uint32_t line_start);
    bool decode_escapes(const Token& tok, std::string_view body, bool is_bytes, std::string& out);

    // ---- depth guard ----
    struct DepthGuard {
        Parser* p;
        bool ok;
        explicit DepthGuard(Parser* pp) : p(pp), ok(++pp->depth_ <= kMaxDepth) {
            if (!ok) p->too_deep();
        }
        ~DepthGuard() { --p->depth_; }
    };
    void too_deep();
    // Nesting limit of the recursive descent (each bracket, unary operator, 'not', '**',
    // lambda, conditional expression or compound statement counts one). Brackets alone stop
    // at the tokenizer's 200 first, as in CPython; a C stack of 1 MB is plenty.
    static constexpr int kMaxDepth = 400;

    Lexer lex_;
    std::deque<Token> toks_;  // a deque: references to tokens stay valid as it grows
    size_t p_ = 0;
    ParseMode mode_;
    Arena& arena_;
    SyntaxErrorInfo* err_;
    bool failed_ = false;
    bool tok_error_ = false;  // the error came from the tokenizer
    bool indent_error_ = false;  // "unexpected indent/unindent"

    // Speculative parsing (CPython's invalid_* rules that look ahead and may fail): save the
    // position and error state, try, restore.
    struct State {
        size_t p;
        bool failed, tok_error, generic_failed;
        SyntaxErrorInfo err;
    };
    // While spec_depth_ > 0 the tokens read do not move `furthest_`, the token CPython's
    // first pass reached, where a plain "invalid syntax" is reported.
    State save_state() {
        ++spec_depth_;
        return State{p_, failed_, tok_error_, generic_failed_, *err_};
    }
    void restore_state(const State& s) {
        --spec_depth_;
        p_ = s.p;
        failed_ = s.failed;
        tok_error_ = s.tok_error;
        generic_failed_ = s.generic_failed;
        *err_ = s.err;
    }
    // Ends a speculation whose result is kept (its errors included).
    void commit_state() { --spec_depth_; }
    int spec_depth_ = 0;
    size_t furthest_ = 0;
    bool generic_failed_ = false;  // the error is a plain "invalid syntax"
    bool action_error_ = false;  // the error came from a literal's decoding (kept by speculation)
    bool fstring_ = false;
    int depth_ = 0;
    std::unordered_set<const Expr*> grouped_;  // expressions written in parentheses: (x)
    int no_invalid_ = 0;          // > 0: inside CPython's expression_without_invalid
    bool skip_comma_check_ = false;  // the next parse_expression skips its invalid_expression check
};

size_t invalid_utf8_at(std::string_view s);
std::string coding_cookie(std::string_view s);

}  // namespace toy::detail
