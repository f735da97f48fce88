// compiler_internal.h: the code generator's state, shared by compiler.cpp (units, emission,
// assembly, the stack-depth pass), compiler_expr.cpp and compiler_stmt.cpp.
//
// Code generation follows CPython 3.11's Python/compile.c. Differences of representation:
//   - Instructions go into one flat list per code unit; labels are indices into it. There
//     are no basic blocks: the list is laid out in emission order.
//   - Exception handlers: instead of SETUP_*/POP_BLOCK pseudo-instructions propagated over
//     a CFG, every instruction records the innermost handler active when it was emitted
//     (`cur_handler`, a tree of Handler records). A SETUP pseudo-instruction marks where a
//     handler starts, so that the stack-depth pass learns the handler's depth there, exactly
//     as CPython's SETUP_FINALLY / SETUP_CLEANUP / SETUP_WITH do. "POP_BLOCK" is setting
//     cur_handler back to the handler's parent.
//   - The stack-depth pass also removes unreachable instructions.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "interp/ast.h"
#include "interp/code.h"
#include "interp/parser.h"
#include "interp/symtable.h"

namespace toy {

struct Str;

namespace compiler_detail {

// A pseudo-op marking the start of a handler's region (never emitted).
inline constexpr int kSetup = -1;

struct Instr {
    int16_t op;           // an Op, or kSetup
    uint32_t arg = 0;     // operand; for jumps: a label id; for kSetup: a handler id
    int32_t handler = -1; // innermost active handler when emitted
    ast::Loc loc;
};

struct Handler {
    int label;        // handler code
    int parent;       // enclosing handler (-1: none)
    int pop;          // depth = stack depth at SETUP minus pop
    bool lasti;       // push the raising pc before the exception
    int depth = -1;   // computed by the stack-depth pass
};

enum class ScopeType { kModule, kClass, kFunction, kLambda, kComprehension };

enum class FBlockKind {
    kWhileLoop, kForLoop, kTryExcept, kFinallyTry, kFinallyEnd, kWith, kAsyncWith,
    kHandlerCleanup, kPopValue, kExceptionHandler
};

// A constant computed at compile time (constant folding).
struct Folded {
    enum K { kNone, kInt, kFloat, kStr } k = kNone;
    int64_t i = 0;
    double f = 0;
    std::string s;
};

struct FBlock {
    FBlockKind kind;
    int block_label = -1;  // loops: `continue` target
    int exit_label = -1;   // loops: `break` target
    int outer_handler = -2;  // handler to restore when unwinding through this block (-2: none)
    const void* datum = nullptr;  // kFinallyTry: the finally body; kWith: the With node;
                                  // kHandlerCleanup: the bound name (std::string*) or null
};

struct Unit {
    SymbolTableEntry* ste = nullptr;
    ScopeType scope_type = ScopeType::kModule;
    std::string name, qualname, private_name;
    int firstlineno = 1;

    std::vector<Instr> instrs;
    std::vector<int> labels;  // label id -> instruction index (-1: unbound)
    std::vector<Handler> handlers;
    int cur_handler = -1;

    std::vector<Ref> consts;
    std::unordered_map<std::string, uint32_t> const_index;
    std::vector<std::string> names;
    std::unordered_map<std::string, uint32_t> name_index;
    std::vector<std::string> varnames, cellvars, freevars;
    std::unordered_map<std::string, uint32_t> varname_index, cell_index, free_index;

    uint32_t argcount = 0, posonlyargcount = 0, kwonlyargcount = 0;
    bool async_function = false;  // `async def` (await allowed)
    std::vector<FBlock> fblocks;
    ast::Loc loc;  // position given to emitted instructions
};

class Compiler {
public:
    Compiler(std::string_view source, std::string_view filename, SymbolTable& st, bool interactive)
        : source_(source), filename_(filename), st_(st), interactive_(interactive) {}
    ~Compiler();

    RefT<CodeObject> compile_module(ast::Module* mod, ParseMode mode);

    // Error state: a SyntaxError to raise (or, when `recursion_`, a RecursionError), or a
    // runtime error already set (`runtime_error_`).
    bool failed() const { return failed_; }
    const SyntaxErrorInfo& error_info() const { return err_; }
    bool recursion_error() const { return recursion_; }
    bool runtime_error() const { return runtime_error_; }

    // ---- emission (compiler.cpp) ---------------------------------------------------------
    Unit& u() { return *units_.back(); }
    void emit(Op op, uint32_t arg = 0);
    int new_label();
    void bind(int label);
    void emit_jump(Op op, int label);
    // An artificial jump (end of an if body, of a try body...): it belongs to the line of the
    // instruction before it, as CPython's line propagation does for NOLINE jumps.
    void emit_jump_noline(Op op, int label) {
        Unit& un = u();
        ast::Loc saved = un.loc;
        if (!un.instrs.empty()) un.loc = un.instrs.back().loc;
        emit_jump(op, label);
        un.loc = saved;
    }
    int push_handler(int label, int pop, bool lasti);  // emits the SETUP; returns its id
    void pop_handler(int h) { u().cur_handler = u().handlers[h].parent; }
    uint32_t add_const(Ref v, const std::string& key);
    uint32_t const_none();
    void load_const_ref(Ref v, const std::string& key) { emit(Op::LOAD_CONST, add_const(std::move(v), key)); }
    void load_none() { emit(Op::LOAD_CONST, const_none()); }
    uint32_t add_name(const std::string& name);
    uint32_t str_const(const std::string& s);
    std::string mangle(const std::string& name) { return mangle_name(u().private_name, name); }

    void error(const ast::Loc& loc, std::string msg);
    void set_runtime_error() {
        failed_ = true;
        runtime_error_ = true;
    }

    // Units.
    bool enter_scope(const std::string& name, ScopeType type, const void* key, int lineno);
    RefT<CodeObject> leave_scope();  // assembles the current unit and pops it
    std::string qualname_for(const std::string& name, ScopeType type);
    void make_closure(RefT<CodeObject> code, uint32_t flags);

    // Names.
    void nameop(const std::string& name, ast::Ctx ctx);

    // ---- expressions (compiler_expr.cpp) --------------------------------------------------
    void visit_expr(ast::Expr* e);
    void visit_expr_inner(ast::Expr* e);
    bool const_value(ast::Expr* e, Ref* out, std::string* key);  // constant (tuples folded)
    bool load_constant(ast::Constant* c);
    bool fold(ast::Expr* e, Folded* out);  // false: not foldable (no error)
    bool fold_inner(ast::Expr* e, Folded* out);
    void jump_if(ast::Expr* e, int label, bool cond);
    void visit_compare(ast::Compare* e);
    void visit_boolop(ast::BoolOp* e);
    void visit_call(ast::Call* e);
    void call_helper(int pushed, const std::vector<ast::Expr*>& args,
                     const std::vector<ast::Keyword*>& keywords);
    bool check_keywords(const std::vector<ast::Keyword*>& keywords);
    bool check_debug_args(ast::Arguments* a, const ast::Loc& loc);
    void starunpack(const std::vector<ast::Expr*>& elts, int pushed, Op build, Op add, Op extend,
                    bool tuple);
    void visit_dict(ast::Dict* e);
    void visit_subdict(ast::Dict* e, size_t begin, size_t end);
    void visit_comprehension(ast::Expr* e, const char* name,
                             const std::vector<ast::Comprehension*>& gens, ast::Expr* elt,
                             ast::Expr* value, int kind);
    void comprehension_generator(const std::vector<ast::Comprehension*>& gens, size_t index,
                                 int depth, ast::Expr* elt, ast::Expr* value, int kind);
    void visit_lambda(ast::Lambda* e);
    uint32_t default_arguments(ast::Arguments* args);
    void set_arguments(ast::Arguments* args);
    void visit_joined_str(ast::JoinedStr* e);
    void visit_formatted_value(ast::FormattedValue* e);
    void visit_slice(ast::Slice* e);
    bool try_super_call(ast::Call* e);

    // ---- statements (compiler_stmt.cpp) ---------------------------------------------------
    void visit_body(const ast::Body& body);
    void visit_stmt(ast::Stmt* s);
    void visit_stmt_inner(ast::Stmt* s);
    void store_target(ast::Expr* t);
    bool swap_assign(ast::Expr* target, ast::Expr* value);
    void unpack_helper(const std::vector<ast::Expr*>& elts, const ast::Loc& loc);
    void visit_delete(ast::Expr* t);
    void visit_augassign(ast::AugAssign* s);
    void visit_annassign(ast::AnnAssign* s);
    void visit_function(ast::FunctionDef* s);
    void visit_annotation(ast::Expr* e);  // an annotation's value (a str under PEP 563)
    std::string source_text(const ast::Loc& loc);
    void function_annotations(ast::FunctionDef* s);
    void visit_class(ast::ClassDef* s);
    void visit_if(ast::If* s);
    void visit_while(ast::While* s);
    void visit_for(ast::For* s);
    void visit_async_for(ast::For* s);
    // GET_AWAITABLE where; LOAD_CONST None; YIELD_FROM: awaits TOS (where: 0 an await
    // expression, 1 __aenter__'s result, 2 __aexit__'s).
    void await_tos(int where);
    void visit_return(ast::Return* s);
    void visit_break(ast::Stmt* s);
    void visit_continue(ast::Stmt* s);
    void visit_try(ast::Try* s);
    void visit_try_except(ast::Try* s);
    void visit_try_finally(ast::Try* s);
    void visit_with(ast::With* s, size_t pos, bool is_async);
    void visit_raise(ast::Raise* s);
    void visit_assert(ast::Assert* s);
    void visit_import(ast::Import* s);
    void visit_import_from(ast::ImportFrom* s);
    void body_with_docstring(const ast::Body& body, bool store_doc);
    static bool is_docstring(ast::Stmt* s);
    static bool find_annotations(const ast::Body& body);

    // fblocks and unwinding for break/continue/return.
    void push_fblock(FBlock fb) {
        // CPython's CO_MAXBLOCKS: at most 20 nested loops/try/with blocks per function.
        if (u().fblocks.size() >= 20) error(u().loc, "too many statically nested blocks");
        u().fblocks.push_back(fb);
    }
    void pop_fblock() { u().fblocks.pop_back(); }
    void unwind_fblock(const FBlock& fb, bool preserve_tos);
    // Unwinds every block up to (not including) the innermost loop when `loop` is non-null
    // (then *loop receives it; null when there is none), else all of them. The caller emits
    // its jump/return and then restores `saved` with restore_fblocks().
    struct Saved {
        std::vector<FBlock> fblocks;
        int handler;
    };
    Saved unwind_fblock_stack(bool preserve_tos, FBlock* loop, bool* found_loop);
    void restore_fblocks(Saved s) {
        u().fblocks = std::move(s.fblocks);
        u().cur_handler = s.handler;
    }
    void call_exit_with_nones();

    // Depth guard against C stack overflow on absurdly deep ASTs.
    bool enter_depth();
    void leave_depth() { --depth_; }

    std::string_view source_;
    std::string filename_;
    SymbolTable& st_;
    bool interactive_;
    std::vector<std::unique_ptr<Unit>> units_;
    Str* filename_str_ = nullptr;  // owned
    bool failed_ = false, recursion_ = false, runtime_error_ = false;
    SyntaxErrorInfo err_;
    int depth_ = 0;
    bool future_annotations_ = false;   // `from __future__ import annotations`
    std::vector<size_t> line_starts_;   // byte offset of each source line (lazily built)
    std::unordered_set<const ast::Expr*> not_foldable_;
};

// Scoped location: instructions emitted while alive carry `loc` (nodes without a position
// keep the enclosing one).
struct LocGuard {
    Unit& unit;
    ast::Loc saved;
    LocGuard(Unit& un, const ast::Loc& loc) : unit(un), saved(un.loc) {
        if (loc.line > 0) unit.loc = loc;
    }
    ~LocGuard() { unit.loc = saved; }
};

}  // namespace compiler_detail
}  // namespace toy
