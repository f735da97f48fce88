// ast.h: the abstract syntax tree the parser builds and the compiler reads.
//
// The shape follows CPython's `ast` module (Python/Python.asdl) so that its documentation
// applies: the same node names, the same fields. Nodes are owned by an `Arena` that lives
// as long as the compilation; nodes point to each other with raw pointers. Positions are
// 1-based lines and 0-based UTF-8 byte columns, as in CPython.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace toy::ast {

struct Loc {
    int32_t line = 0, col = 0, end_line = 0, end_col = 0;
};

struct Node {
    Loc loc;
    virtual ~Node() = default;
};

// Owns every node of one parse. Nodes are bump-allocated from large chunks (parser: one
// malloc per node was most of the parse time) and destroyed together with the arena.
class Arena {
public:
    Arena() = default;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
    ~Arena() {
        for (size_t i = nodes_.size(); i-- > 0;) nodes_[i]->~Node();
    }

    template <class T, class... A> T* make(Loc loc, A&&... args) {
        static_assert(alignof(T) <= alignof(std::max_align_t));
        constexpr size_t size = (sizeof(T) + alignof(std::max_align_t) - 1) &
                                ~(alignof(std::max_align_t) - 1);
        if (left_ < size) grow(size);
        T* p = new (cur_) T(std::forward<A>(args)...);
        cur_ += size;
        left_ -= size;
        p->loc = loc;
        nodes_.push_back(p);
        return p;
    }

private:
    void grow(size_t at_least) {
        size_t n = at_least > kChunk ? at_least : kChunk;
        // not make_unique: that would zero the chunk
        chunks_.emplace_back(new std::max_align_t[n / sizeof(std::max_align_t) + 1]);
        cur_ = reinterpret_cast<char*>(chunks_.back().get());
        left_ = n;
    }
    static constexpr size_t kChunk = 64 * 1024;
    std::vector<Node*> nodes_;  // in creation order, for the destructors
    std::vector<std::unique_ptr<std::max_align_t[]>> chunks_;
    char* cur_ = nullptr;
    size_t left_ = 0;
};

// ---- expressions ------------------------------------------------------------------------------
enum class ExprKind : uint8_t {
    BoolOp, NamedExpr, BinOp, UnaryOp, Lambda, IfExp, Dict, Set, ListComp, SetComp, DictComp,
    GeneratorExp, Await, Yield, YieldFrom, Compare, Call, FormattedValue, JoinedStr, Constant,
    Attribute, Subscript, Starred, Name, List, Tuple, Slice
};
enum class Ctx : uint8_t { Load, Store, Del };
enum class BoolOpKind : uint8_t { And, Or };
enum class OperatorKind : uint8_t {  // same order as runtime BinOp
    Add, Sub, Mult, Div, FloorDiv, Mod, Pow, LShift, RShift, BitAnd, BitOr, BitXor, MatMult
};
enum class UnaryOpKind : uint8_t { Invert, Not, UAdd, USub };
enum class CmpOpKind : uint8_t { Eq, NotEq, Lt, LtE, Gt, GtE, Is, IsNot, In, NotIn };

struct Expr : Node {
    ExprKind kind;
    explicit Expr(ExprKind k) : kind(k) {}
};
struct Stmt;

struct Arg : Node {
    std::string arg;
    struct Expr* annotation = nullptr;
};
struct Arguments : Node {
    std::vector<Arg*> posonlyargs, args;
    Arg* vararg = nullptr;
    std::vector<Arg*> kwonlyargs;
    std::vector<Expr*> kw_defaults;  // one per kwonlyarg, nullptr where none
    Arg* kwarg = nullptr;
    std::vector<Expr*> defaults;     // for the last len(defaults) of posonlyargs + args
};
struct Keyword : Node {
    std::string arg;  // empty for **kwargs
    Expr* value = nullptr;
};
struct Comprehension : Node {
    Expr* target = nullptr;
    Expr* iter = nullptr;
    std::vector<Expr*> ifs;
    bool is_async = false;
};

struct BoolOp : Expr { BoolOp() : Expr(ExprKind::BoolOp) {} BoolOpKind op; std::vector<Expr*> values; };
struct NamedExpr : Expr { NamedExpr() : Expr(ExprKind::NamedExpr) {} Expr* target; Expr* value; };
struct BinOp : Expr { BinOp() : Expr(ExprKind::BinOp) {} Expr* left; OperatorKind op; Expr* right; };
struct UnaryOp : Expr { UnaryOp() : Expr(ExprKind::UnaryOp) {} UnaryOpKind op; Expr* operand; };
struct Lambda : Expr { Lambda() : Expr(ExprKind::Lambda) {} Arguments* args; Expr* body; };
struct IfExp : Expr { IfExp() : Expr(ExprKind::IfExp) {} Expr* test; Expr* body; Expr* orelse; };
// keys[i] == nullptr means `**values[i]`.
struct Dict : Expr { Dict() : Expr(ExprKind::Dict) {} std::vector<Expr*> keys, values; };
struct Set : Expr { Set() : Expr(ExprKind::Set) {} std::vector<Expr*> elts; };
struct ListComp : Expr { ListComp() : Expr(ExprKind::ListComp) {} Expr* elt; std::vector<Comprehension*> generators; };
struct SetComp : Expr { SetComp() : Expr(ExprKind::SetComp) {} Expr* elt; std::vector<Comprehension*> generators; };
struct DictComp : Expr { DictComp() : Expr(ExprKind::DictComp) {} Expr* key; Expr* value; std::vector<Comprehension*> generators; };
struct GeneratorExp : Expr { GeneratorExp() : Expr(ExprKind::GeneratorExp) {} Expr* elt; std::vector<Comprehension*> generators; };
struct Await : Expr { Await() : Expr(ExprKind::Await) {} Expr* value; };
struct Yield : Expr { Yield() : Expr(ExprKind::Yield) {} Expr* value = nullptr; };
struct YieldFrom : Expr { YieldFrom() : Expr(ExprKind::YieldFrom) {} Expr* value; };
struct Compare : Expr { Compare() : Expr(ExprKind::Compare) {} Expr* left; std::vector<CmpOpKind> ops; std::vector<Expr*> comparators; };
struct Call : Expr { Call() : Expr(ExprKind::Call) {} Expr* func; std::vector<Expr*> args; std::vector<Keyword*> keywords; };
// conversion: -1 none, 's', 'r', 'a'. format_spec is a JoinedStr or nullptr.
struct FormattedValue : Expr { FormattedValue() : Expr(ExprKind::FormattedValue) {} Expr* value; int conversion = -1; Expr* format_spec = nullptr; };
struct JoinedStr : Expr { JoinedStr() : Expr(ExprKind::JoinedStr) {} std::vector<Expr*> values; };

enum class ConstKind : uint8_t { None, True, False, Ellipsis, Int, Float, Complex, Str, Bytes };
struct Constant : Expr {
    Constant() : Expr(ExprKind::Constant) {}
    ConstKind ckind = ConstKind::None;
    int64_t i = 0;        // Int that fits in int64
    std::string big;      // Int too large for int64: its decimal digits (big ints come later)
    double f = 0;         // Float, or the imaginary part of Complex
    std::string s;        // Str (UTF-8) or Bytes (raw)
    bool kind_u = false;  // added by parser: the literal had a 'u' prefix (CPython's kind='u')
};
struct Attribute : Expr { Attribute() : Expr(ExprKind::Attribute) {} Expr* value; std::string attr; Ctx ctx = Ctx::Load; };
struct Subscript : Expr { Subscript() : Expr(ExprKind::Subscript) {} Expr* value; Expr* slice; Ctx ctx = Ctx::Load; };
struct Starred : Expr { Starred() : Expr(ExprKind::Starred) {} Expr* value; Ctx ctx = Ctx::Load; };
struct Name : Expr { Name() : Expr(ExprKind::Name) {} std::string id; Ctx ctx = Ctx::Load; };
struct List : Expr { List() : Expr(ExprKind::List) {} std::vector<Expr*> elts; Ctx ctx = Ctx::Load; };
struct Tuple : Expr { Tuple() : Expr(ExprKind::Tuple) {} std::vector<Expr*> elts; Ctx ctx = Ctx::Load; };
struct Slice : Expr { Slice() : Expr(ExprKind::Slice) {} Expr* lower = nullptr; Expr* upper = nullptr; Expr* step = nullptr; };

// ---- statements -------------------------------------------------------------------------------
enum class StmtKind : uint8_t {
    FunctionDef, AsyncFunctionDef, ClassDef, Return, Delete, Assign, AugAssign, AnnAssign, For,
    AsyncFor, While, If, With, AsyncWith, Match, Raise, Try, TryStar, Assert, Import, ImportFrom,
    Global, Nonlocal, Expr, Pass, Break, Continue
};

struct Stmt : Node {
    StmtKind kind;
    explicit Stmt(StmtKind k) : kind(k) {}
};
using Body = std::vector<Stmt*>;

struct Alias : Node {
    std::string name;    // dotted for `import a.b`; "*" for `from m import *`
    std::string asname;  // empty when absent
};
struct WithItem : Node {
    Expr* context_expr = nullptr;
    Expr* optional_vars = nullptr;
};
struct ExceptHandler : Node {
    Expr* type = nullptr;  // nullptr: bare except
    std::string name;      // empty when absent
    Body body;
};

struct FunctionDef : Stmt {
    explicit FunctionDef(bool is_async = false) : Stmt(is_async ? StmtKind::AsyncFunctionDef : StmtKind::FunctionDef) {}
    std::string name; Arguments* args; Body body; std::vector<Expr*> decorator_list; Expr* returns = nullptr;
};
struct ClassDef : Stmt {
    ClassDef() : Stmt(StmtKind::ClassDef) {}
    std::string name; std::vector<Expr*> bases; std::vector<Keyword*> keywords; Body body; std::vector<Expr*> decorator_list;
};
struct Return : Stmt { Return() : Stmt(StmtKind::Return) {} Expr* value = nullptr; };
struct Delete : Stmt { Delete() : Stmt(StmtKind::Delete) {} std::vector<Expr*> targets; };
struct Assign : Stmt { Assign() : Stmt(StmtKind::Assign) {} std::vector<Expr*> targets; Expr* value; };
struct AugAssign : Stmt { AugAssign() : Stmt(StmtKind::AugAssign) {} Expr* target; OperatorKind op; Expr* value; };
struct AnnAssign : Stmt { AnnAssign() : Stmt(StmtKind::AnnAssign) {} Expr* target; Expr* annotation; Expr* value = nullptr; bool simple = true; };
struct For : Stmt {
    explicit For(bool is_async = false) : Stmt(is_async ? StmtKind::AsyncFor : StmtKind::For) {}
    Expr* target; Expr* iter; Body body, orelse;
};
struct While : Stmt { While() : Stmt(StmtKind::While) {} Expr* test; Body body, orelse; };
struct If : Stmt { If() : Stmt(StmtKind::If) {} Expr* test; Body body, orelse; };
struct With : Stmt {
    explicit With(bool is_async = false) : Stmt(is_async ? StmtKind::AsyncWith : StmtKind::With) {}
    std::vector<WithItem*> items; Body body;
};
struct Raise : Stmt { Raise() : Stmt(StmtKind::Raise) {} Expr* exc = nullptr; Expr* cause = nullptr; };
struct Try : Stmt {
    explicit Try(bool star = false) : Stmt(star ? StmtKind::TryStar : StmtKind::Try) {}
    Body body; std::vector<ExceptHandler*> handlers; Body orelse, finalbody;
};
struct Assert : Stmt { Assert() : Stmt(StmtKind::Assert) {} Expr* test; Expr* msg = nullptr; };
struct Import : Stmt { Import() : Stmt(StmtKind::Import) {} std::vector<Alias*> names; };
struct ImportFrom : Stmt { ImportFrom() : Stmt(StmtKind::ImportFrom) {} std::string module; std::vector<Alias*> names; int level = 0; };
struct Global : Stmt { Global() : Stmt(StmtKind::Global) {} std::vector<std::string> names; };
struct Nonlocal : Stmt { Nonlocal() : Stmt(StmtKind::Nonlocal) {} std::vector<std::string> names; };
struct ExprStmt : Stmt { ExprStmt() : Stmt(StmtKind::Expr) {} Expr* value; };
struct Pass : Stmt { Pass() : Stmt(StmtKind::Pass) {} };
struct Break : Stmt { Break() : Stmt(StmtKind::Break) {} };
struct Continue : Stmt { Continue() : Stmt(StmtKind::Continue) {} };
// Match statements come with issue 8; the kind is reserved.

struct Module : Node {
    Body body;
};

}  // namespace toy::ast
