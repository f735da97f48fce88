// tuple.h: the tuple type. Fixed size, items inline after the header.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "runtime/type.h"

namespace toy {

extern Type tuple_type;
extern Type tuple_iterator_type;  // "tuple_iterator"

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

// --- added by containers (compatible extensions) -------------------------------------------
void init_tuple_type();
// tuple(iterable): a new tuple from any iterable (returns `v` itself if it is an exact tuple).
Ref sequence_tuple(Value iterable);
// A new tuple of items[start:stop] (clamped to the size).
RefT<Tuple> tuple_slice(Tuple* t, int64_t start, int64_t stop);
// Element-wise hash of the items, CPython 3.11's xxHash-based tuplehash. False with an
// exception (unhashable item).
bool tuple_hash_items(const Value* items, int64_t n, int64_t* out);
// Iterator over a tuple (the `iter` slot). Its layout is public so the VM's FOR_ITER may
// step it inline: yield seq->items[index++] while index < seq->size, else drop seq.
struct TupleIter : Object {
    Tuple* seq;  // owned; null when exhausted
    int64_t index;
};
Ref tuple_iter(Value t);

}  // namespace toy
