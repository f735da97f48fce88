// ast_dump.h: the AST as text, in exactly the format of CPython's `ast.dump(tree)`
// (no attributes, no indentation), so that trees can be compared with python3's.
#pragma once

#include <string>

#include "interp/ast.h"

namespace toy {

// include_attributes: as ast.dump(tree, include_attributes=True) (positions of statements,
// expressions, arg, keyword, alias and ExceptHandler nodes).
std::string ast_dump(const ast::Module* m, bool include_attributes = false);
std::string ast_dump(const ast::Expr* e, bool include_attributes = false);
std::string ast_dump(const ast::Stmt* s, bool include_attributes = false);

// Python's repr() of a float (shortest round-trip digits, '1e+16', '0.0001', 'inf').
std::string ast_float_repr(double d, bool add_dot_0 = true);

}  // namespace toy
