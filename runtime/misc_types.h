// misc_types.h: the small builtin types: NoneType, NotImplementedType, ellipsis, slice,
// range (and its iterator), cell, and the iterator helpers used by builtins.
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type none_type;
extern Type not_implemented_type;
extern Type ellipsis_type;
extern Type slice_type;
extern Type range_type;
extern Type cell_type;

struct Slice : Object {
    Value start, stop, step;  // owned (None when omitted)
};
Ref new_slice(Value start, Value stop, Value step);
// Resolves a slice against a sequence length (PySlice_GetIndicesEx): false with an exception.
bool slice_indices(Slice* s, int64_t length, int64_t* start, int64_t* stop, int64_t* step,
                   int64_t* slicelength);

struct Cell : Object {
    Value contents;  // owned; null when empty
};
RefT<Cell> new_cell(Value contents);  // increfs contents (may be null)

}  // namespace toy
