// abstract.h: the protocols on any value, as CPython's abstract.h. The VM and every native
// function go through these; they dispatch on the type's slots, try reflected operations,
// and raise CPython's TypeErrors ("unsupported operand type(s) for +: 'int' and 'str'").
// Fast paths for small ints, floats and exact builtin types live in the callers (the VM) or
// inline here; these functions are the complete, general path.
#pragma once

#include <initializer_list>
#include <string_view>

#include "runtime/type.h"

namespace toy {

struct Str;

// On AttributeError, getattr() sets the exception's `name` and `obj` (CPython 3.10+'s
// set_attribute_error_context in PyObject_GetAttr) unless already set (done, for vm).
Ref getattr(Value o, Str* name);          // AttributeError when missing
Ref getattr_or_null(Value o, Str* name);  // null with *no* exception when missing (AttributeError
                                          // swallowed); null with exception on other errors
                                          // (check error_occurred())
bool setattr(Value o, Str* name, Value v);
bool delattr(Value o, Str* name);
// The generic slots used by plain objects: instance dict, then type MRO with descriptors.
Ref generic_getattr(Value o, Str* name);
bool generic_setattr(Value o, Str* name, Value v);

Ref call(Value f, CallArgs a);
Ref call(Value f, std::initializer_list<Value> args);  // positional only
// Looks `name` up on the type of `self` (not the instance) and calls it with self first.
// Null with AttributeError if missing.
Ref call_method(Value self, Str* name, std::initializer_list<Value> args);

Ref binary_op(BinOp op, Value a, Value b);
Ref inplace_op(BinOp op, Value a, Value b);
Ref negative(Value a);
Ref positive(Value a);
Ref invert(Value a);
Ref absolute(Value a);
Ref rich_compare(Value a, Value b, CmpOp op);  // the object result (may be non-bool)
int compare_bool(Value a, Value b, CmpOp op);  // 1, 0, -1 on error
int eq(Value a, Value b);                      // identity first, then ==; -1 on error
int truthy(Value v);                           // -1 on error
bool hash(Value v, int64_t* out);              // TypeError: unhashable type: 'list'

Ref repr(Value v);   // a str
Ref str(Value v);    // a str
Ref ascii(Value v);
Ref format(Value v, Str* spec);  // format(v, spec) via __format__

Ref get_iter(Value v);   // TypeError: 'int' object is not iterable
Ref iter_next(Value it); // null without exception: exhausted
int64_t length(Value v); // -1 on error
Ref getitem(Value o, Value key);
bool setitem(Value o, Value key, Value v);
bool delitem(Value o, Value key);
int contains(Value container, Value item);  // `item in container`

// __index__: an int (small or big) from v, or TypeError.
bool index_value(Value v, int64_t* out);
bool is_callable(Value v);
bool isinstance(Value v, Value cls);   // cls may be a type or a tuple of types; false+exc on error
bool issubclass(Value sub, Value cls);

// The type name used in messages: "int", "MyClass".
std::string_view type_name(Value v);

}  // namespace toy
