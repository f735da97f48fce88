// compiler.h: the front end's entry point: source -> CodeObject.
#pragma once

#include <string_view>

#include "interp/code.h"

namespace toy {

namespace ast {
struct Module;
}

enum class CompileMode { kExec, kEval, kSingle };

// Parses and compiles. Returns null with a SyntaxError (or IndentationError/TabError)
// set whose attributes are CPython's: msg, filename, lineno, offset, text, end_lineno,
// end_offset. Uses the runtime (to build constants), so the caller holds the GIL.
// file_input: the source is the main script read from a file or stdin, whose syntax errors
// CPython locates slightly differently (see SyntaxErrorInfo).
RefT<CodeObject> compile_source(std::string_view source, std::string_view filename,
                                CompileMode mode, bool file_input = false);

// Compiles an already parsed module (the AST must come from `source`, which is only used to
// show the offending line of a SyntaxError). For tests and tools; same errors as above.
RefT<CodeObject> compile_ast(ast::Module* mod, std::string_view source, std::string_view filename,
                             CompileMode mode);

}  // namespace toy
