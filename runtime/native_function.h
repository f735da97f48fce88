// native_function.h: builtin functions and methods implemented in C++.
//
// A NativeFunction is `builtin_function_or_method`: a NativeFn plus an optional bound self.
// A MethodDescriptor sits in a builtin type's dict for each MethodDef; attribute lookup on
// an instance binds it (descr_get) into a NativeFunction, and LOAD_METHOD/CALL call it
// unbound with self first, allocating nothing.
#pragma once

#include "runtime/type.h"

namespace toy {

struct Str;

extern Type native_function_type;   // builtin_function_or_method
extern Type method_descriptor_type; // method_descriptor
extern Type classmethod_descriptor_type;
extern Type static_method_type;     // staticmethod
extern Type class_method_type;      // classmethod
extern Type property_type;          // property

struct NativeFunction : Object {
    const MethodDef* def;
    Value self;      // owned; null for plain functions
    Value module;    // owned; the module's name (str) or null
};

struct MethodDescriptor : Object {
    const MethodDef* def;
    Type* owner;
};

// A new builtin function (module-level: self null).
Ref new_native_function(const MethodDef* def, Value self = Value::null(), Value module = Value::null());

// Argument parsing helper for native functions, CPython-style messages:
//   "len() takes exactly one argument (2 given)", "f() got an unexpected keyword argument 'x'".
// Fills `out` (borrowed) for `names` (positional-or-keyword) in order; unset optional ones are
// null. Returns false with TypeError.
bool parse_args(const char* fname, CallArgs a, int min_pos, int max_pos,
                std::initializer_list<const char*> names, Value* out);

}  // namespace toy
