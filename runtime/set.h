// set.h: set and frozenset. An open-addressing hash table of owned keys.
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type set_type;
extern Type frozenset_type;

struct Set;  // layout private to set.cpp

Ref new_set(Type* type = &set_type);  // an empty set (or frozenset with &frozenset_type)
bool set_add(Value set, Value key);
int set_contains(Value set, Value key);  // -1 on error
bool set_update(Value set, Value iterable);
int64_t set_size(Value set);

// --- added by containers (compatible extensions) -------------------------------------------
extern Type set_iterator_type;  // "set_iterator"
void init_set_type();        // set and set_iterator
void init_frozenset_type();
bool set_discard(Value set, Value key);  // false on error; missing keys are fine
// Iteration in table order: `pos` starts at 0. Borrowed key; hash may be null.
bool set_next_item(Value set, int64_t* pos, Value* key, int64_t* hash);
bool is_set_like(Value v);  // a set or frozenset (or a subclass instance)
// set(iterable) / frozenset(iterable) of the given type (iterable may be null: empty).
Ref set_from_iterable(Type* type, Value iterable);
// For the compiler: the frozenset constant CPython 3.11 builds for an all-constant set
// display of 3+ items (`{1, 2, 3}` compiles to BUILD_SET 0; LOAD_CONST <frozenset>;
// SET_UPDATE 1). CPython makes frozenset(items) and then, when merging constants, rebuilds it
// from its own iteration order; the set display then gets that table merged into it. Using
// this constant the same way makes printed sets match CPython's order exactly.
Ref const_frozenset(const Value* items, int64_t n);

}  // namespace toy
