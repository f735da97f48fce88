// disasm.h: a human-readable listing of code objects, in the format of CPython's `dis`
// (used by `toy --dis` and the compiler's golden tests).
#pragma once

#include <string>

#include "interp/code.h"

namespace toy {

// One line per instruction ("line  offset  OPNAME  arg (meaning)", jump targets marked
// with >>; inline cache words are not shown), then the exception table, then the listings
// of the nested code objects found among the constants (recursively). Offsets are word
// offsets. Code objects show as `<code object NAME, file "F", line N>` (no address, so
// that listings are stable). Constants are shown with repr().
std::string disassemble(CodeObject* code);

}  // namespace toy
