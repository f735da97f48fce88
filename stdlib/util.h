// util.h: small helpers shared by the native modules (argument checks with CPython's exact
// wording, interned-name caching, string access). Internal to stdlib/.
#pragma once

#include <time.h>

#include <climits>
#include <cstdint>
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

// ---- deadlines for blocking calls with timeouts (CLOCK_MONOTONIC, nanoseconds) -------------

inline int64_t monotonic_ns() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// now + ns, saturated (a huge timeout is a deadline that never comes).
inline int64_t deadline_after(int64_t ns) {
    int64_t now = monotonic_ns();
    return ns > INT64_MAX - now ? INT64_MAX : now + ns;
}

// Milliseconds left until the deadline, rounded up, for poll(2) (0 once it has passed).
inline int ms_until(int64_t deadline_ns) {
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0) return 0;
    int64_t ms = left / 1'000'000 + (left % 1'000'000 != 0);
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace toy::detail
