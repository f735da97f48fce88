// tuple.h: the tuple type. Fixed size, items inline after the header.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "runtime/type.h"

namespace toy {

extern Type tuple_type;

struct Tuple : Object {
    int64_t size;
    int64_t hash;  // cached, -1: not computed
    Value items[1];  // `size` owned values (allocated past the end)

    Value* begin() { return items; }
    Value* end() { return items + size; }
};

// A tuple of n nulls; fill every item (owned) before it escapes. Null on MemoryError.
RefT<Tuple> new_tuple(int64_t n);
RefT<Tuple> new_tuple_from(const Value* items, int64_t n);  // increfs the items
RefT<Tuple> new_tuple_of(std::initializer_list<Value> items);
Tuple* empty_tuple();  // immortal, borrowed
inline bool is_tuple(Value v) {
    return v.is_object() && (v.as_object()->type == &tuple_type ||
                             type_has(v.as_object()->type, kTupleSubclass));
}
inline bool is_exact_tuple(Value v) { return v.is_object() && v.as_object()->type == &tuple_type; }

inline size_t CallArgs::nkw() const { return kwnames ? static_cast<size_t>(kwnames->size) : 0; }

}  // namespace toy
