// tuple.cpp: the tuple type and its iterator.
//
// Items live inline after the header. Small exact tuples (size 1..kFreeSizes-1) are recycled
// through per-thread free lists, one per size (binary trees and calls create many). The empty
// tuple is a process-wide immortal singleton.
#include "runtime/tuple.h"

#include <cstring>
#include <string>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/errors.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/str.h"

namespace toy {

Type tuple_type;
Type tuple_iterator_type;

using namespace detail;

namespace {

constexpr int kFreeSizes = 20;
constexpr int kFreeMax = 2000;

inline size_t tuple_bytes(int64_t n) {
    return sizeof(Tuple) + (n > 1 ? static_cast<size_t>(n - 1) * sizeof(Value) : 0);
}

struct TupleFreeList {
    Tuple* head[kFreeSizes] = {};
    int count[kFreeSizes] = {};
    ~TupleFreeList() {
        for (int n = 1; n < kFreeSizes; ++n) {
            while (head[n]) {
                Tuple* t = head[n];
                head[n] = reinterpret_cast<Tuple*>(t->items[0].bits());
                object_free(t, tuple_bytes(n));
            }
        }
    }
};
thread_local TupleFreeList t_free;

// Extra bytes a heap subclass adds after the items (its basic_size beyond sizeof(Tuple)).
inline size_t subclass_extra(Type* type) {
    return type->basic_size > sizeof(Tuple) ? type->basic_size - sizeof(Tuple) : 0;
}

Tuple* alloc_tuple(Type* type, int64_t n) {
    if (n < 0 || n > (INT64_MAX / 16)) {
        (void)raise_no_memory();
        return nullptr;
    }
    Tuple* t;
    if (type == &tuple_type && n < kFreeSizes && t_free.head[n]) {
        t = t_free.head[n];
        t_free.head[n] = reinterpret_cast<Tuple*>(t->items[0].bits());
        --t_free.count[n];
        t->refcnt = 1;
    } else {
        size_t extra = tuple_bytes(n) - sizeof(Tuple);
        if (type != &tuple_type) extra += subclass_extra(type);
        t = new_object<Tuple>(type, extra);
        if (!t) return nullptr;
        if (type != &tuple_type) std::memset(static_cast<void*>(t->items + (n > 0 ? n : 1)), 0, subclass_extra(type));
    }
    t->size = n;
    t->hash = -1;
    for (int64_t i = 0; i < n; ++i) t->items[i] = Value::null();
    return t;
}

void tuple_dealloc(Object* o) {
    if (!trash_begin(o, tuple_dealloc)) return;
    Tuple* t = static_cast<Tuple*>(o);
    int64_t n = t->size;
    for (int64_t i = n; i-- > 0;) decref(t->items[i]);
    if (o->type == &tuple_type && n > 0 && n < kFreeSizes && t_free.count[n] < kFreeMax) {
        t->items[0] = Value::from_bits(reinterpret_cast<uint64_t>(t_free.head[n]));
        t_free.head[n] = t;
        ++t_free.count[n];
    } else {
        size_t bytes = tuple_bytes(n);
        if (o->type != &tuple_type) bytes += subclass_extra(o->type);
        object_free(o, bytes);
    }
    trash_end();
}

Ref tuple_repr(Value self) {
    Tuple* t = self.as<Tuple>();
    if (t->size == 0) return str_from("()");
    if (repr_enter(t)) return str_from("(...)");
    std::string out = "(";
    bool ok = true;
    {
        ok = true;
        for (int64_t i = 0; ok && i < t->size; ++i) {
            if (i > 0) out += ", ";
            ok = append_repr(out, t->items[i]);
        }
    }
    repr_leave(t);
    if (!ok) return nullptr;
    if (t->size == 1) out += ',';
    out += ')';
    return str_from(out);
}

constexpr uint64_t kXXPrime1 = 11400714785074694791ULL;
constexpr uint64_t kXXPrime2 = 14029467366897019727ULL;
constexpr uint64_t kXXPrime5 = 2870177450012600261ULL;

bool tuple_hash_slot(Value self, int64_t* out) {
    Tuple* t = self.as<Tuple>();
    if (t->hash != -1) {
        *out = t->hash;
        return true;
    }
    int64_t h;
    RecursionGuard guard("");  // hash() of a deeply nested tuple recurses in C
    if (!guard) return false;
    if (!tuple_hash_items(t->items, t->size, &h)) return false;
    t->hash = h;
    *out = h;
    return true;
}

Ref tuple_compare(Value a, Value b, CmpOp op) {
    if (!is_tuple(a) || !is_tuple(b)) return Ref::not_implemented();
    Tuple* v = a.as<Tuple>();
    Tuple* w = b.as<Tuple>();
    int64_t i = 0;
    for (; i < v->size && i < w->size; ++i) {
        int k = eq_fast(v->items[i], w->items[i]);
        if (k < 0) return nullptr;
        if (!k) break;
    }
    if (i >= v->size || i >= w->size) {
        int64_t x = v->size, y = w->size;
        bool r = false;
        switch (op) {
            case CmpOp::kLt: r = x < y; break;
            case CmpOp::kLe: r = x <= y; break;
            case CmpOp::kEq: r = x == y; break;
            case CmpOp::kNe: r = x != y; break;
            case CmpOp::kGt: r = x > y; break;
            case CmpOp::kGe: r = x >= y; break;
        }
        return Ref::boolean(r);
    }
    if (op == CmpOp::kEq) return Ref::boolean(false);
    if (op == CmpOp::kNe) return Ref::boolean(true);
    // Hold the items: the comparison may run code that drops the tuples' other owners.
    Ref x = Ref::borrow(v->items[i]);
    Ref y = Ref::borrow(w->items[i]);
    return rich_compare(*x, *y, op);
}

int64_t tuple_len(Value self) { return self.as<Tuple>()->size; }

Ref tuple_concat(Value a, Value b) {
    if (!is_tuple(a)) return Ref::not_implemented();
    if (!is_tuple(b)) {
        if (may_reflect(b, "__radd__")) return Ref::not_implemented();
        return raisef(&exc::TypeError, "can only concatenate tuple (not \"{}\") to tuple",
                      type_name(b));
    }
    Tuple* x = a.as<Tuple>();
    Tuple* y = b.as<Tuple>();
    if (y->size == 0 && is_exact_tuple(a)) return Ref::borrow(a);
    if (x->size == 0 && is_exact_tuple(b)) return Ref::borrow(b);
    RefT<Tuple> r = new_tuple(x->size + y->size);
    if (!r) return nullptr;
    for (int64_t i = 0; i < x->size; ++i) {
        incref(x->items[i]);
        r->items[i] = x->items[i];
    }
    for (int64_t i = 0; i < y->size; ++i) {
        incref(y->items[i]);
        r->items[x->size + i] = y->items[i];
    }
    return r;
}

Ref tuple_repeat(Value a, Value b) {
    Value seq = a, count = b;
    if (!is_tuple(seq)) std::swap(seq, count);
    if (!is_tuple(seq)) return Ref::not_implemented();
    if (!has_index(count)) {
        if (may_reflect(count, seq.is(a) ? "__rmul__" : "__mul__")) return Ref::not_implemented();
        return raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'",
                      type_name(count));
    }
    int64_t n;
    if (!index_value(count, &n)) return nullptr;
    Tuple* t = seq.as<Tuple>();
    if (n < 0) n = 0;
    if (t->size == 0 || n == 0) return Ref::borrow(empty_tuple());
    if (n == 1 && is_exact_tuple(seq)) return Ref::borrow(seq);
    if (n > INT64_MAX / 16 / t->size) return raise_no_memory();
    RefT<Tuple> r = new_tuple(t->size * n);
    if (!r) return nullptr;
    Value* p = r->items;
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < t->size; ++i) {
            incref(t->items[i]);
            *p++ = t->items[i];
        }
    return r;
}

int tuple_contains(Value self, Value item) {
    Tuple* t = self.as<Tuple>();
    for (int64_t i = 0; i < t->size; ++i) {
        int k = eq_fast(t->items[i], item);
        if (k != 0) return k;
    }
    return 0;
}

Ref tuple_getitem(Value self, Value key) {
    Tuple* t = self.as<Tuple>();
    if (key.is_small_int()) {
        int64_t i = key.as_small_int();
        if (i < 0) i += t->size;
        if (static_cast<uint64_t>(i) >= static_cast<uint64_t>(t->size))
            return raise(&exc::IndexError, "tuple index out of range");
        return Ref::borrow(t->items[i]);
    }
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, len;
        if (!slice_indices(key.as<Slice>(), t->size, &start, &stop, &step, &len)) return nullptr;
        if (len <= 0) return Ref::borrow(empty_tuple());
        if (step == 1 && len == t->size && is_exact_tuple(self)) return Ref::borrow(self);
        RefT<Tuple> r = new_tuple(len);
        if (!r) return nullptr;
        for (int64_t i = 0, j = start; i < len; ++i, j += step) {
            incref(t->items[j]);
            r->items[i] = t->items[j];
        }
        return r;
    }
    if (has_index(key)) {
        int64_t i;
        if (!index_value(key, &i)) return nullptr;
        if (i < 0) i += t->size;
        if (i < 0 || i >= t->size) return raise(&exc::IndexError, "tuple index out of range");
        return Ref::borrow(t->items[i]);
    }
    return raisef(&exc::TypeError, "tuple indices must be integers or slices, not {}",
                  type_name(key));
}

Ref tuple_new(Type* type, CallArgs a) {
    if (type == &tuple_type && !no_kw("tuple", a)) return nullptr;
    if (a.npos > 1)
        return raisef(&exc::TypeError, "tuple expected at most 1 argument, got {}", a.npos);
    if (type == &tuple_type) {
        if (a.npos == 0) return Ref::borrow(empty_tuple());
        return sequence_tuple(a.args[0]);
    }
    // A subclass: build the items, then copy them into an instance of `type`.
    Ref items = a.npos == 0 ? Ref::borrow(empty_tuple()) : sequence_tuple(a.args[0]);
    if (!items) return nullptr;
    Tuple* src = items.as<Tuple>();
    Tuple* t = alloc_tuple(type, src->size);
    if (!t) return nullptr;
    for (int64_t i = 0; i < src->size; ++i) {
        incref(src->items[i]);
        t->items[i] = src->items[i];
    }
    return Ref::steal(t);
}

// --- methods --------------------------------------------------------------------------------

Ref tuple_count_method(Value self, CallArgs a) {
    if (!check_one_arg("tuple.count", a)) return nullptr;
    Tuple* t = self.as<Tuple>();
    int64_t n = 0;
    for (int64_t i = 0; i < t->size; ++i) {
        int k = eq_fast(t->items[i], a.args[0]);
        if (k < 0) return nullptr;
        n += k;
    }
    return make_int(n);
}

Ref tuple_index_method(Value self, CallArgs a) {
    if (!check_positional("index", a, 1, 3)) return nullptr;
    Tuple* t = self.as<Tuple>();
    int64_t start = 0, stop = INT64_MAX;
    if (a.npos > 1 && !slice_index_arg(a.args[1], &start)) return nullptr;
    if (a.npos > 2 && !slice_index_arg(a.args[2], &stop)) return nullptr;
    start = clamp_index(start, t->size);
    stop = clamp_index(stop, t->size);
    for (int64_t i = start; i < stop && i < t->size; ++i) {
        int k = eq_fast(t->items[i], a.args[0]);
        if (k < 0) return nullptr;
        if (k) return make_int(i);
    }
    return raise(&exc::ValueError, "tuple.index(x): x not in tuple");
}

Ref tuple_getnewargs_method(Value self, CallArgs a) {
    if (!check_noargs("tuple.__getnewargs__", a)) return nullptr;
    Tuple* t = self.as<Tuple>();
    RefT<Tuple> copy = new_tuple_from(t->items, t->size);
    if (!copy) return nullptr;
    Value v = copy.value();
    return std::move(new_tuple_of({v}));
}

const MethodDef tuple_methods[] = {
    {"count", tuple_count_method},
    {"index", tuple_index_method},
    {"__getnewargs__", tuple_getnewargs_method},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

// --- iterator -------------------------------------------------------------------------------

void tuple_iter_dealloc(Object* o) {
    TupleIter* it = static_cast<TupleIter*>(o);
    if (it->seq) decref(it->seq);
    object_free(o, sizeof(TupleIter));
}



Ref tuple_iter_next(Value self) {
    TupleIter* it = self.as<TupleIter>();
    Tuple* t = it->seq;
    if (!t) return nullptr;
    if (it->index < t->size) return Ref::borrow(t->items[it->index++]);
    it->seq = nullptr;
    decref(t);
    return nullptr;
}

Ref tuple_iter_length_hint(Value self, CallArgs a) {
    TupleIter* it = self.as<TupleIter>();
    int64_t n = it->seq ? it->seq->size - it->index : 0;
    return make_int(n < 0 ? 0 : n);
}

const MethodDef tuple_iter_methods[] = {
    {"__length_hint__", tuple_iter_length_hint},
    {nullptr, nullptr},
};

}  // namespace

// --- public ---------------------------------------------------------------------------------

Tuple* empty_tuple() {
    static Tuple* e = [] {
        Tuple* t = new_object<Tuple>(&tuple_type, 0);
        t->size = 0;
        t->hash = -1;
        make_immortal(t);
        return t;
    }();
    return e;
}

RefT<Tuple> new_tuple(int64_t n) {
    if (n == 0) return RefT<Tuple>::borrow(empty_tuple());
    return RefT<Tuple>::steal(alloc_tuple(&tuple_type, n));
}

RefT<Tuple> new_tuple_from(const Value* items, int64_t n) {
    RefT<Tuple> t = new_tuple(n);
    if (!t) return nullptr;
    for (int64_t i = 0; i < n; ++i) {
        incref(items[i]);
        t->items[i] = items[i];
    }
    return t;
}

RefT<Tuple> new_tuple_of(std::initializer_list<Value> items) {
    return new_tuple_from(items.begin(), static_cast<int64_t>(items.size()));
}

RefT<Tuple> tuple_slice(Tuple* t, int64_t start, int64_t stop) {
    start = clamp_index(start, t->size);
    stop = clamp_index(stop, t->size);
    if (stop < start) stop = start;
    return new_tuple_from(t->items + start, stop - start);
}

bool tuple_hash_items(const Value* items, int64_t n, int64_t* out) {
    uint64_t acc = kXXPrime5;
    for (int64_t i = 0; i < n; ++i) {
        int64_t h;
        if (!hash_fast(items[i], &h)) return false;
        acc += static_cast<uint64_t>(h) * kXXPrime2;
        acc = (acc << 31) | (acc >> 33);
        acc *= kXXPrime1;
    }
    acc += static_cast<uint64_t>(n) ^ (kXXPrime5 ^ 3527539ULL);
    if (acc == static_cast<uint64_t>(-1)) {
        *out = 1546275796;
        return true;
    }
    *out = static_cast<int64_t>(acc);
    return true;
}

Ref sequence_tuple(Value v) {
    if (is_exact_tuple(v)) return Ref::borrow(v);
    if (is_list(v)) {
        List* l = v.as<List>();
        return std::move(new_tuple_from(l->items, l->size));
    }
    RefT<List> l = new_list();
    if (!l) return nullptr;
    if (!list_extend(l.get(), v)) return nullptr;
    return std::move(new_tuple_from(l->items, l->size));
}

Ref tuple_iter(Value v) {
    TupleIter* it = new_object<TupleIter>(&tuple_iterator_type, 0);
    if (!it) return nullptr;
    it->seq = v.as<Tuple>();
    incref(it->seq);
    it->index = 0;
    return Ref::steal(it);
}

void init_tuple_type() {
    Type* t = &tuple_type;
    t->name = "tuple";
    t->basic_size = sizeof(Tuple);
    t->flags |= kBaseType | kImmutableType | kTupleSubclass;
    t->methods = tuple_methods;
    t->dealloc = tuple_dealloc;
    t->repr = tuple_repr;
    t->hash = tuple_hash_slot;
    t->compare = tuple_compare;
    t->binary[static_cast<int>(BinOp::kAdd)] = tuple_concat;
    t->binary[static_cast<int>(BinOp::kMul)] = tuple_repeat;
    t->len = tuple_len;
    t->iter = tuple_iter;
    t->getitem = tuple_getitem;
    t->contains = tuple_contains;
    t->new_ = tuple_new;
    type_ready(t, &object_type);

    Type* it = &tuple_iterator_type;
    it->name = "tuple_iterator";
    it->basic_size = sizeof(TupleIter);
    it->flags |= kImmutableType;
    it->methods = tuple_iter_methods;
    it->dealloc = tuple_iter_dealloc;
    it->iter = iter_self;
    it->next = tuple_iter_next;
    type_ready(it, &object_type);
    (void)empty_tuple();
}

}  // namespace toy
