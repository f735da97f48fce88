// code.h: code objects (the compiler's output, immutable apart from inline caches) and the
// opcode enum generated from opcodes.def.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "runtime/type.h"

namespace toy {

struct Tuple;
struct Str;

inline constexpr uint32_t kBytecodeVersion = 2;
inline constexpr uint32_t kMaxOperand = (1u << 24) - 1;

enum class Op : uint8_t {
#define OP(name, operand, pops, pushes, caches, flags) name,
#include "interp/opcodes.def"
#undef OP
    kCount
};

enum class OperandKind : uint8_t { NONE, CONST, NAME, LOCAL, JUMP, COUNT, ENUM, FLAGS };
enum OpFlags : uint8_t { kJumps = 1, kTerminates = 2, kCanRaise = 4, kHasCache = 8 };

struct OpInfo {
    const char* name;
    OperandKind operand;
    uint8_t caches;  // inline cache words following the instruction
    uint8_t flags;
};
extern const OpInfo kOpInfo[static_cast<int>(Op::kCount)];
// Net stack effect of an instruction on its fall-through path.
int stack_effect(Op op, uint32_t arg);
// Net stack effect on the jump path of a kJumps instruction (FOR_ITER: -1 as it pops the
// iterator; JUMP_IF_*_OR_POP: 0 as the value stays; others as stack_effect).
int jump_stack_effect(Op op, uint32_t arg);

inline constexpr uint32_t encode(Op op, uint32_t arg) { return static_cast<uint32_t>(op) | (arg << 8); }
inline constexpr Op decode_op(uint32_t word) { return static_cast<Op>(word & 0xFF); }
inline constexpr uint32_t decode_arg(uint32_t word) { return word >> 8; }

struct ExceptionTableEntry {
    uint32_t start;   // first covered pc
    uint32_t end;     // one past the last covered pc
    uint32_t target;  // handler pc
    uint32_t depth : 31;       // stack depth to unwind to (not counting the pushed lasti/exc)
    uint32_t push_lasti : 1;   // push the raising pc before the exception
};

// Source position of each code word (caches included, copying their instruction's).
struct Position {
    int32_t line = 0;        // 1-based; 0: none
    int32_t end_line = 0;
    int16_t col = -1;        // 0-based UTF-8 column of the expression's start; -1: none
    int16_t end_col = -1;
};

enum CodeFlags : uint32_t {
    kCoOptimized = 1,    // locals are fast locals (functions)
    kCoNewLocals = 2,    // a fresh locals dict/array per call
    kCoVarargs = 4,      // *args
    kCoVarkeywords = 8,  // **kwargs
    kCoNested = 16,
    kCoGenerator = 32,
    kCoNoFree = 64,
    kCoCoroutine = 128,
    kCoIterableCoroutine = 256,
    kCoAsyncGenerator = 512,
};

extern Type code_type;
// Python-level attributes (read-only): co_name, co_qualname, co_filename, co_firstlineno,
// co_flags, co_argcount, co_posonlyargcount, co_kwonlyargcount, co_nlocals, co_stacksize,
// co_consts, co_names, co_varnames, co_cellvars, co_freevars.

// Layout conventions the compiler guarantees (as CPython 3.11):
//   - localsplus_names: [0, argcount) positional parameters (positional-only first), then
//     kwonlyargcount keyword-only parameters, then `*args` if kCoVarargs, then `**kwargs` if
//     kCoVarkeywords, then the other fast locals; then ncells cell names; then nfrees free
//     variable names (the order of the closure tuple MAKE_FUNCTION receives).
//   - A parameter that is also a cell keeps its local slot (the argument lands there) and has
//     a cell slot; cell2arg maps the cell to the parameter, and only DEREF ops touch it.
//   - Function code (kCoOptimized): consts[0] is the docstring (a str) or None. Class bodies
//     and modules store their docstring as `__doc__` instead.
//   - Class bodies: flags lack kCoNewLocals/kCoOptimized (LOAD_NAME/STORE_NAME on the class
//     namespace); they return the `__class__` cell (also stored as `__classcell__` in the
//     namespace) when a method uses `super()`/`__class__`, else None.
//   - Comprehensions and generator expressions are functions taking one positional argument
//     `.0` (the iterator of the outermost iterable).
struct CodeObject : Object {
    std::vector<uint32_t> code;
    std::vector<Position> positions;  // one per code word
    std::vector<ExceptionTableEntry> exception_table;  // innermost entries first
    Tuple* consts = nullptr;           // owned
    Tuple* names = nullptr;            // owned: interned str (globals, attributes, imports)
    Tuple* localsplus_names = nullptr; // owned: locals, then cells, then free variables
    // For each cell that is also a parameter, its parameter index; else -1 (the frame copies
    // the argument into the new cell at entry).
    std::vector<int32_t> cell2arg;
    uint32_t nlocals = 0, ncells = 0, nfrees = 0;
    uint32_t argcount = 0;         // positional parameters (including positional-only)
    uint32_t posonlyargcount = 0;
    uint32_t kwonlyargcount = 0;
    uint32_t flags = 0;
    uint32_t stacksize = 0;        // max value-stack depth, computed by the compiler
    int32_t firstlineno = 1;
    Str* name = nullptr;           // owned
    Str* qualname = nullptr;       // owned
    Str* filename = nullptr;       // owned

    int line_at(uint32_t pc) const { return pc < positions.size() ? positions[pc].line : firstlineno; }
};

RefT<CodeObject> new_code();
// Readies code_type (idempotent; new_code() calls it too).
void init_code_type();

}  // namespace toy
