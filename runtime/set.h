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

}  // namespace toy
