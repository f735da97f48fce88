// dict.cpp: the dict type, its views and iterators.
//
// The table is CPython's compact dict: an open-addressing index of int64 slots (-1 empty,
// -2 dummy, else an entry number) over a dense, insertion-ordered array of entries. Both live
// in one allocation. Probing is CPython's perturbation recurrence. Deleted entries leave a
// null key in the entry array until the next resize compacts them.
//
// Re-entrancy: comparing keys may run Toy code (__eq__) that mutates the dict. Every
// comparison is bracketed by a check of `version` (bumped by every mutation); if it changed,
// the lookup restarts from scratch, as CPython's lookdict does when the keys object changes.
#include "runtime/dict.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/errors.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/native_function.h"
#include "runtime/set.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type dict_type;
Type dict_keys_type, dict_values_type, dict_items_type;
Type dict_keyiterator_type, dict_valueiterator_type, dict_itemiterator_type;
Type dict_reversekeyiterator_type, dict_reversevalueiterator_type, dict_reverseitemiterator_type;

using namespace detail;

namespace {

constexpr int64_t kMinSize = 8;
constexpr int64_t kEmpty = -1;
constexpr int64_t kDummy = -2;
constexpr int64_t kError = -3;
constexpr int kPerturbShift = 5;

// Versions are unique process-wide: each thread takes blocks from a global counter.
std::atomic<uint64_t> g_version{1};
thread_local uint64_t t_ver_next = 0, t_ver_limit = 0;
constexpr uint64_t kVersionBlock = 1 << 16;

inline uint64_t next_version() {
    if (TOY_UNLIKELY(t_ver_next >= t_ver_limit)) {
        t_ver_next = g_version.fetch_add(kVersionBlock, std::memory_order_relaxed);
        t_ver_limit = t_ver_next + kVersionBlock;
    }
    return t_ver_next++;
}

inline int64_t usable_for(int64_t size) { return (size << 1) / 3; }

// Per-thread caches of exact dict objects and of minimum-size tables (CPython keeps free
// lists of both): most dicts are small and short-lived (instance dicts, **kwargs, literals).
constexpr int kCacheMax = 80;
constexpr size_t kMinTableBytes =
    kMinSize * sizeof(int64_t) + static_cast<size_t>((kMinSize << 1) / 3) * sizeof(DictEntry);
struct DictCaches {
    Dict* dicts[kCacheMax];
    int ndicts = 0;
    void* tables[kCacheMax];
    int ntables = 0;
    ~DictCaches() {
        while (ndicts > 0) object_free(dicts[--ndicts], sizeof(Dict));
        while (ntables > 0) std::free(tables[--ntables]);
    }
};
thread_local DictCaches t_dc;

// Replaces d's table by an empty one of `size` index slots. Returns the old block.
bool alloc_table(Dict* d, int64_t size) {
    int64_t cap = usable_for(size);
    size_t bytes = static_cast<size_t>(size) * sizeof(int64_t) + static_cast<size_t>(cap) * sizeof(DictEntry);
    void* mem = size == kMinSize && t_dc.ntables > 0 ? t_dc.tables[--t_dc.ntables] : std::malloc(bytes);
    if (!mem) {
        (void)raise_no_memory();
        return false;
    }
    d->index = static_cast<int64_t*>(mem);
    std::memset(d->index, 0xff, static_cast<size_t>(size) * sizeof(int64_t));  // all -1
    d->entries = reinterpret_cast<DictEntry*>(d->index + size);
    d->index_size = size;
    d->capacity = cap;
    d->nentries = 0;
    return true;
}

inline void free_table(int64_t* index, int64_t size) {
    if (size == kMinSize && t_dc.ntables < kCacheMax)
        t_dc.tables[t_dc.ntables++] = index;
    else
        std::free(index);
}

inline size_t find_empty_slot(const Dict* d, int64_t hash) {
    size_t mask = static_cast<size_t>(d->index_size - 1);
    size_t perturb = static_cast<size_t>(hash);
    size_t i = static_cast<size_t>(hash) & mask;
    while (d->index[i] >= 0) {
        perturb >>= kPerturbShift;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

// Rebuilds the table with room for at least `minsize` index slots, dropping deleted entries.
bool resize(Dict* d, int64_t minsize) {
    int64_t size = kMinSize;
    while (size < minsize) size <<= 1;
    int64_t* old_index = d->index;
    DictEntry* old_entries = d->entries;
    int64_t old_n = d->nentries;
    int64_t old_size = d->index_size;
    if (!alloc_table(d, size)) return false;
    int64_t n = 0;
    for (int64_t i = 0; i < old_n; ++i) {
        DictEntry& e = old_entries[i];
        if (e.key.is_null()) continue;
        d->entries[n] = e;
        d->index[find_empty_slot(d, e.hash)] = n;
        ++n;
    }
    d->nentries = n;
    if (old_index) free_table(old_index, old_size);
    return true;
}

// Finds `key`. Returns the entry number (>= 0), kEmpty when missing, kError with an exception
// set. *slot receives the index slot of a found entry.
int64_t lookup(Dict* d, Value key, int64_t hash, size_t* slot) {
restart:
    if (d->index_size == 0) return kEmpty;
    size_t mask = static_cast<size_t>(d->index_size - 1);
    size_t perturb = static_cast<size_t>(hash);
    size_t i = static_cast<size_t>(hash) & mask;
    while (true) {
        int64_t ix = d->index[i];
        if (ix == kEmpty) return kEmpty;
        if (ix >= 0) {
            DictEntry* ep = &d->entries[ix];
            Value sk = ep->key;
            if (sk.is(key)) {
                if (slot) *slot = i;
                return ix;
            }
            if (ep->hash == hash) {
                if (is_exact_str(sk) && is_exact_str(key)) {
                    if (str_eq(sk.as<Str>(), key.as<Str>())) {
                        if (slot) *slot = i;
                        return ix;
                    }
                } else if (!both_small_ints(sk, key)) {
                    uint64_t ver = d->version;
                    incref(sk);
                    int cmp = eq(sk, key);
                    decref(sk);
                    if (cmp < 0) return kError;
                    if (d->version != ver) goto restart;
                    if (cmp > 0) {
                        if (slot) *slot = i;
                        return ix;
                    }
                }
            }
        }
        perturb >>= kPerturbShift;
        i = (i * 5 + perturb + 1) & mask;
    }
}

// A lookup for str keys that never runs Toy code (non-str keys never match).
int64_t lookup_str(Dict* d, Str* key, int64_t hash) {
    if (d->index_size == 0) return kEmpty;
    size_t mask = static_cast<size_t>(d->index_size - 1);
    size_t perturb = static_cast<size_t>(hash);
    size_t i = static_cast<size_t>(hash) & mask;
    Value kv = Value::object(key);
    while (true) {
        int64_t ix = d->index[i];
        if (ix == kEmpty) return kEmpty;
        if (ix >= 0) {
            DictEntry* ep = &d->entries[ix];
            if (ep->key.is(kv)) return ix;
            if (ep->hash == hash && is_str(ep->key) && str_eq(ep->key.as<Str>(), key)) return ix;
        }
        perturb >>= kPerturbShift;
        i = (i * 5 + perturb + 1) & mask;
    }
}

// Slot of the index that holds entry `ix` (whose hash is `hash`).
size_t slot_of_entry(const Dict* d, int64_t ix, int64_t hash) {
    size_t mask = static_cast<size_t>(d->index_size - 1);
    size_t perturb = static_cast<size_t>(hash);
    size_t i = static_cast<size_t>(hash) & mask;
    while (d->index[i] != ix) {
        perturb >>= kPerturbShift;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

// Appends a new entry; takes ownership of key and value (released on failure).
bool insert_new(Dict* d, Value key, int64_t hash, Value value) {
    if (d->nentries >= d->capacity) {
        if (!resize(d, d->used * 3)) {
            decref(key);
            decref(value);
            return false;
        }
    }
    size_t slot = find_empty_slot(d, hash);
    int64_t n = d->nentries;
    d->index[slot] = n;
    d->entries[n] = DictEntry{hash, key, value};
    d->nentries = n + 1;
    d->used++;
    d->version = next_version();
    return true;
}

// Stores with ownership of value taken (key borrowed).
bool set_steal_value(Dict* d, Value key, int64_t hash, Value value) {
    int64_t ix = lookup(d, key, hash, nullptr);
    if (ix == kError) {
        decref(value);
        return false;
    }
    if (ix >= 0) {
        DictEntry* ep = &d->entries[ix];
        Value old = ep->value;
        ep->value = value;
        d->version = next_version();
        decref(old);
        return true;
    }
    incref(key);
    return insert_new(d, key, hash, value);
}

void delete_at(Dict* d, size_t slot, int64_t ix) {
    DictEntry* ep = &d->entries[ix];
    Value k = ep->key, v = ep->value;
    d->index[slot] = kDummy;
    ep->key = Value::null();
    ep->value = Value::null();
    d->used--;
    d->version = next_version();
    decref(k);
    decref(v);
}

inline Dict* as_dict(Value v) { return v.as<Dict>(); }

void dict_dealloc(Object* o) {
    if (!trash_begin(o, dict_dealloc)) return;
    Dict* d = static_cast<Dict*>(o);
    int64_t* index = d->index;
    DictEntry* entries = d->entries;
    int64_t n = d->nentries;
    int64_t size = d->index_size;
    d->index = nullptr;
    d->entries = nullptr;
    d->used = d->nentries = d->capacity = d->index_size = 0;
    for (int64_t i = 0; i < n; ++i) {
        decref(entries[i].key);
        decref(entries[i].value);
    }
    if (index) free_table(index, size);
    if (o->type == &dict_type && t_dc.ndicts < kCacheMax)
        t_dc.dicts[t_dc.ndicts++] = d;
    else
        object_free(o, o->type->basic_size > sizeof(Dict) ? o->type->basic_size : sizeof(Dict));
    trash_end();
}

Ref dict_repr(Value self) {
    Dict* d = as_dict(self);
    if (d->used == 0) return str_from("{}");
    if (repr_enter(d)) return str_from("{...}");
    std::string out = "{";
    bool ok;
    {
        ok = true;
        bool first = true;
        for (int64_t i = 0; ok && i < d->nentries; ++i) {
            DictEntry* ep = &d->entries[i];
            if (ep->key.is_null()) continue;
            Ref k = Ref::borrow(ep->key);
            Ref v = Ref::borrow(ep->value);
            if (!first) out += ", ";
            first = false;
            ok = append_repr(out, *k);
            if (!ok) break;
            out += ": ";
            ok = append_repr(out, *v);
        }
    }
    repr_leave(d);
    if (!ok) return nullptr;
    out += '}';
    return str_from(out);
}

// 1 equal, 0 not, -1 error.
int dict_equal(Dict* a, Dict* b) {
    if (a->used != b->used) return 0;
    for (int64_t i = 0; i < a->nentries; ++i) {
        DictEntry* ep = &a->entries[i];
        if (ep->key.is_null()) continue;
        Ref k = Ref::borrow(ep->key);
        Ref av = Ref::borrow(ep->value);
        int64_t h = ep->hash;
        Value bv = dict_get_known_hash(b, *k, h);
        if (bv.is_null()) return error_occurred() ? -1 : 0;
        Ref bvr = Ref::borrow(bv);
        int c = eq_fast(*av, bv);
        if (c <= 0) return c;
    }
    return 1;
}

Ref dict_compare(Value a, Value b, CmpOp op) {
    if (!is_dict(a) || !is_dict(b) || (op != CmpOp::kEq && op != CmpOp::kNe))
        return Ref::not_implemented();
    int c = a.is(b) ? 1 : dict_equal(as_dict(a), as_dict(b));
    if (c < 0) return nullptr;
    return Ref::boolean((c == 1) == (op == CmpOp::kEq));
}

int64_t dict_len(Value self) { return as_dict(self)->used; }

int dict_contains_slot(Value self, Value key) { return dict_contains(as_dict(self), key); }

Ref dict_subscript(Value self, Value key) {
    Dict* d = as_dict(self);
    int64_t h;
    if (!hash_fast(key, &h)) return nullptr;
    int64_t ix = lookup(d, key, h, nullptr);
    if (ix == kError) return nullptr;
    if (ix >= 0) return Ref::borrow(d->entries[ix].value);
    Type* t = self.as_object()->type;
    if (t != &dict_type) {
        static Str* missing = intern("__missing__");
        Value m = type_lookup(t, missing);
        if (!m.is_null()) return call_method(self, missing, {key});
    }
    return set_key_error(key);
}

bool dict_ass_sub(Value self, Value key, Value v) {
    Dict* d = as_dict(self);
    if (!v.is_null()) return dict_set(d, key, v);
    int r = dict_del(d, key);
    if (r < 0) return false;
    if (r == 0) {
        (void)set_key_error(key);
        return false;
    }
    return true;
}

Ref dict_or(Value a, Value b) {
    if (!is_dict(a) || !is_dict(b)) return Ref::not_implemented();
    RefT<Dict> r = dict_copy(as_dict(a));
    if (!r) return nullptr;
    if (!dict_merge(r.get(), b, 1)) return nullptr;
    return r;
}

Ref dict_ior(Value a, Value b) {
    if (!dict_update_arg(as_dict(a), b)) return nullptr;
    return Ref::borrow(a);
}

Ref dict_new(Type* type, CallArgs a) {
    if (type == &dict_type) return new_dict();
    size_t extra = type->basic_size > sizeof(Dict) ? type->basic_size - sizeof(Dict) : 0;
    Dict* d = new_object<Dict>(type, extra);
    if (!d) return nullptr;
    if (extra) std::memset(reinterpret_cast<char*>(d) + sizeof(Dict), 0, extra);
    d->version = next_version();
    return Ref::steal(d);
}

// dict(...) / d.update(...): positional mapping or pairs, then keywords.
bool update_common(Dict* d, CallArgs a, const char* name) {
    if (a.npos > 1) {
        (void)raisef(&exc::TypeError, "{} expected at most 1 argument, got {}", name, a.npos);
        return false;
    }
    if (a.npos == 1 && !dict_update_arg(d, a.args[0])) return false;
    for (size_t i = 0; i < a.nkw(); ++i)
        if (!dict_set(d, a.kwnames->items[i], a.args[a.npos + i])) return false;
    return true;
}

bool dict_init(Value self, CallArgs a) { return update_common(as_dict(self), a, "dict"); }

// --- methods --------------------------------------------------------------------------------

Ref dict_get_method(Value self, CallArgs a) {
    if (!check_positional("get", a, 1, 2)) return nullptr;
    Value v = dict_get(as_dict(self), a.args[0]);
    if (v.is_null()) {
        if (error_occurred()) return nullptr;
        return a.npos > 1 ? Ref::borrow(a.args[1]) : Ref::none();
    }
    return Ref::borrow(v);
}

Ref dict_setdefault_method(Value self, CallArgs a) {
    if (!check_positional("setdefault", a, 1, 2)) return nullptr;
    Dict* d = as_dict(self);
    Value key = a.args[0];
    Value dflt = a.npos > 1 ? a.args[1] : Value::none();
    int64_t h;
    if (!hash_fast(key, &h)) return nullptr;
    int64_t ix = lookup(d, key, h, nullptr);
    if (ix == kError) return nullptr;
    if (ix >= 0) return Ref::borrow(d->entries[ix].value);
    incref(key);
    incref(dflt);
    if (!insert_new(d, key, h, dflt)) return nullptr;
    return Ref::borrow(dflt);
}

Ref dict_pop_method(Value self, CallArgs a) {
    if (!check_positional("pop", a, 1, 2)) return nullptr;
    return dict_pop(as_dict(self), a.args[0], a.npos > 1 ? a.args[1] : Value::null());
}

Ref dict_popitem_method(Value self, CallArgs a) {
    if (!check_noargs("dict.popitem", a)) return nullptr;
    Dict* d = as_dict(self);
    if (d->used == 0) {
        Ref msg = str_from("popitem(): dictionary is empty");
        if (!msg) return nullptr;
        return set_key_error(*msg);
    }
    int64_t i = d->nentries - 1;
    while (i >= 0 && d->entries[i].key.is_null()) --i;
    DictEntry* ep = &d->entries[i];
    RefT<Tuple> t = new_tuple(2);
    if (!t) return nullptr;
    size_t slot = slot_of_entry(d, i, ep->hash);
    t->items[0] = ep->key;  // ownership moves into the tuple
    t->begin()[1] = ep->value;
    d->index[slot] = kDummy;
    ep->key = Value::null();
    ep->value = Value::null();
    d->used--;
    d->nentries = i;
    d->version = next_version();
    return t;
}

Ref new_view(Dict* d, Type* type);

Ref dict_keys_method(Value self, CallArgs a) {
    if (!check_noargs("dict.keys", a)) return nullptr;
    return new_view(as_dict(self), &dict_keys_type);
}
Ref dict_values_method(Value self, CallArgs a) {
    if (!check_noargs("dict.values", a)) return nullptr;
    return new_view(as_dict(self), &dict_values_type);
}
Ref dict_items_method(Value self, CallArgs a) {
    if (!check_noargs("dict.items", a)) return nullptr;
    return new_view(as_dict(self), &dict_items_type);
}

Ref dict_update_method(Value self, CallArgs a) {
    if (!update_common(as_dict(self), a, "update")) return nullptr;
    return Ref::none();
}

Ref dict_copy_method(Value self, CallArgs a) {
    if (!check_noargs("dict.copy", a)) return nullptr;
    return std::move(dict_copy(as_dict(self)));
}

Ref dict_clear_method(Value self, CallArgs a) {
    if (!check_noargs("dict.clear", a)) return nullptr;
    dict_clear(as_dict(self));
    return Ref::none();
}

Ref dict_fromkeys_method(Value cls, CallArgs a) {
    if (!check_positional("fromkeys", a, 1, 2)) return nullptr;
    Value value = a.npos > 1 ? a.args[1] : Value::none();
    Ref d = call(cls, std::initializer_list<Value>{});
    if (!d) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    bool exact = is_exact_dict(*d);
    while (true) {
        Ref k = iter_next(*it);
        if (!k) {
            if (error_occurred()) return nullptr;
            break;
        }
        bool ok = exact ? dict_set(d.as<Dict>(), *k, value) : setitem(*d, *k, value);
        if (!ok) return nullptr;
    }
    return d;
}

Ref dict_contains_method(Value self, CallArgs a) {
    if (!check_one_arg("dict.__contains__", a)) return nullptr;
    int r = dict_contains(as_dict(self), a.args[0]);
    if (r < 0) return nullptr;
    return Ref::boolean(r != 0);
}

Ref dict_getitem_method(Value self, CallArgs a) {
    if (!check_one_arg("dict.__getitem__", a)) return nullptr;
    return dict_subscript(self, a.args[0]);
}

Ref new_dict_iter(Dict* d, Type* type, bool reversed);

Ref dict_reversed_method(Value self, CallArgs a) {
    if (!check_noargs("dict.__reversed__", a)) return nullptr;
    return new_dict_iter(as_dict(self), &dict_reversekeyiterator_type, true);
}

Ref dict_iter_slot(Value self) { return new_dict_iter(as_dict(self), &dict_keyiterator_type, false); }

const MethodDef dict_methods[] = {
    {"get", dict_get_method},
    {"setdefault", dict_setdefault_method},
    {"pop", dict_pop_method},
    {"popitem", dict_popitem_method},
    {"keys", dict_keys_method},
    {"values", dict_values_method},
    {"items", dict_items_method},
    {"update", dict_update_method},
    {"copy", dict_copy_method},
    {"clear", dict_clear_method},
    {"fromkeys", dict_fromkeys_method, kMethodClass},
    {"__contains__", dict_contains_method},
    {"__getitem__", dict_getitem_method},
    {"__reversed__", dict_reversed_method},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

// --- iterators ------------------------------------------------------------------------------

struct DictIter : Object {
    Dict* dict;     // owned; null when exhausted
    int64_t used;   // d->used at creation; -1 once a size change was reported
    int64_t pos;    // next entry to look at (reverse: counts down)
    int64_t len;    // items left
};

enum class IterKind { kKeys, kValues, kItems };

Ref new_dict_iter(Dict* d, Type* type, bool reversed) {
    DictIter* it = new_object<DictIter>(type, 0);
    if (!it) return nullptr;
    incref(d);
    it->dict = d;
    it->used = d->used;
    it->len = d->used;
    it->pos = reversed ? d->nentries - 1 : 0;
    return Ref::steal(it);
}

void dict_iter_dealloc(Object* o) {
    DictIter* it = static_cast<DictIter*>(o);
    if (it->dict) decref(it->dict);
    object_free(o, sizeof(DictIter));
}

template <IterKind K, bool Reversed> Ref dict_iter_next(Value self) {
    DictIter* it = self.as<DictIter>();
    Dict* d = it->dict;
    if (!d) return nullptr;
    if (it->used != d->used) {
        it->used = -1;
        return raise(&exc::RuntimeError, "dictionary changed size during iteration");
    }
    int64_t i = it->pos;
    DictEntry* ep = nullptr;
    if (Reversed) {
        if (i >= d->nentries) i = d->nentries - 1;
        while (i >= 0 && d->entries[i].key.is_null()) --i;
        if (i >= 0) ep = &d->entries[i];
        it->pos = i - 1;
    } else {
        while (i < d->nentries && d->entries[i].key.is_null()) ++i;
        if (i < d->nentries) ep = &d->entries[i];
        it->pos = i + 1;
    }
    if (!ep) {
        it->dict = nullptr;
        it->len = 0;
        decref(d);
        return nullptr;
    }
    if (it->len == 0) {
        it->dict = nullptr;
        decref(d);
        return raise(&exc::RuntimeError, "dictionary keys changed during iteration");
    }
    it->len--;
    if (K == IterKind::kKeys) return Ref::borrow(ep->key);
    if (K == IterKind::kValues) return Ref::borrow(ep->value);
    RefT<Tuple> t = new_tuple(2);
    if (!t) return nullptr;
    incref(ep->key);
    incref(ep->value);
    t->items[0] = ep->key;
    t->begin()[1] = ep->value;
    return t;
}

Ref dict_iter_length_hint(Value self, CallArgs a) {
    DictIter* it = self.as<DictIter>();
    int64_t n = 0;
    if (it->dict && it->used == it->dict->used) n = it->len;
    return make_int(n);
}

const MethodDef dict_iter_methods[] = {
    {"__length_hint__", dict_iter_length_hint},
    {nullptr, nullptr},
};

// --- views ----------------------------------------------------------------------------------

struct DictView : Object {
    Dict* dict;  // owned
};

Ref new_view(Dict* d, Type* type) {
    DictView* v = new_object<DictView>(type, 0);
    if (!v) return nullptr;
    incref(d);
    v->dict = d;
    return Ref::steal(v);
}

void view_dealloc(Object* o) {
    DictView* v = static_cast<DictView*>(o);
    decref(v->dict);
    object_free(o, sizeof(DictView));
}

int64_t view_len(Value self) { return self.as<DictView>()->dict->used; }

Ref view_repr(Value self) {
    DictView* v = self.as<DictView>();
    if (repr_enter(v)) return str_from("...");
    Ref l;
    Type* t = self.as_object()->type;
    if (t == &dict_keys_type)
        l = dict_keys_to_list(v->dict);
    else if (t == &dict_values_type)
        l = dict_values_to_list(v->dict);
    else
        l = dict_items_to_list(v->dict);
    Ref r = l ? repr(*l) : nullptr;
    repr_leave(v);
    if (!r) return nullptr;
    std::string out = t->name;
    out += '(';
    out += r.as<Str>()->view();
    out += ')';
    return str_from(out);
}

Ref keys_iter(Value self) {
    return new_dict_iter(self.as<DictView>()->dict, &dict_keyiterator_type, false);
}
Ref values_iter(Value self) {
    return new_dict_iter(self.as<DictView>()->dict, &dict_valueiterator_type, false);
}
Ref items_iter(Value self) {
    return new_dict_iter(self.as<DictView>()->dict, &dict_itemiterator_type, false);
}

Ref keys_reversed(Value self, CallArgs a) {
    if (!check_noargs("dict_keys.__reversed__", a)) return nullptr;
    return new_dict_iter(self.as<DictView>()->dict, &dict_reversekeyiterator_type, true);
}
Ref values_reversed(Value self, CallArgs a) {
    if (!check_noargs("dict_values.__reversed__", a)) return nullptr;
    return new_dict_iter(self.as<DictView>()->dict, &dict_reversevalueiterator_type, true);
}
Ref items_reversed(Value self, CallArgs a) {
    if (!check_noargs("dict_items.__reversed__", a)) return nullptr;
    return new_dict_iter(self.as<DictView>()->dict, &dict_reverseitemiterator_type, true);
}

int keys_contains(Value self, Value key) { return dict_contains(self.as<DictView>()->dict, key); }

int items_contains(Value self, Value item) {
    if (!is_tuple(item) || item.as<Tuple>()->size != 2) return 0;
    Tuple* t = item.as<Tuple>();
    Dict* d = self.as<DictView>()->dict;
    Ref key = Ref::borrow(t->items[0]);
    Value v = dict_get(d, *key);
    if (v.is_null()) return error_occurred() ? -1 : 0;
    Ref hold = Ref::borrow(v);
    return eq_fast(v, t->begin()[1]);
}

bool is_keys_like(Value v) {
    return v.is_object() &&
           (v.as_object()->type == &dict_keys_type || v.as_object()->type == &dict_items_type);
}

// The set operations of keys/items views: computed on a set built from the left operand.
Ref view_setop(Value a, Value b, BinOp op) {
    Value self = a, other = b;
    if (!is_keys_like(self)) std::swap(self, other);
    Ref s = new_set();
    if (!s) return nullptr;
    if (!set_update(*s, self)) return nullptr;
    static Str* names[] = {intern("update"), intern("intersection_update"),
                           intern("difference_update"), intern("symmetric_difference_update")};
    Str* name;
    Value arg = other;
    Ref tmp;
    switch (op) {
        case BinOp::kOr: name = names[0]; break;
        case BinOp::kAnd: name = names[1]; break;
        case BinOp::kSub:
            name = names[2];
            if (!a.is(self)) {
                // other - view: a set from `other` minus the view.
                s = new_set();
                if (!s || !set_update(*s, a)) return nullptr;
                arg = self;
            }
            break;
        default: name = names[3]; break;
    }
    Ref r = call_method(*s, name, {arg});
    if (!r) return nullptr;
    return s;
}

Ref view_or(Value a, Value b) { return view_setop(a, b, BinOp::kOr); }
Ref view_and(Value a, Value b) { return view_setop(a, b, BinOp::kAnd); }
Ref view_sub(Value a, Value b) { return view_setop(a, b, BinOp::kSub); }
Ref view_xor(Value a, Value b) { return view_setop(a, b, BinOp::kXor); }

// All items of `a` are contained in `b`.
int all_contained_in(Value a, Value b) {
    Ref it = get_iter(a);
    if (!it) return -1;
    while (true) {
        Ref x = iter_next(*it);
        if (!x) return error_occurred() ? -1 : 1;
        int r = contains(b, *x);
        if (r <= 0) return r;
    }
}

Ref view_compare(Value a, Value b, CmpOp op) {
    Type* bt = type_of(b);
    bool b_setlike = is_keys_like(b) || bt == &set_type || bt == &frozenset_type ||
                     is_subtype(bt, &set_type) || is_subtype(bt, &frozenset_type);
    if (!b_setlike) return Ref::not_implemented();
    int64_t la = length(a), lb = length(b);
    if (la < 0 || lb < 0) return nullptr;
    int ok = 0;
    switch (op) {
        case CmpOp::kEq:
        case CmpOp::kNe:
            ok = la == lb ? all_contained_in(a, b) : 0;
            break;
        case CmpOp::kLt: ok = la < lb ? all_contained_in(a, b) : 0; break;
        case CmpOp::kLe: ok = la <= lb ? all_contained_in(a, b) : 0; break;
        case CmpOp::kGt: ok = la > lb ? all_contained_in(b, a) : 0; break;
        case CmpOp::kGe: ok = la >= lb ? all_contained_in(b, a) : 0; break;
    }
    if (ok < 0) return nullptr;
    if (op == CmpOp::kNe) ok = !ok;
    return Ref::boolean(ok != 0);
}

Ref view_isdisjoint(Value self, CallArgs a) {
    if (!check_one_arg("isdisjoint", a)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    while (true) {
        Ref x = iter_next(*it);
        if (!x) {
            if (error_occurred()) return nullptr;
            return Ref::boolean(true);
        }
        int r = contains(self, *x);
        if (r < 0) return nullptr;
        if (r) return Ref::boolean(false);
    }
}

const MethodDef keys_methods[] = {
    {"isdisjoint", view_isdisjoint},
    {"__reversed__", keys_reversed},
    {nullptr, nullptr},
};
const MethodDef values_methods[] = {
    {"__reversed__", values_reversed},
    {nullptr, nullptr},
};
const MethodDef items_methods[] = {
    {"isdisjoint", view_isdisjoint},
    {"__reversed__", items_reversed},
    {nullptr, nullptr},
};

void init_iter_type(Type* t, const char* name, NextSlot next) {
    t->name = name;
    t->basic_size = sizeof(DictIter);
    t->flags |= kImmutableType;
    t->methods = dict_iter_methods;
    t->dealloc = dict_iter_dealloc;
    t->iter = iter_self;
    t->next = next;
    type_ready(t, &object_type);
}

void init_view_type(Type* t, const char* name, const MethodDef* methods, IterSlot iter,
                    ContainsSlot contains_slot, bool setlike) {
    t->name = name;
    t->basic_size = sizeof(DictView);
    t->flags |= kImmutableType;
    t->methods = methods;
    t->dealloc = view_dealloc;
    t->repr = view_repr;
    t->hash = unhashable_hash;
    t->len = view_len;
    t->iter = iter;
    t->contains = contains_slot;
    if (setlike) {
        t->compare = view_compare;
        t->binary[static_cast<int>(BinOp::kOr)] = view_or;
        t->binary[static_cast<int>(BinOp::kAnd)] = view_and;
        t->binary[static_cast<int>(BinOp::kSub)] = view_sub;
        t->binary[static_cast<int>(BinOp::kXor)] = view_xor;
    }
    type_ready(t, &object_type);
}

}  // namespace

// --- public ---------------------------------------------------------------------------------

Ref set_key_error(Value key) {
    Ref e = call(Value::object(&exc::KeyError), {key});
    if (!e) return nullptr;
    restore_error(std::move(e));
    return nullptr;
}

RefT<Dict> new_dict(int64_t reserve) {
    Dict* d;
    if (t_dc.ndicts > 0) {
        d = t_dc.dicts[--t_dc.ndicts];  // fields were reset by dict_dealloc
        d->refcnt = 1;
    } else {
        d = new_object<Dict>(&dict_type, 0);
        if (!d) return nullptr;
    }
    RefT<Dict> r = RefT<Dict>::steal(d);
    d->version = next_version();
    if (reserve > 0) {
        int64_t size = kMinSize;
        while (usable_for(size) < reserve) size <<= 1;
        if (!alloc_table(d, size)) return nullptr;
    }
    return r;
}

Value dict_get(Dict* d, Value key) {
    int64_t h;
    if (!hash_fast(key, &h)) return Value::null();
    return dict_get_known_hash(d, key, h);
}

Value dict_get_known_hash(Dict* d, Value key, int64_t hash) {
    int64_t ix = lookup(d, key, hash, nullptr);
    if (ix < 0) return Value::null();
    return d->entries[ix].value;
}

Value dict_get_str(Dict* d, Str* key) {
    int64_t h = key->hash != -1 ? key->hash : str_hash(key);
    int64_t ix = lookup_str(d, key, h);
    if (ix < 0) return Value::null();
    return d->entries[ix].value;
}

int64_t dict_lookup_index(Dict* d, Value key, int64_t hash) {
    int64_t ix = lookup(d, key, hash, nullptr);
    if (ix < 0) {
        if (ix == kError) clear_error();
        return -1;
    }
    return ix;
}

bool dict_set(Dict* d, Value key, Value value) {
    int64_t h;
    if (!hash_fast(key, &h)) return false;
    return dict_set_known_hash(d, key, h, value);
}

bool dict_set_known_hash(Dict* d, Value key, int64_t hash, Value value) {
    incref(value);
    return set_steal_value(d, key, hash, value);
}

bool dict_set_str(Dict* d, Str* key, Value value) {
    int64_t h = key->hash != -1 ? key->hash : str_hash(key);
    int64_t ix = lookup_str(d, key, h);
    incref(value);
    if (ix >= 0) {
        DictEntry* ep = &d->entries[ix];
        Value old = ep->value;
        ep->value = value;
        d->version = next_version();
        decref(old);
        return true;
    }
    incref(key);
    return insert_new(d, Value::object(key), h, value);
}

int dict_del(Dict* d, Value key) {
    int64_t h;
    if (!hash_fast(key, &h)) return -1;
    size_t slot;
    int64_t ix = lookup(d, key, h, &slot);
    if (ix == kError) return -1;
    if (ix < 0) return 0;
    delete_at(d, slot, ix);
    return 1;
}

int dict_contains(Dict* d, Value key) {
    int64_t h;
    if (!hash_fast(key, &h)) return -1;
    int64_t ix = lookup(d, key, h, nullptr);
    if (ix == kError) return -1;
    return ix >= 0 ? 1 : 0;
}

Ref dict_pop(Dict* d, Value key, Value deflt) {
    int64_t h;
    if (!hash_fast(key, &h)) return nullptr;
    size_t slot;
    int64_t ix = lookup(d, key, h, &slot);
    if (ix == kError) return nullptr;
    if (ix < 0) {
        if (!deflt.is_null()) return Ref::borrow(deflt);
        return set_key_error(key);
    }
    Ref v = Ref::borrow(d->entries[ix].value);
    delete_at(d, slot, ix);
    return v;
}

bool dict_next(Dict* d, int64_t* pos, Value* key, Value* value) {
    int64_t h;
    return dict_next_hash(d, pos, key, value, &h);
}

bool dict_next_hash(Dict* d, int64_t* pos, Value* key, Value* value, int64_t* hash) {
    int64_t i = *pos;
    if (i < 0) return false;
    while (i < d->nentries && d->entries[i].key.is_null()) ++i;
    if (i >= d->nentries) {
        *pos = i;
        return false;
    }
    DictEntry* ep = &d->entries[i];
    if (key) *key = ep->key;
    if (value) *value = ep->value;
    if (hash) *hash = ep->hash;
    *pos = i + 1;
    return true;
}

bool dict_merge(Dict* a, Value b, int override) {
    static Str* keys_name = intern("keys");
    if (is_dict(b) && (b.as_object()->type == &dict_type ||
                       b.as_object()->type->iter == dict_type.iter)) {
        Dict* other = as_dict(b);
        if (other == a || other->used == 0) return true;
        if (a->used == 0 && override != 2 && a->nentries == 0) {
            // Grow once up front.
            int64_t size = kMinSize;
            while (usable_for(size) < other->used) size <<= 1;
            if (size > a->index_size) {
                if (a->index) free_table(a->index, a->index_size);
                a->index = nullptr;
                if (!alloc_table(a, size)) return false;
            }
        }
        for (int64_t i = 0; i < other->nentries; ++i) {
            DictEntry* ep = &other->entries[i];
            if (ep->key.is_null()) continue;
            Ref k = Ref::borrow(ep->key);
            Ref v = Ref::borrow(ep->value);
            int64_t h = ep->hash;
            if (override == 1) {
                if (!dict_set_known_hash(a, *k, h, *v)) return false;
            } else {
                int64_t ix = lookup(a, *k, h, nullptr);
                if (ix == kError) return false;
                if (ix >= 0) {
                    if (override == 2) {
                        (void)set_key_error(*k);
                        return false;
                    }
                    continue;
                }
                incref(*k);
                incref(*v);
                if (!insert_new(a, *k, h, *v)) return false;
            }
            if (other->used == 0 || i >= other->nentries) break;
        }
        return true;
    }
    // A generic mapping: keys() then b[key].
    Ref keys = call_method(b, keys_name, {});
    if (!keys) return false;
    Ref it = get_iter(*keys);
    if (!it) return false;
    while (true) {
        Ref k = iter_next(*it);
        if (!k) return !error_occurred();
        if (override != 1) {
            int r = dict_contains(a, *k);
            if (r < 0) return false;
            if (r) {
                if (override == 2) {
                    (void)set_key_error(*k);
                    return false;
                }
                continue;
            }
        }
        Ref v = getitem(b, *k);
        if (!v) return false;
        if (!dict_set(a, *k, *v)) return false;
    }
}

bool dict_update(Dict* d, Value mapping) { return dict_merge(d, mapping, 1); }

bool dict_update_arg(Dict* d, Value arg) {
    static Str* keys_name = intern("keys");
    if (is_dict(arg)) return dict_merge(d, arg, 1);
    Ref keys = getattr_or_null(arg, keys_name);
    if (keys) return dict_merge(d, arg, 1);
    if (error_occurred()) return false;
    // An iterable of pairs.
    Ref it = get_iter(arg);
    if (!it) return false;
    for (int64_t i = 0;; ++i) {
        Ref item = iter_next(*it);
        if (!item) return !error_occurred();
        Value k, v;
        Ref fast;
        if (is_exact_tuple(*item) || is_exact_list(*item)) {
            fast = std::move(item);
        } else {
            Ref iit = get_iter(*item);
            if (!iit) {
                if (error_matches(&exc::TypeError)) {
                    clear_error();
                    (void)raisef(&exc::TypeError,
                           "cannot convert dictionary update sequence element #{} to a sequence", i);
                }
                return false;
            }
            fast = sequence_list(*item);
            if (!fast) return false;
        }
        int64_t n;
        const Value* items;
        if (is_exact_tuple(*fast)) {
            n = fast.as<Tuple>()->size;
            items = fast.as<Tuple>()->items;
        } else {
            n = fast.as<List>()->size;
            items = fast.as<List>()->items;
        }
        if (n != 2) {
            (void)raisef(&exc::ValueError,
                   "dictionary update sequence element #{} has length {}; 2 is required", i, n);
            return false;
        }
        k = items[0];
        v = items[1];
        Ref kh = Ref::borrow(k), vh = Ref::borrow(v);
        if (!dict_set(d, k, v)) return false;
    }
}

RefT<Dict> dict_copy(Dict* d) {
    RefT<Dict> r = new_dict();
    if (!r) return nullptr;
    if (d->used == 0) return r;
    int64_t size = kMinSize;
    while (usable_for(size) < d->used) size <<= 1;
    if (!alloc_table(r.get(), size)) return nullptr;
    Dict* c = r.get();
    int64_t n = 0;
    for (int64_t i = 0; i < d->nentries; ++i) {
        DictEntry& e = d->entries[i];
        if (e.key.is_null()) continue;
        incref(e.key);
        incref(e.value);
        c->entries[n] = e;
        c->index[find_empty_slot(c, e.hash)] = n;
        ++n;
    }
    c->nentries = n;
    c->used = n;
    c->version = next_version();
    return r;
}

void dict_clear(Dict* d) {
    int64_t* index = d->index;
    DictEntry* entries = d->entries;
    int64_t n = d->nentries;
    int64_t size = d->index_size;
    d->index = nullptr;
    d->entries = nullptr;
    d->used = d->nentries = d->capacity = d->index_size = 0;
    d->version = next_version();
    for (int64_t i = 0; i < n; ++i) {
        decref(entries[i].key);
        decref(entries[i].value);
    }
    if (index) free_table(index, size);
}

Ref dict_keys_to_list(Dict* d) {
    RefT<List> l = new_list(d->used);
    if (!l) return nullptr;
    for (int64_t i = 0; i < d->nentries; ++i)
        if (!d->entries[i].key.is_null()) {
            incref(d->entries[i].key);
            l->items[l->size++] = d->entries[i].key;
        }
    return l;
}

Ref dict_values_to_list(Dict* d) {
    RefT<List> l = new_list(d->used);
    if (!l) return nullptr;
    for (int64_t i = 0; i < d->nentries; ++i)
        if (!d->entries[i].key.is_null()) {
            incref(d->entries[i].value);
            l->items[l->size++] = d->entries[i].value;
        }
    return l;
}

Ref dict_items_to_list(Dict* d) {
    int64_t n = d->used;
    RefT<List> l = new_list(n);
    if (!l) return nullptr;
    // Allocate the tuples first: allocation cannot run Toy code, but keep it simple and safe.
    for (int64_t i = 0; i < d->nentries && l->size < n; ++i) {
        DictEntry& e = d->entries[i];
        if (e.key.is_null()) continue;
        RefT<Tuple> t = new_tuple(2);
        if (!t) return nullptr;
        incref(e.key);
        incref(e.value);
        t->items[0] = e.key;
        t->begin()[1] = e.value;
        l->items[l->size++] = Value::object(t.release());
    }
    return l;
}

void init_dict_type() {
    Type* t = &dict_type;
    t->name = "dict";
    t->basic_size = sizeof(Dict);
    t->flags |= kBaseType | kImmutableType | kDictSubclass;
    t->methods = dict_methods;
    t->dealloc = dict_dealloc;
    t->repr = dict_repr;
    t->hash = unhashable_hash;
    t->compare = dict_compare;
    t->binary[static_cast<int>(BinOp::kOr)] = dict_or;
    t->inplace[static_cast<int>(BinOp::kOr)] = dict_ior;
    t->len = dict_len;
    t->iter = dict_iter_slot;
    t->getitem = dict_subscript;
    t->setitem = dict_ass_sub;
    t->contains = dict_contains_slot;
    t->new_ = dict_new;
    t->init = dict_init;
    type_ready(t, &object_type);

    init_iter_type(&dict_keyiterator_type, "dict_keyiterator", dict_iter_next<IterKind::kKeys, false>);
    init_iter_type(&dict_valueiterator_type, "dict_valueiterator",
                   dict_iter_next<IterKind::kValues, false>);
    init_iter_type(&dict_itemiterator_type, "dict_itemiterator",
                   dict_iter_next<IterKind::kItems, false>);
    init_iter_type(&dict_reversekeyiterator_type, "dict_reversekeyiterator",
                   dict_iter_next<IterKind::kKeys, true>);
    init_iter_type(&dict_reversevalueiterator_type, "dict_reversevalueiterator",
                   dict_iter_next<IterKind::kValues, true>);
    init_iter_type(&dict_reverseitemiterator_type, "dict_reverseitemiterator",
                   dict_iter_next<IterKind::kItems, true>);

    init_view_type(&dict_keys_type, "dict_keys", keys_methods, keys_iter, keys_contains, true);
    init_view_type(&dict_values_type, "dict_values", values_methods, values_iter, nullptr, false);
    init_view_type(&dict_items_type, "dict_items", items_methods, items_iter, items_contains, true);
}

}  // namespace toy
