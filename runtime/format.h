// format.h: Python's formatting: the format-spec mini-language (format(), f-strings,
// str.format fields) for int, float and str; str.format / str.format_map; and printf-style
// `str % args`. Messages are CPython 3.11's.
#pragma once

#include <string_view>

#include "runtime/type.h"

namespace toy {

struct Str;

// format(v, spec) for the builtin kinds; spec is the part after ':'.
Ref format_int(int64_t v, std::string_view spec);
Ref format_float(double v, std::string_view spec);
Ref format_str(Str* s, std::string_view spec);
// format(v, spec) for any value: fast paths for exact int/float/str, otherwise the general
// __format__ protocol (abstract.h's format()). Used by FORMAT_VALUE and builtins.format.
Ref format_value(Value v, Str* spec);
// fmt.format(*args, **kwargs) and fmt.format_map(mapping).
Ref str_format(Str* fmt, CallArgs a);
Ref str_format_map(Str* fmt, Value mapping);
// fmt % args (printf-style). `args` is a tuple, a single value, or a mapping.
Ref str_percent_format(Str* fmt, Value args);
// fmt % args for bytes (PEP 461): %b/%s take bytes-like or __bytes__, %r/%a give ascii().
Ref bytes_percent_format(std::string_view fmt, Value args);

}  // namespace toy
