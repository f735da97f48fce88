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

// --- added by text (compatible extensions) ------------------------------------------------
// Note: arithmetic that leaves int64 raises OverflowError("integer overflow") until big ints
// arrive; conversions use CPython's own wording ("int too big to convert", ...).
// Integer division helpers with Python's sign rules (b != 0; a // b must not overflow).
inline int64_t floordiv_i64(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
inline int64_t mod_i64(int64_t a, int64_t b) {
    if (b == -1) return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
// CPython's hash of an integer (modulo 2**61 - 1, hash(-1) == -2).
int64_t int_hash(int64_t v);
// Exact comparison of an int with a double, as CPython: <0, 0, >0; 2 when d is NaN.
int int_double_compare(int64_t i, double d);
// pow(a, b, m) for ints (builtins.pow with three arguments): CPython's errors.
Ref int_pow_mod(Value a, Value b, Value m);
// divmod(a, b) for ints: a tuple, NotImplemented if either is not an int.
Ref int_divmod(Value a, Value b);
// bin/oct/hex: "0x1f", "-0b101" (base 2, 8 or 16).
Ref int_to_base_str(int64_t v, int base);
// int(bytes, base): as int_from_string, the message shows the bytes repr.
Ref int_from_bytes_literal(std::string_view s, int base);
// int(x) with one argument: str/bytes parse, float truncation, __int__, __index__, __trunc__;
// CPython's TypeError otherwise. Always returns an exact int.
Ref number_to_int(Value x);
// operator.index(x) as an exact int.
Ref number_to_int_index(Value x);
void init_int_type();
void init_bool_type();
// The C++ value of a bool/int Value known to be an int (no error possible for int64).
inline int64_t int_as_i64(Value v) {
    if (v.is_small_int()) return v.as_small_int();
    if (v.is_bool()) return v.as_bool() ? 1 : 0;
    return static_cast<IntObject*>(v.as_object())->value;
}

}  // namespace toy
