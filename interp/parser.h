// parser.h: source text -> AST. Knows nothing of objects, threads or the GIL: errors come
// back as a SyntaxErrorInfo that compile_source() turns into a SyntaxError exception.
#pragma once

#include <string>
#include <string_view>

#include "interp/ast.h"

namespace toy {

struct SyntaxErrorInfo {
    std::string kind = "SyntaxError";  // or "IndentationError", "TabError"
    std::string msg;                   // CPython 3.11's wording: "invalid syntax", "expected ':'"
    int line = 0;                      // 1-based
    int col = 0;                       // 1-based column of the caret (CPython's `offset`)
    int end_line = 0;
    int end_col = 0;                   // 1-based, exclusive (CPython's `end_offset`)
    std::string text;                  // the source line, with its newline
    // Where CPython's file input (a script run from a file or stdin) reports differently from
    // string input: an error at the end marker has offset 0 (no caret); undecodable source
    // has no location at all.
    bool eof_no_column = false;
    bool no_location = false;
};

enum class ParseMode { kExec, kEval, kSingle };

// Parses `source`. On success returns the module (for kEval: one ExprStmt holding the
// expression); on failure returns nullptr and fills *err. Never overflows the C stack:
// nesting deeper than a fixed limit is a SyntaxError ("too many nested parentheses") or
// CPython's "too many statically nested blocks".
ast::Module* parse(std::string_view source, std::string_view filename, ParseMode mode,
                   ast::Arena& arena, SyntaxErrorInfo* err);

}  // namespace toy
