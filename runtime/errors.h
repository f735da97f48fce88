// errors.h: raising, testing and clearing the current exception; the builtin exception types.
//
// A script error is an exception object set on the current thread state (ThreadState::exc).
// A native function that fails sets it and returns its failure marker (null Ref, false, -1).
// Exceptions are ordinary instances of a BaseException subclass (BaseExceptionObject below).
// No C++ exception crosses the dispatch loop; std::bad_alloc is turned into MemoryError at
// the boundary of native calls.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "runtime/type.h"

namespace toy {

struct Tuple;

// The layout of every exception instance (user subclasses add a dict at dict_offset).
struct BaseExceptionObject : Object {
    Dict* dict = nullptr;           // instance attributes
    Tuple* args = nullptr;          // owned, never null once initialised
    Value traceback = Value::null();// owned: a traceback object or null
    Value cause = Value::null();    // owned: __cause__ or null (None)
    Value context = Value::null();  // owned: __context__ or null (None)
    bool suppress_context = false;  // __suppress_context__
    Value notes = Value::null();    // owned: __notes__ list or null
    Value extra = Value::null();    // owned: subclass-specific (e.g. StopIteration.value, OSError.errno)
};

// The builtin exception types, static and immortal (runtime/exceptions.cpp).
namespace exc {
#define TOY_EXCEPTION(name, base) extern Type name;
#include "runtime/exceptions.def"
#undef TOY_EXCEPTION
}  // namespace exc

// Sets the current exception to `type(msg)`. Always returns a null Ref, so a native function
// can `return raise(...)`.
Ref raise(Type* type, std::string_view msg);
template <class... A> Ref raisef(Type* type, fmt::format_string<A...> f, A&&... args) {
    return raise(type, fmt::vformat(f, fmt::make_format_args(args...)));
}
// Sets the current exception to an exception instance or class (instantiated with no args).
// Returns null. TypeError if `e` is neither.
Ref raise_value(Value e);
// OSError subclass chosen from errno (FileNotFoundError for ENOENT, ...), with
// errno/strerror/filename attributes, as CPython's PyErr_SetFromErrnoWithFilename.
Ref raise_errno(int err, std::string_view filename = {});
Ref raise_no_memory();

bool error_occurred();
bool error_matches(const Type* t);  // the current exception is an instance of t
Ref fetch_error();                  // takes the current exception (clears it); null if none
void restore_error(Ref e);          // sets the current exception (e must be an exception)
void clear_error();

// Creates an instance of exception type `type` with args (message) without raising it.
Ref new_exception(Type* type, std::string_view msg);

// --- added by core ---------------------------------------------------------------------------
// `type(arg)` with one object argument (KeyError(key), StopIteration(value), ...): create /
// raise. Null (and for raise_with always) on failure.
Ref new_exception_with(Type* type, Value arg);
Ref raise_with(Type* type, Value arg);
// Sets `e` (an exception instance, owned) as the current exception after chaining the
// exception being handled as its __context__ (as CPython's _PyErr_SetObject). raise(),
// raisef(), raise_value(), raise_with() and raise_errno() all go through it; restore_error()
// does not chain. Returns null.
Ref set_exception(Ref e);
// The current exception, borrowed (null if none).
Value current_error();
// "Exception ignored in: <repr of obj>" plus the current exception's traceback on stderr,
// then clears it (errors in __del__, in dealloc, ...).
void write_unraisable(Value obj);
// True if `v` is an exception instance.
bool is_exception(Value v);
inline BaseExceptionObject* as_exception(Value v) { return v.as<BaseExceptionObject>(); }
// Sets `name` and `obj` on a pending AttributeError that has neither (getattr() does this).
void set_attribute_error_context(Value o, Str* name);
// Exception args helpers used by traceback printing: str(exc) as print_exception shows it.
Ref exception_str(Value exc);

}  // namespace toy
