// compiler.cpp: the compiler's entry point, code units, instruction emission, the
// stack-depth pass and assembly into CodeObjects. Expressions are in compiler_expr.cpp,
// statements in compiler_stmt.cpp; compiler_internal.h explains the representation.
#include "interp/compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstring>

#include "interp/compiler_internal.h"
#include "interp/parser.h"
#include "interp/symtable.h"
#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {
namespace compiler_detail {

namespace {
constexpr int kMaxDepth = 3000;  // nesting of expressions/statements; as CPython's limit
}

Compiler::~Compiler() {
    if (filename_str_) decref(filename_str_);
}

// ---- emission -------------------------------------------------------------------------------

void Compiler::emit(Op op, uint32_t arg) {
    Unit& un = u();
    if (arg > kMaxOperand) {
        error(un.loc, "too many constants, names or locals in one code object");
        arg = 0;
    }
    un.instrs.push_back(Instr{static_cast<int16_t>(op), arg, un.cur_handler, un.loc});
}

int Compiler::new_label() {
    u().labels.push_back(-1);
    return static_cast<int>(u().labels.size() - 1);
}

void Compiler::bind(int label) { u().labels[label] = static_cast<int>(u().instrs.size()); }

void Compiler::emit_jump(Op op, int label) {
    Unit& un = u();
    un.instrs.push_back(Instr{static_cast<int16_t>(op), static_cast<uint32_t>(label),
                              un.cur_handler, un.loc});
}

int Compiler::push_handler(int label, int pop, bool lasti) {
    Unit& un = u();
    int id = static_cast<int>(un.handlers.size());
    un.handlers.push_back(Handler{label, un.cur_handler, pop, lasti});
    un.instrs.push_back(Instr{static_cast<int16_t>(kSetup), static_cast<uint32_t>(id),
                              un.cur_handler, un.loc});
    un.cur_handler = id;
    return id;
}

uint32_t Compiler::add_const(Ref v, const std::string& key) {
    Unit& un = u();
    auto it = un.const_index.find(key);
    if (it != un.const_index.end()) return it->second;
    uint32_t i = static_cast<uint32_t>(un.consts.size());
    un.consts.push_back(std::move(v));
    un.const_index.emplace(key, i);
    return i;
}

uint32_t Compiler::const_none() { return add_const(Ref::none(), "N"); }

namespace {
bool all_name_chars(std::string_view s) {
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}
}  // namespace

std::string str_const_key(const std::string& s) { return fmt::format("s{}:{}", s.size(), s); }

Ref make_str_const(const std::string& s) {
    // As CPython, strings that look like identifiers are interned.
    if (all_name_chars(s)) return Ref::borrow(Value::object(intern(s)));
    RefT<Str> r = new_str(s);
    if (!r) return nullptr;
    return Ref(std::move(r));
}

uint32_t Compiler::str_const(const std::string& s) {
    std::string key = str_const_key(s);
    auto it = u().const_index.find(key);
    if (it != u().const_index.end()) return it->second;
    Ref v = make_str_const(s);
    if (!v) {
        set_runtime_error();
        return 0;
    }
    return add_const(std::move(v), key);
}

uint32_t Compiler::add_name(const std::string& name) {
    Unit& un = u();
    auto it = un.name_index.find(name);
    if (it != un.name_index.end()) return it->second;
    uint32_t i = static_cast<uint32_t>(un.names.size());
    un.names.push_back(name);
    un.name_index.emplace(name, i);
    return i;
}

void Compiler::error(const ast::Loc& loc, std::string msg) {
    if (failed_) return;
    failed_ = true;
    err_.kind = "SyntaxError";
    err_.msg = std::move(msg);
    err_.line = loc.line;
    err_.col = loc.col + 1;
    err_.end_line = loc.end_line;
    err_.end_col = loc.end_col + 1;
}

bool Compiler::enter_depth() {
    if (++depth_ > kMaxDepth) {
        if (!failed_) {
            failed_ = true;
            recursion_ = true;
        }
        --depth_;
        return false;
    }
    return true;
}

// ---- units ----------------------------------------------------------------------------------

std::string Compiler::qualname_for(const std::string& name, ScopeType type) {
    if (units_.empty()) return name;
    Unit& parent = u();
    if (parent.scope_type == ScopeType::kModule) return name;
    if (type == ScopeType::kFunction || type == ScopeType::kClass) {
        std::string mangled = mangle_name(parent.private_name, name);
        if (parent.ste->scope_of(mangled) == Scope::kGlobalExplicit) return name;
    }
    if (parent.scope_type == ScopeType::kFunction || parent.scope_type == ScopeType::kLambda)
        return parent.qualname + ".<locals>." + name;
    return parent.qualname + "." + name;
}

bool Compiler::enter_scope(const std::string& name, ScopeType type, const void* key, int lineno) {
    SymbolTableEntry* ste = st_.lookup(key);
    if (!ste) {
        error(ast::Loc{lineno, 0, lineno, 0}, "internal compiler error: no symbol table entry");
        return false;
    }
    auto unit = std::make_unique<Unit>();
    unit->ste = ste;
    unit->scope_type = type;
    unit->name = name;
    unit->qualname = type == ScopeType::kModule ? name : qualname_for(name, type);
    unit->firstlineno = lineno;
    unit->loc = ast::Loc{lineno, 0, lineno, 0};
    if (type == ScopeType::kClass)
        unit->private_name = name;
    else if (!units_.empty())
        unit->private_name = u().private_name;

    bool function_like = ste->type == BlockType::kFunction;
    for (const auto& v : ste->varnames) {
        unit->varname_index.emplace(v, static_cast<uint32_t>(unit->varnames.size()));
        unit->varnames.push_back(v);
    }
    std::vector<std::string> cells, frees;
    for (const auto& n : ste->order) {
        const Symbol& sym = ste->symbols.at(n);
        if (function_like && sym.scope == Scope::kLocal && !unit->varname_index.count(n)) {
            unit->varname_index.emplace(n, static_cast<uint32_t>(unit->varnames.size()));
            unit->varnames.push_back(n);
        }
        if (sym.scope == Scope::kCell) cells.push_back(n);
        if (sym.scope == Scope::kFree ||
            (ste->type == BlockType::kClass && (sym.flags & kDefFreeClass)))
            frees.push_back(n);
    }
    if (ste->type == BlockType::kClass && ste->needs_class_closure) cells.push_back("__class__");
    std::sort(cells.begin(), cells.end());
    std::sort(frees.begin(), frees.end());
    for (auto& c : cells) {
        unit->cell_index.emplace(c, static_cast<uint32_t>(unit->cellvars.size()));
        unit->cellvars.push_back(c);
    }
    for (auto& f : frees) {
        unit->free_index.emplace(f, static_cast<uint32_t>(unit->freevars.size()));
        unit->freevars.push_back(f);
    }
    units_.push_back(std::move(unit));
    if (ste->type == BlockType::kFunction && (ste->generator || ste->coroutine)) {
        // A generator that has not started yet is at pc 0: as CPython's RETURN_GENERATOR,
        // that instruction carries the first line, for throw() into an unstarted generator.
        LocGuard g(u(), ast::Loc{lineno, -1, lineno, -1});
        emit(Op::NOP);
    }
    return true;
}

namespace {

RefT<Tuple> names_tuple(const std::vector<std::string>& v) {
    RefT<Tuple> t = new_tuple(static_cast<int64_t>(v.size()));
    if (!t) return nullptr;
    for (size_t i = 0; i < v.size(); ++i) t->items[i] = Value::object(intern(v[i]));
    return t;
}

int16_t clamp_col(int32_t c) { return c < 0 || c > INT16_MAX ? -1 : static_cast<int16_t>(c); }

}  // namespace

RefT<CodeObject> Compiler::leave_scope() {
    Unit& un = u();
    // The implicit `return None` (removed below when unreachable), on the last line.
    if (!un.instrs.empty()) un.loc = un.instrs.back().loc;
    load_none();
    emit(Op::RETURN_VALUE);

    // ---- stack depth and reachability --------------------------------------------------
    const int n = static_cast<int>(un.instrs.size());
    std::vector<int> depth(n + 1, INT_MIN);
    std::vector<int> work;
    int maxdepth = 0;
    bool bad = false;
    auto reach = [&](int idx, int d) {
        if (idx < 0 || idx > n || d < 0) {
            bad = true;
            return;
        }
        if (depth[idx] == INT_MIN) {
            depth[idx] = d;
            work.push_back(idx);
        } else if (depth[idx] != d) {
            bad = true;
        }
        maxdepth = std::max(maxdepth, d);
    };
    auto label_pos = [&](uint32_t label) { return label < un.labels.size() ? un.labels[label] : -1; };
    if (n > 0) reach(0, 0);
    while (!work.empty() && !bad) {
        int i = work.back();
        work.pop_back();
        if (i == n) {
            bad = true;  // fell off the end
            break;
        }
        const Instr& in = un.instrs[i];
        int d = depth[i];
        if (in.op == kSetup) {
            Handler& h = un.handlers[in.arg];
            h.depth = d - h.pop;
            reach(label_pos(static_cast<uint32_t>(h.label)), h.depth + (h.lasti ? 1 : 0) + 1);
            reach(i + 1, d);
            continue;
        }
        Op op = static_cast<Op>(in.op);
        const OpInfo& info = kOpInfo[in.op];
        if (info.flags & kJumps) reach(label_pos(in.arg), d + jump_stack_effect(op, in.arg));
        int nd = d + stack_effect(op, in.arg);
        if (nd < 0) {
            bad = true;
            break;
        }
        maxdepth = std::max(maxdepth, nd);
        if (!(info.flags & kTerminates)) reach(i + 1, nd);
    }
    if (bad && !failed_) {
        assert(!"compiler: inconsistent stack depth");
        (void)raisef(&exc::SystemError, "compiler: inconsistent stack depth in {}", un.qualname);
        set_runtime_error();
    }

    // A JUMP to the next live instruction does nothing: drop it (its target and fall-through
    // have the same depth, so the analysis above stays valid).
    for (int i = 0; i < n; ++i) {
        const Instr& in = un.instrs[i];
        if (depth[i] == INT_MIN || in.op != static_cast<int16_t>(Op::JUMP)) continue;
        int next = i + 1;
        while (next < n && (depth[next] == INT_MIN || un.instrs[next].op == kSetup)) ++next;
        int target = label_pos(in.arg);
        if (target < 0) continue;
        while (target < n && (depth[target] == INT_MIN || un.instrs[target].op == kSetup))
            ++target;
        if (target == next) depth[i] = INT_MIN;
    }

    // ---- layout ------------------------------------------------------------------------
    std::vector<uint32_t> offset(n + 1, 0);
    uint32_t off = 0;
    for (int i = 0; i < n; ++i) {
        offset[i] = off;
        const Instr& in = un.instrs[i];
        if (depth[i] != INT_MIN && in.op != kSetup) off += 1 + kOpInfo[in.op].caches;
    }
    offset[n] = off;

    RefT<CodeObject> code = new_code();
    if (!code) {
        set_runtime_error();
        units_.pop_back();
        return nullptr;
    }
    CodeObject* co = code.get();
    co->code.reserve(off);
    co->positions.reserve(off);
    int cur_h = -1;
    ExceptionTableEntry entry{};
    auto close_entry = [&](uint32_t end) {
        if (cur_h >= 0 && end > entry.start) {
            entry.end = end;
            co->exception_table.push_back(entry);
        }
    };
    for (int i = 0; i < n; ++i) {
        const Instr& in = un.instrs[i];
        if (depth[i] == INT_MIN || in.op == kSetup) continue;
        int h = in.handler;
        if (h >= 0 && un.handlers[h].depth < 0) h = -1;
        if (h != cur_h) {
            close_entry(offset[i]);
            cur_h = h;
            if (h >= 0) {
                const Handler& hd = un.handlers[h];
                int target = label_pos(static_cast<uint32_t>(hd.label));
                entry = ExceptionTableEntry{};
                entry.start = offset[i];
                entry.target = target >= 0 ? offset[target] : 0;
                entry.depth = static_cast<uint32_t>(hd.depth);
                entry.push_lasti = hd.lasti ? 1 : 0;
            }
        }
        Op op = static_cast<Op>(in.op);
        const OpInfo& info = kOpInfo[in.op];
        uint32_t arg = in.arg;
        if (info.flags & kJumps) {
            int target = label_pos(arg);
            arg = target >= 0 ? offset[target] : 0;
        }
        Position pos;
        pos.line = in.loc.line;
        pos.end_line = in.loc.end_line;
        pos.col = clamp_col(in.loc.col);
        pos.end_col = clamp_col(in.loc.end_col);
        co->code.push_back(encode(op, arg));
        co->positions.push_back(pos);
        for (int c = 0; c < info.caches; ++c) {
            co->code.push_back(0);
            co->positions.push_back(pos);
        }
    }
    close_entry(off);

    // ---- the code object ---------------------------------------------------------------
    RefT<Tuple> consts = new_tuple(static_cast<int64_t>(un.consts.size()));
    RefT<Tuple> names = names_tuple(un.names);
    std::vector<std::string> lp = un.varnames;
    lp.insert(lp.end(), un.cellvars.begin(), un.cellvars.end());
    lp.insert(lp.end(), un.freevars.begin(), un.freevars.end());
    RefT<Tuple> localsplus = names_tuple(lp);
    if (!consts || !names || !localsplus) {
        set_runtime_error();
        units_.pop_back();
        return nullptr;
    }
    for (size_t i = 0; i < un.consts.size(); ++i) consts->items[i] = un.consts[i].release();
    co->consts = consts.release();
    co->names = names.release();
    co->localsplus_names = localsplus.release();
    co->nlocals = static_cast<uint32_t>(un.varnames.size());
    co->ncells = static_cast<uint32_t>(un.cellvars.size());
    co->nfrees = static_cast<uint32_t>(un.freevars.size());
    for (const auto& c : un.cellvars) {
        int32_t arg = -1;
        auto it = un.varname_index.find(c);
        if (it != un.varname_index.end()) {
            const SymbolTableEntry* ste = un.ste;
            if (ste->flags_of(c) & kDefParam) arg = static_cast<int32_t>(it->second);
        }
        co->cell2arg.push_back(arg);
    }
    co->argcount = un.argcount;
    co->posonlyargcount = un.posonlyargcount;
    co->kwonlyargcount = un.kwonlyargcount;
    uint32_t flags = 0;
    const SymbolTableEntry* ste = un.ste;
    if (ste->type == BlockType::kFunction) {
        flags |= kCoOptimized | kCoNewLocals;
        if (ste->nested) flags |= kCoNested;
        if (ste->generator && ste->coroutine)
            flags |= kCoAsyncGenerator;
        else if (ste->generator)
            flags |= kCoGenerator;
        else if (ste->coroutine)
            flags |= kCoCoroutine;
        if (ste->varargs) flags |= kCoVarargs;
        if (ste->varkeywords) flags |= kCoVarkeywords;
    }
    if (un.cellvars.empty() && un.freevars.empty()) flags |= kCoNoFree;
    co->flags = flags;
    co->stacksize = static_cast<uint32_t>(maxdepth);
    co->firstlineno = un.firstlineno;
    RefT<Str> name = new_str(un.name);
    RefT<Str> qualname = new_str(un.qualname);
    if (!name || !qualname) {
        set_runtime_error();
        units_.pop_back();
        return nullptr;
    }
    co->name = name.release();
    co->qualname = qualname.release();
    if (!filename_str_) {
        RefT<Str> f = new_str(filename_);
        if (!f) {
            set_runtime_error();
            units_.pop_back();
            return nullptr;
        }
        filename_str_ = f.release();
    }
    incref(filename_str_);
    co->filename = filename_str_;
    units_.pop_back();
    if (failed_) return nullptr;
    return code;
}

void Compiler::make_closure(RefT<CodeObject> code, uint32_t flags) {
    CodeObject* co = code.get();
    if (co->nfrees > 0) {
        Unit& un = u();
        uint32_t nl = static_cast<uint32_t>(un.varnames.size());
        uint32_t nc = static_cast<uint32_t>(un.cellvars.size());
        for (uint32_t i = 0; i < co->nfrees; ++i) {
            Value nv = co->localsplus_names->items[co->nlocals + co->ncells + i];
            std::string name(nv.as<Str>()->view());
            bool cell;
            if (un.scope_type == ScopeType::kClass && name == "__class__")
                cell = true;
            else
                cell = un.ste->scope_of(name) == Scope::kCell;
            uint32_t arg;
            if (cell) {
                auto it = un.cell_index.find(name);
                if (it == un.cell_index.end()) {
                    error(un.loc, fmt::format("internal compiler error: no cell for '{}'", name));
                    return;
                }
                arg = nl + it->second;
            } else {
                auto it = un.free_index.find(name);
                if (it == un.free_index.end()) {
                    error(un.loc,
                          fmt::format("internal compiler error: no free variable '{}'", name));
                    return;
                }
                arg = nl + nc + it->second;
            }
            emit(Op::LOAD_CLOSURE, arg);
        }
        emit(Op::BUILD_TUPLE, co->nfrees);
        flags |= 8;
    }
    std::string key = fmt::format("c{}", static_cast<const void*>(co));
    emit(Op::LOAD_CONST, add_const(std::move(code), key));
    emit(Op::MAKE_FUNCTION, flags);
}

// ---- annotations under `from __future__ import annotations` ----------------------------------

// The source text of an expression (PEP 563 stores annotations as strings; CPython unparses
// the AST, we take the source, which is the same text for ordinarily written annotations).
std::string Compiler::source_text(const ast::Loc& loc) {
    if (line_starts_.empty()) {
        line_starts_.push_back(0);
        for (size_t i = 0; i < source_.size(); ++i)
            if (source_[i] == '\n') line_starts_.push_back(i + 1);
    }
    auto at = [&](int line, int col) -> size_t {
        if (line < 1 || static_cast<size_t>(line) > line_starts_.size()) return source_.size();
        return std::min(source_.size(), line_starts_[line - 1] + static_cast<size_t>(col));
    };
    size_t b = at(loc.line, loc.col), e = at(loc.end_line, loc.end_col);
    if (e <= b) return {};
    std::string out;
    bool space = false;
    for (char ch : source_.substr(b, e - b)) {  // joins continuation lines with one space
        if (ch == '\n' || ch == '\r' || ch == '\\') {
            space = true;
            continue;
        }
        if (space) {
            if (ch == ' ' || ch == '\t') continue;
            if (!out.empty() && out.back() != '(' && out.back() != '[' && out.back() != ' ')
                out += ' ';
            space = false;
        }
        out += ch;
    }
    return out;
}

void Compiler::visit_annotation(ast::Expr* e) {
    if (!future_annotations_) {
        visit_expr(e);
        return;
    }
    if (e->kind == ast::ExprKind::Constant &&
        static_cast<ast::Constant*>(e)->ckind == ast::ConstKind::Str) {
        // As ast.unparse: the repr of the string.
        Ref v = make_str_const(static_cast<ast::Constant*>(e)->s);
        Ref r = v ? repr(*v) : Ref();
        if (!r) {
            set_runtime_error();
            return;
        }
        emit(Op::LOAD_CONST, str_const(std::string(r.as<Str>()->view())));
        return;
    }
    emit(Op::LOAD_CONST, str_const(source_text(e->loc)));
}

// ---- names ----------------------------------------------------------------------------------

void Compiler::nameop(const std::string& raw, ast::Ctx ctx) {
    Unit& un = u();
    std::string name = mangle(raw);
    enum { kFast, kDeref, kGlobal, kName } kind = kName;
    uint32_t arg = 0;
    bool function_like = un.ste->type == BlockType::kFunction;
    uint32_t nl = static_cast<uint32_t>(un.varnames.size());
    switch (un.ste->scope_of(name)) {
    case Scope::kFree: {
        auto it = un.free_index.find(name);
        if (it != un.free_index.end()) {
            kind = kDeref;
            arg = nl + static_cast<uint32_t>(un.cellvars.size()) + it->second;
        }
        break;
    }
    case Scope::kCell: {
        auto it = un.cell_index.find(name);
        if (it != un.cell_index.end()) {
            kind = kDeref;
            arg = nl + it->second;
        }
        break;
    }
    case Scope::kLocal:
        if (function_like) {
            auto it = un.varname_index.find(name);
            if (it != un.varname_index.end()) {
                kind = kFast;
                arg = it->second;
            }
        }
        break;
    case Scope::kGlobalImplicit:
        if (function_like) kind = kGlobal;
        break;
    case Scope::kGlobalExplicit:
        kind = kGlobal;
        break;
    case Scope::kNone:
        if (function_like) kind = kGlobal;
        break;
    }
    switch (kind) {
    case kFast:
        emit(ctx == ast::Ctx::Load ? Op::LOAD_FAST
                                   : ctx == ast::Ctx::Store ? Op::STORE_FAST : Op::DELETE_FAST,
             arg);
        return;
    case kDeref:
        if (ctx == ast::Ctx::Load)
            emit(un.ste->type == BlockType::kClass ? Op::LOAD_CLASSDEREF : Op::LOAD_DEREF, arg);
        else
            emit(ctx == ast::Ctx::Store ? Op::STORE_DEREF : Op::DELETE_DEREF, arg);
        return;
    case kGlobal:
        emit(ctx == ast::Ctx::Load ? Op::LOAD_GLOBAL
                                   : ctx == ast::Ctx::Store ? Op::STORE_GLOBAL : Op::DELETE_GLOBAL,
             add_name(name));
        return;
    case kName:
        emit(ctx == ast::Ctx::Load ? Op::LOAD_NAME
                                   : ctx == ast::Ctx::Store ? Op::STORE_NAME : Op::DELETE_NAME,
             add_name(name));
        return;
    }
}

// ---- module ---------------------------------------------------------------------------------

RefT<CodeObject> Compiler::compile_module(ast::Module* mod, ParseMode mode) {
    if (!enter_scope("<module>", ScopeType::kModule, mod, 1)) return nullptr;
    if (mode == ParseMode::kEval) {
        ast::Expr* e = nullptr;
        if (mod->body.size() == 1 && mod->body[0]->kind == ast::StmtKind::Expr)
            e = static_cast<ast::ExprStmt*>(mod->body[0])->value;
        if (!e) {
            error(ast::Loc{1, 0, 1, 0}, "invalid syntax");
            units_.pop_back();
            return nullptr;
        }
        {
            LocGuard g(u(), e->loc);
            visit_expr(e);
            emit(Op::RETURN_VALUE);
        }
    } else {
        if (find_annotations(mod->body)) emit(Op::SETUP_ANNOTATIONS);
        body_with_docstring(mod->body, !interactive_);
    }
    if (failed_) {
        units_.clear();
        return nullptr;
    }
    return leave_scope();
}

}  // namespace compiler_detail

// ---- the entry point ------------------------------------------------------------------------

namespace {

std::string source_line(std::string_view src, int lineno) {
    if (lineno < 1) return {};
    size_t pos = 0;
    for (int l = 1; l < lineno; ++l) {
        size_t nl = src.find('\n', pos);
        if (nl == std::string_view::npos) return {};
        pos = nl + 1;
    }
    size_t nl = src.find('\n', pos);
    if (nl == std::string_view::npos) return std::string(src.substr(pos));
    return std::string(src.substr(pos, nl - pos + 1));
}

void raise_syntax_error(const SyntaxErrorInfo& info, std::string_view filename) {
    Type* type = &exc::SyntaxError;
    if (info.kind == "IndentationError") type = &exc::IndentationError;
    else if (info.kind == "TabError") type = &exc::TabError;
    RefT<Str> msg = new_str(info.msg);
    RefT<Str> fname = new_str(filename);
    if (!msg || !fname) return;
    Ref lineno = make_int(info.line);
    Ref offset = make_int(info.col);
    Ref end_lineno = make_int(info.end_line);
    Ref end_offset = info.end_col < 0 ? Ref::none() : make_int(info.end_col);  // <0: None
    Ref text = Ref::none();
    if (!info.text.empty()) {
        RefT<Str> t = new_str(info.text);
        if (!t) return;
        text = std::move(t);
    }
    RefT<Tuple> details = new_tuple_of({fname.value(), *lineno, *offset, *text, *end_lineno,
                                        *end_offset});
    if (!details) return;
    Ref e = call(Value::object(type), {msg.value(), details.value()});
    if (!e) return;
    struct {
        const char* name;
        Value v;
    } attrs[] = {{"msg", msg.value()},       {"filename", fname.value()},
                 {"lineno", *lineno},        {"offset", *offset},
                 {"text", *text},            {"end_lineno", *end_lineno},
                 {"end_offset", *end_offset}};
    for (auto& a : attrs) {
        if (!setattr(*e, intern(a.name), a.v)) return;
    }
    RefT<Tuple> args = new_tuple_of({msg.value(), details.value()});
    if (!args) return;
    if (!setattr(*e, intern("args"), args.value())) return;
    restore_error(std::move(e));
}

}  // namespace

RefT<CodeObject> compile_source(std::string_view source, std::string_view filename,
                                CompileMode mode, bool file_input) {
    ParseMode pm = mode == CompileMode::kEval    ? ParseMode::kEval
                   : mode == CompileMode::kSingle ? ParseMode::kSingle
                                                  : ParseMode::kExec;
    ast::Arena arena;
    SyntaxErrorInfo err;
    ast::Module* mod = parse(source, filename, pm, arena, &err);
    if (!mod) {
        if (!error_occurred()) {
            if (file_input && err.no_location) {
                // CPython: SyntaxError(msg) with no filename, lineno, offset or text.
                RefT<Str> msg = new_str(err.msg);
                if (!msg) return nullptr;
                Ref e = call(Value::object(&exc::SyntaxError), {msg.value()});
                if (e) restore_error(std::move(e));
                return nullptr;
            }
            if (file_input && err.eof_no_column) err.col = 0;
            raise_syntax_error(err, filename);
        }
        return nullptr;
    }
    return compile_ast(mod, source, filename, mode);
}

RefT<CodeObject> compile_ast(ast::Module* mod, std::string_view source, std::string_view filename,
                             CompileMode mode) {
    ParseMode pm = mode == CompileMode::kEval    ? ParseMode::kEval
                   : mode == CompileMode::kSingle ? ParseMode::kSingle
                                                  : ParseMode::kExec;
    SymbolTable st;
    SyntaxErrorInfo err;
    bool recursion = false;
    bool future_annotations = false;
    if (!check_future_imports(mod, &err, &future_annotations)) {
        err.text = source_line(source, err.line);
        raise_syntax_error(err, filename);
        return nullptr;
    }
    if (!st.build(mod, &err, &recursion, future_annotations)) {
        if (recursion) {
            (void)raise(&exc::RecursionError, "maximum recursion depth exceeded during compilation");
            return nullptr;
        }
        // As CPython, offsets of symtable/compiler errors are UTF-8 byte offsets + 1.
        err.text = source_line(source, err.line);
        raise_syntax_error(err, filename);
        return nullptr;
    }
    compiler_detail::Compiler c(source, filename, st, mode == CompileMode::kSingle);
    c.future_annotations_ = future_annotations;
    RefT<CodeObject> code = c.compile_module(mod, pm);
    if (code) return code;
    if (c.runtime_error()) {
        if (!error_occurred()) (void)raise(&exc::SystemError, "compiler failed without an error");
        return nullptr;
    }
    if (c.recursion_error()) {
        (void)raise(&exc::RecursionError, "maximum recursion depth exceeded during compilation");
        return nullptr;
    }
    SyntaxErrorInfo e = c.error_info();
    e.text = source_line(source, e.line);
    raise_syntax_error(e, filename);
    return nullptr;
}

}  // namespace toy
