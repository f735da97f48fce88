// type_slots.cpp: the slot table, the generic slot functions of heap types (slot_*: call the
// dunder), slot wrapper descriptors of builtin types, and subtype_dealloc.
#include <cstdlib>
#include <cstring>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/names.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "runtime/type_internal.h"

namespace toy {

// ---- calling dunders ----------------------------------------------------------------------------

Ref call_with_self(Value f, Value self, CallArgs a) {
    size_t n = a.npos + a.nkw();
    Value buf[8];
    Value* p = buf;
    if (n + 1 > 8) {
        p = static_cast<Value*>(std::malloc((n + 1) * sizeof(Value)));
        if (!p) return raise_no_memory();
    }
    p[0] = self;
    for (size_t i = 0; i < n; i++) p[i + 1] = a.args[i];
    Ref r = call(f, CallArgs{p, a.npos + 1, a.kwnames});
    if (p != buf) std::free(p);
    return r;
}

Ref call_special_args(Value self, Str* name, CallArgs a, bool* found) {
    Type* tp = type_of(self);
    Value f = type_lookup(tp, name);
    if (f.is_null()) {
        *found = false;
        return nullptr;
    }
    *found = true;
    Ref hold = Ref::borrow(f);
    Type* ft = type_of(f);
    if (type_has(ft, kMethodDescriptor)) return call_with_self(f, self, a);
    if (ft->descr_get) {
        Ref bound = ft->descr_get(f, self, tp);
        if (!bound) return nullptr;
        return call(bound.get(), a);
    }
    return call(f, a);
}

Ref call_special(Value self, Str* name, const Value* args, size_t nargs, bool* found) {
    return call_special_args(self, name, CallArgs{args, nargs, nullptr}, found);
}

// Calls the dunder or returns NotImplemented when the type lacks it.
static Ref call_maybe(Value self, Str* name, const Value* args, size_t n) {
    bool found;
    Ref r = call_special(self, name, args, n, &found);
    if (!found) return Ref::not_implemented();
    return r;
}

// ---- the slot table ------------------------------------------------------------------------------

#define B(op) static_cast<int>(BinOp::op)
#define C(op) static_cast<int>(CmpOp::op)
const SlotDef kSlotDefs[] = {
    {"__repr__", SlotKind::kRepr, 0, &names::repr_},
    {"__str__", SlotKind::kStr, 0, &names::str_},
    {"__hash__", SlotKind::kHash, 0, &names::hash_},
    {"__lt__", SlotKind::kCompare, C(kLt), &names::lt_},
    {"__le__", SlotKind::kCompare, C(kLe), &names::le_},
    {"__eq__", SlotKind::kCompare, C(kEq), &names::eq_},
    {"__ne__", SlotKind::kCompare, C(kNe), &names::ne_},
    {"__gt__", SlotKind::kCompare, C(kGt), &names::gt_},
    {"__ge__", SlotKind::kCompare, C(kGe), &names::ge_},
    {"__add__", SlotKind::kBinary, B(kAdd), &names::add_},
    {"__radd__", SlotKind::kBinaryR, B(kAdd), &names::radd_},
    {"__sub__", SlotKind::kBinary, B(kSub), &names::sub_},
    {"__rsub__", SlotKind::kBinaryR, B(kSub), &names::rsub_},
    {"__mul__", SlotKind::kBinary, B(kMul), &names::mul_},
    {"__rmul__", SlotKind::kBinaryR, B(kMul), &names::rmul_},
    {"__truediv__", SlotKind::kBinary, B(kTrueDiv), &names::truediv_},
    {"__rtruediv__", SlotKind::kBinaryR, B(kTrueDiv), &names::rtruediv_},
    {"__floordiv__", SlotKind::kBinary, B(kFloorDiv), &names::floordiv_},
    {"__rfloordiv__", SlotKind::kBinaryR, B(kFloorDiv), &names::rfloordiv_},
    {"__mod__", SlotKind::kBinary, B(kMod), &names::mod_},
    {"__rmod__", SlotKind::kBinaryR, B(kMod), &names::rmod_},
    {"__pow__", SlotKind::kBinary, B(kPow), &names::pow_},
    {"__rpow__", SlotKind::kBinaryR, B(kPow), &names::rpow_},
    {"__lshift__", SlotKind::kBinary, B(kLShift), &names::lshift_},
    {"__rlshift__", SlotKind::kBinaryR, B(kLShift), &names::rlshift_},
    {"__rshift__", SlotKind::kBinary, B(kRShift), &names::rshift_},
    {"__rrshift__", SlotKind::kBinaryR, B(kRShift), &names::rrshift_},
    {"__and__", SlotKind::kBinary, B(kAnd), &names::and_},
    {"__rand__", SlotKind::kBinaryR, B(kAnd), &names::rand_},
    {"__or__", SlotKind::kBinary, B(kOr), &names::or_},
    {"__ror__", SlotKind::kBinaryR, B(kOr), &names::ror_},
    {"__xor__", SlotKind::kBinary, B(kXor), &names::xor_},
    {"__rxor__", SlotKind::kBinaryR, B(kXor), &names::rxor_},
    {"__matmul__", SlotKind::kBinary, B(kMatMul), &names::matmul_},
    {"__rmatmul__", SlotKind::kBinaryR, B(kMatMul), &names::rmatmul_},
    {"__iadd__", SlotKind::kInplace, B(kAdd), &names::iadd_},
    {"__isub__", SlotKind::kInplace, B(kSub), &names::isub_},
    {"__imul__", SlotKind::kInplace, B(kMul), &names::imul_},
    {"__itruediv__", SlotKind::kInplace, B(kTrueDiv), &names::itruediv_},
    {"__ifloordiv__", SlotKind::kInplace, B(kFloorDiv), &names::ifloordiv_},
    {"__imod__", SlotKind::kInplace, B(kMod), &names::imod_},
    {"__ipow__", SlotKind::kInplace, B(kPow), &names::ipow_},
    {"__ilshift__", SlotKind::kInplace, B(kLShift), &names::ilshift_},
    {"__irshift__", SlotKind::kInplace, B(kRShift), &names::irshift_},
    {"__iand__", SlotKind::kInplace, B(kAnd), &names::iand_},
    {"__ior__", SlotKind::kInplace, B(kOr), &names::ior_},
    {"__ixor__", SlotKind::kInplace, B(kXor), &names::ixor_},
    {"__imatmul__", SlotKind::kInplace, B(kMatMul), &names::imatmul_},
    {"__neg__", SlotKind::kNeg, 0, &names::neg_},
    {"__pos__", SlotKind::kPos, 0, &names::pos_},
    {"__invert__", SlotKind::kInvert, 0, &names::invert_},
    {"__abs__", SlotKind::kAbs, 0, &names::abs_},
    {"__int__", SlotKind::kInt, 0, &names::int_},
    {"__float__", SlotKind::kFloat, 0, &names::float_},
    {"__index__", SlotKind::kIndex, 0, &names::index_},
    {"__bool__", SlotKind::kBool, 0, &names::bool_},
    {"__len__", SlotKind::kLen, 0, &names::len_},
    {"__getattribute__", SlotKind::kGetattribute, 0, &names::getattribute_},
    {"__getattr__", SlotKind::kGetattrHook, 0, &names::getattr_},
    {"__setattr__", SlotKind::kSetattr, 0, &names::setattr_},
    {"__delattr__", SlotKind::kDelattr, 0, &names::delattr_},
    {"__call__", SlotKind::kCall, 0, &names::call_},
    {"__iter__", SlotKind::kIter, 0, &names::iter_},
    {"__next__", SlotKind::kNext, 0, &names::next_},
    {"__getitem__", SlotKind::kGetitem, 0, &names::getitem_},
    {"__setitem__", SlotKind::kSetitem, 0, &names::setitem_},
    {"__delitem__", SlotKind::kDelitem, 0, &names::delitem_},
    {"__contains__", SlotKind::kContains, 0, &names::contains_},
    {"__get__", SlotKind::kGet, 0, &names::get_},
    {"__set__", SlotKind::kSet, 0, &names::set_},
    {"__delete__", SlotKind::kDelete, 0, &names::delete_},
    {"__new__", SlotKind::kNew, 0, &names::new_},
    {"__init__", SlotKind::kInit, 0, &names::init_},
    {"__del__", SlotKind::kDel, 0, &names::del_},
};
#undef B
#undef C
const int kNumSlotDefs = sizeof(kSlotDefs) / sizeof(kSlotDefs[0]);

void** slot_field(Type* t, const SlotDef* d) {
    auto P = [](auto* field) { return reinterpret_cast<void**>(field); };
    switch (d->kind) {
    case SlotKind::kRepr: return P(&t->repr);
    case SlotKind::kStr: return P(&t->str);
    case SlotKind::kHash: return P(&t->hash);
    case SlotKind::kCompare: return P(&t->compare);
    case SlotKind::kBinary:
    case SlotKind::kBinaryR: return P(&t->binary[d->arg]);
    case SlotKind::kInplace: return P(&t->inplace[d->arg]);
    case SlotKind::kNeg: return P(&t->neg);
    case SlotKind::kPos: return P(&t->pos);
    case SlotKind::kInvert: return P(&t->invert);
    case SlotKind::kAbs: return P(&t->abs);
    case SlotKind::kInt: return P(&t->to_int);
    case SlotKind::kFloat: return P(&t->to_float);
    case SlotKind::kIndex: return P(&t->index);
    case SlotKind::kBool: return P(&t->truth);
    case SlotKind::kLen: return P(&t->len);
    case SlotKind::kGetattribute:
    case SlotKind::kGetattrHook: return P(&t->getattr);
    case SlotKind::kSetattr:
    case SlotKind::kDelattr: return P(&t->setattr);
    case SlotKind::kCall: return P(&t->call);
    case SlotKind::kIter: return P(&t->iter);
    case SlotKind::kNext: return P(&t->next);
    case SlotKind::kGetitem: return P(&t->getitem);
    case SlotKind::kSetitem:
    case SlotKind::kDelitem: return P(&t->setitem);
    case SlotKind::kContains: return P(&t->contains);
    case SlotKind::kGet: return P(&t->descr_get);
    case SlotKind::kSet:
    case SlotKind::kDelete: return P(&t->descr_set);
    case SlotKind::kNew: return P(&t->new_);
    case SlotKind::kInit: return P(&t->init);
    case SlotKind::kDel: return nullptr;
    }
    return nullptr;
}

// ---- generic slots of heap types ---------------------------------------------------------------------

static Ref slot_repr(Value self) {
    bool found;
    Ref r = call_special(self, names::repr_, nullptr, 0, &found);
    if (!found) return object_repr(self);
    return r;
}

static Ref slot_str(Value self) {
    bool found;
    Ref r = call_special(self, names::str_, nullptr, 0, &found);
    if (!found) return repr(self);
    return r;
}

static bool slot_hash(Value self, int64_t* out) {
    bool found;
    Ref r = call_special(self, names::hash_, nullptr, 0, &found);
    if (!found) return object_hash(self, out);
    if (!r) return false;
    if (!is_int(r.get())) {
        (void)raise(&exc::TypeError, "__hash__ method should return an integer");
        return false;
    }
    int64_t h;
    if (!int_value(r.get(), &h)) {
        // Out of range for int64: hash the int itself (int's hash reduces it).
        clear_error();
        return hash(r.get(), out);
    }
    *out = h == -1 ? -2 : h;
    return true;
}

static Str* const* cmp_names[] = {&names::lt_, &names::le_, &names::eq_,
                                  &names::ne_, &names::gt_, &names::ge_};

static Ref slot_compare(Value a, Value b, CmpOp op) {
    Value args[1] = {b};
    return call_maybe(a, *cmp_names[static_cast<int>(op)], args, 1);
}

struct BinNames {
    Str** name;
    Str** rname;
    Str** iname;
};
static const BinNames bin_names[] = {
    {&names::add_, &names::radd_, &names::iadd_},
    {&names::sub_, &names::rsub_, &names::isub_},
    {&names::mul_, &names::rmul_, &names::imul_},
    {&names::truediv_, &names::rtruediv_, &names::itruediv_},
    {&names::floordiv_, &names::rfloordiv_, &names::ifloordiv_},
    {&names::mod_, &names::rmod_, &names::imod_},
    {&names::pow_, &names::rpow_, &names::ipow_},
    {&names::lshift_, &names::rlshift_, &names::ilshift_},
    {&names::rshift_, &names::rrshift_, &names::irshift_},
    {&names::and_, &names::rand_, &names::iand_},
    {&names::or_, &names::ror_, &names::ior_},
    {&names::xor_, &names::rxor_, &names::ixor_},
    {&names::matmul_, &names::rmatmul_, &names::imatmul_},
};

// CPython's SLOT1BINFULL: one slot serves both __op__ (self on the left) and __rop__ (self on
// the right); binary_op calls it for whichever operand's type has it.
template <int OP> static Ref slot_binary(Value a, Value b) {
    Type* ta = type_of(a);
    Type* tb = type_of(b);
    const BinNames& n = bin_names[OP];
    bool do_other = ta != tb && tb->binary[OP] == &slot_binary<OP>;
    if (ta->binary[OP] == &slot_binary<OP>) {
        if (do_other && is_subtype(tb, ta) &&
            !type_lookup(tb, *n.rname).is(type_lookup(ta, *n.rname))) {
            Value args[1] = {a};
            Ref r = call_maybe(b, *n.rname, args, 1);
            if (!r || !r.get().is_not_implemented()) return r;
            do_other = false;
        }
        Value args[1] = {b};
        Ref r = call_maybe(a, *n.name, args, 1);
        if (!r || !r.get().is_not_implemented() || ta == tb) return r;
    }
    if (do_other) {
        Value args[1] = {a};
        return call_maybe(b, *n.rname, args, 1);
    }
    return Ref::not_implemented();
}

template <int OP> static Ref slot_inplace(Value a, Value b) {
    Value args[1] = {b};
    return call_maybe(a, *bin_names[OP].iname, args, 1);
}

template <int I> struct IntTag {};
#define TOY_BIN_TABLE(F)                                                                      \
    {F<0>, F<1>, F<2>, F<3>, F<4>, F<5>, F<6>, F<7>, F<8>, F<9>, F<10>, F<11>, F<12>}
static const BinarySlot generic_binary[] = TOY_BIN_TABLE(slot_binary);
static const BinarySlot generic_inplace[] = TOY_BIN_TABLE(slot_inplace);
static_assert(sizeof(generic_binary) / sizeof(generic_binary[0]) ==
              static_cast<int>(BinOp::kCount));

static Ref unary_call(Value self, Str* name) {
    bool found;
    Ref r = call_special(self, name, nullptr, 0, &found);
    if (!found) return raisef(&exc::TypeError, "bad operand type for unary op: '{}'", type_name(self));
    return r;
}
static Ref slot_neg(Value self) { return unary_call(self, names::neg_); }
static Ref slot_pos(Value self) { return unary_call(self, names::pos_); }
static Ref slot_invert(Value self) { return unary_call(self, names::invert_); }
static Ref slot_abs(Value self) { return unary_call(self, names::abs_); }
static Ref slot_int(Value self) {
    Ref r = unary_call(self, names::int_);
    if (r && !is_int(r.get()))
        return raisef(&exc::TypeError, "__int__ returned non-int (type {})", type_name(r.get()));
    return r;
}
static Ref slot_float(Value self) {
    Ref r = unary_call(self, names::float_);
    if (r && !r.get().is_double() && !is_subtype(type_of(r.get()), &float_type))
        return raisef(&exc::TypeError, "{}.__float__ returned non-float (type {})",
                      type_name(self), type_name(r.get()));
    return r;
}
static Ref slot_index(Value self) {
    Ref r = unary_call(self, names::index_);
    if (r && !is_int(r.get()))
        return raisef(&exc::TypeError, "__index__ returned non-int (type {})", type_name(r.get()));
    return r;
}

static int64_t slot_len(Value self);

static int slot_truth(Value self) {
    bool found;
    Ref r = call_special(self, names::bool_, nullptr, 0, &found);
    if (!found) {
        if (!type_lookup(type_of(self), names::len_).is_null()) {
            int64_t n = slot_len(self);
            return n < 0 ? -1 : n != 0;
        }
        return 1;
    }
    if (!r) return -1;
    if (!r.get().is_bool()) {
        (void)raisef(&exc::TypeError, "__bool__ should return bool, returned {}", type_name(r.get()));
        return -1;
    }
    return r.get().as_bool();
}

static int64_t slot_len(Value self) {
    bool found;
    Ref r = call_special(self, names::len_, nullptr, 0, &found);
    if (!found) {
        (void)raisef(&exc::TypeError, "object of type '{}' has no len()", type_name(self));
        return -1;
    }
    if (!r) return -1;
    if (!is_int(r.get())) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
               type_name(r.get()));
        return -1;
    }
    int64_t n;
    if (!int_value(r.get(), &n)) {
        clear_error();
        (void)raisef(&exc::OverflowError, "cannot fit 'int' into an index-sized integer");
        return -1;
    }
    if (n < 0) {
        (void)raise(&exc::ValueError, "__len__() should return >= 0");
        return -1;
    }
    return n;
}

static Ref slot_getattr(Value self, Str* name) {
    Type* tp = type_of(self);
    Value ga = type_lookup(tp, names::getattribute_);
    Ref r;
    bool missing = false;
    if (ga.is_object() && ga.as_object()->type == &wrapper_descriptor_type) {
        auto* w = ga.as<SlotWrapper>();
        GetAttrSlot f = w->owner->getattr;
        if (!f || f == generic_getattr) {
            r = generic_getattr_impl(self, name, &missing);
        } else if (f == type_getattro) {
            r = type_getattr_impl(self, name, &missing);
        } else {
            r = f(self, name);
        }
    } else if (!ga.is_null()) {
        Value args[1] = {Value::object(name)};
        bool found;
        r = call_special(self, names::getattribute_, args, 1, &found);
    } else {
        r = generic_getattr_impl(self, name, &missing);
    }
    if (r) return r;
    if (!missing && !error_matches(&exc::AttributeError)) return r;
    Value hook = type_lookup(tp, names::getattr_);
    if (hook.is_null()) {
        if (missing) {
            if (type_has(tp, kTypeSubclass))
                return raisef(&exc::AttributeError, "type object '{}' has no attribute '{}'",
                              self.as<Type>()->name, name->view());
            return raisef(&exc::AttributeError, "'{}' object has no attribute '{}'",
                          type_name(self), name->view());
        }
        return r;
    }
    if (!missing) clear_error();
    Value args[1] = {Value::object(name)};
    bool found;
    return call_special(self, names::getattr_, args, 1, &found);
}

static bool slot_setattr(Value self, Str* name, Value v) {
    Type* tp = type_of(self);
    Str* dunder = v.is_null() ? names::delattr_ : names::setattr_;
    Value f = type_lookup(tp, dunder);
    if (f.is_object() && f.as_object()->type == &wrapper_descriptor_type) {
        SetAttrSlot s = f.as<SlotWrapper>()->owner->setattr;
        return s ? s(self, name, v) : generic_setattr(self, name, v);
    }
    if (f.is_null()) return generic_setattr(self, name, v);
    Value args[2] = {Value::object(name), v};
    bool found;
    Ref r = call_special(self, dunder, args, v.is_null() ? 1 : 2, &found);
    return static_cast<bool>(r);
}

static Ref slot_call(Value self, CallArgs a) {
    bool found;
    Ref r = call_special_args(self, names::call_, a, &found);
    if (!found) return raisef(&exc::TypeError, "'{}' object is not callable", type_name(self));
    return r;
}

static Ref slot_iter(Value self) {
    Value f = type_lookup(type_of(self), names::iter_);
    if (f.is_none() || f.is_null())
        return raisef(&exc::TypeError, "'{}' object is not iterable", type_name(self));
    bool found;
    return call_special(self, names::iter_, nullptr, 0, &found);
}

static Ref slot_next(Value self) {
    bool found;
    Ref r = call_special(self, names::next_, nullptr, 0, &found);
    if (!found)
        return raisef(&exc::TypeError, "'{}' object is not an iterator", type_name(self));
    if (!r && error_matches(&exc::StopIteration)) clear_error();
    return r;
}

static Ref slot_getitem(Value self, Value key) {
    Value args[1] = {key};
    bool found;
    Ref r = call_special(self, names::getitem_, args, 1, &found);
    if (!found) return raisef(&exc::TypeError, "'{}' object is not subscriptable", type_name(self));
    return r;
}

static bool slot_setitem(Value self, Value key, Value v) {
    bool found;
    Ref r;
    if (v.is_null()) {
        Value args[1] = {key};
        r = call_special(self, names::delitem_, args, 1, &found);
        if (!found) {
            (void)raisef(&exc::AttributeError, "__delitem__");
            return false;
        }
    } else {
        Value args[2] = {key, v};
        r = call_special(self, names::setitem_, args, 2, &found);
        if (!found) {
            (void)raisef(&exc::AttributeError, "__setitem__");
            return false;
        }
    }
    return static_cast<bool>(r);
}

static int slot_contains(Value self, Value item) {
    Value f = type_lookup(type_of(self), names::contains_);
    if (f.is_none()) {
        (void)raisef(&exc::TypeError, "'{}' object is not a container", type_name(self));
        return -1;
    }
    Value args[1] = {item};
    bool found;
    Ref r = call_special(self, names::contains_, args, 1, &found);
    if (!found) {
        // Fall back to iteration (the slot was set by a since-removed __contains__).
        Ref it = get_iter(self);
        if (!it) return -1;
        for (;;) {
            Ref x = iter_next(it.get());
            if (!x) return error_occurred() ? -1 : 0;
            int e = eq(x.get(), item);
            if (e != 0) return e;
        }
    }
    if (!r) return -1;
    return truthy(r.get());
}

static Ref slot_descr_get(Value self, Value obj, Type* owner) {
    Value args[2] = {obj.is_null() ? Value::none() : obj,
                     owner ? Value::object(owner) : Value::none()};
    bool found;
    Ref r = call_special(self, names::get_, args, 2, &found);
    if (!found) return Ref::borrow(self);
    return r;
}

static bool slot_descr_set(Value self, Value obj, Value v) {
    bool found;
    Ref r;
    if (v.is_null()) {
        Value args[1] = {obj};
        r = call_special(self, names::delete_, args, 1, &found);
        if (!found) {
            (void)raise(&exc::AttributeError, "__delete__");
            return false;
        }
    } else {
        Value args[2] = {obj, v};
        r = call_special(self, names::set_, args, 2, &found);
        if (!found) {
            (void)raise(&exc::AttributeError, "__set__");
            return false;
        }
    }
    return static_cast<bool>(r);
}

static Ref slot_new(Type* type, CallArgs a) {
    Ref f = getattr(Value::object(type), names::new_);
    if (!f) return nullptr;
    return call_with_self(f.get(), Value::object(type), a);
}

static bool slot_init(Value self, CallArgs a) {
    bool found;
    Ref r = call_special_args(self, names::init_, a, &found);
    if (!found) return true;
    if (!r) return false;
    if (!r.get().is_none()) {
        (void)raisef(&exc::TypeError, "__init__() should return None, not '{}'", type_name(r.get()));
        return false;
    }
    return true;
}

void* generic_slot(const SlotDef* d) {
    switch (d->kind) {
    case SlotKind::kRepr: return reinterpret_cast<void*>(&slot_repr);
    case SlotKind::kStr: return reinterpret_cast<void*>(&slot_str);
    case SlotKind::kHash: return reinterpret_cast<void*>(&slot_hash);
    case SlotKind::kCompare: return reinterpret_cast<void*>(&slot_compare);
    case SlotKind::kBinary:
    case SlotKind::kBinaryR: return reinterpret_cast<void*>(generic_binary[d->arg]);
    case SlotKind::kInplace: return reinterpret_cast<void*>(generic_inplace[d->arg]);
    case SlotKind::kNeg: return reinterpret_cast<void*>(&slot_neg);
    case SlotKind::kPos: return reinterpret_cast<void*>(&slot_pos);
    case SlotKind::kInvert: return reinterpret_cast<void*>(&slot_invert);
    case SlotKind::kAbs: return reinterpret_cast<void*>(&slot_abs);
    case SlotKind::kInt: return reinterpret_cast<void*>(&slot_int);
    case SlotKind::kFloat: return reinterpret_cast<void*>(&slot_float);
    case SlotKind::kIndex: return reinterpret_cast<void*>(&slot_index);
    case SlotKind::kBool: return reinterpret_cast<void*>(&slot_truth);
    case SlotKind::kLen: return reinterpret_cast<void*>(&slot_len);
    case SlotKind::kGetattribute:
    case SlotKind::kGetattrHook: return reinterpret_cast<void*>(&slot_getattr);
    case SlotKind::kSetattr:
    case SlotKind::kDelattr: return reinterpret_cast<void*>(&slot_setattr);
    case SlotKind::kCall: return reinterpret_cast<void*>(&slot_call);
    case SlotKind::kIter: return reinterpret_cast<void*>(&slot_iter);
    case SlotKind::kNext: return reinterpret_cast<void*>(&slot_next);
    case SlotKind::kGetitem: return reinterpret_cast<void*>(&slot_getitem);
    case SlotKind::kSetitem:
    case SlotKind::kDelitem: return reinterpret_cast<void*>(&slot_setitem);
    case SlotKind::kContains: return reinterpret_cast<void*>(&slot_contains);
    case SlotKind::kGet: return reinterpret_cast<void*>(&slot_descr_get);
    case SlotKind::kSet:
    case SlotKind::kDelete: return reinterpret_cast<void*>(&slot_descr_set);
    case SlotKind::kNew: return reinterpret_cast<void*>(&slot_new);
    case SlotKind::kInit: return reinterpret_cast<void*>(&slot_init);
    case SlotKind::kDel: return nullptr;
    }
    return nullptr;
}

// ---- fixing up the slots of a heap type ---------------------------------------------------------

void type_fixup_slots(Type* t) {
    if (!type_has(t, kHeapType)) return;
    bool has_del = false;
    // Slot defs sharing a field are adjacent in kSlotDefs except compare's six and the
    // getattr/setattr/setitem/descr_set pairs, which are adjacent too: group by field.
    int i = 0;
    while (i < kNumSlotDefs) {
        const SlotDef* d = &kSlotDefs[i];
        if (d->kind == SlotKind::kDel) {
            has_del = !type_lookup(t, names::del_).is_null();
            i++;
            continue;
        }
        void** field = slot_field(t, d);
        // Collect the group: following defs writing the same field.
        int j = i;
        void* specific = nullptr;
        bool generic = false, any = false, hash_none = false;
        while (j < kNumSlotDefs && kSlotDefs[j].kind != SlotKind::kDel &&
               slot_field(t, &kSlotDefs[j]) == field) {
            const SlotDef* dj = &kSlotDefs[j];
            Value v = type_lookup(t, *dj->interned);
            j++;
            if (v.is_null()) continue;
            any = true;
            if (dj->kind == SlotKind::kHash && v.is_none()) {
                hash_none = true;
                continue;
            }
            void* p = nullptr;
            if (v.is_object() && v.as_object()->type == &wrapper_descriptor_type) {
                auto* w = v.as<SlotWrapper>();
                if (slot_field(w->owner, w->def) && w->def->kind != SlotKind::kDel &&
                    generic_slot(w->def) == generic_slot(dj))
                    p = *slot_field(w->owner, w->def);
            } else if (dj->kind == SlotKind::kNew && v.is_object() &&
                       v.as_object()->type == &native_function_type &&
                       v.as<NativeFunction>()->def == &tp_new_def &&
                       v.as<NativeFunction>()->self.is_object()) {
                p = reinterpret_cast<void*>(v.as<NativeFunction>()->self.as<Type>()->new_);
            }
            if (!p) {
                generic = true;
            } else if (!specific) {
                specific = p;
            } else if (specific != p) {
                generic = true;
            }
        }
        if (!any) {
            *field = nullptr;
        } else if (hash_none) {
            *field = nullptr;  // __hash__ = None: unhashable
        } else if (generic) {
            *field = generic_slot(d);
        } else {
            *field = specific;
        }
        i = j;
    }
    if (has_del) {
        t->flags |= kHasFinalizer;
    } else {
        t->flags &= ~kHasFinalizer;
    }
    t->dealloc = subtype_dealloc;
}

// ---- dealloc of heap type instances ---------------------------------------------------------------

void subtype_dealloc(Object* o) {
    Type* t = o->type;
    if (type_has(t, kHasFinalizer)) {
        // Resurrect for the duration of __del__; a reference kept by __del__ keeps it alive.
        o->refcnt = 1;
        ThreadState* ts = current_thread();
        Ref saved = ts ? fetch_error() : Ref();
        bool found;
        Ref r = call_special(Value::object(o), names::del_, nullptr, 0, &found);
        if (!r && found) write_unraisable(type_lookup(t, names::del_));
        if (ts && saved) restore_error(std::move(saved));
        if (--o->refcnt != 0) return;  // resurrected
    }
    Type* b = t;
    while (b && type_has(b, kHeapType)) {
        for (int32_t i = 0; i < b->nslots; i++) {
            Value* p = reinterpret_cast<Value*>(reinterpret_cast<char*>(o) + b->slots_offset) + i;
            Value v = *p;
            *p = Value::null();
            decref(v);
        }
        b = b->base;
    }
    if (t->dict_offset && (!b || b->dict_offset == 0)) {
        Dict** dp = reinterpret_cast<Dict**>(reinterpret_cast<char*>(o) + t->dict_offset);
        Dict* d = *dp;
        *dp = nullptr;
        if (d) decref(d);
    }
    if (b && b->dealloc) {
        b->dealloc(o);
    } else {
        object_free(o, t->basic_size);
    }
    decref(t);
}

// ---- slot wrappers --------------------------------------------------------------------------------

static bool wrapper_nargs(SlotWrapper* w, CallArgs a, size_t n) {
    if (a.nkw()) {
        (void)raisef(&exc::TypeError, "wrapper {}() takes no keyword arguments", w->def->name);
        return false;
    }
    if (a.npos != n) {
        (void)raisef(&exc::TypeError, "expected {} argument{}, got {}", n, n == 1 ? "" : "s", a.npos);
        return false;
    }
    return true;
}

static Ref check_str_name(Value v, Str** out) {
    if (!is_str(v))
        return raisef(&exc::TypeError, "attribute name must be string, not '{}'", type_name(v));
    *out = v.as<Str>();
    return Ref::none();
}

Ref call_slot_wrapper(SlotWrapper* w, Value self, CallArgs a) {
    Type* o = w->owner;
    const SlotDef* d = w->def;
    void* fn = *slot_field(o, d);
    if (!fn) return raisef(&exc::TypeError, "'{}' object has no slot {}", o->name, d->name);
    switch (d->kind) {
    case SlotKind::kRepr:
    case SlotKind::kStr:
    case SlotKind::kNeg:
    case SlotKind::kPos:
    case SlotKind::kInvert:
    case SlotKind::kAbs:
    case SlotKind::kInt:
    case SlotKind::kFloat:
    case SlotKind::kIndex:
    case SlotKind::kIter:
        if (!wrapper_nargs(w, a, 0)) return nullptr;
        return reinterpret_cast<UnarySlot>(fn)(self);
    case SlotKind::kNext: {
        if (!wrapper_nargs(w, a, 0)) return nullptr;
        Ref r = reinterpret_cast<NextSlot>(fn)(self);
        if (!r && !error_occurred()) {
            Ref e = call(Value::object(&exc::StopIteration), CallArgs{});
            if (e) (void)set_exception(std::move(e));
            return nullptr;
        }
        return r;
    }
    case SlotKind::kHash: {
        if (!wrapper_nargs(w, a, 0)) return nullptr;
        int64_t h;
        if (!reinterpret_cast<HashSlot>(fn)(self, &h)) return nullptr;
        return make_int(h);
    }
    case SlotKind::kCompare:
        if (!wrapper_nargs(w, a, 1)) return nullptr;
        return reinterpret_cast<CompareSlot>(fn)(self, a.args[0], static_cast<CmpOp>(d->arg));
    case SlotKind::kBinary:
    case SlotKind::kInplace:
        if (!wrapper_nargs(w, a, 1)) return nullptr;
        return reinterpret_cast<BinarySlot>(fn)(self, a.args[0]);
    case SlotKind::kBinaryR:
        if (!wrapper_nargs(w, a, 1)) return nullptr;
        return reinterpret_cast<BinarySlot>(fn)(a.args[0], self);
    case SlotKind::kBool: {
        if (!wrapper_nargs(w, a, 0)) return nullptr;
        int r = reinterpret_cast<TruthSlot>(fn)(self);
        if (r < 0) return nullptr;
        return Ref::boolean(r != 0);
    }
    case SlotKind::kLen: {
        if (!wrapper_nargs(w, a, 0)) return nullptr;
        int64_t n = reinterpret_cast<LenSlot>(fn)(self);
        if (n < 0) return nullptr;
        return make_int(n);
    }
    case SlotKind::kGetattribute:
    case SlotKind::kGetattrHook: {
        if (!wrapper_nargs(w, a, 1)) return nullptr;
        Str* name;
        if (!check_str_name(a.args[0], &name)) return nullptr;
        return reinterpret_cast<GetAttrSlot>(fn)(self, name);
    }
    case SlotKind::kSetattr:
    case SlotKind::kDelattr: {
        bool del = d->kind == SlotKind::kDelattr;
        if (!wrapper_nargs(w, a, del ? 1 : 2)) return nullptr;
        Str* name;
        if (!check_str_name(a.args[0], &name)) return nullptr;
        if (!reinterpret_cast<SetAttrSlot>(fn)(self, name, del ? Value::null() : a.args[1]))
            return nullptr;
        return Ref::none();
    }
    case SlotKind::kCall: return reinterpret_cast<CallSlot>(fn)(self, a);
    case SlotKind::kGetitem:
        if (!wrapper_nargs(w, a, 1)) return nullptr;
        return reinterpret_cast<GetItemSlot>(fn)(self, a.args[0]);
    case SlotKind::kSetitem:
    case SlotKind::kDelitem: {
        bool del = d->kind == SlotKind::kDelitem;
        if (!wrapper_nargs(w, a, del ? 1 : 2)) return nullptr;
        if (!reinterpret_cast<SetItemSlot>(fn)(self, a.args[0], del ? Value::null() : a.args[1]))
            return nullptr;
        return Ref::none();
    }
    case SlotKind::kContains: {
        if (!wrapper_nargs(w, a, 1)) return nullptr;
        int r = reinterpret_cast<ContainsSlot>(fn)(self, a.args[0]);
        if (r < 0) return nullptr;
        return Ref::boolean(r != 0);
    }
    case SlotKind::kGet: {
        if (a.nkw() || a.npos < 1 || a.npos > 2) {
            if (!wrapper_nargs(w, a, 2)) return nullptr;
        }
        Value obj = a.args[0].is_none() ? Value::null() : a.args[0];
        Value tv = a.npos > 1 ? a.args[1] : Value::none();
        Type* owner = nullptr;
        if (!tv.is_none()) {
            if (!is_subtype(type_of(tv), &type_type))
                return raise(&exc::TypeError, "__get__(None, None) is invalid");
            owner = tv.as<Type>();
        }
        if (obj.is_null() && !owner) return raise(&exc::TypeError, "__get__(None, None) is invalid");
        return reinterpret_cast<DescrGetSlot>(fn)(self, obj, owner ? owner : type_of(obj));
    }
    case SlotKind::kSet:
    case SlotKind::kDelete: {
        bool del = d->kind == SlotKind::kDelete;
        if (!wrapper_nargs(w, a, del ? 1 : 2)) return nullptr;
        if (!reinterpret_cast<DescrSetSlot>(fn)(self, a.args[0], del ? Value::null() : a.args[1]))
            return nullptr;
        return Ref::none();
    }
    case SlotKind::kInit:
        if (!reinterpret_cast<InitSlot>(fn)(self, a)) return nullptr;
        return Ref::none();
    case SlotKind::kNew:
    case SlotKind::kDel: break;
    }
    return raise(&exc::SystemError, "bad slot wrapper");
}

Type wrapper_descriptor_type;
Type method_wrapper_type;

static bool wrapper_check_self(SlotWrapper* w, Value self) {
    if (!is_subtype(type_of(self), w->owner)) {
        (void)raisef(&exc::TypeError, "descriptor '{}' requires a '{}' object but received a '{}'",
               w->def->name, w->owner->name, type_name(self));
        return false;
    }
    return true;
}

static Ref wrapper_call(Value callable, CallArgs a) {
    auto* w = callable.as<SlotWrapper>();
    if (a.npos < 1)
        return raisef(&exc::TypeError, "descriptor '{}' of '{}' object needs an argument",
                      w->def->name, w->owner->name);
    if (!wrapper_check_self(w, a.args[0])) return nullptr;
    return call_slot_wrapper(w, a.args[0], CallArgs{a.args + 1, a.npos - 1, a.kwnames});
}

static Ref wrapper_descr_get(Value descr, Value obj, Type*) {
    if (obj.is_null()) return Ref::borrow(descr);
    auto* w = descr.as<SlotWrapper>();
    if (!wrapper_check_self(w, obj)) return nullptr;
    auto* m = new_object<MethodWrapper>(&method_wrapper_type, 0);
    if (!m) return nullptr;
    incref(w);
    m->wrapper = w;
    incref(obj);
    m->self = obj;
    return Ref::steal(m);
}

static Ref wrapper_repr(Value self) {
    auto* w = self.as<SlotWrapper>();
    return Ref(new_str(fmt::format("<slot wrapper '{}' of '{}' objects>", w->def->name, w->owner->name)));
}

static Ref method_wrapper_call(Value callable, CallArgs a) {
    auto* m = callable.as<MethodWrapper>();
    return call_slot_wrapper(m->wrapper, m->self, a);
}

static Ref method_wrapper_repr(Value self) {
    auto* m = self.as<MethodWrapper>();
    return Ref(new_str(fmt::format("<method-wrapper '{}' of {} object at {}>", m->wrapper->def->name,
                                   type_name(m->self),
                                   static_cast<const void*>(m->self.is_object() ? m->self.as_object() : nullptr))));
}

static void method_wrapper_dealloc(Object* o) {
    auto* m = static_cast<MethodWrapper*>(o);
    decref(m->wrapper);
    decref(m->self);
    object_free(o, sizeof(MethodWrapper));
}

static Ref wrapper_get_name(Value self) { return Ref::borrow(Value::object(intern(self.as<SlotWrapper>()->def->name))); }
static Ref wrapper_get_objclass(Value self) { return Ref::borrow(Value::object(self.as<SlotWrapper>()->owner)); }
static Ref wrapper_get_qualname(Value self) {
    auto* w = self.as<SlotWrapper>();
    return Ref(new_str(fmt::format("{}.{}", w->owner->name, w->def->name)));
}
static const GetSetDef wrapper_getsets[] = {
    {"__name__", wrapper_get_name},
    {"__qualname__", wrapper_get_qualname},
    {"__objclass__", wrapper_get_objclass},
    {nullptr},
};

static Ref mw_get_name(Value self) { return Ref::borrow(Value::object(intern(self.as<MethodWrapper>()->wrapper->def->name))); }
static Ref mw_get_self(Value self) { return Ref::borrow(self.as<MethodWrapper>()->self); }
static const GetSetDef method_wrapper_getsets[] = {
    {"__name__", mw_get_name},
    {"__self__", mw_get_self},
    {nullptr},
};

static bool method_wrapper_hash(Value self, int64_t* out) {
    auto* m = self.as<MethodWrapper>();
    int64_t h;
    if (!hash(m->self, &h)) return false;
    *out = h ^ static_cast<int64_t>(reinterpret_cast<uintptr_t>(m->wrapper) >> 4);
    if (*out == -1) *out = -2;
    return true;
}

static Ref method_wrapper_compare(Value a, Value b, CmpOp op) {
    if ((op != CmpOp::kEq && op != CmpOp::kNe) || type_of(b) != &method_wrapper_type)
        return Ref::not_implemented();
    auto* x = a.as<MethodWrapper>();
    auto* y = b.as<MethodWrapper>();
    bool same = x->wrapper == y->wrapper && x->self.is(y->self);
    return Ref::boolean(op == CmpOp::kEq ? same : !same);
}

void init_slot_wrapper_types() {
    wrapper_descriptor_type.name = "wrapper_descriptor";
    wrapper_descriptor_type.basic_size = sizeof(SlotWrapper);
    wrapper_descriptor_type.flags |= kMethodDescriptor;
    wrapper_descriptor_type.call = wrapper_call;
    wrapper_descriptor_type.descr_get = wrapper_descr_get;
    wrapper_descriptor_type.repr = wrapper_repr;
    wrapper_descriptor_type.getsets = wrapper_getsets;
    type_ready(&wrapper_descriptor_type, &object_type);

    method_wrapper_type.name = "method-wrapper";
    method_wrapper_type.basic_size = sizeof(MethodWrapper);
    method_wrapper_type.call = method_wrapper_call;
    method_wrapper_type.repr = method_wrapper_repr;
    method_wrapper_type.dealloc = method_wrapper_dealloc;
    method_wrapper_type.getsets = method_wrapper_getsets;
    method_wrapper_type.hash = method_wrapper_hash;
    method_wrapper_type.compare = method_wrapper_compare;
    type_ready(&method_wrapper_type, &object_type);
}

}  // namespace toy
