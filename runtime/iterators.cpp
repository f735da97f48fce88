// iterators.cpp: enumerate, zip, map, filter, reversed, the sequence iterator and
// callable_iterator (CPython's enumobject.c, bltinmodule.c's zip/map/filter, iterobject.c).
#include "runtime/iterators.h"

#include <cstring>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type enumerate_type;
Type zip_type;
Type map_type;
Type filter_type;
Type reversed_type;
Type seq_iterator_type;
Type callable_iterator_type;

using namespace detail;

namespace {

// Allocates an iterator object of `type` (a subclass adds bytes past T), zeroing the extra.
template <class T> T* alloc_iter(Type* type) {
    size_t extra = type->basic_size > sizeof(T) ? type->basic_size - sizeof(T) : 0;
    T* o = new_object<T>(type, extra);
    if (o && extra) std::memset(reinterpret_cast<char*>(o) + sizeof(T), 0, extra);
    return o;
}

inline size_t obj_size(Object* o, size_t base) {
    return o->type->basic_size > base ? o->type->basic_size : base;
}

// True if the current exception is IndexError or StopIteration (then it is cleared).
bool clear_if_end_of_sequence() {
    if (error_matches(&exc::IndexError) || error_matches(&exc::StopIteration)) {
        clear_error();
        return true;
    }
    return false;
}

// A `next` that treats a leaked StopIteration as exhaustion.
inline Ref next_of(Value it) {
    Type* t = it.as_object()->type;
    Ref r = t->next ? t->next(it) : iter_next(it);
    return r;
}

// --- enumerate ------------------------------------------------------------------------------

struct EnumerateObj : Object {
    Value it;       // owned iterator
    int64_t index;  // next count
};

void enumerate_dealloc(Object* o) {
    if (!trash_begin(o, enumerate_dealloc)) return;
    EnumerateObj* e = static_cast<EnumerateObj*>(o);
    decref(e->it);
    object_free(o, obj_size(o, sizeof(EnumerateObj)));
    trash_end();
}

Ref enumerate_new(Type* type, CallArgs a) {
    Value iterable = Value::null(), start = Value::null();
    if (a.npos + a.nkw() > 2)
        return raisef(&exc::TypeError, "enumerate() takes at most 2 arguments ({} given)",
                      a.npos + a.nkw());
    if (a.npos > 0) iterable = a.args[0];
    if (a.npos > 1) start = a.args[1];
    for (size_t i = 0; i < a.nkw(); ++i) {
        std::string_view n = a.kwnames->items[i].as<Str>()->view();
        Value v = a.args[a.npos + i];
        if (n == "iterable" && iterable.is_null()) {
            iterable = v;
        } else if (n == "start" && start.is_null()) {
            start = v;
        } else if (n == "iterable" || n == "start") {
            return raisef(&exc::TypeError,
                          "argument for enumerate() given by name ('{}') and position ({})", n,
                          n == "iterable" ? 1 : 2);
        } else {
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for enumerate()",
                          n);
        }
    }
    if (iterable.is_null())
        return raise(&exc::TypeError, "enumerate() missing required argument 'iterable'");
    int64_t index = 0;
    if (!start.is_null()) {
        if (!has_index(start))
            return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                          type_name(start));
        if (!index_value(start, &index)) return nullptr;
    }
    Ref it = get_iter(iterable);
    if (!it) return nullptr;
    EnumerateObj* e = alloc_iter<EnumerateObj>(type);
    if (!e) return nullptr;
    e->it = it.release();
    e->index = index;
    return Ref::steal(e);
}

Ref enumerate_next(Value self) {
    EnumerateObj* e = self.as<EnumerateObj>();
    Ref item = next_of(e->it);
    if (!item) return nullptr;
    Ref idx = make_int(e->index);
    if (!idx) return nullptr;
    if (e->index == INT64_MAX)
        return raise(&exc::OverflowError, "enumerate() count overflowed int64");
    e->index++;
    RefT<Tuple> t = new_tuple(2);
    if (!t) return nullptr;
    t->items[0] = idx.release();
    t->begin()[1] = item.release();
    return t;
}

// --- zip ------------------------------------------------------------------------------------

struct ZipObj : Object {
    Tuple* iters;  // owned tuple of iterators
    bool strict;
};

void zip_dealloc(Object* o) {
    if (!trash_begin(o, zip_dealloc)) return;
    ZipObj* z = static_cast<ZipObj*>(o);
    decref(z->iters);
    object_free(o, obj_size(o, sizeof(ZipObj)));
    trash_end();
}

Ref zip_new(Type* type, CallArgs a) {
    bool strict = false;
    if (a.nkw() > 1)
        return raisef(&exc::TypeError, "zip() takes at most 1 keyword argument ({} given)",
                      a.nkw());
    for (size_t i = 0; i < a.nkw(); ++i) {
        std::string_view n = a.kwnames->items[i].as<Str>()->view();
        if (n != "strict")
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for zip()", n);
        int t = truthy(a.args[a.npos + i]);
        if (t < 0) return nullptr;
        strict = t != 0;
    }
    RefT<Tuple> iters = new_tuple(static_cast<int64_t>(a.npos));
    if (!iters) return nullptr;
    for (size_t i = 0; i < a.npos; ++i) {
        Ref it = get_iter(a.args[i]);
        if (!it) return nullptr;
        iters->items[i] = it.release();
    }
    ZipObj* z = alloc_iter<ZipObj>(type);
    if (!z) return nullptr;
    z->iters = iters.release();
    z->strict = strict;
    return Ref::steal(z);
}

Ref zip_next(Value self) {
    ZipObj* z = self.as<ZipObj>();
    int64_t n = z->iters->size;
    if (n == 0) return nullptr;
    RefT<Tuple> result = new_tuple(n);
    if (!result) return nullptr;
    for (int64_t i = 0; i < n; ++i) {
        Ref item = next_of(z->iters->items[i]);
        if (!item) {
            if (error_occurred()) {
                if (!z->strict || !error_matches(&exc::StopIteration)) return nullptr;
                clear_error();
            }
            if (!z->strict) return nullptr;
            if (i > 0) {
                return raisef(&exc::ValueError, "zip() argument {} is shorter than argument{}{}",
                              i + 1, i == 1 ? " " : "s 1-", i);
            }
            for (int64_t j = 1; j < n; ++j) {
                Ref extra = next_of(z->iters->items[j]);
                if (extra) {
                    return raisef(&exc::ValueError,
                                  "zip() argument {} is longer than argument{}{}", j + 1,
                                  j == 1 ? " " : "s 1-", j);
                }
                if (error_occurred()) {
                    if (!error_matches(&exc::StopIteration)) return nullptr;
                    clear_error();
                }
            }
            return nullptr;
        }
        result->items[i] = item.release();
    }
    return result;
}

// --- map ------------------------------------------------------------------------------------

struct MapObj : Object {
    Value func;    // owned
    Tuple* iters;  // owned
};

void map_dealloc(Object* o) {
    if (!trash_begin(o, map_dealloc)) return;
    MapObj* m = static_cast<MapObj*>(o);
    decref(m->func);
    decref(m->iters);
    object_free(o, obj_size(o, sizeof(MapObj)));
    trash_end();
}

Ref map_new(Type* type, CallArgs a) {
    if (type == &map_type && !no_kw("map", a)) return nullptr;
    if (a.npos < 2) return raise(&exc::TypeError, "map() must have at least two arguments.");
    int64_t n = static_cast<int64_t>(a.npos) - 1;
    RefT<Tuple> iters = new_tuple(n);
    if (!iters) return nullptr;
    for (int64_t i = 0; i < n; ++i) {
        Ref it = get_iter(a.args[i + 1]);
        if (!it) return nullptr;
        iters->items[i] = it.release();
    }
    MapObj* m = alloc_iter<MapObj>(type);
    if (!m) return nullptr;
    incref(a.args[0]);
    m->func = a.args[0];
    m->iters = iters.release();
    return Ref::steal(m);
}

Ref map_next(Value self) {
    MapObj* m = self.as<MapObj>();
    int64_t n = m->iters->size;
    constexpr int64_t kSmall = 5;
    Value small[kSmall];
    Ref holders_small[kSmall];
    std::vector<Ref> holders;
    Value* args = small;
    std::vector<Value> big;
    if (n > kSmall) {
        big.resize(static_cast<size_t>(n));
        holders.resize(static_cast<size_t>(n));
        args = big.data();
    }
    for (int64_t i = 0; i < n; ++i) {
        Ref item = next_of(m->iters->items[i]);
        if (!item) return nullptr;
        args[i] = *item;
        if (n > kSmall)
            holders[i] = std::move(item);
        else
            holders_small[i] = std::move(item);
    }
    CallArgs ca;
    ca.args = args;
    ca.npos = static_cast<size_t>(n);
    return call(m->func, ca);
}

// --- filter ---------------------------------------------------------------------------------

struct FilterObj : Object {
    Value func;  // owned (None: truthiness)
    Value it;    // owned
};

void filter_dealloc(Object* o) {
    if (!trash_begin(o, filter_dealloc)) return;
    FilterObj* f = static_cast<FilterObj*>(o);
    decref(f->func);
    decref(f->it);
    object_free(o, obj_size(o, sizeof(FilterObj)));
    trash_end();
}

Ref filter_new(Type* type, CallArgs a) {
    if (type == &filter_type && !no_kw("filter", a)) return nullptr;
    if (!check_positional("filter", a, 2, 2)) return nullptr;
    Ref it = get_iter(a.args[1]);
    if (!it) return nullptr;
    FilterObj* f = alloc_iter<FilterObj>(type);
    if (!f) return nullptr;
    incref(a.args[0]);
    f->func = a.args[0];
    f->it = it.release();
    return Ref::steal(f);
}

Ref filter_next(Value self) {
    FilterObj* f = self.as<FilterObj>();
    while (true) {
        Ref item = next_of(f->it);
        if (!item) return nullptr;
        int ok;
        if (f->func.is_none() || f->func.is(Value::object(&bool_type))) {
            ok = truthy(*item);
        } else {
            Ref r = call(f->func, {*item});
            if (!r) return nullptr;
            ok = truthy(*r);
        }
        if (ok < 0) return nullptr;
        if (ok) return item;
    }
}

// --- reversed -------------------------------------------------------------------------------

struct ReversedObj : Object {
    Value seq;      // owned; null when exhausted
    int64_t index;  // next index (counts down)
};

void reversed_dealloc(Object* o) {
    if (!trash_begin(o, reversed_dealloc)) return;
    ReversedObj* r = static_cast<ReversedObj*>(o);
    decref(r->seq);
    object_free(o, obj_size(o, sizeof(ReversedObj)));
    trash_end();
}

Ref not_reversible(Value seq) {
    return raisef(&exc::TypeError, "'{}' object is not reversible", type_name(seq));
}

Ref reversed_make(Type* type, Value seq) {
    static Str* rname = intern("__reversed__");
    Type* t = type_of(seq);
    Value meth = type_lookup(t, rname);
    if (!meth.is_null()) {
        if (meth.is_none()) return not_reversible(seq);
        return call_method(seq, rname, {});
    }
    if (!t->getitem || is_dict(seq)) return not_reversible(seq);
    int64_t n = length(seq);
    if (n < 0) return nullptr;
    ReversedObj* r = alloc_iter<ReversedObj>(type);
    if (!r) return nullptr;
    incref(seq);
    r->seq = seq;
    r->index = n - 1;
    return Ref::steal(r);
}

Ref reversed_new(Type* type, CallArgs a) {
    if (type == &reversed_type && !no_kw("reversed", a)) return nullptr;
    if (!check_positional("reversed", a, 1, 1)) return nullptr;
    return reversed_make(type, a.args[0]);
}

Ref reversed_next(Value self) {
    ReversedObj* r = self.as<ReversedObj>();
    if (r->index >= 0 && !r->seq.is_null()) {
        Ref item = getitem(r->seq, Value::small_int(r->index));
        if (item) {
            r->index--;
            return item;
        }
        if (!clear_if_end_of_sequence()) return nullptr;
    }
    r->index = -1;
    Value s = r->seq;
    r->seq = Value::null();
    decref(s);
    return nullptr;
}

Ref reversed_length_hint(Value self, CallArgs a) {
    ReversedObj* r = self.as<ReversedObj>();
    if (r->seq.is_null()) return make_int(0);
    int64_t n = length(r->seq);
    if (n < 0) return nullptr;
    return make_int(n < r->index + 1 ? 0 : r->index + 1);
}

const MethodDef reversed_methods[] = {
    {"__length_hint__", reversed_length_hint},
    {nullptr, nullptr},
};

// --- the sequence iterator ------------------------------------------------------------------

struct SeqIter : Object {
    Value seq;  // owned; null when exhausted
    int64_t index;
};

void seq_iter_dealloc(Object* o) {
    if (!trash_begin(o, seq_iter_dealloc)) return;
    SeqIter* s = static_cast<SeqIter*>(o);
    decref(s->seq);
    object_free(o, sizeof(SeqIter));
    trash_end();
}

Ref seq_iter_next(Value self) {
    SeqIter* s = self.as<SeqIter>();
    if (s->seq.is_null()) return nullptr;
    Ref item = getitem(s->seq, Value::small_int(s->index));
    if (item) {
        s->index++;
        return item;
    }
    if (!clear_if_end_of_sequence()) return nullptr;
    Value q = s->seq;
    s->seq = Value::null();
    decref(q);
    return nullptr;
}

Ref seq_iter_length_hint(Value self, CallArgs a) {
    SeqIter* s = self.as<SeqIter>();
    if (s->seq.is_null()) return make_int(0);
    Type* t = type_of(s->seq);
    if (!t->len) return Ref::not_implemented();
    int64_t n = length(s->seq);
    if (n < 0) return nullptr;
    return make_int(n > s->index ? n - s->index : 0);
}

const MethodDef seq_iter_methods[] = {
    {"__length_hint__", seq_iter_length_hint},
    {nullptr, nullptr},
};

// --- callable_iterator ----------------------------------------------------------------------

struct CallIter : Object {
    Value func;      // owned; null when exhausted
    Value sentinel;  // owned
};

void call_iter_dealloc(Object* o) {
    if (!trash_begin(o, call_iter_dealloc)) return;
    CallIter* c = static_cast<CallIter*>(o);
    decref(c->func);
    decref(c->sentinel);
    object_free(o, sizeof(CallIter));
    trash_end();
}

Ref call_iter_next(Value self) {
    CallIter* c = self.as<CallIter>();
    if (c->func.is_null()) return nullptr;
    Ref r = call(c->func, std::initializer_list<Value>{});
    if (r) {
        int k = eq(*r, c->sentinel);
        if (k == 0) return r;
        if (k < 0) return nullptr;
    } else if (!error_matches(&exc::StopIteration)) {
        return nullptr;
    } else {
        clear_error();
    }
    Value f = c->func, s = c->sentinel;
    c->func = Value::null();
    c->sentinel = Value::null();
    decref(f);
    decref(s);
    return nullptr;
}

void init_iter(Type* t, const char* name, size_t size, DeallocSlot dealloc, NextSlot next,
               NewSlot new_, const MethodDef* methods, bool base) {
    t->name = name;
    t->basic_size = static_cast<uint32_t>(size);
    t->flags |= kImmutableType | (base ? static_cast<uint32_t>(kBaseType) : 0u);
    t->methods = methods;
    t->dealloc = dealloc;
    t->iter = iter_self;
    t->next = next;
    t->new_ = new_;
    type_ready(t, &object_type);
}

}  // namespace

Ref new_seq_iter(Value seq) {
    SeqIter* s = new_object<SeqIter>(&seq_iterator_type, 0);
    if (!s) return nullptr;
    incref(seq);
    s->seq = seq;
    s->index = 0;
    return Ref::steal(s);
}

Ref new_callable_iter(Value callable, Value sentinel) {
    if (!is_callable(callable)) return raise(&exc::TypeError, "iter(v, w): v must be callable");
    CallIter* c = new_object<CallIter>(&callable_iterator_type, 0);
    if (!c) return nullptr;
    incref(callable);
    incref(sentinel);
    c->func = callable;
    c->sentinel = sentinel;
    return Ref::steal(c);
}

Ref reversed_of(Value seq) { return reversed_make(&reversed_type, seq); }

const MethodDef enumerate_methods[] = {
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

void init_iterator_types() {
    init_generic_alias_type();
    init_iter(&enumerate_type, "enumerate", sizeof(EnumerateObj), enumerate_dealloc,
              enumerate_next, enumerate_new, enumerate_methods, true);
    init_iter(&zip_type, "zip", sizeof(ZipObj), zip_dealloc, zip_next, zip_new, nullptr, true);
    init_iter(&map_type, "map", sizeof(MapObj), map_dealloc, map_next, map_new, nullptr, true);
    init_iter(&filter_type, "filter", sizeof(FilterObj), filter_dealloc, filter_next, filter_new,
              nullptr, true);
    init_iter(&reversed_type, "reversed", sizeof(ReversedObj), reversed_dealloc, reversed_next,
              reversed_new, reversed_methods, true);
    init_iter(&seq_iterator_type, "iterator", sizeof(SeqIter), seq_iter_dealloc, seq_iter_next,
              nullptr, seq_iter_methods, false);
    init_iter(&callable_iterator_type, "callable_iterator", sizeof(CallIter), call_iter_dealloc,
              call_iter_next, nullptr, nullptr, false);
}

}  // namespace toy
