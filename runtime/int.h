// int.h: the int type. Ints within 48 bits are Values (value.h) and never allocate; larger
// ones are IntObject on the heap. Until big integers arrive (GMP), the range is that of
// int64_t and any operation that leaves it raises OverflowError; never wraps silently.
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type int_type;
extern Type bool_type;

struct IntObject : Object {
    int64_t value;
};

// Any int64 as a Value: small if it fits, else a new IntObject. Null on MemoryError.
Ref make_int(int64_t i);
inline Ref make_bool(bool b) { return Ref::boolean(b); }
// True if v is an int (small, boxed, bool, or an int subclass instance).
bool is_int(Value v);
// Reads an int; false with OverflowError if it does not fit (never with big ints yet).
// Bool counts as int (True == 1). Caller has checked is_int.
bool int_value(Value v, int64_t* out);
// Overflow-checked arithmetic helpers used by the VM's fast paths.
Ref int_add(int64_t a, int64_t b);
Ref int_sub(int64_t a, int64_t b);
Ref int_mul(int64_t a, int64_t b);
Ref int_floordiv(int64_t a, int64_t b);  // ZeroDivisionError: integer division or modulo by zero
Ref int_mod(int64_t a, int64_t b);
Ref int_pow(int64_t a, int64_t b);       // negative b: float result
Ref int_from_string(std::string_view s, int base);  // int("12", 10); ValueError as CPython

}  // namespace toy
