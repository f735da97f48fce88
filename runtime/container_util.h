// container_util.h: helpers shared by the container types (tuple, list, dict, set, range,
// iterators). Internal to runtime/; not a contract for other areas.
//
//   - hash_fast / eq_fast: the small-int and exact-str fast paths in front of abstract
//     hash() and eq() (identity first, then the cheap cases, then the general protocol).
//   - the trashcan: deallocating a 100k-deep nesting of containers must not recurse 100k
//     C frames. Container deallocs call trash_begin(); past kTrashDepth nested container
//     deallocs the object is parked on a per-thread list and freed once the outermost
//     container dealloc finishes (CPython's Py_TRASHCAN_BEGIN/END).
//   - the repr guard: `repr_enter(o)` is CPython's Py_ReprEnter (a per-thread stack of the
//     containers whose repr is being computed), so `l = [1]; l.append(l)` prints `[1, [...]]`.
//   - deep (non-cyclic) nesting in repr uses the core's RecursionGuard (thread_state.h).
//   - argument-count checks with CPython's messages.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "runtime/type.h"

namespace toy::detail {

// hash(v) with the small-int and exact-str fast paths. For |i| < 2^47, CPython's hash(i) is
// i itself (-1 maps to -2).
inline bool hash_fast(Value v, int64_t* out) {
    if (v.is_small_int()) {
        int64_t i = v.as_small_int();
        *out = i == -1 ? -2 : i;
        return true;
    }
    if (is_exact_str(v)) {
        Str* s = v.as<Str>();
        *out = s->hash != -1 ? s->hash : str_hash(s);
        return true;
    }
    return hash(v, out);
}

// a == b as a bool: identity, then small ints and exact strs without a call, else eq().
inline int eq_fast(Value a, Value b) {
    if (a.is(b)) return 1;
    if (both_small_ints(a, b)) return 0;
    if (is_exact_str(a) && is_exact_str(b)) return str_eq(a.as<Str>(), b.as<Str>()) ? 1 : 0;
    return eq(a, b);
}

// --- trashcan -------------------------------------------------------------------------------
inline constexpr int kTrashDepth = 50;
// Returns true if the caller should deallocate `o` now (then it must call trash_end() when
// done); false if `o` was parked and will be deallocated later by calling `fn(o)`.
// The per-thread depth counter is inline; parking and draining are out of line.
extern thread_local int t_trash_depth;
bool trash_park(Object* o, DeallocSlot fn);  // always returns false
void trash_drain();
inline bool trash_begin(Object* o, DeallocSlot fn) {
    if (TOY_UNLIKELY(t_trash_depth >= kTrashDepth)) return trash_park(o, fn);
    ++t_trash_depth;
    return true;
}
// Drains parked objects once the outermost container dealloc is done.
extern thread_local bool t_trash_pending;
inline void trash_end() {
    if (--t_trash_depth == 0 && TOY_UNLIKELY(t_trash_pending)) trash_drain();
}

// --- repr of possibly recursive containers --------------------------------------------------
// 0: entered (call repr_leave afterwards); 1: `o` is already being repr'd (print "[...]").
int repr_enter(Object* o);
void repr_leave(Object* o);

// --- argument checks (CPython's wording) ----------------------------------------------------
// The checks below are inline for the common, correct call; the slow paths raise.
bool no_kw_slow(const char* name, CallArgs a);
bool check_noargs_slow(const char* qualname, CallArgs a);
bool check_one_arg_slow(const char* qualname, CallArgs a);
bool check_positional_slow(const char* name, CallArgs a, size_t min, size_t max);
inline bool no_keywords(CallArgs a) { return !a.kwnames || a.kwnames->size == 0; }

// "name() takes no keyword arguments"
inline bool no_kw(const char* name, CallArgs a) {
    return TOY_LIKELY(no_keywords(a)) || no_kw_slow(name, a);
}
// METH_NOARGS: "list.copy() takes no arguments (1 given)"
inline bool check_noargs(const char* qualname, CallArgs a) {
    return TOY_LIKELY(a.npos == 0 && no_keywords(a)) || check_noargs_slow(qualname, a);
}
// METH_O: "list.append() takes exactly one argument (0 given)"
inline bool check_one_arg(const char* qualname, CallArgs a) {
    return TOY_LIKELY(a.npos == 1 && no_keywords(a)) || check_one_arg_slow(qualname, a);
}
// _PyArg_CheckPositional: "insert expected 2 arguments, got 1", "pop expected at most 1
// argument, got 2", "index expected at least 1 argument, got 0". Also rejects keywords.
inline bool check_positional(const char* name, CallArgs a, size_t min, size_t max) {
    return TOY_LIKELY(a.npos >= min && a.npos <= max && no_keywords(a)) ||
           check_positional_slow(name, a, min, max);
}

// repr(v) appended to out as UTF-8; false with an exception.
bool append_repr(std::string& out, Value v);
// A new str from out.
Ref str_from(const std::string& s);

// A sequence index: v must be an int or have __index__. TypeError text supplied by caller
// ("list indices must be integers or slices, not str"). Sets *is_index false (no exception)
// when v is neither an int nor an __index__ type.
bool has_index(Value v);

// True if `b`'s type is a class written in Toy that defines `rname` (e.g. "__radd__"): then a
// sequence's + or * returns NotImplemented so the reflected method gets its turn.
bool may_reflect(Value b, const char* rname);

}  // namespace toy::detail

namespace toy::detail {
// start/stop arguments of index()/count()-style methods (_PyEval_SliceIndexNotNone): an int
// or __index__; TypeError "slice indices must be integers or have an __index__ method".
bool slice_index_arg(Value v, int64_t* out);
// Clamps a start/stop against len as list.index does (negative counts from the end).
inline int64_t clamp_index(int64_t i, int64_t len) {
    if (i < 0) {
        i += len;
        if (i < 0) i = 0;
    } else if (i > len) {
        i = len;
    }
    return i;
}
}  // namespace toy::detail

namespace toy::detail {
// The hash slot of mutable containers: TypeError "unhashable type: 'list'".
bool unhashable_hash(Value v, int64_t* out);
// The iter slot of iterators: returns self.
Ref iter_self(Value v);
}  // namespace toy::detail
