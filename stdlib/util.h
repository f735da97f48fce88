// util.h: small helpers shared by the native modules (argument checks with CPython's exact
// wording, interned-name caching, string access). Internal to stdlib/.
#pragma once

#include <string_view>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy::detail {

// A process-wide interned name, looked up once: `TOY_NAME(write)` -> Str* for "write".
#define TOY_NAME(id)                                   \
    ([]() -> ::toy::Str* {                             \
        static ::toy::Str* s = ::toy::intern(#id);     \
        return s;                                      \
    }())

// "f() takes no keyword arguments"
inline bool no_kwargs(const char* fname, CallArgs a) {
    if (a.nkw() == 0) return true;
    (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", fname);
    return false;
}

// METH_O style: "len() takes exactly one argument (2 given)".
inline bool one_arg(const char* fname, CallArgs a) {
    if (!no_kwargs(fname, a)) return false;
    if (a.npos == 1) return true;
    (void)raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", fname, a.npos);
    return false;
}

// _PyArg_CheckPositional: "divmod expected 2 arguments, got 1",
// "max expected at least 1 argument, got 0", "input expected at most 1 argument, got 2".
inline bool check_positional(const char* name, size_t n, size_t min, size_t max) {
    if (n < min) {
        (void)raisef(&exc::TypeError, "{} expected {}{} argument{}, got {}", name,
               min == max ? "" : "at least ", min, min == 1 ? "" : "s", n);
        return false;
    }
    if (n > max) {
        (void)raisef(&exc::TypeError, "{} expected {}{} argument{}, got {}", name,
               min == max ? "" : "at most ", max, max == 1 ? "" : "s", n);
        return false;
    }
    return true;
}

// Positional-only call with no keywords, as METH_VARARGS functions that use
// PyArg_UnpackTuple: keyword -> "f() takes no keyword arguments".
inline bool unpack_args(const char* name, CallArgs a, size_t min, size_t max) {
    if (!no_kwargs(name, a)) return false;
    return check_positional(name, a.npos, min, max);
}

inline Str* as_str(Value v) { return v.as<Str>(); }
inline std::string_view str_view(Value v) { return v.as<Str>()->view(); }

// Keyword argument i's name (borrowed).
inline Str* kwname(CallArgs a, size_t i) { return a.kwnames->items[i].as<Str>(); }

}  // namespace toy::detail
