// init_types.h: the init function of every builtin type, called once by runtime_init()
// (runtime/runtime_init.cpp) in the order listed there. Each owner implements its own:
// it sets the type's name/slots/methods and calls type_ready(&t, base).
//
// To add a type: declare its init function here (in your area's block) and add the call in
// runtime_init.cpp's list (same block). Keep the order: a base before its subclasses.
#pragma once

namespace toy {

// --- core (runtime/type.cpp, exceptions.cpp, native_function.cpp, module.cpp, misc_types.cpp)
void init_core_names();              // interned dunder names (first: everything uses them)
void init_object_and_type_types();   // object, type, getset/wrapper descriptors
void init_native_function_types();   // builtin_function_or_method, method_descriptor, ...
void init_misc_types();              // NoneType, NotImplementedType, ellipsis, slice, cell
void init_module_type();
void init_exception_types();         // every type of exceptions.def

// --- text (runtime/int.cpp, bool.cpp, float.cpp, str.cpp, bytes.cpp)
void init_int_type();
void init_bool_type();
void init_float_type();
void init_str_type();
void init_bytes_type();

// --- containers (runtime/tuple.cpp, list.cpp, dict.cpp, set.cpp, range.cpp, iterators.cpp)
void init_tuple_type();
void init_list_type();
void init_dict_type();
void init_set_type();
void init_frozenset_type();
void init_range_type();
void init_iterator_types();  // enumerate, zip, map, filter, reversed, iterator, callable_iterator

// --- vm (interp/*): add yours here (function, method, generator, code, cell users, ...)

// --- stdlib: add yours here

}  // namespace toy
