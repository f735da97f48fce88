// misc_types.cpp: NoneType, NotImplementedType, ellipsis, slice, cell.
#include "runtime/misc_types.h"

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/init_types.h"
#include "runtime/int.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type none_type;
Type not_implemented_type;
Type ellipsis_type;
Type slice_type;
Type cell_type;

Type* const special_type_table[8] = {
    nullptr,        &none_type, &bool_type, &bool_type, &not_implemented_type, &ellipsis_type,
    nullptr,        nullptr,
};

// ---- the singletons ------------------------------------------------------------------------------

static Ref none_repr(Value) { return Ref::borrow(Value::object(intern("None"))); }
static int none_truth(Value) { return 0; }
static Ref not_implemented_repr(Value) { return Ref::borrow(Value::object(intern("NotImplemented"))); }
static Ref ellipsis_repr(Value) { return Ref::borrow(Value::object(intern("Ellipsis"))); }

static bool special_hash(Value v, int64_t* out) {
    // Stable across runs (CPython hashes None by address; any constant will do).
    *out = static_cast<int64_t>(0x5A5A0000u + (v.bits() & 0xFF));
    return true;
}

static Ref singleton_new(Type* type, CallArgs a, Value v) {
    if (a.npos || a.nkw()) return raisef(&exc::TypeError, "{} takes no arguments", type->name);
    return Ref::borrow(v);
}
static Ref none_new(Type* t, CallArgs a) { return singleton_new(t, a, Value::none()); }
static Ref not_implemented_new(Type* t, CallArgs a) {
    return singleton_new(t, a, Value::not_implemented());
}
static Ref ellipsis_new(Type* t, CallArgs a) { return singleton_new(t, a, Value::ellipsis()); }

// ---- slice ----------------------------------------------------------------------------------------

Ref new_slice(Value start, Value stop, Value step) {
    auto* s = new_object<Slice>(&slice_type, 0);
    if (!s) return nullptr;
    if (start.is_null()) start = Value::none();
    if (stop.is_null()) stop = Value::none();
    if (step.is_null()) step = Value::none();
    incref(start);
    incref(stop);
    incref(step);
    s->start = start;
    s->stop = stop;
    s->step = step;
    return Ref::steal(s);
}

static void slice_dealloc(Object* o) {
    auto* s = static_cast<Slice*>(o);
    decref(s->start);
    decref(s->stop);
    decref(s->step);
    object_free(o, sizeof(Slice));
}

static Ref slice_new(Type*, CallArgs a) {
    if (a.nkw()) return raise(&exc::TypeError, "slice() takes no keyword arguments");
    if (a.npos == 1) return new_slice(Value::none(), a.args[0], Value::none());
    if (a.npos == 2) return new_slice(a.args[0], a.args[1], Value::none());
    if (a.npos == 3) return new_slice(a.args[0], a.args[1], a.args[2]);
    if (a.npos == 0) return raise(&exc::TypeError, "slice expected at least 1 argument, got 0");
    return raisef(&exc::TypeError, "slice expected at most 3 arguments, got {}", a.npos);
}

static Ref slice_repr(Value self) {
    auto* s = self.as<Slice>();
    Ref a = repr(s->start), b = repr(s->stop), c = repr(s->step);
    if (!a || !b || !c) return nullptr;
    return Ref(new_str(fmt::format("slice({}, {}, {})", a.as<Str>()->view(), b.as<Str>()->view(),
                                   c.as<Str>()->view())));
}

static Ref slice_as_tuple(Slice* s) { return Ref(new_tuple_of({s->start, s->stop, s->step})); }

static Ref slice_compare(Value a, Value b, CmpOp op) {
    if (type_of(b) != &slice_type) return Ref::not_implemented();
    if (a.is(b) && (op == CmpOp::kEq || op == CmpOp::kNe)) return Ref::boolean(op == CmpOp::kEq);
    Ref ta = slice_as_tuple(a.as<Slice>()), tb = slice_as_tuple(b.as<Slice>());
    if (!ta || !tb) return nullptr;
    return rich_compare(ta.get(), tb.get(), op);
}

// _PyEval_SliceIndex: None leaves *out alone; ints clamp to the int64 range.
static bool slice_index(Value v, int64_t* out) {
    if (v.is_none()) return true;
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (!is_int(v) && !type_of(v)->index) {
        (void)raise(&exc::TypeError,
              "slice indices must be integers or None or have an __index__ method");
        return false;
    }
    return index_value(v, out);
}

bool slice_indices(Slice* s, int64_t length, int64_t* start, int64_t* stop, int64_t* step,
                   int64_t* slicelength) {
    constexpr int64_t kMax = INT64_MAX, kMin = INT64_MIN;
    int64_t st = 1;
    if (!s->step.is_none()) {
        if (!slice_index(s->step, &st)) return false;
        if (st == 0) {
            (void)raise(&exc::ValueError, "slice step cannot be zero");
            return false;
        }
        if (st < -kMax) st = -kMax;
    }
    int64_t b = st < 0 ? kMax : 0;
    int64_t e = st < 0 ? kMin : kMax;
    if (!slice_index(s->start, &b) || !slice_index(s->stop, &e)) return false;
    // PySlice_AdjustIndices
    if (b < 0) {
        b += length;
        if (b < 0) b = st < 0 ? -1 : 0;
    } else if (b >= length) {
        b = st < 0 ? length - 1 : length;
    }
    if (e < 0) {
        e += length;
        if (e < 0) e = st < 0 ? -1 : 0;
    } else if (e >= length) {
        e = st < 0 ? length - 1 : length;
    }
    int64_t n = 0;
    if (st < 0) {
        if (e < b) n = (b - e - 1) / (-st) + 1;
    } else if (b < e) {
        n = (e - b - 1) / st + 1;
    }
    *start = b;
    *stop = e;
    *step = st;
    if (slicelength) *slicelength = n;
    return true;
}

static Ref slice_indices_method(Value self, CallArgs a) {
    Value lenv;
    if (!parse_args("indices", a, 1, 1, {""}, &lenv)) return nullptr;
    int64_t len;
    if (!index_value(lenv, &len)) return nullptr;
    if (len < 0) return raise(&exc::ValueError, "length should not be negative");
    int64_t b, e, st, n;
    if (!slice_indices(self.as<Slice>(), len, &b, &e, &st, &n)) return nullptr;
    Ref rb = make_int(b), re = make_int(e), rs = make_int(st);
    if (!rb || !re || !rs) return nullptr;
    return Ref(new_tuple_of({rb.get(), re.get(), rs.get()}));
}

static const MethodDef slice_methods[] = {
    {"indices", slice_indices_method},
    {nullptr},
};

static Ref slice_get_start(Value v) { return Ref::borrow(v.as<Slice>()->start); }
static Ref slice_get_stop(Value v) { return Ref::borrow(v.as<Slice>()->stop); }
static Ref slice_get_step(Value v) { return Ref::borrow(v.as<Slice>()->step); }
static const GetSetDef slice_getsets[] = {
    {"start", slice_get_start},
    {"stop", slice_get_stop},
    {"step", slice_get_step},
    {nullptr},
};

// ---- cell -----------------------------------------------------------------------------------------

RefT<Cell> new_cell(Value contents) {
    auto* c = new_object<Cell>(&cell_type, 0);
    if (!c) return nullptr;
    incref(contents);
    c->contents = contents;
    return RefT<Cell>::steal(c);
}

static void cell_dealloc(Object* o) {
    auto* c = static_cast<Cell*>(o);
    decref(c->contents);
    object_free(o, sizeof(Cell));
}

static Ref cell_new(Type*, CallArgs a) {
    if (a.nkw()) return raise(&exc::TypeError, "cell() takes no keyword arguments");
    if (a.npos > 1) return raisef(&exc::TypeError, "cell expected at most 1 argument, got {}", a.npos);
    return Ref(new_cell(a.npos ? a.args[0] : Value::null()));
}

static Ref cell_repr(Value self) {
    auto* c = self.as<Cell>();
    const void* p = self.as_object();
    if (c->contents.is_null()) return Ref(new_str(fmt::format("<cell at {}: empty>", p)));
    const void* q = c->contents.is_object() ? static_cast<const void*>(c->contents.as_object()) : nullptr;
    return Ref(new_str(fmt::format("<cell at {}: {} object at {}>", p, type_name(c->contents), q)));
}

static Ref cell_get_contents(Value self) {
    auto* c = self.as<Cell>();
    if (c->contents.is_null()) return raise(&exc::ValueError, "Cell is empty");
    return Ref::borrow(c->contents);
}
static bool cell_set_contents(Value self, Value v) {
    auto* c = self.as<Cell>();
    Value old = c->contents;
    incref(v);
    c->contents = v;
    decref(old);
    return true;
}
static const GetSetDef cell_getsets[] = {
    {"cell_contents", cell_get_contents, cell_set_contents},
    {nullptr},
};

static Ref cell_compare(Value a, Value b, CmpOp op) {
    if (type_of(b) != &cell_type) return Ref::not_implemented();
    Value x = a.as<Cell>()->contents, y = b.as<Cell>()->contents;
    if (!x.is_null() && !y.is_null()) return rich_compare(x, y, op);
    // Empty cells sort before full ones.
    int cx = x.is_null() ? 0 : 1, cy = y.is_null() ? 0 : 1;
    bool r = false;
    switch (op) {
    case CmpOp::kLt: r = cx < cy; break;
    case CmpOp::kLe: r = cx <= cy; break;
    case CmpOp::kEq: r = cx == cy; break;
    case CmpOp::kNe: r = cx != cy; break;
    case CmpOp::kGt: r = cx > cy; break;
    case CmpOp::kGe: r = cx >= cy; break;
    }
    return Ref::boolean(r);
}

void init_misc_types() {
    none_type.name = "NoneType";
    none_type.repr = none_repr;
    none_type.truth = none_truth;
    none_type.hash = special_hash;
    none_type.new_ = none_new;
    type_ready(&none_type, &object_type);

    not_implemented_type.name = "NotImplementedType";
    not_implemented_type.repr = not_implemented_repr;
    not_implemented_type.hash = special_hash;
    not_implemented_type.new_ = not_implemented_new;
    type_ready(&not_implemented_type, &object_type);

    ellipsis_type.name = "ellipsis";
    ellipsis_type.repr = ellipsis_repr;
    ellipsis_type.hash = special_hash;
    ellipsis_type.new_ = ellipsis_new;
    type_ready(&ellipsis_type, &object_type);

    slice_type.name = "slice";
    slice_type.basic_size = sizeof(Slice);
    slice_type.dealloc = slice_dealloc;
    slice_type.new_ = slice_new;
    slice_type.repr = slice_repr;
    slice_type.compare = slice_compare;  // no hash: unhashable, as in 3.11
    slice_type.methods = slice_methods;
    slice_type.getsets = slice_getsets;
    type_ready(&slice_type, &object_type);

    cell_type.name = "cell";
    cell_type.basic_size = sizeof(Cell);
    cell_type.dealloc = cell_dealloc;
    cell_type.new_ = cell_new;
    cell_type.repr = cell_repr;
    cell_type.compare = cell_compare;
    cell_type.getsets = cell_getsets;
    type_ready(&cell_type, &object_type);
}

}  // namespace toy
