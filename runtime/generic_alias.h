// generic_alias.h: types.GenericAlias, the result of `list[int]` (PEP 585). The builtin
// generic containers (list, tuple, dict, set, frozenset, enumerate, ...) have a
// `__class_getitem__` class method that builds one. Minimal: repr, __origin__, __args__,
// ==, hash, calling (instantiates the origin) and attribute access falling back to the origin.
#pragma once

#include "runtime/type.h"

namespace toy {

extern Type generic_alias_type;  // "types.GenericAlias"

void init_generic_alias_type();
// A new alias origin[args] (args: a tuple, or a single value).
Ref new_generic_alias(Value origin, Value args);
// The MethodDef to put in a builtin type's methods table (kMethodClass).
extern const MethodDef class_getitem_def;
// The function behind it, for other areas' method tables: self is the class.
Ref generic_class_getitem(Value cls, CallArgs a);

}  // namespace toy
