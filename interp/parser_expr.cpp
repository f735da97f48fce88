// parser_expr.cpp: expressions, targets and their error messages.
#include <fmt/format.h>

#include "interp/parser_impl.h"

namespace toy::detail {

bool Parser::starts_expression(Tok t) {
    switch (t) {
    case Tok::Name: case Tok::Number: case Tok::String: case Tok::LPar: case Tok::LSqb:
    case Tok::LBrace: case Tok::Minus: case Tok::Plus: case Tok::Tilde: case Tok::Not:
    case Tok::Lambda: case Tok::Await: case Tok::None: case Tok::True: case Tok::False:
    case Tok::Ellipsis:
        return true;
    default:
        return false;
    }
}

const char* Parser::expr_name(const Expr* e) {
    switch (e->kind) {
    case ExprKind::Attribute: return "attribute";
    case ExprKind::Subscript: return "subscript";
    case ExprKind::Starred: return "starred";
    case ExprKind::Name: return "name";
    case ExprKind::List: return "list";
    case ExprKind::Tuple: return "tuple";
    case ExprKind::Lambda: return "lambda";
    case ExprKind::Call: return "function call";
    case ExprKind::BoolOp: case ExprKind::BinOp: case ExprKind::UnaryOp: return "expression";
    case ExprKind::GeneratorExp: return "generator expression";
    case ExprKind::Yield: case ExprKind::YieldFrom: return "yield expression";
    case ExprKind::Await: return "await expression";
    case ExprKind::ListComp: return "list comprehension";
    case ExprKind::SetComp: return "set comprehension";
    case ExprKind::DictComp: return "dict comprehension";
    case ExprKind::Dict: return "dict literal";
    case ExprKind::Set: return "set display";
    case ExprKind::JoinedStr: case ExprKind::FormattedValue: return "f-string expression";
    case ExprKind::Constant:
        switch (static_cast<const Constant*>(e)->ckind) {
        case ConstKind::None: return "None";
        case ConstKind::False: return "False";
        case ConstKind::True: return "True";
        case ConstKind::Ellipsis: return "ellipsis";
        default: return "literal";
        }
    case ExprKind::Compare: return "comparison";
    case ExprKind::IfExp: return "conditional expression";
    case ExprKind::NamedExpr: return "named expression";
    default: return "expression";
    }
}

// CPython's _PyPegen_get_invalid_target.
Expr* Parser::invalid_target(Expr* e, TargetsType type) {
    if (!e) return nullptr;
    switch (e->kind) {
    case ExprKind::List:
        for (Expr* x : static_cast<List*>(e)->elts)
            if (Expr* b = invalid_target(x, type)) return b;
        return nullptr;
    case ExprKind::Tuple:
        for (Expr* x : static_cast<Tuple*>(e)->elts)
            if (Expr* b = invalid_target(x, type)) return b;
        return nullptr;
    case ExprKind::Starred:
        if (type == TargetsType::Del) return e;
        return invalid_target(static_cast<Starred*>(e)->value, type);
    case ExprKind::Compare:
        if (type == TargetsType::For) {
            auto* c = static_cast<Compare*>(e);
            if (c->ops[0] == CmpOpKind::In) return invalid_target(c->left, type);
            return nullptr;
        }
        return e;
    case ExprKind::Name: case ExprKind::Subscript: case ExprKind::Attribute:
        return nullptr;
    default:
        return e;
    }
}

bool Parser::set_context(Expr* e, Ctx ctx) {
    switch (e->kind) {
    case ExprKind::Name: static_cast<Name*>(e)->ctx = ctx; return true;
    case ExprKind::Attribute: static_cast<Attribute*>(e)->ctx = ctx; return true;
    case ExprKind::Subscript: static_cast<Subscript*>(e)->ctx = ctx; return true;
    case ExprKind::Starred:
        static_cast<Starred*>(e)->ctx = ctx;
        return set_context(static_cast<Starred*>(e)->value, ctx);
    case ExprKind::List:
        static_cast<List*>(e)->ctx = ctx;
        for (Expr* x : static_cast<List*>(e)->elts)
            if (!set_context(x, ctx)) return false;
        return true;
    case ExprKind::Tuple:
        static_cast<Tuple*>(e)->ctx = ctx;
        for (Expr* x : static_cast<Tuple*>(e)->elts)
            if (!set_context(x, ctx)) return false;
        return true;
    default:
        error_node(e, fmt::format("cannot {} {}", ctx == Ctx::Del ? "delete" : "assign to", expr_name(e)));
        return false;
    }
}

bool Parser::check_target(Expr* e, TargetsType type) {
    if (Expr* bad = invalid_target(e, type)) {
        error_node(bad, fmt::format("cannot {} {}", type == TargetsType::Del ? "delete" : "assign to",
                                    expr_name(bad)));
        return false;
    }
    return set_context(e, type == TargetsType::Del ? Ctx::Del : Ctx::Store);
}

// ---- top levels -------------------------------------------------------------------------------

Expr* Parser::parse_star_expressions() {
    const Token& first_tok = peek();
    Expr* first = parse_star_expression();
    if (!first) return nullptr;
    if (!at(Tok::Comma)) return first;
    Tuple* t = arena_.make<Tuple>(Loc{});
    t->elts.push_back(first);
    while (accept(Tok::Comma)) {
        if (!starts_expression(kind()) && !at(Tok::Star)) break;
        Expr* e = parse_star_expression();
        if (!e) return nullptr;
        t->elts.push_back(e);
    }
    t->loc = loc_of(first_tok, prev());
    return t;
}

Expr* Parser::parse_star_expression() {
    if (at(Tok::Star)) {
        DepthGuard g(this);
        if (!g.ok) return nullptr;
        const Token& st = advance();
        Expr* v = parse_bitor();
        if (!v) return nullptr;
        Starred* s = arena_.make<Starred>(loc_of(st, prev()));
        s->value = v;
        return s;
    }
    return parse_expression();
}

Expr* Parser::parse_star_named_expression() {
    if (at(Tok::Star)) {
        DepthGuard g(this);
        if (!g.ok) return nullptr;
        const Token& st = advance();
        Expr* v = parse_bitor();
        if (!v) return nullptr;
        Starred* s = arena_.make<Starred>(loc_of(st, prev()));
        s->value = v;
        return s;
    }
    return parse_named_expression();
}

Expr* Parser::parse_named_expression() {
    if (at(Tok::Name) && kind(1) == Tok::ColonEqual) {
        size_t s0 = mark();
        const Token& n = advance();
        advance();
        Expr* v = parse_expression();
        if (!v) return nullptr;
        Name* target = arena_.make<Name>(loc_of(n, n));
        target->id = ident(n);
        target->ctx = Ctx::Store;
        NamedExpr* ne = arena_.make<NamedExpr>(span(s0));
        ne->target = target;
        ne->value = v;
        return ne;
    }
    Expr* e = parse_expression();
    if (!e) return nullptr;
    if (at(Tok::ColonEqual)) {
        // the (second-pass) rule needs `expression ':=' expression`
        State st = save_state();
        advance();
        Expr* v = parse_expression();
        if (v && !failed_) {
            commit_state();
            return error_node(e, fmt::format("cannot use assignment expressions with {}", expr_name(e)));
        }
        if (failed_ && !generic_failed_) {
            commit_state();
            return nullptr;
        }
        restore_state(st);
        return generic_error();
    }
    if (at(Tok::Equal)) {
        // CPython's invalid_named_expression: `if x = 1:` and `if f() = 1:`.
        bool excluded = e->kind == ExprKind::List || e->kind == ExprKind::Tuple ||
                        e->kind == ExprKind::GeneratorExp;
        if (e->kind == ExprKind::Constant) {
            auto ck = static_cast<Constant*>(e)->ckind;
            excluded = ck == ConstKind::True || ck == ConstKind::False || ck == ConstKind::None;
        }
        bool bitor_level = true;
        if (!grouped_.count(e)) switch (e->kind) {
        case ExprKind::BoolOp: case ExprKind::Compare: case ExprKind::IfExp: case ExprKind::Lambda:
            bitor_level = false;
            break;
        case ExprKind::UnaryOp:
            bitor_level = static_cast<UnaryOp*>(e)->op != UnaryOpKind::Not;
            break;
        default: break;
        }
        if (bitor_level && (e->kind == ExprKind::Name || !excluded)) {
            State st = save_state();
            advance();
            size_t b0 = p_;
            Expr* b = starts_expression(kind()) ? parse_bitor() : nullptr;
            if (!b && failed_ && generic_failed_ && p_ > b0 + 1 && e->kind != ExprKind::Name &&
                toks_.back().kind != Tok::Error) {
                // PEG's bitwise_or matched a prefix and stopped before an operator.
                commit_state();
                failed_ = false;
                generic_failed_ = false;
                return error_node(e, fmt::format("cannot assign to {} here. Maybe you meant '==' "
                                                 "instead of '='?", expr_name(e)));
            }
            if (b && !failed_ && !at(Tok::Equal) && !at(Tok::ColonEqual)) {
                commit_state();
                if (e->kind == ExprKind::Name)
                    return error_range(e, b, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
                return error_node(e, fmt::format("cannot assign to {} here. Maybe you meant '==' "
                                                 "instead of '='?", expr_name(e)));
            }
            if (failed_ && (tok_error_ || action_error_)) {
                commit_state();
                return nullptr;
            }
            restore_state(st);
        }
    }
    return e;
}

Expr* Parser::parse_expression() {
    if (at(Tok::Lambda)) return parse_lambda();
    DepthGuard g(this);
    if (!g.ok) return nullptr;
    bool skip_check = skip_comma_check_ || no_invalid_ > 0;
    skip_comma_check_ = false;
    size_t s0 = mark();
    Expr* a = parse_disjunction();
    if (!a) return nullptr;
    if (at(Tok::If)) {
        advance();
        Expr* test = parse_disjunction();
        if (!test) return nullptr;
        if (!accept(Tok::Else)) {
            if (peek().kind == Tok::Error || at(Tok::Colon)) return generic_error();
            return error_range(a, test, "expected 'else' after 'if' expression");
        }
        Expr* orelse = parse_expression();
        if (!orelse) return nullptr;
        IfExp* ie = arena_.make<IfExp>(span(s0));
        ie->test = test;
        ie->body = a;
        ie->orelse = orelse;
        return ie;
    }
    // CPython's invalid_expression: two expressions in a row. Inside brackets that is the
    // comma hint; anywhere, the second expression is parsed, so errors in decoding its
    // literals (or tokenizer errors) surface.
    if (!skip_check && starts_expression(kind()) && !(a->kind == ExprKind::Name && at(Tok::String))) {
        State st = save_state();
        ++no_invalid_;
        Expr* b = parse_expression();
        --no_invalid_;
        if (b && !failed_ && prev().level > 0) {
            bool legacy = a->kind == ExprKind::Name && (static_cast<Name*>(a)->id == "print" ||
                                                         static_cast<Name*>(a)->id == "exec");
            if (!legacy) {
                commit_state();
                return error_range(a, b, "invalid syntax. Perhaps you forgot a comma?");
            }
        }
        if (failed_ && (tok_error_ || action_error_)) {
            commit_state();
            return nullptr;
        }
        restore_state(st);
    }
    // CPython's invalid_legacy_expression: NAME !'(' star_expressions -- `print "x"`. The
    // star_expressions is parsed with the invalid_* rules on, so errors inside it surface.
    if (!skip_check && a->kind == ExprKind::Name && p_ == s0 + 1 && !at(Tok::LPar) &&
        (starts_expression(kind()) || at(Tok::Star))) {
        State st = save_state();
        Expr* b = parse_star_expressions();
        if (b && !failed_) {
            const std::string& id = static_cast<Name*>(a)->id;
            if (id == "print" || id == "exec") {
                commit_state();
                return error_range(a, b, fmt::format("Missing parentheses in call to '{}'. Did you "
                                                     "mean {}(...)?", id, id));
            }
        } else if (failed_ && !generic_failed_) {
            commit_state();
            return nullptr;
        }
        restore_state(st);
    }
    return a;
}

Expr* Parser::parse_lambda() {
    DepthGuard g(this);
    if (!g.ok) return nullptr;
    const Token& kw = advance();
    Arguments* args = parse_params(true, Tok::Colon);
    if (!args) return nullptr;
    if (!expect(Tok::Colon)) return nullptr;
    Expr* body = parse_expression();
    if (!body) return nullptr;
    Lambda* l = arena_.make<Lambda>(loc_of(kw, prev()));
    l->args = args;
    l->body = body;
    return l;
}

Expr* Parser::parse_disjunction() {
    size_t s0 = mark();
    Expr* a = parse_conjunction();
    if (!a || !at(Tok::Or)) return a;
    BoolOp* b = arena_.make<BoolOp>(Loc{});
    b->op = BoolOpKind::Or;
    b->values.push_back(a);
    while (accept(Tok::Or)) {
        Expr* c = parse_conjunction();
        if (!c) return nullptr;
        b->values.push_back(c);
    }
    b->loc = span(s0);
    return b;
}

Expr* Parser::parse_conjunction() {
    size_t s0 = mark();
    Expr* a = parse_inversion();
    if (!a || !at(Tok::And)) return a;
    BoolOp* b = arena_.make<BoolOp>(Loc{});
    b->op = BoolOpKind::And;
    b->values.push_back(a);
    while (accept(Tok::And)) {
        Expr* c = parse_inversion();
        if (!c) return nullptr;
        b->values.push_back(c);
    }
    b->loc = span(s0);
    return b;
}

Expr* Parser::parse_inversion() {
    if (at(Tok::Not)) {
        DepthGuard g(this);
        if (!g.ok) return nullptr;
        const Token& n = advance();
        Expr* operand = parse_inversion();
        if (!operand) return nullptr;
        UnaryOp* u = arena_.make<UnaryOp>(loc_of(n, prev()));
        u->op = UnaryOpKind::Not;
        u->operand = operand;
        return u;
    }
    return parse_comparison();
}

Expr* Parser::parse_comparison() {
    size_t s0 = mark();
    Expr* a = parse_bitor();
    if (!a) return nullptr;
    Compare* c = nullptr;
    for (;;) {
        CmpOpKind op;
        Tok k = kind();
        switch (k) {
        case Tok::EqEqual: op = CmpOpKind::Eq; break;
        case Tok::NotEqual: op = CmpOpKind::NotEq; break;
        case Tok::Less: op = CmpOpKind::Lt; break;
        case Tok::LessEqual: op = CmpOpKind::LtE; break;
        case Tok::Greater: op = CmpOpKind::Gt; break;
        case Tok::GreaterEqual: op = CmpOpKind::GtE; break;
        case Tok::In: op = CmpOpKind::In; break;
        case Tok::Is: op = kind(1) == Tok::Not ? CmpOpKind::IsNot : CmpOpKind::Is; break;
        case Tok::Not:
            if (kind(1) != Tok::In) goto done;
            op = CmpOpKind::NotIn;
            break;
        default: goto done;
        }
        advance();
        if (op == CmpOpKind::IsNot || op == CmpOpKind::NotIn) advance();
        {
            Expr* b = parse_bitor();
            if (!b) return nullptr;
            if (!c) {
                c = arena_.make<Compare>(Loc{});
                c->left = a;
            }
            c->ops.push_back(op);
            c->comparators.push_back(b);
        }
    }
done:
    if (!c) return a;
    c->loc = span(s0);
    return c;
}

namespace {
BinOp* make_binop(Arena& arena, Loc loc, Expr* l, OperatorKind op, Expr* r) {
    BinOp* b = arena.make<BinOp>(loc);
    b->left = l;
    b->op = op;
    b->right = r;
    return b;
}
}  // namespace

Expr* Parser::parse_bitor() {
    size_t s0 = mark();
    Expr* a = parse_bitxor();
    while (a && at(Tok::VBar)) {
        advance();
        Expr* b = parse_bitxor();
        if (!b) return nullptr;
        a = make_binop(arena_, span(s0), a, OperatorKind::BitOr, b);
    }
    return a;
}

Expr* Parser::parse_bitxor() {
    size_t s0 = mark();
    Expr* a = parse_bitand();
    while (a && at(Tok::Circumflex)) {
        advance();
        Expr* b = parse_bitand();
        if (!b) return nullptr;
        a = make_binop(arena_, span(s0), a, OperatorKind::BitXor, b);
    }
    return a;
}

Expr* Parser::parse_bitand() {
    size_t s0 = mark();
    Expr* a = parse_shift();
    while (a && at(Tok::Amper)) {
        advance();
        Expr* b = parse_shift();
        if (!b) return nullptr;
        a = make_binop(arena_, span(s0), a, OperatorKind::BitAnd, b);
    }
    return a;
}

Expr* Parser::parse_shift() {
    size_t s0 = mark();
    Expr* a = parse_sum();
    while (a && (at(Tok::LeftShift) || at(Tok::RightShift))) {
        OperatorKind op = advance().kind == Tok::LeftShift ? OperatorKind::LShift : OperatorKind::RShift;
        Expr* b = parse_sum();
        if (!b) return nullptr;
        a = make_binop(arena_, span(s0), a, op, b);
    }
    return a;
}

Expr* Parser::parse_sum() {
    size_t s0 = mark();
    Expr* a = parse_term();
    while (a && (at(Tok::Plus) || at(Tok::Minus))) {
        OperatorKind op = advance().kind == Tok::Plus ? OperatorKind::Add : OperatorKind::Sub;
        Expr* b = parse_term();
        if (!b) return nullptr;
        a = make_binop(arena_, span(s0), a, op, b);
    }
    return a;
}

Expr* Parser::parse_term() {
    size_t s0 = mark();
    Expr* a = parse_factor();
    for (;;) {
        if (!a) return nullptr;
        OperatorKind op;
        switch (kind()) {
        case Tok::Star: op = OperatorKind::Mult; break;
        case Tok::Slash: op = OperatorKind::Div; break;
        case Tok::DoubleSlash: op = OperatorKind::FloorDiv; break;
        case Tok::Percent: op = OperatorKind::Mod; break;
        case Tok::At: op = OperatorKind::MatMult; break;
        default: return a;
        }
        advance();
        Expr* b = parse_factor();
        if (!b) return nullptr;
        a = make_binop(arena_, span(s0), a, op, b);
    }
}

Expr* Parser::parse_factor() {
    Tok k = kind();
    if (k == Tok::Plus || k == Tok::Minus || k == Tok::Tilde) {
        DepthGuard g(this);
        if (!g.ok) return nullptr;
        const Token& t = advance();
        Expr* operand = parse_factor();
        if (!operand) return nullptr;
        UnaryOp* u = arena_.make<UnaryOp>(loc_of(t, prev()));
        u->op = k == Tok::Plus ? UnaryOpKind::UAdd : k == Tok::Minus ? UnaryOpKind::USub : UnaryOpKind::Invert;
        u->operand = operand;
        return u;
    }
    return parse_power();
}

Expr* Parser::parse_power() {
    size_t s0 = mark();
    Expr* a = parse_await_primary();
    if (!a || !at(Tok::DoubleStar)) return a;
    DepthGuard g(this);
    if (!g.ok) return nullptr;
    advance();
    Expr* b = parse_factor();
    if (!b) return nullptr;
    return make_binop(arena_, span(s0), a, OperatorKind::Pow, b);
}

Expr* Parser::parse_await_primary() {
    if (at(Tok::Await)) {
        DepthGuard g(this);
        if (!g.ok) return nullptr;
        const Token& t = advance();
        Expr* v = parse_primary();
        if (!v) return nullptr;
        Await* a = arena_.make<Await>(loc_of(t, prev()));
        a->value = v;
        return a;
    }
    return parse_primary();
}

Expr* Parser::parse_primary() {
    size_t s0 = mark();
    Expr* a = parse_atom();
    for (;;) {
        if (!a) return nullptr;
        switch (kind()) {
        case Tok::Dot: {
            advance();
            if (!at(Tok::Name)) return generic_error();
            const Token& n = advance();
            Attribute* at_ = arena_.make<Attribute>(span(s0));
            at_->value = a;
            at_->attr = ident(n);
            a = at_;
            break;
        }
        case Tok::LPar:
            a = parse_call(a, s0);
            break;
        case Tok::LSqb: {
            advance();
            Expr* s = parse_slices();
            if (!s) return nullptr;
            if (!expect(Tok::RSqb)) return nullptr;
            Subscript* sub = arena_.make<Subscript>(span(s0));
            sub->value = a;
            sub->slice = s;
            a = sub;
            break;
        }
        default:
            return a;
        }
    }
}

Expr* Parser::parse_slice() {
    const Token& first = peek();
    Expr* lower = nullptr;
    if (!at(Tok::Colon)) {
        if (at(Tok::Star)) {
            // starred_expression inside a subscript tuple: a[*b]
            return parse_star_expression();
        }
        lower = parse_named_expression();
        if (!lower) return nullptr;
        if (!at(Tok::Colon)) return lower;
        if (lower->kind == ExprKind::NamedExpr) return generic_error();
    }
    advance();  // ':'
    Slice* s = arena_.make<Slice>(Loc{});
    s->lower = lower;
    if (!at(Tok::Colon) && !at(Tok::Comma) && !at(Tok::RSqb)) {
        s->upper = parse_expression();
        if (!s->upper) return nullptr;
    }
    if (accept(Tok::Colon)) {
        if (!at(Tok::Comma) && !at(Tok::RSqb)) {
            s->step = parse_expression();
            if (!s->step) return nullptr;
        }
    }
    s->loc = loc_of(first, prev());
    return s;
}

Expr* Parser::parse_slices() {
    const Token& first = peek();
    Expr* a = parse_slice();
    if (!a) return nullptr;
    if (!at(Tok::Comma) && a->kind != ExprKind::Starred) return a;
    Tuple* t = arena_.make<Tuple>(Loc{});
    t->elts.push_back(a);
    while (accept(Tok::Comma)) {
        if (at(Tok::RSqb)) break;
        Expr* e = parse_slice();
        if (!e) return nullptr;
        t->elts.push_back(e);
    }
    t->loc = loc_of(first, prev());
    return t;
}

Expr* Parser::parse_call(Expr* func, size_t s0) {
    const Token& lp = advance();  // '('
    Call* c = arena_.make<Call>(Loc{});
    c->func = func;
    bool seen_kw = false, seen_dstar = false;
    while (!at(Tok::RPar)) {
        const Token& t = peek();
        if (t.kind == Tok::Star) {
            if (seen_dstar) {
                return error_tok(t, "iterable argument unpacking follows keyword argument unpacking");
            }
            advance();
            Expr* v = parse_expression();
            if (!v) return nullptr;
            Starred* s = arena_.make<Starred>(loc_of(t, prev()));
            s->value = v;
            c->args.push_back(s);
        } else if (t.kind == Tok::DoubleStar) {
            advance();
            Expr* v = parse_expression();
            if (!v) return nullptr;
            Keyword* k = arena_.make<Keyword>(loc_of(t, prev()));
            k->value = v;
            c->keywords.push_back(k);
            seen_dstar = true;
        } else if ((t.kind == Tok::True || t.kind == Tok::False || t.kind == Tok::None) &&
                   kind(1) == Tok::Equal) {
            const Token& eq = peek(1);
            return error_at(t.line, t.col, eq.end_line, eq.end_col,
                            fmt::format("cannot assign to {}", tok_spelling(t.kind)));
        } else if (t.kind == Tok::Name && kind(1) == Tok::Equal) {
            advance();
            const Token& eq = advance();
            Expr* v = parse_expression();
            if (!v) return nullptr;
            if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
                std::vector<Comprehension*> clauses;  // the rule needs them to parse
                if (!parse_comprehension_clauses(clauses)) return nullptr;
                return error_at(t.line, t.col, eq.end_line, eq.end_col,
                                "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
            }
            Keyword* k = arena_.make<Keyword>(loc_of(t, prev()));
            k->arg = ident(t);
            k->value = v;
            c->keywords.push_back(k);
            seen_kw = true;
        } else {
            Expr* e;
            if (t.kind == Tok::Name && kind(1) == Tok::ColonEqual) e = parse_named_expression();
            else e = parse_expression();
            if (!e) return nullptr;
            if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
                if (!func) return generic_error();  // class bases: no bare generator
                bool sole = c->args.empty() && c->keywords.empty();
                Expr* g = parse_genexp_after(e, lp);
                if (!g) return nullptr;
                if (!sole || !at(Tok::RPar)) {
                    Loc l = g->loc;
                    l.line = e->loc.line;
                    l.col = e->loc.col;
                    l.end_line = prev().end_line;
                    l.end_col = prev().end_col;
                    Name n;
                    n.loc = l;
                    if (sole && !at(Tok::Comma)) return generic_error();
                    return error_node(&n, "Generator expression must be parenthesized");
                }
                advance();  // ')'
                g->loc = loc_of(lp, prev());
                c->args.push_back(g);
                c->loc = span(s0);
                return c;
            }
            if (at(Tok::Equal)) {
                const Token& eq = peek();
                Name n;
                n.loc = loc_of(eq, eq);
                return error_range(e, &n, "expression cannot contain assignment, perhaps you meant \"==\"?");
            }
            if (seen_kw || seen_dstar) {
                peek();
                return error_last(seen_dstar ? "positional argument follows keyword argument unpacking"
                                             : "positional argument follows keyword argument");
            }
            c->args.push_back(e);
        }
        if (!accept(Tok::Comma)) break;
    }
    if (!at(Tok::RPar)) {
        // A genexp after other arguments: f(a, x for x in y)
        return generic_error();
    }
    advance();
    c->loc = span(s0);
    return c;
}

// After `elt` (consumed) at 'for': the comprehension clauses. The caller fixes the location.
Expr* Parser::parse_genexp_after(Expr* elt, const Token& open) {
    GeneratorExp* g = arena_.make<GeneratorExp>(Loc{});
    g->elt = elt;
    if (!parse_comprehension_clauses(g->generators)) return nullptr;
    g->loc = loc_of(open, prev());
    return g;
}

bool Parser::parse_comprehension_clauses(std::vector<Comprehension*>& out) {
    while (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
        bool is_async = accept(Tok::Async);
        const Token& f = advance();
        Comprehension* c = arena_.make<Comprehension>(loc_of(f, f));
        c->is_async = is_async;
        c->target = parse_for_target();
        if (!c->target) return false;
        advance();  // 'in'
        c->iter = parse_disjunction();
        if (!c->iter) return false;
        while (accept(Tok::If)) {
            Expr* cond = parse_disjunction();
            if (!cond) return false;
            c->ifs.push_back(cond);
        }
        out.push_back(c);
    }
    return true;
}

Expr* Parser::parse_star_targets(bool single) {
    const Token& first = peek();
    auto one = [&]() -> Expr* {
        if (at(Tok::Star)) {
            const Token& st = advance();
            if (at(Tok::Star)) return generic_error();
            Expr* v = parse_bitor();
            if (!v) return nullptr;
            Starred* s = arena_.make<Starred>(loc_of(st, prev()));
            s->value = v;
            return s;
        }
        return parse_bitor();
    };
    Expr* a = one();
    if (!a) return nullptr;
    if (!single && at(Tok::Comma)) {
        Tuple* t = arena_.make<Tuple>(Loc{});
        t->elts.push_back(a);
        while (accept(Tok::Comma)) {
            if (!starts_expression(kind()) && !at(Tok::Star)) break;
            Expr* e = one();
            if (!e) return nullptr;
            t->elts.push_back(e);
        }
        t->loc = loc_of(first, prev());
        a = t;
    }
    if (!check_target(a, TargetsType::For)) return nullptr;
    return a;
}

// The target of a `for` (statement or comprehension), followed by 'in'. When that fails,
// CPython's invalid_for_target re-reads it as star_expressions to name the bad target.
Expr* Parser::parse_for_target() {
    size_t start = mark();
    Expr* target = parse_star_targets();
    if (!target) return nullptr;
    if (at(Tok::In)) return target;
    size_t fail_idx = furthest_;
    State st = save_state();
    p_ = start;
    Expr* e = parse_star_expressions();
    if (e && !failed_) {
        if (Expr* bad = invalid_target(e, TargetsType::For)) {
            commit_state();
            return error_node(bad, fmt::format("cannot assign to {}", expr_name(bad)));
        }
    } else if (failed_ && !generic_failed_) {
        commit_state();  // a specific error found on the way (e.g. the comma hint)
        return nullptr;
    }
    restore_state(st);
    return generic_error(fail_idx);
}

bool Parser::parse_del_targets(std::vector<Expr*>& out) {
    size_t start = mark();
    for (;;) {
        Expr* e = at(Tok::Star) ? parse_star_expression() : parse_bitor();
        if (!e) return false;
        if (!check_target(e, TargetsType::Del)) return false;
        out.push_back(e);
        if (!accept(Tok::Comma)) break;
        if (!starts_expression(kind())) break;
    }
    if (!at(Tok::Newline) && !at(Tok::Semi)) {
        // CPython's invalid_del_stmt: re-read as star_expressions to name a bad target.
        size_t fail_idx = furthest_;
        State st = save_state();
        p_ = start;
        out.clear();
        Expr* e = parse_star_expressions();
        if (e && !failed_) {
            if (Expr* bad = invalid_target(e, TargetsType::Del)) {
                commit_state();
                error_node(bad, fmt::format("cannot delete {}", expr_name(bad)));
                return false;
            }
        } else if (failed_ && !generic_failed_) {
            commit_state();
            return false;
        }
        restore_state(st);
        generic_error(fail_idx);
        return false;
    }
    return true;
}

Expr* Parser::parse_yield_expr() {
    const Token& y = advance();
    if (accept(Tok::From)) {
        Expr* v = parse_expression();
        if (!v) return nullptr;
        YieldFrom* yf = arena_.make<YieldFrom>(loc_of(y, prev()));
        yf->value = v;
        return yf;
    }
    Yield* r = arena_.make<Yield>(loc_of(y, y));
    if (starts_expression(kind()) || at(Tok::Star)) {
        r->value = parse_star_expressions();
        if (!r->value) return nullptr;
        r->loc = loc_of(y, prev());
    }
    return r;
}

// ---- atoms ------------------------------------------------------------------------------------

Expr* Parser::parse_atom() {
    const Token& t = peek();
    switch (t.kind) {
    case Tok::Name: {
        advance();
        Name* n = arena_.make<Name>(loc_of(t, t));
        n->id = ident(t);
        return n;
    }
    case Tok::True: case Tok::False: case Tok::None: case Tok::Ellipsis: {
        advance();
        Constant* c = arena_.make<Constant>(loc_of(t, t));
        c->ckind = t.kind == Tok::True ? ConstKind::True : t.kind == Tok::False ? ConstKind::False
                 : t.kind == Tok::None ? ConstKind::None : ConstKind::Ellipsis;
        return c;
    }
    case Tok::Number: advance(); return parse_number(t);
    case Tok::String: {
        Expr* r = parse_strings();
        if (!r && failed_ && !tok_error_) action_error_ = true;
        return r;
    }
    case Tok::LPar: return parse_paren();
    case Tok::LSqb: return parse_list_display();
    case Tok::LBrace: return parse_brace_display();
    default: return generic_error();
    }
}

Expr* Parser::parse_paren() {
    const Token& lp = advance();
    if (at(Tok::RPar)) {
        const Token& rp = advance();
        return arena_.make<Tuple>(loc_of(lp, rp));
    }
    if (at(Tok::Yield)) {
        Expr* y = parse_yield_expr();
        if (!y) return nullptr;
        if (!expect(Tok::RPar)) return nullptr;
        grouped_.insert(y);
        return y;
    }
    if (at(Tok::DoubleStar)) {
        const Token& ds = advance();
        Expr* v = parse_expression();
        if (!v) return nullptr;
        if (!at(Tok::RPar)) return generic_error();
        return error_tok(ds, "cannot use double starred expression here");
    }
    Expr* first = parse_star_named_expression();
    if (!first) return nullptr;
    if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
        Expr* gen = parse_genexp_after(first, lp);
        if (!gen) return nullptr;
        if (first->kind == ExprKind::Starred)
            return error_node(first, "iterable unpacking cannot be used in comprehension");
        if (!expect(Tok::RPar)) return nullptr;
        gen->loc = loc_of(lp, prev());
        return gen;
    }
    if (at(Tok::Comma)) {
        Tuple* t = arena_.make<Tuple>(Loc{});
        t->elts.push_back(first);
        while (accept(Tok::Comma)) {
            if (at(Tok::RPar)) break;
            Expr* e = parse_star_named_expression();
            if (!e) return nullptr;
            t->elts.push_back(e);
        }
        if (!expect(Tok::RPar)) return nullptr;
        t->loc = loc_of(lp, prev());
        return t;
    }
    if (!at(Tok::RPar)) return generic_error();
    if (first->kind == ExprKind::Starred) return error_node(first, "cannot use starred expression here");
    advance();
    grouped_.insert(first);
    return first;
}

Expr* Parser::parse_list_display() {
    const Token& lb = advance();
    List* l = arena_.make<List>(Loc{});
    if (at(Tok::RSqb)) {
        l->loc = loc_of(lb, advance());
        return l;
    }
    Expr* first = parse_star_named_expression();
    if (!first) return nullptr;
    if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
        ListComp* lc = arena_.make<ListComp>(Loc{});
        lc->elt = first;
        if (!parse_comprehension_clauses(lc->generators)) return nullptr;
        if (first->kind == ExprKind::Starred)
            return error_node(first, "iterable unpacking cannot be used in comprehension");
        if (!expect(Tok::RSqb)) return nullptr;
        lc->loc = loc_of(lb, prev());
        return lc;
    }
    l->elts.push_back(first);
    while (accept(Tok::Comma)) {
        if (at(Tok::RSqb)) break;
        if (comprehension_target_hint(first, nullptr)) return nullptr;
        Expr* e = parse_star_named_expression();
        if (!e) return nullptr;
        l->elts.push_back(e);
        if (comprehension_target_hint(first, e)) return nullptr;
    }
    if (!expect(Tok::RSqb)) return nullptr;
    l->loc = loc_of(lb, prev());
    return l;
}

Expr* Parser::parse_brace_display() {
    const Token& lb = advance();
    if (at(Tok::RBrace)) {
        const Token& rb = advance();
        return arena_.make<Dict>(loc_of(lb, rb));
    }
    auto parse_dict_rest = [&](Dict* d) -> Expr* {
        while (accept(Tok::Comma)) {
            if (at(Tok::RBrace)) break;
            if (accept(Tok::DoubleStar)) {
                DepthGuard g(this);
                if (!g.ok) return nullptr;
                Expr* v = parse_bitor();
                if (!v) return nullptr;
                d->keys.push_back(nullptr);
                d->values.push_back(v);
                continue;
            }
            skip_comma_check_ = true;  // CPython: "':' expected after dictionary key" instead
            Expr* k = parse_expression();
            if (!k) return nullptr;
            if (!at(Tok::Colon)) {
                if (peek().kind == Tok::Error) return generic_error();
                error_at(k->loc.end_line, k->loc.end_col - 1, k->loc.end_line, -1,
                         "':' expected after dictionary key");
                err_->end_col = 0;
                return nullptr;
            }
            advance();
            Expr* v = parse_dict_value();
            if (!v) return nullptr;
            d->keys.push_back(k);
            d->values.push_back(v);
        }
        if (!expect(Tok::RBrace)) return nullptr;
        d->loc = loc_of(lb, prev());
        return d;
    };
    if (at(Tok::DoubleStar)) {
        DepthGuard g(this);
        if (!g.ok) return nullptr;
        const Token& ds = advance();
        Expr* v = parse_bitor();
        if (!v) return nullptr;
        Dict* d = arena_.make<Dict>(Loc{});
        d->keys.push_back(nullptr);
        d->values.push_back(v);
        if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
            std::vector<Comprehension*> clauses;  // the rule needs them and the '}'
            if (!parse_comprehension_clauses(clauses)) return nullptr;
            if (!at(Tok::RBrace)) return generic_error();
            return error_tok(ds, "dict unpacking cannot be used in dict comprehension");
        }
        return parse_dict_rest(d);
    }
    Expr* first = parse_star_named_expression();
    if (!first) return nullptr;
    if (at(Tok::Colon) && first->kind != ExprKind::Starred) {
        advance();
        Expr* v = parse_dict_value();
        if (!v) return nullptr;
        if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
            DictComp* dc = arena_.make<DictComp>(Loc{});
            dc->key = first;
            dc->value = v;
            if (!parse_comprehension_clauses(dc->generators)) return nullptr;
            if (!expect(Tok::RBrace)) return nullptr;
            dc->loc = loc_of(lb, prev());
            return dc;
        }
        Dict* d = arena_.make<Dict>(Loc{});
        d->keys.push_back(first);
        d->values.push_back(v);
        return parse_dict_rest(d);
    }
    if (at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For)) {
        SetComp* sc = arena_.make<SetComp>(Loc{});
        sc->elt = first;
        if (!parse_comprehension_clauses(sc->generators)) return nullptr;
        if (first->kind == ExprKind::Starred)
            return error_node(first, "iterable unpacking cannot be used in comprehension");
        if (!expect(Tok::RBrace)) return nullptr;
        sc->loc = loc_of(lb, prev());
        return sc;
    }
    Set* s = arena_.make<Set>(Loc{});
    s->elts.push_back(first);
    while (accept(Tok::Comma)) {
        if (at(Tok::RBrace)) break;
        if (comprehension_target_hint(first, nullptr)) return nullptr;
        Expr* e = parse_star_named_expression();
        if (!e) return nullptr;
        s->elts.push_back(e);
        if (comprehension_target_hint(first, e)) return nullptr;
    }
    if (!expect(Tok::RBrace)) return nullptr;
    s->loc = loc_of(lb, prev());
    return s;
}

// `[a, b for ...]` / `[a, for ...]`: CPython's invalid_comprehension hint. `last` is the
// element just parsed, or null right after a comma. True when the error was reported.
bool Parser::comprehension_target_hint(Expr* first, Expr* last) {
    if (!(at(Tok::For) || (at(Tok::Async) && kind(1) == Tok::For))) return false;
    // The rule needs the clauses to parse; their own errors come first.
    const Token& comma = prev();
    std::vector<Comprehension*> clauses;
    if (!parse_comprehension_clauses(clauses)) return true;
    if (last) {
        error_range(first, last, "did you forget parentheses around the comprehension target?");
    } else {
        error_at(first->loc.line, first->loc.col, comma.end_line, comma.end_col,
                 "did you forget parentheses around the comprehension target?");
    }
    return true;
}

// A dict display's value after 'key:', with CPython's messages for the usual mistakes.
Expr* Parser::parse_dict_value() {
    if (at(Tok::RBrace) || at(Tok::Comma))
        return error_tok(prev(), "expression expected after dictionary key and ':'");
    if (at(Tok::Star)) {
        const Token& st = advance();
        Expr* v = parse_bitor();
        if (!v) return nullptr;
        return error_at(st.line, st.col, v->loc.end_line, v->loc.end_col,
                        "cannot use a starred expression in a dictionary value");
    }
    return parse_expression();
}

// An f-string replacement field's expression (the whole input of this parser).
Expr* Parser::parse_fstring_expr() {
    Expr* e;
    if (at(Tok::Yield)) e = parse_yield_expr();
    else e = parse_star_expressions();
    if (!e) return nullptr;
    if (!at(Tok::EndMarker)) return generic_error();
    // 3.11 parses the field as "(expr)": a lone starred expression is a bad group.
    if (e->kind == ExprKind::Starred) return error_node(e, "cannot use starred expression here");
    return e;
}

}  // namespace toy::detail
