// range.h: the range type and its iterator (CPython's rangeobject.c for int64 bounds).
//
// `range_type` is declared in misc_types.h too (the core's header); it is defined here.
// The VM may special-case FOR_ITER on a range iterator: while `remaining > 0`, yield `next`
// (make_int / Value::small_int when it fits), then `--remaining` and, only if items remain, `next += step` (so `next` never overflows).
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type range_type;
extern Type range_iterator_type;  // "range_iterator"

struct Range : Object {
    int64_t start, stop, step;
    int64_t length;  // number of items (>= 0)
};

struct RangeIter : Object {
    int64_t next;       // the value yielded next
    int64_t step;
    int64_t remaining;  // items left
};

void init_range_type();
// range(start, stop, step); ValueError if step == 0. Null with an exception on error.
Ref new_range(int64_t start, int64_t stop, int64_t step);
// An iterator over `count` values start, start+step, ... (no overflow past int64 possible
// for iterators made from a Range).
Ref new_range_iter(int64_t start, int64_t step, int64_t count);
inline bool is_range(Value v) { return v.is_object() && v.as_object()->type == &range_type; }

}  // namespace toy
