// function.h: Toy functions (`function`) and bound methods (`method`).
//
// A Function is what `def`/`lambda` create (MAKE_FUNCTION): a code object plus the context
// it runs in (globals, defaults, closure cells). Calling one pushes a Frame (frame.h); the VM
// does that inline for CALL, so Toy-to-Toy calls never recurse on the C stack. Native code
// calls it through function_type.call, which runs a nested dispatch loop.
//
// A Method binds a callable to `self` (attribute access on an instance finds a function on
// the class). LOAD_METHOD avoids creating one for the common `obj.m(...)` call.
#pragma once

#include "interp/code.h"
#include "runtime/type.h"

namespace toy {

struct Dict;
struct Tuple;
struct Str;

extern Type function_type;
extern Type method_type;

struct Function : Object {
    CodeObject* code;        // owned
    Dict* globals;           // owned
    Dict* builtins;          // owned: the builtins the function's frames see
    Str* name;               // owned: __name__
    Str* qualname;           // owned: __qualname__
    Value module;            // owned: __module__ (globals['__name__'] at creation) or None
    Value doc;               // owned: __doc__ (None when absent)
    Tuple* defaults;         // owned or null: __defaults__
    Dict* kwdefaults;        // owned or null: __kwdefaults__
    Tuple* closure;          // owned or null: tuple of cells for the free variables
    Dict* dict;              // owned or null: __dict__ (function attributes)
    Value annotations;       // owned or null: __annotations__
};

struct Method : Object {
    Value func;  // owned: the callable (usually a Function)
    Value self;  // owned
};

// A new function for `code` running in `globals` (MAKE_FUNCTION without the extras).
RefT<Function> new_function(CodeObject* code, Dict* globals, Value qualname = Value::null());
// A bound method.
Ref new_method(Value func, Value self);

inline bool is_function(Value v) { return v.is_object() && v.as_object()->type == &function_type; }
inline bool is_method(Value v) { return v.is_object() && v.as_object()->type == &method_type; }

void init_function_types();  // called by vm_init()

}  // namespace toy
