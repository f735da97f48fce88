// set.cpp: set and frozenset, following CPython's Objects/setobject.c algorithm exactly
// (initial table of 8 slots, LINEAR_PROBES = 9 consecutive slots per probe, then the
// perturbation recurrence; resize when fill*5 >= mask*3 to used*4 (used*2 past 50000)), so
// that iteration order, and therefore printed output, matches CPython's for the same hashes.
//
// A slot is empty (key null, hash 0), a dummy (a deleted key: key kDummy, hash -1) or active.
// Comparisons may run Toy code that mutates the set: as in CPython, a lookup restarts when the
// table or the compared entry changed underneath it.
#include "runtime/set.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type set_type;
Type frozenset_type;
Type set_iterator_type;

using namespace detail;

struct SetEntry {
    Value key;
    int64_t hash;
};

inline constexpr int64_t kSetMinSize = 8;

struct Set : Object {
    int64_t fill;   // active + dummy
    int64_t used;   // active
    int64_t mask;   // table size - 1
    SetEntry* table;
    int64_t hash;   // frozenset hash cache, -1: not computed
    int64_t finger; // pop() search start
    SetEntry smalltable[kSetMinSize];
};

namespace {

constexpr int kLinearProbes = 9;
constexpr int kPerturbShift = 5;
// A value that is neither null nor an object nor any Python value (top 16 bits 0xFFFF).
const Value kDummy = Value::from_bits(0xFFFF000000000001ull);

inline Set* as_set(Value v) { return v.as<Set>(); }
inline bool is_any_set(Value v) {
    if (!v.is_object()) return false;
    Type* t = v.as_object()->type;
    return t == &set_type || t == &frozenset_type || is_subtype(t, &set_type) ||
           is_subtype(t, &frozenset_type);
}
inline bool is_set_or_subclass(Value v) {
    if (!v.is_object()) return false;
    Type* t = v.as_object()->type;
    return t == &set_type || is_subtype(t, &set_type);
}
inline bool is_frozen(Value v) {
    Type* t = v.as_object()->type;
    return t == &frozenset_type || is_subtype(t, &frozenset_type);
}

void set_init_empty(Set* so) {
    so->fill = 0;
    so->used = 0;
    so->mask = kSetMinSize - 1;
    so->table = so->smalltable;
    so->hash = -1;
    so->finger = 0;
    std::memset(static_cast<void*>(so->smalltable), 0, sizeof(so->smalltable));
}

SetEntry* set_lookkey(Set* so, Value key, int64_t hash) {
    size_t perturb = static_cast<size_t>(hash);
    size_t mask = static_cast<size_t>(so->mask);
    size_t i = static_cast<size_t>(hash) & mask;
    while (true) {
        SetEntry* entry = &so->table[i];
        int probes = (i + kLinearProbes <= mask) ? kLinearProbes : 0;
        do {
            if (entry->hash == 0 && entry->key.is_null()) return entry;
            if (entry->hash == hash) {
                Value startkey = entry->key;
                if (startkey.is(key)) return entry;
                if (is_exact_str(startkey) && is_exact_str(key)) {
                    if (str_eq(startkey.as<Str>(), key.as<Str>())) return entry;
                } else if (!both_small_ints(startkey, key)) {
                    SetEntry* table = so->table;
                    incref(startkey);
                    int cmp = eq(startkey, key);
                    decref(startkey);
                    if (cmp < 0) return nullptr;
                    if (table != so->table || !entry->key.is(startkey))
                        return set_lookkey(so, key, hash);
                    if (cmp > 0) return entry;
                    mask = static_cast<size_t>(so->mask);
                }
            }
            entry++;
        } while (probes--);
        perturb >>= kPerturbShift;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

bool set_table_resize(Set* so, int64_t minused);

// Adds key (borrowed) with its hash. False with an exception.
bool set_add_entry(Set* so, Value key, int64_t hash) {
    incref(key);
restart:
    size_t mask = static_cast<size_t>(so->mask);
    size_t i = static_cast<size_t>(hash) & mask;
    SetEntry* freeslot = nullptr;
    size_t perturb = static_cast<size_t>(hash);
    SetEntry* entry;
    while (true) {
        entry = &so->table[i];
        int probes = (i + kLinearProbes <= mask) ? kLinearProbes : 0;
        do {
            if (entry->hash == 0 && entry->key.is_null()) goto found_unused_or_dummy;
            if (entry->hash == hash) {
                Value startkey = entry->key;
                if (startkey.is(key)) goto found_active;
                if (is_exact_str(startkey) && is_exact_str(key)) {
                    if (str_eq(startkey.as<Str>(), key.as<Str>())) goto found_active;
                } else if (!both_small_ints(startkey, key)) {
                    SetEntry* table = so->table;
                    incref(startkey);
                    int cmp = eq(startkey, key);
                    decref(startkey);
                    if (cmp > 0) goto found_active;
                    if (cmp < 0) {
                        decref(key);
                        return false;
                    }
                    if (table != so->table || !entry->key.is(startkey)) goto restart;
                    mask = static_cast<size_t>(so->mask);
                }
            } else if (entry->hash == -1) {
                freeslot = entry;  // the last dummy seen, as CPython
            }
            entry++;
        } while (probes--);
        perturb >>= kPerturbShift;
        i = (i * 5 + 1 + perturb) & mask;
    }

found_unused_or_dummy:
    if (freeslot == nullptr) goto found_unused;
    so->used++;
    freeslot->key = key;
    freeslot->hash = hash;
    return true;

found_unused:
    so->fill++;
    so->used++;
    entry->key = key;
    entry->hash = hash;
    if (static_cast<size_t>(so->fill) * 5 < mask * 3) return true;
    return set_table_resize(so, so->used > 50000 ? so->used * 2 : so->used * 4);

found_active:
    decref(key);
    return true;
}

void set_insert_clean(SetEntry* table, size_t mask, Value key, int64_t hash) {
    size_t perturb = static_cast<size_t>(hash);
    size_t i = static_cast<size_t>(hash) & mask;
    SetEntry* entry;
    while (true) {
        entry = &table[i];
        if (entry->key.is_null()) goto found_null;
        if (i + kLinearProbes <= mask) {
            for (int j = 0; j < kLinearProbes; j++) {
                entry++;
                if (entry->key.is_null()) goto found_null;
            }
        }
        perturb >>= kPerturbShift;
        i = (i * 5 + 1 + perturb) & mask;
    }
found_null:
    entry->key = key;
    entry->hash = hash;
}

bool set_table_resize(Set* so, int64_t minused) {
    size_t newsize = kSetMinSize;
    while (newsize <= static_cast<size_t>(minused)) newsize <<= 1;
    SetEntry* oldtable = so->table;
    int64_t oldmask = so->mask;
    bool oldtable_malloced = oldtable != so->smalltable;
    SetEntry small_copy[kSetMinSize];
    SetEntry* newtable;
    if (newsize == kSetMinSize) {
        newtable = so->smalltable;
        if (newtable == oldtable) {
            if (so->fill == so->used) return true;  // no dummies
            std::memcpy(static_cast<void*>(small_copy), oldtable, sizeof(small_copy));
            oldtable = small_copy;
        }
    } else {
        newtable = static_cast<SetEntry*>(std::malloc(newsize * sizeof(SetEntry)));
        if (!newtable) {
            (void)raise_no_memory();
            return false;
        }
    }
    std::memset(static_cast<void*>(newtable), 0, sizeof(SetEntry) * newsize);
    so->mask = static_cast<int64_t>(newsize - 1);
    so->table = newtable;
    size_t newmask = newsize - 1;
    if (so->fill == so->used) {
        for (SetEntry* e = oldtable; e <= oldtable + oldmask; e++)
            if (!e->key.is_null()) set_insert_clean(newtable, newmask, e->key, e->hash);
    } else {
        so->fill = so->used;
        for (SetEntry* e = oldtable; e <= oldtable + oldmask; e++)
            if (!e->key.is_null() && !e->key.is(kDummy))
                set_insert_clean(newtable, newmask, e->key, e->hash);
    }
    if (oldtable_malloced) std::free(oldtable);
    return true;
}

int set_contains_entry(Set* so, Value key, int64_t hash) {
    SetEntry* e = set_lookkey(so, key, hash);
    if (!e) return -1;
    return e->key.is_null() ? 0 : 1;
}

// 1 found and removed, 0 not found, -1 error.
int set_discard_entry(Set* so, Value key, int64_t hash) {
    SetEntry* e = set_lookkey(so, key, hash);
    if (!e) return -1;
    if (e->key.is_null()) return 0;
    Value old = e->key;
    e->key = kDummy;
    e->hash = -1;
    so->used--;
    decref(old);
    return 1;
}

bool set_add_key(Set* so, Value key) {
    int64_t h;
    if (!hash_fast(key, &h)) return false;
    return set_add_entry(so, key, h);
}

int set_contains_key(Set* so, Value key) {
    int64_t h;
    if (!hash_fast(key, &h)) return -1;
    return set_contains_entry(so, key, h);
}

int set_discard_key(Set* so, Value key) {
    int64_t h;
    if (!hash_fast(key, &h)) return -1;
    return set_discard_entry(so, key, h);
}

void set_clear_internal(Set* so) {
    SetEntry* table = so->table;
    int64_t used = so->used;
    bool malloced = table != so->smalltable;
    SetEntry small_copy[kSetMinSize];
    if (malloced) {
        set_init_empty(so);
    } else if (so->fill > 0) {
        std::memcpy(static_cast<void*>(small_copy), table, sizeof(small_copy));
        table = small_copy;
        set_init_empty(so);
    }
    for (SetEntry* e = table; used > 0; e++) {
        if (!e->key.is_null() && !e->key.is(kDummy)) {
            used--;
            decref(e->key);
        }
    }
    if (malloced) std::free(table);
}

bool set_next(Set* so, int64_t* pos, SetEntry** out) {
    int64_t i = *pos;
    int64_t mask = so->mask;
    SetEntry* e = &so->table[i];
    while (i <= mask && (e->key.is_null() || e->key.is(kDummy))) {
        i++;
        e++;
    }
    *pos = i + 1;
    if (i > mask) return false;
    *out = e;
    return true;
}

void set_dealloc(Object* o) {
    if (!trash_begin(o, set_dealloc)) return;
    Set* so = static_cast<Set*>(o);
    int64_t used = so->used;
    for (SetEntry* e = so->table; used > 0; e++) {
        if (!e->key.is_null() && !e->key.is(kDummy)) {
            used--;
            decref(e->key);
        }
    }
    if (so->table != so->smalltable) std::free(so->table);
    object_free(o, o->type->basic_size > sizeof(Set) ? o->type->basic_size : sizeof(Set));
    trash_end();
}

Set* alloc_set(Type* type) {
    size_t extra = type->basic_size > sizeof(Set) ? type->basic_size - sizeof(Set) : 0;
    Set* so = new_object<Set>(type, extra);
    if (!so) return nullptr;
    if (extra) std::memset(reinterpret_cast<char*>(so) + sizeof(Set), 0, extra);
    set_init_empty(so);
    return so;
}

Ref set_repr(Value self) {
    Set* so = as_set(self);
    Type* t = self.as_object()->type;
    if (repr_enter(so)) return str_from(std::string(t->name) + "(...)");
    std::string out;
    bool ok = true;
    if (so->used == 0) {
        out = std::string(t->name) + "()";
    } else {
        bool exact = t == &set_type;
        if (!exact) {
            out += t->name;
            out += '(';
        }
        out += '{';
        Ref keys = sequence_list(self);
        ok = static_cast<bool>(keys);
        if (ok) {
            ok = true;
            List* l = keys.as<List>();
            for (int64_t i = 0; ok && i < l->size; ++i) {
                if (i > 0) out += ", ";
                ok = append_repr(out, l->items[i]);
            }
        }
        out += '}';
        if (!exact) out += ')';
    }
    repr_leave(so);
    if (!ok) return nullptr;
    return str_from(out);
}

int64_t set_len(Value self) { return as_set(self)->used; }

bool set_merge(Set* so, Set* other) {
    if (other == so || other->used == 0) return true;
    if ((so->fill + other->used) * 5 >= so->mask * 3) {
        if (!set_table_resize(so, (so->used + other->used) * 2)) return false;
    }
    SetEntry* so_entry = so->table;
    SetEntry* other_entry = other->table;
    if (so->fill == 0 && so->mask == other->mask && other->fill == other->used) {
        for (int64_t i = 0; i <= other->mask; i++, so_entry++, other_entry++) {
            Value key = other_entry->key;
            if (!key.is_null()) {
                incref(key);
                so_entry->key = key;
                so_entry->hash = other_entry->hash;
            }
        }
        so->fill = other->fill;
        so->used = other->used;
        return true;
    }
    if (so->fill == 0) {
        SetEntry* newtable = so->table;
        size_t newmask = static_cast<size_t>(so->mask);
        so->fill = other->used;
        so->used = other->used;
        for (int64_t i = other->mask + 1; i > 0; i--, other_entry++) {
            Value key = other_entry->key;
            if (!key.is_null() && !key.is(kDummy)) {
                incref(key);
                set_insert_clean(newtable, newmask, key, other_entry->hash);
            }
        }
        return true;
    }
    for (int64_t i = 0; i <= other->mask; i++) {
        other_entry = &other->table[i];
        Value key = other_entry->key;
        if (!key.is_null() && !key.is(kDummy)) {
            if (!set_add_entry(so, key, other_entry->hash)) return false;
        }
    }
    return true;
}

bool set_update_internal(Set* so, Value other) {
    if (is_any_set(other)) return set_merge(so, as_set(other));
    if (is_exact_dict(other)) {
        Dict* d = other.as<Dict>();
        int64_t dictsize = d->used;
        if ((so->fill + dictsize) * 5 >= so->mask * 3) {
            if (!set_table_resize(so, (so->used + dictsize) * 2)) return false;
        }
        int64_t pos = 0;
        Value key, value;
        int64_t hash;
        while (dict_next_hash(d, &pos, &key, &value, &hash)) {
            Ref hold = Ref::borrow(key);
            if (!set_add_entry(so, key, hash)) return false;
        }
        return true;
    }
    Ref it = get_iter(other);
    if (!it) return false;
    NextSlot next = it.obj()->type->next;
    while (true) {
        Ref key = next ? next(*it) : iter_next(*it);
        if (!key) return !error_occurred();
        if (!set_add_key(so, *key)) return false;
    }
}

// make_new_set: a new set of `type` filled from iterable (may be null).
Ref make_new_set(Type* type, Value iterable) {
    Set* so = alloc_set(type);
    if (!so) return nullptr;
    Ref r = Ref::steal(so);
    if (!iterable.is_null() && !set_update_internal(so, iterable)) return nullptr;
    return r;
}

Ref make_new_set_basetype(Type* type, Value iterable) {
    if (type != &set_type && type != &frozenset_type)
        type = is_subtype(type, &set_type) ? &set_type : &frozenset_type;
    return make_new_set(type, iterable);
}

void set_swap_bodies(Set* a, Set* b) {
    int64_t t;
    t = a->fill; a->fill = b->fill; b->fill = t;
    t = a->used; a->used = b->used; b->used = t;
    t = a->mask; a->mask = b->mask; b->mask = t;
    SetEntry* u = a->table;
    if (a->table == a->smalltable) u = b->smalltable;
    a->table = b->table;
    if (b->table == b->smalltable) a->table = a->smalltable;
    b->table = u;
    if (a->table == a->smalltable || b->table == b->smalltable) {
        SetEntry tab[kSetMinSize];
        std::memcpy(static_cast<void*>(tab), a->smalltable, sizeof(tab));
        std::memcpy(static_cast<void*>(a->smalltable), b->smalltable, sizeof(tab));
        std::memcpy(static_cast<void*>(b->smalltable), tab, sizeof(tab));
    }
    if (is_frozen(Value::object(a)) && is_frozen(Value::object(b))) {
        t = a->hash; a->hash = b->hash; b->hash = t;
    } else {
        a->hash = -1;
        b->hash = -1;
    }
}

Ref set_copy_impl(Set* so) {
    Ref copy = make_new_set_basetype(so->type, Value::null());
    if (!copy) return nullptr;
    if (!set_merge(as_set(*copy), so)) return nullptr;
    return copy;
}

uint64_t shuffle_bits(uint64_t h) { return ((h ^ 89869747ULL) ^ (h << 16)) * 3644798167ULL; }

int64_t frozenset_hash_impl(Set* so) {
    uint64_t hash = 0;
    for (SetEntry* e = so->table; e <= &so->table[so->mask]; e++)
        hash ^= shuffle_bits(static_cast<uint64_t>(e->hash));
    if ((so->mask + 1 - so->fill) & 1) hash ^= shuffle_bits(0);
    if ((so->fill - so->used) & 1) hash ^= shuffle_bits(static_cast<uint64_t>(-1));
    hash ^= (static_cast<uint64_t>(so->used) + 1) * 1927868237ULL;
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + 907133923ULL;
    if (hash == static_cast<uint64_t>(-1)) hash = 590923713ULL;
    return static_cast<int64_t>(hash);
}

bool frozenset_hash(Value self, int64_t* out) {
    Set* so = as_set(self);
    if (so->hash == -1) so->hash = frozenset_hash_impl(so);
    *out = so->hash;
    return true;
}

// `key in so`, retrying an unhashable set key with its frozenset hash.
int set_contains_fallback(Set* so, Value key) {
    int rv = set_contains_key(so, key);
    if (rv < 0) {
        if (!is_set_or_subclass(key) || !error_matches(&exc::TypeError)) return -1;
        clear_error();
        rv = set_contains_entry(so, key, frozenset_hash_impl(as_set(key)));
    }
    return rv;
}

int set_contains_slot(Value self, Value key) { return set_contains_fallback(as_set(self), key); }

Ref set_intersection(Set* so, Value other) {
    if (Value::object(so).is(other)) return set_copy_impl(so);
    Ref result = make_new_set_basetype(so->type, Value::null());
    if (!result) return nullptr;
    Set* res = as_set(*result);
    if (is_any_set(other)) {
        Set* a = so;
        Set* b = as_set(other);
        if (b->used > a->used) std::swap(a, b);
        // iterate b (the smaller), look up in a
        int64_t pos = 0;
        SetEntry* e;
        Ref hold_a = Ref::borrow(a), hold_b = Ref::borrow(b);
        while (set_next(b, &pos, &e)) {
            Ref key = Ref::borrow(e->key);
            int64_t hash = e->hash;
            int rv = set_contains_entry(a, *key, hash);
            if (rv < 0) return nullptr;
            if (rv && !set_add_entry(res, *key, hash)) return nullptr;
        }
        return result;
    }
    Ref it = get_iter(other);
    if (!it) return nullptr;
    while (true) {
        Ref key = iter_next(*it);
        if (!key) {
            if (error_occurred()) return nullptr;
            break;
        }
        int64_t hash;
        if (!hash_fast(*key, &hash)) return nullptr;
        int rv = set_contains_entry(so, *key, hash);
        if (rv < 0) return nullptr;
        if (rv) {
            if (!set_add_entry(res, *key, hash)) return nullptr;
            if (res->used >= so->used) break;
        }
    }
    return result;
}

bool set_difference_update_internal(Set* so, Value other) {
    if (Value::object(so).is(other)) {
        set_clear_internal(so);
        return true;
    }
    if (is_any_set(other)) {
        Ref o;
        if ((as_set(other)->used >> 3) > so->used) {
            o = set_intersection(so, other);
            if (!o) return false;
        } else {
            o = Ref::borrow(other);
        }
        Set* os = as_set(*o);
        int64_t pos = 0;
        SetEntry* e;
        while (set_next(os, &pos, &e)) {
            Ref key = Ref::borrow(e->key);
            if (set_discard_entry(so, *key, e->hash) < 0) return false;
        }
    } else {
        Ref it = get_iter(other);
        if (!it) return false;
        while (true) {
            Ref key = iter_next(*it);
            if (!key) {
                if (error_occurred()) return false;
                break;
            }
            if (set_discard_key(so, *key) < 0) return false;
        }
    }
    if (static_cast<size_t>(so->fill - so->used) <= static_cast<size_t>(so->mask) / 4) return true;
    return set_table_resize(so, so->used > 50000 ? so->used * 2 : so->used * 4);
}

Ref set_copy_and_difference(Set* so, Value other) {
    Ref result = set_copy_impl(so);
    if (!result) return nullptr;
    if (!set_difference_update_internal(as_set(*result), other)) return nullptr;
    return result;
}

Ref set_difference(Set* so, Value other) {
    int64_t other_size;
    if (is_any_set(other))
        other_size = as_set(other)->used;
    else if (is_exact_dict(other))
        other_size = other.as<Dict>()->used;
    else
        return set_copy_and_difference(so, other);
    if ((so->used >> 2) > other_size) return set_copy_and_difference(so, other);
    Ref result = make_new_set_basetype(so->type, Value::null());
    if (!result) return nullptr;
    Set* res = as_set(*result);
    int64_t pos = 0;
    SetEntry* e;
    if (is_exact_dict(other)) {
        Dict* d = other.as<Dict>();
        while (set_next(so, &pos, &e)) {
            Ref key = Ref::borrow(e->key);
            int64_t hash = e->hash;
            Value v = dict_get_known_hash(d, *key, hash);
            if (v.is_null() && error_occurred()) return nullptr;
            if (v.is_null() && !set_add_entry(res, *key, hash)) return nullptr;
        }
        return result;
    }
    Set* os = as_set(other);
    while (set_next(so, &pos, &e)) {
        Ref key = Ref::borrow(e->key);
        int64_t hash = e->hash;
        int rv = set_contains_entry(os, *key, hash);
        if (rv < 0) return nullptr;
        if (!rv && !set_add_entry(res, *key, hash)) return nullptr;
    }
    return result;
}

bool set_symmetric_difference_update_set(Set* so, Set* other) {
    int64_t pos = 0;
    SetEntry* e;
    Ref hold = Ref::borrow(other);
    while (set_next(other, &pos, &e)) {
        Ref key = Ref::borrow(e->key);
        int64_t hash = e->hash;
        int rv = set_discard_entry(so, *key, hash);
        if (rv < 0) return false;
        if (rv == 0 && !set_add_entry(so, *key, hash)) return false;
    }
    return true;
}

bool set_symmetric_difference_update_impl(Set* so, Value other) {
    if (Value::object(so).is(other)) {
        set_clear_internal(so);
        return true;
    }
    if (is_exact_dict(other)) {
        Dict* d = other.as<Dict>();
        int64_t pos = 0;
        Value key, value;
        int64_t hash;
        while (dict_next_hash(d, &pos, &key, &value, &hash)) {
            Ref k = Ref::borrow(key);
            int rv = set_discard_entry(so, *k, hash);
            if (rv < 0) return false;
            if (rv == 0 && !set_add_entry(so, *k, hash)) return false;
        }
        return true;
    }
    if (is_any_set(other)) return set_symmetric_difference_update_set(so, as_set(other));
    Ref otherset = make_new_set_basetype(so->type, other);
    if (!otherset) return false;
    return set_symmetric_difference_update_set(so, as_set(*otherset));
}

// 1 subset, 0 not, -1 error.
int set_issubset_impl(Set* so, Value other) {
    if (!is_any_set(other)) {
        Ref tmp = set_intersection(so, other);
        if (!tmp) return -1;
        return as_set(*tmp)->used == so->used ? 1 : 0;
    }
    Set* os = as_set(other);
    if (so->used > os->used) return 0;
    int64_t pos = 0;
    SetEntry* e;
    while (set_next(so, &pos, &e)) {
        Ref key = Ref::borrow(e->key);
        int rv = set_contains_entry(os, *key, e->hash);
        if (rv <= 0) return rv;
    }
    return 1;
}

int set_issuperset_impl(Set* so, Value other) {
    if (is_any_set(other)) return set_issubset_impl(as_set(other), Value::object(so));
    Ref it = get_iter(other);
    if (!it) return -1;
    while (true) {
        Ref key = iter_next(*it);
        if (!key) return error_occurred() ? -1 : 1;
        int rv = set_contains_key(so, *key);
        if (rv <= 0) return rv;
    }
}

Ref bool_result(int r) {
    if (r < 0) return nullptr;
    return Ref::boolean(r != 0);
}

Ref set_richcompare(Value self, Value w, CmpOp op) {
    if (!is_any_set(self) || !is_any_set(w)) return Ref::not_implemented();
    Set* v = as_set(self);
    Set* ws = as_set(w);
    switch (op) {
        case CmpOp::kEq:
            if (v->used != ws->used) return Ref::boolean(false);
            if (v->hash != -1 && ws->hash != -1 && v->hash != ws->hash) return Ref::boolean(false);
            return bool_result(set_issubset_impl(v, w));
        case CmpOp::kNe: {
            if (v->used != ws->used) return Ref::boolean(true);
            if (v->hash != -1 && ws->hash != -1 && v->hash != ws->hash) return Ref::boolean(true);
            int r = set_issubset_impl(v, w);
            if (r < 0) return nullptr;
            return Ref::boolean(r == 0);
        }
        case CmpOp::kLe: return bool_result(set_issubset_impl(v, w));
        case CmpOp::kGe: return bool_result(set_issuperset_impl(v, w));
        case CmpOp::kLt:
            if (v->used >= ws->used) return Ref::boolean(false);
            return bool_result(set_issubset_impl(v, w));
        case CmpOp::kGt:
            if (v->used <= ws->used) return Ref::boolean(false);
            return bool_result(set_issuperset_impl(v, w));
    }
    return Ref::not_implemented();
}

// --- number slots ---------------------------------------------------------------------------

Ref set_or(Value a, Value b) {
    if (!is_any_set(a) || !is_any_set(b)) return Ref::not_implemented();
    Ref result = set_copy_impl(as_set(a));
    if (!result) return nullptr;
    if (a.is(b)) return result;
    if (!set_update_internal(as_set(*result), b)) return nullptr;
    return result;
}

Ref set_and(Value a, Value b) {
    if (!is_any_set(a) || !is_any_set(b)) return Ref::not_implemented();
    return set_intersection(as_set(a), b);
}

Ref set_sub(Value a, Value b) {
    if (!is_any_set(a) || !is_any_set(b)) return Ref::not_implemented();
    return set_difference(as_set(a), b);
}

Ref set_symmetric_difference_impl(Set* so, Value other) {
    Ref result = make_new_set_basetype(so->type, Value::null());
    if (!result) return nullptr;
    if (!set_update_internal(as_set(*result), other)) return nullptr;
    if (!set_symmetric_difference_update_set(as_set(*result), so)) return nullptr;
    return result;
}

Ref set_xor(Value a, Value b) {
    if (!is_any_set(a) || !is_any_set(b)) return Ref::not_implemented();
    return set_symmetric_difference_impl(as_set(a), b);
}

Ref set_ior(Value a, Value b) {
    if (!is_any_set(b) || !is_set_or_subclass(a)) return Ref::not_implemented();
    if (!set_update_internal(as_set(a), b)) return nullptr;
    return Ref::borrow(a);
}

Ref set_iand(Value a, Value b) {
    if (!is_any_set(b) || !is_set_or_subclass(a)) return Ref::not_implemented();
    Ref tmp = set_intersection(as_set(a), b);
    if (!tmp) return nullptr;
    set_swap_bodies(as_set(a), as_set(*tmp));
    return Ref::borrow(a);
}

Ref set_isub(Value a, Value b) {
    if (!is_any_set(b) || !is_set_or_subclass(a)) return Ref::not_implemented();
    if (!set_difference_update_internal(as_set(a), b)) return nullptr;
    return Ref::borrow(a);
}

Ref set_ixor(Value a, Value b) {
    if (!is_any_set(b) || !is_set_or_subclass(a)) return Ref::not_implemented();
    if (!set_symmetric_difference_update_impl(as_set(a), b)) return nullptr;
    return Ref::borrow(a);
}

// --- construction ---------------------------------------------------------------------------

Ref set_new(Type* type, CallArgs a) { return make_new_set(type, Value::null()); }

bool set_init(Value self, CallArgs a) {
    Set* so = as_set(self);
    if (self.as_object()->type == &set_type && !no_kw("set", a)) return false;
    if (a.npos > 1) {
        (void)raisef(&exc::TypeError, "set expected at most 1 argument, got {}", a.npos);
        return false;
    }
    if (so->fill) set_clear_internal(so);
    so->hash = -1;
    if (a.npos == 1) return set_update_internal(so, a.args[0]);
    return true;
}

Ref frozenset_new(Type* type, CallArgs a) {
    if (type == &frozenset_type && !no_kw("frozenset", a)) return nullptr;
    if (a.npos > 1)
        return raisef(&exc::TypeError, "frozenset expected at most 1 argument, got {}", a.npos);
    Value iterable = a.npos ? a.args[0] : Value::null();
    if (type == &frozenset_type && !iterable.is_null() && iterable.is_object() &&
        iterable.as_object()->type == &frozenset_type)
        return Ref::borrow(iterable);
    return make_new_set(type, iterable);
}

// --- methods --------------------------------------------------------------------------------

Ref set_add_method(Value self, CallArgs a) {
    if (!check_one_arg("set.add", a)) return nullptr;
    if (!set_add_key(as_set(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref set_remove_method(Value self, CallArgs a) {
    if (!check_one_arg("set.remove", a)) return nullptr;
    Set* so = as_set(self);
    Value key = a.args[0];
    int rv = set_discard_key(so, key);
    if (rv < 0) {
        if (!is_set_or_subclass(key) || !error_matches(&exc::TypeError)) return nullptr;
        clear_error();
        rv = set_discard_entry(so, key, frozenset_hash_impl(as_set(key)));
        if (rv < 0) return nullptr;
    }
    if (rv == 0) return set_key_error(key);
    return Ref::none();
}

Ref set_discard_method(Value self, CallArgs a) {
    if (!check_one_arg("set.discard", a)) return nullptr;
    Set* so = as_set(self);
    Value key = a.args[0];
    int rv = set_discard_key(so, key);
    if (rv < 0) {
        if (!is_set_or_subclass(key) || !error_matches(&exc::TypeError)) return nullptr;
        clear_error();
        rv = set_discard_entry(so, key, frozenset_hash_impl(as_set(key)));
        if (rv < 0) return nullptr;
    }
    return Ref::none();
}

Ref set_pop_method(Value self, CallArgs a) {
    if (!check_noargs("set.pop", a)) return nullptr;
    Set* so = as_set(self);
    if (so->used == 0) {
        Ref msg = str_from("pop from an empty set");
        if (!msg) return nullptr;
        return set_key_error(*msg);
    }
    SetEntry* entry = so->table + (so->finger & so->mask);
    SetEntry* limit = so->table + so->mask;
    while (entry->key.is_null() || entry->key.is(kDummy)) {
        entry++;
        if (entry > limit) entry = so->table;
    }
    Value key = entry->key;
    entry->key = kDummy;
    entry->hash = -1;
    so->used--;
    so->finger = entry - so->table + 1;
    return Ref::steal(key);
}

Ref set_clear_method(Value self, CallArgs a) {
    if (!check_noargs("set.clear", a)) return nullptr;
    set_clear_internal(as_set(self));
    return Ref::none();
}

Ref set_copy_method(Value self, CallArgs a) {
    if (!check_noargs("set.copy", a)) return nullptr;
    return set_copy_impl(as_set(self));
}

Ref frozenset_copy_method(Value self, CallArgs a) {
    if (!check_noargs("frozenset.copy", a)) return nullptr;
    if (self.as_object()->type == &frozenset_type) return Ref::borrow(self);
    return set_copy_impl(as_set(self));
}

Ref set_update_method(Value self, CallArgs a) {
    if (!no_kw("set.update", a)) return nullptr;
    for (size_t i = 0; i < a.npos; ++i)
        if (!set_update_internal(as_set(self), a.args[i])) return nullptr;
    return Ref::none();
}

Ref set_union_method(Value self, CallArgs a) {
    if (!no_kw("set.union", a)) return nullptr;
    Set* so = as_set(self);
    Ref result = set_copy_impl(so);
    if (!result) return nullptr;
    for (size_t i = 0; i < a.npos; ++i) {
        if (self.is(a.args[i])) continue;
        if (!set_update_internal(as_set(*result), a.args[i])) return nullptr;
    }
    return result;
}

Ref set_intersection_multi(Value self, CallArgs a) {
    if (!no_kw("set.intersection", a)) return nullptr;
    if (a.npos == 0) return set_copy_impl(as_set(self));
    Ref result = Ref::borrow(self);
    for (size_t i = 0; i < a.npos; ++i) {
        Ref nr = set_intersection(as_set(*result), a.args[i]);
        if (!nr) return nullptr;
        result = std::move(nr);
    }
    return result;
}

Ref set_intersection_update_multi(Value self, CallArgs a) {
    if (!no_kw("set.intersection_update", a)) return nullptr;
    Ref tmp = set_intersection_multi(self, a);
    if (!tmp) return nullptr;
    if (!tmp.get().is(self)) set_swap_bodies(as_set(self), as_set(*tmp));
    return Ref::none();
}

Ref set_difference_multi(Value self, CallArgs a) {
    if (!no_kw("set.difference", a)) return nullptr;
    Set* so = as_set(self);
    if (a.npos == 0) return set_copy_impl(so);
    Ref result = set_difference(so, a.args[0]);
    if (!result) return nullptr;
    for (size_t i = 1; i < a.npos; ++i)
        if (!set_difference_update_internal(as_set(*result), a.args[i])) return nullptr;
    return result;
}

Ref set_difference_update_method(Value self, CallArgs a) {
    if (!no_kw("set.difference_update", a)) return nullptr;
    for (size_t i = 0; i < a.npos; ++i)
        if (!set_difference_update_internal(as_set(self), a.args[i])) return nullptr;
    return Ref::none();
}

Ref set_symmetric_difference_method(Value self, CallArgs a) {
    if (!check_one_arg("set.symmetric_difference", a)) return nullptr;
    return set_symmetric_difference_impl(as_set(self), a.args[0]);
}

Ref set_symmetric_difference_update_method(Value self, CallArgs a) {
    if (!check_one_arg("set.symmetric_difference_update", a)) return nullptr;
    if (!set_symmetric_difference_update_impl(as_set(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref set_issubset_method(Value self, CallArgs a) {
    if (!check_one_arg("set.issubset", a)) return nullptr;
    return bool_result(set_issubset_impl(as_set(self), a.args[0]));
}

Ref set_issuperset_method(Value self, CallArgs a) {
    if (!check_one_arg("set.issuperset", a)) return nullptr;
    return bool_result(set_issuperset_impl(as_set(self), a.args[0]));
}

Ref set_isdisjoint_method(Value self, CallArgs a) {
    if (!check_one_arg("set.isdisjoint", a)) return nullptr;
    Set* so = as_set(self);
    Value other = a.args[0];
    if (self.is(other)) return Ref::boolean(so->used == 0);
    if (is_any_set(other)) {
        Set* x = so;
        Set* y = as_set(other);
        if (y->used > x->used) std::swap(x, y);
        int64_t pos = 0;
        SetEntry* e;
        while (set_next(y, &pos, &e)) {
            Ref key = Ref::borrow(e->key);
            int rv = set_contains_entry(x, *key, e->hash);
            if (rv < 0) return nullptr;
            if (rv) return Ref::boolean(false);
        }
        return Ref::boolean(true);
    }
    Ref it = get_iter(other);
    if (!it) return nullptr;
    while (true) {
        Ref key = iter_next(*it);
        if (!key) {
            if (error_occurred()) return nullptr;
            return Ref::boolean(true);
        }
        int rv = set_contains_key(so, *key);
        if (rv < 0) return nullptr;
        if (rv) return Ref::boolean(false);
    }
}

Ref set_contains_method(Value self, CallArgs a) {
    if (!check_one_arg("set.__contains__", a)) return nullptr;
    return bool_result(set_contains_fallback(as_set(self), a.args[0]));
}

Ref set_iter(Value self);

const MethodDef set_methods[] = {
    {"add", set_add_method},
    {"remove", set_remove_method},
    {"discard", set_discard_method},
    {"pop", set_pop_method},
    {"clear", set_clear_method},
    {"copy", set_copy_method},
    {"update", set_update_method},
    {"union", set_union_method},
    {"intersection", set_intersection_multi},
    {"intersection_update", set_intersection_update_multi},
    {"difference", set_difference_multi},
    {"difference_update", set_difference_update_method},
    {"symmetric_difference", set_symmetric_difference_method},
    {"symmetric_difference_update", set_symmetric_difference_update_method},
    {"issubset", set_issubset_method},
    {"issuperset", set_issuperset_method},
    {"isdisjoint", set_isdisjoint_method},
    {"__contains__", set_contains_method},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

const MethodDef frozenset_methods[] = {
    {"copy", frozenset_copy_method},
    {"union", set_union_method},
    {"intersection", set_intersection_multi},
    {"difference", set_difference_multi},
    {"symmetric_difference", set_symmetric_difference_method},
    {"issubset", set_issubset_method},
    {"issuperset", set_issuperset_method},
    {"isdisjoint", set_isdisjoint_method},
    {"__contains__", set_contains_method},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

// --- iterator -------------------------------------------------------------------------------

struct SetIter : Object {
    Set* set;      // owned; null when exhausted
    int64_t used;  // size at creation; -1 once a change was reported
    int64_t pos;
    int64_t len;
};

Ref set_iter(Value self) {
    SetIter* it = new_object<SetIter>(&set_iterator_type, 0);
    if (!it) return nullptr;
    Set* so = as_set(self);
    incref(so);
    it->set = so;
    it->used = so->used;
    it->pos = 0;
    it->len = so->used;
    return Ref::steal(it);
}

void set_iter_dealloc(Object* o) {
    SetIter* it = static_cast<SetIter*>(o);
    if (it->set) decref(it->set);
    object_free(o, sizeof(SetIter));
}

Ref set_iter_next(Value self) {
    SetIter* it = self.as<SetIter>();
    Set* so = it->set;
    if (!so) return nullptr;
    if (it->used != so->used) {
        it->used = -1;
        return raise(&exc::RuntimeError, "Set changed size during iteration");
    }
    int64_t i = it->pos;
    SetEntry* entry = so->table;
    int64_t mask = so->mask;
    while (i <= mask && (entry[i].key.is_null() || entry[i].key.is(kDummy))) i++;
    it->pos = i + 1;
    if (i > mask) {
        it->set = nullptr;
        decref(so);
        return nullptr;
    }
    it->len--;
    return Ref::borrow(entry[i].key);
}

Ref set_iter_length_hint(Value self, CallArgs a) {
    SetIter* it = self.as<SetIter>();
    int64_t n = 0;
    if (it->set && it->used == it->set->used) n = it->len;
    return make_int(n);
}

const MethodDef set_iter_methods[] = {
    {"__length_hint__", set_iter_length_hint},
    {nullptr, nullptr},
};

void fill_set_slots(Type* t) {
    t->dealloc = set_dealloc;
    t->repr = set_repr;
    t->compare = set_richcompare;
    t->binary[static_cast<int>(BinOp::kOr)] = set_or;
    t->binary[static_cast<int>(BinOp::kAnd)] = set_and;
    t->binary[static_cast<int>(BinOp::kSub)] = set_sub;
    t->binary[static_cast<int>(BinOp::kXor)] = set_xor;
    t->len = set_len;
    t->iter = set_iter;
    t->contains = set_contains_slot;
}

}  // namespace

// --- public ---------------------------------------------------------------------------------

Ref new_set(Type* type) { return make_new_set(type, Value::null()); }

bool set_add(Value set, Value key) { return set_add_key(as_set(set), key); }

int set_contains(Value set, Value key) { return set_contains_fallback(as_set(set), key); }

bool set_update(Value set, Value iterable) { return set_update_internal(as_set(set), iterable); }

int64_t set_size(Value set) { return as_set(set)->used; }

bool set_discard(Value set, Value key) { return set_discard_key(as_set(set), key) >= 0; }

bool set_next_item(Value set, int64_t* pos, Value* key, int64_t* hash) {
    SetEntry* e;
    if (!set_next(as_set(set), pos, &e)) return false;
    *key = e->key;
    if (hash) *hash = e->hash;
    return true;
}

bool is_set_like(Value v) { return is_any_set(v); }

Ref const_frozenset(const Value* items, int64_t n) {
    RefT<Tuple> t = new_tuple_from(items, n);
    if (!t) return nullptr;
    Ref first = make_new_set(&frozenset_type, t.value());
    if (!first) return nullptr;
    // Rebuild from the first frozenset's iteration order (compile.c's merge_consts_recursive).
    Set* f = as_set(*first);
    RefT<Tuple> order = new_tuple(f->used);
    if (!order) return nullptr;
    int64_t pos = 0, i = 0;
    SetEntry* e;
    while (set_next(f, &pos, &e)) {
        incref(e->key);
        order->items[i++] = e->key;
    }
    return make_new_set(&frozenset_type, order.value());
}

Ref set_from_iterable(Type* type, Value iterable) { return make_new_set(type, iterable); }

void init_set_type() {
    Type* t = &set_type;
    t->name = "set";
    t->basic_size = sizeof(Set);
    t->flags |= kBaseType | kImmutableType;
    t->methods = set_methods;
    fill_set_slots(t);
    t->hash = unhashable_hash;
    t->inplace[static_cast<int>(BinOp::kOr)] = set_ior;
    t->inplace[static_cast<int>(BinOp::kAnd)] = set_iand;
    t->inplace[static_cast<int>(BinOp::kSub)] = set_isub;
    t->inplace[static_cast<int>(BinOp::kXor)] = set_ixor;
    t->new_ = set_new;
    t->init = set_init;
    type_ready(t, &object_type);

    Type* it = &set_iterator_type;
    it->name = "set_iterator";
    it->basic_size = sizeof(SetIter);
    it->flags |= kImmutableType;
    it->methods = set_iter_methods;
    it->dealloc = set_iter_dealloc;
    it->iter = iter_self;
    it->next = set_iter_next;
    type_ready(it, &object_type);
}

void init_frozenset_type() {
    Type* f = &frozenset_type;
    f->name = "frozenset";
    f->basic_size = sizeof(Set);
    f->flags |= kBaseType | kImmutableType;
    f->methods = frozenset_methods;
    fill_set_slots(f);
    f->hash = frozenset_hash;
    f->new_ = frozenset_new;
    type_ready(f, &object_type);
}

}  // namespace toy
