// compiler_expr.cpp: code generation for expressions (CPython 3.11's compiler_visit_expr and
// helpers: calls, comparisons, boolean operators, displays, comprehensions, lambda, f-strings).
#include <fmt/format.h>

#include <cstring>

#include "interp/compiler_internal.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {
namespace compiler_detail {

std::string str_const_key(const std::string& s);
Ref make_str_const(const std::string& s);

namespace {

enum CompKind { kGenExp = 0, kListComp = 1, kSetComp = 2, kDictComp = 3 };
constexpr size_t kStackUseGuideline = 30;
constexpr size_t kMaxCallArgs = 255;

CmpOp to_cmp(ast::CmpOpKind k) {
    switch (k) {
    case ast::CmpOpKind::Eq: return CmpOp::kEq;
    case ast::CmpOpKind::NotEq: return CmpOp::kNe;
    case ast::CmpOpKind::Lt: return CmpOp::kLt;
    case ast::CmpOpKind::LtE: return CmpOp::kLe;
    case ast::CmpOpKind::Gt: return CmpOp::kGt;
    default: return CmpOp::kGe;
    }
}

bool has_starred(const std::vector<ast::Expr*>& elts) {
    for (auto* e : elts)
        if (e->kind == ast::ExprKind::Starred) return true;
    return false;
}

}  // namespace

void emit_compare_op(Compiler& c, ast::CmpOpKind k) {
    switch (k) {
    case ast::CmpOpKind::Is: c.emit(Op::IS_OP, 0); return;
    case ast::CmpOpKind::IsNot: c.emit(Op::IS_OP, 1); return;
    case ast::CmpOpKind::In: c.emit(Op::CONTAINS_OP, 0); return;
    case ast::CmpOpKind::NotIn: c.emit(Op::CONTAINS_OP, 1); return;
    default: c.emit(Op::COMPARE_OP, static_cast<uint32_t>(to_cmp(k)));
    }
}

// ---- constants ------------------------------------------------------------------------------

// Constant folding of unary and binary operators on int, float and str constants, with
// exactly Python's results; anything that could raise, overflow int64, lose precision or
// build a large object (CPython's limits: 4096 characters) is left to run time.
namespace {
constexpr int64_t kExactDouble = int64_t{1} << 53;
bool as_double(const Folded& f, double* d) {
    if (f.k == Folded::kFloat) {
        *d = f.f;
        return true;
    }
    if (f.k == Folded::kInt && f.i >= -kExactDouble && f.i <= kExactDouble) {
        *d = static_cast<double>(f.i);
        return true;
    }
    return false;
}
bool fold_int(ast::OperatorKind op, int64_t a, int64_t b, int64_t* r) {
    using O = ast::OperatorKind;
    switch (op) {
    case O::Add: return !__builtin_add_overflow(a, b, r);
    case O::Sub: return !__builtin_sub_overflow(a, b, r);
    case O::Mult: return !__builtin_mul_overflow(a, b, r);
    case O::FloorDiv:
    case O::Mod: {
        if (b == 0 || (a == INT64_MIN && b == -1)) return false;
        int64_t q = a / b, m = a % b;
        if (m != 0 && ((m < 0) != (b < 0))) {
            q -= 1;
            m += b;
        }
        *r = op == O::FloorDiv ? q : m;
        return true;
    }
    case O::Pow: {
        if (b < 0 || b > 128) return false;
        int64_t acc = 1;
        for (int64_t i = 0; i < b; ++i)
            if (__builtin_mul_overflow(acc, a, &acc)) return false;
        *r = acc;
        return true;
    }
    case O::LShift:
        if (b < 0 || b > 62) return false;
        if (a != 0 && (a > (INT64_MAX >> b) || a < (INT64_MIN >> b))) return false;
        *r = static_cast<int64_t>(static_cast<uint64_t>(a) << b);
        return true;
    case O::RShift:
        if (b < 0) return false;
        *r = a >> (b > 63 ? 63 : b);
        return true;
    case O::BitAnd: *r = a & b; return true;
    case O::BitOr: *r = a | b; return true;
    case O::BitXor: *r = a ^ b; return true;
    default: return false;
    }
}
}  // namespace

bool Compiler::fold(ast::Expr* e, Folded* out) {
    if (failed_) return false;
    if (e->kind == ast::ExprKind::Constant) {
        auto* c = static_cast<ast::Constant*>(e);
        if (c->ckind == ast::ConstKind::Int && c->big.empty()) {
            out->k = Folded::kInt;
            out->i = c->i;
            return true;
        }
        if (c->ckind == ast::ConstKind::Float) {
            out->k = Folded::kFloat;
            out->f = c->f;
            return true;
        }
        if (c->ckind == ast::ConstKind::Str) {
            out->k = Folded::kStr;
            out->s = c->s;
            return true;
        }
        return false;
    }
    if (e->kind != ast::ExprKind::UnaryOp && e->kind != ast::ExprKind::BinOp) return false;
    if (not_foldable_.count(e)) return false;
    if (!enter_depth()) return false;
    bool ok = fold_inner(e, out);
    leave_depth();
    if (!ok) not_foldable_.insert(e);
    return ok;
}

bool Compiler::fold_inner(ast::Expr* e, Folded* out) {
    if (e->kind == ast::ExprKind::UnaryOp) {
        auto* u = static_cast<ast::UnaryOp*>(e);
        if (u->op == ast::UnaryOpKind::USub && u->operand->kind == ast::ExprKind::Constant) {
            auto* c = static_cast<ast::Constant*>(u->operand);
            if (c->ckind == ast::ConstKind::Int && c->big == "9223372036854775808") {
                out->k = Folded::kInt;
                out->i = INT64_MIN;
                return true;
            }
        }
        Folded v;
        if (!fold(u->operand, &v)) return false;
        switch (u->op) {
        case ast::UnaryOpKind::USub:
            if (v.k == Folded::kInt && v.i != INT64_MIN) {
                out->k = Folded::kInt;
                out->i = -v.i;
                return true;
            }
            if (v.k == Folded::kFloat) {
                out->k = Folded::kFloat;
                out->f = -v.f;
                return true;
            }
            return false;
        case ast::UnaryOpKind::UAdd:
            if (v.k == Folded::kStr) return false;
            *out = v;
            return true;
        case ast::UnaryOpKind::Invert:
            if (v.k != Folded::kInt) return false;
            out->k = Folded::kInt;
            out->i = ~v.i;
            return true;
        default:
            return false;
        }
    }
    auto* b = static_cast<ast::BinOp*>(e);
    Folded l, r;
    if (!fold(b->left, &l) || !fold(b->right, &r)) return false;
    using O = ast::OperatorKind;
    if (l.k == Folded::kInt && r.k == Folded::kInt) {
        if (b->op == O::Div) {
            double x, y;
            if (r.i == 0 || !as_double(l, &x) || !as_double(r, &y)) return false;
            out->k = Folded::kFloat;
            out->f = x / y;
            return true;
        }
        int64_t v;
        if (!fold_int(b->op, l.i, r.i, &v)) return false;
        out->k = Folded::kInt;
        out->i = v;
        return true;
    }
    if (l.k == Folded::kStr || r.k == Folded::kStr) {
        if (b->op == O::Add && l.k == Folded::kStr && r.k == Folded::kStr) {
            if (l.s.size() + r.s.size() > 4096) return false;
            out->k = Folded::kStr;
            out->s = l.s + r.s;
            return true;
        }
        if (b->op == O::Mult && (l.k == Folded::kInt || r.k == Folded::kInt)) {
            const std::string& str = l.k == Folded::kStr ? l.s : r.s;
            int64_t n = l.k == Folded::kInt ? l.i : r.i;
            if (n < 0) n = 0;
            if (n > 4096 || str.size() * static_cast<size_t>(n) > 4096) return false;
            out->k = Folded::kStr;
            out->s.clear();
            for (int64_t i = 0; i < n; ++i) out->s += str;
            return true;
        }
        return false;
    }
    double x, y;
    if (!as_double(l, &x) || !as_double(r, &y)) return false;
    switch (b->op) {
    case O::Add: out->f = x + y; break;
    case O::Sub: out->f = x - y; break;
    case O::Mult: out->f = x * y; break;
    case O::Div:
        if (y == 0) return false;
        out->f = x / y;
        break;
    default: return false;
    }
    out->k = Folded::kFloat;
    return true;
}

bool Compiler::const_value(ast::Expr* e, Ref* out, std::string* key) {
    if (e->kind == ast::ExprKind::Constant) {
        auto* c = static_cast<ast::Constant*>(e);
        switch (c->ckind) {
        case ast::ConstKind::None: *out = Ref::none(); *key = "N"; return true;
        case ast::ConstKind::True: *out = Ref::boolean(true); *key = "T"; return true;
        case ast::ConstKind::False: *out = Ref::boolean(false); *key = "F"; return true;
        case ast::ConstKind::Ellipsis:
            *out = Ref::steal(Value::ellipsis());
            *key = "E";
            return true;
        case ast::ConstKind::Int:
            if (!c->big.empty()) {
                // Beyond int64: a constant once the runtime has big ints; until then
                // load_constant() builds it at run time (and that raises OverflowError).
                *out = int_from_string(c->big, 10);
                if (!*out) {
                    clear_error();
                    return false;
                }
                *key = "I" + c->big;
                return true;
            }
            *out = make_int(c->i);
            if (!*out) {
                set_runtime_error();
                return false;
            }
            *key = fmt::format("i{}", c->i);
            return true;
        case ast::ConstKind::Float: {
            *out = make_float(c->f);
            uint64_t bits;
            std::memcpy(&bits, &c->f, sizeof bits);
            *key = fmt::format("f{:x}", bits);
            return true;
        }
        case ast::ConstKind::Complex:
            error(e->loc, "complex numbers are not supported yet");
            return false;
        case ast::ConstKind::Str:
            *out = make_str_const(c->s);
            if (!*out) {
                set_runtime_error();
                return false;
            }
            *key = str_const_key(c->s);
            return true;
        case ast::ConstKind::Bytes: {
            RefT<Bytes> b = new_bytes(c->s);
            if (!b) {
                set_runtime_error();
                return false;
            }
            *out = Ref(std::move(b));
            *key = fmt::format("b{}:{}", c->s.size(), c->s);
            return true;
        }
        }
        return false;
    }
    if (e->kind == ast::ExprKind::UnaryOp || e->kind == ast::ExprKind::BinOp) {
        Folded f;
        if (!fold(e, &f)) return false;
        switch (f.k) {
        case Folded::kInt:
            *out = make_int(f.i);
            if (!*out) {
                set_runtime_error();
                return false;
            }
            *key = fmt::format("i{}", f.i);
            return true;
        case Folded::kFloat: {
            *out = make_float(f.f);
            uint64_t bits;
            std::memcpy(&bits, &f.f, sizeof bits);
            *key = fmt::format("f{:x}", bits);
            return true;
        }
        case Folded::kStr:
            *out = make_str_const(f.s);
            if (!*out) {
                set_runtime_error();
                return false;
            }
            *key = str_const_key(f.s);
            return true;
        default:
            return false;
        }
    }
    if (e->kind == ast::ExprKind::Tuple) {
        auto* t = static_cast<ast::Tuple*>(e);
        if (t->ctx != ast::Ctx::Load) return false;
        for (auto* x : t->elts) {
            if (x->kind != ast::ExprKind::Constant && x->kind != ast::ExprKind::Tuple &&
                x->kind != ast::ExprKind::UnaryOp && x->kind != ast::ExprKind::BinOp)
                return false;
        }
        std::vector<Ref> items;
        std::string k = fmt::format("t{}(", t->elts.size());
        for (auto* x : t->elts) {
            Ref v;
            std::string sub;
            if (!const_value(x, &v, &sub)) return false;
            items.push_back(std::move(v));
            k += sub;
            k += ';';
        }
        k += ')';
        RefT<Tuple> tup = new_tuple(static_cast<int64_t>(items.size()));
        if (!tup) {
            set_runtime_error();
            return false;
        }
        for (size_t i = 0; i < items.size(); ++i) tup->items[i] = items[i].release();
        *out = std::move(tup);
        *key = std::move(k);
        return true;
    }
    return false;
}

bool Compiler::load_constant(ast::Constant* c) {
    Ref v;
    std::string key;
    if (!const_value(c, &v, &key)) {
        if (failed_ || c->ckind != ast::ConstKind::Int || c->big.empty()) return false;
        // An int literal the runtime cannot represent yet: int('<digits>') at run time, so
        // that only code that actually uses it fails. `int` is loaded as a constant (the type
        // object itself), so a shadowed name `int` does not matter.
        emit(Op::LOAD_CONST, add_const(Ref::borrow(Value::object(&int_type)), "type:int"));
        emit(Op::LOAD_CONST, str_const(c->big));
        emit(Op::CALL, 0);
        return true;
    }
    emit(Op::LOAD_CONST, add_const(std::move(v), key));
    return true;
}

// A tuple constant of strings (keyword names).
static uint32_t names_tuple_const(Compiler& c, const std::vector<std::string>& names) {
    RefT<Tuple> t = new_tuple(static_cast<int64_t>(names.size()));
    if (!t) {
        c.set_runtime_error();
        return 0;
    }
    std::string key = fmt::format("t{}(", names.size());
    for (size_t i = 0; i < names.size(); ++i) {
        t->items[i] = Value::object(intern(names[i]));
        key += str_const_key(names[i]);
        key += ';';
    }
    key += ')';
    return c.add_const(std::move(t), key);
}

// ---- dispatch -------------------------------------------------------------------------------

void Compiler::visit_expr(ast::Expr* e) {
    if (failed_) return;
    if (!enter_depth()) return;
    LocGuard g(u(), e->loc);
    visit_expr_inner(e);
    leave_depth();
}

void Compiler::visit_expr_inner(ast::Expr* e) {
    using K = ast::ExprKind;
    switch (e->kind) {
    case K::BoolOp:
        visit_boolop(static_cast<ast::BoolOp*>(e));
        return;
    case K::NamedExpr: {
        auto* n = static_cast<ast::NamedExpr*>(e);
        visit_expr(n->value);
        emit(Op::COPY, 1);
        store_target(n->target);
        return;
    }
    case K::BinOp: {
        auto* b = static_cast<ast::BinOp*>(e);
        {
            Ref v;
            std::string key;
            if (const_value(e, &v, &key)) {
                emit(Op::LOAD_CONST, add_const(std::move(v), key));
                return;
            }
            if (failed_) return;
        }
        visit_expr(b->left);
        visit_expr(b->right);
        emit(Op::BINARY_OP, static_cast<uint32_t>(b->op));
        return;
    }
    case K::UnaryOp: {
        auto* un = static_cast<ast::UnaryOp*>(e);
        if (un->op != ast::UnaryOpKind::Not) {
            Ref v;
            std::string key;
            if (const_value(e, &v, &key)) {
                emit(Op::LOAD_CONST, add_const(std::move(v), key));
                return;
            }
            if (failed_) return;
        }
        visit_expr(un->operand);
        switch (un->op) {
        case ast::UnaryOpKind::Invert: emit(Op::UNARY_INVERT); break;
        case ast::UnaryOpKind::Not: emit(Op::UNARY_NOT); break;
        case ast::UnaryOpKind::UAdd: emit(Op::UNARY_POSITIVE); break;
        case ast::UnaryOpKind::USub: emit(Op::UNARY_NEGATIVE); break;
        }
        return;
    }
    case K::Lambda:
        visit_lambda(static_cast<ast::Lambda*>(e));
        return;
    case K::IfExp: {
        auto* i = static_cast<ast::IfExp*>(e);
        int end = new_label(), next = new_label();
        jump_if(i->test, next, false);
        visit_expr(i->body);
        emit_jump(Op::JUMP, end);
        bind(next);
        visit_expr(i->orelse);
        bind(end);
        return;
    }
    case K::Dict:
        visit_dict(static_cast<ast::Dict*>(e));
        return;
    case K::Set:
        starunpack(static_cast<ast::Set*>(e)->elts, 0, Op::BUILD_SET, Op::SET_ADD, Op::SET_UPDATE,
                   false);
        return;
    case K::ListComp: {
        auto* c = static_cast<ast::ListComp*>(e);
        visit_comprehension(e, "<listcomp>", c->generators, c->elt, nullptr, kListComp);
        return;
    }
    case K::SetComp: {
        auto* c = static_cast<ast::SetComp*>(e);
        visit_comprehension(e, "<setcomp>", c->generators, c->elt, nullptr, kSetComp);
        return;
    }
    case K::DictComp: {
        auto* c = static_cast<ast::DictComp*>(e);
        visit_comprehension(e, "<dictcomp>", c->generators, c->key, c->value, kDictComp);
        return;
    }
    case K::GeneratorExp: {
        auto* c = static_cast<ast::GeneratorExp*>(e);
        visit_comprehension(e, "<genexpr>", c->generators, c->elt, nullptr, kGenExp);
        return;
    }
    case K::Await: {
        if (u().ste->type != BlockType::kFunction) {
            error(e->loc, "'await' outside function");
            return;
        }
        if (!u().async_function && u().scope_type != ScopeType::kComprehension) {
            error(e->loc, "'await' outside async function");
            return;
        }
        visit_expr(static_cast<ast::Await*>(e)->value);
        await_tos(0);
        return;
    }
    case K::Yield: {
        if (u().ste->type != BlockType::kFunction) {
            error(e->loc, "'yield' outside function");
            return;
        }
        auto* y = static_cast<ast::Yield*>(e);
        if (y->value)
            visit_expr(y->value);
        else
            load_none();
        if (u().ste->coroutine) emit(Op::ASYNC_GEN_WRAP);  // an async generator's own value
        emit(Op::YIELD_VALUE);
        return;
    }
    case K::YieldFrom: {
        if (u().ste->type != BlockType::kFunction) {
            error(e->loc, "'yield' outside function");
            return;
        }
        if (u().ste->coroutine) {
            error(e->loc, "'yield from' inside async function");
            return;
        }
        visit_expr(static_cast<ast::YieldFrom*>(e)->value);
        emit(Op::GET_YIELD_FROM_ITER);
        load_none();
        emit(Op::YIELD_FROM);
        return;
    }
    case K::Compare:
        visit_compare(static_cast<ast::Compare*>(e));
        return;
    case K::Call:
        visit_call(static_cast<ast::Call*>(e));
        return;
    case K::FormattedValue:
        visit_formatted_value(static_cast<ast::FormattedValue*>(e));
        return;
    case K::JoinedStr:
        visit_joined_str(static_cast<ast::JoinedStr*>(e));
        return;
    case K::Constant:
        load_constant(static_cast<ast::Constant*>(e));
        return;
    case K::Attribute: {
        auto* a = static_cast<ast::Attribute*>(e);
        if (a->ctx != ast::Ctx::Load) {
            store_target(e);
            return;
        }
        visit_expr(a->value);
        emit(Op::LOAD_ATTR, add_name(mangle(a->attr)));
        return;
    }
    case K::Subscript: {
        auto* s = static_cast<ast::Subscript*>(e);
        if (s->ctx != ast::Ctx::Load) {
            store_target(e);
            return;
        }
        visit_expr(s->value);
        visit_expr(s->slice);
        emit(Op::BINARY_SUBSCR);
        return;
    }
    case K::Starred:
        if (static_cast<ast::Starred*>(e)->ctx == ast::Ctx::Store)
            error(e->loc, "starred assignment target must be in a list or tuple");
        else
            error(e->loc, "can't use starred expression here");
        return;
    case K::Name: {
        auto* n = static_cast<ast::Name*>(e);
        if (n->ctx == ast::Ctx::Load && n->id == "__debug__") {
            emit(Op::LOAD_CONST, add_const(Ref::boolean(true), "T"));
            return;
        }
        nameop(n->id, n->ctx);
        return;
    }
    case K::List: {
        auto* l = static_cast<ast::List*>(e);
        if (l->ctx != ast::Ctx::Load) {
            store_target(e);
            return;
        }
        starunpack(l->elts, 0, Op::BUILD_LIST, Op::LIST_APPEND, Op::LIST_EXTEND, false);
        return;
    }
    case K::Tuple: {
        auto* t = static_cast<ast::Tuple*>(e);
        if (t->ctx != ast::Ctx::Load) {
            store_target(e);
            return;
        }
        Ref v;
        std::string key;
        if (const_value(e, &v, &key)) {
            emit(Op::LOAD_CONST, add_const(std::move(v), key));
            return;
        }
        if (failed_) return;
        starunpack(t->elts, 0, Op::BUILD_LIST, Op::LIST_APPEND, Op::LIST_EXTEND, true);
        return;
    }
    case K::Slice:
        visit_slice(static_cast<ast::Slice*>(e));
        return;
    }
}

// ---- conditions, comparisons, boolean operators ---------------------------------------------

namespace {
// Truth value of a constant known at compile time: 1, 0, or -1 (not a simple constant).
int constant_truth(ast::Expr* e) {
    if (e->kind != ast::ExprKind::Constant) return -1;
    auto* c = static_cast<ast::Constant*>(e);
    switch (c->ckind) {
    case ast::ConstKind::None:
    case ast::ConstKind::False: return 0;
    case ast::ConstKind::True:
    case ast::ConstKind::Ellipsis: return 1;
    case ast::ConstKind::Int: return c->big.empty() ? c->i != 0 : 1;
    case ast::ConstKind::Float: return c->f != 0.0;
    case ast::ConstKind::Str:
    case ast::ConstKind::Bytes: return !c->s.empty();
    default: return -1;
    }
}
}  // namespace

void Compiler::jump_if(ast::Expr* e, int label, bool cond) {
    if (failed_) return;
    if (!enter_depth()) return;
    LocGuard g(u(), e->loc);
    switch (e->kind) {
    case ast::ExprKind::UnaryOp: {
        auto* un = static_cast<ast::UnaryOp*>(e);
        if (un->op == ast::UnaryOpKind::Not) {
            jump_if(un->operand, label, !cond);
            leave_depth();
            return;
        }
        break;
    }
    case ast::ExprKind::BoolOp: {
        auto* b = static_cast<ast::BoolOp*>(e);
        bool cond2 = b->op == ast::BoolOpKind::Or;
        int next2 = label;
        if (cond2 != cond) next2 = new_label();
        for (size_t i = 0; i + 1 < b->values.size(); ++i) jump_if(b->values[i], next2, cond2);
        jump_if(b->values.back(), label, cond);
        if (next2 != label) bind(next2);
        leave_depth();
        return;
    }
    case ast::ExprKind::IfExp: {
        auto* i = static_cast<ast::IfExp*>(e);
        int end = new_label(), next2 = new_label();
        jump_if(i->test, next2, false);
        jump_if(i->body, label, cond);
        emit_jump(Op::JUMP, end);
        bind(next2);
        jump_if(i->orelse, label, cond);
        bind(end);
        leave_depth();
        return;
    }
    case ast::ExprKind::Compare: {
        auto* c = static_cast<ast::Compare*>(e);
        size_t n = c->ops.size();
        if (n == 1 && (c->ops[0] == ast::CmpOpKind::Is || c->ops[0] == ast::CmpOpKind::IsNot) &&
            c->comparators[0]->kind == ast::ExprKind::Constant &&
            static_cast<ast::Constant*>(c->comparators[0])->ckind == ast::ConstKind::None) {
            visit_expr(c->left);
            bool is = c->ops[0] == ast::CmpOpKind::Is;
            emit_jump(is == cond ? Op::POP_JUMP_IF_NONE : Op::POP_JUMP_IF_NOT_NONE, label);
            leave_depth();
            return;
        }
        if (n > 1) {
            visit_expr(c->left);
            int cleanup = new_label();
            for (size_t i = 0; i + 1 < n; ++i) {
                visit_expr(c->comparators[i]);
                emit(Op::SWAP, 2);
                emit(Op::COPY, 2);
                emit_compare_op(*this, c->ops[i]);
                emit_jump(Op::POP_JUMP_IF_FALSE, cleanup);
            }
            visit_expr(c->comparators[n - 1]);
            emit_compare_op(*this, c->ops[n - 1]);
            emit_jump(cond ? Op::POP_JUMP_IF_TRUE : Op::POP_JUMP_IF_FALSE, label);
            int end = new_label();
            emit_jump(Op::JUMP, end);
            bind(cleanup);
            emit(Op::POP_TOP);
            if (!cond) emit_jump(Op::JUMP, label);
            bind(end);
            leave_depth();
            return;
        }
        break;
    }
    case ast::ExprKind::Constant: {
        int t = constant_truth(e);
        if (t >= 0) {
            if ((t == 1) == cond) emit_jump(Op::JUMP, label);
            leave_depth();
            return;
        }
        break;
    }
    default:
        break;
    }
    visit_expr(e);
    emit_jump(cond ? Op::POP_JUMP_IF_TRUE : Op::POP_JUMP_IF_FALSE, label);
    leave_depth();
}

void Compiler::visit_compare(ast::Compare* e) {
    size_t n = e->ops.size();
    visit_expr(e->left);
    if (n == 1) {
        visit_expr(e->comparators[0]);
        emit_compare_op(*this, e->ops[0]);
        return;
    }
    int cleanup = new_label();
    for (size_t i = 0; i + 1 < n; ++i) {
        visit_expr(e->comparators[i]);
        emit(Op::SWAP, 2);
        emit(Op::COPY, 2);
        emit_compare_op(*this, e->ops[i]);
        emit_jump(Op::JUMP_IF_FALSE_OR_POP, cleanup);
    }
    visit_expr(e->comparators[n - 1]);
    emit_compare_op(*this, e->ops[n - 1]);
    int end = new_label();
    emit_jump(Op::JUMP, end);
    bind(cleanup);
    emit(Op::SWAP, 2);
    emit(Op::POP_TOP);
    bind(end);
}

void Compiler::visit_boolop(ast::BoolOp* e) {
    Op jump = e->op == ast::BoolOpKind::And ? Op::JUMP_IF_FALSE_OR_POP : Op::JUMP_IF_TRUE_OR_POP;
    int end = new_label();
    for (size_t i = 0; i + 1 < e->values.size(); ++i) {
        visit_expr(e->values[i]);
        emit_jump(jump, end);
    }
    visit_expr(e->values.back());
    bind(end);
}

// ---- calls ----------------------------------------------------------------------------------

// Parameters may not be named __debug__ (CPython's compiler_check_debug_args).
bool Compiler::check_debug_args(ast::Arguments* a, const ast::Loc& loc) {
    if (!a) return true;
    auto bad = [](ast::Arg* p) { return p && p->arg == "__debug__"; };
    bool found = bad(a->vararg) || bad(a->kwarg);
    for (auto* p : a->posonlyargs) found = found || bad(p);
    for (auto* p : a->args) found = found || bad(p);
    for (auto* p : a->kwonlyargs) found = found || bad(p);
    if (found) error(loc, "cannot assign to __debug__");
    return !found;
}

bool Compiler::check_keywords(const std::vector<ast::Keyword*>& keywords) {
    for (size_t i = 0; i < keywords.size(); ++i) {
        if (keywords[i]->arg.empty()) continue;
        if (keywords[i]->arg == "__debug__") {
            error(u().loc, "cannot assign to __debug__");
            return false;
        }
        for (size_t j = i + 1; j < keywords.size(); ++j) {
            if (keywords[j]->arg == keywords[i]->arg) {
                error(keywords[j]->loc,
                      fmt::format("keyword argument repeated: {}", keywords[i]->arg));
                return false;
            }
        }
    }
    return true;
}

bool Compiler::try_super_call(ast::Call* e) {
    if (e->func->kind != ast::ExprKind::Name || !e->args.empty() || !e->keywords.empty())
        return false;
    auto* n = static_cast<ast::Name*>(e->func);
    if (n->id != "super") return false;
    Unit& un = u();
    // In comprehensions too: CPython's runtime takes `.0` as the object there (and fails).
    if (un.ste->type != BlockType::kFunction) return false;
    if (un.ste->scope_of("super") != Scope::kGlobalImplicit) return false;
    if (un.ste->scope_of("__class__") != Scope::kFree) return false;
    if (un.argcount == 0 || un.varnames.empty()) return false;
    // super() -> super(__class__, <first argument>), as CPython's runtime does.
    emit(Op::PUSH_NULL);
    {
        LocGuard g(un, n->loc);
        nameop("super", ast::Ctx::Load);
    }
    nameop("__class__", ast::Ctx::Load);
    nameop(un.varnames[0], ast::Ctx::Load);
    emit(Op::CALL, 2);
    return true;
}

void Compiler::visit_call(ast::Call* e) {
    if (!check_keywords(e->keywords)) return;
    if (try_super_call(e)) return;
    if (e->func->kind == ast::ExprKind::Attribute &&
        static_cast<ast::Attribute*>(e->func)->ctx == ast::Ctx::Load && !has_starred(e->args) &&
        e->args.size() + e->keywords.size() < kStackUseGuideline) {
        bool plain_kw = true;
        for (auto* k : e->keywords)
            if (k->arg.empty()) plain_kw = false;
        if (plain_kw) {
            auto* a = static_cast<ast::Attribute*>(e->func);
            visit_expr(a->value);
            {
                LocGuard g(u(), a->loc);
                emit(Op::LOAD_METHOD, add_name(mangle(a->attr)));
            }
            for (auto* arg : e->args) visit_expr(arg);
            if (!e->keywords.empty()) {
                std::vector<std::string> names;
                for (auto* k : e->keywords) {
                    visit_expr(k->value);
                    names.push_back(k->arg);
                }
                emit(Op::KW_NAMES, names_tuple_const(*this, names));
            }
            emit(Op::CALL, static_cast<uint32_t>(e->args.size() + e->keywords.size()));
            return;
        }
    }
    emit(Op::PUSH_NULL);
    visit_expr(e->func);
    call_helper(0, e->args, e->keywords);
}

void Compiler::call_helper(int pushed, const std::vector<ast::Expr*>& args,
                           const std::vector<ast::Keyword*>& keywords) {
    if (!check_keywords(keywords)) return;
    bool ex_call = has_starred(args) || args.size() + keywords.size() + pushed > kMaxCallArgs;
    for (auto* k : keywords)
        if (k->arg.empty()) ex_call = true;
    if (!ex_call) {
        for (auto* a : args) visit_expr(a);
        if (!keywords.empty()) {
            std::vector<std::string> names;
            for (auto* k : keywords) {
                visit_expr(k->value);
                names.push_back(k->arg);
            }
            emit(Op::KW_NAMES, names_tuple_const(*this, names));
        }
        emit(Op::CALL, static_cast<uint32_t>(pushed + args.size() + keywords.size()));
        return;
    }
    // f(*args, **kwargs): a positional tuple and a keyword dict, then CALL_FUNCTION_EX.
    starunpack(args, pushed, Op::BUILD_LIST, Op::LIST_APPEND, Op::LIST_EXTEND, true);
    if (!keywords.empty()) {
        size_t nseen = 0;
        bool have_dict = false;
        auto subkwargs = [&](size_t begin, size_t end) {
            size_t n = end - begin;
            if (n > 1) {
                std::vector<std::string> names;
                for (size_t i = begin; i < end; ++i) {
                    visit_expr(keywords[i]->value);
                    names.push_back(keywords[i]->arg);
                }
                emit(Op::LOAD_CONST, names_tuple_const(*this, names));
                emit(Op::BUILD_CONST_KEY_MAP, static_cast<uint32_t>(n));
            } else {
                emit(Op::LOAD_CONST, str_const(keywords[begin]->arg));
                visit_expr(keywords[begin]->value);
                emit(Op::BUILD_MAP, 1);
            }
        };
        for (size_t i = 0; i < keywords.size(); ++i) {
            if (keywords[i]->arg.empty()) {
                if (nseen) {
                    subkwargs(i - nseen, i);
                    if (have_dict) emit(Op::DICT_MERGE, 1);
                    have_dict = true;
                    nseen = 0;
                }
                if (!have_dict) {
                    emit(Op::BUILD_MAP, 0);
                    have_dict = true;
                }
                visit_expr(keywords[i]->value);
                emit(Op::DICT_MERGE, 1);
            } else {
                ++nseen;
            }
        }
        if (nseen) {
            subkwargs(keywords.size() - nseen, keywords.size());
            if (have_dict) emit(Op::DICT_MERGE, 1);
        }
    }
    emit(Op::CALL_FUNCTION_EX, keywords.empty() ? 0 : 1);
}

// ---- displays -------------------------------------------------------------------------------

void Compiler::starunpack(const std::vector<ast::Expr*>& elts, int pushed, Op build, Op add,
                          Op extend, bool tuple) {
    size_t n = elts.size();
    // [c1, c2, c3, ...] of constants: BUILD_LIST 0; LOAD_CONST (c1, c2, ...); LIST_EXTEND 1.
    if (n > 2 && build == Op::BUILD_LIST && !tuple && pushed == 0) {
        bool all_const = true;
        for (auto* x : elts)
            if (x->kind != ast::ExprKind::Constant) all_const = false;
        if (all_const) {
            ast::Tuple tmp;
            tmp.elts = elts;
            Ref v;
            std::string key;
            if (const_value(&tmp, &v, &key)) {
                emit(Op::BUILD_LIST, 0);
                emit(Op::LOAD_CONST, add_const(std::move(v), key));
                emit(Op::LIST_EXTEND, 1);
                return;
            }
            if (failed_) return;
        }
    }
    bool seen_star = has_starred(elts);
    bool big = n + pushed > kStackUseGuideline;
    if (!seen_star && !big) {
        for (auto* x : elts) visit_expr(x);
        emit(tuple ? Op::BUILD_TUPLE : build, static_cast<uint32_t>(n + pushed));
        return;
    }
    bool built = false;
    if (big) {
        emit(build, static_cast<uint32_t>(pushed));
        built = true;
    }
    for (size_t i = 0; i < n; ++i) {
        ast::Expr* x = elts[i];
        if (x->kind == ast::ExprKind::Starred) {
            if (!built) {
                emit(build, static_cast<uint32_t>(i + pushed));
                built = true;
            }
            visit_expr(static_cast<ast::Starred*>(x)->value);
            emit(extend, 1);
        } else {
            visit_expr(x);
            if (built) emit(add, 1);
        }
    }
    if (tuple) emit(Op::LIST_TO_TUPLE);
}

void Compiler::visit_subdict(ast::Dict* e, size_t begin, size_t end) {
    size_t n = end - begin;
    bool all_const_keys = n > 1;
    for (size_t i = begin; i < end && all_const_keys; ++i) {
        ast::Expr* k = e->keys[i];
        if (k->kind != ast::ExprKind::Constant) all_const_keys = false;
    }
    if (all_const_keys) {
        std::vector<Ref> keys;
        std::string key = fmt::format("t{}(", n);
        for (size_t i = begin; i < end; ++i) {
            Ref v;
            std::string sub;
            if (!const_value(e->keys[i], &v, &sub)) {
                all_const_keys = false;
                break;
            }
            keys.push_back(std::move(v));
            key += sub;
            key += ';';
        }
        if (failed_) return;
        if (all_const_keys) {
            key += ')';
            for (size_t i = begin; i < end; ++i) visit_expr(e->values[i]);
            RefT<Tuple> t = new_tuple(static_cast<int64_t>(n));
            if (!t) {
                set_runtime_error();
                return;
            }
            for (size_t i = 0; i < n; ++i) t->items[i] = keys[i].release();
            emit(Op::LOAD_CONST, add_const(std::move(t), key));
            emit(Op::BUILD_CONST_KEY_MAP, static_cast<uint32_t>(n));
            return;
        }
    }
    for (size_t i = begin; i < end; ++i) {
        visit_expr(e->keys[i]);
        visit_expr(e->values[i]);
    }
    emit(Op::BUILD_MAP, static_cast<uint32_t>(n));
}

void Compiler::visit_dict(ast::Dict* e) {
    size_t n = e->values.size();
    size_t elements = 0;
    bool have_dict = false;
    for (size_t i = 0; i < n; ++i) {
        if (!e->keys[i]) {  // {**m}
            if (elements) {
                visit_subdict(e, i - elements, i);
                if (have_dict) emit(Op::DICT_UPDATE, 1);
                have_dict = true;
                elements = 0;
            }
            if (!have_dict) {
                emit(Op::BUILD_MAP, 0);
                have_dict = true;
            }
            visit_expr(e->values[i]);
            emit(Op::DICT_UPDATE, 1);
        } else {
            if (elements * 2 > kStackUseGuideline) {
                visit_subdict(e, i - elements, i);
                if (have_dict) emit(Op::DICT_UPDATE, 1);
                have_dict = true;
                elements = 0;
            }
            ++elements;
        }
    }
    if (elements) {
        visit_subdict(e, n - elements, n);
        if (have_dict) emit(Op::DICT_UPDATE, 1);
        have_dict = true;
    }
    if (!have_dict) emit(Op::BUILD_MAP, 0);
}

void Compiler::visit_slice(ast::Slice* e) {
    if (e->lower)
        visit_expr(e->lower);
    else
        load_none();
    if (e->upper)
        visit_expr(e->upper);
    else
        load_none();
    if (e->step) {
        visit_expr(e->step);
        emit(Op::BUILD_SLICE, 3);
    } else {
        emit(Op::BUILD_SLICE, 2);
    }
}

void Compiler::visit_joined_str(ast::JoinedStr* e) {
    if (e->values.empty()) {
        emit(Op::LOAD_CONST, str_const(""));
        return;
    }
    if (e->values.size() == 1) {
        visit_expr(e->values[0]);
        return;
    }
    for (auto* v : e->values) visit_expr(v);
    emit(Op::BUILD_STRING, static_cast<uint32_t>(e->values.size()));
}

void Compiler::visit_formatted_value(ast::FormattedValue* e) {
    visit_expr(e->value);
    uint32_t flags = 0;
    switch (e->conversion) {
    case 's': flags = 1; break;
    case 'r': flags = 2; break;
    case 'a': flags = 3; break;
    default: break;
    }
    if (e->format_spec) {
        visit_expr(e->format_spec);
        flags |= 4;
    }
    emit(Op::FORMAT_VALUE, flags);
}

// ---- functions: lambda, comprehensions --------------------------------------------------------

uint32_t Compiler::default_arguments(ast::Arguments* args) {
    uint32_t flags = 0;
    if (!args) return 0;
    if (!args->defaults.empty()) {
        ast::Tuple tmp;
        tmp.elts = args->defaults;
        Ref v;
        std::string key;
        if (const_value(&tmp, &v, &key)) {
            emit(Op::LOAD_CONST, add_const(std::move(v), key));
        } else {
            if (failed_) return 0;
            for (auto* d : args->defaults) visit_expr(d);
            emit(Op::BUILD_TUPLE, static_cast<uint32_t>(args->defaults.size()));
        }
        flags |= 1;
    }
    uint32_t nkw = 0;
    for (size_t i = 0; i < args->kwonlyargs.size(); ++i) {
        ast::Expr* d = i < args->kw_defaults.size() ? args->kw_defaults[i] : nullptr;
        if (!d) continue;
        emit(Op::LOAD_CONST, str_const(mangle(args->kwonlyargs[i]->arg)));
        visit_expr(d);
        ++nkw;
    }
    if (nkw) {
        emit(Op::BUILD_MAP, nkw);
        flags |= 2;
    }
    return flags;
}

void Compiler::set_arguments(ast::Arguments* args) {
    if (!args) return;
    u().argcount = static_cast<uint32_t>(args->posonlyargs.size() + args->args.size());
    u().posonlyargcount = static_cast<uint32_t>(args->posonlyargs.size());
    u().kwonlyargcount = static_cast<uint32_t>(args->kwonlyargs.size());
}

void Compiler::visit_lambda(ast::Lambda* e) {
    if (!check_debug_args(e->args, e->loc)) return;
    uint32_t flags = default_arguments(e->args);
    if (failed_) return;
    if (!enter_scope("<lambda>", ScopeType::kLambda, e, e->loc.line)) return;
    u().loc = e->loc;
    const_none();  // consts[0]: a lambda has no docstring
    set_arguments(e->args);
    visit_expr(e->body);
    if (u().ste->generator) {
        emit(Op::POP_TOP);
    } else {
        emit(Op::RETURN_VALUE);
    }
    RefT<CodeObject> co = leave_scope();
    if (!co) return;
    make_closure(std::move(co), flags);
}

void Compiler::visit_comprehension(ast::Expr* e, const char* name,
                                   const std::vector<ast::Comprehension*>& gens, ast::Expr* elt,
                                   ast::Expr* value, int kind) {
    if (gens.empty()) {
        error(e->loc, "comprehension without a 'for'");
        return;
    }
    if (!enter_scope(name, ScopeType::kComprehension, e, e->loc.line)) return;
    // An `async for` or an await inside makes the comprehension a coroutine (a genexp: an
    // async generator), which only an async function (or another comprehension) may await.
    bool is_async = u().ste->coroutine;
    if (is_async && kind != kGenExp) {
        const Unit& outer = *units_[units_.size() - 2];
        if (!outer.async_function && outer.scope_type != ScopeType::kComprehension)
            error(e->loc, "asynchronous comprehension outside of an asynchronous function");
    }
    u().loc = e->loc;
    u().argcount = 1;
    if (kind == kListComp) emit(Op::BUILD_LIST, 0);
    if (kind == kSetComp) emit(Op::BUILD_SET, 0);
    if (kind == kDictComp) emit(Op::BUILD_MAP, 0);
    comprehension_generator(gens, 0, 0, elt, value, kind);
    if (kind != kGenExp) emit(Op::RETURN_VALUE);
    RefT<CodeObject> co = leave_scope();
    if (!co) return;
    make_closure(std::move(co), 0);
    visit_expr(gens[0]->iter);
    emit(gens[0]->is_async ? Op::GET_AITER : Op::GET_ITER);
    emit(Op::CALL, 0);
    if (is_async && kind != kGenExp) await_tos(0);
}

void Compiler::comprehension_generator(const std::vector<ast::Comprehension*>& gens,
                                       size_t index, int depth, ast::Expr* elt, ast::Expr* value,
                                       int kind) {
    if (failed_) return;
    if (!enter_depth()) return;
    ast::Comprehension* gen = gens[index];
    int start = new_label(), if_cleanup = new_label(), anchor = new_label();
    if (index == 0) {
        emit(Op::LOAD_FAST, 0);  // .0, the outermost iterator
    } else {
        visit_expr(gen->iter);
        emit(gen->is_async ? Op::GET_AITER : Op::GET_ITER);
    }
    bind(start);
    ++depth;
    if (gen->is_async) {
        // As `async for`: await __anext__() in a handler that ends the loop on
        // StopAsyncIteration (END_ASYNC_FOR at `anchor`).
        int h = push_handler(anchor, 0, false);
        emit(Op::GET_ANEXT);
        load_none();
        emit(Op::YIELD_FROM);
        pop_handler(h);
    } else {
        emit_jump(Op::FOR_ITER, anchor);
    }
    store_target(gen->target);
    for (auto* cond : gen->ifs) jump_if(cond, if_cleanup, false);
    if (index + 1 < gens.size()) {
        comprehension_generator(gens, index + 1, depth, elt, value, kind);
    } else {
        LocGuard g(u(), elt->loc);
        switch (kind) {
        case kGenExp:
            visit_expr(elt);
            if (u().ste->coroutine) emit(Op::ASYNC_GEN_WRAP);  // an async generator expression
            emit(Op::YIELD_VALUE);
            emit(Op::POP_TOP);
            break;
        case kListComp:
            visit_expr(elt);
            emit(Op::LIST_APPEND, static_cast<uint32_t>(depth + 1));
            break;
        case kSetComp:
            visit_expr(elt);
            emit(Op::SET_ADD, static_cast<uint32_t>(depth + 1));
            break;
        case kDictComp:
            visit_expr(elt);
            visit_expr(value);
            emit(Op::MAP_ADD, static_cast<uint32_t>(depth + 1));
            break;
        }
    }
    bind(if_cleanup);
    emit_jump(Op::JUMP, start);
    bind(anchor);
    if (gen->is_async) emit(Op::END_ASYNC_FOR);
    leave_depth();
}

}  // namespace compiler_detail
}  // namespace toy
