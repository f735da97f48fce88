// compiler_stmt.cpp: code generation for statements (CPython 3.11's compiler_visit_stmt and
// helpers): assignments, control flow with break/continue/return unwinding through
// try/finally and with, exception handling with the exception table, def/class, imports.
#include <fmt/format.h>

#include "interp/compiler_internal.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {
namespace compiler_detail {

void emit_compare_op(Compiler& c, ast::CmpOpKind k);
std::string str_const_key(const std::string& s);
Ref make_str_const(const std::string& s);

bool Compiler::is_docstring(ast::Stmt* s) {
    if (s->kind != ast::StmtKind::Expr) return false;
    ast::Expr* v = static_cast<ast::ExprStmt*>(s)->value;
    return v->kind == ast::ExprKind::Constant &&
           static_cast<ast::Constant*>(v)->ckind == ast::ConstKind::Str;
}

bool Compiler::find_annotations(const ast::Body& body) {
    for (auto* s : body) {
        switch (s->kind) {
        case ast::StmtKind::AnnAssign:
            return true;
        case ast::StmtKind::For:
        case ast::StmtKind::AsyncFor: {
            auto* f = static_cast<ast::For*>(s);
            if (find_annotations(f->body) || find_annotations(f->orelse)) return true;
            break;
        }
        case ast::StmtKind::While: {
            auto* w = static_cast<ast::While*>(s);
            if (find_annotations(w->body) || find_annotations(w->orelse)) return true;
            break;
        }
        case ast::StmtKind::If: {
            auto* i = static_cast<ast::If*>(s);
            if (find_annotations(i->body) || find_annotations(i->orelse)) return true;
            break;
        }
        case ast::StmtKind::With:
        case ast::StmtKind::AsyncWith:
            if (find_annotations(static_cast<ast::With*>(s)->body)) return true;
            break;
        case ast::StmtKind::Try:
        case ast::StmtKind::TryStar: {
            auto* t = static_cast<ast::Try*>(s);
            if (find_annotations(t->body) || find_annotations(t->orelse) ||
                find_annotations(t->finalbody))
                return true;
            for (auto* h : t->handlers)
                if (find_annotations(h->body)) return true;
            break;
        }
        default:
            break;
        }
    }
    return false;
}

void Compiler::body_with_docstring(const ast::Body& body, bool store_doc) {
    size_t i = 0;
    if (store_doc && !body.empty() && is_docstring(body[0])) {
        LocGuard g(u(), body[0]->loc);
        auto* c = static_cast<ast::Constant*>(static_cast<ast::ExprStmt*>(body[0])->value);
        emit(Op::LOAD_CONST, str_const(c->s));
        emit(Op::STORE_NAME, add_name("__doc__"));
        i = 1;
    }
    for (; i < body.size() && !failed_; ++i) visit_stmt(body[i]);
}

void Compiler::visit_body(const ast::Body& body) {
    for (auto* s : body) {
        if (failed_) return;
        visit_stmt(s);
    }
}

void Compiler::visit_stmt(ast::Stmt* s) {
    if (failed_) return;
    if (!enter_depth()) return;
    LocGuard g(u(), s->loc);
    visit_stmt_inner(s);
    leave_depth();
}

void Compiler::visit_stmt_inner(ast::Stmt* s) {
    using K = ast::StmtKind;
    switch (s->kind) {
    case K::FunctionDef:
    case K::AsyncFunctionDef:
        visit_function(static_cast<ast::FunctionDef*>(s));
        return;
    case K::ClassDef:
        visit_class(static_cast<ast::ClassDef*>(s));
        return;
    case K::Return:
        visit_return(static_cast<ast::Return*>(s));
        return;
    case K::Delete:
        for (auto* t : static_cast<ast::Delete*>(s)->targets) visit_delete(t);
        return;
    case K::Assign: {
        auto* a = static_cast<ast::Assign*>(s);
        if (a->targets.size() == 1 && swap_assign(a->targets[0], a->value)) return;
        visit_expr(a->value);
        for (size_t i = 0; i < a->targets.size(); ++i) {
            if (i + 1 < a->targets.size()) emit(Op::COPY, 1);
            store_target(a->targets[i]);
        }
        return;
    }
    case K::AugAssign:
        visit_augassign(static_cast<ast::AugAssign*>(s));
        return;
    case K::AnnAssign:
        visit_annassign(static_cast<ast::AnnAssign*>(s));
        return;
    case K::For:
        visit_for(static_cast<ast::For*>(s));
        return;
    case K::AsyncFor:
        visit_async_for(static_cast<ast::For*>(s));
        return;
    case K::While:
        visit_while(static_cast<ast::While*>(s));
        return;
    case K::If:
        visit_if(static_cast<ast::If*>(s));
        return;
    case K::With:
        visit_with(static_cast<ast::With*>(s), 0, false);
        return;
    case K::AsyncWith:
        visit_with(static_cast<ast::With*>(s), 0, true);
        return;
    case K::Match:
        error(s->loc, "'match' statement is not supported yet");
        return;
    case K::Raise:
        visit_raise(static_cast<ast::Raise*>(s));
        return;
    case K::Try:
        visit_try(static_cast<ast::Try*>(s));
        return;
    case K::TryStar:
        error(s->loc, "'except*' is not supported yet");
        return;
    case K::Assert:
        visit_assert(static_cast<ast::Assert*>(s));
        return;
    case K::Import:
        visit_import(static_cast<ast::Import*>(s));
        return;
    case K::ImportFrom:
        visit_import_from(static_cast<ast::ImportFrom*>(s));
        return;
    case K::Global:
    case K::Nonlocal:
    case K::Pass:
        return;
    case K::Expr: {
        ast::Expr* v = static_cast<ast::ExprStmt*>(s)->value;
        if (interactive_ && units_.size() == 1) {
            visit_expr(v);
            emit(Op::PRINT_EXPR);
            return;
        }
        if (v->kind == ast::ExprKind::Constant) return;  // no effect (docstrings, `...`)
        visit_expr(v);
        emit(Op::POP_TOP);
        return;
    }
    case K::Break:
        visit_break(s);
        return;
    case K::Continue:
        visit_continue(s);
        return;
    }
}

// ---- assignment -----------------------------------------------------------------------------

void Compiler::unpack_helper(const std::vector<ast::Expr*>& elts, const ast::Loc& loc) {
    size_t n = elts.size();
    bool seen_star = false;
    for (size_t i = 0; i < n; ++i) {
        if (elts[i]->kind != ast::ExprKind::Starred) continue;
        if (seen_star) {
            error(loc, "multiple starred expressions in assignment");
            return;
        }
        size_t after = n - i - 1;
        if (i >= (1u << 8) || after >= (1u << 16)) {
            error(loc, "too many expressions in star-unpacking assignment");
            return;
        }
        emit(Op::UNPACK_EX, static_cast<uint32_t>(i | (after << 8)));
        seen_star = true;
    }
    if (!seen_star) emit(Op::UNPACK_SEQUENCE, static_cast<uint32_t>(n));
}

void Compiler::store_target(ast::Expr* t) {
    if (failed_) return;
    if (!enter_depth()) return;
    LocGuard g(u(), t->loc);
    switch (t->kind) {
    case ast::ExprKind::Name: {
        auto* n = static_cast<ast::Name*>(t);
        if (n->id == "__debug__") {
            error(t->loc, "cannot assign to __debug__");
            break;
        }
        nameop(n->id, ast::Ctx::Store);
        break;
    }
    case ast::ExprKind::Attribute: {
        auto* a = static_cast<ast::Attribute*>(t);
        if (a->attr == "__debug__") {
            error(t->loc, "cannot assign to __debug__");
            break;
        }
        visit_expr(a->value);
        emit(Op::STORE_ATTR, add_name(mangle(a->attr)));
        break;
    }
    case ast::ExprKind::Subscript: {
        auto* s = static_cast<ast::Subscript*>(t);
        visit_expr(s->value);
        visit_expr(s->slice);
        emit(Op::STORE_SUBSCR);
        break;
    }
    case ast::ExprKind::Tuple:
    case ast::ExprKind::List: {
        const auto& elts = t->kind == ast::ExprKind::Tuple ? static_cast<ast::Tuple*>(t)->elts
                                                           : static_cast<ast::List*>(t)->elts;
        unpack_helper(elts, t->loc);
        for (auto* e : elts) {
            if (e->kind == ast::ExprKind::Starred)
                store_target(static_cast<ast::Starred*>(e)->value);
            else
                store_target(e);
        }
        break;
    }
    case ast::ExprKind::Starred:
        error(t->loc, "starred assignment target must be in a list or tuple");
        break;
    default:
        error(t->loc, "cannot assign to expression");
        break;
    }
    leave_depth();
}

// `a, b = b, a` / `a, b, c = x, y, z`: evaluate the values, reverse them with one SWAP and
// store; no tuple is built (CPython 3.11's optimizer turns BUILD_TUPLE n + UNPACK_SEQUENCE n
// into the same SWAP for n = 2, 3).
bool Compiler::swap_assign(ast::Expr* target, ast::Expr* value) {
    if (value->kind != ast::ExprKind::Tuple) return false;
    if (target->kind != ast::ExprKind::Tuple && target->kind != ast::ExprKind::List) return false;
    const auto& vals = static_cast<ast::Tuple*>(value)->elts;
    const auto& tgts = target->kind == ast::ExprKind::Tuple ? static_cast<ast::Tuple*>(target)->elts
                                                            : static_cast<ast::List*>(target)->elts;
    size_t n = vals.size();
    if (n < 2 || n > 3 || tgts.size() != n) return false;
    for (size_t i = 0; i < n; ++i)
        if (vals[i]->kind == ast::ExprKind::Starred || tgts[i]->kind == ast::ExprKind::Starred)
            return false;
    {
        Ref v;
        std::string key;
        if (const_value(value, &v, &key)) return false;  // LOAD_CONST + UNPACK_SEQUENCE
        if (failed_) return true;
    }
    for (auto* v : vals) visit_expr(v);
    {
        LocGuard g(u(), target->loc);
        emit(Op::SWAP, static_cast<uint32_t>(n));
    }
    for (auto* t : tgts) store_target(t);
    return true;
}

void Compiler::visit_delete(ast::Expr* t) {
    if (failed_) return;
    if (!enter_depth()) return;
    LocGuard g(u(), t->loc);
    switch (t->kind) {
    case ast::ExprKind::Name:
        if (static_cast<ast::Name*>(t)->id == "__debug__") {
            error(t->loc, "cannot delete __debug__");
            break;
        }
        nameop(static_cast<ast::Name*>(t)->id, ast::Ctx::Del);
        break;
    case ast::ExprKind::Attribute: {
        auto* a = static_cast<ast::Attribute*>(t);
        visit_expr(a->value);
        emit(Op::DELETE_ATTR, add_name(mangle(a->attr)));
        break;
    }
    case ast::ExprKind::Subscript: {
        auto* s = static_cast<ast::Subscript*>(t);
        visit_expr(s->value);
        visit_expr(s->slice);
        emit(Op::DELETE_SUBSCR);
        break;
    }
    case ast::ExprKind::Tuple:
        for (auto* e : static_cast<ast::Tuple*>(t)->elts) visit_delete(e);
        break;
    case ast::ExprKind::List:
        for (auto* e : static_cast<ast::List*>(t)->elts) visit_delete(e);
        break;
    default:
        error(t->loc, "cannot delete expression");
        break;
    }
    leave_depth();
}

void Compiler::visit_augassign(ast::AugAssign* s) {
    uint32_t op = static_cast<uint32_t>(s->op) | kInplaceBit;
    ast::Expr* t = s->target;
    switch (t->kind) {
    case ast::ExprKind::Name: {
        auto* n = static_cast<ast::Name*>(t);
        {
            LocGuard g(u(), t->loc);
            nameop(n->id, ast::Ctx::Load);
        }
        visit_expr(s->value);
        emit(Op::BINARY_OP, op);
        LocGuard g(u(), t->loc);
        nameop(n->id, ast::Ctx::Store);
        return;
    }
    case ast::ExprKind::Attribute: {
        auto* a = static_cast<ast::Attribute*>(t);
        uint32_t name = add_name(mangle(a->attr));
        visit_expr(a->value);
        {
            LocGuard g(u(), t->loc);
            emit(Op::COPY, 1);
            emit(Op::LOAD_ATTR, name);
        }
        visit_expr(s->value);
        emit(Op::BINARY_OP, op);
        LocGuard g(u(), t->loc);
        emit(Op::SWAP, 2);
        emit(Op::STORE_ATTR, name);
        return;
    }
    case ast::ExprKind::Subscript: {
        auto* sub = static_cast<ast::Subscript*>(t);
        visit_expr(sub->value);
        visit_expr(sub->slice);
        {
            LocGuard g(u(), t->loc);
            emit(Op::COPY, 2);
            emit(Op::COPY, 2);
            emit(Op::BINARY_SUBSCR);
        }
        visit_expr(s->value);
        emit(Op::BINARY_OP, op);
        LocGuard g(u(), t->loc);
        emit(Op::SWAP, 3);
        emit(Op::SWAP, 2);
        emit(Op::STORE_SUBSCR);
        return;
    }
    default:
        error(t->loc, "'expression' is an illegal expression for augmented assignment");
        return;
    }
}

void Compiler::visit_annassign(ast::AnnAssign* s) {
    bool module_or_class =
        u().scope_type == ScopeType::kModule || u().scope_type == ScopeType::kClass;
    ast::Expr* t = s->target;
    switch (t->kind) {
    case ast::ExprKind::Name:
        if (s->value) {
            visit_expr(s->value);
            store_target(t);
        }
        if (s->simple && module_or_class) {
            visit_annotation(s->annotation);
            emit(Op::LOAD_NAME, add_name("__annotations__"));
            emit(Op::LOAD_CONST, str_const(mangle(static_cast<ast::Name*>(t)->id)));
            emit(Op::STORE_SUBSCR);
        }
        break;
    case ast::ExprKind::Attribute:
        if (s->value) {
            visit_expr(s->value);
            store_target(t);
        } else {
            visit_expr(static_cast<ast::Attribute*>(t)->value);
            emit(Op::POP_TOP);
        }
        break;
    case ast::ExprKind::Subscript:
        if (s->value) {
            visit_expr(s->value);
            store_target(t);
        } else {
            visit_expr(static_cast<ast::Subscript*>(t)->value);
            emit(Op::POP_TOP);
            visit_expr(static_cast<ast::Subscript*>(t)->slice);
            emit(Op::POP_TOP);
        }
        break;
    default:
        error(t->loc, "invalid annotation target");
        return;
    }
    if (!s->simple && module_or_class && !future_annotations_) {
        visit_expr(s->annotation);
        emit(Op::POP_TOP);
    }
}

// ---- control flow ---------------------------------------------------------------------------

void Compiler::visit_if(ast::If* s) {
    int end = new_label();
    int next = s->orelse.empty() ? end : new_label();
    jump_if(s->test, next, false);
    visit_body(s->body);
    if (!s->orelse.empty()) {
        emit_jump_noline(Op::JUMP, end);
        bind(next);
        visit_body(s->orelse);
    }
    bind(end);
}

void Compiler::visit_while(ast::While* s) {
    // As CPython 3.11: the test is repeated at the bottom, so an iteration costs one
    // conditional jump instead of a test, a conditional jump and a JUMP back.
    int loop = new_label(), body = new_label(), anchor = new_label(), end = new_label();
    bind(loop);
    push_fblock(FBlock{FBlockKind::kWhileLoop, loop, end});
    jump_if(s->test, anchor, false);
    bind(body);
    visit_body(s->body);
    {
        LocGuard g(u(), s->test->loc);
        jump_if(s->test, body, true);
    }
    pop_fblock();
    bind(anchor);
    visit_body(s->orelse);
    bind(end);
}

void Compiler::visit_for(ast::For* s) {
    int start = new_label(), cleanup = new_label(), end = new_label();
    visit_expr(s->iter);
    emit(Op::GET_ITER);
    bind(start);
    push_fblock(FBlock{FBlockKind::kForLoop, start, end});
    emit_jump(Op::FOR_ITER, cleanup);
    store_target(s->target);
    visit_body(s->body);
    emit_jump(Op::JUMP, start);
    pop_fblock();
    bind(cleanup);
    visit_body(s->orelse);
    bind(end);
}

// async for (as CPython 3.11): the loop's head awaits aiter.__anext__() inside a handler that
// ends the loop on StopAsyncIteration (END_ASYNC_FOR) and re-raises anything else.
void Compiler::visit_async_for(ast::For* s) {
    if (!u().async_function) {
        error(s->loc, "'async for' outside async function");
        return;
    }
    int start = new_label(), except = new_label(), end = new_label();
    visit_expr(s->iter);
    emit(Op::GET_AITER);
    bind(start);
    push_fblock(FBlock{FBlockKind::kForLoop, start, end});
    int h = push_handler(except, 0, false);
    emit(Op::GET_ANEXT);
    load_none();
    emit(Op::YIELD_FROM);
    pop_handler(h);
    store_target(s->target);
    visit_body(s->body);
    emit_jump(Op::JUMP, start);
    pop_fblock();
    bind(except);
    emit(Op::END_ASYNC_FOR);
    visit_body(s->orelse);
    bind(end);
}

void Compiler::await_tos(int where) {
    emit(Op::GET_AWAITABLE, static_cast<uint32_t>(where));
    load_none();
    emit(Op::YIELD_FROM);
}

void Compiler::call_exit_with_nones() {
    load_none();
    load_none();
    load_none();
    emit(Op::CALL, 2);  // exit is in the callable-or-null slot: exit(None, None, None)
}

void Compiler::unwind_fblock(const FBlock& fb, bool preserve_tos) {
    switch (fb.kind) {
    case FBlockKind::kWhileLoop:
    case FBlockKind::kExceptionHandler:
        return;
    case FBlockKind::kForLoop:
        if (preserve_tos) emit(Op::SWAP, 2);
        emit(Op::POP_TOP);  // the iterator
        return;
    case FBlockKind::kTryExcept:
        u().cur_handler = fb.outer_handler;
        return;
    case FBlockKind::kFinallyTry: {
        u().cur_handler = fb.outer_handler;
        if (preserve_tos) push_fblock(FBlock{FBlockKind::kPopValue});
        visit_body(*static_cast<const ast::Body*>(fb.datum));
        if (preserve_tos) pop_fblock();
        return;
    }
    case FBlockKind::kFinallyEnd:
        if (preserve_tos) emit(Op::SWAP, 2);
        emit(Op::POP_TOP);  // the exception
        if (preserve_tos) emit(Op::SWAP, 2);
        u().cur_handler = fb.outer_handler;
        emit(Op::POP_EXCEPT);
        return;
    case FBlockKind::kWith: {
        LocGuard g(u(), static_cast<const ast::Node*>(fb.datum)->loc);
        u().cur_handler = fb.outer_handler;
        if (preserve_tos) emit(Op::SWAP, 2);
        call_exit_with_nones();
        emit(Op::POP_TOP);
        return;
    }
    case FBlockKind::kAsyncWith: {
        LocGuard g(u(), static_cast<const ast::Node*>(fb.datum)->loc);
        u().cur_handler = fb.outer_handler;
        if (preserve_tos) emit(Op::SWAP, 2);
        call_exit_with_nones();
        await_tos(2);
        emit(Op::POP_TOP);
        return;
    }
    case FBlockKind::kHandlerCleanup: {
        u().cur_handler = fb.outer_handler;
        if (preserve_tos) emit(Op::SWAP, 2);
        emit(Op::POP_EXCEPT);
        if (fb.datum) {
            const auto& name = *static_cast<const std::string*>(fb.datum);
            load_none();
            nameop(name, ast::Ctx::Store);
            nameop(name, ast::Ctx::Del);
        }
        return;
    }
    case FBlockKind::kPopValue:
        if (preserve_tos) emit(Op::SWAP, 2);
        emit(Op::POP_TOP);
        return;
    }
}

Compiler::Saved Compiler::unwind_fblock_stack(bool preserve_tos, FBlock* loop, bool* found_loop) {
    Saved saved{u().fblocks, u().cur_handler};
    if (found_loop) *found_loop = false;
    while (!u().fblocks.empty() && !failed_) {
        FBlock top = u().fblocks.back();
        if (loop && (top.kind == FBlockKind::kWhileLoop || top.kind == FBlockKind::kForLoop)) {
            *loop = top;
            *found_loop = true;
            break;
        }
        u().fblocks.pop_back();
        unwind_fblock(top, preserve_tos);
    }
    return saved;
}

void Compiler::visit_return(ast::Return* s) {
    if (u().ste->type != BlockType::kFunction) {
        error(s->loc, "'return' outside function");
        return;
    }
    if (s->value && u().ste->generator && u().ste->coroutine) {
        error(s->loc, "'return' with value in async generator");
        return;
    }
    bool preserve_tos = s->value && s->value->kind != ast::ExprKind::Constant;
    if (preserve_tos) visit_expr(s->value);
    Saved saved = unwind_fblock_stack(preserve_tos, nullptr, nullptr);
    if (!s->value)
        load_none();
    else if (!preserve_tos)
        visit_expr(s->value);
    emit(Op::RETURN_VALUE);
    restore_fblocks(std::move(saved));
}

void Compiler::visit_break(ast::Stmt* s) {
    FBlock loop{FBlockKind::kWhileLoop};
    bool found = false;
    Saved saved = unwind_fblock_stack(false, &loop, &found);
    if (!found) {
        restore_fblocks(std::move(saved));
        error(s->loc, "'break' outside loop");
        return;
    }
    unwind_fblock(loop, false);
    emit_jump(Op::JUMP, loop.exit_label);
    restore_fblocks(std::move(saved));
}

void Compiler::visit_continue(ast::Stmt* s) {
    FBlock loop{FBlockKind::kWhileLoop};
    bool found = false;
    Saved saved = unwind_fblock_stack(false, &loop, &found);
    if (!found) {
        restore_fblocks(std::move(saved));
        error(s->loc, "'continue' not properly in loop");
        return;
    }
    emit_jump(Op::JUMP, loop.block_label);
    restore_fblocks(std::move(saved));
}

// ---- exceptions -----------------------------------------------------------------------------

void Compiler::visit_raise(ast::Raise* s) {
    uint32_t n = 0;
    if (s->exc) {
        visit_expr(s->exc);
        ++n;
        if (s->cause) {
            visit_expr(s->cause);
            ++n;
        }
    }
    emit(Op::RAISE_VARARGS, n);
}

void Compiler::visit_assert(ast::Assert* s) {
    int end = new_label();
    jump_if(s->test, end, true);
    emit(Op::LOAD_ASSERTION_ERROR);
    if (s->msg) {
        visit_expr(s->msg);
        emit(Op::CALL, 0);  // AssertionError is in the callable-or-null slot
    }
    emit(Op::RAISE_VARARGS, 1);
    bind(end);
}

void Compiler::visit_try(ast::Try* s) {
    if (!s->finalbody.empty())
        visit_try_finally(s);
    else
        visit_try_except(s);
}

// try: body finally: final
//         SETUP_FINALLY end          (handler depth d)
//         <body>
//         POP_BLOCK
//         <final>
//         JUMP exit
//   end:  SETUP_CLEANUP cleanup      [exc]  (depth d+1, lasti)
//         PUSH_EXC_INFO              [prev exc]
//         <final>
//         RERAISE 0
// cleanup: COPY 3; POP_EXCEPT; RERAISE 1   [prev lasti exc2]
//   exit:
void Compiler::visit_try_finally(ast::Try* s) {
    int end = new_label(), exit = new_label(), cleanup = new_label();
    int h = push_handler(end, 0, false);
    push_fblock(FBlock{FBlockKind::kFinallyTry, -1, -1, u().handlers[h].parent, &s->finalbody});
    if (!s->handlers.empty())
        visit_try_except(s);
    else
        visit_body(s->body);
    pop_fblock();
    pop_handler(h);
    visit_body(s->finalbody);
    emit_jump_noline(Op::JUMP, exit);

    bind(end);
    int hc = push_handler(cleanup, 0, true);
    emit(Op::PUSH_EXC_INFO);
    push_fblock(FBlock{FBlockKind::kFinallyEnd, -1, -1, u().handlers[hc].parent});
    visit_body(s->finalbody);
    pop_fblock();
    emit(Op::RERAISE, 0);
    pop_handler(hc);

    bind(cleanup);
    emit(Op::COPY, 3);
    emit(Op::POP_EXCEPT);
    emit(Op::RERAISE, 1);
    bind(exit);
}

// try: body except T as e: h ... else: orelse   (CPython 3.11's compiler_try_except)
void Compiler::visit_try_except(ast::Try* s) {
    int except = new_label(), end = new_label(), cleanup = new_label();
    int h1 = push_handler(except, 0, false);
    push_fblock(FBlock{FBlockKind::kTryExcept, -1, -1, u().handlers[h1].parent});
    visit_body(s->body);
    pop_fblock();
    pop_handler(h1);
    visit_body(s->orelse);
    emit_jump_noline(Op::JUMP, end);

    bind(except);  // [exc]
    int h2 = push_handler(cleanup, 0, true);
    int outer = u().handlers[h2].parent;
    emit(Op::PUSH_EXC_INFO);  // [prev exc]
    push_fblock(FBlock{FBlockKind::kExceptionHandler});
    size_t n = s->handlers.size();
    for (size_t i = 0; i < n && !failed_; ++i) {
        ast::ExceptHandler* handler = s->handlers[i];
        LocGuard g(u(), handler->loc);
        if (!handler->type && i + 1 < n) {
            error(handler->loc, "default 'except:' must be last");
            return;
        }
        int next = new_label();
        if (handler->type) {
            visit_expr(handler->type);
            emit(Op::CHECK_EXC_MATCH);
            emit_jump(Op::POP_JUMP_IF_FALSE, next);
        }
        if (!handler->name.empty()) {
            int cleanup_end = new_label();
            nameop(handler->name, ast::Ctx::Store);  // [prev]
            push_handler(cleanup_end, 0, true);
            push_fblock(FBlock{FBlockKind::kHandlerCleanup, -1, -1, outer, &handler->name});
            visit_body(handler->body);
            pop_fblock();
            u().cur_handler = outer;
            emit(Op::POP_EXCEPT);
            load_none();
            nameop(handler->name, ast::Ctx::Store);
            nameop(handler->name, ast::Ctx::Del);
            emit_jump_noline(Op::JUMP, end);

            u().cur_handler = h2;
            bind(cleanup_end);  // [prev lasti exc2]
            load_none();
            nameop(handler->name, ast::Ctx::Store);
            nameop(handler->name, ast::Ctx::Del);
            emit(Op::RERAISE, 1);
        } else {
            emit(Op::POP_TOP);  // [prev]
            push_fblock(FBlock{FBlockKind::kHandlerCleanup, -1, -1, outer, nullptr});
            visit_body(handler->body);
            pop_fblock();
            u().cur_handler = outer;
            emit(Op::POP_EXCEPT);
            emit_jump_noline(Op::JUMP, end);
            u().cur_handler = h2;
        }
        bind(next);
    }
    pop_fblock();
    emit(Op::RERAISE, 0);  // no handler matched
    u().cur_handler = outer;

    bind(cleanup);  // [prev lasti exc2]
    emit(Op::COPY, 3);
    emit(Op::POP_EXCEPT);
    emit(Op::RERAISE, 1);
    bind(end);
}

// with a as b, c: body   (CPython 3.11's compiler_with; one level per item)
//         <a>; BEFORE_WITH           [exit res]
//         SETUP_WITH final           (handler depth: [exit], lasti)
//         <store b> | POP_TOP
//         <body>
//         POP_BLOCK
//         LOAD_CONST None x3; CALL 2; POP_TOP
//         JUMP exit
//  final: SETUP_CLEANUP cleanup      [exit lasti exc]
//         PUSH_EXC_INFO; WITH_EXCEPT_START; POP_JUMP_IF_TRUE ok; RERAISE 2
// cleanup: COPY 3; POP_EXCEPT; RERAISE 1
//     ok: POP_TOP; POP_BLOCK; POP_EXCEPT; POP_TOP; POP_TOP
//   exit:
// `async with` is the same with BEFORE_ASYNC_WITH, and the results of __aenter__ and of both
// __aexit__ calls awaited (GET_AWAITABLE 1 / 2; LOAD_CONST None; YIELD_FROM).
void Compiler::visit_with(ast::With* s, size_t pos, bool is_async) {
    if (failed_) return;
    if (is_async && !u().async_function) {
        error(s->loc, "'async with' outside async function");
        return;
    }
    if (!enter_depth()) return;
    ast::WithItem* item = s->items[pos];
    int final = new_label(), exit = new_label(), cleanup = new_label(), ok = new_label();
    visit_expr(item->context_expr);
    if (is_async) {
        emit(Op::BEFORE_ASYNC_WITH);
        await_tos(1);
    } else {
        emit(Op::BEFORE_WITH);
    }
    int h = push_handler(final, 1, true);
    push_fblock(FBlock{is_async ? FBlockKind::kAsyncWith : FBlockKind::kWith, -1, -1,
                       u().handlers[h].parent, s});
    if (item->optional_vars)
        store_target(item->optional_vars);
    else
        emit(Op::POP_TOP);
    if (pos + 1 < s->items.size())
        visit_with(s, pos + 1, is_async);
    else
        visit_body(s->body);
    pop_fblock();
    pop_handler(h);
    call_exit_with_nones();
    if (is_async) await_tos(2);
    emit(Op::POP_TOP);
    emit_jump_noline(Op::JUMP, exit);

    bind(final);
    int hc = push_handler(cleanup, 0, true);
    emit(Op::PUSH_EXC_INFO);
    emit(Op::WITH_EXCEPT_START);
    if (is_async) await_tos(2);
    emit_jump(Op::POP_JUMP_IF_TRUE, ok);
    emit(Op::RERAISE, 2);
    pop_handler(hc);

    bind(cleanup);
    emit(Op::COPY, 3);
    emit(Op::POP_EXCEPT);
    emit(Op::RERAISE, 1);

    bind(ok);
    u().cur_handler = hc;
    emit(Op::POP_TOP);  // the exception
    pop_handler(hc);
    emit(Op::POP_EXCEPT);
    emit(Op::POP_TOP);  // lasti
    emit(Op::POP_TOP);  // exit
    bind(exit);
    leave_depth();
}

// ---- imports --------------------------------------------------------------------------------

void Compiler::visit_import(ast::Import* s) {
    for (auto* alias : s->names) {
        if (alias->asname == "__debug__") {
            error(s->loc, "cannot assign to __debug__");
            return;
        }
        LocGuard g(u(), alias->loc.line ? alias->loc : s->loc);
        emit(Op::LOAD_CONST, add_const(make_int(0), "i0"));
        load_none();
        emit(Op::IMPORT_NAME, add_name(alias->name));
        if (!alias->asname.empty()) {
            size_t dot = alias->name.find('.');
            if (dot != std::string::npos) {
                // import a.b.c as d: IMPORT_NAME returned `a`; walk down to `c`.
                size_t pos = dot + 1;
                while (true) {
                    size_t next = alias->name.find('.', pos);
                    std::string attr = alias->name.substr(
                        pos, next == std::string::npos ? std::string::npos : next - pos);
                    emit(Op::IMPORT_FROM, add_name(attr));
                    if (next == std::string::npos) break;
                    emit(Op::SWAP, 2);
                    emit(Op::POP_TOP);
                    pos = next + 1;
                }
                nameop(alias->asname, ast::Ctx::Store);
                emit(Op::POP_TOP);
            } else {
                nameop(alias->asname, ast::Ctx::Store);
            }
        } else {
            size_t dot = alias->name.find('.');
            nameop(dot == std::string::npos ? alias->name : alias->name.substr(0, dot),
                   ast::Ctx::Store);
        }
    }
}

void Compiler::visit_import_from(ast::ImportFrom* s) {
    // `from __future__ import x` is a compiler directive (checked by check_future_imports);
    // Toy has no __future__ module, so nothing is imported or bound at run time.
    if (s->module == "__future__" && s->level == 0) return;
    std::vector<std::string> names;
    for (auto* a : s->names) names.push_back(a->name);
    emit(Op::LOAD_CONST, add_const(make_int(s->level), fmt::format("i{}", s->level)));
    {
        RefT<Tuple> t = new_tuple(static_cast<int64_t>(names.size()));
        if (!t) {
            set_runtime_error();
            return;
        }
        std::string key = fmt::format("t{}(", names.size());
        for (size_t i = 0; i < names.size(); ++i) {
            Ref v = make_str_const(names[i]);
            if (!v) {
                set_runtime_error();
                return;
            }
            t->items[i] = v.release();
            key += str_const_key(names[i]);
            key += ';';
        }
        key += ')';
        emit(Op::LOAD_CONST, add_const(std::move(t), key));
    }
    emit(Op::IMPORT_NAME, add_name(s->module));
    if (names.size() == 1 && names[0] == "*") {
        emit(Op::IMPORT_STAR);
        return;
    }
    for (auto* a : s->names) {
        if ((a->asname.empty() ? a->name : a->asname) == "__debug__") {
            error(s->loc, "cannot assign to __debug__");
            return;
        }
        LocGuard g(u(), a->loc.line ? a->loc : s->loc);
        emit(Op::IMPORT_FROM, add_name(a->name));
        nameop(a->asname.empty() ? a->name : a->asname, ast::Ctx::Store);
    }
    emit(Op::POP_TOP);
}

// ---- def and class --------------------------------------------------------------------------

void Compiler::visit_function(ast::FunctionDef* s) {
    if (!check_debug_args(s->args, s->loc)) return;
    for (auto* d : s->decorator_list) visit_expr(d);
    int firstlineno = s->decorator_list.empty() ? s->loc.line : s->decorator_list[0]->loc.line;
    uint32_t flags = default_arguments(s->args);
    if (failed_) return;
    if (!enter_scope(s->name, ScopeType::kFunction, s, firstlineno)) return;
    u().loc = s->loc;
    u().async_function = s->kind == ast::StmtKind::AsyncFunctionDef;
    size_t first = 0;
    if (!s->body.empty() && is_docstring(s->body[0])) {
        auto* c = static_cast<ast::Constant*>(static_cast<ast::ExprStmt*>(s->body[0])->value);
        str_const(c->s);  // consts[0]
        first = 1;
    } else {
        const_none();
    }
    set_arguments(s->args);
    for (size_t i = first; i < s->body.size() && !failed_; ++i) visit_stmt(s->body[i]);
    RefT<CodeObject> co = leave_scope();
    if (!co) return;
    make_closure(std::move(co), flags);
    function_annotations(s);
    for (size_t i = 0; i < s->decorator_list.size(); ++i) emit(Op::CALL, 0);
    nameop(s->name, ast::Ctx::Store);
}

// f.__annotations__ = {'a': <ann>, ..., 'return': <ann>}: evaluated right after the function
// is made (CPython evaluates them just before; MAKE_FUNCTION has no annotations operand).
void Compiler::function_annotations(ast::FunctionDef* s) {
    std::vector<std::pair<std::string, ast::Expr*>> anns;
    if (ast::Arguments* a = s->args) {
        for (auto* p : a->posonlyargs)
            if (p->annotation) anns.emplace_back(p->arg, p->annotation);
        for (auto* p : a->args)
            if (p->annotation) anns.emplace_back(p->arg, p->annotation);
        if (a->vararg && a->vararg->annotation)
            anns.emplace_back(a->vararg->arg, a->vararg->annotation);
        for (auto* p : a->kwonlyargs)
            if (p->annotation) anns.emplace_back(p->arg, p->annotation);
        if (a->kwarg && a->kwarg->annotation) anns.emplace_back(a->kwarg->arg, a->kwarg->annotation);
    }
    if (s->returns) anns.emplace_back("return", s->returns);
    if (anns.empty()) return;
    emit(Op::COPY, 1);
    for (auto& [name, ann] : anns) {
        emit(Op::LOAD_CONST, str_const(mangle(name)));
        visit_annotation(ann);
    }
    emit(Op::BUILD_MAP, static_cast<uint32_t>(anns.size()));
    emit(Op::SWAP, 2);
    emit(Op::STORE_ATTR, add_name("__annotations__"));
}

void Compiler::visit_class(ast::ClassDef* s) {
    for (auto* d : s->decorator_list) visit_expr(d);
    int firstlineno = s->decorator_list.empty() ? s->loc.line : s->decorator_list[0]->loc.line;
    if (!enter_scope(s->name, ScopeType::kClass, s, firstlineno)) return;
    u().loc = s->loc;
    std::string qualname = u().qualname;
    emit(Op::LOAD_NAME, add_name("__name__"));
    emit(Op::STORE_NAME, add_name("__module__"));
    emit(Op::LOAD_CONST, str_const(qualname));
    emit(Op::STORE_NAME, add_name("__qualname__"));
    if (find_annotations(s->body)) emit(Op::SETUP_ANNOTATIONS);
    body_with_docstring(s->body, true);
    if (failed_) return;
    if (u().ste->needs_class_closure) {
        // Return the __class__ cell; __build_class__ checks that the type got it.
        uint32_t idx = static_cast<uint32_t>(u().varnames.size()) + u().cell_index.at("__class__");
        emit(Op::LOAD_CLOSURE, idx);
        emit(Op::COPY, 1);
        emit(Op::STORE_NAME, add_name("__classcell__"));
    } else {
        load_none();
    }
    emit(Op::RETURN_VALUE);
    RefT<CodeObject> co = leave_scope();
    if (!co) return;
    emit(Op::PUSH_NULL);
    emit(Op::LOAD_BUILD_CLASS);
    make_closure(std::move(co), 0);
    emit(Op::LOAD_CONST, str_const(s->name));
    call_helper(2, s->bases, s->keywords);
    for (size_t i = 0; i < s->decorator_list.size(); ++i) emit(Op::CALL, 0);
    nameop(s->name, ast::Ctx::Store);
}

}  // namespace compiler_detail
}  // namespace toy
