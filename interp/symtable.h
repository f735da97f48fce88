// symtable.h: the symbol table pass (CPython's Python/symtable.c, 3.11 semantics).
//
// One SymbolTableEntry per scope: the module, each class body, each function or lambda,
// each comprehension (a nested function taking `.0`, as in 3.11). The pass walks the AST
// twice: first it records, per scope, how each name is used (flags: bound here, used,
// parameter, declared global/nonlocal); then analyze() resolves every name to a Scope:
//   Local           bound in this function (fast local) or module/class namespace entry
//   GlobalExplicit  declared `global`
//   GlobalImplicit  not bound anywhere enclosing: globals, then builtins
//   Free            bound in an enclosing function: read through a cell from the closure
//   Cell            local to this function and captured by a nested one
// Class scopes are not visible from the functions nested in them, except for the implicit
// `__class__` cell that methods using `super`/`__class__` receive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "interp/ast.h"
#include "interp/parser.h"

namespace toy {

enum SymFlag : uint32_t {
    kDefGlobal = 1,        // `global x`
    kDefLocal = 2,         // assigned in this scope
    kDefParam = 4,         // a parameter
    kDefNonlocal = 8,      // `nonlocal x`
    kSymUse = 16,          // read in this scope
    kDefFreeClass = 32,    // free in a method, bound or global in the class body
    kDefImport = 64,       // bound by an import
    kDefAnnot = 128,       // annotated
    kDefCompIter = 256,    // a comprehension iteration variable
    kDefBound = kDefLocal | kDefParam | kDefImport,
};

enum class Scope : uint8_t { kNone, kLocal, kGlobalExplicit, kGlobalImplicit, kFree, kCell };
enum class BlockType : uint8_t { kFunction, kClass, kModule };

struct Symbol {
    uint32_t flags = 0;
    Scope scope = Scope::kNone;
};

struct SymbolTableEntry {
    BlockType type = BlockType::kModule;
    std::string name;                 // "top", function/class name, "lambda", "listcomp", ...
    const void* key = nullptr;        // the AST node that opened the scope
    std::vector<std::string> order;   // names in first-seen order
    std::unordered_map<std::string, Symbol> symbols;
    std::vector<std::string> varnames;  // parameters, in CPython's order
    std::vector<SymbolTableEntry*> children;
    std::unordered_map<std::string, ast::Loc> directives;  // global/nonlocal statements, for errors
    std::string private_name;  // enclosing class name, for __private name mangling
    int lineno = 0;
    bool nested = false;       // inside a function
    bool generator = false;
    bool coroutine = false;
    bool comprehension = false;
    bool varargs = false, varkeywords = false;
    bool free = false;         // has free variables (or declared nonlocal)
    bool child_free = false;   // a child has free variables
    bool needs_class_closure = false;  // class body: a method uses __class__/super
    bool returns_value = false;

    Scope scope_of(const std::string& name) const {
        auto it = symbols.find(name);
        return it == symbols.end() ? Scope::kNone : it->second.scope;
    }
    uint32_t flags_of(const std::string& name) const {
        auto it = symbols.find(name);
        return it == symbols.end() ? 0 : it->second.flags;
    }
};

// Checks the module's `from __future__ import ...` statements as CPython's future.c (they must
// come first, after the docstring; the features must exist). False with *err filled.
// *annotations is set when `annotations` is imported.
bool check_future_imports(ast::Module* mod, SyntaxErrorInfo* err, bool* annotations);

// CPython's _Py_Mangle: `__x` inside class `C` becomes `_C__x`.
std::string mangle_name(const std::string& private_name, const std::string& name);

class SymbolTable {
public:
    // Builds the table for a module. False with *err filled (kind, msg, line/col 1-based;
    // the caller adds the source text) on a SyntaxError; when `*recursion` is set on return,
    // the error is a RecursionError instead (too deep to analyse).
    // `future_annotations`: `from __future__ import annotations` is in effect (annotations
    // are strings, never evaluated, so their names are not uses).
    bool build(ast::Module* mod, SyntaxErrorInfo* err, bool* recursion,
               bool future_annotations = false);

    SymbolTableEntry* top() const { return top_; }
    SymbolTableEntry* lookup(const void* key) const {
        auto it = by_node_.find(key);
        return it == by_node_.end() ? nullptr : it->second;
    }

private:
    friend struct SymtableBuilder;
    std::vector<std::unique_ptr<SymbolTableEntry>> entries_;
    std::unordered_map<const void*, SymbolTableEntry*> by_node_;
    SymbolTableEntry* top_ = nullptr;
};

}  // namespace toy
