// list.h: the list type. A growable array of owned Values (amortised O(1) append).
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type list_type;

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
// Sorts in place (stable, Timsort semantics via std::stable_sort); key may be null.
bool list_sort(List* l, Value key, bool reverse);

}  // namespace toy
