// collections.cpp: the native `_collections` module: `deque` (CPython's collections.deque,
// same methods, reprs and error messages) and its two iterator types. The Toy package
// stdlib/lib/collections/ re-exports it next to defaultdict, OrderedDict, Counter,
// namedtuple and ChainMap.
//
// A deque is a ring buffer of owned Values: `cap` is 0 or a power of two, item i lives at
// buf[(head + i) & (cap - 1)]. Appends and pops at either end are O(1) (amortised: the
// buffer doubles when full and halves when a quarter full), indexing is O(1), rotate(n) is
// O(min(n, len - n)). `state` counts mutations; an iterator remembers it and raises
// "deque mutated during iteration" if it changed, as CPython does. With maxlen set, an
// append at one end drops an item at the other end once the deque is full.
//
// Locking: none of its own; every access holds the GIL. Comparisons and __eq__ calls made
// by count/index/remove/`in` may run Toy code that mutates the deque: each such loop
// re-checks `state` after every comparison and raises RuntimeError instead of reading a
// stale slot, and holds a reference to the item being compared. No call blocks.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "interp/code.h"
#include "interp/frame.h"
#include "interp/traceback.h"
#include "runtime/thread_state.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

Type deque_type;
Type deque_iter_type;
Type deque_reviter_type;
Type tuplegetter_type;

namespace {

struct Deque : Object {
    Value* buf;
    int64_t cap;
    int64_t head;
    int64_t size;
    int64_t maxlen;  // -1: unbounded
    uint64_t state;
};

struct DequeIter : Object {
    Deque* d;  // owned; null when exhausted
    int64_t index;
    uint64_t state;
};

inline Deque* as_deque(Value v) { return v.as<Deque>(); }
inline bool is_deque(Value v) {
    return v.is_object() && is_subtype(v.as_object()->type, &deque_type);
}
inline Value& at(Deque* d, int64_t i) { return d->buf[(d->head + i) & (d->cap - 1)]; }

bool resize_to(Deque* d, int64_t ncap) {
    auto* nb = static_cast<Value*>(std::malloc(static_cast<size_t>(ncap) * sizeof(Value)));
    if (!nb) {
        (void)raise_no_memory();
        return false;
    }
    for (int64_t i = 0; i < d->size; i++) nb[i] = at(d, i);
    std::free(d->buf);
    d->buf = nb;
    d->cap = ncap;
    d->head = 0;
    return true;
}

inline bool ensure_room(Deque* d) {
    if (TOY_LIKELY(d->size < d->cap)) return true;
    return resize_to(d, d->cap ? d->cap * 2 : 8);
}

inline void maybe_shrink(Deque* d) {
    if (TOY_UNLIKELY(d->cap > 64 && d->size * 4 <= d->cap)) {
        if (!resize_to(d, d->cap / 2)) clear_error();  // keeping the bigger buffer is fine
    }
}

// Takes ownership of v.
inline Value pop_right_raw(Deque* d) {
    Value v = at(d, d->size - 1);
    d->size--;
    return v;
}
inline Value pop_left_raw(Deque* d) {
    Value v = d->buf[d->head];
    d->head = (d->head + 1) & (d->cap - 1);
    d->size--;
    return v;
}

// Appends an owned reference (steals it even on failure).
bool push_right(Deque* d, Value v) {
    if (d->maxlen == 0) {
        decref(v);
        return true;
    }
    if (!ensure_room(d)) {
        decref(v);
        return false;
    }
    at(d, d->size) = v;
    d->size++;
    d->state++;
    if (d->maxlen >= 0 && d->size > d->maxlen) decref(pop_left_raw(d));
    return true;
}

bool push_left(Deque* d, Value v) {
    if (d->maxlen == 0) {
        decref(v);
        return true;
    }
    if (!ensure_room(d)) {
        decref(v);
        return false;
    }
    d->head = (d->head - 1) & (d->cap - 1);
    d->buf[d->head] = v;
    d->size++;
    d->state++;
    if (d->maxlen >= 0 && d->size > d->maxlen) decref(pop_right_raw(d));
    return true;
}

void deque_clear_items(Deque* d) {
    // Detach first: releasing an item may run code that looks at the deque.
    Value* buf = d->buf;
    int64_t cap = d->cap, head = d->head, n = d->size;
    d->buf = nullptr;
    d->cap = d->head = d->size = 0;
    d->state++;
    for (int64_t i = 0; i < n; i++) decref(buf[(head + i) & (cap - 1)]);
    std::free(buf);
}

void deque_dealloc(Object* o) {
    Deque* d = static_cast<Deque*>(o);
    deque_clear_items(d);
    size_t sz = o->type->basic_size > sizeof(Deque) ? o->type->basic_size : sizeof(Deque);
    object_free(o, sz);
}

Ref deque_new(Type* type, CallArgs) {
    Deque* d = new_object<Deque>(type, 0);
    if (!d) return nullptr;
    d->buf = nullptr;
    d->cap = d->head = d->size = 0;
    d->maxlen = -1;
    d->state = 0;
    return Ref::steal(d);
}

bool extend_right(Deque* d, Value iterable);

bool deque_init(Value self, CallArgs a) {
    Deque* d = as_deque(self);
    if (a.npos + a.nkw() > 2) {
        (void)raisef(&exc::TypeError, "deque() takes at most 2 arguments ({} given)",
                     a.npos + a.nkw());
        return false;
    }
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args("deque", a, 0, 2, {"iterable", "maxlen"}, args)) return false;
    int64_t maxlen = -1;
    if (!args[1].is_null() && !args[1].is_none()) {
        if (!is_int(args[1])) {
            (void)raise(&exc::TypeError, "an integer is required");
            return false;
        }
        if (!int_value(args[1], &maxlen)) return false;
        if (maxlen < 0) {
            (void)raise(&exc::ValueError, "maxlen must be non-negative");
            return false;
        }
    }
    d->maxlen = maxlen;
    if (d->size > 0) deque_clear_items(d);
    if (!args[0].is_null()) return extend_right(d, args[0]);
    return true;
}

bool extend_right(Deque* d, Value iterable) {
    if (iterable.is_object() && iterable.as_object() == d) {
        // d.extend(d): iterate over a snapshot.
        Ref snap = sequence_list(iterable);
        if (!snap) return false;
        return extend_right(d, snap.get());
    }
    if (is_exact_list(iterable) || is_exact_tuple(iterable)) {
        Ref keep = Ref::borrow(iterable);
        int64_t n;
        Value* items;
        if (is_exact_list(iterable)) {
            n = iterable.as<List>()->size;
            items = iterable.as<List>()->items;
        } else {
            n = iterable.as<Tuple>()->size;
            items = iterable.as<Tuple>()->items;
        }
        if (d->maxlen == 0) return true;
        for (int64_t i = 0; i < n; i++) {
            // A list may shrink under us only through code run by a decref of a dropped item.
            if (is_exact_list(iterable) && i >= iterable.as<List>()->size) break;
            if (is_exact_list(iterable)) items = iterable.as<List>()->items;
            incref(items[i]);
            if (!push_right(d, items[i])) return false;
        }
        return true;
    }
    Ref it = get_iter(iterable);
    if (!it) return false;
    if (d->maxlen == 0) {
        // Consume the iterator (CPython does), keeping nothing.
        for (;;) {
            Ref v = iter_next(it.get());
            if (!v) return !error_occurred();
        }
    }
    for (;;) {
        Ref v = iter_next(it.get());
        if (!v) return !error_occurred();
        if (!push_right(d, v.release())) return false;
    }
}

bool extend_left(Deque* d, Value iterable) {
    if (iterable.is_object() && iterable.as_object() == d) {
        Ref snap = sequence_list(iterable);
        if (!snap) return false;
        return extend_left(d, snap.get());
    }
    Ref it = get_iter(iterable);
    if (!it) return false;
    for (;;) {
        Ref v = iter_next(it.get());
        if (!v) return !error_occurred();
        if (!push_left(d, v.release())) return false;
    }
}

// --- methods ---------------------------------------------------------------------------------

bool one(const char* name, CallArgs a) {
    if (TOY_LIKELY(a.npos == 1 && a.nkw() == 0)) return true;
    if (a.nkw()) {
        (void)raisef(&exc::TypeError, "deque.{}() takes no keyword arguments", name);
        return false;
    }
    (void)raisef(&exc::TypeError, "deque.{}() takes exactly one argument ({} given)", name, a.npos);
    return false;
}

bool none_args(const char* name, CallArgs a) {
    if (TOY_LIKELY(a.npos == 0 && a.nkw() == 0)) return true;
    if (a.nkw()) {
        (void)raisef(&exc::TypeError, "deque.{}() takes no keyword arguments", name);
        return false;
    }
    (void)raisef(&exc::TypeError, "deque.{}() takes no arguments ({} given)", name, a.npos);
    return false;
}

Ref d_append(Value self, CallArgs a) {
    if (!one("append", a)) return nullptr;
    incref(a.args[0]);
    if (!push_right(as_deque(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref d_appendleft(Value self, CallArgs a) {
    if (!one("appendleft", a)) return nullptr;
    incref(a.args[0]);
    if (!push_left(as_deque(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref d_pop(Value self, CallArgs a) {
    if (!none_args("pop", a)) return nullptr;
    Deque* d = as_deque(self);
    if (d->size == 0) return raise(&exc::IndexError, "pop from an empty deque");
    Value v = pop_right_raw(d);
    d->state++;
    maybe_shrink(d);
    return Ref::steal(v);
}

Ref d_popleft(Value self, CallArgs a) {
    if (!none_args("popleft", a)) return nullptr;
    Deque* d = as_deque(self);
    if (d->size == 0) return raise(&exc::IndexError, "pop from an empty deque");
    Value v = pop_left_raw(d);
    d->state++;
    maybe_shrink(d);
    return Ref::steal(v);
}

Ref d_extend(Value self, CallArgs a) {
    if (!one("extend", a)) return nullptr;
    if (!extend_right(as_deque(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref d_extendleft(Value self, CallArgs a) {
    if (!one("extendleft", a)) return nullptr;
    if (!extend_left(as_deque(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref d_clear(Value self, CallArgs a) {
    if (!none_args("clear", a)) return nullptr;
    deque_clear_items(as_deque(self));
    return Ref::none();
}

void rotate(Deque* d, int64_t n) {
    int64_t len = d->size;
    if (len <= 1) return;
    n %= len;
    if (n < 0) n += len;
    if (n == 0) return;
    d->state++;
    if (len == d->cap) {
        // Full ring: moving the head is the rotation.
        d->head = (d->head - n) & (d->cap - 1);
        return;
    }
    if (n <= len / 2) {
        for (int64_t i = 0; i < n; i++) {
            Value v = pop_right_raw(d);
            d->head = (d->head - 1) & (d->cap - 1);
            d->buf[d->head] = v;
            d->size++;
        }
    } else {
        for (int64_t i = 0; i < len - n; i++) {
            Value v = pop_left_raw(d);
            at(d, d->size) = v;
            d->size++;
        }
    }
}

Ref d_rotate(Value self, CallArgs a) {
    if (!detail::unpack_args("rotate", a, 0, 1)) return nullptr;
    int64_t n = 1;
    if (a.npos == 1) {
        if (a.args[0].is_small_int()) {
            n = a.args[0].as_small_int();
        } else if (!index_value(a.args[0], &n)) {
            return nullptr;
        }
    }
    rotate(as_deque(self), n);
    return Ref::none();
}

Ref d_reverse(Value self, CallArgs a) {
    if (!none_args("reverse", a)) return nullptr;
    Deque* d = as_deque(self);
    for (int64_t i = 0, j = d->size - 1; i < j; i++, j--) std::swap(at(d, i), at(d, j));
    d->state++;
    return Ref::none();
}

Ref d_count(Value self, CallArgs a) {
    if (!one("count", a)) return nullptr;
    Deque* d = as_deque(self);
    uint64_t state = d->state;
    int64_t n = 0;
    for (int64_t i = 0; i < d->size; i++) {
        Ref item = Ref::borrow(at(d, i));
        int r = detail::eq_fast(item.get(), a.args[0]);
        if (r < 0) return nullptr;
        if (d->state != state) return raise(&exc::RuntimeError, "deque mutated during iteration");
        n += r;
    }
    return make_int(n);
}

bool slice_index(Value v, int64_t* out) {
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (v.is_none()) return true;
    if (type_of(v)->index == nullptr) {
        (void)raise(&exc::TypeError, "slice indices must be integers or have an __index__ method");
        return false;
    }
    if (!index_value(v, out)) {
        if (error_matches(&exc::OverflowError)) {
            clear_error();
            *out = v.is_object() && compare_bool(v, Value::small_int(0), CmpOp::kLt) == 1 ? INT64_MIN
                                                                                          : INT64_MAX;
            return true;
        }
        return false;
    }
    return true;
}

Ref d_index(Value self, CallArgs a) {
    if (a.nkw()) return raise(&exc::TypeError, "index() takes no keyword arguments");
    if (a.npos < 1) return raisef(&exc::TypeError, "index() takes at least 1 argument ({} given)", a.npos);
    if (a.npos > 3) return raisef(&exc::TypeError, "index() takes at most 3 arguments ({} given)", a.npos);
    Deque* d = as_deque(self);
    int64_t start = 0, stop = d->size;
    if (a.npos >= 2 && !slice_index(a.args[1], &start)) return nullptr;
    if (a.npos >= 3 && !slice_index(a.args[2], &stop)) return nullptr;
    if (start < 0) {
        start += d->size;
        if (start < 0) start = 0;
    }
    if (stop < 0) {
        stop += d->size;
        if (stop < 0) stop = 0;
    }
    if (stop > d->size) stop = d->size;
    uint64_t state = d->state;
    for (int64_t i = start; i < stop; i++) {
        Ref item = Ref::borrow(at(d, i));
        int r = detail::eq_fast(item.get(), a.args[0]);
        if (r < 0) return nullptr;
        if (d->state != state) return raise(&exc::RuntimeError, "deque mutated during iteration");
        if (r) return make_int(i);
        if (stop > d->size) stop = d->size;
    }
    Ref r = repr(a.args[0]);
    if (!r) return nullptr;
    return raisef(&exc::ValueError, "{} is not in deque", r.as<Str>()->view());
}

bool del_at(Deque* d, int64_t i) {
    // Rotate the item to the left end, pop it, rotate back.
    rotate(d, -i);
    Value v = pop_left_raw(d);
    rotate(d, i);
    d->state++;
    decref(v);
    maybe_shrink(d);
    return true;
}

Ref d_remove(Value self, CallArgs a) {
    if (!one("remove", a)) return nullptr;
    Deque* d = as_deque(self);
    uint64_t state = d->state;
    for (int64_t i = 0; i < d->size; i++) {
        Ref item = Ref::borrow(at(d, i));
        int r = detail::eq_fast(item.get(), a.args[0]);
        if (r < 0) return nullptr;
        if (d->state != state) return raise(&exc::IndexError, "deque mutated during remove().");
        if (r) {
            del_at(d, i);
            return Ref::none();
        }
    }
    Ref r = repr(a.args[0]);
    if (!r) return nullptr;
    return raisef(&exc::ValueError, "{} is not in deque", r.as<Str>()->view());
}

Ref d_insert(Value self, CallArgs a) {
    if (a.nkw()) return raise(&exc::TypeError, "insert() takes no keyword arguments");
    if (a.npos != 2) return raisef(&exc::TypeError, "insert expected 2 arguments, got {}", a.npos);
    Deque* d = as_deque(self);
    int64_t i;
    if (!index_value(a.args[0], &i)) return nullptr;
    if (d->maxlen >= 0 && d->size >= d->maxlen)
        return raise(&exc::IndexError, "deque already at its maximum size");
    int64_t n = d->size;
    if (i < 0) {
        i += n;
        if (i < 0) i = 0;
    }
    if (i > n) i = n;
    incref(a.args[1]);
    if (i == n) {
        if (!push_right(d, a.args[1])) return nullptr;
        return Ref::none();
    }
    rotate(d, -i);
    if (!push_left(d, a.args[1])) {
        rotate(d, i);
        return nullptr;
    }
    rotate(d, i);
    return Ref::none();
}

Ref new_deque_like(Deque* src, Type* type) {
    Ref r = deque_new(type, CallArgs{});
    if (!r) return nullptr;
    Deque* n = as_deque(r.get());
    n->maxlen = src->maxlen;
    if (src->size && !resize_to(n, src->cap)) return nullptr;
    for (int64_t i = 0; i < src->size; i++) {
        incref(at(src, i));
        if (!push_right(n, at(src, i))) return nullptr;
    }
    return r;
}

Ref d_copy(Value self, CallArgs a) {
    if (!none_args("copy", a)) return nullptr;
    Deque* d = as_deque(self);
    if (d->type == &deque_type) return new_deque_like(d, &deque_type);
    // A subclass: type(d)(d, maxlen) as CPython.
    Ref ml = d->maxlen < 0 ? Ref::none() : make_int(d->maxlen);
    if (d->maxlen < 0) return call(Value::object(d->type), {self});
    return call(Value::object(d->type), {self, ml.get()});
}

Ref d_reduce(Value self, CallArgs a) {
    if (!none_args("__reduce__", a)) return nullptr;
    Deque* d = as_deque(self);
    Ref lst = sequence_list(self);
    if (!lst) return nullptr;
    Ref ml = d->maxlen < 0 ? Ref::none() : make_int(d->maxlen);
    if (!ml) return nullptr;
    RefT<Tuple> args = new_tuple_of({lst.get(), ml.get()});
    if (!args) return nullptr;
    Value dict = Value::none();
    Dict** dp = instance_dict_ptr(self);
    if (dp && *dp) dict = Value::object(*dp);
    return new_tuple_of({Value::object(d->type), args.value(), dict});
}

Ref deque_iter(Value self);
Ref d_reversed(Value self, CallArgs a) {
    if (!none_args("__reversed__", a)) return nullptr;
    Deque* d = as_deque(self);
    DequeIter* it = new_object<DequeIter>(&deque_reviter_type, 0);
    if (!it) return nullptr;
    incref(d);
    it->d = d;
    it->index = d->size - 1;
    it->state = d->state;
    return Ref::steal(it);
}

Ref d_sizeof(Value self, CallArgs) {
    Deque* d = as_deque(self);
    return make_int(static_cast<int64_t>(sizeof(Deque) + d->cap * sizeof(Value)));
}

// --- slots -----------------------------------------------------------------------------------

int64_t deque_len(Value self) { return as_deque(self)->size; }

bool get_index(Value key, int64_t* out) {
    if (TOY_LIKELY(key.is_small_int())) {
        *out = key.as_small_int();
        return true;
    }
    if (type_of(key)->index == nullptr) {
        (void)raisef(&exc::TypeError, "sequence index must be integer, not '{}'", type_name(key));
        return false;
    }
    if (!index_value(key, out)) {
        if (error_matches(&exc::OverflowError)) {
            clear_error();
            (void)raise(&exc::IndexError, "deque index out of range");
        }
        return false;
    }
    return true;
}

Ref deque_getitem(Value self, Value key) {
    Deque* d = as_deque(self);
    int64_t i;
    if (!get_index(key, &i)) return nullptr;
    if (i < 0) i += d->size;
    if (i < 0 || i >= d->size) return raise(&exc::IndexError, "deque index out of range");
    return Ref::borrow(at(d, i));
}

bool deque_setitem(Value self, Value key, Value v) {
    Deque* d = as_deque(self);
    int64_t i;
    if (!get_index(key, &i)) return false;
    if (i < 0) i += d->size;
    if (i < 0 || i >= d->size) {
        (void)raise(&exc::IndexError, "deque index out of range");
        return false;
    }
    if (v.is_null()) return del_at(d, i);
    incref(v);
    Value old = at(d, i);
    at(d, i) = v;
    decref(old);
    return true;
}

int deque_contains(Value self, Value item) {
    Deque* d = as_deque(self);
    uint64_t state = d->state;
    for (int64_t i = 0; i < d->size; i++) {
        Ref x = Ref::borrow(at(d, i));
        int r = detail::eq_fast(x.get(), item);
        if (r != 0) return r;
        if (d->state != state) {
            (void)raise(&exc::RuntimeError, "deque mutated during iteration");
            return -1;
        }
    }
    return 0;
}

Ref deque_repr(Value self) {
    Deque* d = as_deque(self);
    int rc = detail::repr_enter(d);
    if (rc < 0) return nullptr;
    if (rc > 0) {
        Ref s = new_str("[...]");
        return s;
    }
    Ref lst = sequence_list(self);
    Ref body;
    if (lst) body = repr(lst.get());
    detail::repr_leave(d);
    if (!body) return nullptr;
    std::string name = d->type == &deque_type ? std::string("deque")
                                              : std::string(d->type->name_str->view());
    std::string out;
    if (d->maxlen >= 0)
        out = fmt::format("{}({}, maxlen={})", name, body.as<Str>()->view(), d->maxlen);
    else
        out = fmt::format("{}({})", name, body.as<Str>()->view());
    Ref s = new_str(out);
    return s;
}

Ref deque_compare(Value a, Value b, CmpOp op) {
    if (!is_deque(a) || !is_deque(b)) return Ref::not_implemented();
    Deque* x = as_deque(a);
    Deque* y = as_deque(b);
    if ((op == CmpOp::kEq || op == CmpOp::kNe) && x->size != y->size)
        return Ref::boolean(op == CmpOp::kNe);
    int64_t i = 0;
    for (; i < x->size && i < y->size; i++) {
        Ref vx = Ref::borrow(at(x, i));
        Ref vy = Ref::borrow(at(y, i));
        int r = detail::eq_fast(vx.get(), vy.get());
        if (r < 0) return nullptr;
        if (!r) {
            if (op == CmpOp::kEq) return Ref::boolean(false);
            if (op == CmpOp::kNe) return Ref::boolean(true);
            return rich_compare(vx.get(), vy.get(), op);
        }
        if (i >= x->size || i >= y->size) break;
    }
    int64_t nx = x->size, ny = y->size;
    bool res = false;
    switch (op) {
        case CmpOp::kLt: res = nx < ny; break;
        case CmpOp::kLe: res = nx <= ny; break;
        case CmpOp::kEq: res = nx == ny; break;
        case CmpOp::kNe: res = nx != ny; break;
        case CmpOp::kGt: res = nx > ny; break;
        case CmpOp::kGe: res = nx >= ny; break;
    }
    return Ref::boolean(res);
}

Ref deque_add(Value a, Value b) {
    if (!is_deque(a)) return Ref::not_implemented();
    if (!is_deque(b))
        return raisef(&exc::TypeError, "can only concatenate deque (not \"{}\") to deque", type_name(b));
    Ref r = new_deque_like(as_deque(a), &deque_type);
    if (!r) return nullptr;
    if (!extend_right(as_deque(r.get()), b)) return nullptr;
    return r;
}

Ref deque_iadd(Value a, Value b) {
    if (!extend_right(as_deque(a), b)) return nullptr;
    return Ref::borrow(a);
}

bool repeat_inplace(Deque* d, int64_t n) {
    if (n <= 0 || d->size == 0) {
        deque_clear_items(d);
        return true;
    }
    if (n == 1) return true;
    int64_t len = d->size;
    std::vector<Ref> snap;
    snap.reserve(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; i++) snap.push_back(Ref::borrow(at(d, i)));
    if (n > INT64_MAX / len) {
        if (d->maxlen < 0) {
            (void)raise_no_memory();
            return false;
        }
    }
    int64_t total = n > INT64_MAX / len ? INT64_MAX : len * n;
    if (d->maxlen >= 0 && total > d->maxlen) {
        // Only the last maxlen items of the repetition survive.
        deque_clear_items(d);
        int64_t first = total - d->maxlen;
        for (int64_t k = 0; k < d->maxlen; k++) {
            Value v = snap[static_cast<size_t>((first + k) % len)].get();
            incref(v);
            if (!push_right(d, v)) return false;
        }
        return true;
    }
    for (int64_t k = 1; k < n; k++) {
        for (int64_t i = 0; i < len; i++) {
            Value v = snap[static_cast<size_t>(i)].get();
            incref(v);
            if (!push_right(d, v)) return false;
        }
    }
    return true;
}

Ref deque_mul(Value a, Value b) {
    Value dq = a, nv = b;
    if (!is_deque(a)) std::swap(dq, nv);
    if (!is_deque(dq)) return Ref::not_implemented();
    if (type_of(nv)->index == nullptr)
        return raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'", type_name(nv));
    int64_t n;
    if (!index_value(nv, &n)) return nullptr;
    Ref r = new_deque_like(as_deque(dq), &deque_type);
    if (!r) return nullptr;
    if (!repeat_inplace(as_deque(r.get()), n)) return nullptr;
    return r;
}

Ref deque_imul(Value a, Value b) {
    if (type_of(b)->index == nullptr)
        return raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'", type_name(b));
    int64_t n;
    if (!index_value(b, &n)) return nullptr;
    if (!repeat_inplace(as_deque(a), n)) return nullptr;
    return Ref::borrow(a);
}

Ref deque_iter(Value self) {
    Deque* d = as_deque(self);
    DequeIter* it = new_object<DequeIter>(&deque_iter_type, 0);
    if (!it) return nullptr;
    incref(d);
    it->d = d;
    it->index = 0;
    it->state = d->state;
    return Ref::steal(it);
}

Ref deque_get_maxlen(Value self) {
    Deque* d = as_deque(self);
    if (d->maxlen < 0) return Ref::none();
    return make_int(d->maxlen);
}

// --- iterators -------------------------------------------------------------------------------

void dequeiter_dealloc(Object* o) {
    DequeIter* it = static_cast<DequeIter*>(o);
    if (it->d) decref(it->d);
    object_free(o, sizeof(DequeIter));
}

Ref dequeiter_next(Value self) {
    DequeIter* it = self.as<DequeIter>();
    Deque* d = it->d;
    if (!d) return nullptr;
    if (TOY_UNLIKELY(d->state != it->state)) {
        it->d = nullptr;
        decref(d);
        return raise(&exc::RuntimeError, "deque mutated during iteration");
    }
    if (it->index >= d->size) {
        it->d = nullptr;
        decref(d);
        return nullptr;
    }
    return Ref::borrow(at(d, it->index++));
}

Ref dequereviter_next(Value self) {
    DequeIter* it = self.as<DequeIter>();
    Deque* d = it->d;
    if (!d) return nullptr;
    if (TOY_UNLIKELY(d->state != it->state)) {
        it->d = nullptr;
        decref(d);
        return raise(&exc::RuntimeError, "deque mutated during iteration");
    }
    if (it->index < 0) {
        it->d = nullptr;
        decref(d);
        return nullptr;
    }
    return Ref::borrow(at(d, it->index--));
}

Ref dequeiter_length_hint(Value self, CallArgs) {
    DequeIter* it = self.as<DequeIter>();
    if (!it->d) return make_int(0);
    if (it->d->type == nullptr) return make_int(0);
    int64_t n = self.as_object()->type == &deque_iter_type ? it->d->size - it->index : it->index + 1;
    return make_int(n < 0 ? 0 : n);
}

const MethodDef kDequeMethods[] = {
    {"append", d_append},
    {"appendleft", d_appendleft},
    {"pop", d_pop},
    {"popleft", d_popleft},
    {"extend", d_extend},
    {"extendleft", d_extendleft},
    {"clear", d_clear},
    {"rotate", d_rotate},
    {"reverse", d_reverse},
    {"count", d_count},
    {"index", d_index},
    {"insert", d_insert},
    {"remove", d_remove},
    {"copy", d_copy},
    {"__copy__", d_copy},
    {"__reduce__", d_reduce},
    {"__reversed__", d_reversed},
    {"__sizeof__", d_sizeof},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

const GetSetDef kDequeGetsets[] = {
    {"maxlen", deque_get_maxlen},
    {nullptr, nullptr},
};

const MethodDef kDequeIterMethods[] = {
    {"__length_hint__", dequeiter_length_hint},
    {nullptr, nullptr},
};

// --- _tuplegetter: namedtuple's field descriptor ----------------------------------------------
struct TupleGetter : Object {
    int64_t index;
    Value doc;  // owned
};

void tuplegetter_dealloc(Object* o) {
    decref(static_cast<TupleGetter*>(o)->doc);
    object_free(o, sizeof(TupleGetter));
}

Ref tuplegetter_new(Type*, CallArgs a) {
    if (!detail::unpack_args("_tuplegetter", a, 2, 2)) return nullptr;
    int64_t index;
    if (!index_value(a.args[0], &index)) return nullptr;
    TupleGetter* g = new_object<TupleGetter>(&tuplegetter_type, 0);
    if (!g) return nullptr;
    g->index = index;
    incref(a.args[1]);
    g->doc = a.args[1];
    return Ref::steal(g);
}

Ref tuplegetter_get(Value descr, Value obj, Type*) {
    if (obj.is_null() || obj.is_none()) return Ref::borrow(descr);
    TupleGetter* g = descr.as<TupleGetter>();
    if (!is_tuple(obj))
        return raisef(&exc::TypeError,
                      "descriptor for index '{}' for tuple subclasses doesn't apply to '{}' object",
                      g->index, type_name(obj));
    Tuple* t = obj.as<Tuple>();
    if (g->index < 0 || g->index >= t->size) return raise(&exc::IndexError, "tuple index out of range");
    return Ref::borrow(t->items[g->index]);
}

bool tuplegetter_set(Value, Value, Value v) {
    (void)raise(&exc::AttributeError, v.is_null() ? "can't delete attribute" : "can't set attribute");
    return false;
}

Ref tuplegetter_doc(Value self) { return Ref::borrow(self.as<TupleGetter>()->doc); }

const GetSetDef kTupleGetterGetsets[] = {
    {"__doc__", tuplegetter_doc},
    {nullptr, nullptr},
};


// _frame_info(depth): (filename, lineno, funcname, globals) of the Toy frame `depth` levels
// above the caller of _frame_info (0: the caller itself), or None past the bottom. What
// namedtuple (the caller's __name__), warnings (stacklevel) and traceback need while sys
// has no _getframe.
Ref frame_info(Value, CallArgs a) {
    if (!detail::unpack_args("_frame_info", a, 0, 1)) return nullptr;
    int64_t depth = 0;
    if (a.npos == 1 && !index_value(a.args[0], &depth)) return nullptr;
    ThreadState* ts = current_thread();
    Frame* f = ts ? ts->frame : nullptr;
    for (int64_t i = 0; f && i < depth; i++) f = f->previous;
    if (!f) return Ref::none();
    Ref lineno = make_int(f->line());
    if (!lineno) return nullptr;
    Value fname = f->code->filename ? Value::object(f->code->filename) : Value::none();
    Value name = f->code->name ? Value::object(f->code->name) : Value::none();
    return new_tuple_of({fname, lineno.get(), name, Value::object(f->globals)});
}

// _tb_info(tb): (filename, lineno, name) of one traceback entry (code objects expose no
// co_* attributes yet). For the traceback module.
Ref tb_info(Value, CallArgs a) {
    if (!detail::unpack_args("_tb_info", a, 1, 1)) return nullptr;
    Value v = a.args[0];
    if (!v.is_object() || v.as_object()->type != &traceback_type)
        return raisef(&exc::TypeError, "expected a traceback, not {}", type_name(v));
    Traceback* tb = v.as<Traceback>();
    CodeObject* code = tb->code;
    Ref lineno = make_int(tb->lineno);
    if (!lineno) return nullptr;
    Value fname = code && code->filename ? Value::object(code->filename) : Value::none();
    Value name = code && code->name ? Value::object(code->name) : Value::none();
    return new_tuple_of({fname, lineno.get(), name});
}

// _format_exception(exc): the text the default excepthook prints for exc (CPython 3.11's,
// with chained exceptions and the column markers).
Ref format_exception_native(Value, CallArgs a) {
    if (!detail::unpack_args("_format_exception", a, 1, 1)) return nullptr;
    if (!is_exception(a.args[0])) return raise(&exc::TypeError, "expected an exception instance");
    std::string text = format_exception(a.args[0]);
    if (error_occurred()) return nullptr;
    return Ref(new_str(text));
}

// _source_line(filename, lineno): the stripped-of-newline source line or None (linecache).
Ref source_line(Value, CallArgs a) {
    if (!detail::unpack_args("_source_line", a, 2, 2)) return nullptr;
    if (!is_str(a.args[0])) return Ref::none();
    int64_t lineno;
    if (!index_value(a.args[1], &lineno)) return nullptr;
    std::string line;
    if (lineno <= 0 || lineno > INT32_MAX ||
        !read_source_line(a.args[0].as<Str>()->view(), static_cast<int>(lineno), &line))
        return Ref::none();
    return Ref(new_str(line));
}

// _code_info(code): (co_flags, co_argcount, co_posonlyargcount, co_kwonlyargcount,
// co_varnames-prefix (the parameter names), co_name, co_filename, co_firstlineno): what
// inspect needs while code objects expose no co_* attributes.
Ref code_info(Value, CallArgs a) {
    if (!detail::unpack_args("_code_info", a, 1, 1)) return nullptr;
    Value v = a.args[0];
    if (!v.is_object() || v.as_object()->type != &code_type)
        return raisef(&exc::TypeError, "expected a code object, not {}", type_name(v));
    CodeObject* c = v.as<CodeObject>();
    int64_t nparams = c->argcount + c->kwonlyargcount + ((c->flags & kCoVarargs) ? 1 : 0) +
                      ((c->flags & kCoVarkeywords) ? 1 : 0);
    int64_t avail = c->localsplus_names ? c->localsplus_names->size : 0;
    if (nparams > avail) nparams = avail;
    RefT<Tuple> names = c->localsplus_names ? new_tuple_from(c->localsplus_names->items, nparams)
                                            : new_tuple(0);
    if (!names) return nullptr;
    Ref flags = make_int(c->flags), argc = make_int(c->argcount), po = make_int(c->posonlyargcount),
        kwo = make_int(c->kwonlyargcount), first = make_int(c->firstlineno);
    if (!flags || !argc || !po || !kwo || !first) return nullptr;
    Value name = c->name ? Value::object(c->name) : Value::none();
    Value fname = c->filename ? Value::object(c->filename) : Value::none();
    return new_tuple_of({flags.get(), argc.get(), po.get(), kwo.get(), names.value(), name, fname,
                         first.get()});
}

// _count_elements(mapping, iterable): Counter's counting loop (CPython's C helper). Native
// dict operations when the mapping is a dict whose type keeps dict's get and __setitem__;
// the generic get/[]= protocol otherwise.
Ref count_elements(Value, CallArgs a) {
    if (!detail::unpack_args("_count_elements", a, 2, 2)) return nullptr;
    Value mapping = a.args[0];
    Ref it = get_iter(a.args[1]);
    if (!it) return nullptr;
    bool fast = false;
    if (is_dict(mapping)) {
        Type* t = type_of(mapping);
        fast = t == &dict_type ||
               (type_lookup(t, TOY_NAME(get)).is(type_lookup(&dict_type, TOY_NAME(get))) &&
                type_lookup(t, TOY_NAME(__setitem__)).is(type_lookup(&dict_type, TOY_NAME(__setitem__))));
    }
    Ref one = make_int(1);
    for (;;) {
        Ref key = iter_next(it.get());
        if (!key) return error_occurred() ? nullptr : Ref::none();
        if (fast) {
            Dict* d = mapping.as<Dict>();
            Value old = dict_get(d, key.get());
            if (old.is_null() && error_occurred()) return nullptr;
            Ref nv = old.is_null() ? one.dup() : binary_op(BinOp::kAdd, old, one.get());
            if (!nv || !dict_set(d, key.get(), nv.get())) return nullptr;
        } else {
            Ref getm = getattr(mapping, TOY_NAME(get));
            if (!getm) return nullptr;
            Ref old = call(getm.get(), {key.get(), Value::small_int(0)});
            if (!old) return nullptr;
            Ref nv = binary_op(BinOp::kAdd, old.get(), one.get());
            if (!nv || !setitem(mapping, key.get(), nv.get())) return nullptr;
        }
    }
}

const MethodDef kModuleFunctions[] = {
    {"_count_elements", count_elements},
    {"_code_info", code_info},
    {"_frame_info", frame_info},
    {"_tb_info", tb_info},
    {"_format_exception", format_exception_native},
    {"_source_line", source_line},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_collections_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        Type* t = &deque_type;
        t->name = "collections.deque";
        t->basic_size = sizeof(Deque);
        t->flags |= kBaseType;
        t->dealloc = deque_dealloc;
        t->repr = deque_repr;
        t->hash = detail::unhashable_hash;
        t->compare = deque_compare;
        t->binary[static_cast<int>(BinOp::kAdd)] = deque_add;
        t->binary[static_cast<int>(BinOp::kMul)] = deque_mul;
        t->inplace[static_cast<int>(BinOp::kAdd)] = deque_iadd;
        t->inplace[static_cast<int>(BinOp::kMul)] = deque_imul;
        t->len = deque_len;
        t->getitem = deque_getitem;
        t->setitem = deque_setitem;
        t->contains = deque_contains;
        t->iter = deque_iter;
        t->new_ = deque_new;
        t->init = deque_init;
        t->methods = kDequeMethods;
        t->getsets = kDequeGetsets;
        type_ready(t, &object_type);

        for (Type* it : {&deque_iter_type, &deque_reviter_type}) {
            it->name = it == &deque_iter_type ? "_collections._deque_iterator"
                                               : "_collections._deque_reverse_iterator";
            it->basic_size = sizeof(DequeIter);
            it->dealloc = dequeiter_dealloc;
            it->iter = detail::iter_self;
            it->next = it == &deque_iter_type ? dequeiter_next : dequereviter_next;
            it->methods = kDequeIterMethods;
            type_ready(it, &object_type);
        }
    });
    static std::once_flag once_tg;
    std::call_once(once_tg, [] {
        tuplegetter_type.name = "_collections._tuplegetter";
        tuplegetter_type.basic_size = sizeof(TupleGetter);
        tuplegetter_type.dealloc = tuplegetter_dealloc;
        tuplegetter_type.new_ = tuplegetter_new;
        tuplegetter_type.descr_get = tuplegetter_get;
        tuplegetter_type.descr_set = tuplegetter_set;
        tuplegetter_type.getsets = kTupleGetterGetsets;
        type_ready(&tuplegetter_type, &object_type);
    });
    RefT<Module> m = new_module("_collections");
    if (!m || !module_add_functions(m.get(), kModuleFunctions)) return nullptr;
    if (!module_add(m.get(), "deque", Value::object(&deque_type)) ||
        !module_add(m.get(), "_deque_iterator", Value::object(&deque_iter_type)) ||
        !module_add(m.get(), "_deque_reverse_iterator", Value::object(&deque_reviter_type)) ||
        !module_add(m.get(), "_tuplegetter", Value::object(&tuplegetter_type)))
        return nullptr;
    return m;
}

}  // namespace toy
