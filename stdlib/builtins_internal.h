// builtins_internal.h: the builtin functions, split over builtins*.cpp. Internal to stdlib/.
#pragma once

#include "runtime/type.h"

namespace toy {

struct Interpreter;
struct Module;
struct Dict;

// builtins.cpp
Ref builtin_print(Value self, CallArgs a);
Ref builtin_len(Value self, CallArgs a);
Ref builtin_abs(Value self, CallArgs a);
Ref builtin_round(Value self, CallArgs a);
Ref builtin_divmod(Value self, CallArgs a);
Ref builtin_pow(Value self, CallArgs a);
Ref builtin_isinstance(Value self, CallArgs a);
Ref builtin_issubclass(Value self, CallArgs a);
Ref builtin_id(Value self, CallArgs a);
Ref builtin_hash(Value self, CallArgs a);
Ref builtin_repr(Value self, CallArgs a);
Ref builtin_ascii(Value self, CallArgs a);
Ref builtin_format(Value self, CallArgs a);
Ref builtin_getattr(Value self, CallArgs a);
Ref builtin_setattr(Value self, CallArgs a);
Ref builtin_hasattr(Value self, CallArgs a);
Ref builtin_delattr(Value self, CallArgs a);
Ref builtin_callable(Value self, CallArgs a);
Ref builtins_chr(Value self, CallArgs a);
Ref builtins_ord(Value self, CallArgs a);
Ref builtin_hex(Value self, CallArgs a);
Ref builtin_oct(Value self, CallArgs a);
Ref builtin_bin(Value self, CallArgs a);
Ref builtin_input(Value self, CallArgs a);

// builtins_iter.cpp
Ref builtin_sorted(Value self, CallArgs a);
Ref builtin_min(Value self, CallArgs a);
Ref builtin_max(Value self, CallArgs a);
Ref builtin_sum(Value self, CallArgs a);
Ref builtin_any(Value self, CallArgs a);
Ref builtin_all(Value self, CallArgs a);
Ref builtin_iter(Value self, CallArgs a);
// For a generator it calls gen_next_raising() (interp/generator.h), so that StopIteration
// carries the return value (done, as the vm area asked).
Ref builtin_next(Value self, CallArgs a);

// builtins_exec.cpp
Ref builtin_exec(Value self, CallArgs a);
Ref builtin_eval(Value self, CallArgs a);
Ref builtin_compile(Value self, CallArgs a);
Ref builtin_globals(Value self, CallArgs a);
Ref builtin_locals(Value self, CallArgs a);
Ref builtin_vars(Value self, CallArgs a);
Ref builtin_dir(Value self, CallArgs a);

// import.cpp
Ref builtin_import(Value self, CallArgs a);

// The builtins module (created by setup_interpreter; its dict is Interpreter::builtins).
RefT<Module> create_builtins_module();
// The per-process types of the stdlib (file objects, callable_iterator, ...).
void init_stdlib_types();

// The current interpreter's sys module attribute (borrowed; null when missing, no exception).
Value sys_attr(Str* name);

}  // namespace toy
