// list.h: the list type. A growable array of owned Values (amortised O(1) append).
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type list_type;
extern Type list_iterator_type;          // "list_iterator"
extern Type list_reverseiterator_type;   // "list_reverseiterator"

struct List : Object {
    Value* items = nullptr;  // owned values, `size` of them, capacity `capacity`
    int64_t size = 0;
    int64_t capacity = 0;
};

RefT<List> new_list(int64_t reserve = 0);
RefT<List> new_list_from(const Value* items, int64_t n);  // increfs
bool list_append(List* l, Value v);       // increfs v; false on MemoryError
bool list_append_steal(List* l, Value v); // takes ownership of v (even on failure)
bool list_extend(List* l, Value iterable);
Ref list_to_tuple(List* l);
inline bool is_list(Value v) {
    return v.is_object() && (v.as_object()->type == &list_type ||
                             type_has(v.as_object()->type, kListSubclass));
}
inline bool is_exact_list(Value v) { return v.is_object() && v.as_object()->type == &list_type; }
// Sorts in place (stable merge sort with binary-insertion runs; comparisons may raise: stops
// at the first error leaving a permutation of the items; ValueError "list modified during
// sort"). key may be null or None.
bool list_sort(List* l, Value key, bool reverse);

// --- added by containers (compatible extensions) -------------------------------------------
void init_list_type();
// list(iterable): a new list.
Ref sequence_list(Value iterable);
// Resizes to exactly `n` items (new slots are null and must be filled; dropped items are
// NOT decref'd: callers move them out first). False on MemoryError.
bool list_resize(List* l, int64_t n);
bool list_insert(List* l, int64_t where, Value v);  // increfs; where clamped like list.insert
// Iterator over a list, tolerant of mutation. Public layout so the VM can step it inline:
// yield seq->items[index++] while index < seq->size, else drop seq.
struct ListIter : Object {
    List* seq;  // owned; null when exhausted
    int64_t index;
};
Ref list_iter(Value l);

}  // namespace toy
