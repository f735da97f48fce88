// native_function.h: builtin functions and methods implemented in C++.
//
// A NativeFunction is `builtin_function_or_method`: a NativeFn plus an optional bound self.
// A MethodDescriptor sits in a builtin type's dict for each MethodDef; attribute lookup on
// an instance binds it (descr_get) into a NativeFunction, and LOAD_METHOD/CALL call it
// unbound with self first, allocating nothing.
#pragma once

#include <initializer_list>

#include "runtime/type.h"

namespace toy {

struct Str;
struct Dict;

extern Type native_function_type;   // builtin_function_or_method
extern Type method_descriptor_type; // method_descriptor
extern Type classmethod_descriptor_type;
extern Type static_method_type;     // staticmethod
extern Type class_method_type;      // classmethod
extern Type property_type;          // property
extern Type super_type;             // super

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

// --- added by core ---------------------------------------------------------------------------
// The descriptor type_ready() stores for a MethodDef of type `owner` (method_descriptor,
// classmethod_descriptor for kMethodClass, staticmethod(builtin) for kMethodStatic).
Ref new_method_descriptor(const MethodDef* def, Type* owner);
// staticmethod(f) / classmethod(f).
Ref new_staticmethod(Value f);
Ref new_classmethod(Value f);
// The callable a staticmethod/classmethod wraps (borrowed).
Value staticmethod_func(Value sm);
Value classmethod_func(Value cm);

struct StaticMethod : Object {
    Value func;  // owned
    Dict* dict;  // owned, may be null (__dict__: __doc__, __wrapped__ set by decorators)
};
struct ClassMethod : Object {
    Value func;  // owned
    Dict* dict;
};
struct Property : Object {
    Value fget, fset, fdel, doc;  // owned; null when absent
    Value name;                   // owned: set by __set_name__, null until then
};
struct Super : Object {
    Type* thisclass; // owned: the class super() was called in (search starts after it)
    Value obj;       // owned: the instance or class; null when unbound
    Type* obj_type;  // owned: type(obj), or obj itself when obj is a subclass of `type`
};

// Argument parsing helper for native functions, CPython-style messages:
//   "len() takes exactly one argument (2 given)", "f() got an unexpected keyword argument 'x'".
// Fills `out` (borrowed) for `names` (positional-or-keyword) in order; unset optional ones are
// null. Returns false with TypeError.
//
// `names` has one entry per parameter: the first max_pos are positional-or-keyword (an empty
// name "" makes one positional-only), any further ones keyword-only. Parameters past min_pos
// are optional. With an empty `names` list only positional arguments are accepted and `out`
// receives them. fname is the bare function name ("len").
bool parse_args(const char* fname, CallArgs a, int min_pos, int max_pos,
                std::initializer_list<const char*> names, Value* out);

}  // namespace toy
