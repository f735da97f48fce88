// parser.cpp: the entry point, token buffer, error reporting and statements.
#include <fmt/format.h>

#include <cstring>

#include "interp/parser_impl.h"
#include "interp/unicode_names.h"

namespace toy {

namespace detail {

Parser::Parser(std::string_view src, ParseMode mode, Arena& arena, SyntaxErrorInfo* err)
    : lex_(src), mode_(mode), arena_(arena), err_(err) {
}

Parser::Parser(std::string_view src, uint32_t begin, uint32_t end, int line, uint32_t line_start,
               Arena& arena, SyntaxErrorInfo* err, int depth)
    : lex_(src, begin, end, line, line_start), mode_(ParseMode::kEval), arena_(arena), err_(err),
      fstring_(true), depth_(depth) {}

void Parser::fill() {
    if (!toks_.empty() && (toks_.back().kind == Tok::EndMarker || toks_.back().kind == Tok::Error)) {
        toks_.push_back(toks_.back());
        return;
    }
    toks_.push_back(lex_.next());
}

std::string Parser::ident(const Token& t) const {
    std::string_view s = text(t);
    bool ascii = true;
    for (unsigned char c : s)
        if (c >= 0x80) ascii = false;
    if (ascii) return std::string(s);
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
        if (i + n > s.size()) n = s.size() - i;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (size_t k = 1; k < n; ++k) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3Fu);
        std::string_view m = cp >= 0x80 ? unicode_nfkc_char(cp) : std::string_view();
        if (m.empty()) out.append(s.substr(i, n));
        else out.append(m);
        i += n;
    }
    return out;
}

// ---- errors -----------------------------------------------------------------------------------

std::nullptr_t Parser::error_at(int line, int col, int end_line, int end_col, std::string msg,
                                std::string_view kind) {
    if (failed_) return nullptr;
    // Once the tokenizer has failed, its error wins (CPython raises it as the token is read).
    if (!toks_.empty() && toks_.back().kind == Tok::Error) return generic_error();
    failed_ = true;
    if (fstring_) msg = "f-string: " + msg;
    // CPython shows the line with its newline when it is the tokenizer's current line,
    // without it for an earlier line.
    int cur = toks_.empty() ? line : toks_.back().line;
    if (!toks_.empty() && toks_.back().kind == Tok::Error) cur = lex_.current_line();
    lex_.make_error(err_, kind, std::move(msg), line, col, end_line, end_col, line >= cur);
    return nullptr;
}

std::nullptr_t Parser::error_tok(const Token& t, std::string msg, std::string_view kind) {
    if (t.kind == Tok::Error) return generic_error();
    if (t.col < 0) {  // the end marker: CPython reports offset 0, end_offset 0
        error_at(t.line, -1, t.end_line, 0, std::move(msg), kind);
        if (err_->end_col > 0) err_->end_col = 0;
        return nullptr;
    }
    return error_at(t.line, t.col, t.end_line, t.end_col, std::move(msg), kind);
}

std::nullptr_t Parser::error_node(const Node* n, std::string msg, std::string_view kind) {
    return error_at(n->loc.line, n->loc.col, n->loc.end_line, n->loc.end_col, std::move(msg), kind);
}

std::nullptr_t Parser::error_range(const Node* a, const Node* b, std::string msg) {
    return error_at(a->loc.line, a->loc.col, b->loc.end_line, b->loc.end_col, std::move(msg));
}

// CPython's RAISE_SYNTAX_ERROR / RAISE_INDENTATION_ERROR: at the last token read; at the end
// marker (which has no column) the offset is the end of the current line and end_offset -1.
std::nullptr_t Parser::error_last(std::string msg, std::string_view kind) {
    if (failed_) return nullptr;
    if (toks_.empty()) peek();
    if (toks_.back().kind == Tok::Error) return generic_error();
    const Token& t = toks_.back();  // tokens[fill-1]: speculative reads count here
    if (t.col < 0) {
        std::string_view lt = lex_.line_text(t.line);
        int n = 0;
        for (unsigned char c : lt)
            if ((c & 0xC0) != 0x80) ++n;
        if (lt.empty() || lt.back() != '\n') ++n;  // the newline CPython appends
        error_at(t.line, 0, t.line, -1, std::move(msg), kind);
        err_->col = n;
        err_->end_col = -1;
        err_->eof_no_column = true;
        return nullptr;
    }
    return error_tok(t, std::move(msg), kind);
}

std::nullptr_t Parser::generic_error(size_t at_index) {
    if (failed_) return nullptr;
    if (toks_.empty()) peek();
    // A tokenizer error, once read, is the error (CPython raises it as the token is read).
    const Token& t = toks_.back().kind == Tok::Error ? toks_.back()
                     : at_index < toks_.size()       ? toks_[at_index]
                     : furthest_ < toks_.size()      ? toks_[furthest_]
                                                     : toks_.back();
    if (t.kind == Tok::Error) {
        failed_ = true;
        tok_error_ = true;
        *err_ = lex_.error();
        if (fstring_) err_->msg = "f-string: " + err_->msg;
        return nullptr;
    }
    if (t.kind == Tok::Indent || t.kind == Tok::Dedent) {
        // CPython's caret sits on the last character of the indentation; and it does not
        // look further for tokenizer errors (see finish_error).
        error_at(t.line, t.col - 1, t.line, -1,
                 t.kind == Tok::Indent ? "unexpected indent" : "unexpected unindent",
                 "IndentationError");
        err_->end_col = -1;
        indent_error_ = true;
        return nullptr;
    }
    error_tok(t, "invalid syntax");
    generic_failed_ = true;
    return nullptr;
}

void Parser::too_deep() {
    if (failed_) return;
    const Token& t = peek();
    error_tok(t, "too complex");
}

// After a parser error: CPython tokenizes the rest of the input, and a tokenizer error
// found there replaces the parser's error.
void Parser::finish_error() {
    if (!failed_ || tok_error_ || fstring_ || indent_error_) return;
    int err_line = toks_.empty() ? 0 : toks_.back().line;
    if (toks_.empty() || toks_.back().kind == Tok::EndMarker || toks_.back().kind == Tok::Error) return;
    for (;;) {
        Token t = lex_.next();
        if (t.kind == Tok::EndMarker) return;
        if (t.kind == Tok::Error) {
            if (lex_.eof_in_brackets()) {
                // Only reported if the unclosed bracket is before the error's line.
                const auto& b = lex_.brackets();
                if (!b.empty() && err_line > b.back().line) *err_ = lex_.error();
                return;
            }
            const std::string& m = lex_.error().msg;
            bool soft = lex_.error().kind != "SyntaxError" ||
                        m == "unexpected character after line continuation character" ||
                        m == "unexpected EOF while parsing";
            if (!soft) *err_ = lex_.error();
            return;
        }
    }
}

bool Parser::expect(Tok t) {
    if (accept(t)) return true;
    generic_error();
    return false;
}

bool Parser::expect_forced(Tok t) {
    if (accept(t)) return true;
    const Token& cur = peek();
    if (cur.kind == Tok::Error) {
        generic_error();
        return false;
    }
    error_tok(cur, fmt::format("expected '{}'", tok_spelling(t)));
    return false;
}

// ---- module -----------------------------------------------------------------------------------

Module* Parser::parse_module() {
    Module* m = arena_.make<Module>(Loc{});
    if (mode_ == ParseMode::kEval) {
        while (at(Tok::Newline)) advance();
        Expr* e = parse_star_expressions();
        if (!e) return nullptr;
        while (at(Tok::Newline)) advance();
        if (!at(Tok::EndMarker)) return generic_error();
        ExprStmt* s = arena_.make<ExprStmt>(e->loc);
        s->value = e;
        m->body.push_back(s);
        return m;
    }
    if (mode_ == ParseMode::kSingle) {
        // One interactive statement (CPython's single_input).
        if (at(Tok::EndMarker)) {
            error_at(peek().line, -1, peek().line, -1, "invalid syntax");
            err_->col = err_->end_col = 0;
            if (lex_.source().empty()) err_->line = err_->end_line = 0;
            return nullptr;
        }
        bool compound = false;
        switch (kind()) {
        case Tok::If: case Tok::While: case Tok::For: case Tok::Try: case Tok::With:
        case Tok::Def: case Tok::Class: case Tok::At: case Tok::Async:
            compound = true;
            break;
        default: break;
        }
        if (!parse_statement(m->body)) return nullptr;
        if (!at(Tok::EndMarker)) {
            if (compound) return generic_error();
            error_tok(prev(), "multiple statements found while compiling a single statement");
            if (err_->text.empty() || err_->text.back() != '\n') err_->text += '\n';
            return nullptr;
        }
        return m;
    }
    if (!parse_statements(m->body)) return nullptr;
    if (!at(Tok::EndMarker)) return generic_error();
    return m;
}

bool Parser::parse_statements(Body& out) {
    for (;;) {
        Tok k = kind();
        if (k == Tok::EndMarker || k == Tok::Dedent) return true;
        if (k == Tok::Error) {
            generic_error();
            return false;
        }
        if (!parse_statement(out)) return false;
    }
}

bool Parser::parse_statement(Body& out) {
    DepthGuard g(this);
    if (!g.ok) return false;
    switch (kind()) {
    case Tok::If: case Tok::While: case Tok::For: case Tok::Try: case Tok::With: case Tok::Def:
    case Tok::Class: case Tok::At: case Tok::Async: {
        Stmt* s = parse_compound_stmt();
        if (!s) return false;
        out.push_back(s);
        return true;
    }
    default:
        return parse_simple_stmts(out);
    }
}

bool Parser::parse_simple_stmts(Body& out) {
    for (;;) {
        Stmt* s = parse_simple_stmt();
        if (!s) return false;
        out.push_back(s);
        if (accept(Tok::Semi)) {
            if (at(Tok::Newline)) break;
            continue;
        }
        break;
    }
    if (!accept(Tok::Newline)) {
        generic_error();
        return false;
    }
    return true;
}

// `block` after a ':'.
bool Parser::parse_block(Body& out, const char* what, int line) {
    if (accept(Tok::Newline)) {
        if (!accept(Tok::Indent)) {
            const Token& t = peek();
            if (t.kind == Tok::Error) {
                generic_error();
                return false;
            }
            error_last(fmt::format("expected an indented block after {} on line {}", what, line),
                       "IndentationError");
            return false;
        }
        if (!parse_statements(out)) return false;
        if (!accept(Tok::Dedent)) {
            generic_error();
            return false;
        }
        return true;
    }
    return parse_simple_stmts(out);
}

Stmt* Parser::parse_simple_stmt() {
    const Token& t = peek();
    switch (t.kind) {
    case Tok::Pass: advance(); return arena_.make<Pass>(loc_of(t, t));
    case Tok::Break: advance(); return arena_.make<Break>(loc_of(t, t));
    case Tok::Continue: advance(); return arena_.make<Continue>(loc_of(t, t));
    case Tok::Return: {
        advance();
        Return* r = arena_.make<Return>(loc_of(t, t));
        if (!at(Tok::Newline) && !at(Tok::Semi)) {
            r->value = parse_star_expressions();
            if (!r->value) return nullptr;
            r->loc = loc_of(t, prev());
        }
        return r;
    }
    case Tok::Raise: {
        advance();
        Raise* r = arena_.make<Raise>(loc_of(t, t));
        if (!at(Tok::Newline) && !at(Tok::Semi)) {
            r->exc = parse_expression();
            if (!r->exc) return nullptr;
            r->loc = loc_of(t, prev());
            if (accept(Tok::From)) {
                r->cause = parse_expression();
                if (!r->cause) return nullptr;
                r->loc = loc_of(t, prev());
            }
        }
        return r;
    }
    case Tok::Global:
    case Tok::Nonlocal: {
        advance();
        std::vector<std::string> names;
        const Token* last = &t;
        do {
            if (!at(Tok::Name)) return generic_error();
            last = &advance();
            names.emplace_back(ident(*last));
        } while (accept(Tok::Comma));
        if (t.kind == Tok::Global) {
            Global* g = arena_.make<Global>(loc_of(t, *last));
            g->names = std::move(names);
            return g;
        }
        Nonlocal* g = arena_.make<Nonlocal>(loc_of(t, *last));
        g->names = std::move(names);
        return g;
    }
    case Tok::Del: {
        advance();
        Delete* d = arena_.make<Delete>(loc_of(t, t));
        if (!parse_del_targets(d->targets)) return nullptr;
        d->loc = loc_of(t, prev());
        return d;
    }
    case Tok::Assert: {
        advance();
        Assert* a = arena_.make<Assert>(loc_of(t, t));
        a->test = parse_expression();
        if (!a->test) return nullptr;
        a->loc = loc_of(t, prev());
        if (accept(Tok::Comma)) {
            a->msg = parse_expression();
            if (!a->msg) return nullptr;
            a->loc = loc_of(t, prev());
        }
        return a;
    }
    case Tok::Import: return parse_import();
    case Tok::From: return parse_from_import();
    default: return parse_expr_or_assign();
    }
}

static bool augassign_op(Tok t, OperatorKind* op) {
    switch (t) {
    case Tok::PlusEqual: *op = OperatorKind::Add; return true;
    case Tok::MinEqual: *op = OperatorKind::Sub; return true;
    case Tok::StarEqual: *op = OperatorKind::Mult; return true;
    case Tok::SlashEqual: *op = OperatorKind::Div; return true;
    case Tok::DoubleSlashEqual: *op = OperatorKind::FloorDiv; return true;
    case Tok::PercentEqual: *op = OperatorKind::Mod; return true;
    case Tok::DoubleStarEqual: *op = OperatorKind::Pow; return true;
    case Tok::LeftShiftEqual: *op = OperatorKind::LShift; return true;
    case Tok::RightShiftEqual: *op = OperatorKind::RShift; return true;
    case Tok::AmperEqual: *op = OperatorKind::BitAnd; return true;
    case Tok::VBarEqual: *op = OperatorKind::BitOr; return true;
    case Tok::CircumflexEqual: *op = OperatorKind::BitXor; return true;
    case Tok::AtEqual: *op = OperatorKind::MatMult; return true;
    default: return false;
    }
}

bool Parser::is_bitwise_or_level(const Expr* e) const {
    if (grouped_.count(e)) return true;  // (x) is an atom
    switch (e->kind) {
    case ExprKind::BoolOp: case ExprKind::Compare: case ExprKind::IfExp: case ExprKind::Lambda:
    case ExprKind::NamedExpr: case ExprKind::Starred: case ExprKind::Yield:
    case ExprKind::YieldFrom:
        return false;
    case ExprKind::UnaryOp: return static_cast<const UnaryOp*>(e)->op != UnaryOpKind::Not;
    default: return true;
    }
}

// CPython's invalid_named_expression for a statement's first target `t` (starting at token
// `ti`) with the parser at its '=': `f() = 1` is "cannot assign to function call here. Maybe
// you meant '==' instead of '='?" when the value is a bitwise_or not followed by another '='.
// True when that error was reported.
bool Parser::invalid_named_assignment(Expr* t, size_t ti, Expr* bad) {
    Expr* cand = t;
    if (t->kind == ExprKind::Tuple && toks_[ti].kind != Tok::LPar &&
        !static_cast<Tuple*>(t)->elts.empty())
        cand = static_cast<Tuple*>(t)->elts.back();
    if (cand->kind == ExprKind::List || cand->kind == ExprKind::Tuple ||
        cand->kind == ExprKind::GeneratorExp)
        return false;
    if (cand->kind == ExprKind::Constant) {
        auto ck = static_cast<Constant*>(cand)->ckind;
        if (ck == ConstKind::True || ck == ConstKind::False || ck == ConstKind::None) return false;
    }
    if (!is_bitwise_or_level(cand)) return false;
    if (cand != t && invalid_target(cand, TargetsType::Star) != bad) return false;
    State st = save_state();
    advance();  // '='
    bool fires = false;
    if (starts_expression(kind())) {
        size_t b0 = p_;
        Expr* b = parse_bitor();
        if (b && !failed_) {
            fires = !at(Tok::Equal) && !at(Tok::ColonEqual) && !at(Tok::Error);
        } else {
            // PEG's bitwise_or would have matched a prefix and stopped at the operator
            // that failed here: neither '=' nor ':='.
            fires = generic_failed_ && p_ > b0 + 1 && toks_.back().kind != Tok::Error;
        }
    }
    restore_state(st);
    if (!fires) return false;
    error_node(cand, fmt::format("cannot assign to {} here. Maybe you meant '==' instead of '='?",
                                 expr_name(cand)));
    return true;
}

Stmt* Parser::parse_expr_or_assign() {
    size_t start_idx = mark();
    const Token& first = peek();
    Expr* e;
    if (at(Tok::Yield)) e = parse_yield_expr();
    else e = parse_star_expressions();
    if (!e) return nullptr;
    Tok k = kind();
    if (k == Tok::Equal) {
        // Each target is checked when its '=' is seen, before the value is parsed: CPython's
        // invalid_assignment needs only `target '='`.
        std::vector<Expr*> items{e};
        std::vector<size_t> starts{start_idx};
        while (at(Tok::Equal)) {
            Expr* t = items.back();
            size_t ti = starts.back();
            if ((t->kind == ExprKind::Yield || t->kind == ExprKind::YieldFrom) &&
                toks_[ti].kind == Tok::Yield)
                return error_node(t, "assignment to yield expression not possible");
            if (Expr* bad = invalid_target(t, TargetsType::Star)) {
                if (items.size() == 1 && invalid_named_assignment(t, ti, bad)) return nullptr;
                return error_node(bad, fmt::format("cannot assign to {}", expr_name(bad)));
            }
            advance();  // '='
            starts.push_back(mark());
            Expr* v = at(Tok::Yield) ? parse_yield_expr() : parse_star_expressions();
            if (!v) return nullptr;
            items.push_back(v);
        }
        Expr* value = items.back();
        items.pop_back();
        for (Expr* t : items)
            if (!set_context(t, Ctx::Store)) return nullptr;
        Assign* a = arena_.make<Assign>(span(start_idx));
        a->targets = std::move(items);
        a->value = value;
        return a;
    }
    OperatorKind op;
    if (augassign_op(k, &op)) {
        if (e->kind != ExprKind::Name && e->kind != ExprKind::Attribute &&
            e->kind != ExprKind::Subscript) {
            // CPython's rule (second pass) needs the value to parse before it blames the
            // target; otherwise "invalid syntax" at the operator.
            State st = save_state();
            advance();
            Expr* v = at(Tok::Yield) ? parse_yield_expr() : parse_star_expressions();
            if (v && !failed_) {
                commit_state();
                return error_node(e, fmt::format("'{}' is an illegal expression for augmented "
                                                 "assignment", expr_name(e)));
            }
            if (failed_ && !generic_failed_) {
                commit_state();
                return nullptr;
            }
            restore_state(st);
            return generic_error();
        }
        advance();
        Expr* v = at(Tok::Yield) ? parse_yield_expr() : parse_star_expressions();
        if (!v) return nullptr;
        set_context(e, Ctx::Store);
        AugAssign* a = arena_.make<AugAssign>(span(start_idx));
        a->target = e;
        a->op = op;
        a->value = v;
        return a;
    }
    if (k == Tok::Colon) {
        if (e->kind != ExprKind::Name && e->kind != ExprKind::Attribute &&
            e->kind != ExprKind::Subscript) {
            // As CPython (second pass): the annotation must parse before the target is
            // blamed; otherwise "invalid syntax" at the ':'.
            State st = save_state();
            advance();
            Expr* ann = parse_expression();
            if (ann && !failed_) {
                commit_state();
                if (e->kind == ExprKind::Tuple) {
                    const Expr* loc_e = e;
                    if (toks_[start_idx].kind != Tok::LPar) loc_e = static_cast<Tuple*>(e)->elts[0];
                    return error_node(loc_e, "only single target (not tuple) can be annotated");
                }
                if (e->kind == ExprKind::List)
                    return error_node(e, "only single target (not list) can be annotated");
                return error_node(e, "illegal target for annotation");
            }
            if (failed_ && !generic_failed_) {
                commit_state();
                return nullptr;
            }
            restore_state(st);
            return generic_error();
        }
        advance();
        Expr* ann = parse_expression();
        if (!ann) return nullptr;
        AnnAssign* a = arena_.make<AnnAssign>(span(start_idx));
        a->target = e;
        a->annotation = ann;
        a->simple = e->kind == ExprKind::Name && first.kind != Tok::LPar;
        set_context(e, Ctx::Store);
        if (accept(Tok::Equal)) {
            Expr* v = at(Tok::Yield) ? parse_yield_expr() : parse_star_expressions();
            if (!v) return nullptr;
            a->value = v;
            a->loc = span(start_idx);
        }
        return a;
    }
    // Plain expression statement.
    if (k != Tok::Newline && k != Tok::Semi) return generic_error();
    ExprStmt* s = arena_.make<ExprStmt>(span(start_idx));
    s->value = e;
    return s;
}

Stmt* Parser::parse_compound_stmt() {
    const Token& t = peek();
    switch (t.kind) {
    case Tok::If: return parse_if();
    case Tok::While: return parse_while();
    case Tok::For: return parse_for(nullptr);
    case Tok::Try: return parse_try();
    case Tok::With: return parse_with(nullptr);
    case Tok::Def: return parse_funcdef({}, nullptr);
    case Tok::Class: return parse_classdef({});
    case Tok::At: return parse_decorated();
    case Tok::Async: {
        const Token& a = advance();
        if (at(Tok::Def)) return parse_funcdef({}, &a);
        if (at(Tok::For)) return parse_for(&a);
        if (at(Tok::With)) return parse_with(&a);
        return generic_error();
    }
    default: return generic_error();
    }
}

// A compound statement ends at the last token of its last block that is not NEWLINE,
// INDENT or DEDENT (a trailing ';' included), as CPython's EXTRA does.
Loc Parser::body_end(Loc start) const {
    size_t i = p_;
    while (i > 0) {
        Tok k = toks_[i - 1].kind;
        if (k != Tok::Newline && k != Tok::Indent && k != Tok::Dedent) break;
        --i;
    }
    if (i == 0) return start;
    const Token& t = toks_[i - 1];
    start.end_line = t.end_line;
    start.end_col = t.end_col;
    return start;
}

// `if` with its `elif`s (each an If in the orelse of the previous one) and `else`. Built
// iteratively: a long elif chain must not recurse.
Stmt* Parser::parse_if() {
    If* top = nullptr;
    If* cur = nullptr;
    bool is_elif = false;
    for (;;) {
        const Token& kw = advance();
        Expr* test = parse_named_expression();
        if (!test) return nullptr;
        if (!at(Tok::Colon)) {
            if (at(Tok::Newline)) return error_tok(peek(), "expected ':'"), nullptr;
            return generic_error();
        }
        advance();
        If* s = arena_.make<If>(loc_of(kw, kw));
        s->test = test;
        if (!parse_block(s->body, is_elif ? "'elif' statement" : "'if' statement", kw.line)) return nullptr;
        s->loc = body_end(s->loc);
        if (cur) cur->orelse.push_back(s);
        else top = s;
        cur = s;
        if (at(Tok::Elif)) {
            is_elif = true;
            continue;
        }
        if (at(Tok::Else)) {
            const Token& el = advance();
            if (!expect_forced(Tok::Colon)) return nullptr;
            if (!parse_block(s->orelse, "'else' statement", el.line)) return nullptr;
            s->loc = body_end(s->loc);
        }
        break;
    }
    // Every If of the chain ends where the last one ends.
    Loc end = cur->loc;
    for (If* x = top; x; x = x->orelse.empty() || x->orelse[0]->kind != StmtKind::If || x == cur
                                 ? nullptr
                                 : static_cast<If*>(x->orelse[0])) {
        x->loc.end_line = end.end_line;
        x->loc.end_col = end.end_col;
    }
    return top;
}

Stmt* Parser::parse_while() {
    const Token& kw = advance();
    Expr* test = parse_named_expression();
    if (!test) return nullptr;
    if (!at(Tok::Colon)) {
        if (at(Tok::Newline)) return error_tok(peek(), "expected ':'"), nullptr;
        return generic_error();
    }
    advance();
    While* s = arena_.make<While>(loc_of(kw, kw));
    s->test = test;
    if (!parse_block(s->body, "'while' statement", kw.line)) return nullptr;
    s->loc = body_end(s->loc);
    if (at(Tok::Else)) {
        const Token& el = advance();
        if (!expect_forced(Tok::Colon)) return nullptr;
        if (!parse_block(s->orelse, "'else' statement", el.line)) return nullptr;
        s->loc = body_end(s->loc);
    }
    return s;
}

Stmt* Parser::parse_for(const Token* async_tok) {
    const Token& kw = advance();
    const Token& first = async_tok ? *async_tok : kw;
    Expr* target = parse_for_target();
    if (!target) return nullptr;
    advance();  // 'in'
    Expr* iter = parse_star_expressions();
    if (!iter) return nullptr;
    if (!expect_forced(Tok::Colon)) return nullptr;
    For* s = arena_.make<For>(loc_of(first, first), async_tok != nullptr);
    s->target = target;
    s->iter = iter;
    if (!parse_block(s->body, "'for' statement", kw.line)) return nullptr;
    s->loc = body_end(s->loc);
    if (at(Tok::Else)) {
        const Token& el = advance();
        if (!expect_forced(Tok::Colon)) return nullptr;
        if (!parse_block(s->orelse, "'else' statement", el.line)) return nullptr;
        s->loc = body_end(s->loc);
    }
    return s;
}

Stmt* Parser::parse_with(const Token* async_tok) {
    const Token& kw = advance();
    const Token& first = async_tok ? *async_tok : kw;
    With* s = arena_.make<With>(loc_of(first, first), async_tok != nullptr);
    // Parenthesised items: `with (a as b, c as d):`. Try it; fall back to an expression.
    bool parsed = false;
    if (at(Tok::LPar)) {
        // Scan for the matching ')' followed by ':' to decide.
        size_t depth = 0, k = 0;
        for (;; ++k) {
            Tok t = kind(k);
            if (t == Tok::LPar || t == Tok::LSqb || t == Tok::LBrace) ++depth;
            else if (t == Tok::RPar || t == Tok::RSqb || t == Tok::RBrace) {
                if (--depth == 0) break;
            } else if (t == Tok::EndMarker || t == Tok::Error || t == Tok::Newline) {
                break;
            }
        }
        if (depth == 0 && kind(k + 1) == Tok::Colon) {
            // CPython tries `'(' ','.with_item+ ','? ')' ':'` first; an item is an
            // `expression ['as' star_target]`, so a generator, yield, walrus or starred
            // element makes it an ordinary parenthesised expression instead.
            bool items_ok = true;
            size_t d = 0;
            for (size_t j = 0; j < k; ++j) {
                Tok t = kind(j);
                if (t == Tok::LPar || t == Tok::LSqb || t == Tok::LBrace) ++d;
                else if (t == Tok::RPar || t == Tok::RSqb || t == Tok::RBrace) --d;
                else if (d == 1 && (t == Tok::For || t == Tok::Yield || t == Tok::ColonEqual ||
                                    t == Tok::Star || t == Tok::Async))
                    items_ok = false;
            }
            if (k == 1) items_ok = false;  // `with ():`
            if (items_ok) {
                advance();
                for (;;) {
                    Expr* ctx = parse_expression();
                    if (!ctx) return nullptr;
                    WithItem* item = arena_.make<WithItem>(ctx->loc);
                    item->context_expr = ctx;
                    if (accept(Tok::As)) {
                        Expr* tgt = parse_star_targets(true);
                        if (!tgt) return nullptr;
                        item->optional_vars = tgt;
                        item->loc = loc_of(ctx, tgt);
                    }
                    s->items.push_back(item);
                    if (!accept(Tok::Comma)) break;
                    if (at(Tok::RPar)) break;
                }
                if (!expect(Tok::RPar)) return nullptr;
                parsed = true;
            }
        }
    }
    if (!parsed) {
        for (;;) {
            Expr* ctx = parse_expression();
            if (!ctx) return nullptr;
            WithItem* item = arena_.make<WithItem>(ctx->loc);
            item->context_expr = ctx;
            if (accept(Tok::As)) {
                Expr* tgt = parse_star_targets(true);
                if (!tgt) return nullptr;
                item->optional_vars = tgt;
                item->loc = loc_of(ctx, tgt);
            }
            s->items.push_back(item);
            if (!accept(Tok::Comma)) break;
        }
    }
    if (!at(Tok::Colon)) {
        if (at(Tok::Newline)) return error_tok(peek(), "expected ':'");
        return generic_error();
    }
    advance();
    if (!parse_block(s->body, "'with' statement", kw.line)) return nullptr;
    s->loc = body_end(s->loc);
    return s;
}

Stmt* Parser::parse_try() {
    const Token& kw = advance();
    if (!expect_forced(Tok::Colon)) return nullptr;
    Try* s = arena_.make<Try>(loc_of(kw, kw));
    if (!parse_block(s->body, "'try' statement", kw.line)) return nullptr;
    s->loc = body_end(s->loc);
    int star_mode = -1;  // unknown, 0: except, 1: except* (a TryStar)
    while (at(Tok::Except)) {
        const Token& ex = advance();
        ExceptHandler* h = arena_.make<ExceptHandler>(loc_of(ex, ex));
        bool star = at(Tok::Star);
        if (star_mode >= 0 && (int)star != star_mode) {
            const Token& last = star ? peek() : ex;
            return error_at(ex.line, ex.col, last.end_line, last.end_col,
                            "cannot have both 'except' and 'except*' on the same 'try'");
        }
        star_mode = star;
        if (star) {
            advance();
            if (at(Tok::Colon)) return error_tok(peek(), "expected one or more exception types");
        }
        if (!at(Tok::Colon)) {
            if (at(Tok::Newline)) return error_tok(peek(), "expected ':'");
            h->type = parse_expression();
            if (!h->type) return nullptr;
            if (at(Tok::Comma)) {
                // except A, B:
                advance();
                Expr* last = nullptr;
                for (;;) {
                    last = parse_expression();
                    if (!last) return nullptr;
                    if (!accept(Tok::Comma)) break;
                }
                if (at(Tok::Colon) || at(Tok::As))
                    return error_range(h->type, last, "multiple exception types must be parenthesized");
                return generic_error();
            }
            if (accept(Tok::As)) {
                if (!at(Tok::Name)) return generic_error();
                h->name = ident(advance());
            }
            if (!at(Tok::Colon)) {
                if (at(Tok::Newline)) return error_tok(peek(), "expected ':'");
                return generic_error();
            }
        }
        advance();
        if (!parse_block(h->body, star ? "'except*' statement" : "'except' statement", ex.line))
            return nullptr;
        h->loc = body_end(h->loc);
        s->handlers.push_back(h);
        s->loc = h->loc.end_line ? Loc{s->loc.line, s->loc.col, h->loc.end_line, h->loc.end_col} : s->loc;
    }
    if (at(Tok::Else)) {
        if (s->handlers.empty()) return generic_error();
        const Token& el = advance();
        if (!expect_forced(Tok::Colon)) return nullptr;
        if (!parse_block(s->orelse, "'else' statement", el.line)) return nullptr;
        s->loc = body_end(s->loc);
    }
    if (at(Tok::Finally)) {
        const Token& fi = advance();
        if (!expect_forced(Tok::Colon)) return nullptr;
        if (!parse_block(s->finalbody, "'finally' statement", fi.line)) return nullptr;
        s->loc = body_end(s->loc);
    }
    if (s->handlers.empty() && s->finalbody.empty()) {
        const Token& t = peek();
        if (t.kind == Tok::Error) return generic_error();
        return error_last("expected 'except' or 'finally' block");
    }
    if (star_mode == 1) s->kind = StmtKind::TryStar;
    return s;
}

Stmt* Parser::parse_decorated() {
    std::vector<Expr*> decos;
    while (at(Tok::At)) {
        advance();
        Expr* d = parse_named_expression();
        if (!d) return nullptr;
        decos.push_back(d);
        if (!expect(Tok::Newline)) return nullptr;
    }
    if (at(Tok::Def)) return parse_funcdef(std::move(decos), nullptr);
    if (at(Tok::Class)) return parse_classdef(std::move(decos));
    if (at(Tok::Async)) {
        const Token& a = advance();
        if (at(Tok::Def)) return parse_funcdef(std::move(decos), &a);
    }
    return generic_error();
}

Stmt* Parser::parse_funcdef(std::vector<Expr*> decorators, const Token* async_tok) {
    const Token& kw = advance();
    const Token& start = async_tok ? *async_tok : kw;
    if (!at(Tok::Name)) return generic_error();
    const Token& name = advance();
    if (!expect_forced(Tok::LPar)) return nullptr;
    Arguments* args = parse_params(false, Tok::RPar);
    if (!args) return nullptr;
    if (!expect(Tok::RPar)) return nullptr;
    FunctionDef* f = arena_.make<FunctionDef>(loc_of(start, start), async_tok != nullptr);
    f->name = ident(name);
    f->args = args;
    f->decorator_list = std::move(decorators);
    if (at(Tok::RArrow)) {
        const Token& arrow = advance();
        // CPython: a missing return annotation makes the optional part fail, and the
        // forced ':' is then reported at the '->'.
        if (!starts_expression(kind()) && !at(Tok::Error)) return error_tok(arrow, "expected ':'");
        f->returns = parse_expression();
        if (!f->returns) return nullptr;
    }
    if (!expect_forced(Tok::Colon)) return nullptr;
    if (!parse_block(f->body, "function definition", kw.line)) return nullptr;
    f->loc = body_end(f->loc);
    return f;
}

Stmt* Parser::parse_classdef(std::vector<Expr*> decorators) {
    const Token& kw = advance();
    if (!at(Tok::Name)) return generic_error();
    const Token& name = advance();
    ClassDef* c = arena_.make<ClassDef>(loc_of(kw, kw));
    c->name = ident(name);
    c->decorator_list = std::move(decorators);
    if (at(Tok::LPar)) {
        Expr* call = parse_call(nullptr, mark());  // null func: class bases
        if (!call) return nullptr;
        Call* cl = static_cast<Call*>(call);
        c->bases = std::move(cl->args);
        c->keywords = std::move(cl->keywords);
    }
    if (!expect_forced(Tok::Colon)) return nullptr;
    if (!parse_block(c->body, "class definition", kw.line)) return nullptr;
    c->loc = body_end(c->loc);
    return c;
}

// Parameters of a def (closer ')') or a lambda (closer ':').
Arg* Parser::parse_param(bool lambda, bool allow_star_annotation) {
    if (!at(Tok::Name)) {
        generic_error();
        return nullptr;
    }
    const Token& n = advance();
    Arg* a = arena_.make<Arg>(loc_of(n, n));
    a->arg = ident(n);
    if (!lambda && accept(Tok::Colon)) {
        Expr* ann = allow_star_annotation && at(Tok::Star) ? parse_star_expression() : parse_expression();
        if (!ann) return nullptr;
        a->annotation = ann;
        a->loc = loc_of(n, prev());
    }
    return a;
}

Arguments* Parser::parse_params(bool lambda, Tok closer) {
    Arguments* args = arena_.make<Arguments>(Loc{});
    bool seen_default = false, seen_star = false, seen_slash = false;
    std::vector<Arg*> plain;
    while (!at(closer)) {
        const Token& t = peek();
        if (t.kind == Tok::DoubleStar) {
            advance();
            Arg* a = parse_param(lambda, false);
            if (!a) return nullptr;
            if (at(Tok::Equal)) return error_tok(peek(), "var-keyword argument cannot have default value");
            args->kwarg = a;
            accept(Tok::Comma);
            if (!at(closer)) {
                const Token& bad = peek();
                if (bad.kind == Tok::Name || bad.kind == Tok::Star || bad.kind == Tok::DoubleStar)
                    return error_tok(bad, "arguments cannot follow var-keyword argument");
                return generic_error();
            }
            break;
        }
        if (t.kind == Tok::Star) {
            if (seen_star) return error_tok(t, "* argument may appear only once");
            advance();
            seen_star = true;
            // def reports at the '*', lambda at the token after it (CPython's rules differ)
            if (at(Tok::Comma)) {
                advance();
                if (at(closer) || at(Tok::DoubleStar))
                    return lambda ? error_last("named arguments must follow bare *")
                                  : error_tok(t, "named arguments must follow bare *");
                continue;
            }
            if (at(closer))
                return lambda ? error_last("named arguments must follow bare *")
                              : error_tok(t, "named arguments must follow bare *");
            Arg* a = parse_param(lambda, true);
            if (!a) return nullptr;
            if (at(Tok::Equal)) return error_tok(peek(), "var-positional argument cannot have default value");
            args->vararg = a;
            if (!accept(Tok::Comma)) break;
            continue;
        }
        if (t.kind == Tok::Slash) {
            if (seen_slash) return error_tok(t, "/ may appear only once");
            if (seen_star) return error_tok(t, "/ must be ahead of *");
            if (plain.empty()) return generic_error();
            advance();
            seen_slash = true;
            args->posonlyargs = std::move(plain);
            plain.clear();
            if (!accept(Tok::Comma)) break;
            continue;
        }
        if (t.kind == Tok::LPar && !lambda) {
            // def f((a, b)): CPython's "Function parameters cannot be parenthesized"
            size_t k = 1;
            while (kind(k) == Tok::Name && (kind(k + 1) == Tok::Comma || kind(k + 1) == Tok::RPar)) {
                k += kind(k + 1) == Tok::Comma ? 2 : 1;
                if (kind(k) == Tok::RPar) break;
            }
            if (k > 1 && kind(k) == Tok::RPar) {
                const Token& rp = peek(k);
                return error_at(t.line, t.col, rp.end_line, rp.end_col,
                                "Function parameters cannot be parenthesized");
            }
        }
        Arg* a = parse_param(lambda, false);
        if (!a) return nullptr;
        Expr* def = nullptr;
        if (accept(Tok::Equal)) {
            if (at(Tok::Comma) || at(closer)) return error_tok(prev(), "expected default value expression");
            def = parse_expression();
            if (!def) return nullptr;
        }
        if (seen_star) {
            args->kwonlyargs.push_back(a);
            args->kw_defaults.push_back(def);
        } else {
            if (def) {
                seen_default = true;
                args->defaults.push_back(def);
            } else if (seen_default) {
                return error_node(a, "non-default argument follows default argument");
            }
            plain.push_back(a);
        }
        if (!accept(Tok::Comma)) break;
    }
    args->args = std::move(plain);
    if (!at(closer)) {
        if (lambda) return generic_error();
        return generic_error();
    }
    return args;
}

bool Parser::parse_dotted_name(std::string& out) {
    if (!at(Tok::Name)) {
        generic_error();
        return false;
    }
    out = ident(advance());
    while (at(Tok::Dot)) {
        advance();
        if (!at(Tok::Name)) {
            generic_error();
            return false;
        }
        out += '.';
        out += ident(advance());
    }
    return true;
}

Stmt* Parser::parse_import() {
    const Token& kw = advance();
    Import* s = arena_.make<Import>(loc_of(kw, kw));
    for (;;) {
        const Token& first = peek();
        Alias* a = arena_.make<Alias>(loc_of(first, first));
        if (!parse_dotted_name(a->name)) return nullptr;
        a->loc = loc_of(first, prev());
        if (accept(Tok::As)) {
            if (!at(Tok::Name)) return generic_error();
            a->asname = ident(advance());
            a->loc = loc_of(first, prev());
        }
        s->names.push_back(a);
        if (!accept(Tok::Comma)) break;
    }
    s->loc = loc_of(kw, prev());
    return s;
}

Stmt* Parser::parse_from_import() {
    const Token& kw = advance();
    ImportFrom* s = arena_.make<ImportFrom>(loc_of(kw, kw));
    int level = 0;
    while (at(Tok::Dot) || at(Tok::Ellipsis)) level += advance().kind == Tok::Dot ? 1 : 3;
    s->level = level;
    if (!at(Tok::Import)) {
        if (!parse_dotted_name(s->module)) return nullptr;
    } else if (level == 0) {
        return generic_error();
    }
    if (!at(Tok::Import)) return generic_error();
    advance();
    if (at(Tok::Star)) {
        const Token& st = advance();
        Alias* a = arena_.make<Alias>(loc_of(st, st));
        a->name = "*";
        s->names.push_back(a);
        s->loc = loc_of(kw, st);
        return s;
    }
    bool paren = accept(Tok::LPar);
    for (;;) {
        if (!at(Tok::Name)) return generic_error();
        const Token& n = advance();
        Alias* a = arena_.make<Alias>(loc_of(n, n));
        a->name = ident(n);
        if (accept(Tok::As)) {
            if (!at(Tok::Name)) return generic_error();
            a->asname = ident(advance());
            a->loc = loc_of(n, prev());
        }
        s->names.push_back(a);
        if (!at(Tok::Comma)) break;
        advance();
        if (paren && at(Tok::RPar)) break;
        if (!paren && (at(Tok::Newline) || at(Tok::Semi)))
            return error_tok(peek(), "trailing comma not allowed without surrounding parentheses");
    }
    if (paren && !expect(Tok::RPar)) return nullptr;
    s->loc = loc_of(kw, prev());
    return s;
}

// Offset of the first byte that is not part of valid UTF-8, or npos.
size_t invalid_utf8_at(std::string_view s) {
    const unsigned char* p = (const unsigned char*)s.data();
    size_t n = s.size(), i = 0;
    while (i < n) {
        // fast path: 8 ASCII bytes at a time
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
        else return i;
        if (i + len > n) return i;
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return i;
        i += len;
    }
    return std::string_view::npos;
}

// The encoding named by a PEP 263 cookie on line 1 or 2 (lower-cased), or "".
std::string coding_cookie(std::string_view s) {
    for (int line = 0; line < 2 && !s.empty(); ++line) {
        size_t nl = s.find('\n');
        std::string_view l = s.substr(0, nl);
        size_t i = 0;
        while (i < l.size() && (l[i] == ' ' || l[i] == '\t' || l[i] == '\f')) ++i;
        if (i < l.size() && l[i] == '#') {
            size_t c = l.find("coding", i);
            if (c != std::string_view::npos && c + 6 < l.size() && (l[c + 6] == ':' || l[c + 6] == '=')) {
                size_t j = c + 7;
                while (j < l.size() && (l[j] == ' ' || l[j] == '\t')) ++j;
                std::string enc;
                while (j < l.size() && (isalnum((unsigned char)l[j]) || l[j] == '-' || l[j] == '_' || l[j] == '.'))
                    enc += (char)tolower((unsigned char)l[j++]);
                for (char& ch : enc)
                    if (ch == '_') ch = '-';
                return enc;
            }
        } else if (i < l.size()) {
            return "";  // the cookie must come before any code
        }
        if (nl == std::string_view::npos) break;
        s.remove_prefix(nl + 1);
    }
    return "";
}

}  // namespace detail

ast::Module* parse(std::string_view source, std::string_view filename, ParseMode mode,
                   ast::Arena& arena, SyntaxErrorInfo* err) {
    // Normalise newlines (\r\n and lone \r become \n) and drop a UTF-8 BOM. The AST holds
    // no pointers into the source, so a temporary copy is fine.
    std::string copy;
    if (source.size() >= 3 && memcmp(source.data(), "\xEF\xBB\xBF", 3) == 0) source.remove_prefix(3);
    if (memchr(source.data(), '\r', source.size())) {
        copy.reserve(source.size());
        for (size_t i = 0; i < source.size(); ++i) {
            char c = source[i];
            if (c == '\r') {
                copy += '\n';
                if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
            } else {
                copy += c;
            }
        }
        source = copy;
    }
    if (const void* nul = memchr(source.data(), '\0', source.size())) {
        // CPython's message for a file (compile() of a str says "source code string ...").
        size_t at = (size_t)((const char*)nul - source.data());
        int line = 1;
        size_t ls = 0;
        for (size_t i = 0; i < at; ++i)
            if (source[i] == '\n') ++line, ls = i + 1;
        *err = SyntaxErrorInfo{};
        err->msg = "source code cannot contain null bytes";
        err->line = err->end_line = line;
        err->text = std::string(source.substr(ls, at - ls)) + "\n";
        return nullptr;
    }
    // The source must be UTF-8, unless a PEP 263 cookie declares Latin-1 (then transcoded).
    size_t bad = detail::invalid_utf8_at(source);
    if (bad != std::string_view::npos) {
        std::string enc = detail::coding_cookie(source);
        if (enc == "latin-1" || enc == "iso-8859-1" || enc == "latin1" || enc == "iso8859-1" ||
            enc == "cp1252" || enc == "windows-1252" || enc == "l1") {
            std::string utf8;
            utf8.reserve(source.size() + source.size() / 8);
            for (unsigned char c : source) {
                if (c < 0x80) {
                    utf8 += (char)c;
                } else {
                    utf8 += (char)(0xC0 | (c >> 6));
                    utf8 += (char)(0x80 | (c & 0x3F));
                }
            }
            copy = std::move(utf8);
            source = copy;
        } else {
            int line = 1;
            for (size_t i = 0; i < bad; ++i)
                if (source[i] == '\n') ++line;
            *err = SyntaxErrorInfo{};
            err->msg = fmt::format("Non-UTF-8 code starting with '\\x{:02x}' in file {} on line {}, "
                                   "but no encoding declared; see https://peps.python.org/pep-0263/ "
                                   "for details",
                                   (unsigned char)source[bad], filename, line);
            err->line = err->end_line = line;
            err->no_location = true;
            return nullptr;
        }
    }
    detail::Parser p(source, mode, arena, err);
    ast::Module* m = p.parse_module();
    if (!m) {
        if (!p.failed()) p.generic_error();
        p.finish_error();
        return nullptr;
    }
    return m;
}

}  // namespace toy
