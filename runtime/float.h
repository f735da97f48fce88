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

}  // namespace toy
