// vm.h: the virtual machine's public entry points.
//
// eval_code() runs a code object (module code, exec/eval) to completion. Calls of Toy
// functions from native code go through function_type.call (function.h), which runs a
// nested dispatch loop; CALL from Toy code runs the callee in the same loop.
#pragma once

#include "interp/code.h"
#include "runtime/type.h"

namespace toy {

struct Dict;
struct Frame;
struct Function;
struct ThreadState;

extern Type function_type;
extern Type method_type;
extern Type generator_type;

// Readies the VM's types (function, method, generator, traceback, ...). Idempotent and
// thread-safe; eval_code() calls it, setup_interpreter() should too.
void vm_init();

// Runs `code` with `globals` and `locals` (locals may be null: then globals). Module code
// and class bodies use the locals dict (LOAD_NAME/STORE_NAME). Returns the value of the code
// (None for module code; the expression's value for eval) or null with an exception set.
Ref eval_code(CodeObject* code, Dict* globals, Dict* locals);

// The globals of the innermost executing Toy frame (borrowed), or null if none.
Dict* current_globals();
// locals() of the innermost frame: its locals dict (module/class body: a new reference to
// it), or a new dict snapshot of its fast locals and cells (functions).
Ref current_locals();
// The innermost executing frame, or null.
Frame* current_frame();

// builtins.__build_class__(func, name, *bases, **kwds).
Ref builtin_build_class(Value self, CallArgs a);

// Calls a Toy function with a vectorcall argument list (the function_type.call slot).
Ref function_call(Value func, CallArgs a);

// Runs `frame` (already set up, arguments bound) until it returns; for generator frames,
// until it yields (frame->yielded set) or returns. `throwing`: an exception is set and is
// raised at the frame's current instruction. Pushes the frame onto ts->frame while running.
Ref run_frame(ThreadState* ts, Frame* frame, bool throwing = false);

}  // namespace toy
