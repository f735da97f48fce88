// traceback.h: traceback objects and printing exceptions in CPython 3.11's format.
//
// A traceback entry is added for each frame an exception passes through (the VM's error
// path). The chain starts at the outermost frame (tb_next goes towards the raise point), as
// CPython's. Frames live on the thread stack and die before the traceback is printed, so an
// entry keeps what printing needs: the code object and the instruction.
#pragma once

#include <string>

#include "interp/code.h"
#include "runtime/type.h"

namespace toy {

struct Dict;
extern Type traceback_type;

struct Traceback : Object {
    Value next;         // owned: tb_next (a Traceback) or null
    CodeObject* code;   // owned
    uint32_t lasti;     // tb_lasti (a word offset)
    int32_t lineno;     // tb_lineno
    Value frame_locals; // owned or null: the locals of the frame the exception left (a tuple),
                        // kept alive as long as the traceback, as CPython's tb_frame does
    Dict* globals;      // owned or null: the frame's globals (kept for NameError suggestions)
};

// Prepends an entry for (code, lasti) to the traceback of exception `exc` (the VM calls it
// for each frame an exception leaves or is raised in). False on MemoryError.
// `globals` (may be null) is kept on the innermost entry of a NameError for "Did you mean".
// `lineno` >= 0 overrides the line of lasti (a generator thrown into before it started
// reports its `def` line).
bool traceback_add(Value exc, CodeObject* code, uint32_t lasti, Dict* globals = nullptr,
                   int lineno = -1);

// Called when an exception propagates out of frame `f`: the frame's locals move into the
// traceback entry for it (the head of exc's traceback), so that they live as long as the
// traceback does (CPython keeps the whole frame). The exception itself is not kept (cycle).
struct Frame;
void traceback_keep_locals(Value exc, Frame* f);

// Writes the exception with its traceback and its chained causes/contexts to sys.stderr
// (fd 2 when sys.stderr is missing or fails), as CPython 3.11's default excepthook.
void print_exception(Value exc);
// The same text, as a string (used by print_exception and tests).
std::string format_exception(Value exc);

// Line `lineno` of a source file (without its newline), read once and cached, as linecache;
// false when the file cannot be read or has no such line.
bool read_source_line(std::string_view filename, int lineno, std::string* out);

void init_traceback_type();

}  // namespace toy
