// symtable.cpp: the symbol table pass. Mirrors CPython 3.11's Python/symtable.c: a first
// walk records how each scope uses each name, then analyze_block() resolves scopes top-down
// (passing the names bound in enclosing functions and the known globals) and bottom-up
// (collecting free variables of children, turning captured locals into cells).
#include "interp/symtable.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

namespace toy {

using NameSet = std::unordered_set<std::string>;

std::string mangle_name(const std::string& private_name, const std::string& name) {
    // Only __names (not __dunders__, not dotted import names) inside a class are mangled.
    if (private_name.empty() || name.size() < 2 || name[0] != '_' || name[1] != '_')
        return name;
    if (name.size() >= 4 && name[name.size() - 1] == '_' && name[name.size() - 2] == '_')
        return name;
    if (name.find('.') != std::string::npos) return name;
    size_t i = 0;
    while (i < private_name.size() && private_name[i] == '_') ++i;
    if (i == private_name.size()) return name;  // class name is all underscores
    return "_" + private_name.substr(i) + name;
}

namespace {
constexpr int kMaxDepth = 3000;  // as CPython: recursion limit * 3 during compilation
}

bool check_future_imports(ast::Module* mod, SyntaxErrorInfo* err, bool* annotations) {
    static const char* const kFeatures[] = {
        "nested_scopes", "generators",     "division",       "absolute_import", "with_statement",
        "print_function", "unicode_literals", "barry_as_FLUFL", "generator_stop",  "annotations"};
    *annotations = false;
    bool leading = true;
    for (size_t i = 0; i < mod->body.size(); ++i) {
        ast::Stmt* s = mod->body[i];
        bool is_future = s->kind == ast::StmtKind::ImportFrom &&
                         static_cast<ast::ImportFrom*>(s)->module == "__future__" &&
                         static_cast<ast::ImportFrom*>(s)->level == 0;
        if (i == 0 && s->kind == ast::StmtKind::Expr) {
            ast::Expr* v = static_cast<ast::ExprStmt*>(s)->value;
            if (v->kind == ast::ExprKind::Constant &&
                static_cast<ast::Constant*>(v)->ckind == ast::ConstKind::Str)
                continue;  // the docstring
        }
        auto fail = [&](std::string msg, bool no_end = false) {
            err->kind = "SyntaxError";
            err->msg = std::move(msg);
            err->line = s->loc.line;
            err->col = s->loc.col + 1;
            // As CPython (PyErr_SyntaxLocationObject): these two have no end offset.
            err->end_line = no_end ? s->loc.line : s->loc.end_line;
            err->end_col = no_end ? -1 : s->loc.end_col + 1;
            return false;
        };
        if (!is_future) {
            leading = false;
            continue;
        }
        if (!leading) return fail("from __future__ imports must occur at the beginning of the file");
        for (auto* a : static_cast<ast::ImportFrom*>(s)->names) {
            if (a->name == "braces") return fail("not a chance", true);
            bool known = false;
            for (const char* f : kFeatures)
                if (a->name == f) known = true;
            if (!known)
                return fail(fmt::format("future feature {} is not defined", a->name), true);
            if (a->name == "annotations") *annotations = true;
        }
    }
    return true;
}

struct SymtableBuilder {
    SymbolTable& st;
    SyntaxErrorInfo* err;
    bool* recursion;
    bool future_annotations = false;
    std::vector<SymbolTableEntry*> stack;
    SymbolTableEntry* cur = nullptr;
    bool failed = false;
    int depth = 0;
    int comp_iter_expr = 0;  // inside the iterable of a comprehension

    void error(const ast::Loc& loc, std::string msg) {
        if (failed) return;
        failed = true;
        err->kind = "SyntaxError";
        err->msg = std::move(msg);
        err->line = loc.line;
        err->col = loc.col + 1;
        err->end_line = loc.end_line;
        err->end_col = loc.end_col + 1;
    }
    void too_deep() {
        if (failed) return;
        failed = true;
        *recursion = true;
        err->msg = "maximum recursion depth exceeded during compilation";
    }

    SymbolTableEntry* enter(std::string name, BlockType type, const void* key, int lineno) {
        auto e = std::make_unique<SymbolTableEntry>();
        SymbolTableEntry* ste = e.get();
        ste->type = type;
        ste->name = std::move(name);
        ste->key = key;
        ste->lineno = lineno;
        if (cur) {
            ste->private_name = cur->private_name;
            ste->nested = cur->nested || cur->type == BlockType::kFunction;
            cur->children.push_back(ste);
        }
        st.entries_.push_back(std::move(e));
        if (key) st.by_node_[key] = ste;
        stack.push_back(ste);
        cur = ste;
        return ste;
    }
    void leave() {
        stack.pop_back();
        cur = stack.empty() ? nullptr : stack.back();
    }

    uint32_t lookup(const std::string& name) {
        return cur->flags_of(mangle_name(cur->private_name, name));
    }

    void add_def_in(SymbolTableEntry* ste, const std::string& name, uint32_t flag,
                    const ast::Loc& loc) {
        std::string mangled = mangle_name(ste->private_name, name);
        auto it = ste->symbols.find(mangled);
        if (it == ste->symbols.end()) {
            it = ste->symbols.emplace(mangled, Symbol{}).first;
            ste->order.push_back(mangled);
        }
        if ((flag & kDefParam) && (it->second.flags & kDefParam)) {
            error(loc, fmt::format("duplicate argument '{}' in function definition", name));
            return;
        }
        it->second.flags |= flag;
        if (flag & kDefParam) ste->varnames.push_back(mangled);
        if ((flag & kDefGlobal) && ste != st.top_) {
            // As CPython: the module's table learns about names declared global anywhere.
            SymbolTableEntry* top = st.top_;
            auto gt = top->symbols.find(mangled);
            if (gt == top->symbols.end()) {
                gt = top->symbols.emplace(mangled, Symbol{}).first;
                top->order.push_back(mangled);
            }
            gt->second.flags |= kDefGlobal;
        }
    }
    void add_def(const std::string& name, uint32_t flag, const ast::Loc& loc) {
        add_def_in(cur, name, flag, loc);
    }

    // ---- statements ------------------------------------------------------------------------
    void visit_body(const ast::Body& body) {
        for (auto* s : body) {
            if (failed) return;
            visit_stmt(s);
        }
    }

    void visit_arguments(ast::Arguments* a) {
        if (!a) return;
        for (auto* p : a->posonlyargs) add_def(p->arg, kDefParam, p->loc);
        for (auto* p : a->args) add_def(p->arg, kDefParam, p->loc);
        for (auto* p : a->kwonlyargs) add_def(p->arg, kDefParam, p->loc);
        if (a->vararg) {
            add_def(a->vararg->arg, kDefParam, a->vararg->loc);
            cur->varargs = true;
        }
        if (a->kwarg) {
            add_def(a->kwarg->arg, kDefParam, a->kwarg->loc);
            cur->varkeywords = true;
        }
    }
    // Parameter and return annotations are evaluated in the enclosing scope at `def` time.
    void visit_annotations(ast::Arguments* a, ast::Expr* returns) {
        if (future_annotations) return;
        if (a) {
            for (auto* p : a->posonlyargs) visit_expr(p->annotation);
            for (auto* p : a->args) visit_expr(p->annotation);
            if (a->vararg) visit_expr(a->vararg->annotation);
            for (auto* p : a->kwonlyargs) visit_expr(p->annotation);
            if (a->kwarg) visit_expr(a->kwarg->annotation);
        }
        visit_expr(returns);
    }
    void visit_defaults(ast::Arguments* a) {
        if (!a) return;
        for (auto* d : a->defaults) visit_expr(d);
        for (auto* d : a->kw_defaults)
            if (d) visit_expr(d);
    }

    void visit_stmt(ast::Stmt* s) {
        if (++depth > kMaxDepth) {
            too_deep();
            return;
        }
        visit_stmt_inner(s);
        --depth;
    }

    void visit_directive(ast::Stmt* s, const std::vector<std::string>& names, bool global) {
        const char* what = global ? "global" : "nonlocal";
        for (const auto& name : names) {
            uint32_t cur_flags = lookup(name);
            if (cur_flags & (kDefParam | kDefLocal | kSymUse | kDefAnnot)) {
                std::string msg;
                if (cur_flags & kDefParam)
                    msg = fmt::format("name '{}' is parameter and {}", name, what);
                else if (cur_flags & kSymUse)
                    msg = fmt::format("name '{}' is used prior to {} declaration", name, what);
                else if (cur_flags & kDefAnnot)
                    msg = fmt::format("annotated name '{}' can't be {}", name, what);
                else
                    msg = fmt::format("name '{}' is assigned to before {} declaration", name,
                                      what);
                error(s->loc, msg);
                return;
            }
            add_def(name, global ? kDefGlobal : kDefNonlocal, s->loc);
            cur->directives.emplace(mangle_name(cur->private_name, name), s->loc);
        }
    }

    void visit_stmt_inner(ast::Stmt* s) {
        using K = ast::StmtKind;
        switch (s->kind) {
        case K::FunctionDef:
        case K::AsyncFunctionDef: {
            auto* f = static_cast<ast::FunctionDef*>(s);
            add_def(f->name, kDefLocal, s->loc);
            visit_defaults(f->args);
            visit_annotations(f->args, f->returns);
            for (auto* d : f->decorator_list) visit_expr(d);
            enter(f->name, BlockType::kFunction, s, s->loc.line);
            if (s->kind == K::AsyncFunctionDef) cur->coroutine = true;
            visit_arguments(f->args);
            visit_body(f->body);
            leave();
            break;
        }
        case K::ClassDef: {
            auto* c = static_cast<ast::ClassDef*>(s);
            add_def(c->name, kDefLocal, s->loc);
            for (auto* b : c->bases) visit_expr(b);
            for (auto* k : c->keywords) visit_expr(k->value);
            for (auto* d : c->decorator_list) visit_expr(d);
            enter(c->name, BlockType::kClass, s, s->loc.line);
            cur->private_name = c->name;
            visit_body(c->body);
            leave();
            break;
        }
        case K::Return: {
            auto* r = static_cast<ast::Return*>(s);
            if (r->value) {
                visit_expr(r->value);
                cur->returns_value = true;
            }
            break;
        }
        case K::Delete:
            for (auto* t : static_cast<ast::Delete*>(s)->targets) visit_expr(t);
            break;
        case K::Assign: {
            auto* a = static_cast<ast::Assign*>(s);
            for (auto* t : a->targets) visit_expr(t);
            visit_expr(a->value);
            break;
        }
        case K::AugAssign: {
            auto* a = static_cast<ast::AugAssign*>(s);
            visit_expr(a->target);
            visit_expr(a->value);
            break;
        }
        case K::AnnAssign: {
            auto* a = static_cast<ast::AnnAssign*>(s);
            if (a->target->kind == ast::ExprKind::Name) {
                auto* n = static_cast<ast::Name*>(a->target);
                uint32_t f = lookup(n->id);
                if ((f & (kDefGlobal | kDefNonlocal)) && cur != st.top_ && a->simple) {
                    error(s->loc, fmt::format("annotated name '{}' can't be {}", n->id,
                                              (f & kDefGlobal) ? "global" : "nonlocal"));
                    return;
                }
                if (a->simple)
                    add_def(n->id, kDefAnnot | kDefLocal, n->loc);
                else if (a->value)
                    add_def(n->id, kDefLocal, n->loc);
            } else {
                visit_expr(a->target);
            }
            if (cur->type != BlockType::kFunction && !future_annotations)
                visit_expr(a->annotation);
            if (a->value) visit_expr(a->value);
            break;
        }
        case K::For:
        case K::AsyncFor: {
            auto* f = static_cast<ast::For*>(s);
            visit_expr(f->target);
            visit_expr(f->iter);
            visit_body(f->body);
            visit_body(f->orelse);
            break;
        }
        case K::While: {
            auto* w = static_cast<ast::While*>(s);
            visit_expr(w->test);
            visit_body(w->body);
            visit_body(w->orelse);
            break;
        }
        case K::If: {
            auto* i = static_cast<ast::If*>(s);
            visit_expr(i->test);
            visit_body(i->body);
            visit_body(i->orelse);
            break;
        }
        case K::With:
        case K::AsyncWith: {
            auto* w = static_cast<ast::With*>(s);
            for (auto* item : w->items) {
                visit_expr(item->context_expr);
                if (item->optional_vars) visit_expr(item->optional_vars);
            }
            visit_body(w->body);
            break;
        }
        case K::Raise: {
            auto* r = static_cast<ast::Raise*>(s);
            if (r->exc) visit_expr(r->exc);
            if (r->cause) visit_expr(r->cause);
            break;
        }
        case K::Try:
        case K::TryStar: {
            auto* t = static_cast<ast::Try*>(s);
            visit_body(t->body);
            visit_body(t->orelse);
            for (auto* h : t->handlers) {
                if (h->type) visit_expr(h->type);
                if (!h->name.empty()) add_def(h->name, kDefLocal, h->loc);
                visit_body(h->body);
            }
            visit_body(t->finalbody);
            break;
        }
        case K::Assert: {
            auto* a = static_cast<ast::Assert*>(s);
            visit_expr(a->test);
            if (a->msg) visit_expr(a->msg);
            break;
        }
        case K::Import:
            for (auto* a : static_cast<ast::Import*>(s)->names) visit_alias(s, a);
            break;
        case K::ImportFrom:
            for (auto* a : static_cast<ast::ImportFrom*>(s)->names) visit_alias(s, a);
            break;
        case K::Global:
            visit_directive(s, static_cast<ast::Global*>(s)->names, true);
            break;
        case K::Nonlocal:
            visit_directive(s, static_cast<ast::Nonlocal*>(s)->names, false);
            break;
        case K::Expr:
            visit_expr(static_cast<ast::ExprStmt*>(s)->value);
            break;
        case K::Match:
        case K::Pass:
        case K::Break:
        case K::Continue:
            break;
        }
    }

    void visit_alias(ast::Stmt* s, ast::Alias* a) {
        if (a->name == "*") {
            if (cur->type != BlockType::kModule)
                error(a->loc.line ? a->loc : s->loc, "import * only allowed at module level");
            return;
        }
        std::string store = a->asname;
        if (store.empty()) {
            size_t dot = a->name.find('.');
            store = dot == std::string::npos ? a->name : a->name.substr(0, dot);
        }
        add_def(store, kDefImport, a->loc);
    }

    // ---- expressions -----------------------------------------------------------------------
    void visit_expr(ast::Expr* e) {
        if (failed || !e) return;
        if (++depth > kMaxDepth) {
            too_deep();
            return;
        }
        visit_expr_inner(e);
        --depth;
    }

    const char* comprehension_kind() const {
        const std::string& n = cur->name;
        if (n == "<listcomp>") return "list comprehension";
        if (n == "<setcomp>") return "set comprehension";
        if (n == "<dictcomp>") return "dict comprehension";
        return "generator expression";
    }

    void visit_yield(ast::Expr* e, const char* what) {
        if (cur->comprehension) {
            error(e->loc, fmt::format("'{}' inside {}", what, comprehension_kind()));
            return;
        }
        cur->generator = true;
    }

    void visit_expr_inner(ast::Expr* e) {
        using K = ast::ExprKind;
        switch (e->kind) {
        case K::BoolOp:
            for (auto* v : static_cast<ast::BoolOp*>(e)->values) visit_expr(v);
            break;
        case K::NamedExpr: {
            auto* n = static_cast<ast::NamedExpr*>(e);
            if (comp_iter_expr > 0) {
                error(e->loc,
                      "assignment expression cannot be used in a comprehension iterable "
                      "expression");
                return;
            }
            if (cur->comprehension && n->target->kind == ast::ExprKind::Name)
                extend_namedexpr_scope(static_cast<ast::Name*>(n->target));
            visit_expr(n->value);
            visit_expr(n->target);
            break;
        }
        case K::BinOp: {
            auto* b = static_cast<ast::BinOp*>(e);
            visit_expr(b->left);
            visit_expr(b->right);
            break;
        }
        case K::UnaryOp:
            visit_expr(static_cast<ast::UnaryOp*>(e)->operand);
            break;
        case K::Lambda: {
            auto* l = static_cast<ast::Lambda*>(e);
            visit_defaults(l->args);
            enter("lambda", BlockType::kFunction, e, e->loc.line);
            visit_arguments(l->args);
            visit_expr(l->body);
            leave();
            break;
        }
        case K::IfExp: {
            auto* i = static_cast<ast::IfExp*>(e);
            visit_expr(i->test);
            visit_expr(i->body);
            visit_expr(i->orelse);
            break;
        }
        case K::Dict: {
            auto* d = static_cast<ast::Dict*>(e);
            for (size_t i = 0; i < d->values.size(); ++i) {
                if (d->keys[i]) visit_expr(d->keys[i]);
                visit_expr(d->values[i]);
            }
            break;
        }
        case K::Set:
            for (auto* v : static_cast<ast::Set*>(e)->elts) visit_expr(v);
            break;
        case K::ListComp: {
            auto* c = static_cast<ast::ListComp*>(e);
            visit_comprehension(e, "<listcomp>", c->generators, c->elt, nullptr, false);
            break;
        }
        case K::SetComp: {
            auto* c = static_cast<ast::SetComp*>(e);
            visit_comprehension(e, "<setcomp>", c->generators, c->elt, nullptr, false);
            break;
        }
        case K::DictComp: {
            auto* c = static_cast<ast::DictComp*>(e);
            visit_comprehension(e, "<dictcomp>", c->generators, c->key, c->value, false);
            break;
        }
        case K::GeneratorExp: {
            auto* c = static_cast<ast::GeneratorExp*>(e);
            visit_comprehension(e, "<genexpr>", c->generators, c->elt, nullptr, true);
            break;
        }
        case K::Await:
            visit_expr(static_cast<ast::Await*>(e)->value);
            cur->coroutine = true;
            break;
        case K::Yield: {
            auto* y = static_cast<ast::Yield*>(e);
            if (y->value) visit_expr(y->value);
            visit_yield(e, "yield");
            break;
        }
        case K::YieldFrom:
            visit_expr(static_cast<ast::YieldFrom*>(e)->value);
            visit_yield(e, "yield");
            break;
        case K::Compare: {
            auto* c = static_cast<ast::Compare*>(e);
            visit_expr(c->left);
            for (auto* v : c->comparators) visit_expr(v);
            break;
        }
        case K::Call: {
            auto* c = static_cast<ast::Call*>(e);
            visit_expr(c->func);
            for (auto* a : c->args) visit_expr(a);
            for (auto* k : c->keywords) visit_expr(k->value);
            break;
        }
        case K::FormattedValue: {
            auto* f = static_cast<ast::FormattedValue*>(e);
            visit_expr(f->value);
            if (f->format_spec) visit_expr(f->format_spec);
            break;
        }
        case K::JoinedStr:
            for (auto* v : static_cast<ast::JoinedStr*>(e)->values) visit_expr(v);
            break;
        case K::Constant:
            break;
        case K::Attribute:
            visit_expr(static_cast<ast::Attribute*>(e)->value);
            break;
        case K::Subscript: {
            auto* s = static_cast<ast::Subscript*>(e);
            visit_expr(s->value);
            visit_expr(s->slice);
            break;
        }
        case K::Starred:
            visit_expr(static_cast<ast::Starred*>(e)->value);
            break;
        case K::Name: {
            auto* n = static_cast<ast::Name*>(e);
            add_def(n->id, n->ctx == ast::Ctx::Load ? kSymUse : kDefLocal, e->loc);
            // Zero-argument super() needs the __class__ cell (CPython does the same).
            if (n->ctx == ast::Ctx::Load && cur->type == BlockType::kFunction && n->id == "super")
                add_def("__class__", kSymUse, e->loc);
            break;
        }
        case K::List:
            for (auto* v : static_cast<ast::List*>(e)->elts) visit_expr(v);
            break;
        case K::Tuple:
            for (auto* v : static_cast<ast::Tuple*>(e)->elts) visit_expr(v);
            break;
        case K::Slice: {
            auto* s = static_cast<ast::Slice*>(e);
            visit_expr(s->lower);
            visit_expr(s->upper);
            visit_expr(s->step);
            break;
        }
        }
    }

    void visit_comprehension(ast::Expr* e, const char* name,
                             const std::vector<ast::Comprehension*>& gens, ast::Expr* elt,
                             ast::Expr* value, bool is_generator) {
        if (gens.empty()) return;
        ast::Comprehension* outer = gens[0];
        ++comp_iter_expr;
        visit_expr(outer->iter);
        --comp_iter_expr;
        enter(name, BlockType::kFunction, e, e->loc.line);
        cur->comprehension = true;
        if (outer->is_async) cur->coroutine = true;
        add_def(".0", kDefParam, e->loc);
        visit_comp_target(outer->target);
        for (auto* c : outer->ifs) visit_expr(c);
        for (size_t i = 1; i < gens.size(); ++i) {
            if (gens[i]->is_async) cur->coroutine = true;
            visit_comp_target(gens[i]->target);
            ++comp_iter_expr;
            visit_expr(gens[i]->iter);
            --comp_iter_expr;
            for (auto* c : gens[i]->ifs) visit_expr(c);
        }
        if (value) visit_expr(value);
        visit_expr(elt);
        if (is_generator) cur->generator = true;
        leave();
    }

    void visit_comp_target(ast::Expr* t) {
        size_t before = cur->order.size();
        visit_expr(t);
        // Names first bound here are iteration variables (for walrus checks).
        for (size_t i = before; i < cur->order.size(); ++i)
            cur->symbols[cur->order[i]].flags |= kDefCompIter;
    }

    // PEP 572: `(x := v)` inside a comprehension binds x in the enclosing function/module.
    void extend_namedexpr_scope(ast::Name* target) {
        const std::string& name = target->id;
        for (size_t i = stack.size(); i-- > 0;) {
            SymbolTableEntry* ste = stack[i];
            if (ste->comprehension) {
                if (ste->flags_of(mangle_name(ste->private_name, name)) & kDefCompIter) {
                    error(target->loc,
                          fmt::format("assignment expression cannot rebind comprehension "
                                      "iteration variable '{}'",
                                      name));
                    return;
                }
                continue;
            }
            if (ste->type == BlockType::kFunction) {
                uint32_t f = ste->flags_of(mangle_name(ste->private_name, name));
                add_def(name, (f & kDefGlobal) ? kDefGlobal : kDefNonlocal, target->loc);
                add_def_in(ste, name, kDefLocal, target->loc);
                return;
            }
            if (ste->type == BlockType::kModule) {
                add_def(name, kDefGlobal, target->loc);
                add_def_in(ste, name, kDefGlobal, target->loc);
                return;
            }
            error(target->loc,
                  "assignment expression within a comprehension cannot be used in a class body");
            return;
        }
    }

    // ---- analysis --------------------------------------------------------------------------
    bool analyze_name(SymbolTableEntry* ste, const std::string& name, Symbol& sym,
                      const NameSet* bound, NameSet& local, NameSet& free, NameSet& global) {
        uint32_t flags = sym.flags;
        if (flags & kDefGlobal) {
            if (flags & kDefNonlocal) {
                error_at_directive(ste, name, fmt::format("name '{}' is nonlocal and global", name));
                return false;
            }
            sym.scope = Scope::kGlobalExplicit;
            global.insert(name);
            return true;
        }
        if (flags & kDefNonlocal) {
            if (!bound) {
                error_at_directive(ste, name, "nonlocal declaration not allowed at module level");
                return false;
            }
            if (!bound->count(name)) {
                error_at_directive(ste, name,
                                   fmt::format("no binding for nonlocal '{}' found", name));
                return false;
            }
            sym.scope = Scope::kFree;
            ste->free = true;
            free.insert(name);
            return true;
        }
        if (flags & kDefBound) {
            sym.scope = Scope::kLocal;
            local.insert(name);
            global.erase(name);
            return true;
        }
        if (bound && bound->count(name)) {
            sym.scope = Scope::kFree;
            ste->free = true;
            free.insert(name);
            return true;
        }
        sym.scope = Scope::kGlobalImplicit;
        if (!global.count(name) && ste->nested) ste->free = true;
        return true;
    }

    void error_at_directive(SymbolTableEntry* ste, const std::string& name, std::string msg) {
        auto it = ste->directives.find(name);
        ast::Loc loc;
        if (it != ste->directives.end()) loc = it->second;
        else loc.line = loc.end_line = ste->lineno;
        error(loc, std::move(msg));
    }

    bool analyze_block(SymbolTableEntry* ste, const NameSet* bound, NameSet& free,
                       NameSet& global) {
        NameSet local, newglobal, newfree, newbound;
        if (ste->type == BlockType::kClass) {
            newglobal = global;
            if (bound) newbound = *bound;
        }
        for (const auto& name : ste->order) {
            if (!analyze_name(ste, name, ste->symbols[name], bound, local, free, global))
                return false;
        }
        if (ste->type != BlockType::kClass) {
            if (ste->type == BlockType::kFunction) newbound.insert(local.begin(), local.end());
            if (bound) newbound.insert(bound->begin(), bound->end());
            newglobal.insert(global.begin(), global.end());
        } else {
            newbound.insert("__class__");
        }
        NameSet allfree;
        for (auto* child : ste->children) {
            NameSet child_bound = newbound, child_global = newglobal, child_free;
            if (!analyze_block(child, &child_bound, child_free, child_global)) return false;
            allfree.insert(child_free.begin(), child_free.end());
            if (child->free || child->child_free) ste->child_free = true;
        }
        newfree.insert(allfree.begin(), allfree.end());
        if (ste->type == BlockType::kFunction) {
            // Locals captured by children become cells.
            for (auto& [name, sym] : ste->symbols) {
                if (sym.scope == Scope::kLocal && newfree.count(name)) {
                    sym.scope = Scope::kCell;
                    newfree.erase(name);
                }
            }
        } else if (ste->type == BlockType::kClass) {
            if (newfree.erase("__class__")) ste->needs_class_closure = true;
        }
        // Free variables of children not resolved here pass through this scope.
        bool is_class = ste->type == BlockType::kClass;
        std::vector<std::string> names(newfree.begin(), newfree.end());
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            auto it = ste->symbols.find(name);
            if (it != ste->symbols.end()) {
                if (is_class && (it->second.flags & (kDefBound | kDefGlobal)))
                    it->second.flags |= kDefFreeClass;
                continue;  // a cell, or already free here
            }
            if (bound && !bound->count(name)) continue;  // a global
            Symbol sym;
            sym.scope = Scope::kFree;
            ste->symbols.emplace(name, sym);
            ste->order.push_back(name);
        }
        free.insert(newfree.begin(), newfree.end());
        return true;
    }
};

bool SymbolTable::build(ast::Module* mod, SyntaxErrorInfo* err, bool* recursion,
                        bool future_annotations) {
    *recursion = false;
    SymtableBuilder b{*this, err, recursion, future_annotations};
    top_ = b.enter("top", BlockType::kModule, mod, 1);
    b.visit_body(mod->body);
    if (b.failed) return false;
    b.leave();
    NameSet free, global;
    if (!b.analyze_block(top_, nullptr, free, global)) return false;
    return true;
}

}  // namespace toy
