// dict.h: the dict type. A compact ordered hash table as CPython's (an index array into a
// dense array of entries, so iteration follows insertion order and the entries stay small).
//
// Keys compare with identity first, then hash, then __eq__ (which may run Toy code: the
// table must stay consistent if __eq__ mutates it; on a detected mutation, RuntimeError as
// CPython: "dictionary changed size during iteration" / retry lookup).
// `version` increases on every change; LOAD_GLOBAL's inline cache keys on it.
#pragma once

#include <cstdint>

#include "runtime/type.h"

namespace toy {

extern Type dict_type;
struct Str;

struct DictEntry {
    int64_t hash;
    Value key;    // owned; null: deleted entry
    Value value;  // owned
};

struct Dict : Object {
    int64_t used = 0;        // live entries (len)
    int64_t nentries = 0;    // entries[0..nentries) including deleted ones
    int64_t capacity = 0;    // entries capacity
    int64_t index_size = 0;  // power of two (0 when empty)
    DictEntry* entries = nullptr;
    int64_t* index = nullptr;  // entry index or -1 empty, -2 dummy (a simple layout; may compact later)
    uint64_t version = 0;
};

RefT<Dict> new_dict(int64_t reserve = 0);
// Borrowed value or null. Null with an exception set if hashing/eq failed: check
// error_occurred() when it matters (dict_get_str never fails).
Value dict_get(Dict* d, Value key);
Value dict_get_str(Dict* d, Str* key);
// Position-aware lookup for inline caches: entry index or -1.
int64_t dict_lookup_index(Dict* d, Value key, int64_t hash);
bool dict_set(Dict* d, Value key, Value value);      // increfs both
bool dict_set_str(Dict* d, Str* key, Value value);
int dict_del(Dict* d, Value key);  // 1 deleted, 0 missing (no exception), -1 error
// Iteration: `pos` starts at 0; returns false at the end. Borrowed key/value.
bool dict_next(Dict* d, int64_t* pos, Value* key, Value* value);
bool dict_update(Dict* d, Value mapping);  // dict.update(mapping) (a dict, or keys()/[])
RefT<Dict> dict_copy(Dict* d);
void dict_clear(Dict* d);
inline bool is_dict(Value v) {
    return v.is_object() && (v.as_object()->type == &dict_type ||
                             type_has(v.as_object()->type, kDictSubclass));
}

// --- added by containers (compatible extensions) -------------------------------------------
// Layout note: `index` and `entries` share one allocation (index first); `capacity` is the
// number of usable entries (2/3 of index_size). Never free them yourself.
extern Type dict_keys_type, dict_values_type, dict_items_type;
extern Type dict_keyiterator_type, dict_valueiterator_type, dict_itemiterator_type;
extern Type dict_reversekeyiterator_type, dict_reversevalueiterator_type,
    dict_reverseitemiterator_type;
void init_dict_type();
inline bool is_exact_dict(Value v) { return v.is_object() && v.as_object()->type == &dict_type; }
// Lookups and stores with a precomputed hash (hash must equal hash(key)).
Value dict_get_known_hash(Dict* d, Value key, int64_t hash);  // borrowed; null: missing/error
bool dict_set_known_hash(Dict* d, Value key, int64_t hash, Value value);
int dict_contains(Dict* d, Value key);  // 1, 0, -1 on error
// dict.pop(key[, default]): `deflt` null raises KeyError(key) when missing.
Ref dict_pop(Dict* d, Value key, Value deflt);
// dict_next that also yields the stored hash.
bool dict_next_hash(Dict* d, int64_t* pos, Value* key, Value* value, int64_t* hash);
// CPython's PyDict_Merge: `b` a mapping (a dict, or anything with keys() and []).
// override 0: keep existing keys; 1: replace; 2: raise KeyError(key) on a duplicate (used by
// the VM's DICT_MERGE to report "got multiple values for keyword argument").
bool dict_merge(Dict* a, Value b, int override);
// dict.update(arg): a mapping, or an iterable of key/value pairs (CPython's messages).
bool dict_update_arg(Dict* d, Value arg);
// A new list of the keys / values / (key, value) tuples.
Ref dict_keys_to_list(Dict* d);
Ref dict_values_to_list(Dict* d);
Ref dict_items_to_list(Dict* d);
// Raises KeyError(key) (the key itself as the exception's argument). Returns null.
Ref set_key_error(Value key);

}  // namespace toy
