// range.cpp: the range type and range_iterator (int64 bounds; the length must fit int64).
#include "runtime/range.h"

#include <string>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type range_type;
Type range_iterator_type;

using namespace detail;

namespace {

// Number of items of range(lo, hi, step); false (OverflowError) if it exceeds int64.
bool range_length(int64_t lo, int64_t hi, int64_t step, int64_t* out) {
    __int128 n = 0;
    if (step > 0 && lo < hi)
        n = (static_cast<__int128>(hi) - lo - 1) / step + 1;
    else if (step < 0 && lo > hi)
        n = (static_cast<__int128>(lo) - hi - 1) / (-static_cast<__int128>(step)) + 1;
    if (n > INT64_MAX) {
        (void)raise(&exc::OverflowError, "Python int too large to convert to C ssize_t");
        return false;
    }
    *out = static_cast<int64_t>(n);
    return true;
}

inline Range* as_range(Value v) { return v.as<Range>(); }

Range* alloc_range(Type* type, int64_t start, int64_t stop, int64_t step) {
    int64_t len;
    if (!range_length(start, stop, step, &len)) return nullptr;
    Range* r = new_object<Range>(type, 0);
    if (!r) return nullptr;
    r->start = start;
    r->stop = stop;
    r->step = step;
    r->length = len;
    return r;
}

void range_dealloc(Object* o) { object_free(o, sizeof(Range)); }

// An int argument of range(): int or __index__, else TypeError.
bool int_arg(Value v, int64_t* out) {
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (!has_index(v)) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                     type_name(v));
        return false;
    }
    return index_value(v, out);
}

Ref range_new(Type* type, CallArgs a) {
    if (!no_kw("range", a)) return nullptr;
    int64_t start = 0, stop, step = 1;
    switch (a.npos) {
        case 1:
            if (!int_arg(a.args[0], &stop)) return nullptr;
            break;
        case 2:
            if (!int_arg(a.args[0], &start) || !int_arg(a.args[1], &stop)) return nullptr;
            break;
        case 3:
            if (!int_arg(a.args[0], &start) || !int_arg(a.args[1], &stop) ||
                !int_arg(a.args[2], &step))
                return nullptr;
            if (step == 0) return raise(&exc::ValueError, "range() arg 3 must not be zero");
            break;
        case 0:
            return raise(&exc::TypeError, "range expected at least 1 argument, got 0");
        default:
            return raisef(&exc::TypeError, "range expected at most 3 arguments, got {}", a.npos);
    }
    Range* r = alloc_range(type, start, stop, step);
    if (!r) return nullptr;
    return Ref::steal(r);
}

Ref range_repr(Value self) {
    Range* r = as_range(self);
    if (r->step == 1) return str_from(fmt::format("range({}, {})", r->start, r->stop));
    return str_from(fmt::format("range({}, {}, {})", r->start, r->stop, r->step));
}

int64_t range_len(Value self) { return as_range(self)->length; }

int range_truth(Value self) { return as_range(self)->length != 0; }

inline int64_t item_at(Range* r, int64_t i) { return r->start + i * r->step; }

Ref range_getitem(Value self, Value key) {
    Range* r = as_range(self);
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, len;
        if (!slice_indices(key.as<Slice>(), r->length, &start, &stop, &step, &len)) return nullptr;
        // The new bounds are computed in 128 bits: they may lie outside the int64 items.
        __int128 nstart = static_cast<__int128>(r->start) + static_cast<__int128>(start) * r->step;
        __int128 nstop = static_cast<__int128>(r->start) + static_cast<__int128>(stop) * r->step;
        __int128 nstep = static_cast<__int128>(step) * r->step;
        auto clamp = [](__int128 v) {
            return static_cast<int64_t>(v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v);
        };
        Range* s = new_object<Range>(&range_type, 0);
        if (!s) return nullptr;
        s->start = clamp(nstart);
        s->stop = clamp(nstop);
        s->step = clamp(nstep);
        s->length = len;
        return Ref::steal(s);
    }
    int64_t i;
    if (key.is_small_int()) {
        i = key.as_small_int();
    } else if (has_index(key)) {
        if (!index_value(key, &i)) return nullptr;
    } else {
        return raisef(&exc::TypeError, "range indices must be integers or slices, not {}",
                      type_name(key));
    }
    if (i < 0) i += r->length;
    if (i < 0 || i >= r->length) return raise(&exc::IndexError, "range object index out of range");
    return make_int(item_at(r, i));
}

// For an int x: its index in r, or -1.
int64_t int_index(Range* r, int64_t x) {
    if (r->length == 0) return -1;
    if (r->step > 0) {
        if (x < r->start || x >= r->stop) return -1;
    } else {
        if (x > r->start || x <= r->stop) return -1;
    }
    __int128 d = static_cast<__int128>(x) - r->start;
    if (d % r->step != 0) return -1;
    return static_cast<int64_t>(d / r->step);
}

inline bool exact_int_like(Value v) {
    if (v.is_small_int() || v.is_bool()) return true;
    if (!v.is_object()) return false;
    Type* t = v.as_object()->type;
    return t == &int_type || t == &bool_type;
}

int range_contains(Value self, Value item) {
    Range* r = as_range(self);
    if (exact_int_like(item)) {
        int64_t x;
        if (!int_value(item, &x)) {
            clear_error();
            return 0;
        }
        return int_index(r, x) >= 0 ? 1 : 0;
    }
    for (int64_t i = 0; i < r->length; ++i) {
        Ref v = make_int(item_at(r, i));
        if (!v) return -1;
        int k = eq(*v, item);
        if (k != 0) return k;
    }
    return 0;
}

Ref range_compare(Value a, Value b, CmpOp op) {
    if (!is_range(a) || !is_range(b) || (op != CmpOp::kEq && op != CmpOp::kNe))
        return Ref::not_implemented();
    Range* x = as_range(a);
    Range* y = as_range(b);
    bool same;
    if (x == y)
        same = true;
    else if (x->length != y->length)
        same = false;
    else if (x->length == 0)
        same = true;
    else if (x->start != y->start)
        same = false;
    else
        same = x->length == 1 || x->step == y->step;
    return Ref::boolean(same == (op == CmpOp::kEq));
}

bool range_hash(Value self, int64_t* out) {
    Range* r = as_range(self);
    Value items[3];
    Ref len = make_int(r->length);
    Ref start, step;
    if (!len) return false;
    items[0] = *len;
    items[1] = Value::none();
    items[2] = Value::none();
    if (r->length > 0) {
        start = make_int(r->start);
        if (!start) return false;
        items[1] = *start;
        if (r->length > 1) {
            step = make_int(r->step);
            if (!step) return false;
            items[2] = *step;
        }
    }
    return tuple_hash_items(items, 3, out);
}

Ref range_iter(Value self) {
    Range* r = as_range(self);
    return new_range_iter(r->start, r->step, r->length);
}

Ref range_reversed(Value self, CallArgs a) {
    if (!check_noargs("range.__reversed__", a)) return nullptr;
    Range* r = as_range(self);
    if (r->length == 0) return new_range_iter(r->start, 1, 0);
    int64_t last = item_at(r, r->length - 1);
    return new_range_iter(last, -r->step, r->length);
}

Ref range_count(Value self, CallArgs a) {
    if (!check_one_arg("range.count", a)) return nullptr;
    Range* r = as_range(self);
    Value item = a.args[0];
    if (exact_int_like(item)) {
        int r2 = range_contains(self, item);
        if (r2 < 0) return nullptr;
        return make_int(r2);
    }
    int64_t n = 0;
    for (int64_t i = 0; i < r->length; ++i) {
        Ref v = make_int(item_at(r, i));
        if (!v) return nullptr;
        int k = eq(*v, item);
        if (k < 0) return nullptr;
        n += k;
    }
    return make_int(n);
}

Ref range_index(Value self, CallArgs a) {
    if (!check_one_arg("range.index", a)) return nullptr;
    Range* r = as_range(self);
    Value item = a.args[0];
    if (exact_int_like(item)) {
        int64_t x;
        if (int_value(item, &x)) {
            int64_t i = int_index(r, x);
            if (i >= 0) return make_int(i);
        } else {
            clear_error();
        }
    } else {
        for (int64_t i = 0; i < r->length; ++i) {
            Ref v = make_int(item_at(r, i));
            if (!v) return nullptr;
            int k = eq(*v, item);
            if (k < 0) return nullptr;
            if (k) return make_int(i);
        }
    }
    Ref rep = repr(item);
    if (!rep) return nullptr;
    return raisef(&exc::ValueError, "{} is not in range", rep.as<Str>()->view());
}

Ref range_get_start(Value self) { return make_int(as_range(self)->start); }
Ref range_get_stop(Value self) { return make_int(as_range(self)->stop); }
Ref range_get_step(Value self) { return make_int(as_range(self)->step); }

const MethodDef range_methods[] = {
    {"count", range_count},
    {"index", range_index},
    {"__reversed__", range_reversed},
    {nullptr, nullptr},
};

const GetSetDef range_getsets[] = {
    {"start", range_get_start},
    {"stop", range_get_stop},
    {"step", range_get_step},
    {nullptr, nullptr},
};

// --- iterator -------------------------------------------------------------------------------

void range_iter_dealloc(Object* o) { object_free(o, sizeof(RangeIter)); }

Ref range_iter_next(Value self) {
    RangeIter* it = self.as<RangeIter>();
    if (it->remaining <= 0) return nullptr;
    int64_t v = it->next;
    it->remaining--;
    if (it->remaining > 0) it->next = v + it->step;  // never steps past the last item
    if (Value::fits_small_int(v)) return Ref::steal(Value::small_int(v));
    return make_int(v);
}

Ref range_iter_length_hint(Value self, CallArgs a) {
    RangeIter* it = self.as<RangeIter>();
    return make_int(it->remaining > 0 ? it->remaining : 0);
}

const MethodDef range_iter_methods[] = {
    {"__length_hint__", range_iter_length_hint},
    {nullptr, nullptr},
};

}  // namespace

Ref new_range(int64_t start, int64_t stop, int64_t step) {
    if (step == 0) return raise(&exc::ValueError, "range() arg 3 must not be zero");
    Range* r = alloc_range(&range_type, start, stop, step);
    if (!r) return nullptr;
    return Ref::steal(r);
}

Ref new_range_iter(int64_t start, int64_t step, int64_t count) {
    RangeIter* it = new_object<RangeIter>(&range_iterator_type, 0);
    if (!it) return nullptr;
    it->next = start;
    it->step = step;
    it->remaining = count;
    return Ref::steal(it);
}

void init_range_type() {
    Type* t = &range_type;
    t->name = "range";
    t->basic_size = sizeof(Range);
    t->flags |= kImmutableType;
    t->methods = range_methods;
    t->getsets = range_getsets;
    t->dealloc = range_dealloc;
    t->repr = range_repr;
    t->hash = range_hash;
    t->compare = range_compare;
    t->len = range_len;
    t->truth = range_truth;
    t->iter = range_iter;
    t->getitem = range_getitem;
    t->contains = range_contains;
    t->new_ = range_new;
    type_ready(t, &object_type);

    Type* it = &range_iterator_type;
    it->name = "range_iterator";
    it->basic_size = sizeof(RangeIter);
    it->flags |= kImmutableType;
    it->methods = range_iter_methods;
    it->dealloc = range_iter_dealloc;
    it->iter = iter_self;
    it->next = range_iter_next;
    type_ready(it, &object_type);
}

}  // namespace toy
