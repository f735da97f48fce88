// float.h: the float type. Floats are always inline Values (value.h): no allocation.
#pragma once

#include <string>

#include "runtime/type.h"

namespace toy {

extern Type float_type;

inline Ref make_float(double d) { return Ref::steal(Value::from_double(d)); }
// A double from an int or float (or __float__); false with TypeError otherwise.
bool to_double(Value v, double* out);
// repr(float) exactly as CPython: shortest round-trip ("0.1", "1e+16", "inf", "nan", "1.0").
std::string float_repr(double d);
Ref float_from_string(std::string_view s);

// --- added by text (compatible extensions) ------------------------------------------------
// Instances of Toy subclasses of float (class F(float)) are heap objects with this layout;
// plain floats are always inline Values.
struct FloatObject : Object {
    double value;
};
// True for a double Value or an instance of a float subclass.
bool is_float(Value v);
// The double of a float Value (inline or FloatObject); caller has checked is_float.
inline double float_as_double(Value v) {
    return v.is_double() ? v.as_double() : static_cast<FloatObject*>(v.as_object())->value;
}
// CPython's hash of a double (integral values hash like the equal int).
int64_t double_hash(double d);
// int(d): truncation; ValueError for NaN, OverflowError for infinities and beyond int64.
Ref float_to_int(double d);
// divmod(a, b) when either is a float: a tuple, NotImplemented for non-numbers.
Ref float_divmod(Value a, Value b);
// float(x) with one argument (CPython's rules and errors): always an exact float.
Ref number_to_float(Value x);
// round(x, ndigits) for a double, correctly rounded (half-even on the exact value).
double double_round(double x, int64_t ndigits);
void init_float_type();

}  // namespace toy
